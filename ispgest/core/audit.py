"""The audit trail: one `AuditEntry` for every change a service makes.

Call `audit(...)` inside the service's transaction. Changes to a client or to something of a
client also write the client's history (`clients.history.record_event`); the audit entry is
the installation-wide record, the history the client-scoped view staff read on the client.
"""

from __future__ import annotations

from django.db import models

from ispgest.core.models import AuditEntry


def _actor_fields(actor) -> dict:
    if getattr(actor, "pk", None):
        return {"actor": actor, "actor_label": actor.get_username()[:150]}
    return {"actor": None, "actor_label": "sistema"}


def audit(
    *,
    actor,
    action: str,
    obj: models.Model | None = None,
    summary: str = "",
    changes: dict | None = None,
    client_id: int | None = None,
    object_type: str = "",
    object_id: str = "",
    object_repr: str = "",
) -> AuditEntry:
    """Append one audit entry. `changes` is {label: [old, new]} (see clients.history)."""
    if obj is not None:
        object_type = object_type or obj._meta.label_lower
        object_id = object_id or str(obj.pk)
        object_repr = object_repr or str(obj)
    return AuditEntry.objects.create(
        **_actor_fields(actor),
        action=action[:80],
        object_type=object_type[:100],
        object_id=object_id[:64],
        object_repr=object_repr[:255],
        client_id=client_id,
        summary=summary[:4000],
        changes=changes or {},
    )
