"""Reads of the network app. Usage series: per day (last 30 days) and per month (last 12
months) of the ISP's time zone, from the per-day rows and the hourly rows not yet folded,
with every period present (zero when nothing was sampled). A fixed number of queries
whatever the number of contracts. `usage_blocks` is the Consumo section's read (the staff
client overview and the portal): per open contract, its charts."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.db.models import F, Sum
from django.db.models.functions import TruncDate, TruncMonth
from django.utils import timezone
from django.utils.translation import gettext as _

from ispgest.contracts.models import Contract, ContractStatus
from ispgest.network.charts import bar_chart
from ispgest.network.models import UsageDay, UsageHour


@dataclass(frozen=True)
class UsagePoint:
    start: date  # the day, or the first day of the month
    bytes_down: int
    bytes_up: int


def _month_start(d: date, back: int = 0) -> date:
    index = d.year * 12 + d.month - 1 - back
    return date(index // 12, index % 12 + 1, 1)


def _as_date(value) -> date:
    return value.date() if isinstance(value, datetime) else value


def _sums(contract_ids, first: date, trunc_hour, trunc_day) -> dict:
    """{contract id: {period start: [down, up]}} from the day rows and the hour rows."""
    tz = timezone.get_current_timezone()
    start = datetime.combine(first, datetime.min.time(), tzinfo=tz)
    out: dict[int, dict[date, list[int]]] = defaultdict(lambda: defaultdict(lambda: [0, 0]))
    queries = [
        UsageDay.objects.filter(contract_id__in=contract_ids, day__gte=first).annotate(
            period=trunc_day
        ),
        UsageHour.objects.filter(contract_id__in=contract_ids, hour__gte=start).annotate(
            period=trunc_hour
        ),
    ]
    for qs in queries:
        rows = (
            qs.values("contract_id", "period")
            .annotate(down=Sum("bytes_down"), up=Sum("bytes_up"))
            .order_by()
        )
        for r in rows:
            cell = out[r["contract_id"]][_as_date(r["period"])]
            cell[0] += r["down"] or 0
            cell[1] += r["up"] or 0
    return out


def usage_daily(contract_ids, *, days: int = 30, today: date | None = None) -> dict:
    """{contract id: [UsagePoint per day, oldest first, `days` of them ending today]}.

    A day row is its own period: a date is never truncated as a datetime (that would read
    it as midnight UTC and, east of UTC, move it to the day before)."""
    tz = timezone.get_current_timezone()
    today = today or timezone.localdate()
    first = today - timedelta(days=days - 1)
    ids = list(contract_ids)
    sums = _sums(ids, first, TruncDate("hour", tzinfo=tz), F("day"))
    periods = [first + timedelta(days=n) for n in range(days)]
    return {cid: _points(periods, sums.get(cid, {})) for cid in ids}


def usage_monthly(contract_ids, *, months: int = 12, today: date | None = None) -> dict:
    """{contract id: [UsagePoint per month, oldest first, `months` ending this month]}."""
    tz = timezone.get_current_timezone()
    today = today or timezone.localdate()
    first = _month_start(today, months - 1)
    ids = list(contract_ids)
    sums = _sums(ids, first, TruncMonth("hour", tzinfo=tz), TruncMonth("day"))
    periods = [_month_start(today, back) for back in range(months - 1, -1, -1)]
    return {cid: _points(periods, sums.get(cid, {})) for cid in ids}


def _points(periods: list[date], sums: dict) -> list[UsagePoint]:
    return [UsagePoint(p, *sums.get(p, (0, 0))) for p in periods]


def usage_blocks(client) -> list[dict]:
    """Per contract of `client` that is not cancelled: its four charts (download and upload,
    per day and per month) and whether any period has samples."""
    contracts = list(
        Contract.objects.filter(client=client)
        .exclude(status=ContractStatus.CANCELLED)
        .select_related("plan")
        .order_by("id")
    )
    ids = [c.pk for c in contracts]
    daily, monthly = usage_daily(ids), usage_monthly(ids)
    blocks = []
    for c in contracts:
        days, months = daily[c.pk], monthly[c.pk]
        charts = []
        for kind, points, period in (
            ("day", days, _("por día, últimos 30 días")),
            ("month", months, _("por mes, últimos 12 meses")),
        ):
            for field, what in (("bytes_down", _("Descarga")), ("bytes_up", _("Subida"))):
                charts.append(
                    bar_chart(
                        points,
                        field=field,
                        kind=kind,
                        title=f"{what} {period}",
                        chart_id=f"usage-{c.pk}-{kind}-{field.removeprefix('bytes_')}",
                    )
                )
        has_samples = any(p.bytes_down or p.bytes_up for p in (*days, *months))
        blocks.append({"contract": c, "charts": charts, "has_samples": has_samples})
    return blocks
