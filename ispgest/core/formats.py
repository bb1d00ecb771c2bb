"""One way to write amounts, numbers, percentages and dates: the ISP's country profile.

Services use these in the texts they store (history summaries, e-mail bodies), templates use
the filters of the same names (`money`, `number`, `percent`, `fdate`, `fdatetime`), so a page,
a PDF and an e-mail show "$ 3.500,00" and "01/12/2026" alike.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from ispgest.core.country import get_profile


def money(value: Decimal | int | str | None) -> str:
    return get_profile().format_money(value)


def number(value: Decimal | int | float | str | None, places: int | None = None) -> str:
    return get_profile().format_number(value, places)


def percent(value: Decimal | int | str | None) -> str:
    return get_profile().format_percent(value)


def fdate(value: date | datetime | None) -> str:
    """A date (or a datetime, in the ISP's time zone) as the country writes dates."""
    profile = get_profile()
    if isinstance(value, datetime):
        return profile.format_datetime(value)
    return profile.format_date(value)


def plural(count: int, singular: str, plural_form: str) -> str:
    """ "1 mes", "3 meses": the count with the noun that agrees with it."""
    return f"{count} {singular if count == 1 else plural_form}"
