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
"""

from __future__ import annotations

import calendar
import time
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.db import IntegrityError, connection, transaction
from django.db.models import Q
from django.db.models.expressions import RawSQL
from django.utils import timezone

from ispgest.billing import numbering, signals
from ispgest.billing.calc import (
    NO_TAX,
    ZERO,
    DocumentDraft,
    LineDraft,
    TaxInfo,
    cents,
)
from ispgest.billing.models import (
    DEBT_KINDS,
    BillingRun,
    DocumentKind,
    Invoice,
    InvoiceLine,
    InvoiceStatus,
    issued_word,
)
from ispgest.catalog.models import (
    BillingCycle,
    BillingEntity,
    InvoiceType,
    LegalKind,
    PointOfSale,
    Tax,
    TaxCondition,
)
from ispgest.clients.history import record_events_bulk
from ispgest.clients.models import Client, EventKind
from ispgest.contracts.models import (
    Contract,
    ContractStatus,
    ContractStatusChange,
    PackageAssignment,
    PackageAssignmentLine,
    Plan,
    PlanAssignment,
)
from ispgest.core.bulk import bulk_write
from ispgest.core.country import get_profile
from ispgest.core.exceptions import DomainError
from ispgest.core.money import default_currency

CHUNK_SIZE = 5000


def add_months(d: date, months: int) -> date:
    month = d.month - 1 + months
    year = d.year + month // 12
    month = month % 12 + 1
    return date(year, month, min(d.day, calendar.monthrange(year, month)[1]))


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


@dataclass
class Catalogs:
    """The small configuration tables, loaded once per run."""

    taxes: dict
    conditions: dict
    entities: dict
    types: dict
    pos: dict  # entity id -> (pos id, number) of its first active point of sale
    cycles: dict
    default_cycle: int | None

    @classmethod
    def load(cls) -> Catalogs:
        pos: dict = {}
        for p in PointOfSale.objects.filter(active=True).order_by("billing_entity_id", "number"):
            pos.setdefault(p.billing_entity_id, (p.id, p.number))
        cycles = {c.id: c for c in BillingCycle.objects.all()}
        default = next((c.id for c in cycles.values() if c.is_default), None)
        return cls(
            taxes={
                t.id: TaxInfo(t.id, t.name, t.rate, t.included_in_price) for t in Tax.objects.all()
            },
            conditions={c.id: c for c in TaxCondition.objects.all()},
            entities={e.id: e for e in BillingEntity.objects.all()},
            types={t.id: t for t in InvoiceType.objects.all()},
            pos=pos,
            cycles=cycles,
            default_cycle=default,
        )

    def tax_for(self, client: dict, item_tax_id: int | None) -> TaxInfo:
        """The client's own tax wins; else the plan's/product's; exempt and fantasía: none."""
        condition = self.conditions.get(client["tax_condition_id"])
        entity = self.entities.get(client["billing_entity_id"])
        if condition is not None and condition.tax_exempt:
            return NO_TAX
        if entity is not None and entity.kind == LegalKind.FANTASY:
            return NO_TAX
        tax_id = client["billing_tax_id"] or item_tax_id
        return self.taxes.get(tax_id, NO_TAX) if tax_id else NO_TAX


_CLIENT_FIELDS = (
    "id",
    "name",
    "tax_id",
    "tax_id_kind",
    "address",
    "billing_entity_id",
    "invoice_type_id",
    "billing_tax_id",
    "tax_condition_id",
    "billing_cycle_id",
)


def _active_intervals(contract: dict, changes: list, lo: date, hi: date) -> list[tuple]:
    """[a, b) sub-intervals of [lo, hi) in which the contract was active (billable)."""
    lo = max(lo, contract["start_date"])
    if contract["end_date"] is not None:
        hi = min(hi, contract["end_date"])
    if lo >= hi:
        return []
    if changes:
        status = changes[0][0] or ContractStatus.PENDING_INSTALLATION
    elif contract["status"] == ContractStatus.CANCELLED:
        status = ContractStatus.ACTIVE  # no log: active until its end date
    else:
        status = contract["status"]
    intervals = []
    cursor = lo
    for _from, to, when in changes:
        if when <= lo:
            status = to
            continue
        if when >= hi:
            break
        if status == ContractStatus.ACTIVE and when > cursor:
            intervals.append((cursor, when))
        cursor = max(cursor, when)
        status = to
    if status == ContractStatus.ACTIVE and cursor < hi:
        intervals.append((cursor, hi))
    return intervals


