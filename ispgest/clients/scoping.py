"""Which clients a staff user may see: every read of clients for a user goes through here."""

from django.db.models import QuerySet

from ispgest.clients.models import Client


def visible_clients(user, queryset: QuerySet[Client] | None = None) -> QuerySet[Client]:
    qs = Client.objects.all() if queryset is None else queryset
    if not user.has_perm("clients.view_client"):
        return qs.none()
    if user.has_perm("clients.view_all_clients"):
        return qs
    if getattr(user, "seller_id", None):
        return qs.filter(seller_id=user.seller_id)
    return qs.none()


def can_see_client(user, client: Client) -> bool:
    return visible_clients(user).filter(pk=client.pk).exists()
