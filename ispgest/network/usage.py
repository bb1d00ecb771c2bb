"""Consumo: the traffic of each contract, sampled from its PPPoE session's byte counters.

Every run (`network.usage_sample`, every 5 minutes) reads each active router once: one
`/interface/print ?type=pppoe-in` with `.proplist=.id,name,rx-byte,tx-byte`. A PPPoE
session's dynamic interface is named `<pppoe-USER>`; on it the router's rx is what the
client sent (its upload) and tx what it received (its download). The interface counters
are read rather than the dynamic simple queue's `bytes`: FastTrack bypasses simple queues
(their counters miss that traffic) and a profile without a rate limit has no queue at all.

The delta against the last reading of the secret (`UsageCounter`) is added to the
contract's row of the current hour (`UsageHour`). A reading from another session (the
interface's `.id` changes on every reconnect) or below the last one is a reset: the delta
is the new counter value, never negative and never the old session's bytes again. The
first reading of a secret only sets the baseline (the bytes before it have no known time).
Traffic of a session that ended between two runs after its last reading is not seen.

`usage_rollup` (`network.usage_rollup`, daily) folds the hourly rows of the days older than
ISPGEST_USAGE_HOURLY_DAYS (default 35) into one `UsageDay` row per contract and day (days
of the ISP's time zone) and deletes them, in one transaction.
"""

from __future__ import annotations

import logging
import os
from collections import defaultdict
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Count, Sum
from django.db.models.functions import TruncDate
from django.utils import timezone

from ispgest.network import routeros
from ispgest.network.models import PPPoEAccount, Router, UsageCounter, UsageDay, UsageHour

log = logging.getLogger(__name__)

INTERFACE_PROPS = (".id", "name", "rx-byte", "tx-byte")
DEFAULT_HOURLY_DAYS = 35


def hourly_days() -> int:
    """Days hourly rows are kept before the roll-up folds them (ISPGEST_USAGE_HOURLY_DAYS,
    a Django setting or the environment; at least 1)."""
    value = getattr(settings, "ISPGEST_USAGE_HOURLY_DAYS", None)
    if value is None:
        value = os.environ.get("ISPGEST_USAGE_HOURLY_DAYS", DEFAULT_HOURLY_DAYS)
    try:
        return max(1, int(value))
    except (TypeError, ValueError):
        return DEFAULT_HOURLY_DAYS


def _session_user(name: str) -> str | None:
    if name.startswith("<pppoe-") and name.endswith(">"):
        return name[len("<pppoe-") : -1]
    return None


def read_counters(router: Router) -> dict[str, tuple[str, int, int]]:
    """The router's PPPoE sessions: user -> (interface .id, rx-byte, tx-byte). One print."""
    with routeros.session(router) as client:
        rows = client.print("/interface", proplist=INTERFACE_PROPS, type="pppoe-in")
    readings: dict[str, tuple[str, int, int]] = {}
    for row in rows:
        user = _session_user(str(row.get("name", "")))
        if user is None:
            continue
        try:
            rx, tx = int(row.get("rx-byte", 0) or 0), int(row.get("tx-byte", 0) or 0)
        except (TypeError, ValueError):
            continue
        readings[user] = (str(row.get(".id", "")), rx, tx)
    return readings


def usage_delta(last: UsageCounter | None, ref: str, rx: int, tx: int) -> tuple[int, int]:
    """(download, upload) bytes since the last reading. A new session or a counter that went
    down restarted from zero: all of the new reading is new traffic."""
    if last is None:
        return 0, 0
    if last.session_ref != ref or rx < last.rx_bytes or tx < last.tx_bytes:
        return tx, rx
    return tx - last.tx_bytes, rx - last.rx_bytes