def _fmt(d: date) -> str:
    return get_profile().format_date(d)


def build_drafts(contract_ids: list[int], run_date: date, cat: Catalogs | None = None):
    """(drafts, errors) for these contracts on `run_date`: what the run would issue.

    A fixed number of queries whatever the number of contracts. Never writes.
    """
    cat = cat or Catalogs.load()
    period_start, period_end = period_for(run_date)
    period_days = (period_end - period_start).days
    contracts = list(
        Contract.objects.filter(in_ids("id", contract_ids))
        .order_by("client_id", "id")
        .values(
            "id",
            "client_id",
            "status",
            "start_date",
            "end_date",
            "plan_id",
            "plan__name",
            "plan__price",
            "plan__tax_id",
            "plan__kind",
        )
    )
    client_ids = sorted({c["client_id"] for c in contracts})
    clients = {
        c["id"]: c for c in Client.objects.filter(in_ids("id", client_ids)).values(*_CLIENT_FIELDS)
    }
    assignments = defaultdict(list)
    for a in (
        PlanAssignment.objects.filter(
            in_ids("contract_id", contract_ids), start_date__lt=period_end
        )
        .filter(Q(end_date__isnull=True) | Q(end_date__gt=period_start))
        .order_by("contract_id", "start_date", "id")
        .values_list("contract_id", "start_date", "end_date", "price", "plan__name", "plan__tax_id")
    ):
        assignments[a[0]].append(a[1:])
    changes = defaultdict(list)
    for ch in (
        ContractStatusChange.objects.filter(
            in_ids("contract_id", contract_ids), effective_date__lt=period_end
        )
        .order_by("contract_id", "effective_date", "id")
        .values_list("contract_id", "from_status", "to_status", "effective_date")
    ):
        changes[ch[0]].append(ch[1:])
    packages = list(
        PackageAssignment.objects.filter(
            in_ids("contract_id", contract_ids)
            | (Q(contract__isnull=True) & in_ids("client_id", client_ids)),
            status=PackageAssignment.Status.ACTIVE,
            next_renewal_date__lt=period_end,
            start_date__lt=period_end,
        )
        .order_by("id")
        .values("id", "client_id", "contract_id", "package__name", "next_renewal_date")
    )
    package_lines = defaultdict(list)
    if packages:
        for line in (
            PackageAssignmentLine.objects.filter(assignment_id__in=[p["id"] for p in packages])
            .order_by("assignment_id", "position", "id")
            .values(
                "assignment_id",
                "description",
                "product__name",
                "product__tax_id",
                "quantity",
                "unit_price",
                "tax_id",
            )
        ):
            package_lines[line["assignment_id"]].append(line)

    drafts: list[DocumentDraft] = []
    errors: list[dict] = []
    by_contract: dict[int, DocumentDraft] = {}
    first_draft_of_client: dict[int, DocumentDraft] = {}
    label = f"{_fmt(period_start)} a {_fmt(period_end - timedelta(days=1))}"
    for c in contracts:
        client = clients[c["client_id"]]
        if not client["billing_entity_id"] or not client["invoice_type_id"]:
            errors.append(
                {
                    "client_id": client["id"],
                    "contract_id": c["id"],
                    "message": f"El cliente «{client['name']}» no tiene razón social o tipo de "
                    "factura: su contrato no se factura.",
                }
            )
            continue
        lines: list[LineDraft] = []
        intervals = _active_intervals(c, changes.get(c["id"], []), period_start, period_end)
        if c["plan__kind"] == Plan.Kind.ONE_OFF:
            if period_start <= c["start_date"] < period_end and intervals:
                tax = cat.tax_for(client, c["plan__tax_id"])
                lines.append(
                    LineDraft(c["plan__name"], Decimal("1"), c["plan__price"], tax, source="plan")
                )
        else:
            segs = assignments.get(c["id"]) or [
                (c["start_date"], None, c["plan__price"], c["plan__name"], c["plan__tax_id"])
            ]
            for a_start, a_end, price, plan_name, plan_tax in segs:
                days = 0
                for lo, hi in intervals:
                    a = max(lo, a_start)
                    b = min(hi, a_end) if a_end else hi
                    if b > a:
                        days += (b - a).days
                if not days:
                    continue
                if days == period_days:
                    amount, text = price, f"{plan_name} · {label}"
                else:
                    amount = cents(price * days / period_days)
                    text = f"{plan_name} · {label} (prorrateo {days} de {period_days} días)"
                tax = cat.tax_for(client, plan_tax)
                lines.append(LineDraft(text, Decimal("1"), amount, tax, source="plan"))
        draft = _new_draft(cat, client, run_date, kind=DocumentKind.INVOICE)
        draft.contract_id = c["id"]
        draft.period_start, draft.period_end = period_start, period_end
        draft.lines = lines
        by_contract[c["id"]] = draft
        first_draft_of_client.setdefault(client["id"], draft)
        drafts.append(draft)
    for p in packages:
        target = by_contract.get(p["contract_id"]) if p["contract_id"] else None
        if target is None and p["contract_id"] is None:
            target = first_draft_of_client.get(p["client_id"])
        if target is None:
            continue
        client = clients[target.client_id]
        for line in package_lines.get(p["id"], []):
            text = line["description"] or line["product__name"] or p["package__name"]
            tax = cat.tax_for(client, line["tax_id"] or line["product__tax_id"])
            target.lines.append(
                LineDraft(
                    f"{text} ({p['package__name']}, renovación {_fmt(p['next_renewal_date'])})",
                    line["quantity"],
                    line["unit_price"],
                    tax,
                    source="package",
                )
            )
        target.package_ids.append(p["id"])
    drafts = [d for d in drafts if d.lines and d.total > 0]
    refused = signals.check_drafts(drafts)
    if refused:
        for index, reason in sorted(refused.items()):
            d = drafts[index]
            errors.append(
                {"client_id": d.client_id, "contract_id": d.contract_id, "message": reason}
            )
        drafts = [d for i, d in enumerate(drafts) if i not in refused]
    return drafts, errors


