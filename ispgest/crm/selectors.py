"""Reads of the CRM, always scoped to what the user may see, each a fixed number of queries.

A user without `crm.view_all_pipeline` sees only the opportunities and prospects whose seller
is its own Seller entry; companies follow the client's visibility (clients.scoping).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from functools import cached_property

from django.db.models import (
    Count,
    DecimalField,
    ExpressionWrapper,
    F,
    Prefetch,
    Q,
    QuerySet,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce
from django.shortcuts import get_object_or_404
from django.utils import timezone

from ispgest.clients.scoping import visible_clients
from ispgest.core.money import round_money
from ispgest.crm.models import (
    Activity,
    AnnualTurnover,
    Attorney,
    Company,
    CompanyBankAccount,
    Opportunity,
    OpportunityStage,
    Prospect,
    ProspectStatus,
    Shareholder,
    StageKind,
    Withholding,
)
from ispgest.crm.permissions import sees_all_pipeline

BOARD_CARDS_PER_STAGE = 50


def _by_seller(user, qs: QuerySet) -> QuerySet:
    if sees_all_pipeline(user):
        return qs
    if getattr(user, "seller_id", None):
        return qs.filter(seller_id=user.seller_id)
    return qs.none()


def visible_opportunities(user) -> QuerySet[Opportunity]:
    if not user.has_perm("crm.view_opportunity"):
        return Opportunity.objects.none()
    return _by_seller(user, Opportunity.objects.all())


def visible_prospects(user) -> QuerySet[Prospect]:
    if not user.has_perm("crm.view_prospect"):
        return Prospect.objects.none()
    return _by_seller(user, Prospect.objects.all())


def visible_activities(user) -> QuerySet[Activity]:
    """Activities of visible opportunities, plus those on a visible client or prospect
    without an opportunity, plus the user's own."""
    if not user.has_perm("crm.view_activity"):
        return Activity.objects.none()
    qs = Activity.objects.all()
    if sees_all_pipeline(user) and user.has_perm("clients.view_all_clients"):
        return qs
    opps = visible_opportunities(user).values("pk")
    clients = visible_clients(user).values("pk")
    prospects = visible_prospects(user).values("pk")
    return qs.filter(
        Q(user=user)
        | Q(opportunity__in=opps)
        | Q(opportunity__isnull=True, client__in=clients)
        | Q(opportunity__isnull=True, client__isnull=True, prospect__in=prospects)
    )


def opportunity_for_user(user, pk: int) -> Opportunity:
    qs = visible_opportunities(user).select_related(
        "client", "prospect", "stage", "seller", "contract", "created_by"
    )
    return get_object_or_404(qs.prefetch_related("plans", "stage__allowed_next"), pk=pk)


def prospect_for_user(user, pk: int) -> Prospect:
    return get_object_or_404(
        visible_prospects(user).select_related("seller", "converted_client", "created_by"), pk=pk
    )


def activity_for_user(user, pk: int) -> Activity:
    return get_object_or_404(
        visible_activities(user).select_related("opportunity", "client", "prospect", "user"),
        pk=pk,
    )


def visible_companies(user) -> QuerySet[Company]:
    if not user.has_perm("crm.view_company"):
        return Company.objects.none()
    if user.has_perm("clients.view_all_clients"):
        return Company.objects.all()
    return Company.objects.filter(client__in=visible_clients(user).values("pk"))


def company_for_user(user, pk: int) -> Company:
    """The company with its sections' rows prefetched (a fixed number of queries)."""
    qs = (
        visible_companies(user)
        .select_related("client")
        .prefetch_related(
            Prefetch(
                "attorneys",
                queryset=Attorney.objects.filter(active=True).order_by("name", "id"),
            ),
            Prefetch(
                "shareholders",
                queryset=Shareholder.objects.filter(active=True).select_related("linked_client"),
            ),
            Prefetch("withholdings", queryset=Withholding.objects.filter(active=True)),
            Prefetch("turnovers", queryset=AnnualTurnover.objects.order_by("-year")),
            Prefetch("bank_accounts", queryset=CompanyBankAccount.objects.filter(active=True)),
        )
    )
    return get_object_or_404(qs, pk=pk)


