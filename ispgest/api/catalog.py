"""Catalog endpoints under /api/v1/catalog/: list, read, create, update, deactivate.

One set of endpoints per CatalogConfig of catalog/registry.py, with input and output schemas
built from the config's explicit field list; every write goes through catalog/services.py,
so the API enforces exactly the rules of the pages. DELETE deactivates (rows are never
deleted). Reads need `catalog.view_<model>`; writes need add/change (administrators).
A catalog's money fields (a product's price) are null for users without `clients.view_money`.
"""

from decimal import Decimal

from django.db import models
from django.shortcuts import get_object_or_404
from ninja import Field, Router, Schema, Status
from ninja.orm import create_schema
from ninja.pagination import paginate
from pydantic import create_model

from ispgest.api.base import require_perms
from ispgest.catalog import selectors, services
from ispgest.catalog.models import AllowedInvoiceType, BillingEntity, PointOfSale
from ispgest.catalog.registry import CATALOGS, CatalogConfig
from ispgest.core.visibility import money_for

router = Router(tags=["catálogos"])


def _input_type(field: models.Field):
    """The JSON type and default of an editable field; foreign keys travel as the id."""
    if field.many_to_one:
        return int | None, None
    if isinstance(field, models.BooleanField):
        return bool, field.default
    if isinstance(field, models.DecimalField):
        return Decimal, field.default if field.has_default() else ...
    if isinstance(field, models.IntegerField):
        return int, field.default if field.has_default() else ...
    if field.has_default():
        return str, field.default
    return str, ("" if field.blank else ...)


def _schemas(config: CatalogConfig):
    """Output, full input (POST/PUT) and partial input (PATCH) schemas of one catalog."""
    name = config.model.__name__
    fields = ["id", *config.fields, "active"]
    out = create_schema(config.model, name=f"{name}Out", fields=fields)
    if config.money:
        out = _with_money(out, config, name)
    full_fields, patch_fields = {}, {}
    for field_name in config.fields:
        field = config.model._meta.get_field(field_name)
        typ, default = _input_type(field)
        desc = str(field.verbose_name)
        full_fields[field_name] = (typ, Field(default, description=desc))
        patch_fields[field_name] = (typ | None, Field(None, description=desc))
    full = create_model(f"{name}In", __base__=Schema, **full_fields)
    patch = create_model(f"{name}Patch", __base__=Schema, **patch_fields)
    return out, full, patch


def _with_money(base, config: CatalogConfig, name: str):
    """`base` with its money fields nullable and resolved to null for users who do not
    see money."""
    namespace: dict = {"__annotations__": {}, "__module__": __name__}
    for field_name in config.money:
        label = str(config.model._meta.get_field(field_name).verbose_name)
        namespace["__annotations__"][field_name] = Decimal | None
        namespace[field_name] = Field(
            description=f"{label}; null sin el permiso clients.view_money"
        )

        def resolve(obj, context, _name=field_name):
            request = (context or {}).get("request")
            return money_for(getattr(request, "user", None), getattr(obj, _name))

        namespace[f"resolve_{field_name}"] = staticmethod(resolve)
    return type(f"{name}Out", (base,), namespace)


