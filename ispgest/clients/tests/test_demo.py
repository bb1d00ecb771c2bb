"""Demo clients: valid by the same rules as the form, searchable, deterministic."""

import random

import pytest
from stdnum import iban

from ispgest.clients import demo
from ispgest.clients.models import BankMandate, Client, ClientEvent
from ispgest.clients.validation import CLIENT_FIELDS, validate_client_data
from ispgest.core.management.commands.demo_data import DemoContext
from ispgest.core.text import fold

pytestmark = pytest.mark.django_db


class _Out:
    def write(self, text):
        pass


@pytest.mark.parametrize("country", ["AR", "CO", "EC", "MX", "ES"])
def test_demo_clients_pass_the_client_rules(settings, cat, country):
    settings.ISPGEST_COUNTRY = country
    ctx = DemoContext(clients=40, seed=7, country=country, rng=random.Random(7), stdout=_Out())
    demo.generate(ctx)
    ids = ctx.data["client_ids"]
    assert Client.objects.filter(pk__in=ids).count() == 40
    assert ClientEvent.objects.filter(client_id__in=ids, action="client.created").count() == 40
    for client in Client.objects.filter(pk__in=ids):
        data = {f: getattr(client, f) for f in CLIENT_FIELDS if f not in ("email", "custom_id")}
        validate_client_data(Client(), data)  # raises on any broken rule
        before = (client.sort_name, client.search_text)
        client.refresh_search_fields()
        assert (client.sort_name, client.search_text) == before
    for mandate in BankMandate.objects.filter(client_id__in=ids):
        assert iban.is_valid(mandate.iban)
    names = " ".join(Client.objects.filter(pk__in=ids).values_list("search_text", flat=True))
    assert any(word in names for word in (fold("maría"), fold("gonzález"), fold("josé")))
    if country == "ES":
        assert BankMandate.objects.filter(client_id__in=ids).exists()
