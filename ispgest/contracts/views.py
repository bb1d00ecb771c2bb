"""Contract pages and the actions of the client tabs. Thin: permission and visibility
checks, a form, a service call; errors from services go back onto the form."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from ispgest.accounts.decorators import staff_required
from ispgest.catalog.models import Zone
from ispgest.clients.models import Client
from ispgest.clients.scoping import visible_clients
from ispgest.clients.workspace import render_in_workspace, section_url
from ispgest.contracts import selectors, services
from ispgest.contracts.forms import (
    ContractForm,
    EquipmentForm,
    EquipmentStatusForm,
    PackageAssignForm,
    PackageConfigureForm,
    PackageLineFormSet,
    PlanAssignForm,
    PlanForm,
    RenewablePackageForm,
    SignedDocumentForm,
    TransitionForm,
    formset_lines,
    lines_initial,
)
from ispgest.contracts.models import (
    Contract,
    ContractStatus,
    Equipment,
    PackageAssignment,
    Plan,
    RenewablePackage,
    SignedDocument,
)
from ispgest.contracts.permissions import can_transition
from ispgest.core import uploads
from ispgest.core.country import get_profile
from ispgest.core.forms import apply_errors
from ispgest.core.visibility import can_view_money

# ---------------------------------------------------------------------------------------------
# helpers


def _client(request, client_id: int) -> Client:
    return get_object_or_404(visible_clients(request.user), pk=client_id)


def _scoped(request, qs: QuerySet, pk: int):
    """A row of `qs` whose client the user may see (404 otherwise, like a missing row)."""
    return get_object_or_404(
        qs.filter(client__in=visible_clients(request.user).values("pk")), pk=pk
    )


def client_url(client_id: int, tab: str = "") -> str:
    """The client's workspace, on the section `tab` when given."""
    return section_url(client_id, tab)


def _error_message(request, exc: ValidationError) -> None:
    for message in exc.messages:
        messages.error(request, message)


# ---------------------------------------------------------------------------------------------
# contracts


@staff_required("contracts.view_contract")
def contract_list(request):
    status = request.GET.get("estado", "")
    zone = request.GET.get("zona", "")
    plan = request.GET.get("tarifa", "")
    q = request.GET.get("q", "").strip()[:100]
    qs = selectors.contract_list(request.user, status=status, zone=zone, plan=plan, q=q)
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    return render(
        request,
        "contracts/contract_list.html",
        {
            "page_obj": page,
            "contracts": page.object_list,
            "statuses": ContractStatus.choices,
            "zones": Zone.objects.filter(active=True),
            "plans": Plan.objects.all(),
            "f": {"estado": status, "zona": zone, "tarifa": plan, "q": q},
        },
    )


@staff_required("contracts.view_contract")
def client_contracts_page(request, client_id: int):
    """The client's contracts: the Contratos section of its workspace."""
    client = _client(request, client_id)
    return redirect(section_url(client.pk, "contratos"))


@staff_required("contracts.add_contract")
def contract_create(request, client_id: int):
    client = _client(request, client_id)
    form = ContractForm(request.POST or None, creating=True)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            contract = services.contract_create(
                actor=request.user,
                client=client,
                plan=data["plan"],
                start_date=data["start_date"],
                price=data.get("price"),
                data=data,
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("Contrato #%(id)s creado.") % {"id": contract.pk})
            return redirect(client_url(client.pk, "contratos"))
    return render_in_workspace(
        request,
        client,
        "contracts/contract_form.html",
        {
            "form": form,
            "client": client,
            "contract": None,
            "back": client_url(client.pk, "contratos"),
        },
        section="contratos",
    )


@staff_required("contracts.change_contract")
def contract_edit(request, pk: int):
    contract = _scoped(request, Contract.objects.select_related("client"), pk)
    form = ContractForm(request.POST or None, instance=Contract.objects.get(pk=pk), creating=False)
    if request.method == "POST" and form.is_valid():
        try:
            services.contract_update(actor=request.user, contract=contract, data=form.cleaned_data)
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("Contrato #%(id)s guardado.") % {"id": contract.pk})
            return redirect("contracts:detail", pk=contract.pk)
    return render_in_workspace(
        request,
        contract.client,
        "contracts/contract_form.html",
        {"form": form, "client": contract.client, "contract": contract},
        section="contratos",
    )


