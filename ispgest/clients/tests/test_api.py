"""/api/v1/clients: the same services and rules as the pages, token auth, visibility."""

import pytest

from ispgest.accounts.models import ApiToken
from ispgest.clients.models import BankMandate, Client, ClientEvent, Contact, ExtraFieldValue
from ispgest.clients.tests.conftest import BAD_CUIT, BAD_IBAN, VALID_CUIT, VALID_IBAN

pytestmark = pytest.mark.django_db


class Api:
    def __init__(self, client, user):
        _token, raw = ApiToken.issue(user=user, name="tests")
        self.client = client
        self.headers = {"HTTP_AUTHORIZATION": f"Bearer {raw}"}

    def call(self, method, path, json=None):
        fn = getattr(self.client, method)
        kwargs = dict(self.headers)
        if json is not None:
            kwargs.update(data=json, content_type="application/json")
        return fn(f"/api/v1/clients{path}", **kwargs)


@pytest.fixture
def api(client, admin_user):
    return Api(client, admin_user)


def natural(cat, **extra):
    data = {
        "person_type": "natural",
        "first_name": "José",
        "first_surname": "Núñez",
        "email": "jose@example.com",
        "seller": cat.seller.pk,
        "billing_enabled": True,
        "billing_entity": cat.legal.pk,
        "tax_condition": cat.cond["Consumidor Final"].pk,
        "invoice_type": cat.types["B"].pk,
        "tax_id": VALID_CUIT,
    }
    data.update(extra)
    return data


def nothing_written():
    return not Client.objects.exists() and not ClientEvent.objects.exists()


def test_the_whole_flow_works_through_the_api(api, cat):
    r = api.call("post", "", natural(cat, extra_values={str(cat.antenna.pk): "7"}))
    assert r.status_code == 201, r.json()
    body = r.json()
    cid = body["id"]
    assert body["name"] == "José Núñez" and body["tax_id_formatted"] == "20-26756539-3"
    for name in ["Ana", "Pedro"]:
        assert (
            api.call("post", f"/{cid}/contacts", {"name": name, "role": "owner"}).status_code == 201
        )
    r = api.call(
        "put",
        f"/{cid}/financial",
        {
            "payment_method": cat.direct_debit.pk,
            "mandate": {"iban": VALID_IBAN, "bic": "CAIXESBBXXX", "signed_on": "2026-02-01"},
        },
    )
    assert r.status_code == 200, r.json()
    assert r.json()["mandates"][0]["mandate_reference"].startswith("MND-")
    r = api.call("put", f"/{cid}/gateway-accounts/{cat.gateway.pk}", {"reference": "MP-123"})
    assert r.status_code == 200
    r = api.call("patch", f"/{cid}", {"mobile": "351 000", "first_name": "Josefa"})
    assert r.status_code == 200 and r.json()["name"] == "Josefa Núñez"
    history = api.call("get", f"/{cid}/history").json()["items"]
    renamed = next(e for e in history if e["action"] == "client.renamed")
    assert renamed["changes"]["Primer nombre"] == ["José", "Josefa"]
    assert renamed["changes"]["Teléfono celular"] == ["", "351 000"]
    assert api.call("get", f"/{cid}/contacts").json()[0]["name"] == "Ana"
    assert api.call("get", f"/{cid}/extra-values").json()[0]["value"] == "7"
    r = api.call("delete", f"/{cid}")
    assert r.status_code == 200 and r.json()["status"] == "inactive"
    assert Client.objects.filter(pk=cid).exists()
    r = api.call("post", f"/{cid}/reactivate")
    assert r.json()["status"] == "active"


@pytest.mark.parametrize(
    "changes, field, words",
    [
        ({"tax_id": BAD_CUIT}, "tax_id", "dígito verificador"),
        ({"first_name": ""}, "first_name", "Primer nombre"),
        ({"notify_emails": "ok@example.com, mal@"}, "notify_emails", "Emails a notificar"),
        ({"notes": "x" * 10_001}, "notes", "Observaciones"),
        ({"tax_condition": "FANTASY", "invoice_type": None}, "tax_condition", "fantasía"),
        ({"extra_values": {"ANTENNA": "alto"}}, "extra_", "no es un número"),
    ],
)
def test_the_api_refuses_bad_input_naming_the_field(api, cat, changes, field, words):
    resolved = {}
    for key, value in changes.items():
        if value == "FANTASY":
            value = cat.cond["Sin factura legal"].pk
        if key == "extra_values":
            value = {str(cat.antenna.pk): "alto"}
        resolved[key] = value
    r = api.call("post", "", natural(cat, **resolved))
    assert r.status_code == 422
    body = r.json()
    assert any(k.startswith(field) for k in body["errors"]), body
    assert words in str(body)
    assert nothing_written()


def test_legal_person_needs_its_razon_social(api, cat):
    r = api.call("post", "", {"person_type": "legal", "trade_name": "Kiosco"})
    assert r.status_code == 422 and "legal_name" in r.json()["errors"]
    r = api.call("post", "", {"person_type": "other", "name": ""})
    assert r.status_code == 422 and "name" in r.json()["errors"]
    assert nothing_written()