def _new_draft(cat: Catalogs, client: dict, issue_date: date, *, kind: str) -> DocumentDraft:
    entity = cat.entities[client["billing_entity_id"]]
    condition = cat.conditions.get(client["tax_condition_id"])
    cycle = cat.cycles.get(client["billing_cycle_id"] or cat.default_cycle)
    pos = cat.pos.get(entity.id)
    return DocumentDraft(
        kind=kind,
        client_id=client["id"],
        billing_entity_id=entity.id,
        invoice_type_id=client["invoice_type_id"],
        point_of_sale_id=pos[0] if pos else None,
        legal=entity.kind == LegalKind.LEGAL,
        client_name=client["name"],
        client_tax_id=client["tax_id"],
        client_tax_id_kind=client["tax_id_kind"],
        client_address=client["address"],
        client_tax_condition=condition.name if condition else "",
        issue_date=issue_date,
        due_date=issue_date + timedelta(days=cycle.days_until_due if cycle else 10),
    )


def client_draft(client: Client, *, kind: str, issue_date: date) -> DocumentDraft:
    """An empty draft for one client (manual documents): same snapshot rules as the run."""
    cat = Catalogs.load()
    data = {f: getattr(client, f) for f in _CLIENT_FIELDS}
    return _new_draft(cat, data, issue_date, kind=kind)


# ---------------------------------------------------------------------------------------------
# Writing


