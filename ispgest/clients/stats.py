"""The clients' dashboard figures: a per-(seller, zone) snapshot rebuilt by a scheduled job.

`refresh_client_tallies()` reads the clients table once (grouped by seller and zone) and the
suspended contracts once, and replaces every `ClientTally` row in one transaction: a few
seconds at a million clients, every few minutes, instead of on every page view.
`client_figures(scope)` reads the snapshot for a user's scope (all clients, or one seller's).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from django.db import transaction
from django.db.models import Count, Max, Q, Sum
from django.utils import timezone
from django_tasks import task

from ispgest.clients import registry
from ispgest.clients.models import Client, ClientTally
from ispgest.clients.scoping import ClientScope


def month_start(today: date | None = None) -> date:
    today = today or timezone.localdate()
    return today.replace(day=1)


def _aware_midnight(day: date) -> datetime:
    return datetime.combine(day, datetime.min.time(), tzinfo=timezone.get_current_timezone())


@transaction.atomic
def refresh_client_tallies(now: datetime | None = None) -> int:
    """Rebuild the snapshot; returns the number of (seller, zone) rows."""
    now = now or timezone.now()
    month = month_start(timezone.localtime(now).date())
    since = _aware_midnight(month)
    rows: dict[tuple[int, int], ClientTally] = {}

    def row(seller, zone) -> ClientTally:
        key = (seller or 0, zone or 0)
        if key not in rows:
            rows[key] = ClientTally(
                seller_key=key[0], zone_key=key[1], month=month, computed_at=now
            )
        return rows[key]

    active, inactive = Client.Status.ACTIVE, Client.Status.INACTIVE
    for r in (
        Client.objects.order_by()
        .values("seller_id", "zone_id")
        .annotate(
            n_active=Count("id", filter=Q(status=active)),
            n_inactive=Count("id", filter=Q(status=inactive)),
            n_created=Count("id", filter=Q(created_at__gte=since)),
            n_gone=Count("id", filter=Q(status=inactive, deactivated_at__gte=since)),
        )
    ):
        tally = row(r["seller_id"], r["zone_id"])
        tally.active = r["n_active"]
        tally.inactive = r["n_inactive"]
        tally.created_in_month = r["n_created"]
        tally.deactivated_in_month = r["n_gone"]
    contracts = registry.contracts()
    if contracts is not None:
        # Clients (active) with at least one suspended contract: the client list's
        # "Estado del contrato: Suspendido" filter.
        for r in contracts.suspended_by_seller_zone():
            row(r["client__seller_id"], r["client__zone_id"]).suspended = r["n"]
    ClientTally.objects.all().delete()
    ClientTally.objects.bulk_create(rows.values(), batch_size=1000)
    return len(rows)


@dataclass
class ClientFigures:
    computed_at: datetime | None
    month: date | None
    active: int = 0
    inactive: int = 0
    suspended: int = 0
    created_in_month: int | None = None
    deactivated_in_month: int | None = None
    by_zone: list[tuple[int, int]] = field(default_factory=list)  # (zone id or 0, active)

    @property
    def ready(self) -> bool:
        return self.computed_at is not None


def _scoped(scope: ClientScope):
    qs = ClientTally.objects.all()
    if scope.all:
        return qs
    if scope.seller_id is not None:
        return qs.filter(seller_key=scope.seller_id)
    return qs.none()


def client_figures(scope: ClientScope, *, today: date | None = None) -> ClientFigures:
    """The snapshot summed over the scope: two small queries."""
    qs = _scoped(scope)
    agg = qs.aggregate(
        active=Sum("active"),
        inactive=Sum("inactive"),
        suspended=Sum("suspended"),
        created=Sum("created_in_month"),
        gone=Sum("deactivated_in_month"),
        computed_at=Max("computed_at"),
        month=Max("month"),
    )
    if agg["computed_at"] is None:
        # Nothing yet (a new installation, or a seller with no clients): an empty snapshot
        # of this scope still says when the snapshot was taken.
        last = ClientTally.objects.aggregate(at=Max("computed_at"), month=Max("month"))
        return ClientFigures(computed_at=last["at"], month=last["month"])
    current = agg["month"] == month_start(today)
    by_zone = [
        (r["zone_key"], r["n"])
        for r in qs.values("zone_key").annotate(n=Sum("active")).order_by("-n", "zone_key")
        if r["n"]
    ]
    return ClientFigures(
        computed_at=agg["computed_at"],
        month=agg["month"],
        active=agg["active"] or 0,
        inactive=agg["inactive"] or 0,
        suspended=agg["suspended"] or 0,
        created_in_month=(agg["created"] or 0) if current else None,
        deactivated_in_month=(agg["gone"] or 0) if current else None,
        by_zone=by_zone,
    )


@task()
def refresh_client_tallies_task() -> int:
    """Scheduled job `clients.dashboard_refresh`."""
    return refresh_client_tallies()
