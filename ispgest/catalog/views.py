"""The /configuracion/ pages: one generic list/create/edit/deactivate set per registered catalog.

urls.py builds, for every CatalogConfig, its own view functions (make_views) so each carries
its model's permission in `required_permissions` and the permission matrix test sees them.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from ispgest.accounts.decorators import staff_required
from ispgest.catalog import selectors, services
from ispgest.catalog.forms import PointOfSaleForm, allowed_matrix, form_class
from ispgest.catalog.models import BillingEntity, InvoiceType, PointOfSale
from ispgest.catalog.registry import CATALOGS, CatalogConfig

PAGE_SIZE = 50
ADMIN_PERM = "catalog.change_zone"  # what the navigation checks for "Configuración"


def _cell(obj, name: str) -> str:
    field = obj._meta.get_field(name)
    value = getattr(obj, name)
    if field.choices:
        return getattr(obj, f"get_{name}_display")()
    if isinstance(value, bool):
        return _("Sí") if value else _("No")
    if value is None or value == "":
        return "—"
    if isinstance(value, Decimal):
        return f"{value.normalize():f}"
    return str(value)


@dataclass
class Row:
    obj: object
    cells: list[str]


@staff_required(ADMIN_PERM)
def index(request):
    """Every catalog with its number of active rows, and the staff users."""
    entries = [
        (c, c.model._default_manager.filter(active=True).count())
        for c in CATALOGS
        if request.user.has_perm(c.perm("change"))
    ]
    return render(request, "catalog/index.html", {"entries": entries})


def _form_errors(form, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc)


def make_views(config: CatalogConfig) -> dict:
    """The five views of one catalog, each guarded by that catalog's own permission."""

    @staff_required(config.perm("change"))
    def list_view(request):
        status = request.GET.get("estado", "activos")
        active = {"activos": True, "inactivos": False}.get(status)
        q = request.GET.get("q", "")
        rows = selectors.catalog_rows(config, active=active, q=q)
        page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
        return render(
            request,
            "catalog/list.html",
            {
                "config": config,
                "headers": [config.model._meta.get_field(c).verbose_name for c in config.columns],
                "rows": [Row(o, [_cell(o, c) for c in config.columns]) for o in page],
                "page_obj": page,
                "status": status,
                "q": q,
            },
        )

    @staff_required(config.perm("add"), config.perm("change"))
    def create_view(request):
        Form = form_class(config)
        form = Form(request.POST or None)
        if request.method == "POST" and form.is_valid():
            data = {f: form.cleaned_data[f] for f in config.fields}
            try:
                obj = services.catalog_row_create(actor=request.user, model=config.model, data=data)
            except ValidationError as exc:
                _form_errors(form, exc)
            else:
                messages.success(request, _("«%(obj)s» creado.") % {"obj": obj})
                if isinstance(obj, BillingEntity):
                    return redirect("catalog:billingentity_detail", pk=obj.pk)
                return redirect(f"catalog:{config.key}_list")
        return render(request, "catalog/form.html", {"config": config, "form": form})

    @staff_required(config.perm("change"))
    def update_view(request, pk: int):
        obj = get_object_or_404(config.model, pk=pk)
        Form = form_class(config)
        form = Form(request.POST or None, instance=obj)
        if request.method == "POST" and form.is_valid():
            data = {f: form.cleaned_data[f] for f in config.fields}
            try:
                obj = services.catalog_row_update(actor=request.user, instance=obj, data=data)
            except ValidationError as exc:
                _form_errors(form, exc)
            else:
                messages.success(request, _("«%(obj)s» guardado.") % {"obj": obj})
                return redirect(f"catalog:{config.key}_list")
        return render(request, "catalog/form.html", {"config": config, "form": form, "object": obj})

    def _toggle(request, pk: int, active: bool):
        obj = get_object_or_404(config.model, pk=pk)
        try:
            obj = services.catalog_row_set_active(actor=request.user, instance=obj, active=active)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            msg = _("«%(obj)s» reactivado.") if active else _("«%(obj)s» desactivado.")
            messages.success(request, msg % {"obj": obj})
        return redirect(f"catalog:{config.key}_list")

    @staff_required(config.perm("change"))
    @require_POST
    def deactivate_view(request, pk: int):
        return _toggle(request, pk, False)

    @staff_required(config.perm("change"))
    @require_POST
    def reactivate_view(request, pk: int):
        return _toggle(request, pk, True)

    return {
        "list": list_view,
        "create": create_view,
        "update": update_view,
        "deactivate": deactivate_view,
        "reactivate": reactivate_view,
    }


