"""Month arithmetic (`add_months`, shared by contracts and billing) and the date rules every
service applies to the dates people type: nothing happens in the future (beyond today in the
installation's time zone) nor before the thing it belongs to."""

from __future__ import annotations

import calendar
from datetime import date, datetime

from django.utils import timezone

from ispgest.core.exceptions import DomainError


def _as_date(value) -> date:
    if isinstance(value, datetime):
        return timezone.localtime(value).date() if timezone.is_aware(value) else value.date()
    return value


def check_date(
    value: date,
    *,
    field: str,
    label: str,
    not_before: date | datetime | None = None,
    before_what: str = "",
    allow_future: bool = False,
) -> date:
    """Return `value` or raise DomainError (Spanish, naming the field) when it is after
    today or before `not_before` (the date of what it belongs to, named by `before_what`)."""
    today = timezone.localdate()
    if value > today and not allow_future:
        raise DomainError(
            f"{label}: no puede ser posterior a hoy ({today:%d/%m/%Y}).",
            field=field,
            code="date_in_future",
        )
    if not_before is not None:
        floor = _as_date(not_before)
        if value < floor:
            raise DomainError(
                f"{label}: no puede ser anterior a {before_what} ({floor:%d/%m/%Y}).",
                field=field,
                code="date_too_early",
            )
    return value


def add_months(day: date, months: int) -> date:
    """`day` plus `months` calendar months, clamped to the month's last day (31/01 + 1 = 28/02)."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))
