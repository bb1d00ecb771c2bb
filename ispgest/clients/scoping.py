"""Which clients a staff user may see: every read of clients for a user goes through here."""

from __future__ import annotations

from dataclasses import dataclass

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


def can_see_client(user, client: Client) -> bool:
    return visible_clients(user).filter(pk=client.pk).exists()
