"""CRM pages: the pipeline board, opportunities and their activities, prospects, "Mis
próximas actuaciones", companies with their four sections, the stage catalog and the sales
managers. Thin: permission, visibility (selectors: 404 for what the user may not see), a
form, a service call; a service's ValidationError goes back onto the form."""

from __future__ import annotations

from datetime import date

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from ispgest.accounts.decorators import staff_required
from ispgest.accounts.roles import SELLER
from ispgest.catalog.models import Seller
from ispgest.clients.selectors import client_for_user
from ispgest.crm import selectors, services
from ispgest.crm.forms import (
    SECTION_FORMS,
    ActivityForm,
    AttorneyForm,
    BankAccountForm,
    DiscardForm,
    MoveForm,
    OpportunityForm,
    ProspectForm,
    ShareholderForm,
    StageForm,
    TurnoverForm,
    WithholdingForm,
)
from ispgest.crm.models import (
    AnnualTurnover,
    Attorney,
    CompanyBankAccount,
    OpportunityStage,
    ProspectStatus,
    Shareholder,
    StageKind,
    Withholding,
)
from ispgest.crm.permissions import VIEW_ALL, sees_all_pipeline


def put_errors(form, exc: ValidationError) -> None:
    """A service's errors on the form's fields (unknown fields: form-wide)."""
    for field, errors in exc.update_error_dict({}).items():
        for err in errors:
            for msg in err.messages if hasattr(err, "messages") else [str(err)]:
                form.add_error(field if field in form.fields else None, msg)


def _error_messages(request, exc: ValidationError) -> None:
    for msg in exc.messages:
        messages.error(request, msg)


def client_tab_url(client_id: int, tab: str) -> str:
    """The client's workspace section `tab`."""
    from ispgest.clients.workspace import section_url

    return section_url(client_id, tab)


def _party_url(opportunity) -> str:
    if opportunity.client_id:
        return client_tab_url(opportunity.client_id, "oportunidades")
    return reverse("crm:prospect_detail", args=[opportunity.prospect_id])


def _parse_date(value: str) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


# =============================================================================================
# Pipeline board


def _board_context(request) -> dict:
    seller = request.GET.get("vendedor", "")
    date_from = _parse_date(request.GET.get("desde", ""))
    date_to = _parse_date(request.GET.get("hasta", ""))
    columns, forecast = selectors.pipeline_board(
        request.user, seller=seller, date_from=date_from, date_to=date_to
    )
    open_cols = [c for c in columns if c.stage.kind == StageKind.OPEN]
    return {
        "columns": columns,
        "forecast": forecast,
        "sellers": Seller.objects.filter(active=True).order_by("name")
        if sees_all_pipeline(request.user)
        else [],
        "f": {
            "vendedor": seller,
            "desde": date_from.isoformat() if date_from else "",
            "hasta": date_to.isoformat() if date_to else "",
        },
        "query": urlencode(
            {k: v for k, v in request.GET.items() if k in ("vendedor", "desde", "hasta") and v}
        ),
        "open_total": sum(c.total for c in open_cols),
        "open_weighted": sum(c.weighted for c in open_cols),
        "sees_all": sees_all_pipeline(request.user),
    }


@staff_required("crm.view_opportunity")
def pipeline(request):
    return render(request, "crm/pipeline.html", _board_context(request))


@require_POST
@staff_required("crm.change_opportunity")
def opportunity_move(request, pk: int):
    """Move a card (htmx: answers the re-rendered board; otherwise redirects back)."""
    opportunity = selectors.opportunity_for_user(request.user, pk)
    stage = request.POST.get("stage", "")
    reason = request.POST.get("lost_reason", "")
    error = ""
    try:
        services.opportunity_move(
            actor=request.user, opportunity=opportunity, stage=stage, reason=reason
        )
    except ValidationError as exc:
        error = " ".join(exc.messages)
    if request.htmx:
        context = _board_context(request)
        context["board_error"] = error
        context["moved_id"] = opportunity.pk
        return render(request, "crm/_board.html", context)
    if error:
        messages.error(request, error)
    else:
        messages.success(request, _("Oportunidad movida."))
    back = request.POST.get("next", "")
    if back == "detail":
        return redirect("crm:opportunity_detail", pk=opportunity.pk)
    return redirect(
        reverse("crm:pipeline") + (f"?{request.GET.urlencode()}" if request.GET else "")
    )


# =============================================================================================
# Opportunities


