"""A prospect becomes a client through the clients' own form (clients/sources.py): the form
opens prefilled from the prospect and, in the transaction that creates the client, the
prospect's opportunities, activities and history move to it."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.utils.translation import gettext as _

from ispgest.crm import selectors, services


def load_prospect(request, raw: str):
    if not str(raw).isdigit():
        raise Http404
    if not request.user.has_perm("crm.change_prospect"):
        raise PermissionDenied
    prospect = selectors.prospect_for_user(request.user, int(raw))
    if not prospect.is_open:
        raise Http404
    return prospect


def client_initial(prospect) -> dict:
    return services.prospect_client_initial(prospect)


def banner(prospect) -> str:
    return _(
        "Alta del prospecto «%(name)s» como cliente: sus oportunidades, actuaciones e "
        "historial pasarán a la ficha del cliente al guardar."
    ) % {"name": prospect.name}


def attach(*, actor, row, client) -> None:
    services.prospect_attach_client(actor=actor, prospect=row, client=client)
