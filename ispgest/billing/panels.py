"""The client overview's billing tabs: Documentos, Monedero (saldo), Pagos, Próximo previo.

A fixed number of queries whatever the client's history: each list is sliced.
"""

from __future__ import annotations

from django.utils.translation import gettext as _

from ispgest.billing import selectors
from ispgest.clients.panels import Panel
from ispgest.core.country import get_profile


def client_panels(request, client) -> list[Panel]:
    user = request.user
    if not user.has_perm("billing.view_invoice"):
        return []
    balance = selectors.wallet_balance(client.pk)
    summary = selectors.unpaid_summary([client.pk])[client.pk]
    panels = [
        Panel(
            key="documentos",
            title=_("Documentos"),
            template="billing/panels/documents.html",
            context={
                "documents": list(selectors.client_documents(client.pk)[:50]),
                "summary": summary,
            },
            order=40,
        ),
        Panel(
            key="monedero",
            title=_("Monedero (%(balance)s)") % {"balance": get_profile().format_money(balance)},
            template="billing/panels/wallet.html",
            context={
                "balance": balance,
                "movements": list(selectors.wallet_movements(client.pk)[:20]),
            },
            order=41,
        ),
    ]
    if user.has_perm("billing.view_payment"):
        panels.append(
            Panel(
                key="pagos",
                title=_("Pagos"),
                template="billing/panels/payments.html",
                context={"payments": list(selectors.client_payments(client.pk)[:30])},
                order=42,
            )
        )
    panels.append(
        Panel(
            key="proximo-previo",
            title=_("Próximo previo"),
            template="billing/panels/preview.html",
            context={},
            order=43,
        )
    )
    return panels
