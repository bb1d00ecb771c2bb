from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Count
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from ispgest.accounts.decorators import staff_required
from ispgest.clients.scoping import visible_clients
from ispgest.clients.workspace import back_to_section, render_in_workspace
from ispgest.contracts.models import Contract
from ispgest.network import routeros, services, tasks
from ispgest.network.forms import CutoffRuleForm, PoolForm, PPPoEForm, RouterForm
from ispgest.network.models import (
    CutoffRule,
    IPPool,
    PPPoEAccount,
    Router,
    ServiceCut,
    SyncStatus,
)


def _form_error(form, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            for message in (m for e in errors for m in e.messages):
                form.add_error(field if field in form.fields else None, message)
    else:
        for message in exc.messages:
            form.add_error(None, message)


@staff_required("network.view_router")
def router_list(request):
    qs = Router.objects.select_related("zone").order_by("name", "id")
    show = request.GET.get("estado", "activos")
    if show == "activos":
        qs = qs.filter(active=True)
    q = request.GET.get("q", "").strip()
    if q:
        qs = qs.filter(name__icontains=q) | qs.filter(host__icontains=q)
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    return render(
        request,
        "network/router_list.html",
        {"page_obj": page, "routers": page.object_list, "show": show, "q": q},
    )


@staff_required("network.add_router")
def router_create(request):
    form = RouterForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            router = services.router_create(
                actor=request.user,
                data=form.cleaned_data,
                password=form.cleaned_data.get("password") or "",
            )
        except ValidationError as exc:
            _form_error(form, exc)
        else:
            messages.success(request, _("Router «%(name)s» creado.") % {"name": router.name})
            return redirect("network:home")
    return render(request, "network/router_form.html", {"form": form, "router": None})


@staff_required("network.change_router")
def router_edit(request, pk: int):
    router = get_object_or_404(Router, pk=pk)
    form = RouterForm(request.POST or None, instance=Router.objects.get(pk=pk))
    if request.method == "POST" and form.is_valid():
        try:
            services.router_update(
                actor=request.user,
                router=router,
                data=form.cleaned_data,
                password=form.password_value(),
            )
        except ValidationError as exc:
            _form_error(form, exc)
        else:
            messages.success(request, _("Router «%(name)s» guardado.") % {"name": router.name})
            return redirect("network:router_detail", router.pk)
    return render(request, "network/router_form.html", {"form": form, "router": router})


@require_POST
@staff_required("network.change_router")
def router_deactivate(request, pk: int):
    router = get_object_or_404(Router, pk=pk)
    services.router_deactivate(actor=request.user, router=router)
    messages.success(request, _("Router «%(name)s» desactivado.") % {"name": router.name})
    return redirect("network:home")


@staff_required("network.view_router")
def router_detail(request, pk: int):
    router = get_object_or_404(Router, pk=pk)
    pools = IPPool.objects.filter(router=router).order_by("name")
    problems = (
        PPPoEAccount.objects.filter(router=router)
        .exclude(sync_status=SyncStatus.APPLIED)
        .select_related("client")
        .order_by("id")[:200]
    )
    return render(
        request,
        "network/router_detail.html",
        {"router": router, "pools": pools, "problems": problems},
    )


@require_POST
@staff_required("network.view_router")
def router_probe(request, pk: int):
    """ "Probar conexión": answers within the router's timeout, never hangs the page."""
    router = get_object_or_404(Router, pk=pk)
    try:
        info = services.router_probe(actor=request.user, router=router)
    except routeros.RouterOSError as exc:
        messages.error(request, _("Probar conexión: %(error)s") % {"error": exc.message})
    else:
        messages.success(
            request,
            _(
                "Conexión correcta: identidad «%(identity)s», RouterOS %(version)s, "
                "encendido desde hace %(uptime)s; inicio de sesión: %(login)s."
            )
            % {**info, "login": router.get_detected_login_method_display()},
        )
    return redirect("network:router_detail", router.pk)


@require_POST
@staff_required("network.change_pppoeaccount")
def router_sync_now(request, pk: int):
    router = get_object_or_404(Router, pk=pk)
    Router.objects.filter(pk=router.pk).update(next_sync_at=None)
    tasks.sync_router_task.enqueue(router.pk)
    messages.success(request, _("Sincronización encolada."))
    return redirect("network:router_detail", router.pk)


@staff_required("network.add_ippool")
def pool_create(request, pk: int):
    router = get_object_or_404(Router, pk=pk)
    form = PoolForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.pool_create(actor=request.user, router=router, data=form.cleaned_data)
        except ValidationError as exc:
            _form_error(form, exc)
        else:
            messages.success(request, _("Pool de IPs creado."))
            return redirect("network:router_detail", router.pk)
    return render(request, "network/pool_form.html", {"form": form, "router": router, "pool": None})


@staff_required("network.change_ippool")
def pool_edit(request, pk: int):
    pool = get_object_or_404(IPPool.objects.select_related("router"), pk=pk)
    form = PoolForm(request.POST or None, instance=IPPool.objects.get(pk=pk))
    if request.method == "POST" and form.is_valid():
        try:
            services.pool_update(actor=request.user, pool=pool, data=form.cleaned_data)
        except ValidationError as exc:
            _form_error(form, exc)
        else:
            messages.success(request, _("Pool de IPs guardado."))
            return redirect("network:router_detail", pool.router_id)
    return render(
        request, "network/pool_form.html", {"form": form, "router": pool.router, "pool": pool}
    )


@require_POST
@staff_required("network.delete_ippool")
def pool_delete(request, pk: int):
    pool = get_object_or_404(IPPool, pk=pk)
    try:
        services.pool_delete(actor=request.user, pool=pool)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("Pool de IPs borrado."))
    return redirect("network:router_detail", pool.router_id)


