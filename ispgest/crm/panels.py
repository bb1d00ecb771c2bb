"""The client workspace sections of the CRM (group "Comercial"): "Sociedades" and
"Oportunidades" (the client's opportunities the user may see, and its "Historial de
actuaciones"). Their data is read only when the section is shown, in a fixed number of
queries whatever the number of rows."""

from __future__ import annotations

from django.utils.translation import gettext as _

from ispgest.clients.panels import Panel
from ispgest.crm import selectors


def client_panels(request, client) -> list[Panel]:
    user = request.user
    panels: list[Panel] = []
    if user.has_perm("crm.view_company"):

        def companies() -> dict:
            context = {"client": client, "companies": list(selectors.client_companies(client))}
            return {**context, "p": context}

        panels.append(
            Panel(
                key="sociedades",
                title=_("Sociedades"),
                template="crm/panels/companies.html",
                context=companies,
                order=60,
                group="sales",
            )
        )
    if user.has_perm("crm.view_opportunity"):

        def opportunities() -> dict:
            context = {
                "client": client,
                "opportunities": list(selectors.party_opportunities(user, client=client)),
                "activities": list(selectors.party_activities(user, client=client, limit=50)),
            }
            return {**context, "p": context}

        panels.append(
            Panel(
                key="oportunidades",
                title=_("Oportunidades"),
                template="crm/panels/opportunities.html",
                context=opportunities,
                order=61,
                group="sales",
            )
        )
    return panels
