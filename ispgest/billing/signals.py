"""Domain events of billing, sent by `billing.services`/`billing.engine` inside the writing
transaction (see clients/signals.py for the rules receivers follow)."""

from django.dispatch import Signal

# invoice_ids=list[int] (every kind: invoices, credit notes, quotes, delivery notes), actor,
# run=BillingRun | None. Sent in the transaction that numbers the documents, after their
# rows and lines are written: a receiver that raises leaves neither numbers nor documents.
documents_issued = Signal()
# payment=Payment, actor
payment_registered = Signal()
# payment=Payment (the original), reversal=Payment, actor
payment_reversed = Signal()
# run=BillingRun (finished: status done or failed), sent by the billing-run task once the
# run's outcome is saved (outside the chunks' transactions).
billing_run_finished = Signal()
