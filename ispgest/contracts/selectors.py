"""Reads for contract pages, client tabs and the API, always through the user's visible
clients and with the joins they need (no N+1)."""

from __future__ import annotations

from django.db.models import Count, Prefetch, QuerySet

from ispgest.clients.models import Client
from ispgest.clients.registry import ContractLookups
from ispgest.clients.scoping import visible_clients
from ispgest.contracts.models import (
    Contract,
    ContractStatus,
    ContractStatusChange,
    Equipment,
    PackageAssignment,
    PackageAssignmentLine,
    Plan,
    PlanAssignment,
    SignedDocument,
)
from ispgest.core.text import fold


def visible_contracts(user) -> QuerySet[Contract]:
    if user.has_perm("clients.view_client") and user.has_perm("clients.view_all_clients"):
        # visible_clients() would return every client: skip the semi-join over all of them.
        return Contract.objects.all()
    return Contract.objects.filter(client__in=visible_clients(user).values("pk"))


def contract_list(user, *, status: str = "", zone: str = "", plan: str = "", q: str = ""):
    qs = visible_contracts(user).select_related("client", "plan", "zone", "router")
    if status:
        qs = qs.filter(status=status)
    if zone.isdigit():
        qs = qs.filter(zone_id=int(zone))
    if plan.isdigit():
        qs = qs.filter(plan_id=int(plan))
    if q:
        # A UNION of two index-driven id sets (trigram indexes on the contract's address and
        # on the client's folded search text, kept on the ClientSearch side table): an OR across the join would scan every
        # contract instead (0.6 s vs 30 ms on 1.2M contracts).
        by_address = Contract.objects.filter(address__icontains=q).order_by().values("pk")
        by_client = (
            Contract.objects.filter(client__search_row__search_text__contains=fold(q))
            .order_by()
            .values("pk")
        )
        qs = qs.filter(pk__in=by_address.union(by_client))
    return qs.order_by("-id")


def client_contracts(client) -> QuerySet[Contract]:
    return (
        Contract.objects.filter(client=client)
        .select_related("plan", "zone", "router", "city", "payment_method")
        .order_by("status", "-id")
    )


def client_plan_assignments(client, *, include_ended: bool) -> QuerySet[PlanAssignment]:
    qs = PlanAssignment.objects.filter(contract__client=client).select_related("plan", "contract")
    if not include_ended:
        qs = qs.filter(end_date__isnull=True)
    return qs.order_by("contract_id", "-start_date", "-id")


def client_equipment(client) -> QuerySet[Equipment]:
    return (
        Equipment.objects.filter(client=client)
        .select_related("product", "contract", "technician")
        .order_by("status", "-installed_on", "-id")
    )


def client_package_assignments(client) -> QuerySet[PackageAssignment]:
    return (
        PackageAssignment.objects.filter(client=client)
        .select_related("package", "contract")
        .prefetch_related(
            Prefetch(
                "lines",
                queryset=PackageAssignmentLine.objects.select_related("product", "tax"),
            )
        )
        .order_by("status", "-start_date", "-id")
    )


def client_signed_documents(client) -> QuerySet[SignedDocument]:
    return (
        SignedDocument.objects.filter(client=client)
        .select_related("contract", "uploaded_by")
        .order_by("-created_at", "-id")
    )


def suspension_reasons(contract_ids) -> dict[int, str]:
    """{contract id: the reason of its latest move to "Suspendido"} (one query)."""
    rows = (
        ContractStatusChange.objects.filter(
            contract_id__in=list(contract_ids), to_status=ContractStatus.SUSPENDED
        )
        .order_by("contract_id", "-changed_at", "-id")
        .values_list("contract_id", "reason")
    )
    out: dict[int, str] = {}
    for contract_id, reason in rows:
        out.setdefault(contract_id, reason)
    return out


# What the client list and the client tallies read of contracts (clients.registry).


def contracts_matching(conditions: dict) -> QuerySet[Contract]:
    """Contracts meeting every condition (zone, plan, router, status) on the same contract."""
    return Contract.objects.filter(**conditions)


def suspended_clients_by_seller_zone() -> QuerySet:
    """Active clients with a suspended contract, per (seller, zone): {"client__seller_id",
    "client__zone_id", "n"}."""
    return (
        Contract.objects.filter(
            status=ContractStatus.SUSPENDED, client__status=Client.Status.ACTIVE
        )
        .order_by()
        .values("client__seller_id", "client__zone_id")
        .annotate(n=Count("client_id", distinct=True))
    )


def client_registry_lookups() -> ContractLookups:
    router = Contract._meta.get_field("router").related_model  # network's, by name
    return ContractLookups(
        plans=lambda: Plan.objects.all(),
        routers=lambda: router.objects.all(),
        statuses=lambda: list(ContractStatus.choices),
        matching=contracts_matching,
        suspended_by_seller_zone=suspended_clients_by_seller_zone,
    )
