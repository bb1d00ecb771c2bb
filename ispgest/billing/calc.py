"""Line arithmetic: taxes included in or added to prices, rounded per line (ROUND_HALF_UP)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from ispgest.core.money import CENT, HUNDRED, ZERO, round_money
from ispgest.core.text import fold

__all__ = ["CENT", "HUNDRED", "ZERO", "cents"]

cents = round_money


@dataclass(frozen=True)
class TaxInfo:
    id: int | None
    name: str
    rate: Decimal
    included: bool


NO_TAX = TaxInfo(None, "", Decimal("0"), True)


@dataclass
class LineDraft:
    description: str
    quantity: Decimal
    unit_price: Decimal
    tax: TaxInfo
    source: str = "manual"
    net: Decimal = ZERO
    tax_amount: Decimal = ZERO
    total: Decimal = ZERO

    def __post_init__(self):
        self.net, self.tax_amount, self.total = line_amounts(
            self.quantity, self.unit_price, self.tax
        )


def line_amounts(quantity: Decimal, unit_price: Decimal, tax: TaxInfo):
    """(net, tax, total) of a line, each rounded to cents.

    Included: the price already holds the tax; net = gross / (1 + rate), tax = gross - net.
    Added: net = price x quantity, tax = net x rate, total = net + tax.
    """
    gross = cents(quantity * unit_price)
    if not tax.rate:
        return gross, ZERO, gross
    factor = tax.rate / HUNDRED
    if tax.included:
        net = cents(gross / (1 + factor))
        return net, gross - net, gross
    tax_amount = cents(gross * factor)
    return gross, tax_amount, gross + tax_amount


@dataclass
class DocumentDraft:
    """What a document will hold before it has a number: the run, the preview and manual
    invoices all build these, and `issue_drafts` turns them into rows."""

    kind: str
    client_id: int
    billing_entity_id: int
    invoice_type_id: int | None
    point_of_sale_id: int | None
    legal: bool
    client_name: str
    client_tax_id: str
    client_tax_id_kind: str
    client_address: str
    client_tax_condition: str
    issue_date: date
    due_date: date | None
    lines: list[LineDraft] = field(default_factory=list)
    contract_id: int | None = None
    period_start: date | None = None
    period_end: date | None = None
    credited_invoice_id: int | None = None
    source_package_id: int | None = None
    package_ids: list[int] = field(default_factory=list)
    notes: str = ""
    client_tax_exempt: bool = False

    @property
    def subtotal(self) -> Decimal:
        return sum((line.net for line in self.lines), ZERO)

    @property
    def tax_total(self) -> Decimal:
        return sum((line.tax_amount for line in self.lines), ZERO)

    @property
    def total(self) -> Decimal:
        return sum((line.total for line in self.lines), ZERO)


def is_exempt(tax_condition_name: str) -> bool:
    """Whether a tax condition's *name* reads as exempt (Exento, No responsable...).

    Invoicing decides by `TaxCondition.tax_exempt` and documents keep that flag
    (`Invoice.client_tax_exempt`); this reading of the name only serves the migrations that
    set the flags on rows written before them."""
    folded = fold(tax_condition_name)
    return "exento" in folded or "no responsable" in folded or "sin obligaciones" in folded


def tax_breakdown(lines) -> list[dict]:
    """[{name, rate, included, base, amount}] grouped by tax, for PDFs and previews."""
    groups: dict[tuple, dict] = {}
    for line in lines:
        name = getattr(line, "tax_name", None)
        if name is None:
            name, rate, included = line.tax.name, line.tax.rate, line.tax.included
            net, amount = line.net, line.tax_amount
        else:
            rate, included = line.tax_rate, line.tax_included
            net, amount = line.net_amount, line.tax_amount
        if not name and not amount:
            continue
        key = (name, rate, included)
        g = groups.setdefault(
            key, {"name": name, "rate": rate, "included": included, "base": ZERO, "amount": ZERO}
        )
        g["base"] += net
        g["amount"] += amount
    return list(groups.values())
