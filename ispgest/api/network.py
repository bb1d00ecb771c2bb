"""Network endpoints under /api/v1/network/: routers (with "probar"), their IP pools, the
PPPoE account of a contract and its actions, and the reconciliation report. Passwords
are write-only: answers only say whether one is stored. A router that fails answers the
one error shape (422) with its Spanish message on `router`."""

from __future__ import annotations

from datetime import date, datetime

from django.shortcuts import get_object_or_404
from ninja import Field, Router, Schema, Status
from ninja.pagination import paginate

from ispgest.api.base import require_perms
from ispgest.clients.scoping import visible_clients
from ispgest.contracts.models import Contract
from ispgest.core.exceptions import DomainError
from ispgest.network import routeros, services
from ispgest.network.models import CutoffRule, IPPool, PPPoEAccount
from ispgest.network.models import Router as RouterModel
from ispgest.network.selectors import usage_daily, usage_monthly

router = Router(tags=["red"])


class RouterOut(Schema):
    id: int
    name: str
    host: str
    api_port: int
    username: str
    zone: int | None = Field(None, alias="zone_id")
    active: bool
    notes: str
    has_password: bool
    use_ssl: bool
    tls_fingerprint: str
    timeout_seconds: int
    routeros_version: str
    login_method: str
    detected_version: str
    detected_login_method: str
    last_sync_at: datetime | None
    last_sync_error: str


class RouterIn(Schema):
    name: str
    host: str
    api_port: int = 8728
    username: str = ""
    password: str = Field("", description="Solo escritura; se guarda cifrada.")
    zone: int | None = None
    active: bool = True
    notes: str = ""
    use_ssl: bool = False
    tls_fingerprint: str = ""
    timeout_seconds: int = 10
    routeros_version: str = ""
    login_method: str = Field("auto", description='"auto", "plain" o "legacy".')


class RouterPatch(Schema):
    name: str | None = None
    host: str | None = None
    api_port: int | None = None
    username: str | None = None
    password: str | None = Field(None, description='Solo escritura; "" la borra.')
    zone: int | None = None
    active: bool | None = None
    notes: str | None = None
    use_ssl: bool | None = None
    tls_fingerprint: str | None = None
    timeout_seconds: int | None = None
    routeros_version: str | None = None
    login_method: str | None = None


@router.get("/routers", response=list[RouterOut], url_name="router_list")
@paginate
def router_list(request, active: bool | None = None):
    require_perms(request, "network.view_router")
    qs = RouterModel.objects.order_by("name", "id")
    return qs if active is None else qs.filter(active=active)


@router.get("/routers/{int:router_id}", response=RouterOut, url_name="router_get")
def router_get(request, router_id: int):
    require_perms(request, "network.view_router")
    return get_object_or_404(RouterModel, pk=router_id)


@router.post("/routers", response={201: RouterOut}, url_name="router_create")
def router_create(request, payload: RouterIn):
    require_perms(request, "network.add_router")
    data = payload.dict()
    password = data.pop("password")
    return Status(201, services.router_create(actor=request.user, data=data, password=password))


@router.patch("/routers/{int:router_id}", response=RouterOut, url_name="router_update")
def router_update(request, router_id: int, payload: RouterPatch):
    require_perms(request, "network.change_router")
    row = get_object_or_404(RouterModel, pk=router_id)
    data = payload.dict(exclude_unset=True)
    password = data.pop("password", None)
    data = {k: v for k, v in data.items() if v is not None or k == "zone"}
    return services.router_update(actor=request.user, router=row, data=data, password=password)


@router.delete("/routers/{int:router_id}", response=RouterOut, url_name="router_deactivate")
def router_deactivate(request, router_id: int):
    """Desactiva el router (no se borra)."""
    require_perms(request, "network.change_router")
    row = get_object_or_404(RouterModel, pk=router_id)
    return services.router_deactivate(actor=request.user, router=row)


def _router_error(exc: routeros.RouterOSError):
    return DomainError(exc.message, field="router")


class RouterProbeOut(Schema):
    identity: str
    version: str
    uptime: str
    board: str
    login_method: str = Field(description='El método con el que inició sesión: "plain" o "legacy".')


