"""Which clients a staff user may see: every read of clients for a user goes through here."""

from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet

from ispgest.clients.models import Client


@dataclass(frozen=True)
class ClientScope:
    """The rule of `visible_clients` as data, for readers of per-seller summary rows
    (the dashboard): every client, one seller's clients, or none."""

    all: bool = False
    seller_id: int | None = None

    @property
    def none(self) -> bool:
        return not self.all and self.seller_id is None


def client_scope(user) -> ClientScope:
    if not user.has_perm("clients.view_client"):
        return ClientScope()
    if user.has_perm("clients.view_all_clients"):
        return ClientScope(all=True)
    if getattr(user, "seller_id", None):
        return ClientScope(seller_id=user.seller_id)
    return ClientScope()


def visible_clients(user, queryset: QuerySet[Client] | None = None) -> QuerySet[Client]:
    qs = Client.objects.all() if queryset is None else queryset
    scope = client_scope(user)
    if scope.all:
        return qs
    if scope.seller_id is not None:
        return qs.filter(seller_id=scope.seller_id)
    return qs.none()


SELLER_SCOPE_MESSAGE = "Vendedor: solo puede asignar clientes a su propio vendedor."


def _scoped(actor) -> ClientScope | None:
    """The actor's scope when it is limited (a person without view_all_clients), else None:
    the system (actor None) and staff who see every client are not limited."""
    if actor is None or not getattr(actor, "pk", None):
        return None
    scope = client_scope(actor)
    return None if scope.all else scope


def scoped_seller_default(actor, data: dict) -> dict:
    """A limited actor's new client is its own when `data` names no seller."""
    scope = _scoped(actor)
    if scope is not None and scope.seller_id is not None and not data.get("seller"):
        return {**data, "seller": scope.seller_id}
    return data


def check_client_write(actor, *, clients: QuerySet[Client] | None = None, data: dict) -> None:
    """Refuse a limited actor changing clients it cannot see (PermissionDenied) or giving a
    client to another seller (ValidationError on `seller`). Writes nothing."""
    scope = _scoped(actor)
    if scope is None:
        return
    if clients is not None:
        allowed_seller = scope.seller_id
        if allowed_seller is None or clients.exclude(seller_id=allowed_seller).exists():
            raise PermissionDenied
    if "seller" in data:
        value = data["seller"]
        seller_id = getattr(value, "pk", value)
        if seller_id in ("", None) or int(seller_id) != scope.seller_id:
            raise ValidationError({"seller": [SELLER_SCOPE_MESSAGE]})