TRANSITION_BUTTONS = {
    (ContractStatus.PENDING_INSTALLATION, ContractStatus.ACTIVE): "Marcar como instalado (activar)",
    (ContractStatus.ACTIVE, ContractStatus.SUSPENDED): "Suspender",
    (ContractStatus.SUSPENDED, ContractStatus.ACTIVE): "Reactivar",
    (ContractStatus.ACTIVE, ContractStatus.CANCELLED): "Dar de baja",
    (ContractStatus.SUSPENDED, ContractStatus.CANCELLED): "Dar de baja",
    (ContractStatus.PENDING_INSTALLATION, ContractStatus.CANCELLED): "Dar de baja",
}


@staff_required("contracts.view_contract")
def contract_detail(request, pk: int):
    contract = _scoped(
        request,
        Contract.objects.select_related(
            "client", "plan", "zone", "router", "city", "payment_method"
        ),
        pk,
    )
    buttons = [
        {"to": to, "label": TRANSITION_BUTTONS.get((contract.status, to), to)}
        for to in contract.allowed_transitions()
        if can_transition(request.user, contract, to)
    ]
    return render_in_workspace(
        request,
        contract.client,
        "contracts/contract_detail.html",
        {
            "contract": contract,
            "client": contract.client,
            "buttons": buttons,
            "assignments": contract.plan_assignments.select_related("plan").order_by(
                "-start_date", "-id"
            ),
            "status_changes": contract.status_changes.select_related("actor").order_by(
                "-effective_date", "-id"
            ),
            "equipment": contract.equipment.select_related("product"),
            "assign_form": PlanAssignForm()
            if request.user.has_perm("contracts.add_planassignment")
            and contract.status != ContractStatus.CANCELLED
            else None,
            "transition_form": TransitionForm(),
        },
        section="contratos",
    )


@require_POST
@staff_required("contracts.view_contract")
def contract_transition(request, pk: int):
    contract = _scoped(request, Contract.objects.all(), pk)
    form = TransitionForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Datos no válidos para el cambio de estado."))
        return redirect("contracts:detail", pk=pk)
    to_status = form.cleaned_data["to_status"]
    if not can_transition(request.user, contract, to_status):
        return HttpResponse("No tiene permiso para este cambio de estado.", status=403)
    try:
        services.contract_transition(
            actor=request.user,
            contract=contract,
            to_status=to_status,
            effective_date=form.cleaned_data.get("effective_date"),
            reason=form.cleaned_data.get("reason") or "",
        )
    except ValidationError as exc:
        _error_message(request, exc)
    else:
        messages.success(
            request,
            _("Contrato #%(id)s: estado «%(label)s».")
            % {"id": pk, "label": ContractStatus(to_status).label},
        )
    return redirect("contracts:detail", pk=pk)


def _assign(request, contract: Contract, form: PlanAssignForm) -> bool:
    try:
        services.plan_assign(
            actor=request.user,
            contract=contract,
            plan=form.cleaned_data["plan"],
            start_date=form.cleaned_data["start_date"],
            price=form.cleaned_data.get("price"),
        )
    except ValidationError as exc:
        _error_message(request, exc)
        return False
    messages.success(
        request,
        _("Contrato #%(id)s: tarifa «%(plan)s» asignada.")
        % {"id": contract.pk, "plan": form.cleaned_data["plan"].name},
    )
    return True


def _form_errors_to_messages(request, form) -> None:
    for field, errors in form.errors.items():
        label = form.fields[field].label if field in form.fields else ""
        for error in errors:
            messages.error(request, f"{label}: {error}" if label else error)


@require_POST
@staff_required("contracts.add_planassignment")
def contract_assign_plan(request, pk: int):
    contract = _scoped(request, Contract.objects.all(), pk)
    form = PlanAssignForm(request.POST)
    if form.is_valid():
        _assign(request, contract, form)
    else:
        _form_errors_to_messages(request, form)
    return redirect("contracts:detail", pk=pk)