@router.post("/routers/{int:router_id}/probar", response=RouterProbeOut, url_name="router_probe")
def router_probe(request, router_id: int):
    """Probar conexión: identidad, versión y tiempo encendido, o el error del router."""
    require_perms(request, "network.view_router")
    row = get_object_or_404(RouterModel, pk=router_id)
    try:
        return services.router_probe(actor=request.user, router=row)
    except routeros.RouterOSError as exc:
        raise _router_error(exc) from None


class IPPoolOut(Schema):
    id: int
    router: int = Field(alias="router_id")
    name: str
    network: str
    ranges: str
    no_service: bool
    address_list: str


class IPPoolIn(Schema):
    name: str
    network: str
    ranges: str
    no_service: bool = False
    address_list: str = ""


class IPPoolPatch(Schema):
    name: str | None = None
    network: str | None = None
    ranges: str | None = None
    no_service: bool | None = None
    address_list: str | None = None


@router.get("/routers/{int:router_id}/pools", response=list[IPPoolOut], url_name="pool_list")
@paginate
def pool_list(request, router_id: int):
    require_perms(request, "network.view_ippool")
    get_object_or_404(RouterModel, pk=router_id)
    return IPPool.objects.filter(router_id=router_id).order_by("name", "id")


@router.post("/routers/{int:router_id}/pools", response={201: IPPoolOut}, url_name="pool_create")
def pool_create(request, router_id: int, payload: IPPoolIn):
    require_perms(request, "network.add_ippool")
    row = get_object_or_404(RouterModel, pk=router_id)
    return Status(201, services.pool_create(actor=request.user, router=row, data=payload.dict()))


@router.patch("/pools/{int:pool_id}", response=IPPoolOut, url_name="pool_update")
def pool_update(request, pool_id: int, payload: IPPoolPatch):
    require_perms(request, "network.change_ippool")
    pool = get_object_or_404(IPPool, pk=pool_id)
    data = {k: v for k, v in payload.dict(exclude_unset=True).items() if v is not None}
    return services.pool_update(actor=request.user, pool=pool, data=data)


@router.delete("/pools/{int:pool_id}", response={204: None}, url_name="pool_delete")
def pool_delete(request, pool_id: int):
    require_perms(request, "network.delete_ippool")
    services.pool_delete(actor=request.user, pool=get_object_or_404(IPPool, pk=pool_id))
    return Status(204, None)


class PPPoEAccountOut(Schema):
    id: int
    contract: int = Field(alias="contract_id")
    router: int = Field(alias="router_id")
    username: str
    static_ip: str | None
    suspended: bool
    removed: bool
    version: int
    applied_version: int
    applied_at: datetime | None
    sync_status: str
    last_error: str


class PPPoEAccountIn(Schema):
    router: int | None = None
    username: str
    password: str = Field("", description="Solo escritura; vacía genera una al crear.")
    static_ip: str | None = None
    version: int | None = Field(None, description="La versión leída: protege de dos guardados.")


class PPPoEStatusOut(Schema):
    connected: bool
    address: str = ""
    uptime: str = ""
    caller_id: str = ""


class PPPoEPingOut(Schema):
    address: str
    sent: int
    received: int
    avg: str


def _contract(request, contract_id: int) -> Contract:
    contract = get_object_or_404(Contract.objects.select_related("plan"), pk=contract_id)
    get_object_or_404(visible_clients(request.user), pk=contract.client_id)
    return contract


def _account(request, contract_id: int) -> PPPoEAccount:
    contract = _contract(request, contract_id)
    return get_object_or_404(
        PPPoEAccount.objects.select_related("router", "client", "contract__plan"),
        contract=contract,
    )


@router.get("/contracts/{int:contract_id}/pppoe", response=PPPoEAccountOut, url_name="pppoe_get")
def pppoe_get(request, contract_id: int):
    require_perms(request, "network.view_pppoeaccount")
    return _account(request, contract_id)


