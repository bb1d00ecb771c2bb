from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from ispgest.accounts.decorators import staff_required
from ispgest.network import routeros, services, tasks
from ispgest.network.forms import PoolForm, RouterForm
from ispgest.network.models import IPPool, PPPoEAccount, Router, SyncStatus


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
            messages.success(request, f"Router «{router.name}» creado.")
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
            messages.success(request, f"Router «{router.name}» guardado.")
            return redirect("network:router_detail", router.pk)
    return render(request, "network/router_form.html", {"form": form, "router": router})


@require_POST
@staff_required("network.change_router")
def router_deactivate(request, pk: int):
    router = get_object_or_404(Router, pk=pk)
    services.router_deactivate(actor=request.user, router=router)
    messages.success(request, f"Router «{router.name}» desactivado.")
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
        messages.error(request, f"Probar conexión: {exc.message}")
    else:
        messages.success(
            request,
            f"Conexión correcta: identidad «{info['identity']}», RouterOS {info['version']}, "
            f"encendido desde hace {info['uptime']}.",
        )
    return redirect("network:router_detail", router.pk)


@require_POST
@staff_required("network.change_pppoeaccount")
def router_sync_now(request, pk: int):
    router = get_object_or_404(Router, pk=pk)
    Router.objects.filter(pk=router.pk).update(next_sync_at=None)
    tasks.sync_router_task.enqueue(router.pk)
    messages.success(request, "Sincronización encolada.")
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
            messages.success(request, "Pool de IPs creado.")
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
            messages.success(request, "Pool de IPs guardado.")
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
        messages.success(request, "Pool de IPs borrado.")
    return redirect("network:router_detail", pool.router_id)