def _opportunity_party(request):
    client_id = request.GET.get("cliente", "")
    prospect_id = request.GET.get("prospecto", "")
    if client_id.isdigit():
        return client_for_user(request.user, int(client_id)), None
    if prospect_id.isdigit():
        prospect = selectors.prospect_for_user(request.user, int(prospect_id))
        return None, prospect
    raise Http404


@staff_required("crm.add_opportunity")
def opportunity_create(request):
    client, prospect = _opportunity_party(request)
    form = OpportunityForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            opp = services.opportunity_create(
                actor=request.user, client=client, prospect=prospect, data=form.data_for_service()
            )
        except ValidationError as exc:
            put_errors(form, exc)
        else:
            messages.success(request, _("Oportunidad «%(t)s» creada.") % {"t": opp.title})
            return redirect("crm:opportunity_detail", pk=opp.pk)
    return render(
        request,
        "crm/opportunity_form.html",
        {"form": form, "client": client, "prospect": prospect, "opportunity": None},
    )


@staff_required("crm.change_opportunity")
def opportunity_edit(request, pk: int):
    opp = selectors.opportunity_for_user(request.user, pk)
    form = OpportunityForm(request.POST or None, user=request.user, instance=opp, creating=False)
    if request.method == "POST" and form.is_valid():
        try:
            services.opportunity_update(
                actor=request.user, opportunity=opp, data=form.data_for_service()
            )
        except ValidationError as exc:
            put_errors(form, exc)
        else:
            messages.success(request, _("Oportunidad guardada."))
            return redirect("crm:opportunity_detail", pk=opp.pk)
    return render(
        request,
        "crm/opportunity_form.html",
        {"form": form, "client": opp.client, "prospect": opp.prospect, "opportunity": opp},
    )


@staff_required("crm.view_opportunity")
def opportunity_detail(request, pk: int):
    opp = selectors.opportunity_for_user(request.user, pk)
    return render(
        request,
        "crm/opportunity_detail.html",
        {
            "opportunity": opp,
            "activities": list(selectors.opportunity_activities(opp)),
            "stage_changes": list(
                opp.stage_changes.select_related("from_stage", "to_stage", "actor")
            ),
            "move_form": MoveForm(opportunity=opp, auto_id="id_move_%s"),
            "activity_form": ActivityForm(user=request.user, auto_id="id_act_%s"),
            "party_url": _party_url(opp),
            "can_contract": (
                opp.stage.kind == StageKind.WON
                and opp.client_id
                and not opp.contract_id
                and request.user.has_perm("contracts.add_contract")
            ),
        },
    )


@staff_required("crm.change_opportunity", "contracts.add_contract")
def opportunity_contract(request, pk: int):
    """ "Ganada": the contract form prefilled from the opportunity (its plan, the client's
    address, zone and payment method); saving creates the contract and links it."""
    from ispgest.contracts.forms import ContractForm

    opp = selectors.opportunity_for_user(request.user, pk)
    if opp.client_id is None:
        messages.error(
            request,
            _("La oportunidad es de un prospecto: conviértalo en cliente antes del contrato."),
        )
        return redirect("crm:opportunity_detail", pk=opp.pk)
    client = client_for_user(request.user, opp.client_id)
    form = ContractForm(request.POST or None, creating=True, initial=services.contract_initial(opp))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            contract = services.opportunity_contract_create(
                actor=request.user,
                opportunity=opp,
                plan=data["plan"],
                start_date=data["start_date"],
                price=data.get("price"),
                data=data,
            )
        except ValidationError as exc:
            put_errors(form, exc)
        else:
            messages.success(request, _("Contrato #%(id)s creado.") % {"id": contract.pk})
            return redirect(client_tab_url(client.pk, "contratos"))
    return render(
        request,
        "contracts/contract_form.html",
        {
            "form": form,
            "client": client,
            "contract": None,
            "back": reverse("crm:opportunity_detail", args=[opp.pk]),
        },
    )


# =============================================================================================
# Activities


def _activity_target(request, kind: str, pk: int) -> dict:
    if kind == "oportunidad":
        return {"opportunity": selectors.opportunity_for_user(request.user, pk)}
    if kind == "cliente":
        return {"client": client_for_user(request.user, pk)}
    if kind == "prospecto":
        return {"prospect": selectors.prospect_for_user(request.user, pk)}
    raise Http404


