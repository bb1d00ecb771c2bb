"""The Inicio card "Tickets abiertos": active tickets the user may see, how many are overdue
and how many are the user's (one aggregate query over the status/due index)."""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext as _

from ispgest.core.dashboard import Card
from ispgest.tickets import selectors


def dashboard_cards(request) -> list:
    user = request.user
    if not user.has_perm("tickets.view_ticket"):
        return []
    total, overdue, mine = selectors.open_counts(user)
    hint = _("%(overdue)s vencidos · %(mine)s míos") % {"overdue": overdue, "mine": mine}
    return [
        Card(
            key="tickets-open",
            title=_("Tickets abiertos"),
            value=str(total),
            url=reverse("tickets:list"),
            hint=hint,
            section="work",
            order=30,
            level="danger" if overdue else "",
        )
    ]
