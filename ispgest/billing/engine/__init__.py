"""The billing run and the next-invoice preview: one code path for both.

For a run date D (a billing-cycle day) each billing-enabled active client whose cycle day is
D.day gets ONE invoice PER contract for the period [D - 1 month, D) (billed in arrears, so
starts, plan changes, suspensions and cancellations inside the period are known and
prorated by days), plus the lines of its renewable packages that fell due before D.

The run reads in chunks of whole clients, computes in Python and writes each chunk in one
transaction: lock the number sequences, drop contracts already invoiced for the period
(a rerun, or another worker), reserve the numbers, bulk-insert invoices, lines and history,
bump the clients' balances. A unique constraint on (contract, period_start) backs this up;
a chunk that hits it is retried. A run killed half-way keeps its committed chunks; running it
again invoices only the rest, and numbers stay gapless because a chunk's numbers and its
rows commit or roll back together.

Modules: `periods` (the month a run date invoices, the contracts it looks at, a client's
next cycle date), `drafts` (what would be issued, and the preview), `issuing` (numbering
and bulk inserts), `balances` (the clients' balance increments), `run` (the chunked run).
Their public names are re-exported here.
"""

from ispgest.billing.engine.balances import bump_balances
from ispgest.billing.engine.drafts import (
    _CLIENT_FIELDS,
    Catalogs,
    build_drafts,
    client_draft,
    preview_client,
)
from ispgest.billing.engine.issuing import (
    INVOICE_COLUMNS,
    LINE_COLUMNS,
    Issued,
    issue_drafts,
    renew_packages,
)
from ispgest.billing.engine.periods import (
    add_months,
    billable_contracts,
    default_cycle_day,
    next_run_date,
    period_for,
)
from ispgest.billing.engine.run import CHUNK_SIZE, billing_run_execute
from ispgest.core.bulk import in_ids

__all__ = [
    "CHUNK_SIZE",
    "INVOICE_COLUMNS",
    "LINE_COLUMNS",
    "_CLIENT_FIELDS",
    "Catalogs",
    "Issued",
    "add_months",
    "billable_contracts",
    "billing_run_execute",
    "build_drafts",
    "bump_balances",
    "client_draft",
    "default_cycle_day",
    "in_ids",
    "issue_drafts",
    "next_run_date",
    "period_for",
    "preview_client",
    "renew_packages",
]
