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


# ---------------------------------------------------------------------------------------------
# Choices that narrow: what a picker offers once its parent is chosen. The services check the
# same rules (clients.validation, catalog.services.check_billing_combination) regardless.


def _with_current(qs: QuerySet, current) -> QuerySet:
    if current:
        qs = qs | qs.model._default_manager.filter(pk=current)
    return qs.distinct().order_by("name", "id")


def cities_for(region_id: int | None, *, current: int | None = None) -> QuerySet:
    from ispgest.catalog.models import City

    qs = City.objects.filter(active=True)
    if region_id:
        qs = qs.filter(Q(region_id=region_id) | Q(region__isnull=True))
    return _with_current(qs, current)


def neighbourhoods_for(
    region_id: int | None, city_id: int | None, *, current: int | None = None
) -> QuerySet:
    from ispgest.catalog.models import Neighbourhood

    qs = Neighbourhood.objects.filter(active=True).select_related("city")
    if city_id:
        qs = qs.filter(Q(city_id=city_id) | Q(city__isnull=True))
    elif region_id:
        qs = qs.filter(Q(city__region_id=region_id) | Q(city__isnull=True))
    return _with_current(qs, current).select_related("city")


def neighbourhood_labels(rows) -> list[tuple[int, str]]:
    """(id, label) of neighbourhoods, naming the city where two share a name."""
    rows = list(rows)
    names = [r.name.casefold() for r in rows]
    return [
        (
            r.pk,
            f"{r.name} ({r.city})" if r.city_id and names.count(r.name.casefold()) > 1 else r.name,
        )
        for r in rows
    ]


def tax_conditions_for(entity_id: int | None, *, current: int | None = None) -> QuerySet:
    """Conditions of the entity's kind for which it may issue at least one invoice type."""
    from ispgest.catalog.models import TaxCondition

    qs = TaxCondition.objects.filter(active=True)
    if entity_id:
        entity = BillingEntity.objects.filter(pk=entity_id).first()
        if entity is not None:
            allowed = AllowedInvoiceType.objects.filter(billing_entity_id=entity_id)
            qs = qs.filter(kind=entity.kind, pk__in=allowed.values("tax_condition_id"))
    return _with_current(qs, current)


def invoice_types_for(
    entity_id: int | None, condition_id: int | None, *, current: int | None = None
) -> QuerySet:
    """The invoice types allowed for the (entity, condition) pair."""
    from ispgest.catalog.models import InvoiceType

    qs = InvoiceType.objects.filter(active=True)
    if entity_id and condition_id:
        allowed = AllowedInvoiceType.objects.filter(
            billing_entity_id=entity_id, tax_condition_id=condition_id
        )
        qs = qs.filter(pk__in=allowed.values("invoice_type_id"))
    elif entity_id:
        allowed = AllowedInvoiceType.objects.filter(billing_entity_id=entity_id)
        qs = qs.filter(pk__in=allowed.values("invoice_type_id"))
    return _with_current(qs, current)
