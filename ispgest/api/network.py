"""Network endpoints under /api/v1/network/: the router catalog. The API password is
write-only: answers only say whether one is stored."""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from ninja import Field, Router, Schema, Status
from ninja.pagination import paginate

from ispgest.api.base import require_perms
from ispgest.network import services
from ispgest.network.models import Router as RouterModel

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


class RouterIn(Schema):
    name: str
    host: str
    api_port: int = 8728
    username: str = ""
    password: str = Field("", description="Solo escritura; se guarda cifrada.")
    zone: int | None = None
    active: bool = True
    notes: str = ""


class RouterPatch(Schema):
    name: str | None = None
    host: str | None = None
    api_port: int | None = None
    username: str | None = None
    password: str | None = Field(None, description='Solo escritura; "" la borra.')
    zone: int | None = None
    active: bool | None = None
    notes: str | None = None


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
