"""Bank data: a Técnico sees none; the whole IBAN is for the roles that manage direct debits
(Facturación, Administrador); everyone else reads it masked, on the page and in the API."""

import pytest

from ispgest.accounts.models import ApiToken
from ispgest.clients.services import mandate_create
from ispgest.clients.tests.conftest import VALID_IBAN

pytestmark = pytest.mark.django_db
COMPACT = VALID_IBAN.replace(" ", "")


@pytest.fixture
def debtor(make_client, admin_user, mandate_data):
    client = make_client()
    mandate_create(actor=admin_user, client=client, data=mandate_data)
    return client


def api_get(client, user, path):
    _token, raw = ApiToken.issue(user=user, name="t")
    return client.get(f"/api/v1/clients{path}", HTTP_AUTHORIZATION=f"Bearer {raw}")


def test_billing_reads_the_whole_iban_a_collector_reads_it_masked(client, make_user, debtor):
    whole = api_get(client, make_user("Facturación"), f"/{debtor.pk}/mandates").json()
    assert whole[0]["iban"] == COMPACT
    masked = api_get(client, make_user("Recaudador"), f"/{debtor.pk}/mandates").json()
    assert masked[0]["iban"] == f"•••• {COMPACT[-4:]}"
    assert COMPACT not in str(masked)


def test_a_technician_sees_no_bank_data(client, make_user, debtor):
    tech = make_user("Técnico")
    assert api_get(client, tech, f"/{debtor.pk}/mandates").status_code == 403
    client.force_login(tech)
    page = client.get(f"/clientes/{debtor.pk}/").content.decode()
    # No mandate paragraph; the history keeps only the masked IBAN of the mandate's creation.
    assert "Mandato SEPA <strong>" not in page and COMPACT not in page


def test_the_client_page_masks_the_iban_for_a_collector(client, make_user, debtor):
    client.force_login(make_user("Recaudador"))
    page = client.get(f"/clientes/{debtor.pk}/").content.decode()
    assert f"•••• {COMPACT[-4:]}" in page and COMPACT not in page