@require_POST
@staff_required("contracts.add_planassignment")
def client_assign_plan(request, client_id: int):
    client = _client(request, client_id)
    contracts = list(client.contracts.exclude(status=ContractStatus.CANCELLED))
    form = PlanAssignForm(request.POST, contracts=contracts)
    if form.is_valid():
        contract = next(c for c in contracts if c.pk == form.cleaned_data["contract"])
        _assign(request, contract, form)
    else:
        _form_errors_to_messages(request, form)
    return redirect(client_url(client.pk, "tarifas"))


# ---------------------------------------------------------------------------------------------
# plans (administrators)


@staff_required("contracts.view_plan")
def plan_list(request):
    show = request.GET.get("estado", "activas")
    qs = Plan.objects.select_related("tax").order_by("name", "id")
    if show == "activas":
        qs = qs.filter(active=True)
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    return render(
        request,
        "contracts/plan_list.html",
        {"page_obj": page, "plans": page.object_list, "show": show},
    )


def _plan_form(request, plan: Plan | None):
    form = PlanForm(request.POST or None, instance=plan and Plan.objects.get(pk=plan.pk))
    if request.method == "POST" and form.is_valid():
        try:
            if plan is None:
                plan = services.plan_create(actor=request.user, data=form.cleaned_data)
            else:
                services.plan_update(actor=request.user, plan=plan, data=form.cleaned_data)
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("Tarifa «%(name)s» guardada.") % {"name": plan.name})
            return redirect("contracts:plan_list")
    return render(request, "contracts/plan_form.html", {"form": form, "plan": plan})


@staff_required("contracts.add_plan")
def plan_create(request):
    return _plan_form(request, None)


@staff_required("contracts.change_plan")
def plan_edit(request, pk: int):
    return _plan_form(request, get_object_or_404(Plan, pk=pk))


@require_POST
@staff_required("contracts.change_plan")
def plan_deactivate(request, pk: int):
    plan = get_object_or_404(Plan, pk=pk)
    services.plan_deactivate(actor=request.user, plan=plan)
    messages.success(request, _("Tarifa «%(name)s» dada de baja.") % {"name": plan.name})
    return redirect("contracts:plan_list")


# ---------------------------------------------------------------------------------------------
# renewable packages catalog (administrators)


@staff_required("contracts.view_renewablepackage")
def package_list(request):
    packages = RenewablePackage.objects.prefetch_related("lines__product").order_by("name", "id")
    return render(request, "contracts/package_list.html", {"packages": packages})


def _package_form(request, package: RenewablePackage | None):
    form = RenewablePackageForm(
        request.POST or None, instance=package and RenewablePackage.objects.get(pk=package.pk)
    )
    initial = lines_initial(package.lines.all()) if package else None
    formset = PackageLineFormSet(request.POST or None, initial=initial, prefix="lines")
    if request.method == "POST" and form.is_valid() and formset.is_valid():
        lines = formset_lines(formset)
        try:
            if package is None:
                package = services.package_create(
                    actor=request.user, data=form.cleaned_data, lines=lines
                )
            else:
                services.package_update(
                    actor=request.user, package=package, data=form.cleaned_data, lines=lines
                )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("Paquete «%(name)s» guardado.") % {"name": package.name})
            return redirect("contracts:package_list")
    return render(
        request,
        "contracts/package_form.html",
        {"form": form, "formset": formset, "package": package},
    )


@staff_required("contracts.add_renewablepackage")
def package_create(request):
    return _package_form(request, None)


@staff_required("contracts.change_renewablepackage")
def package_edit(request, pk: int):
    return _package_form(request, get_object_or_404(RenewablePackage, pk=pk))


# ---------------------------------------------------------------------------------------------
# equipment


