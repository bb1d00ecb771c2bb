"""Drafts: what a run (or the preview) would issue, computed in Python with a fixed number
of queries; never writes."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.db.models import Q
from django.utils import timezone

from ispgest.billing import signals
from ispgest.billing.calc import NO_TAX, DocumentDraft, LineDraft, TaxInfo, cents
from ispgest.billing.engine.periods import add_months, billable_contracts, next_run_date, period_for
from ispgest.billing.models import DocumentKind, Invoice
from ispgest.catalog.models import (
    BillingCycle,
    BillingEntity,
    InvoiceType,
    LegalKind,
    PointOfSale,
    Tax,
    TaxCondition,
)
from ispgest.clients.models import Client
from ispgest.contracts.models import (
    Contract,
    ContractStatus,
    ContractStatusChange,
    PackageAssignment,
    PackageAssignmentLine,
    Plan,
    PlanAssignment,
)
from ispgest.core.bulk import in_ids
from ispgest.core.country import get_profile


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
        client_tax_exempt=bool(condition and condition.tax_exempt),
        issue_date=issue_date,
        due_date=issue_date + timedelta(days=cycle.days_until_due if cycle else 10),
    )


def client_draft(client: Client, *, kind: str, issue_date: date) -> DocumentDraft:
    """An empty draft for one client (manual documents): same snapshot rules as the run."""
    cat = Catalogs.load()
    data = {f: getattr(client, f) for f in _CLIENT_FIELDS}
    return _new_draft(cat, data, issue_date, kind=kind)


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
