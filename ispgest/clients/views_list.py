"""The client list page (quick and advanced search), mass update, export and job progress."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods

from ispgest.accounts.decorators import staff_required
from ispgest.catalog.models import (
    BillingCycle,
    BillingEntity,
    Collector,
    ExtraField,
    InvoiceType,
    Neighbourhood,
    PaymentMethod,
    Seller,
    TaxCondition,
    Zone,
)
from ispgest.catalog.selectors import (
    invoice_types_for,
    neighbourhood_labels,
    neighbourhoods_for,
    tax_conditions_for,
)
from ispgest.clients.export import format_choices
from ispgest.clients.forms import choices_attrs, extra_field_input
from ispgest.clients.mass_update import BOOL_FIELDS, mass_update_preview, normalise_changes
from ispgest.clients.models import Client
from ispgest.clients.panels import client_row_actions
from ispgest.clients.search import (
    PAGE_SIZE,
    PAGE_SIZES,
    ClientFilterForm,
    CursorError,
    resolve_targets,
    search_clients,
)
from ispgest.clients.tasks import EXPORT_KIND, start_export, start_mass_update
from ispgest.core.forms import StyledFormMixin
from ispgest.core.models import Job
from ispgest.core.visibility import can_view_money


def _filter_query(request) -> str:
    params = request.GET.copy()
    for key in ("after", "before"):
        params.pop(key, None)
    return params.urlencode()


@staff_required("clients.view_client")
def client_list(request):
    form = ClientFilterForm(request.GET or {"status": "active"}, user=request.user)
    result = None
    cursor_error = ""
    if form.is_valid():
        try:
            result = search_clients(
                request.user,
                form.cleaned_data,
                after=request.GET.get("after", ""),
                before=request.GET.get("before", ""),
                page_size=form.cleaned_data.get("per_page") or PAGE_SIZE,
            )
        except CursorError as exc:
            cursor_error = exc.messages[0]
            result = search_clients(
                request.user,
                form.cleaned_data,
                page_size=form.cleaned_data.get("per_page") or PAGE_SIZE,
            )
    context = {
        "form": form,
        "result": result,
        "cursor_error": cursor_error,
        "filter_query": _filter_query(request),
        "paged": bool(request.GET.get("after") or request.GET.get("before")),
        "can_mass_update": request.user.has_perm("clients.mass_update_client"),
        "can_export": request.user.has_perm("clients.export_client"),
        "can_import": request.user.has_perm("clients.import_client"),
        "row_actions": client_row_actions(request),
        "show_money": can_view_money(request.user),
        "page_sizes": PAGE_SIZES,
    }
    template = "clients/_rows.html" if request.htmx else "clients/list.html"
    return render(request, template, context)


def _choice(model, label):
    return forms.ModelChoiceField(
        label=label, queryset=model.objects.filter(active=True), required=False
    )


class MassUpdateForm(StyledFormMixin, forms.Form):
    """The fields to change; empty means "sin cambios"."""

    seller = _choice(Seller, _("Vendedor"))
    collector = _choice(Collector, _("Recaudador"))
    zone = _choice(Zone, _("Zona"))
    neighbourhood = _choice(Neighbourhood, _("Barrio"))
    billing_cycle = _choice(BillingCycle, _("Ciclo de facturación"))
    billing_entity = _choice(BillingEntity, _("Razón social"))
    tax_condition = _choice(TaxCondition, _("Condición de IVA"))
    invoice_type = _choice(InvoiceType, _("Tipo de factura"))
    payment_method = _choice(PaymentMethod, _("Forma de pago"))
    status = forms.ChoiceField(
        label=_("Estado"), choices=[("", _("Sin cambios")), *Client.Status.choices], required=False
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in BOOL_FIELDS:
            label = Client._meta.get_field(name).verbose_name
            self.fields[name] = forms.ChoiceField(
                label=label,
                choices=[("", _("Sin cambios")), ("yes", _("Sí")), ("no", _("No"))],
                required=False,
                widget=forms.Select(attrs={"class": "form-select"}),
            )
        for extra in ExtraField.objects.filter(active=True).order_by("position", "name"):
            self.fields[f"extra_{extra.pk}"] = extra_field_input(
                extra, empty_label=_("Sin cambios")
            )
        for field in self.fields.values():
            if isinstance(field, forms.ModelChoiceField):
                field.empty_label = _("Sin cambios")
        self._narrow_billing()

    def _narrow_billing(self) -> None:
        """Billing entity -> tax condition -> invoice type offer only allowed combinations
        (refreshed by htmx through clients:choices); neighbourhoods name their city when two
        share a name. The apply step validates every client regardless."""

        def chosen(name):
            raw = self.data.get(name) if self.is_bound else None
            return int(raw) if raw and str(raw).isdigit() else None

        entity, condition = chosen("billing_entity"), chosen("tax_condition")
        self.fields["tax_condition"].queryset = tax_conditions_for(entity)
        self.fields["invoice_type"].queryset = invoice_types_for(entity, condition)
        hoods = self.fields["neighbourhood"]
        hoods.queryset = neighbourhoods_for(None, None)
        labels = dict(neighbourhood_labels(hoods.queryset))
        hoods.label_from_instance = lambda row: labels.get(row.pk, row.name)

    @property
    def billing_choices_attrs(self) -> str:
        return choices_attrs("billing", mass=True)

    def changes(self) -> tuple[dict, dict]:
        data = self.cleaned_data
        changes, extra = {}, {}
        for name, value in data.items():
            if name.startswith("extra_"):
                if value not in (None, ""):
                    extra[int(name.removeprefix("extra_"))] = value
            elif name in BOOL_FIELDS:
                if value:
                    changes[name] = value == "yes"
            elif value not in (None, ""):
                changes[name] = value.pk if hasattr(value, "pk") else value
        return changes, extra


def _selected_ids(request) -> list[int] | None:
    if request.POST.get("scope") == "all":
        return None
    ids = []
    for raw in request.POST.getlist("ids"):
        try:
            ids.append(int(raw))
        except ValueError:
            continue
    return ids


@staff_required("clients.view_client", "clients.mass_update_client")
@require_http_methods(["GET", "POST"])
def mass_update(request):
    filters = request.GET
    ids = _selected_ids(request) if request.method == "POST" else None
    if request.method == "POST" and request.POST.get("scope") != "all" and not ids:
        messages.error(request, _("Marque al menos un cliente o elija «todos los que coinciden»."))
        return redirect(
            f"{request.path.replace('actualizacion-masiva/', '')}?{filters.urlencode()}"
        )
    try:
        targets = resolve_targets(request.user, filters, ids)
    except ValidationError as exc:
        messages.error(request, " ".join(m for ms in exc.message_dict.values() for m in ms))
        return redirect("clients:list")
    form = MassUpdateForm(
        request.POST if "confirm" in request.POST or "preview" in request.POST else None
    )
    preview = None
    if form.is_bound and form.is_valid():
        changes, extra = form.changes()
        if not changes and not extra:
            form.add_error(None, _("Elija al menos un campo para actualizar."))
        elif "confirm" in request.POST:
            try:
                outcome = start_mass_update(
                    actor=request.user, filters=filters, changes=changes, extra=extra, ids=ids
                )
            except ValidationError as exc:
                for field, errs in exc.message_dict.items():
                    for err in errs:
                        form.add_error(
                            None if field == "__all__" or field not in form.fields else field, err
                        )
            else:
                if isinstance(outcome, Job):
                    messages.info(request, _("La actualización masiva sigue en segundo plano."))
                    return redirect("clients:job", pk=outcome.pk)
                messages.success(
                    request,
                    _(
                        "Actualización masiva aplicada: %(changed)s de %(selected)s clientes cambiaron."
                    )
                    % {"changed": outcome.changed, "selected": outcome.selected},
                )
                return redirect(f"{redirect('clients:list').url}?{filters.urlencode()}")
        else:
            preview = mass_update_preview(targets, normalise_changes(changes), extra)
    return render(
        request,
        "clients/mass_update.html",
        {
            "form": form,
            "preview": preview,
            "selected": targets.count() if preview is None else preview["selected"],
            "ids": ids or [],
            "scope": "ids" if ids else "all",
            "filter_query": filters.urlencode(),
        },
    )


class ExportForm(StyledFormMixin, forms.Form):
    format = forms.ChoiceField(label=_("Formato"), choices=format_choices, initial="csv")
    scope = forms.ChoiceField(
        label=_("Clientes"),
        choices=[("filtered", _("Los clientes filtrados")), ("all", _("Todos los clientes"))],
        initial="filtered",
        widget=forms.RadioSelect,
    )


@staff_required("clients.view_client", "clients.export_client")
@require_http_methods(["GET", "POST"])
def export(request):
    filters = request.GET
    form = ExportForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        use = filters if form.cleaned_data["scope"] == "filtered" else {"status": "all"}
        try:
            job = start_export(actor=request.user, filters=use, fmt=form.cleaned_data["format"])
        except ValidationError as exc:
            form.add_error(None, " ".join(m for ms in exc.message_dict.values() for m in ms))
        else:
            messages.success(
                request,
                _("Estamos preparando la exportación; la recibirá por e-mail en %(email)s.")
                % {"email": request.user.email or _("(su usuario no tiene e-mail)")},
            )
            return redirect("clients:job", pk=job.pk)
    return render(
        request, "clients/export.html", {"form": form, "filter_query": filters.urlencode()}
    )


def _own_job(request, pk: int) -> Job:
    job = get_object_or_404(Job, pk=pk, kind__startswith="clients.")
    if job.created_by_id != request.user.pk and not request.user.is_superuser:
        raise Http404
    return job


@staff_required("clients.view_client")
def job_status(request, pk: int):
    job = _own_job(request, pk)
    template = "clients/_job.html" if request.htmx else "clients/job.html"
    export_email = None
    email_id = (job.result or {}).get("email_id") if job.kind == EXPORT_KIND else None
    if email_id:
        from ispgest.messaging.models import EmailMessage

        export_email = EmailMessage.objects.filter(pk=email_id).first()
    return render(request, template, {"job": job, "export_email": export_email})


@staff_required("clients.view_client", "clients.export_client")
def export_download(request, pk: int):
    job = _own_job(request, pk)
    if job.kind != EXPORT_KIND or job.status != Job.Status.DONE or not job.result_file:
        raise Http404
    if job.expires_at is None or job.expires_at < timezone.now():
        raise PermissionDenied(_("El enlace de descarga ha caducado; vuelva a exportar."))
    return FileResponse(job.result_file.open("rb"), as_attachment=True, filename=job.result_name)
