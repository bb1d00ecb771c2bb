"""The client's "Correo" tab: its mail log and an "Enviar Email" form (seed 004 "Correo").

Two queries whatever the size of the log: the last messages (capped) and their count.
"""

from __future__ import annotations

from django.utils.translation import gettext as _

from ispgest.clients.notifications import manual_recipients
from ispgest.clients.panels import Panel

MAIL_LOG_LIMIT = 50


def client_panels(request, client) -> list[Panel]:
    from ispgest.clients.forms import ClientMessageForm
    from ispgest.messaging.models import EmailMessage

    if not request.user.has_perm("messaging.view_emailmessage"):
        return []
    messages = list(
        EmailMessage.objects.filter(client=client)
        .select_related("sent_by")
        .order_by("-created_at", "-id")[:MAIL_LOG_LIMIT]
    )
    return [
        Panel(
            key="correo",
            title=_("Correo"),
            template="clients/_mail_panel.html",
            context={
                "mail_log": messages,
                "mail_limit": MAIL_LOG_LIMIT,
                "mail_form": ClientMessageForm(),
                "mail_recipients": manual_recipients(client),
                "can_send_mail": request.user.has_perm("messaging.add_emailmessage"),
            },
            order=80,
        )
    ]