@dataclass
class Issued:
    """What the writer returns: enough for callers without loading model instances."""

    ids: list[int]
    totals: list[Decimal]

    def fetch(self) -> list[Invoice]:
        by_id = Invoice.objects.in_bulk(self.ids)
        return [by_id[i] for i in self.ids]


def issue_drafts(drafts: list[DocumentDraft], *, actor, run: BillingRun | None = None) -> Issued:
    """Number and insert documents (call inside a transaction).

    A draft a fiscal regime refuses (signals.draft_checks: a recipient NIF with a wrong check
    digit...) is refused here, before any number is taken.
    """
    if not drafts:
        return Issued([], [])
    refused = signals.check_drafts(drafts)
    if refused:
        raise DomainError(refused[min(refused)], field="client")
    seqs = {}
    draft_seq = []
    for d in drafts:
        key = (d.billing_entity_id, d.kind, d.invoice_type_id, d.point_of_sale_id)
        if key not in seqs:
            seqs[key] = numbering.get_sequence(
                entity_id=d.billing_entity_id,
                kind=d.kind,
                invoice_type_id=d.invoice_type_id,
                pos_id=d.point_of_sale_id,
            )
        draft_seq.append(seqs[key])
    dates: dict[int, tuple[date, date]] = {}
    for d, s in zip(drafts, draft_seq, strict=True):
        low, high = dates.get(s.id, (d.issue_date, d.issue_date))
        if d.issue_date < high:
            raise DomainError(
                "Fecha de emisión: los documentos de una misma numeración se emiten en orden "
                "de fecha.",
                field="issue_date",
            )
        dates[s.id] = (min(low, d.issue_date), d.issue_date)
    firsts = numbering.reserve(Counter(s.id for s in draft_seq), dates)
    return _insert(drafts, draft_seq, firsts, actor=actor, run=run)


INVOICE_COLUMNS = (
    "kind",
    "status",
    "client_id",
    "contract_id",
    "billing_run_id",
    "sequence_id",
    "number",
    "number_display",
    "billing_entity_id",
    "invoice_type_id",
    "point_of_sale_id",
    "legal",
    "currency",
    "client_name",
    "client_tax_id",
    "client_tax_id_kind",
    "client_address",
    "client_tax_condition",
    "period_start",
    "period_end",
    "issue_date",
    "due_date",
    "subtotal",
    "tax_total",
    "total",
    "paid_amount",
    "credited_amount",
    "credited_invoice_id",
    "source_package_id",
    "sepa_state",
    "notes",
    "created_by_id",
    "created_at",
    "updated_at",
)
LINE_COLUMNS = (
    "invoice_id",
    "position",
    "source",
    "description",
    "quantity",
    "unit_price",
    "tax_id",
    "tax_name",
    "tax_rate",
    "tax_included",
    "net_amount",
    "tax_amount",
    "total",
)


_KIND_LABELS = dict(DocumentKind.choices)


