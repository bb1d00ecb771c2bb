"""What the apps above clients lend to it (registries), filled in their AppConfig.ready().

clients sits below contracts and billing and never imports them. The client list's contract
filters and its "Con facturas vencidas" filter, the suspended-contracts figure of the
dashboard tallies and the rename check of an invoiced client ask through these registries.
The upper app registers plain functions of its own, so an import error in it surfaces when
Django starts; a registry left empty means that app is not installed, and the feature it
lends is absent (no contract filter choices, no suspended figure, no invoices).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet


@dataclass(frozen=True)
class ContractLookups:
    # The contract filters' choices: the plans, the routers, the statuses [(value, label)].
    plans: Callable[[], QuerySet]
    routers: Callable[[], QuerySet]
    statuses: Callable[[], list[tuple[str, str]]]
    # The contracts meeting every condition ({"zone", "plan", "router", "status"}: model
    # rows or values); the client list keeps the clients with one (an `Exists` per client).
    matching: Callable[[dict[str, Any]], QuerySet]
    # {"client__seller_id", "client__zone_id", "n"} per (seller, zone): active clients with
    # a suspended contract.
    suspended_by_seller_zone: Callable[[], Iterable[dict[str, Any]]]


@dataclass(frozen=True)
class BillingLookups:
    has_invoices: Callable[[int], bool]  # (client id) -> any invoice at all
    overdue_client_ids: Callable[[], QuerySet]  # client ids with an unpaid invoice past due


_contracts: ContractLookups | None = None
_billing: BillingLookups | None = None


def register_contracts(lookups: ContractLookups) -> None:
    global _contracts
    _contracts = lookups


def register_billing(lookups: BillingLookups) -> None:
    global _billing
    _billing = lookups


def contracts() -> ContractLookups | None:
    return _contracts


def billing() -> BillingLookups | None:
    return _billing
