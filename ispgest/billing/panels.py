"""The client overview's billing tabs: Documentos, Monedero (saldo), Pagos, Próximo previo.

A fixed number of queries whatever the client's history: each list is sliced.
"""

from __future__ import annotations

from django.utils.translation import gettext as _

from ispgest.billing import selectors
from ispgest.clients.panels import HeaderFact, Panel
from ispgest.clients.workspace import section_url
from ispgest.core.country import get_profile
from ispgest.core.visibility import can_view_money


def client_header_facts(request, client) -> list[HeaderFact]:
    """Balance and unpaid invoices in the client header (roles that see money only)."""
    user = request.user
    if not (user.has_perm("billing.view_invoice") and can_view_money(user)):
        return []
    summary = selectors.unpaid_summary([client.pk])[client.pk]
    money = get_profile().format_money
    count = summary["unpaid_count"]
    facts = [
        HeaderFact(
            label=_("Saldo"),
            value=money(summary["balance"]),
            level="danger" if summary["balance"] > 0 else "",
            order=10,
        ),
        HeaderFact(
            label=_("Facturas impagas"),
            value=f"{count} · {money(summary['unpaid_total'])}" if count else "0",
            url=section_url(client.pk, "documentos"),
            level="danger" if count else "",
            order=11,
        ),
    ]
    if summary["wallet_balance"]:
        facts.append(
            HeaderFact(
                label=_("Monedero"),
                value=money(summary["wallet_balance"]),
                url=section_url(client.pk, "monedero"),
                order=12,
            )
        )
    return facts


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
