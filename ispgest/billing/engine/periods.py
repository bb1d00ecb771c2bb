"""Billing periods: the month a run date invoices, which contracts it looks at, and the
next cycle date of a client."""

from __future__ import annotations

from datetime import date

from django.db.models import Q

from ispgest.catalog.models import BillingCycle
from ispgest.clients.models import Client
from ispgest.contracts.models import Contract, ContractStatus
from ispgest.core.dates import add_months


def period_for(run_date: date) -> tuple[date, date]:
    """[start, end) of the period a run on `run_date` invoices (the month just ended)."""
    return add_months(run_date, -1), run_date


def default_cycle_day() -> int | None:
    cycle = BillingCycle.objects.filter(is_default=True).only("day_of_month").first()
    return cycle.day_of_month if cycle else None


def billable_contracts(run_date: date, client_ids=None):
    """(contract id, client id) pairs the run for `run_date` looks at, ordered by client."""
    period_start, period_end = period_for(run_date)
    due = Q(client__billing_cycle__day_of_month=run_date.day)
    if default_cycle_day() == run_date.day:
        due |= Q(client__billing_cycle__isnull=True)
    qs = Contract.objects.filter(
        due,
        client__billing_enabled=True,
        client__status=Client.Status.ACTIVE,
        start_date__lt=period_end,
    ).filter(
        Q(status__in=[ContractStatus.ACTIVE, ContractStatus.SUSPENDED])
        | Q(status=ContractStatus.CANCELLED, end_date__gt=period_start)
    )
    if client_ids is not None:
        qs = qs.filter(client_id__in=client_ids)
    return qs.order_by("client_id", "id").values_list("id", "client_id")


def next_run_date(client: Client, today: date) -> date | None:
    cycle = client.billing_cycle or BillingCycle.objects.filter(is_default=True).first()
    if cycle is None:
        return None
    candidate = today.replace(day=cycle.day_of_month)
    if candidate < today:
        candidate = add_months(candidate, 1)
    return candidate
