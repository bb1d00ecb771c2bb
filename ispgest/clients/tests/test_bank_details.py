"""Bank data: a Técnico sees none; the whole IBAN is for the roles that manage direct debits
(Facturación, Administrador) with the BIC and the account holder; everyone else reads the
IBAN masked and neither of them, on the page and in the API."""

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


@pytest.mark.parametrize(
    ("role", "whole"),
    [("Administrador", True), ("Facturación", True), ("Vendedor", False), ("Recaudador", False)],
)
def test_only_the_direct_debit_roles_hold_the_bank_details_permission(make_user, role, whole):
    user = make_user(role)
    assert user.has_perm("clients.view_bankmandate")
    assert user.has_perm("clients.view_bank_details") is whole


def test_a_masked_reader_gets_no_bic_nor_holder_in_the_api(client, make_user, debtor):
    for path in (f"/{debtor.pk}/mandates", f"/{debtor.pk}/financial"):
        response = api_get(client, make_user("Recaudador"), path)
        assert response.status_code == 200, path
        body = response.content.decode()
        assert COMPACT not in body and VALID_IBAN not in body
        assert "CAIXESBBXXX" not in body and "María González" not in body
        assert "\\u2022\\u2022\\u2022\\u2022 1332" in body


def test_billing_gets_the_bic_and_holder_in_the_api(client, make_user, debtor):
    mandate = api_get(client, make_user("Facturación"), f"/{debtor.pk}/mandates").json()[0]
    assert (mandate["iban"], mandate["bic"], mandate["account_holder"]) == (
        COMPACT,
        "CAIXESBBXXX",
        "María González",
    )


def test_the_client_page_shows_a_masked_reader_no_bic_nor_holder(client, make_user, debtor):
    client.force_login(make_user("Recaudador"))
    page = client.get(f"/clientes/{debtor.pk}/").content.decode()
    assert "Mandato SEPA <strong>" in page
    assert "CAIXESBBXXX" not in page and "María González" not in page


def test_the_client_page_shows_billing_the_whole_mandate(client, make_user, debtor):
    client.force_login(make_user("Facturación"))
    page = client.get(f"/clientes/{debtor.pk}/").content.decode()
    assert COMPACT in page and "CAIXESBBXXX" in page and "María González" in page


def test_the_history_keeps_no_bic_nor_holder_of_a_new_mandate(client, make_user, debtor):
    """The history is read by every role (a Técnico too)."""
    client.force_login(make_user("Técnico"))
    page = client.get(f"/clientes/{debtor.pk}/seccion/historial/").content.decode()
    assert "MAND-0001" in page
    assert COMPACT not in page and "CAIXESBBXXX" not in page and "María González" not in page
