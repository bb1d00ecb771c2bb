"""Writes to the configuration catalogs, and the billing rules other apps check against them.

Every function is keyword-only and transactional; a broken rule raises a Django
ValidationError naming the field, in Spanish, before anything is written.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError

from ispgest.catalog.models import (
    AllowedInvoiceType,
    BillingEntity,
    InvoiceType,
    LegalKind,
    TaxCondition,
)


def check_billing_combination(
    billing_entity: BillingEntity | None,
    tax_condition: TaxCondition | None,
    invoice_type: InvoiceType | None,
) -> None:
    """Refuse a (billing entity, tax condition, invoice type) triple the catalogs do not allow.

    A fantasía tax condition goes only with a fantasía billing entity and a legal one only with
    a legal entity (error on ``tax_condition``); the invoice type must be allowed for the pair
    by AllowedInvoiceType (error on ``invoice_type``). Missing values are not checked here:
    whether they are required is the caller's rule. Deactivated rows are accepted so that
    existing records keep validating; pickers hide them.
    """
    if billing_entity is not None and tax_condition is not None:
        if billing_entity.kind != tax_condition.kind:
            if tax_condition.kind == LegalKind.FANTASY:
                msg = (
                    f"La condición de IVA «{tax_condition}» es de fantasía y solo puede usarse "
                    f"con una razón social de fantasía; «{billing_entity}» es legal."
                )
            else:
                msg = (
                    f"La condición de IVA «{tax_condition}» es legal y solo puede usarse con una "
                    f"razón social legal; «{billing_entity}» es de fantasía."
                )
            raise ValidationError({"tax_condition": [ValidationError(msg, code="kind_mismatch")]})
    if invoice_type is None:
        return
    if billing_entity is None or tax_condition is None:
        raise ValidationError(
            {
                "invoice_type": [
                    ValidationError(
                        "Elija la razón social y la condición de IVA antes del tipo de factura.",
                        code="incomplete",
                    )
                ]
            }
        )
    allowed = AllowedInvoiceType.objects.filter(
        billing_entity=billing_entity, tax_condition=tax_condition, invoice_type=invoice_type
    ).exists()
    if not allowed:
        raise ValidationError(
            {
                "invoice_type": [
                    ValidationError(
                        f"La razón social «{billing_entity}» no emite «{invoice_type}» a clientes "
                        f"con condición de IVA «{tax_condition}».",
                        code="not_allowed",
                    )
                ]
            }
        )
