"""Who sees money and bank data: the one rule read by pages, API and exports.

- Money (`clients.view_money`, "Ver importes y deuda"): the unpaid count and amount of the
  client list ("Impagas") and its money filters, `unpaid_count`/`unpaid_total` in the API,
  the export's two unpaid columns, and plan and package prices. Administrador, Facturación,
  Recaudador and Vendedor hold it; a Técnico does not.
- Bank details (`clients.view_bank_details`, "Ver datos bancarios completos"): a mandate's
  whole IBAN, its BIC and its account holder. Administrador and Facturación hold it (they
  work with direct debits). Whoever holds only `clients.view_bankmandate` sees that a mandate
  exists with its IBAN masked to the last four characters; a Técnico holds neither.

The permissions are declared on the clients models and granted in each app's
`permissions.py`; the strings live here so that every layer (templates, contracts, the API)
reads the same rule.
"""

from __future__ import annotations

from ispgest.core.country import mask_iban

MONEY_PERMISSION = "clients.view_money"
BANK_DETAILS_PERMISSION = "clients.view_bank_details"


def can_view_money(user) -> bool:
    """May `user` see amounts and debt (unpaid invoices, prices)?"""
    return user is not None and user.has_perm(MONEY_PERMISSION)


def can_view_bank_details(user) -> bool:
    """May `user` read a mandate's whole IBAN, its BIC and its account holder?"""
    return user is not None and user.has_perm(BANK_DETAILS_PERMISSION)


def iban_for(user, iban: str) -> str:
    """The whole IBAN for users with the bank-details permission, masked for everyone else."""
    if can_view_bank_details(user):
        return iban or ""
    return mask_iban(iban)


def bank_detail_for(user, value: str) -> str:
    """A mandate's BIC or account holder: as stored for users with the bank-details
    permission, empty for everyone else."""
    return (value or "") if can_view_bank_details(user) else ""


def money_for(user, value):
    """`value` (an amount, a count) for users who see money, None for everyone else."""
    return value if can_view_money(user) else None