# -- the client's "Info Mikrotik PPPoe" -------------------------------------------------------

SECTION = "pppoe"


def _contract(request, pk: int) -> Contract:
    contract = get_object_or_404(Contract.objects.select_related("plan", "client"), pk=pk)
    get_object_or_404(visible_clients(request.user), pk=contract.client_id)
    return contract


def _account(request, pk: int) -> PPPoEAccount:
    account = get_object_or_404(
        PPPoEAccount.objects.select_related("router", "client", "contract__plan"), pk=pk
    )
    get_object_or_404(visible_clients(request.user), pk=account.client_id)
    return account


@require_POST
@staff_required("network.change_pppoeaccount")
def pppoe_save(request, pk: int):
    """ "Guardar Secret"."""
    contract = _contract(request, pk)
    account = PPPoEAccount.objects.filter(contract=contract).first()
    form = PPPoEForm(request.POST, contract=contract, account=account)
    if form.is_valid():
        try:
            services.pppoe_save(actor=request.user, contract=contract, data=form.cleaned_data)
        except ValidationError as exc:
            _form_error(form, exc)
        else:
            messages.success(
                request, _("Secret guardado; se está aplicando en el equipo Mikrotik.")
            )
            return back_to_section(contract.client_id, SECTION)
    return render_in_workspace(
        request,
        contract.client,
        "network/pppoe_form_page.html",
        {"form": form, "contract": contract},
        section=SECTION,
        status=422,
    )


@staff_required("network.view_pppoeaccount")
def pppoe_status(request, pk: int):
    """ "CMI activo" / "CMI NO activo" (htmx fragment), read from the router now."""
    account = _account(request, pk)
    try:
        status, error = services.pppoe_status(account), ""
    except routeros.RouterOSError as exc:
        status, error = {}, exc.message
    return render(request, "network/_pppoe_status.html", {"status": status, "error": error})


def _router_action(request, pk: int, fn, done: str):
    account = _account(request, pk)
    try:
        result = fn(actor=request.user, account=account)
    except routeros.RouterOSError as exc:
        messages.error(request, exc.message)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, done(result) if callable(done) else done)
    return back_to_section(account.client_id, SECTION)


@require_POST
@staff_required("network.change_pppoeaccount")
def pppoe_ping(request, pk: int):
    return _router_action(
        request,
        pk,
        services.pppoe_ping,
        lambda r: (
            (
                _(
                    "Ping a %(address)s: enviados %(sent)s, recibidos %(received)s, tiempo medio %(avg)s."
                )
                if r["avg"]
                else _("Ping a %(address)s: enviados %(sent)s, recibidos %(received)s.")
            )
            % r
        ),
    )


@require_POST
@staff_required("network.change_pppoeaccount")
def pppoe_kick(request, pk: int):
    return _router_action(
        request,
        pk,
        services.pppoe_kick,
        lambda n: _("Sesión reiniciada.") if n else _("El cliente no estaba conectado."),
    )


@require_POST
@staff_required("network.change_pppoeaccount")
def pppoe_suspend(request, pk: int):
    return _router_action(request, pk, services.pppoe_suspend, _("Pasa a modo sin conexión."))


@require_POST
@staff_required("network.change_pppoeaccount")
def pppoe_restore(request, pk: int):
    return _router_action(request, pk, services.pppoe_restore, _("Vuelve al modo con conexión."))