def _register(config: CatalogConfig) -> None:
    Out, In, Patch = _schemas(config)
    base = f"/{config.api_path}"
    key = config.key

    @router.get(base, response=list[Out], url_name=f"{key}_list", operation_id=f"{key}_list")
    @paginate
    def list_rows(request, active: bool | None = None, q: str = ""):
        require_perms(request, config.perm("view"))
        return selectors.catalog_rows(config, active=active, q=q).order_by("pk")

    list_rows.__doc__ = f"{config.verbose_name_plural}: lista (filtro `active`, búsqueda `q`)."

    @router.get(f"{base}/{{pk}}", response=Out, url_name=f"{key}_get", operation_id=f"{key}_get")
    def get_row(request, pk: int):
        require_perms(request, config.perm("view"))
        return get_object_or_404(selectors.catalog_rows(config, active=None), pk=pk)

    @router.post(base, response={201: Out}, url_name=f"{key}_create", operation_id=f"{key}_create")
    def create_row(request, payload: In):
        require_perms(request, config.perm("add"), config.perm("change"))
        obj = services.catalog_row_create(
            actor=request.user, model=config.model, data=payload.dict()
        )
        return Status(201, obj)

    def _update(request, pk: int, data: dict):
        require_perms(request, config.perm("change"))
        obj = get_object_or_404(config.model, pk=pk)
        return services.catalog_row_update(actor=request.user, instance=obj, data=data)

    @router.patch(
        f"{base}/{{pk}}", response=Out, url_name=f"{key}_patch", operation_id=f"{key}_patch"
    )
    def patch_row(request, pk: int, payload: Patch):
        return _update(request, pk, payload.dict(exclude_unset=True))

    @router.put(f"{base}/{{pk}}", response=Out, url_name=f"{key}_put", operation_id=f"{key}_put")
    def put_row(request, pk: int, payload: In):
        return _update(request, pk, payload.dict())

    @router.delete(
        f"{base}/{{pk}}",
        response=Out,
        url_name=f"{key}_deactivate",
        operation_id=f"{key}_deactivate",
    )
    def deactivate_row(request, pk: int):
        """Deactivates the row: it leaves the pickers but stays on the records that use it."""
        require_perms(request, config.perm("change"))
        obj = get_object_or_404(config.model, pk=pk)
        return services.catalog_row_set_active(actor=request.user, instance=obj, active=False)

    @router.post(
        f"{base}/{{pk}}/reactivate",
        response=Out,
        url_name=f"{key}_reactivate",
        operation_id=f"{key}_reactivate",
    )
    def reactivate_row(request, pk: int):
        require_perms(request, config.perm("change"))
        obj = get_object_or_404(config.model, pk=pk)
        return services.catalog_row_set_active(actor=request.user, instance=obj, active=True)


for _config in CATALOGS:
    _register(_config)


# --- Points of sale and allowed invoice types of a billing entity -------------------------


class PointOfSaleOut(Schema):
    id: int
    number: int
    name: str
    active: bool


class PointOfSaleIn(Schema):
    number: int
    name: str = ""


class AllowedPair(Schema):
    tax_condition: int
    invoice_type: int


@router.get(
    "/billing-entities/{pk}/points-of-sale",
    response=list[PointOfSaleOut],
    url_name="pointofsale_list",
)
def points_of_sale(request, pk: int):
    require_perms(request, "catalog.view_billingentity", "catalog.view_pointofsale")
    entity = get_object_or_404(BillingEntity, pk=pk)
    return list(PointOfSale.objects.filter(billing_entity=entity).order_by("number"))


@router.post(
    "/billing-entities/{pk}/points-of-sale",
    response={201: PointOfSaleOut},
    url_name="pointofsale_create",
)
def point_of_sale_create(request, pk: int, payload: PointOfSaleIn):
    require_perms(request, "catalog.change_billingentity", "catalog.add_pointofsale")
    entity = get_object_or_404(BillingEntity, pk=pk)
    pos = services.point_of_sale_create(
        actor=request.user, billing_entity=entity, number=payload.number, name=payload.name
    )
    return Status(201, pos)


@router.get(
    "/billing-entities/{pk}/allowed-invoice-types",
    response=list[AllowedPair],
    url_name="allowed_invoice_types",
)
def allowed_invoice_types(request, pk: int):
    require_perms(request, "catalog.view_billingentity", "catalog.view_allowedinvoicetype")
    entity = get_object_or_404(BillingEntity, pk=pk)
    rows = AllowedInvoiceType.objects.filter(billing_entity=entity).order_by("pk")
    return [{"tax_condition": r.tax_condition_id, "invoice_type": r.invoice_type_id} for r in rows]


@router.put(
    "/billing-entities/{pk}/allowed-invoice-types",
    response=list[AllowedPair],
    url_name="allowed_invoice_types_set",
)
def allowed_invoice_types_set(request, pk: int, payload: list[AllowedPair]):
    """Replaces the whole set of (tax condition, invoice type) pairs, all or nothing."""
    require_perms(
        request,
        "catalog.change_billingentity",
        "catalog.add_allowedinvoicetype",
        "catalog.delete_allowedinvoicetype",
    )
    entity = get_object_or_404(BillingEntity, pk=pk)
    services.allowed_invoice_types_set(
        actor=request.user,
        billing_entity=entity,
        pairs={(p.tax_condition, p.invoice_type) for p in payload},
    )
    return allowed_invoice_types(request, pk)