@router.put("/contracts/{int:contract_id}/pppoe", response=PPPoEAccountOut, url_name="pppoe_save")
def pppoe_save(request, contract_id: int, payload: PPPoEAccountIn):
    """Guardar Secret: crea o actualiza el secret; el router lo recibe en segundo plano."""
    require_perms(request, "network.change_pppoeaccount")
    contract = _contract(request, contract_id)
    data = payload.dict()
    if data["router"] is not None:
        data["router"] = RouterModel.objects.filter(pk=data["router"]).first()
        if data["router"] is None:
            raise DomainError("Ese equipo Mikrotik no existe.", field="router")
    return services.pppoe_save(actor=request.user, contract=contract, data=data)


@router.get(
    "/contracts/{int:contract_id}/pppoe/status",
    response=PPPoEStatusOut,
    url_name="pppoe_status",
)
def pppoe_status(request, contract_id: int):
    """CMI activo / CMI NO activo, leído del router en el momento."""
    require_perms(request, "network.view_pppoeaccount")
    try:
        return services.pppoe_status(_account(request, contract_id))
    except routeros.RouterOSError as exc:
        raise _router_error(exc) from None


@router.post(
    "/contracts/{int:contract_id}/pppoe/ping", response=PPPoEPingOut, url_name="pppoe_ping"
)
def pppoe_ping(request, contract_id: int):
    require_perms(request, "network.change_pppoeaccount")
    try:
        return services.pppoe_ping(actor=request.user, account=_account(request, contract_id))
    except routeros.RouterOSError as exc:
        raise _router_error(exc) from None


class PPPoEKickOut(Schema):
    sessions_removed: int


@router.post(
    "/contracts/{int:contract_id}/pppoe/kick", response=PPPoEKickOut, url_name="pppoe_kick"
)
def pppoe_kick(request, contract_id: int):
    require_perms(request, "network.change_pppoeaccount")
    try:
        n = services.pppoe_kick(actor=request.user, account=_account(request, contract_id))
    except routeros.RouterOSError as exc:
        raise _router_error(exc) from None
    return {"sessions_removed": n}


@router.post(
    "/contracts/{int:contract_id}/pppoe/suspend",
    response=PPPoEAccountOut,
    url_name="pppoe_suspend",
)
def pppoe_suspend(request, contract_id: int):
    require_perms(request, "network.change_pppoeaccount")
    return services.pppoe_suspend(actor=request.user, account=_account(request, contract_id))


@router.post(
    "/contracts/{int:contract_id}/pppoe/restore",
    response=PPPoEAccountOut,
    url_name="pppoe_restore",
)
def pppoe_restore(request, contract_id: int):
    require_perms(request, "network.change_pppoeaccount")
    return services.pppoe_restore(actor=request.user, account=_account(request, contract_id))


class UsagePointOut(Schema):
    start: date = Field(description="El día, o el primer día del mes.")
    bytes_down: int = Field(description="Descarga del cliente (bytes).")
    bytes_up: int = Field(description="Subida del cliente (bytes).")


class UsageSeriesOut(Schema):
    contract: int
    daily: list[UsagePointOut] = Field(description="Últimos 30 días, el más antiguo primero.")
    monthly: list[UsagePointOut] = Field(description="Últimos 12 meses, el más antiguo primero.")


@router.get(
    "/contracts/{int:contract_id}/usage", response=UsageSeriesOut, url_name="contract_usage"
)
def contract_usage(request, contract_id: int):
    """Consumo: descarga y subida por día (30 días) y por mes (12 meses), en la zona horaria
    del ISP; los periodos sin muestras valen 0."""
    require_perms(request, "network.view_pppoeaccount")
    contract = _contract(request, contract_id)
    return {
        "contract": contract.pk,
        "daily": usage_daily([contract.pk])[contract.pk],
        "monthly": usage_monthly([contract.pk])[contract.pk],
    }


@router.delete(
    "/contracts/{int:contract_id}/pppoe", response=PPPoEAccountOut, url_name="pppoe_delete"
)
def pppoe_delete(request, contract_id: int):
    """Eliminar secret: se quita del router en segundo plano y después de ispgest."""
    require_perms(request, "network.delete_pppoeaccount")
    return services.pppoe_delete(actor=request.user, account=_account(request, contract_id))


class ReconcileRowOut(Schema):
    kind: str
    name: str
    contract: int | None
    managed: bool
    differences: dict[str, list[str]]


