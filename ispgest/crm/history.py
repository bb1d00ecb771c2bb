"""One call that writes what a CRM change leaves behind: the audit entry always, and the
history of its party: the client's Historial (clients.history.record_event) or, for a
prospect, its ProspectEvent rows (written into the client's Historial on conversion)."""

from __future__ import annotations

from django.db import models

from ispgest.clients.history import record_event
from ispgest.core.audit import audit
from ispgest.crm.models import ProspectEvent


def record(
    *,
    actor,
    action: str,
    summary: str,
    obj: models.Model,
    changes: dict | None = None,
    client=None,
    prospect=None,
) -> None:
    audit(
        actor=actor,
        action=action,
        obj=obj,
        summary=summary,
        changes=changes,
        client_id=client.pk if client is not None else None,
    )
    if client is not None:
        record_event(
            client=client,
            actor=actor,
            action=action,
            summary=summary,
            changes=changes,
            obj=obj,
            audit_entry=False,
        )
    elif prospect is not None:
        ProspectEvent.objects.create(
            prospect=prospect,
            actor=actor if getattr(actor, "pk", None) else None,
            action=action[:60],
            summary=summary[:4000],
            changes=changes or {},
            object_type=obj._meta.label_lower,
            object_id=str(obj.pk),
        )
