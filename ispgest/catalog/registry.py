"""The catalogs, declared once: pages, forms and API endpoints are generated from this list.

Adding a catalog = a model in models.py + one CatalogConfig here (see CONTRIBUTING).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import models

from ispgest.catalog import models as m


@dataclass(frozen=True)
class CatalogConfig:
    key: str  # URL-name prefix and permission codename suffix: "zone" -> catalog.change_zone
    slug: str  # Spanish URL segment under /configuracion/
    api_path: str  # English path under /api/v1/catalog/
    model: type[models.Model]
    fields: tuple[str, ...]  # editable in forms and the API, in this order
    columns: tuple[str, ...]  # shown in the list page
    search: tuple[str, ...] = ("name",)
    # Amounts: the API answers them null to users who do not see money (core.visibility).
    money: tuple[str, ...] = ()

    @property
    def verbose_name(self) -> str:
        return str(self.model._meta.verbose_name)

    @property
    def verbose_name_plural(self) -> str:
        return str(self.model._meta.verbose_name_plural)

    def perm(self, action: str) -> str:
        return f"catalog.{action}_{self.model._meta.model_name}"


CATALOGS: tuple[CatalogConfig, ...] = (
    CatalogConfig("region", "regiones", "regions", m.Region, ("name",), ("name",)),
    CatalogConfig("city", "ciudades", "cities", m.City, ("name", "region"), ("name", "region")),
    CatalogConfig(
        "neighbourhood",
        "barrios",
        "neighbourhoods",
        m.Neighbourhood,
        ("name", "city"),
        ("name", "city"),
    ),
    CatalogConfig(
        "zone", "zonas", "zones", m.Zone, ("name", "description"), ("name", "description")
    ),
    CatalogConfig(
        "seller",
        "vendedores",
        "sellers",
        m.Seller,
        ("name", "email", "phone"),
        ("name", "email", "phone"),
    ),
    CatalogConfig(
        "collector",
        "recaudadores",
        "collectors",
        m.Collector,
        ("name", "email", "phone"),
        ("name", "email", "phone"),
    ),
    CatalogConfig(
        "billingentity",
        "razones-sociales",
        "billing-entities",
        m.BillingEntity,
        (
            "name",
            "kind",
            "country",
            "tax_id_kind",
            "tax_id",
            "address",
            "sepa_creditor_id",
            "iban",
            "bic",
            "fiscal_regime",
        ),
        ("name", "kind", "country", "tax_id"),
        ("name", "tax_id"),
    ),
    CatalogConfig(
        "taxcondition",
        "condiciones-iva",
        "tax-conditions",
        m.TaxCondition,
        ("name", "kind", "country", "tax_exempt"),
        ("name", "kind", "country", "tax_exempt"),
    ),
    CatalogConfig(
        "invoicetype",
        "tipos-factura",
        "invoice-types",
        m.InvoiceType,
        ("code", "name", "kind"),
        ("code", "name", "kind"),
        ("name", "code"),
    ),
    CatalogConfig(
        "tax",
        "impuestos",
        "taxes",
        m.Tax,
        ("name", "rate", "included_in_price"),
        ("name", "rate", "included_in_price"),
    ),
    CatalogConfig(
        "paymentgateway",
        "pasarelas",
        "payment-gateways",
        m.PaymentGateway,
        ("name", "code"),
        ("name", "code"),
        ("name", "code"),
    ),
    CatalogConfig(
        "paymentmethod",
        "formas-pago",
        "payment-methods",
        m.PaymentMethod,
        ("name", "kind", "gateway"),
        ("name", "kind", "gateway"),
    ),
    CatalogConfig(
        "billingcycle",
        "ciclos",
        "billing-cycles",
        m.BillingCycle,
        ("name", "day_of_month", "days_until_due", "is_default", "auto_run"),
        ("name", "day_of_month", "days_until_due", "is_default", "auto_run"),
    ),
    CatalogConfig(
        "extrafield",
        "campos-extra",
        "extra-fields",
        m.ExtraField,
        ("name", "field_type", "choices", "required", "position"),
        ("position", "name", "field_type", "required"),
    ),
    CatalogConfig(
        "product",
        "productos",
        "products",
        m.Product,
        ("name", "code", "kind", "brand", "model", "price", "tax"),
        ("name", "code", "kind", "brand", "model", "price"),
        ("name", "code", "brand", "model"),
        money=("price",),
    ),
)

BY_KEY: dict[str, CatalogConfig] = {c.key: c for c in CATALOGS}
BY_MODEL: dict[type[models.Model], CatalogConfig] = {c.model: c for c in CATALOGS}


def config_for(model_or_instance) -> CatalogConfig:
    model = model_or_instance if isinstance(model_or_instance, type) else type(model_or_instance)
    return BY_MODEL[model]
