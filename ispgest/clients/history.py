"""Writing the client's history (Historial) from any app's services.

Call `record_event` inside the service's transaction, so the history row and the change it
describes commit or roll back together. `snapshot`/`changes_between` produce the field-level
"old -> new" map with the labels staff read.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import date, datetime
from decimal import Decimal

from django.db import connection, models

from ispgest.clients.models import Client, ClientEvent, EventKind
from ispgest.core import formats
from ispgest.core.audit import audit
from ispgest.core.bulk import bulk_write


def _display(instance: models.Model, field: models.Field) -> str:
    value = getattr(instance, field.attname)
    if value is None or value == "":
        return ""
    if field.choices:
        return str(dict(field.flatchoices).get(value, value))
    if isinstance(field, models.ForeignKey):
        related = getattr(instance, field.name)
        return str(related) if related is not None else ""
    if isinstance(field, models.BooleanField):
        return "Sí" if value else "No"
    if isinstance(value, (date, datetime)):
        return formats.fdate(value)
    if isinstance(value, Decimal):
        return decimal_display(field.name, value)
    return str(value)


_MONEY_WORDS = ("price", "amount", "total", "balance", "limit", "capital", "fee", "cost")
_RATE_WORDS = ("rate", "percent", "probability", "discount")


def decimal_display(name: str, value: Decimal) -> str:
    """A decimal field's value as staff read it: money, a percentage or a plain number."""
    if any(word in name for word in _MONEY_WORDS):
        return formats.money(value)
    if any(word in name for word in _RATE_WORDS):
        return formats.percent(value)
    return formats.number(value)


def snapshot(instance: models.Model, fields: Iterable[str]) -> dict[str, tuple[str, str]]:
    """{field name: (label, displayed value)} for the given fields of an instance."""
    out = {}
    for name in fields:
        field = instance._meta.get_field(name)
        out[name] = (str(field.verbose_name), _display(instance, field))
    return out


def changes_between(
    before: dict[str, tuple[str, str]], after: dict[str, tuple[str, str]]
) -> dict[str, list[str]]:
    """{label: [old, new]} for every field whose displayed value changed."""
    changes = {}
    for name, (label, new) in after.items():
        old = before.get(name, (label, ""))[1]
        if old != new:
            changes[label] = [old, new]
    return changes


def record_event(
    *,
    client: Client,
    actor,
    action: str,
    summary: str,
    changes: dict | None = None,
    obj: models.Model | None = None,
    audit_entry: bool = True,
) -> ClientEvent:
    """Append an automatic history row for `client` (call inside the writing transaction),
    and the installation-wide audit entry of the same change (the history is the
    client-scoped view of the audit trail). `audit_entry=False`: the caller writes its own."""
    if audit_entry:
        audit(
            actor=actor,
            action=action,
            obj=obj if obj is not None else client,
            summary=summary,
            changes=changes,
            client_id=client.pk,
        )
    return ClientEvent.objects.create(
        client=client,
        actor=actor if getattr(actor, "pk", None) else None,
        kind=EventKind.AUTO,
        action=action,
        summary=summary[:4000],
        changes=changes or {},
        object_type=obj._meta.label_lower if obj is not None else "",
        object_id=str(obj.pk) if obj is not None else "",
    )


HISTORY_COLUMNS = (
    "client_id",
    "created_at",
    "actor_id",
    "kind",
    "action",
    "entry_type",
    "occurred_on",
    "summary",
    "changes",
    "object_type",
    "object_id",
)


def record_events_bulk(rows: list[tuple]) -> None:
    """Append many automatic history rows at once, each a tuple of HISTORY_COLUMNS with
    `changes` as a dict (bulk writers of other apps: the billing run's issued documents).
    Call inside the writing transaction."""
    if not rows:
        return
    at = HISTORY_COLUMNS.index("changes")
    if connection.vendor == "postgresql":  # COPY takes the JSON text
        rows = [(*r[:at], json.dumps(r[at], ensure_ascii=False), *r[at + 1 :]) for r in rows]
    bulk_write(ClientEvent, HISTORY_COLUMNS, rows)