@staff_required("contracts.add_equipment")
def equipment_create(request, client_id: int):
    client = _client(request, client_id)
    form = EquipmentForm(request.POST or None, client=client, initial={"technician": request.user})
    if request.method == "POST" and form.is_valid():
        try:
            services.equipment_install(actor=request.user, client=client, data=form.cleaned_data)
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("Equipo instalado."))
            return redirect(client_url(client.pk, "equipamiento"))
    return render_in_workspace(
        request,
        client,
        "contracts/equipment_form.html",
        {
            "form": form,
            "client": client,
            "equipment": None,
            "back": client_url(client.pk, "equipamiento"),
        },
        section="equipamiento",
    )


@staff_required("contracts.change_equipment")
def equipment_edit(request, pk: int):
    equipment = _scoped(request, Equipment.objects.select_related("client"), pk)
    form = EquipmentForm(
        request.POST or None, instance=Equipment.objects.get(pk=pk), client=equipment.client
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.equipment_update(
                actor=request.user, equipment=equipment, data=form.cleaned_data
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("Equipo guardado."))
            return redirect(client_url(equipment.client_id, "equipamiento"))
    return render_in_workspace(
        request,
        equipment.client,
        "contracts/equipment_form.html",
        {
            "form": form,
            "client": equipment.client,
            "equipment": equipment,
            "back": client_url(equipment.client_id, "equipamiento"),
        },
        section="equipamiento",
    )


@require_POST
@staff_required("contracts.change_equipment")
def equipment_status(request, pk: int):
    equipment = _scoped(request, Equipment.objects.all(), pk)
    form = EquipmentStatusForm(request.POST)
    if form.is_valid():
        try:
            services.equipment_set_status(
                actor=request.user,
                equipment=equipment,
                to_status=form.cleaned_data["to_status"],
                on=form.cleaned_data.get("on"),
            )
        except ValidationError as exc:
            _error_message(request, exc)
        else:
            label = Equipment.Status(form.cleaned_data["to_status"]).label
            messages.success(request, _("Equipo: estado «%(label)s».") % {"label": label})
    else:
        _form_errors_to_messages(request, form)
    return redirect(client_url(equipment.client_id, "equipamiento"))


# ---------------------------------------------------------------------------------------------
# package assignments (Renovaciones)


@staff_required("contracts.add_packageassignment")
def package_assign(request, client_id: int):
    """Pick a package, then fill the client's own values (its lines start as the package's)."""
    client = _client(request, client_id)
    package = None
    package_id = request.POST.get("package") or request.GET.get("package")
    if package_id and str(package_id).isdigit():
        package = RenewablePackage.objects.filter(pk=int(package_id), active=True).first()
    form = PackageAssignForm(
        request.POST or None,
        client=client,
        initial={"package": package.pk if package else None},
    )
    initial = lines_initial(package.lines.all()) if package else None
    formset = PackageLineFormSet(
        request.POST if request.POST.get("lines-TOTAL_FORMS") else None,
        initial=initial,
        prefix="lines",
    )
    if (
        request.method == "POST"
        and request.POST.get("lines-TOTAL_FORMS")
        and form.is_valid()
        and formset.is_valid()
    ):
        data = form.cleaned_data
        try:
            services.package_assign(
                actor=request.user,
                client=client,
                package=data["package"],
                contract=data.get("contract"),
                start_date=data["start_date"],
                renewal_months=data.get("renewal_months"),
                lines=formset_lines(formset),
                notes=data.get("notes") or "",
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(
                request, _("Paquete «%(name)s» asignado.") % {"name": data["package"].name}
            )
            return redirect(client_url(client.pk, "renovaciones"))
    return render_in_workspace(
        request,
        client,
        "contracts/package_assign.html",
        {
            "form": form,
            "formset": formset,
            "client": client,
            "package": package,
            "back": client_url(client.pk, "renovaciones"),
        },
        section="renovaciones",
    )


def _package_assignment(request, pk: int) -> PackageAssignment:
    return _scoped(
        request, PackageAssignment.objects.select_related("client", "package", "contract"), pk
    )


@staff_required("contracts.change_packageassignment")
def package_assignment_configure(request, pk: int):
    assignment = _package_assignment(request, pk)
    form = PackageConfigureForm(
        request.POST or None,
        instance=PackageAssignment.objects.select_related("client").get(pk=pk),
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.package_assignment_configure(
                actor=request.user,
                assignment=assignment,
                renewal_months=data["renewal_months"],
                next_renewal_date=data["next_renewal_date"],
                contract=data.get("contract"),
                notes=data.get("notes") or "",
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("Paquete configurado."))
            return redirect(client_url(assignment.client_id, "renovaciones"))
    return render_in_workspace(
        request,
        assignment.client,
        "contracts/package_configure.html",
        {
            "form": form,
            "assignment": assignment,
            "client": assignment.client,
            "back": client_url(assignment.client_id, "renovaciones"),
        },
        section="renovaciones",
    )


@staff_required("contracts.change_packageassignment")
def package_assignment_edit(request, pk: int):
    assignment = _package_assignment(request, pk)
    formset = PackageLineFormSet(
        request.POST or None, initial=lines_initial(assignment.lines.all()), prefix="lines"
    )
    error = None
    if request.method == "POST" and formset.is_valid():
        try:
            services.package_assignment_edit_lines(
                actor=request.user, assignment=assignment, lines=formset_lines(formset)
            )
        except ValidationError as exc:
            error = " ".join(exc.messages)
        else:
            messages.success(request, _("Líneas del paquete guardadas."))
            return redirect(client_url(assignment.client_id, "renovaciones"))
    return render_in_workspace(
        request,
        assignment.client,
        "contracts/package_edit.html",
        {
            "formset": formset,
            "assignment": assignment,
            "client": assignment.client,
            "error": error,
            "back": client_url(assignment.client_id, "renovaciones"),
        },
        section="renovaciones",
    )


@require_POST
@staff_required("contracts.change_packageassignment")
def package_assignment_remove(request, pk: int):
    assignment = _package_assignment(request, pk)
    try:
        services.package_assignment_remove(actor=request.user, assignment=assignment)
    except ValidationError as exc:
        _error_message(request, exc)
    else:
        messages.success(
            request,
            _("Asignación del paquete «%(name)s» eliminada.") % {"name": assignment.package.name},
        )
    return redirect(client_url(assignment.client_id, "renovaciones"))


@staff_required("contracts.view_packageassignment")
def package_assignment_print(request, pk: int):
    """Imprimir este paquete: a PDF rendered by WeasyPrint (its prices: money only)."""
    if not can_view_money(request.user):
        raise PermissionDenied
    from weasyprint import HTML

    assignment = _package_assignment(request, pk)
    lines = list(assignment.lines.select_related("product", "tax"))
    html = render_to_string(
        "contracts/package_print.html",
        {
            "assignment": assignment,
            "client": assignment.client,
            "lines": lines,
            "total": services.lines_total(lines),
            "profile": get_profile(),
        },
        request=request,
    )
    pdf = HTML(string=html, base_url=request.build_absolute_uri("/")).write_pdf()
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="paquete-{assignment.pk}.pdf"'
    return response


# ---------------------------------------------------------------------------------------------
# signed documents


@require_POST
@staff_required("contracts.add_signeddocument")
def document_upload(request, client_id: int):
    """Store a signed contract; on an error the form comes back with what was typed."""
    client = _client(request, client_id)
    form = SignedDocumentForm(request.POST, request.FILES, client=client)
    if form.is_valid():
        try:
            services.signed_document_upload(
                actor=request.user,
                client=client,
                uploaded_file=form.cleaned_data["file"],
                title=form.cleaned_data.get("title") or "",
                contract=form.cleaned_data.get("contract"),
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("Contrato firmado guardado."))
            return redirect(client_url(client.pk, "contratos-firmados"))
    return render_in_workspace(
        request,
        client,
        "contracts/document_upload.html",
        {"form": form},
        section="contratos-firmados",
    )


@staff_required("contracts.view_signeddocument")
def document_download(request, pk: int):
    document = _scoped(request, SignedDocument.objects.all(), pk)
    return uploads.download_response(
        document.file,
        original_name=document.original_name,
        content_type=document.content_type,
        fallback="contrato",
    )
