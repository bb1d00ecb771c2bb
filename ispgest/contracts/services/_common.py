"""Helpers the contracts services share."""

from __future__ import annotations

import calendar
from datetime import date
from typing import Any

from django.utils import timezone


def add_months(day: date, months: int) -> date:
    """`day` plus `months` calendar months, clamped to the month's last day (31/01 + 1 = 28/02)."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def _apply(instance, data: dict[str, Any], allowed: tuple[str, ...]) -> list[str]:
    changed = []
    for name, value in data.items():
        if name not in allowed:
            continue
        field = instance._meta.get_field(name)
        attr = field.attname if field.is_relation and not hasattr(value, "_meta") else name
        if getattr(instance, attr) != value:
            setattr(instance, attr, value)
            changed.append(name)
    return changed


def _clean(instance, exclude: list[str] | None = None) -> None:
    # Constraints are checked by the services with Spanish messages (and by the database).
    instance.full_clean(exclude=exclude, validate_constraints=False)


def _today() -> date:
    return timezone.localdate()


def _label(choices, value) -> str:
    return str(dict(choices).get(value, value))