def client_companies(client) -> QuerySet[Company]:
    return (
        Company.objects.filter(client=client, active=True)
        .annotate(
            attorney_count=Count("attorneys", filter=Q(attorneys__active=True), distinct=True),
            shareholder_total=Coalesce(
                Sum("shareholders__percentage", filter=Q(shareholders__active=True)),
                Value(Decimal("0")),
                output_field=DecimalField(max_digits=7, decimal_places=2),
            ),
        )
        .order_by("name", "id")
    )


def party_opportunities(user, *, client=None, prospect=None) -> QuerySet[Opportunity]:
    qs = visible_opportunities(user).select_related("stage", "seller", "contract")
    qs = qs.filter(client=client) if client is not None else qs.filter(prospect=prospect)
    return qs.order_by("stage__kind", "stage__order", "-created_at", "-id")


def party_activities(user, *, client=None, prospect=None, limit: int = 100):
    qs = visible_activities(user).select_related("user", "opportunity")
    qs = qs.filter(client=client) if client is not None else qs.filter(prospect=prospect)
    return qs.order_by("-occurred_at", "-id")[:limit]


def opportunity_activities(opportunity: Opportunity) -> QuerySet[Activity]:
    return opportunity.activities.select_related("user").order_by("-occurred_at", "-id")


def stages(*, active_only: bool = True) -> list[OpportunityStage]:
    if not OpportunityStage.objects.exists():
        from ispgest.crm.defaults import install_default_stages

        install_default_stages()
    qs = OpportunityStage.objects.prefetch_related("allowed_next")
    if active_only:
        qs = qs.filter(active=True)
    return list(qs.order_by("order", "id"))


def prospect_list(user, *, status: str = ProspectStatus.OPEN, q: str = "", seller: str = ""):
    qs = visible_prospects(user).select_related("seller", "converted_client")
    if status in ProspectStatus.values:
        qs = qs.filter(status=status)
    if seller.isdigit():
        qs = qs.filter(seller_id=int(seller))
    if q:
        qs = qs.filter(
            Q(name__icontains=q)
            | Q(company_name__icontains=q)
            | Q(email__icontains=q)
            | Q(phone__icontains=q)
        )
    return qs.annotate(
        open_opportunities=Count("opportunities", filter=Q(opportunities__stage__kind="open"))
    ).order_by("-created_at", "-id")


# --- "Mis próximas actuaciones" --------------------------------------------------------------


def due_activities(user, *, day: date | None = None, horizon_days: int | None = 14):
    """The user's pending next actions: overdue and due today first, then the coming ones."""
    day = day or timezone.localdate()
    qs = Activity.objects.filter(
        user=user, next_action_on__isnull=False, next_action_done_at__isnull=True
    )
    if horizon_days is not None:
        qs = qs.filter(next_action_on__lte=day + timezone.timedelta(days=horizon_days))
    return qs.select_related("client", "prospect", "opportunity").order_by(
        "next_action_on", "occurred_at", "id"
    )


#: At most this many next actions are listed per group ("Vencidas", "Para hoy", "Próximos
#: días"); the group says how many more there are.
DUE_LIMIT = 100


@dataclass
class DueGroup:
    items: list
    count: int

    @property
    def more(self) -> int:
        return max(0, self.count - len(self.items))


def due_activity_groups(
    user, *, day: date | None = None, horizon_days: int = 14, limit: int = DUE_LIMIT
) -> dict[str, DueGroup]:
    """The user's pending next actions in three groups, each capped at `limit` rows with its
    full count (index range scans of activity_due_idx, whatever the backlog)."""
    day = day or timezone.localdate()
    base = Activity.objects.filter(
        user=user, next_action_on__isnull=False, next_action_done_at__isnull=True
    )
    ranges = {
        "overdue": base.filter(next_action_on__lt=day),
        "today": base.filter(next_action_on=day),
        "upcoming": base.filter(
            next_action_on__gt=day,
            next_action_on__lte=day + timezone.timedelta(days=max(0, horizon_days)),
        ),
    }
    out = {}
    for key, qs in ranges.items():
        items = list(
            qs.select_related("client", "prospect", "opportunity").order_by(
                "next_action_on", "occurred_at", "id"
            )[:limit]
        )
        count = len(items) if len(items) < limit else qs.count()
        out[key] = DueGroup(items=items, count=count)
    return out