def test_the_api_refuses_a_duplicate_email_in_another_case(api, cat):
    assert api.call("post", "", natural(cat)).status_code == 201
    r = api.call("post", "", natural(cat, email="JOSE@Example.COM"))
    assert r.status_code == 422
    assert "email" in r.json()["errors"] and "Emails a notificar" in r.json()["detail"]
    assert Client.objects.count() == 1


def test_bad_iban_and_duplicate_mandate_reference_are_refused(api, cat):
    cid = api.call("post", "", natural(cat)).json()["id"]
    events = ClientEvent.objects.count()
    mandate = {"iban": BAD_IBAN, "signed_on": "2026-01-01", "mandate_reference": "REF-1"}
    r = api.call("post", f"/{cid}/mandates", mandate)
    assert r.status_code == 422 and "iban" in r.json()["errors"]
    assert "IBAN" in r.json()["detail"]
    mandate["iban"] = VALID_IBAN
    assert api.call("post", f"/{cid}/mandates", mandate).status_code == 201
    other = api.call("post", "", natural(cat, email="otro@example.com")).json()["id"]
    r = api.call("post", f"/{other}/mandates", mandate)
    assert r.status_code == 422 and "mandate_reference" in r.json()["errors"]
    assert BankMandate.objects.count() == 1
    assert ClientEvent.objects.count() == events + 2  # one mandate row + the second client


def test_automatic_history_cannot_be_changed_through_the_api(api, cat):
    cid = api.call("post", "", natural(cat)).json()["id"]
    auto = ClientEvent.objects.get(client_id=cid)
    assert api.call("patch", f"/{cid}/history/{auto.pk}", {"summary": "x"}).status_code == 422
    assert api.call("delete", f"/{cid}/history/{auto.pk}").status_code == 422
    r = api.call("post", f"/{cid}/history", {"entry_type": "call", "summary": "Llamada"})
    assert r.status_code == 201
    mid = r.json()["id"]
    assert (
        api.call("patch", f"/{cid}/history/{mid}", {"summary": "Otra"}).json()["summary"] == "Otra"
    )
    assert api.call("delete", f"/{cid}/history/{mid}").status_code == 204
    auto.refresh_from_db()
    assert auto.summary.startswith("Cliente creado")


def test_a_seller_token_sees_only_its_clients(client, make_user, cat, make_client):
    theirs = make_client(seller=cat.other_seller.pk)
    seller_api = Api(client, make_user("Vendedor", seller=cat.seller))
    assert seller_api.call("get", f"/{theirs.pk}").status_code == 404
    assert seller_api.call("delete", f"/{theirs.pk}").status_code == 404
    r = seller_api.call("post", "", {"name": "Mío", "seller": cat.other_seller.pk})
    assert r.status_code == 201 and r.json()["seller_id"] == cat.seller.pk
    assert seller_api.call("post", f"/{theirs.pk}/reactivate").status_code == 403


def test_a_technician_token_cannot_write(client, make_user, cat, make_client):
    c = make_client()
    tech = Api(client, make_user("Técnico"))
    assert tech.call("get", f"/{c.pk}").status_code == 200
    assert tech.call("patch", f"/{c.pk}", {"phone": "1"}).status_code == 403
    assert tech.call("post", "", {"name": "X"}).status_code == 403
    assert tech.call("delete", f"/{c.pk}").status_code == 403


def test_without_a_token_the_api_answers_401(client, cat, make_client):
    c = make_client()
    assert client.get(f"/api/v1/clients/{c.pk}").status_code == 401


def test_contacts_and_extra_values_errors_name_the_field(api, cat):
    cid = api.call("post", "", natural(cat)).json()["id"]
    r = api.call("post", f"/{cid}/contacts", {"name": "Ana", "email": "no-mail"})
    assert r.status_code == 422 and "email" in r.json()["errors"]
    r = api.call("put", f"/{cid}/extra-values", {"values": {str(cat.plan_date.pk): "ayer"}})
    assert r.status_code == 422 and f"extra_{cat.plan_date.pk}" in r.json()["errors"]
    assert not Contact.objects.exists() and not ExtraFieldValue.objects.exists()


@pytest.mark.parametrize(
    "country, kind, bad",
    [
        ("AR", "CUIT", "20-26756539-4"),
        ("CO", "NIT", "213.123.432-2"),
        ("EC", "CI", "1714307104"),
        ("MX", "RFC", "GODE561231GR9"),
        ("ES", "NIF", "12345678A"),
    ],
)
def test_the_api_refuses_a_wrong_check_digit_in_each_country(
    settings, api, cat, country, kind, bad
):
    settings.ISPGEST_COUNTRY = country
    r = api.call("post", "", {"name": "Cliente", "tax_id_kind": kind, "tax_id": bad})
    assert r.status_code == 422
    assert "tax_id" in r.json()["errors"] and "Número tributario" in r.json()["detail"]
    assert nothing_written()
