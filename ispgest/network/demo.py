"""Demo data: usage samples ("Consumo") so the client overview's charts have something to
show. Only the first `USAGE_CONTRACTS` active contracts get samples, whatever the number
of clients (`demo_data --clients 1000000` writes the same few hundred thousand rows as a
small demo): one per-day row per day from the first day of the month eleven months ago to
yesterday (what the daily roll-up leaves) and one per-hour row per hour of today so far
(what the 5-minute sampling writes), streamed with `core.bulk.bulk_write` (COPY on
PostgreSQL). Traffic grows with the plan's speed, is higher at weekends and in the evening,
and the upload is a tenth of the download or so. Its own random generator (from the seed):
the apps after it get the same data as without it.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from ispgest.contracts.models import Contract, ContractStatus
from ispgest.core.bulk import bulk_write
from ispgest.network.models import UsageDay, UsageHour

USAGE_CONTRACTS = 500
FLUSH_ROWS = 50_000
GB = 1_000_000_000
# Share of a day's traffic per hour of the day (evening peak).
HOURLY = [2, 1, 1, 1, 1, 1, 2, 3, 4, 4, 4, 5, 5, 5, 5, 5, 6, 7, 8, 9, 9, 8, 6, 3]


def _month_start(d, back: int):
    index = d.year * 12 + d.month - 1 - back
    return d.replace(year=index // 12, month=index % 12 + 1, day=1)


def generate(ctx) -> None:
    rng = random.Random(f"network-{ctx.seed}")
    today = timezone.localdate()
    first = _month_start(today, 11)
    tz = timezone.get_current_timezone()
    now = timezone.localtime()
    contracts = list(
        Contract.objects.filter(status=ContractStatus.ACTIVE, start_date__lt=today)
        .order_by("id")
        .values_list("id", "start_date", "plan__download_kbps")[:USAGE_CONTRACTS]
    )
    days, hours = [], []
    counts = {"days": 0, "hours": 0}

    def flush(force: bool = False) -> None:
        if force or len(days) >= FLUSH_ROWS:
            bulk_write(UsageDay, ("contract_id", "day", "bytes_down", "bytes_up"), days)
            bulk_write(UsageHour, ("contract_id", "hour", "bytes_down", "bytes_up"), hours)
            counts["days"] += len(days)
            counts["hours"] += len(hours)
            days.clear()
            hours.clear()

    midnight = datetime.combine(today, datetime.min.time(), tzinfo=tz)
    with transaction.atomic():
        # Written from scratch: a rerun on the same database does not count twice.
        ids = [c[0] for c in contracts]
        UsageDay.objects.filter(contract_id__in=ids).delete()
        UsageHour.objects.filter(contract_id__in=ids).delete()
        for contract_id, start, kbps in contracts:
            mbps = (kbps or 30_000) / 1000
            base = GB * rng.uniform(0.5, 1.5) * min(1 + mbps / 25, 9)
            up_share = rng.uniform(0.06, 0.15)
            day = max(first, start)
            while day < today:
                weekend = 1.4 if day.weekday() >= 5 else 1.0
                down = int(base * weekend * rng.uniform(0.3, 1.6))
                days.append((contract_id, day, down, int(down * up_share)))
                day += timedelta(days=1)
            for h in range(now.hour + 1):
                down = int(base * HOURLY[h] / 100 * rng.uniform(0.5, 1.5))
                hours.append(
                    (contract_id, midnight + timedelta(hours=h), down, int(down * up_share))
                )
            flush()
        flush(force=True)
    ctx.log(
        f"  network: consumo de {len(contracts)} contratos "
        f"({counts['days']} días, {counts['hours']} horas)"
    )