# --- The pipeline board -----------------------------------------------------------------------


@dataclass
class BoardColumn:
    stage: OpportunityStage
    cards: list = field(default_factory=list)
    count: int = 0
    total: Decimal = Decimal("0")
    weighted: Decimal = Decimal("0")

    @property
    def hidden(self) -> int:
        return max(0, self.count - len(self.cards))

    @cached_property
    def next_stages(self) -> list[OpportunityStage]:
        """Where a card of this column may move (the transition map, active stages only)."""
        return [s for s in self.stage.allowed_next.all() if s.active]

    @property
    def may_lose(self) -> bool:
        return any(s.kind == StageKind.LOST for s in self.next_stages)


@dataclass
class SellerForecast:
    seller_id: int | None
    seller_name: str
    open_count: int
    open_total: Decimal
    weighted: Decimal
    won_total: Decimal


def _weighted_expr():
    return ExpressionWrapper(
        F("amount") * F("probability") / Value(Decimal("100")),
        output_field=DecimalField(max_digits=18, decimal_places=4),
    )


CLOSED_DAYS = 90


def pipeline_queryset(
    user, *, seller: str = "", date_from: date | None = None, date_to: date | None = None
) -> QuerySet[Opportunity]:
    """The board's opportunities. Without a period, won and lost ones closed more than
    CLOSED_DAYS ago drop off, so the board does not grow with years of closed deals."""
    qs = visible_opportunities(user).filter(stage__active=True)
    if seller == "none":
        qs = qs.filter(seller__isnull=True)
    elif seller.isdigit():
        qs = qs.filter(seller_id=int(seller))
    if date_from:
        qs = qs.filter(expected_close_date__gte=date_from)
    if date_to:
        qs = qs.filter(expected_close_date__lte=date_to)
    if not date_from and not date_to:
        cutoff = timezone.now() - timezone.timedelta(days=CLOSED_DAYS)
        qs = qs.filter(Q(stage__kind="open") | Q(closed_at__gte=cutoff))
    return qs


def pipeline_board(
    user,
    *,
    seller: str = "",
    date_from: date | None = None,
    date_to: date | None = None,
    per_stage: int = BOARD_CARDS_PER_STAGE,
) -> tuple[list[BoardColumn], list[SellerForecast]]:
    """Columns by stage (cards, count, total, weighted forecast) and the forecast per seller.

    A fixed number of queries whatever the number of opportunities: the stages, one grouped
    aggregate per stage, one per seller, and for each stage its first `per_stage` cards by
    close date (an index range scan on (stage, close date) or (seller, stage, close date)).
    """
    columns = {s.pk: BoardColumn(stage=s) for s in stages()}
    qs = pipeline_queryset(user, seller=seller, date_from=date_from, date_to=date_to)
    weighted = _weighted_expr()
    for row in (
        qs.order_by()
        .values("stage_id")
        .annotate(n=Count("id"), total=Sum("amount"), weighted=Sum(weighted))
    ):
        col = columns.get(row["stage_id"])
        if col is not None:
            col.count = row["n"]
            col.total = row["total"] or Decimal("0")
            col.weighted = round_money(row["weighted"] or 0)
    if per_stage:
        cards = qs.select_related("client", "prospect", "seller").order_by(
            F("expected_close_date").asc(nulls_last=True), "id"
        )
        for col in columns.values():
            col.cards = list(cards.filter(stage_id=col.stage.pk)[:per_stage])
    forecast = []
    for row in (
        qs.order_by()
        .values("seller_id", "seller__name")
        .annotate(
            open_count=Count("id", filter=Q(stage__kind="open")),
            open_total=Sum("amount", filter=Q(stage__kind="open")),
            weighted=Sum(weighted, filter=Q(stage__kind="open")),
            won_total=Sum("amount", filter=Q(stage__kind="won")),
        )
        .order_by("seller__name")
    ):
        forecast.append(
            SellerForecast(
                seller_id=row["seller_id"],
                seller_name=row["seller__name"] or "",
                open_count=row["open_count"],
                open_total=row["open_total"] or Decimal("0"),
                weighted=round_money(row["weighted"] or 0),
                won_total=row["won_total"] or Decimal("0"),
            )
        )
    return list(columns.values()), forecast