def _target_url(target: dict) -> str:
    if "opportunity" in target:
        return reverse("crm:opportunity_detail", args=[target["opportunity"].pk])
    if "client" in target:
        return client_tab_url(target["client"].pk, "oportunidades")
    return reverse("crm:prospect_detail", args=[target["prospect"].pk])


@staff_required("crm.add_activity")
def activity_create(request, kind: str, pk: int):
    target = _activity_target(request, kind, pk)
    form = ActivityForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            services.activity_create(actor=request.user, data=form.data_for_service(), **target)
        except ValidationError as exc:
            put_errors(form, exc)
        else:
            messages.success(request, _("Actuación registrada."))
            return redirect(_target_url(target))
    return render(
        request,
        "crm/activity_form.html",
        {"form": form, "target": target, "back": _target_url(target), "activity": None},
    )


@staff_required("crm.change_activity")
def activity_edit(request, pk: int):
    activity = selectors.activity_for_user(request.user, pk)
    if activity.opportunity_id:
        target = {"opportunity": activity.opportunity}
    elif activity.client_id:
        target = {"client": activity.client}
    else:
        target = {"prospect": activity.prospect}
    form = ActivityForm(request.POST or None, user=request.user, instance=activity)
    if request.method == "POST" and form.is_valid():
        try:
            services.activity_update(
                actor=request.user, activity=activity, data=form.data_for_service()
            )
        except ValidationError as exc:
            put_errors(form, exc)
        else:
            messages.success(request, _("Actuación guardada."))
            return redirect(_target_url(target))
    return render(
        request,
        "crm/activity_form.html",
        {"form": form, "target": target, "back": _target_url(target), "activity": activity},
    )


@require_POST
@staff_required("crm.change_activity")
def activity_done(request, pk: int):
    activity = selectors.activity_for_user(request.user, pk)
    try:
        services.activity_complete(actor=request.user, activity=activity)
        messages.success(request, _("Próxima acción marcada como hecha."))
    except ValidationError as exc:
        _error_messages(request, exc)
    return redirect("crm:my_activities")


@staff_required("crm.view_activity")
def my_activities(request):
    today = timezone.localdate()
    groups = selectors.due_activity_groups(request.user, day=today, horizon_days=30)
    return render(
        request,
        "crm/my_activities.html",
        {
            "overdue": groups["overdue"],
            "today_items": groups["today"],
            "upcoming": groups["upcoming"],
            "today": today,
        },
    )


# =============================================================================================
# Prospects


@staff_required("crm.view_prospect")
def prospect_list(request):
    status = request.GET.get("estado", ProspectStatus.OPEN)
    q = request.GET.get("q", "").strip()[:100]
    seller = request.GET.get("vendedor", "")
    qs = selectors.prospect_list(request.user, status=status, q=q, seller=seller)
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    return render(
        request,
        "crm/prospect_list.html",
        {
            "page_obj": page,
            "prospects": page.object_list,
            "statuses": ProspectStatus.choices,
            "sellers": Seller.objects.filter(active=True).order_by("name")
            if sees_all_pipeline(request.user)
            else [],
            "f": {"estado": status, "q": q, "vendedor": seller},
        },
    )


@staff_required("crm.add_prospect")
def prospect_create(request):
    form = ProspectForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            prospect = services.prospect_create(actor=request.user, data=form.data_for_service())
        except ValidationError as exc:
            put_errors(form, exc)
        else:
            messages.success(request, _("Prospecto «%(n)s» registrado.") % {"n": prospect.name})
            return redirect("crm:prospect_detail", pk=prospect.pk)
    return render(request, "crm/prospect_form.html", {"form": form, "prospect": None})


@staff_required("crm.change_prospect")
def prospect_edit(request, pk: int):
    prospect = selectors.prospect_for_user(request.user, pk)
    form = ProspectForm(request.POST or None, user=request.user, instance=prospect)
    if request.method == "POST" and form.is_valid():
        try:
            services.prospect_update(
                actor=request.user, prospect=prospect, data=form.data_for_service()
            )
        except ValidationError as exc:
            put_errors(form, exc)
        else:
            messages.success(request, _("Prospecto guardado."))
            return redirect("crm:prospect_detail", pk=prospect.pk)
    return render(request, "crm/prospect_form.html", {"form": form, "prospect": prospect})


@staff_required("crm.view_prospect")
def prospect_detail(request, pk: int):
    prospect = selectors.prospect_for_user(request.user, pk)
    return render(
        request,
        "crm/prospect_detail.html",
        {
            "prospect": prospect,
            "opportunities": list(selectors.party_opportunities(request.user, prospect=prospect)),
            "activities": list(selectors.party_activities(request.user, prospect=prospect)),
            "events": list(prospect.events.select_related("actor")[:200]),
            "discard_form": DiscardForm(),
        },
    )


