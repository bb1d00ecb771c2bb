"""The client overview tabs of the CRM: "Sociedades" and "Oportunidades" (the client's
opportunities the user may see, and its "Historial de actuaciones"). Each runs a fixed
number of queries whatever the number of rows."""

from __future__ import annotations

from django.utils.translation import gettext as _

from ispgest.clients.panels import Panel
from ispgest.crm import selectors


def client_panels(request, client) -> list[Panel]:
    user = request.user
    panels: list[Panel] = []
    if user.has_perm("crm.view_company"):
        companies = list(selectors.client_companies(client))
        context = {"client": client, "companies": companies}
        panels.append(
            Panel(
                key="sociedades",
                title=_("Sociedades (%(n)s)") % {"n": len(companies)},
                template="crm/panels/companies.html",
                context={**context, "p": context},
                order=60,
            )
        )
    if user.has_perm("crm.view_opportunity"):
        opportunities = list(selectors.party_opportunities(user, client=client))
        activities = list(selectors.party_activities(user, client=client, limit=50))
        context = {"client": client, "opportunities": opportunities, "activities": activities}
        panels.append(
            Panel(
                key="oportunidades",
                title=_("Oportunidades (%(n)s)")
                % {"n": sum(o.stage.kind == "open" for o in opportunities)},
                template="crm/panels/opportunities.html",
                context={**context, "p": context},
                order=61,
            )
        )
    return panels