class ReconcileOut(Schema):
    router: int
    total_router: int
    total_db: int
    missing: int
    unknown: int
    different: int
    rows: list[ReconcileRowOut]


@router.get(
    "/routers/{int:router_id}/reconciliation",
    response=ReconcileOut,
    url_name="router_reconciliation",
)
def router_reconciliation(request, router_id: int):
    """Faltan en el router, desconocidos en el router y distintos (router → ispgest)."""
    from ispgest.network import reconcile

    require_perms(request, "network.view_pppoeaccount")
    row = get_object_or_404(RouterModel, pk=router_id)
    try:
        report = reconcile.compare(row)
    except routeros.RouterOSError as exc:
        raise _router_error(exc) from None
    return {
        "router": row.pk,
        "total_router": report.total_router,
        "total_db": report.total_db,
        **report.counts,
        "rows": [
            {
                "kind": r.kind,
                "name": r.name,
                "contract": r.account.contract_id if r.account else None,
                "managed": r.managed if r.kind == "unknown" else True,
                "differences": {k: list(v) for k, v in r.diffs.items()},
            }
            for r in report.rows
        ],
    }


# -- non-payment cut-off rules (only an Administrador) ------------------------------------------


class CutoffRuleOut(Schema):
    id: int
    name: str
    billing_entity: int | None = Field(None, alias="billing_entity_id")
    zone: int | None = Field(None, alias="zone_id")
    grace_days: int
    active: bool
    exempt_clients: list[int]

    @staticmethod
    def resolve_exempt_clients(obj) -> list[int]:
        return sorted(obj.exempt_clients.values_list("pk", flat=True))


class CutoffRuleIn(Schema):
    name: str
    billing_entity: int | None = None
    zone: int | None = None
    grace_days: int = 10
    active: bool = True
    exempt_clients: list[int] = Field(default_factory=list, description="Números de cliente.")


class CutoffRulePatch(Schema):
    name: str | None = None
    billing_entity: int | None = None
    zone: int | None = None
    grace_days: int | None = None
    active: bool | None = None
    exempt_clients: list[int] | None = None


@router.get("/cutoff-rules", response=list[CutoffRuleOut], url_name="cutoff_rule_list")
@paginate
def cutoff_rule_list(request, active: bool | None = None):
    """Reglas de corte por impago."""
    require_perms(request, "network.view_cutoffrule")
    qs = CutoffRule.objects.order_by("name", "id")
    return qs if active is None else qs.filter(active=active)


@router.get("/cutoff-rules/{int:rule_id}", response=CutoffRuleOut, url_name="cutoff_rule_get")
def cutoff_rule_get(request, rule_id: int):
    require_perms(request, "network.view_cutoffrule")
    return get_object_or_404(CutoffRule, pk=rule_id)


@router.post("/cutoff-rules", response={201: CutoffRuleOut}, url_name="cutoff_rule_create")
def cutoff_rule_create(request, payload: CutoffRuleIn):
    require_perms(request, "network.add_cutoffrule")
    return Status(201, services.cutoff_rule_create(actor=request.user, data=payload.dict()))


@router.patch("/cutoff-rules/{int:rule_id}", response=CutoffRuleOut, url_name="cutoff_rule_update")
def cutoff_rule_update(request, rule_id: int, payload: CutoffRulePatch):
    require_perms(request, "network.change_cutoffrule")
    rule = get_object_or_404(CutoffRule, pk=rule_id)
    data = payload.dict(exclude_unset=True)
    data = {k: v for k, v in data.items() if v is not None or k in ("billing_entity", "zone")}
    return services.cutoff_rule_update(actor=request.user, rule=rule, data=data)


@router.delete(
    "/cutoff-rules/{int:rule_id}", response=CutoffRuleOut, url_name="cutoff_rule_deactivate"
)
def cutoff_rule_deactivate(request, rule_id: int):
    """Desactiva la regla (no se borra: sus cortes quedan en el historial)."""
    require_perms(request, "network.change_cutoffrule")
    rule = get_object_or_404(CutoffRule, pk=rule_id)
    return services.cutoff_rule_deactivate(actor=request.user, rule=rule)
