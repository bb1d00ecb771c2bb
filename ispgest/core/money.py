"""Money arithmetic shared by every app: one rounding rule for amounts and quantities.

Plans, packages, invoices, credit notes and the formatted figures all round through
`round_money`, so a package line shows the cent the invoice charges. The rule is the
country's: half up (0.125 -> 0.13) in every profile today.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")
ZERO = Decimal("0.00")
HUNDRED = Decimal("100")
ROUNDING = ROUND_HALF_UP


def round_money(value) -> Decimal:
    """`value` (Decimal, int or numeric text) rounded to cents with the installation's rule."""
    return Decimal(value).quantize(CENT, rounding=ROUNDING)


def default_currency() -> str:
    """The installation's one currency (ISO 4217), from its country profile."""
    from ispgest.core.country import get_profile

    return get_profile().currency
