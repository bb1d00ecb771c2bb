import io
import random

import pytest

from ispgest.catalog.defaults import install_country_defaults
from ispgest.contracts import demo
from ispgest.contracts.models import (
    Contract,
    Equipment,
    PackageAssignment,
    Plan,
    PlanAssignment,
)
from ispgest.core.management.commands.demo_data import DemoContext

pytestmark = pytest.mark.django_db


def _ctx(client_ids, seed=7):
    ctx = DemoContext(
        clients=len(client_ids),
        seed=seed,
        country="AR",
        rng=random.Random(seed),
        stdout=io.StringIO(),
    )
    ctx.data["client_ids"] = client_ids
    return ctx


def test_demo_builds_consistent_contracts_deterministically(make_client, monkeypatch):
    install_country_defaults("AR")
    monkeypatch.setattr(demo, "CHUNK", 70)  # several chunks
    ids = [make_client().pk for _ in range(200)]
    ctx = _ctx(ids)
    demo.generate(ctx)
    contracts = Contract.objects.count()
    assert 200 <= contracts <= 300
    first, last = ctx.data["contract_id_range"]
    assert last - first + 1 == contracts
    assert Plan.objects.filter(pk__in=ctx.data["plan_ids"]).count() == 4
    # exactly one open assignment per non-cancelled contract, matching the contract's plan
    for contract in Contract.objects.exclude(status="cancelled"):
        assert contract.plan_assignments.get(end_date__isnull=True).plan_id == contract.plan_id
    assert not PlanAssignment.objects.filter(contract__status="cancelled", end_date=None).exists()
    assert Contract.objects.filter(status="suspended").exists()
    assert Contract.objects.filter(status="cancelled").exists()
    assert Equipment.objects.exists()
    macs = list(Equipment.objects.values_list("mac_address", flat=True))
    assert len(macs) == len(set(macs))
    assert all(-90 <= c.latitude <= 90 for c in Contract.objects.all()[:50])
    signature = list(Contract.objects.order_by("id").values_list("client_id", "plan_id", "status"))
    # the next ids continue after the bulk inserts
    assert (
        Contract.objects.create(
            client_id=ids[0], plan_id=ctx.data["plan_ids"][0], start_date="2026-01-01", address="x"
        ).pk
        == last + 1
    )
    Contract.objects.filter(pk__gt=last).delete()
    PackageAssignment.objects.all().delete()
    for model in (Equipment,):
        model.objects.all().delete()
    PlanAssignment.objects.all().delete()
    from ispgest.contracts.models import ContractStatusChange

    ContractStatusChange.objects.all().delete()
    Contract.objects.all().delete()
    demo.generate(_ctx(ids))
    again = list(Contract.objects.order_by("id").values_list("client_id", "plan_id", "status"))
    assert again == signature