@require_POST
@staff_required("crm.change_prospect")
def prospect_discard(request, pk: int):
    prospect = selectors.prospect_for_user(request.user, pk)
    try:
        services.prospect_discard(
            actor=request.user, prospect=prospect, reason=request.POST.get("discard_reason", "")
        )
        messages.success(request, _("Prospecto descartado."))
    except ValidationError as exc:
        _error_messages(request, exc)
    return redirect("crm:prospect_detail", pk=prospect.pk)


@require_POST
@staff_required("crm.change_prospect")
def prospect_reopen(request, pk: int):
    prospect = selectors.prospect_for_user(request.user, pk)
    try:
        services.prospect_reopen(actor=request.user, prospect=prospect)
        messages.success(request, _("Prospecto reabierto."))
    except ValidationError as exc:
        _error_messages(request, exc)
    return redirect("crm:prospect_detail", pk=prospect.pk)


# =============================================================================================
# Companies ("Sociedades")


@staff_required("crm.add_company")
def company_create(request, client_id: int):
    client = client_for_user(request.user, client_id)
    form = SECTION_FORMS["general"](request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            company = services.company_create(
                actor=request.user, client=client, data=form.data_for_service()
            )
        except ValidationError as exc:
            put_errors(form, exc)
        else:
            messages.success(request, _("Sociedad «%(n)s» creada.") % {"n": company.name})
            return redirect("crm:company_detail", pk=company.pk)
    return render(request, "crm/company_form.html", {"form": form, "client": client})


SECTIONS = [
    ("general", _("Información general")),
    ("mercantil", _("Mercantil")),
    ("fiscal", _("Fiscal")),
    ("financiera", _("Financiera")),
]
# Where each child form lives: (section, form class, service).
CHILD_FORMS = {
    "apoderado": ("mercantil", AttorneyForm),
    "socio": ("mercantil", ShareholderForm),
    "retencion": ("fiscal", WithholdingForm),
    "facturacion": ("financiera", TurnoverForm),
    "cuenta": ("financiera", BankAccountForm),
}


def _company_page(request, company, *, active: str = "general", bound: dict | None = None):
    bound = bound or {}
    forms = {
        key: bound.get(key) or cls(instance=company, prefix=key)
        for key, cls in SECTION_FORMS.items()
    }
    children = {
        key: bound.get(key) or cls(prefix=key) for key, (_section, cls) in CHILD_FORMS.items()
    }
    shareholders = list(company.shareholders.all())
    return render(
        request,
        "crm/company_detail.html",
        {
            "company": company,
            "client": company.client,
            "sections": [(key, title, forms[key]) for key, title in SECTIONS],
            "active": active,
            "children": children,
            "shareholders": shareholders,
            "shareholder_total": sum((s.percentage for s in shareholders), 0),
            "can_edit": request.user.has_perm("crm.change_company") and company.active,
        },
        status=400 if bound else 200,
    )


@staff_required("crm.view_company")
def company_detail(request, pk: int):
    company = selectors.company_for_user(request.user, pk)
    active = request.GET.get("seccion", "general")
    return _company_page(request, company, active=active if active in SECTION_FORMS else "general")


@require_POST
@staff_required("crm.change_company")
def company_section_save(request, pk: int, section: str):
    """ "Guardar" of one of the four sections: only that section's fields change."""
    if section not in SECTION_FORMS:
        raise Http404
    company = selectors.company_for_user(request.user, pk)
    form = SECTION_FORMS[section](request.POST, instance=company, prefix=section)
    if form.is_valid():
        try:
            services.company_update(
                actor=request.user, company=company, data=form.data_for_service(), section=section
            )
        except ValidationError as exc:
            put_errors(form, exc)
        else:
            messages.success(request, _("Sociedad guardada."))
            return redirect(reverse("crm:company_detail", args=[pk]) + f"?seccion={section}")
    return _company_page(request, company, active=section, bound={section: form})


_ADDERS = {
    "apoderado": services.attorney_add,
    "socio": services.shareholder_add,
    "retencion": services.withholding_add,
    "cuenta": services.bank_account_add,
}


@require_POST
@staff_required("crm.change_company")
def company_child_add(request, pk: int, kind: str):
    if kind not in CHILD_FORMS:
        raise Http404
    company = selectors.company_for_user(request.user, pk)
    section, cls = CHILD_FORMS[kind]
    form = cls(request.POST, prefix=kind)
    if form.is_valid():
        try:
            if kind == "facturacion":
                services.turnover_set(
                    actor=request.user,
                    company=company,
                    year=form.cleaned_data["year"],
                    amount=form.cleaned_data["amount"],
                )
            else:
                _ADDERS[kind](actor=request.user, company=company, data=form.data_for_service())
        except ValidationError as exc:
            put_errors(form, exc)
        else:
            messages.success(request, _("Guardado."))
            return redirect(reverse("crm:company_detail", args=[pk]) + f"?seccion={section}")
    return _company_page(request, company, active=section, bound={kind: form})


_REMOVERS = {
    "apoderado": (Attorney, "attorney", services.attorney_remove, "mercantil"),
    "socio": (Shareholder, "shareholder", services.shareholder_remove, "mercantil"),
    "retencion": (Withholding, "withholding", services.withholding_remove, "fiscal"),
    "facturacion": (AnnualTurnover, "turnover", services.turnover_remove, "financiera"),
    "cuenta": (CompanyBankAccount, "account", services.bank_account_remove, "financiera"),
}


@require_POST
@staff_required("crm.change_company")
def company_child_remove(request, pk: int, kind: str, child_id: int):
    if kind not in _REMOVERS:
        raise Http404
    company = selectors.company_for_user(request.user, pk)
    model, arg, service, section = _REMOVERS[kind]
    row = get_object_or_404(model, pk=child_id, company=company)
    try:
        service(actor=request.user, **{arg: row})
        messages.success(request, _("Quitado."))
    except ValidationError as exc:
        _error_messages(request, exc)
    return redirect(reverse("crm:company_detail", args=[pk]) + f"?seccion={section}")


@require_POST
@staff_required("crm.change_company")
def company_deactivate(request, pk: int):
    company = selectors.company_for_user(request.user, pk)
    try:
        services.company_deactivate(actor=request.user, company=company)
        messages.success(request, _("Sociedad dada de baja."))
    except ValidationError as exc:
        _error_messages(request, exc)
    return redirect(client_tab_url(company.client_id, "sociedades"))


# =============================================================================================
# Stage catalog and sales managers (administrators)


@staff_required("crm.change_opportunitystage")
def stage_list(request):
    return render(request, "crm/stage_list.html", {"stages": selectors.stages(active_only=False)})


def _stage_form(request, stage: OpportunityStage | None):
    form = StageForm(request.POST or None, instance=stage)
    if request.method == "POST" and form.is_valid():
        targets = list(form.cleaned_data.get("allowed_next") or [])
        try:
            if stage is None:
                services.stage_create(
                    actor=request.user, data=form.data_for_service(), allowed_next=targets
                )
            else:
                services.stage_update(
                    actor=request.user,
                    stage=stage,
                    data=form.data_for_service(),
                    allowed_next=targets,
                )
        except ValidationError as exc:
            put_errors(form, exc)
        else:
            messages.success(request, _("Etapa guardada."))
            return redirect("crm:stage_list")
    return render(request, "crm/stage_form.html", {"form": form, "stage": stage})


@staff_required("crm.add_opportunitystage", "crm.change_opportunitystage")
def stage_create(request):
    return _stage_form(request, None)


@staff_required("crm.change_opportunitystage")
def stage_edit(request, pk: int):
    return _stage_form(request, get_object_or_404(OpportunityStage, pk=pk))


@staff_required("crm.manage_pipeline_managers")
def managers(request):
    User = get_user_model()
    users = (
        User.objects.filter(is_active=True, groups__name=SELLER)
        .select_related("seller")
        .prefetch_related("user_permissions__content_type")
        .order_by("username")
        .distinct()
    )
    if request.method == "POST":
        target = get_object_or_404(users, pk=request.POST.get("user") or 0)
        enabled = request.POST.get("enabled") == "1"
        services.pipeline_manager_set(actor=request.user, user=target, enabled=enabled)
        messages.success(request, _("Jefes de ventas actualizados."))
        return redirect("crm:managers")
    app_label, codename = VIEW_ALL.split(".")
    rows = [
        (
            u,
            any(
                p.codename == codename and p.content_type.app_label == app_label
                for p in u.user_permissions.all()
            ),
        )
        for u in users
    ]
    return render(request, "crm/managers.html", {"rows": rows})
