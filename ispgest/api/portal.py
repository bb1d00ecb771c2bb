"""Portal account endpoints under /api/v1/portal/: read a client's portal access and
"Regenerar contraseña" (the same service, permission and refusals as the key button)."""

from datetime import datetime

from django.shortcuts import get_object_or_404
from ninja import Router, Schema

from ispgest.api.base import require_perms
from ispgest.clients.scoping import visible_clients
from ispgest.portal import services
from ispgest.portal.models import PortalAccount

router = Router(tags=["portal"])


class PortalAccountOut(Schema):
    client: int
    login_email: str | None
    has_password: bool
    password_set_at: datetime | None
    last_login: datetime | None


def _out(client, account: PortalAccount | None) -> PortalAccountOut:
    return PortalAccountOut(
        client=client.pk,
        login_email=client.email,
        has_password=bool(account and account.password),
        password_set_at=account.password_set_at if account else None,
        last_login=account.last_login if account else None,
    )


def _client(request, client_id: int):
    return get_object_or_404(visible_clients(request.user), pk=client_id)


@router.get(
    "/accounts/{int:client_id}", response=PortalAccountOut, url_name="portal_account_detail"
)
def portal_account_detail(request, client_id: int):
    """El acceso del cliente al portal: e-mail de acceso, si tiene contraseña, último acceso."""
    require_perms(request, "clients.view_client")
    client = _client(request, client_id)
    return _out(client, PortalAccount.objects.filter(client=client).first())


@router.post(
    "/accounts/{int:client_id}/regenerate-password",
    response=PortalAccountOut,
    url_name="portal_account_regenerate_password",
)
def portal_account_regenerate_password(request, client_id: int):
    """Regenerar contraseña: genera una contraseña nueva y la envía al e-mail principal.
    La respuesta nunca contiene la contraseña."""
    require_perms(request, "clients.regenerate_portal_password")
    client = _client(request, client_id)
    account = services.portal_password_regenerate(actor=request.user, client=client)
    return _out(client, account)
