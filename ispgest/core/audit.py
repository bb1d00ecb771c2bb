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


def audit_many(*, actor, entries: list[dict]) -> None:
    """Append many audit entries of one actor at once (bulk writers: the billing run's
    package renewals...). Each entry holds `audit`'s keyword arguments but `actor`."""
    rows = []
    for entry in entries:
        obj = entry.get("obj")
        rows.append(
            AuditEntry(
                **_actor_fields(actor),
                action=entry["action"][:80],
                object_type=(entry.get("object_type") or obj._meta.label_lower)[:100],
                object_id=(entry.get("object_id") or str(obj.pk))[:64],
                object_repr=(entry.get("object_repr") or str(obj))[:255],
                client_id=entry.get("client_id"),
                summary=entry.get("summary", "")[:4000],
                changes=entry.get("changes") or {},
            )
        )
    AuditEntry.objects.bulk_create(rows, batch_size=1000)


_SKIP = {"id", "created_at", "updated_at", "password", "last_login"}


def _shown(instance: models.Model, field: models.Field) -> str:
    value = getattr(instance, field.attname)
    if value is None or value == "":
        return ""
    if field.choices:
        return str(dict(field.flatchoices).get(value, value))
    if isinstance(field, models.ForeignKey):
        related = getattr(instance, field.name, None)
        return str(related) if related is not None else str(value)
    if isinstance(field, models.BooleanField):
        return "Sí" if value else "No"
    return str(value)


def changes_of(old: models.Model | None, new: models.Model) -> dict[str, list[str]]:
    """{field label: [old, new]} of every concrete field that differs (all of them, from ""
    to their value, for a new row); timestamps and secrets are left out."""
    out = {}
    for field in new._meta.concrete_fields:
        if field.name in _SKIP or getattr(field, "audit_exclude", False):
            continue
        after = _shown(new, field)
        before = _shown(old, field) if old is not None else ""
        if before != after:
            out[str(field.verbose_name)] = [before, after]
    return out


def audit_entries(
    *,
    actor_id: int | None = None,
    action: str = "",
    object_type: str = "",
    client_id: int | None = None,
    since=None,
    until=None,
):
    """The audit trail, newest first, filtered (the "Auditoría" page reads it)."""
    from datetime import datetime, time, timedelta

    from django.utils import timezone

    qs = AuditEntry.objects.select_related("actor").order_by("-created_at", "-id")
    if actor_id:
        qs = qs.filter(actor_id=actor_id)
    if action:
        qs = qs.filter(action__startswith=action)
    if object_type:
        qs = qs.filter(object_type=object_type)
    if client_id:
        qs = qs.filter(client_id=client_id)
    tz = timezone.get_current_timezone()
    if since:
        qs = qs.filter(created_at__gte=datetime.combine(since, time.min, tzinfo=tz))
    if until:
        end = datetime.combine(until + timedelta(days=1), time.min, tzinfo=tz)
        qs = qs.filter(created_at__lt=end)
    return qs