def _insert(drafts, draft_seq, firsts, *, actor, run) -> Issued:
    type_codes = dict(InvoiceType.objects.values_list("id", "code"))
    pos_numbers = dict(PointOfSale.objects.values_list("id", "number"))
    next_number = dict(firsts)
    actor_id = actor.pk if getattr(actor, "pk", None) else None
    run_id = run.pk if run is not None else None
    currency = default_currency()
    now = timezone.now()
    rows = []
    numbers = []
    for d, seq in zip(drafts, draft_seq, strict=True):
        number = next_number[seq.id]
        next_number[seq.id] += 1
        display = numbering.format_number(
            kind=d.kind,
            number=number,
            type_code=type_codes.get(seq.invoice_type_id, ""),
            pos_number=pos_numbers.get(seq.point_of_sale_id),
        )
        numbers.append(display)
        total = d.total
        rows.append(
            (
                d.kind,
                InvoiceStatus.PENDING,
                d.client_id,
                d.contract_id,
                run_id,
                seq.id,
                number,
                display,
                d.billing_entity_id,
                d.invoice_type_id,
                d.point_of_sale_id,
                d.legal,
                currency,
                d.client_name[:255],
                d.client_tax_id,
                d.client_tax_id_kind,
                d.client_address[:255],
                d.client_tax_condition[:120],
                d.period_start,
                d.period_end,
                d.issue_date,
                d.due_date,
                d.subtotal,
                d.tax_total,
                total,
                ZERO,
                ZERO,
                d.credited_invoice_id,
                d.source_package_id,
                "",
                d.notes,
                actor_id,
                now,
                now,
            )
        )
    ids = bulk_write(Invoice, INVOICE_COLUMNS, rows, ids=True)
    lines = []
    for inv_id, d in zip(ids, drafts, strict=True):
        for pos, ld in enumerate(d.lines, start=1):
            lines.append(
                (
                    inv_id,
                    pos,
                    ld.source,
                    ld.description[:255],
                    ld.quantity,
                    ld.unit_price,
                    ld.tax.id,
                    ld.tax.name,
                    ld.tax.rate,
                    ld.tax.included,
                    ld.net,
                    ld.tax_amount,
                    ld.total,
                )
            )
    bulk_write(InvoiceLine, LINE_COLUMNS, lines)
    profile = get_profile()
    events = []
    totals = []
    deltas: dict[int, tuple] = {}
    for inv_id, d, display in zip(ids, drafts, numbers, strict=True):
        total = d.total
        totals.append(total)
        label = _KIND_LABELS[d.kind]
        events.append(
            (
                d.client_id,
                now,
                actor_id,
                EventKind.AUTO,
                f"{d.kind}.issued",
                "",
                None,
                f"{label} {display} {issued_word(d.kind)} por {profile.format_money(total)}",
                {},
                "billing.invoice",
                str(inv_id),
            )
        )
        if d.kind in DEBT_KINDS:
            n, t, w = deltas.get(d.client_id, (0, ZERO, ZERO))
            deltas[d.client_id] = (n + 1, t + total, w)
    record_events_bulk(events)
    bump_balances(deltas)
    renew_packages([pid for d in drafts for pid in d.package_ids], actor=actor)
    signals.documents_issued.send(sender=Invoice, invoice_ids=list(ids), actor=actor, run=run)
    return Issued(ids, totals)


def renew_packages(package_ids: list[int], *, actor=None) -> None:
    """Move each invoiced package's next renewal date on by its renewal period (through
    contracts' service, which writes their history and audit rows)."""
    from ispgest.contracts.services import package_assignments_renewed

    package_assignments_renewed(actor=actor, assignment_ids=package_ids)


