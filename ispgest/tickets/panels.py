"""The client workspace section "Tickets" (group "Comunicación"): the client's tickets the
user may see, newest first, with "Nuevo ticket". The badge counts the active ones (one
query); the list is read only when the section is shown (one query)."""

from __future__ import annotations

from django.utils.translation import gettext as _

from ispgest.clients.panels import Panel
from ispgest.tickets import selectors

LIMIT = 50


def client_panels(request, client) -> list[Panel]:
    user = request.user
    if not user.has_perm("tickets.view_ticket"):
        return []
    active = selectors.client_active_count(user, client)

    def tickets() -> dict:
        rows = selectors.client_tickets(user, client, limit=LIMIT + 1)
        context = {"client": client, "tickets": rows[:LIMIT], "more": len(rows) > LIMIT}
        return {**context, "p": context}

    return [
        Panel(
            key="tickets",
            title=_("Tickets"),
            template="tickets/panels/tickets.html",
            context=tickets,
            order=45,
            group="communication",
            badge=str(active) if active else "",
        )
    ]
