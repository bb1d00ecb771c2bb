"""Invoices with a chosen due date, issued through the service (issued documents are never
edited afterwards, so the date comes from the issue date and the cycle's days to due)."""

from __future__ import annotations

from datetime import date, timedelta

from django.utils import timezone

from ispgest.billing import services
from ispgest.billing.services import LineInput
from ispgest.catalog.models import BillingCycle


def invoice_due(client, amount="1000", *, due_in: int, today: date | None = None, text="Abono"):
    """An invoice of `client` falling due `due_in` days from today (negative: already due).
    Create older ones first: documents are numbered in date order."""
    today = today or timezone.localdate()
    if due_in >= 0:
        issue, days = today, due_in
    else:
        issue, days = today + timedelta(days=due_in - 10), 10
    BillingCycle.objects.filter(pk=client.billing_cycle_id).update(days_until_due=days)
    invoice = services.document_create(
        actor=None,
        client=client,
        lines=[LineInput(text, "1", amount)],
        issue_date=issue,
        notify=False,
    )
    assert invoice.due_date == today + timedelta(days=due_in)
    return invoice
