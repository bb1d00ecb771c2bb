"""An integer filter beyond what the column holds matches nothing, on both databases."""

import pytest

from ispgest.billing.tests.factories import make_client, setup_billing
from ispgest.clients.models import Client, Contact

pytestmark = pytest.mark.django_db

HUGE = [2**63, -(2**63) - 1, 10**30, -975527045810031554481358897152]


@pytest.fixture
def client_with_contact():
    client = make_client(setup_billing())
    Contact.objects.create(client=client, name="Ana")
    return client


@pytest.mark.parametrize("value", HUGE)
def test_a_foreign_key_equal_to_an_id_no_column_holds_matches_nothing(client_with_contact, value):
    assert list(Contact.objects.filter(client=value)) == []
    assert list(Contact.objects.filter(client_id=value)) == []
    assert Contact.objects.exclude(client=value).count() == 1


@pytest.mark.parametrize("value", HUGE)
def test_an_in_list_drops_the_ids_no_column_holds(client_with_contact, value):
    pk = client_with_contact.pk
    assert list(Client.objects.filter(pk__in=[value])) == []
    assert [c.pk for c in Client.objects.filter(pk__in=[pk, value])] == [pk]
    assert Contact.objects.filter(client__in=[pk, value]).count() == 1
    assert Contact.objects.filter(client__in=[value]).count() == 0


def test_ids_in_range_still_match(client_with_contact):
    pk = client_with_contact.pk
    assert Contact.objects.filter(client=pk).count() == 1
    assert Contact.objects.filter(client=client_with_contact).count() == 1
    assert Contact.objects.filter(client__in=[client_with_contact]).count() == 1
    assert Contact.objects.filter(client=2**63 - 1).count() == 0
