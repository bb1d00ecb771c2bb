import io
import random

import pytest

from ispgest.catalog.models import Seller
from ispgest.clients.models import Client, PersonType
from ispgest.core.management.commands.demo_data import DemoContext
from ispgest.crm import demo
from ispgest.crm.models import Activity, Company, Opportunity, Prospect, Shareholder
from ispgest.crm.services import _check_company, _Errors

pytestmark = pytest.mark.django_db


def _ctx(client_ids, seed=7, country="AR"):
    ctx = DemoContext(
        clients=len(client_ids),
        seed=seed,
        country=country,
        rng=random.Random(seed),
        stdout=io.StringIO(),
    )
    ctx.data["client_ids"] = client_ids
    return ctx


def test_demo_builds_a_consistent_pipeline_once():
    sellers = [Seller.objects.create(name=f"Vendedor {i}") for i in range(3)]
    Client.objects.bulk_create(
        [Client(name=f"Cliente {i}", seller=sellers[i % 3]) for i in range(400)]
    )
    ids = list(Client.objects.values_list("pk", flat=True))
    Client.objects.filter(pk__in=ids[:5]).update(person_type=PersonType.LEGAL)
    demo.generate(_ctx(ids))
    assert Prospect.objects.count() >= 10
    assert Opportunity.objects.filter(client__isnull=False).count() == 12
    assert Opportunity.objects.filter(stage__kind="lost").exclude(lost_reason="").count() == (
        Opportunity.objects.filter(stage__kind="lost").count()
    )
    assert Activity.objects.filter(next_action_on__isnull=False).exists()
    assert Company.objects.count() == 5
    for company in Company.objects.all():
        errors = _Errors()
        _check_company(company, {"tax_id", "tax_id_kind"}, errors)
        assert not errors.by_field, errors.by_field
        assert sum(s.percentage for s in Shareholder.objects.filter(company=company)) == 100
    before = Opportunity.objects.count()
    demo.generate(_ctx(ids))
    assert Opportunity.objects.count() == before
