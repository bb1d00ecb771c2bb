"""The fiscal layer: one adapter per tax authority's regime, chosen by the billing entity.

A billing entity's `fiscal_regime` (catalog.FiscalRegime) names the adapter that reports
its legal documents (invoices and credit notes) to its tax authority. Billing knows nothing
of adapters: it offers registries and a signal (billing/signals.py) that `ispgest.fiscal`
fills and listens to (`fiscal/hooks.py`), and every adapter is called through them:

- `check_drafts` before a document is numbered: a refusal keeps the document from being
  issued (a billing run reports it as that contract's error);
- `documents_issued` inside the transaction that numbers the documents, so a document
  never exists without its fiscal record and a record never without its document;
- `document_marks` for what the PDF prints (QR, legend) and `document_panels` for what the
  document's page shows.

Fantasía entities and documents without legal value never reach an adapter. Adding a
country is one module implementing `RegimeAdapter`, registered with `register()` from
`FiscalConfig.ready()`, plus its value in catalog.FiscalRegime (docs/fiscal.md).
"""

from __future__ import annotations

from typing import Any, Protocol


class RegimeAdapter(Protocol):
    code: str  # the catalog.FiscalRegime value
    label: str

    def check_drafts(self, drafts: list[tuple[int, Any]], entities: dict) -> dict[int, str]:
        """{index: Spanish reason} for the (index, DocumentDraft) pairs it refuses.

        Only legal invoice and credit-note drafts of the adapter's entities are passed;
        `entities` maps their billing entity ids to BillingEntity rows. Must not write.
        """
        ...

    def documents_issued(self, documents: list[dict], *, actor, run) -> None:
        """Record the issued documents (dicts of Invoice columns, in issue order).

        Runs inside the numbering transaction, after the number sequences are locked: an
        exception rolls the documents back with their numbers. Lock anything of its own
        after the sequences, never before. Work that reaches outside the database is
        enqueued with transaction.on_commit.
        """
        ...

    def document_marks(self, invoice) -> dict | None:
        """What the document's PDF prints for the regime (see billing.signals)."""
        ...

    def document_panels(self, request, invoice) -> list[dict]:
        """Sections of the document's page: [{"template": ..., "context": {...}}]."""
        ...


_REGIMES: dict[str, RegimeAdapter] = {}


def register(adapter: RegimeAdapter) -> None:
    if adapter.code in _REGIMES and _REGIMES[adapter.code] is not adapter:
        raise LookupError(f"Two fiscal regimes are registered as {adapter.code!r}")
    _REGIMES[adapter.code] = adapter


def adapter_for(code: str) -> RegimeAdapter | None:
    return _REGIMES.get(code or "")


def registered() -> dict[str, RegimeAdapter]:
    return dict(_REGIMES)