def bump_balances(deltas: dict[int, tuple[int, Decimal, Decimal]]) -> None:
    """Add (unpaid count, unpaid total, wallet) deltas to clients' ClientBalance rows.

    Increments, not rewrites: two transactions touching one client both land (each UPDATE
    takes the row lock and reads the committed value).
    """
    from ispgest.billing.models import ClientBalance

    deltas = {k: v for k, v in deltas.items() if any(v)}
    if not deltas:
        return
    ids = sorted(deltas)
    with connection.cursor() as cur:
        if connection.vendor == "postgresql":
            params = [
                ids,
                [deltas[c][0] for c in ids],
                [str(deltas[c][1]) for c in ids],
                [str(deltas[c][2]) for c in ids],
            ]
            if all(n >= 0 and t >= 0 and w >= 0 for n, t, w in deltas.values()):
                # The run's case (only additions): one UPSERT.
                cur.execute(
                    "INSERT INTO billing_clientbalance "
                    "(client_id, unpaid_count, unpaid_total, wallet_balance, updated_at) "
                    "SELECT cid, n, t, w, now() "
                    "FROM unnest(%s::bigint[], %s::int[], %s::numeric[], %s::numeric[]) "
                    "AS v(cid, n, t, w) ON CONFLICT (client_id) DO UPDATE SET "
                    "unpaid_count = billing_clientbalance.unpaid_count + EXCLUDED.unpaid_count, "
                    "unpaid_total = billing_clientbalance.unpaid_total + EXCLUDED.unpaid_total, "
                    "wallet_balance = billing_clientbalance.wallet_balance "
                    "+ EXCLUDED.wallet_balance, updated_at = now()",
                    params,
                )
                return
            # Two statements: a CHECK (count >= 0) would refuse a negative delta as the
            # proposed row of an INSERT ... ON CONFLICT, before the conflict is seen.
            cur.execute(
                "INSERT INTO billing_clientbalance "
                "(client_id, unpaid_count, unpaid_total, wallet_balance, updated_at) "
                "SELECT cid, 0, 0, 0, now() FROM unnest(%s::bigint[]) AS v(cid) "
                "ON CONFLICT (client_id) DO NOTHING",
                [ids],
            )
            cur.execute(
                "UPDATE billing_clientbalance b SET unpaid_count = b.unpaid_count + v.n, "
                "unpaid_total = b.unpaid_total + v.t, "
                "wallet_balance = b.wallet_balance + v.w, updated_at = now() "
                "FROM unnest(%s::bigint[], %s::int[], %s::numeric[], %s::numeric[]) "
                "AS v(cid, n, t, w) WHERE b.client_id = v.cid",
                params,
            )
            return
    ClientBalance.objects.bulk_create(
        [ClientBalance(client_id=cid) for cid in ids], ignore_conflicts=True, batch_size=500
    )
    with connection.cursor() as cur:
        cur.executemany(
            "UPDATE billing_clientbalance SET unpaid_count = unpaid_count + %s, "
            "unpaid_total = unpaid_total + %s, wallet_balance = wallet_balance + %s, "
            "updated_at = CURRENT_TIMESTAMP WHERE client_id = %s",
            [(n, str(t), str(w), cid) for cid, (n, t, w) in deltas.items()],
        )


def in_ids(field: str, ids) -> Q:
    """`field IN ids` that stays cheap for thousands of ids: one array parameter on
    PostgreSQL instead of one placeholder (and one ORM lookup) per id."""
    ids = list(ids)
    if connection.vendor == "postgresql":
        return Q(**{f"{field}__in": RawSQL("SELECT unnest(%s::bigint[])", [ids])})
    return Q(**{f"{field}__in": ids})


# ---------------------------------------------------------------------------------------------
# The run


def _chunks_by_client(pairs, size: int):
    chunk: list[int] = []
    last_client = None
    for contract_id, client_id in pairs:
        if len(chunk) >= size and client_id != last_client:
            yield chunk
            chunk = []
        chunk.append(contract_id)
        last_client = client_id
    if chunk:
        yield chunk


def _after_chunk(run: BillingRun, index: int) -> None:
    """Hook between committed chunks (tests use it to kill a run half-way)."""