@require_POST
@staff_required("network.delete_pppoeaccount")
def pppoe_delete(request, pk: int):
    return _router_action(request, pk, services.pppoe_delete, _("Secret eliminándose del equipo."))


@require_POST
@staff_required("network.change_pppoeaccount")
def pppoe_adopt(request, pk: int):
    return _router_action(request, pk, services.pppoe_adopt, _("ispgest adopta el secret."))


@require_POST
@staff_required("network.change_pppoeaccount")
def pppoe_retry(request, pk: int):
    return _router_action(request, pk, services.pppoe_retry, _("Reintento encolado."))


# -- reconciliation -----------------------------------------------------------------------------


@staff_required("network.view_pppoeaccount")
def reconcile(request, pk: int):
    """Per router: counts and rows; "Aplicar" for the selected rows, "Importar" for one."""
    from ispgest.network import reconcile as rec

    router = get_object_or_404(Router, pk=pk)
    try:
        report = rec.compare(router)
    except routeros.RouterOSError as exc:
        messages.error(request, exc.message)
        return redirect("network:router_detail", router.pk)
    if request.method == "POST":
        if not request.user.has_perm("network.change_pppoeaccount"):
            raise PermissionDenied
        action = request.POST.get("action")
        if action == "apply":
            names = request.POST.getlist("name")
            if not names:
                messages.error(request, _("Seleccione al menos una fila."))
            else:
                try:
                    n = rec.apply_rows(
                        actor=request.user, router=router, names=names, report=report
                    )
                except routeros.RouterOSError as exc:
                    messages.error(request, exc.message)
                else:
                    messages.success(request, _("Aplicado a %(n)s filas.") % {"n": n})
                    return redirect("network:reconcile", router.pk)
        elif action == "import":
            name = request.POST.get("import_name", "")
            row = next((r for r in report.rows if r.kind == "unknown" and r.name == name), None)
            contract = Contract.objects.filter(pk=request.POST.get("contract") or 0).first()
            if row is None:
                messages.error(request, _("Ese secret ya no está entre los desconocidos."))
            elif (
                contract is None
                or not visible_clients(request.user).filter(pk=contract.client_id).exists()
            ):
                messages.error(request, _("Contrato: indique un número de contrato existente."))
            else:
                try:
                    rec.import_secret(actor=request.user, router=router, row=row, contract=contract)
                except ValidationError as exc:
                    messages.error(request, " ".join(exc.messages))
                else:
                    messages.success(
                        request,
                        _("Secret «%(name)s» importado al contrato #%(contract)s.")
                        % {"name": name, "contract": contract.pk},
                    )
                    return redirect("network:reconcile", router.pk)
    from ispgest.network.models import DriftCheck

    DriftCheck.objects.create(router=router, **report.counts)
    return render(request, "network/reconcile.html", {"router": router, "report": report})


# -- non-payment cut-off rules ------------------------------------------------------------------


@staff_required("network.view_cutoffrule")
def cutoff_list(request):
    rules = (
        CutoffRule.objects.select_related("billing_entity", "zone")
        .annotate(n_exempt=Count("exempt_clients", distinct=True))
        .order_by("-active", "name", "id")
    )
    open_cuts = ServiceCut.objects.filter(restored_at__isnull=True).count()
    return render(request, "network/cutoff_list.html", {"rules": rules, "open_cuts": open_cuts})


def _cutoff_form(request, rule):
    form = CutoffRuleForm(request.POST or None, instance=rule)
    if request.method == "POST" and form.is_valid():
        data = {**form.cleaned_data}
        try:
            if rule is None:
                services.cutoff_rule_create(actor=request.user, data=data)
            else:
                services.cutoff_rule_update(actor=request.user, rule=rule, data=data)
        except ValidationError as exc:
            _form_error(form, exc)
        else:
            messages.success(request, _("Regla de corte guardada."))
            return redirect("network:cutoff_list")
    status = 422 if request.method == "POST" else 200
    return render(request, "network/cutoff_form.html", {"form": form, "rule": rule}, status=status)


@staff_required("network.add_cutoffrule")
def cutoff_create(request):
    return _cutoff_form(request, None)


@staff_required("network.change_cutoffrule")
def cutoff_edit(request, pk: int):
    return _cutoff_form(request, get_object_or_404(CutoffRule, pk=pk))


@require_POST
@staff_required("network.change_cutoffrule")
def cutoff_deactivate(request, pk: int):
    rule = get_object_or_404(CutoffRule, pk=pk)
    services.cutoff_rule_deactivate(actor=request.user, rule=rule)
    messages.success(request, _("Regla de corte «%(name)s» desactivada.") % {"name": rule.name})
    return redirect("network:cutoff_list")
