"""Where billing meets the fiscal layer: the receivers and registry entries connected in
`FiscalConfig.ready()`. Each finds the regime of the documents' billing entities and hands
the legal invoices and credit notes to that regime's adapter (`fiscal/regimes.py`)."""

from __future__ import annotations

from collections import defaultdict

from ispgest.billing.models import DocumentKind, Invoice
from ispgest.catalog.models import BillingEntity, LegalKind
from ispgest.core.bulk import in_ids
from ispgest.fiscal import regimes

FISCAL_KINDS = (DocumentKind.INVOICE, DocumentKind.CREDIT_NOTE)

DOCUMENT_COLUMNS = (
    "id",
    "kind",
    "client_id",
    "billing_entity_id",
    "invoice_type_id",
    "number_display",
    "issue_date",
    "client_name",
    "client_tax_id",
    "client_tax_id_kind",
    "client_tax_condition",
    "client_tax_exempt",
    "subtotal",
    "tax_total",
    "total",
    "credited_invoice_id",
    "period_start",
    "period_end",
    "notes",
    "billing_entity__fiscal_regime",
)


def _regime_entities(entity_ids) -> dict[int, BillingEntity]:
    codes = list(regimes.registered())
    if not codes or not entity_ids:
        return {}
    return {
        e.pk: e
        for e in BillingEntity.objects.filter(
            pk__in=sorted(set(entity_ids)), kind=LegalKind.LEGAL, fiscal_regime__in=codes
        )
    }


def check_drafts(drafts) -> dict[int, str]:
    """billing.signals.draft_checks entry: ask each regime about its entities' drafts."""
    entities = _regime_entities(d.billing_entity_id for d in drafts if d.legal)
    if not entities:
        return {}
    by_regime: dict[str, list] = defaultdict(list)
    for index, d in enumerate(drafts):
        entity = entities.get(d.billing_entity_id)
        if entity is not None and d.legal and d.kind in FISCAL_KINDS:
            by_regime[entity.fiscal_regime].append((index, d))
    refused: dict[int, str] = {}
    for code, items in by_regime.items():
        refused.update(regimes.adapter_for(code).check_drafts(items, entities))
    return refused


def on_documents_issued(sender, invoice_ids, actor, run=None, **kwargs) -> None:
    """billing.signals.documents_issued receiver: fiscal records in the same transaction."""
    codes = list(regimes.registered())
    if not codes or not invoice_ids:
        return
    rows = list(
        Invoice.objects.filter(
            in_ids("id", invoice_ids),
            legal=True,
            kind__in=FISCAL_KINDS,
            billing_entity__kind=LegalKind.LEGAL,
            billing_entity__fiscal_regime__in=codes,
        )
        .order_by("id")
        .values(*DOCUMENT_COLUMNS)
    )
    by_regime: dict[str, list[dict]] = defaultdict(list)
    for row in rows:
        by_regime[row["billing_entity__fiscal_regime"]].append(row)
    for code, documents in by_regime.items():
        regimes.adapter_for(code).documents_issued(documents, actor=actor, run=run)


def _adapter_of(invoice):
    if not invoice.legal or invoice.kind not in FISCAL_KINDS:
        return None
    entity = invoice.billing_entity
    if entity.kind != LegalKind.LEGAL:
        return None
    return regimes.adapter_for(entity.fiscal_regime)


def document_marks(invoice) -> dict | None:
    adapter = _adapter_of(invoice)
    return adapter.document_marks(invoice) if adapter else None


def document_panels(request, invoice) -> list[dict]:
    adapter = _adapter_of(invoice)
    return adapter.document_panels(request, invoice) if adapter else []