@transaction.atomic
def usage_record(
    *, router: Router, readings: dict[str, tuple[str, int, int]], now: datetime | None = None
) -> int:
    """Store one reading of a router's sessions: move each secret's counter state on and add
    the deltas to the contracts' current hour. Returns the number of contracts with traffic.

    The router's row is locked first, so two runs for one router never count a delta twice.
    """
    now = now or timezone.now()
    hour = now.replace(minute=0, second=0, microsecond=0)
    Router.objects.select_for_update().filter(pk=router.pk).first()
    accounts = {
        a.username.lower(): a
        for a in PPPoEAccount.objects.filter(router=router, removed=False).only(
            "id", "username", "contract_id"
        )
    }
    counters = {c.account_id: c for c in UsageCounter.objects.filter(account__router=router)}
    new_counters: list[UsageCounter] = []
    traffic: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    for user, (ref, rx, tx) in readings.items():
        account = accounts.get(user.lower())
        if account is None:
            continue
        down, up = usage_delta(counters.get(account.pk), ref, rx, tx)
        new_counters.append(
            UsageCounter(account=account, session_ref=ref, rx_bytes=rx, tx_bytes=tx, read_at=now)
        )
        if down or up:
            traffic[account.contract_id][0] += down
            traffic[account.contract_id][1] += up
    if new_counters:
        UsageCounter.objects.bulk_create(
            new_counters,
            update_conflicts=True,
            unique_fields=["account"],
            update_fields=["session_ref", "rx_bytes", "tx_bytes", "read_at"],
            batch_size=1000,
        )
    if traffic:
        existing = {
            h.contract_id: h
            for h in UsageHour.objects.filter(contract_id__in=list(traffic), hour=hour)
        }
        rows = []
        for contract_id, (down, up) in traffic.items():
            old = existing.get(contract_id)
            rows.append(
                UsageHour(
                    contract_id=contract_id,
                    hour=hour,
                    bytes_down=down + (old.bytes_down if old else 0),
                    bytes_up=up + (old.bytes_up if old else 0),
                )
            )
        UsageHour.objects.bulk_create(
            rows,
            update_conflicts=True,
            unique_fields=["contract", "hour"],
            update_fields=["bytes_down", "bytes_up"],
            batch_size=1000,
        )
    return len(traffic)


def sample_router(router: Router, now: datetime | None = None) -> int:
    return usage_record(router=router, readings=read_counters(router), now=now)


def sample_all(now: datetime | None = None) -> dict:
    """One reading of every active router; a router that fails is logged and skipped."""
    result = {"routers": 0, "contracts": 0, "failed": 0}
    for router in Router.objects.filter(active=True).order_by("id"):
        try:
            result["contracts"] += sample_router(router, now=now)
            result["routers"] += 1
        except routeros.RouterOSError as exc:
            result["failed"] += 1
            log.warning("usage: router %s (%s) not sampled: %s", router.pk, router, exc.message)
    return result


def usage_rollup(*, now: datetime | None = None, keep_days: int | None = None) -> int:
    """Fold the hourly rows of the days older than `keep_days` into per-day rows and delete
    them, in one transaction. Returns the hourly rows folded (0 on a rerun).

    Whole days of the ISP's time zone are folded. The delete must remove exactly the rows
    that were summed: if another run folded them first (or rows moved underneath), the
    transaction is rolled back and nothing is counted twice."""
    keep_days = hourly_days() if keep_days is None else keep_days
    tz = timezone.get_current_timezone()
    today = timezone.localdate(now or timezone.now(), tz)
    first_kept = today - timedelta(days=keep_days)
    cutoff = datetime.combine(first_kept, datetime.min.time(), tzinfo=tz)
    with transaction.atomic():
        old = UsageHour.objects.filter(hour__lt=cutoff)
        sums = list(
            old.annotate(day=TruncDate("hour", tzinfo=tz))
            .values("contract_id", "day")
            .annotate(down=Sum("bytes_down"), up=Sum("bytes_up"), n=Count("id"))
            .order_by()
        )
        if not sums:
            return 0
        total = sum(s["n"] for s in sums)
        deleted, _ = UsageHour.objects.filter(hour__lt=cutoff).delete()
        if deleted != total:
            transaction.set_rollback(True)
            log.warning("usage roll-up: %s rows summed, %s deleted; rolled back", total, deleted)
            return 0
        contract_ids = {s["contract_id"] for s in sums}
        days = {s["day"] for s in sums}
        existing = {
            (d.contract_id, d.day): d
            for d in UsageDay.objects.filter(contract_id__in=contract_ids, day__in=days)
        }
        rows = []
        for s in sums:
            old_day = existing.get((s["contract_id"], s["day"]))
            rows.append(
                UsageDay(
                    contract_id=s["contract_id"],
                    day=s["day"],
                    bytes_down=s["down"] + (old_day.bytes_down if old_day else 0),
                    bytes_up=s["up"] + (old_day.bytes_up if old_day else 0),
                )
            )
        UsageDay.objects.bulk_create(
            rows,
            update_conflicts=True,
            unique_fields=["contract", "day"],
            update_fields=["bytes_down", "bytes_up"],
            batch_size=1000,
        )
    return total
