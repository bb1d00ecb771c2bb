"""The client overview tabs this app contributes: Contratos, Asignación de tarifas,
Equipamiento, Renovaciones and Contratos firmados. Each runs a fixed number of queries."""

from __future__ import annotations

from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _

from ispgest.clients.panels import Panel
from ispgest.contracts import selectors
from ispgest.contracts.forms import PlanAssignForm, SignedDocumentForm
from ispgest.contracts.models import Contract, ContractStatus, PackageAssignment, RenewablePackage

SHOW_ENDED_PARAM = "tarifas_baja"


def _billing_document_url_available() -> bool:
    try:
        reverse("billing:document_from_package", args=[1, "quote"])
    except NoReverseMatch:
        return False
    return True


def _panel(key: str, title: str, template: str, context: dict, order: int) -> Panel:
    # Templates read `p` (the panel's data): it works whether the overview renders the
    # template with the panel's context or includes it with `panel=panel`.
    return Panel(
        key=key, title=title, template=template, context={**context, "p": context}, order=order
    )


def client_panels(request, client) -> list[Panel]:
    user = request.user
    panels: list[Panel] = []
    contracts: list[Contract] | None = None
    if user.has_perm("contracts.view_contract"):
        contracts = list(selectors.client_contracts(client))
        panels.append(
            _panel(
                key="contratos",
                title=_("Contratos (%(count)s)")
                % {"count": sum(c.status != ContractStatus.CANCELLED for c in contracts)},
                template="contracts/panels/contracts.html",
                context={"client": client, "contracts": contracts},
                order=20,
            )
        )
    if user.has_perm("contracts.view_planassignment"):
        show_ended = request.GET.get(SHOW_ENDED_PARAM) == "1"
        assignments = list(selectors.client_plan_assignments(client, include_ended=show_ended))
        can_assign = user.has_perm("contracts.add_planassignment")
        open_contracts = [c for c in (contracts or []) if c.status != ContractStatus.CANCELLED]
        panels.append(
            _panel(
                key="tarifas",
                title=_("Asignación de tarifas"),
                template="contracts/panels/plans.html",
                context={
                    "client": client,
                    "assignments": assignments,
                    "show_ended": show_ended,
                    "param": SHOW_ENDED_PARAM,
                    "open_contracts": open_contracts,
                    "assign_form": (
                        PlanAssignForm(auto_id="id_assign_%s", contracts=open_contracts)
                        if can_assign and open_contracts
                        else None
                    ),
                },
                order=21,
            )
        )
    if user.has_perm("contracts.view_equipment"):
        equipment = list(selectors.client_equipment(client))
        panels.append(
            _panel(
                key="equipamiento",
                title=_("Equipamiento"),
                template="contracts/panels/equipment.html",
                context={"client": client, "equipment": equipment},
                order=22,
            )
        )
    if user.has_perm("contracts.view_packageassignment"):
        assignments = list(selectors.client_package_assignments(client))
        can_assign = user.has_perm("contracts.add_packageassignment")
        packages = list(RenewablePackage.objects.filter(active=True)) if can_assign else []
        panels.append(
            _panel(
                key="renovaciones",
                title=_("Renovaciones"),
                template="contracts/panels/renewals.html",
                context={
                    "client": client,
                    "package_assignments": assignments,
                    "active_count": sum(
                        a.status == PackageAssignment.Status.ACTIVE for a in assignments
                    ),
                    "packages": packages,
                    "billing_documents": _billing_document_url_available(),
                },
                order=23,
            )
        )
    if user.has_perm("contracts.view_signeddocument"):
        documents = list(selectors.client_signed_documents(client))
        can_upload = user.has_perm("contracts.add_signeddocument")
        form = None
        if can_upload:
            form = SignedDocumentForm(client=client, auto_id="id_signed_%s")
            # The contracts were already loaded above: no extra query for the select.
            form.fields["contract"].choices = [("", "---------")] + [
                (c.pk, f"#{c.pk} · {c.address}") for c in (contracts or [])
            ]
        panels.append(
            _panel(
                key="contratos-firmados",
                title=_("Contratos firmados"),
                template="contracts/panels/documents.html",
                context={"client": client, "documents": documents, "upload_form": form},
                order=24,
            )
        )
    return panels
