"""Demo usage samples: a bounded number of active contracts get a year of per-day rows and
today's hours, deterministically, and a rerun does not add them twice."""

import io
import random
from datetime import date, timedelta

import pytest
from django.db.models import Sum
from django.utils import timezone

from ispgest.billing.tests.factories import make_client, make_contract, make_plan, setup_billing
from ispgest.contracts.models import ContractStatus
from ispgest.core.management.commands.demo_data import DemoContext
from ispgest.network import demo
from ispgest.network.models import UsageDay, UsageHour
from ispgest.network.selectors import usage_blocks

pytestmark = pytest.mark.django_db


def _ctx(seed=7):
    return DemoContext(
        clients=0, seed=seed, country="AR", rng=random.Random(seed), stdout=io.StringIO()
    )


def _totals():
    return sorted(
        UsageDay.objects.values_list("contract_id").annotate(Sum("bytes_down"), Sum("bytes_up"))
    )


def test_the_first_active_contracts_get_a_year_of_days_and_todays_hours(monkeypatch):
    monkeypatch.setattr(demo, "USAGE_CONTRACTS", 3)
    monkeypatch.setattr(demo, "FLUSH_ROWS", 100)  # several flushes
    entity = setup_billing()
    plan = make_plan()
    plan.download_kbps = 100_000
    plan.save(update_fields=["download_kbps"])
    today = timezone.localdate()
    recent = today - timedelta(days=10)
    cancelled = make_contract(make_client(entity), plan, status=ContractStatus.CANCELLED)
    active = [
        make_contract(make_client(entity), plan, start=date(2020, 1, 1)),
        make_contract(make_client(entity), plan, start=recent),
        make_contract(make_client(entity), plan, start=date(2020, 1, 1)),
        make_contract(make_client(entity), plan, start=date(2020, 1, 1)),  # past the bound
    ]
    demo.generate(_ctx())

    sampled = set(UsageDay.objects.values_list("contract_id", flat=True))
    assert sampled == {c.pk for c in active[:3]}
    assert cancelled.pk not in set(UsageHour.objects.values_list("contract_id", flat=True))
    old = UsageDay.objects.filter(contract=active[0]).order_by("day")
    first = old.first().day
    assert first.day == 1 and (today - first).days > 300
    assert old.last().day == today - timedelta(days=1)
    assert old.count() == (today - first).days  # one row a day, none missing
    assert UsageDay.objects.filter(contract=active[1]).order_by("day").first().day == recent
    hours = UsageHour.objects.filter(contract=active[0])
    assert hours.count() == timezone.localtime().hour + 1
    assert all(h.bytes_down > h.bytes_up > 0 for h in hours)
    block = usage_blocks(active[0].client)[0]
    assert block["has_samples"] and all(sum(b["h"] for b in c["bars"]) > 0 for c in block["charts"])

    totals = _totals()
    demo.generate(_ctx())  # a rerun replaces, never adds
    assert _totals() == totals
    assert UsageHour.objects.filter(contract=active[0]).count() == hours.count()
    demo.generate(_ctx(seed=8))
    assert _totals() != totals