def billing_run_execute(run: BillingRun, *, chunk_size: int = CHUNK_SIZE, notify: bool = True):
    """Issue every invoice the run's date calls for; resumable and idempotent."""
    from ispgest.billing.tasks import send_invoice_emails
    from ispgest.core.models import Job

    started = time.monotonic()
    cat = Catalogs.load()
    pairs = list(billable_contracts(run.run_date))
    period_start, _ = period_for(run.run_date)
    if run.job_id:
        Job.objects.filter(pk=run.job_id).update(
            status=Job.Status.RUNNING, started_at=timezone.now(), total=len(pairs), done=0
        )
    done = issued = skipped = 0
    total = ZERO
    errors: list[dict] = []
    for index, chunk in enumerate(_chunks_by_client(pairs, chunk_size)):
        drafts, chunk_errors = build_drafts(chunk, run.run_date, cat)
        errors.extend(chunk_errors)
        for attempt in range(3):
            try:
                with transaction.atomic():
                    todo = _lock_and_filter(drafts, period_start)
                    issued_now = issue_drafts(todo, actor=run.created_by, run=run)
                    # E-mails (a PDF each) go out in small tasks so workers share them.
                    for start in range(0, len(issued_now.ids) if notify else 0, 200):
                        ids = issued_now.ids[start : start + 200]
                        transaction.on_commit(lambda ids=ids: send_invoice_emails.enqueue(ids))
                break
            except IntegrityError:
                if attempt == 2:
                    raise
        issued += len(issued_now.ids)
        skipped += len(drafts) - len(todo)
        total += sum(issued_now.totals, ZERO)
        done += len(chunk)
        if run.job_id:
            Job.objects.filter(pk=run.job_id).update(
                done=done, message=f"{issued} facturas emitidas"
            )
        _after_chunk(run, index)
    run.contracts_seen = len(pairs)
    run.invoices_issued = issued
    run.already_invoiced = skipped
    run.total = total
    run.errors = errors[:500]
    run.status = BillingRun.Status.DONE
    run.finished_at = timezone.now()
    run.seconds = round(time.monotonic() - started, 3)
    run.save(
        update_fields=[
            "contracts_seen",
            "invoices_issued",
            "already_invoiced",
            "total",
            "errors",
            "status",
            "finished_at",
            "seconds",
        ]
    )
    if run.job_id:
        Job.objects.filter(pk=run.job_id).update(
            status=Job.Status.DONE,
            finished_at=timezone.now(),
            done=len(pairs),
            message=f"{issued} facturas emitidas",
            result={"invoices": issued, "already_invoiced": skipped, "errors": len(errors)},
        )
    return run


def _lock_and_filter(drafts: list[DocumentDraft], period_start: date) -> list[DocumentDraft]:
    """Lock the sequences the drafts need, then drop contracts already invoiced.

    Whoever inserts invoices for these sequences holds the same locks, so once we have them
    the check below sees every committed invoice of a concurrent worker.
    """
    if not drafts:
        return []
    keys = {(d.billing_entity_id, d.kind, d.invoice_type_id, d.point_of_sale_id) for d in drafts}
    ids = sorted(
        numbering.get_sequence(entity_id=e, kind=k, invoice_type_id=t, pos_id=p).id
        for e, k, t, p in keys
    )
    from ispgest.billing.models import NumberSequence

    list(NumberSequence.objects.select_for_update().filter(id__in=ids).order_by("id"))
    existing = set(
        Invoice.objects.filter(
            kind=DocumentKind.INVOICE,
            period_start=period_start,
        )
        .filter(in_ids("contract_id", [d.contract_id for d in drafts]))
        .values_list("contract_id", flat=True)
    )
    return [d for d in drafts if d.contract_id not in existing]


def next_run_date(client: Client, today: date) -> date | None:
    cycle = client.billing_cycle or BillingCycle.objects.filter(is_default=True).first()
    if cycle is None:
        return None
    candidate = today.replace(day=cycle.day_of_month)
    if candidate < today:
        candidate = add_months(candidate, 1)
    return candidate


def preview_client(client: Client, *, today: date | None = None, horizon: int = 12):
    """The next invoices the run will issue for a client, computed by the run's own code;
    never stored.

    Starts at the next cycle date from today and moves on a cycle at a time while every
    contract that run would bill is already invoiced (the run of today already happened, or
    a run was made in advance), so the preview shows the next invoice, not "nothing to
    invoice" for a period already billed. Returns (run_date, drafts, errors); run_date is
    None when the client has no cycle.
    """
    today = today or timezone.localdate()
    run_date = next_run_date(client, today)
    if run_date is None or not client.billing_enabled:
        return run_date, [], []
    first = run_date
    for _ in range(horizon):
        period_start, _end = period_for(run_date)
        ids = [cid for cid, _client in billable_contracts(run_date, client_ids=[client.pk])]
        if not ids:
            break
        invoiced = set(
            Invoice.objects.filter(
                kind=DocumentKind.INVOICE, period_start=period_start, contract_id__in=ids
            ).values_list("contract_id", flat=True)
        )
        pending = [cid for cid in ids if cid not in invoiced]
        if pending:
            drafts, errors = build_drafts(pending, run_date)
            return run_date, drafts, errors
        run_date = add_months(run_date, 1)
    return first, [], []
