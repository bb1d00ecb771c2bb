"""The portal's contributions to the client's workspace: the "Regenerar contraseña" key
button in the header and on each row of the client list (seed 000, section 6)."""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext as _

from ispgest.clients.panels import ClientAction, RowAction

ICON = "🔑"


def client_panels(request, client) -> list:
    return []


def client_actions(request, client) -> list[ClientAction]:
    if not request.user.has_perm("clients.regenerate_portal_password"):
        return []
    return [
        ClientAction(
            label=_("Regenerar contraseña"),
            url=reverse("portal_staff:regenerate_password", args=[client.pk]),
            method="post",
            confirm=_("¿Generar una contraseña nueva del portal y enviarla al e-mail principal?"),
            icon=ICON,
            order=15,
        )
    ]


def client_row_actions(request) -> list[RowAction]:
    if not request.user.has_perm("clients.regenerate_portal_password"):
        return []
    return [
        RowAction(
            label=_("Regenerar contraseña"),
            url_name="portal_staff:regenerate_password",
            icon=ICON,
            method="post",
            confirm=_("¿Generar una contraseña nueva del portal y enviarla al e-mail principal?"),
            order=15,
        )
    ]