# --- A billing entity's points of sale and allowed invoice types --------------------------


def _entity_page(request, entity_pk: int, *, pos_form=None, status=200):
    try:
        entity = selectors.billing_entity_setup(entity_pk)
    except BillingEntity.DoesNotExist:
        raise Http404 from None
    allowed = {(a.tax_condition_id, a.invoice_type_id) for a in entity.allowed_invoice_types.all()}
    matrix = allowed_matrix(entity, list(InvoiceType.objects.all()), allowed)
    return render(
        request,
        "catalog/billing_entity.html",
        {
            "entity": entity,
            "pos_form": pos_form or PointOfSaleForm(prefix="pos"),
            "matrix": matrix,
            "invoice_types": matrix[0][1] if matrix else [],
        },
        status=status,
    )


@staff_required("catalog.change_billingentity")
def billing_entity_detail(request, pk: int):
    return _entity_page(request, pk)


@staff_required("catalog.change_billingentity", "catalog.add_pointofsale")
@require_POST
def point_of_sale_create(request, pk: int):
    entity = get_object_or_404(BillingEntity, pk=pk)
    form = PointOfSaleForm(request.POST, prefix="pos")
    if form.is_valid():
        try:
            services.point_of_sale_create(
                actor=request.user,
                billing_entity=entity,
                number=form.cleaned_data["number"],
                name=form.cleaned_data["name"],
            )
        except ValidationError as exc:
            _form_errors(form, exc)
        else:
            messages.success(request, _("Punto de venta creado."))
            return redirect("catalog:billingentity_detail", pk=pk)
    return _entity_page(request, pk, pos_form=form, status=422)


@staff_required("catalog.change_pointofsale")
def point_of_sale_update(request, pk: int, pos_pk: int):
    pos = get_object_or_404(PointOfSale, pk=pos_pk, billing_entity_id=pk)
    form = PointOfSaleForm(request.POST or None, instance=pos)
    if request.method == "POST" and form.is_valid():
        services.point_of_sale_update(
            actor=request.user, point_of_sale=pos, name=form.cleaned_data["name"]
        )
        messages.success(request, _("Punto de venta guardado."))
        return redirect("catalog:billingentity_detail", pk=pk)
    return render(request, "catalog/point_of_sale_form.html", {"form": form, "pos": pos})


@staff_required("catalog.change_pointofsale")
@require_POST
def point_of_sale_toggle(request, pk: int, pos_pk: int):
    pos = get_object_or_404(PointOfSale, pk=pos_pk, billing_entity_id=pk)
    services.point_of_sale_set_active(actor=request.user, point_of_sale=pos, active=not pos.active)
    messages.success(request, _("Punto de venta actualizado."))
    return redirect("catalog:billingentity_detail", pk=pk)


@staff_required(
    "catalog.change_billingentity",
    "catalog.add_allowedinvoicetype",
    "catalog.delete_allowedinvoicetype",
)
@require_POST
def allowed_invoice_types(request, pk: int):
    entity = get_object_or_404(BillingEntity, pk=pk)
    pairs: set[tuple[int, int]] = set()
    for raw in request.POST.getlist("allowed"):
        cond, _sep, inv = raw.partition(":")
        if cond.isdigit() and inv.isdigit():
            pairs.add((int(cond), int(inv)))
    try:
        services.allowed_invoice_types_set(actor=request.user, billing_entity=entity, pairs=pairs)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("Tipos de factura permitidos guardados."))
    return redirect("catalog:billingentity_detail", pk=pk)
