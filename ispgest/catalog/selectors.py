"""Reads of the configuration catalogs, with their related rows loaded up front."""

from __future__ import annotations

from django.db.models import Prefetch, Q, QuerySet

from ispgest.catalog.models import AllowedInvoiceType, BillingEntity, PointOfSale
from ispgest.catalog.registry import CatalogConfig


def _related(config: CatalogConfig) -> list[str]:
    return [f for f in config.fields if config.model._meta.get_field(f).many_to_one]


def catalog_rows(config: CatalogConfig, *, active: bool | None = True, q: str = "") -> QuerySet:
    """The rows of one catalog; `active=None` gives active and deactivated rows."""
    rows = config.model._default_manager.select_related(*_related(config))
    if active is not None:
        rows = rows.filter(active=active)
    q = (q or "").strip()
    if q:
        cond = Q()
        for name in config.search:
            cond |= Q(**{f"{name}__icontains": q})
        rows = rows.filter(cond)
    return rows


def active_choices(model, *, keep=None) -> QuerySet:
    """Rows a picker offers: the active ones plus `keep` (the value a record already has)."""
    cond = Q(active=True)
    if keep is not None:
        cond |= Q(pk=keep.pk if hasattr(keep, "pk") else keep)
    return model._default_manager.filter(cond)


def billing_entity_setup(pk: int) -> BillingEntity:
    """A billing entity with its points of sale and allowed invoice types (3 queries)."""
    return (
        BillingEntity.objects.prefetch_related(
            Prefetch("points_of_sale", queryset=PointOfSale.objects.order_by("number")),
            Prefetch(
                "allowed_invoice_types",
                queryset=AllowedInvoiceType.objects.select_related("tax_condition", "invoice_type"),
            ),
        )
        .filter(pk=pk)
        .get()
    )
