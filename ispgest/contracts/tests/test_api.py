from datetime import date

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from ispgest.accounts.models import ApiToken
from ispgest.accounts.roles import COLLECTOR, SELLER
from ispgest.catalog.models import Seller
from ispgest.clients.models import ClientEvent
from ispgest.contracts.models import Contract, Equipment, PlanAssignment, SignedDocument

pytestmark = pytest.mark.django_db

BASE = "/api/v1/contracts"
PDF = b"%PDF-1.7\n%%EOF\n"


def _auth(client, user):
    _token, raw = ApiToken.issue(user=user, name="t")
    client.defaults["HTTP_AUTHORIZATION"] = f"Bearer {raw}"
    return client


@pytest.fixture
def api(client, admin_user):
    return _auth(client, admin_user)


def _post(api, path, data):
    return api.post(f"{BASE}{path}", data, content_type="application/json")


def test_the_done_when_flow_through_the_api(api, subscriber, plans, package, router_product):
    first = _post(
        api,
        "/",
        {
            "client": subscriber.pk,
            "plan": plans["30"].pk,
            "start_date": "2020-01-01",
            "address": "Mitre 10",
            "latitude": "-31.41",
            "longitude": "-64.18",
        },
    )
    assert first.status_code == 201, first.content
    second = _post(
        api,
        "/",
        {
            "client": subscriber.pk,
            "plan": plans["100"].pk,
            "start_date": "2020-01-01",
            "address": "Sarmiento 99",
        },
    )
    assert second.status_code == 201
    cid = first.json()["id"]
    assert first.json()["status_label"] == "Pendiente de instalación"
    assert (
        _post(api, f"/{cid}/activate", {"effective_date": "2020-01-03"}).json()["status"]
        == "active"
    )
    resp = _post(
        api, f"/{cid}/plan-assignments", {"plan": plans["300"].pk, "start_date": "2020-02-01"}
    )
    assert resp.status_code == 201 and resp.json()["plan_name"] == "Fibra 300 Mbps"
    history = api.get(f"{BASE}/{cid}/plan-assignments").json()
    assert [(a["plan_name"], a["end_date"]) for a in history] == [
        ("Fibra 300 Mbps", None),
        ("Fibra 30 Mbps", "2020-02-01"),
    ]
    resp = _post(
        api,
        "/equipment",
        {
            "client": subscriber.pk,
            "contract": cid,
            "product": router_product.pk,
            "mac_address": "a0b1c2d3e4f5",
        },
    )
    assert resp.status_code == 201 and resp.json()["mac_address"] == "A0:B1:C2:D3:E4:F5"
    eid = resp.json()["id"]
    assert _post(api, f"/equipment/{eid}/retire", {}).json()["status"] == "retired"
    resp = _post(
        api,
        "/package-assignments",
        {"client": subscriber.pk, "package": package.pk, "start_date": "2026-01-10"},
    )
    assert resp.status_code == 201 and resp.json()["next_renewal_date"] == "2027-01-10"
    assert len(resp.json()["lines"]) == 2
    upload = SimpleUploadedFile("firmado.pdf", PDF, content_type="application/pdf")
    resp = api.post(f"{BASE}/signed-documents", {"client": subscriber.pk, "file": upload})
    assert resp.status_code == 201, resp.content
    download = api.get(f"{BASE}/signed-documents/{resp.json()['id']}/download")
    assert download["Content-Disposition"].startswith("attachment;")
    assert b"".join(download.streaming_content) == PDF
    actions = set(ClientEvent.objects.filter(client=subscriber).values_list("action", flat=True))
    assert actions >= {
        "contract.created",
        "contract.status_changed",
        "contract.plan_assigned",
        "equipment.installed",
        "equipment.retired",
        "package.assigned",
        "signed_document.uploaded",
    }


def test_api_bad_input_is_refused_with_spanish_messages_and_nothing_written(
    api, subscriber, make_contract, plans, router_product, admin_user, settings
):
    resp = _post(
        api,
        "/",
        {
            "client": subscriber.pk,
            "plan": plans["30"].pk,
            "start_date": "2026-01-01",
            "address": "X",
            "latitude": "123",
            "longitude": "0",
        },
    )
    assert resp.status_code == 422
    assert resp.json()["errors"]["latitude"] == ["La latitud debe estar entre -90 y 90."]
    assert not Contract.objects.exists()

    contract = make_contract(subscriber, start=date(2026, 1, 1))
    resp = _post(
        api,
        f"/{contract.pk}/plan-assignments",
        {"plan": plans["100"].pk, "start_date": "2026-01-15", "end_date": "2026-02-01"},
    )
    assert resp.status_code == 422 and "se solapan" in resp.json()["detail"]
    assert PlanAssignment.objects.count() == 1

    assert _post(api, f"/{contract.pk}/cancel", {}).status_code == 200
    resp = _post(api, f"/{contract.pk}/reactivate", {})
    assert resp.status_code == 422
    assert resp.json()["detail"] == "No se puede pasar un contrato de «Dado de baja» a «Activo»."

    _post(
        api,
        "/equipment",
        {"client": subscriber.pk, "description": "ONU", "mac_address": "aa:aa:aa:aa:aa:aa"},
    )
    resp = _post(
        api,
        "/equipment",
        {"client": subscriber.pk, "description": "ONU 2", "mac_address": "AA-AA-AA-AA-AA-AA"},
    )
    assert (
        resp.status_code == 422
        and "ya está en otro equipo" in resp.json()["errors"]["mac_address"][0]
    )
    assert Equipment.objects.count() == 1

    exe = SimpleUploadedFile("contrato.pdf", b"MZ\x90\x00" + b"\x00" * 64, "application/pdf")
    resp = api.post(f"{BASE}/signed-documents", {"client": subscriber.pk, "file": exe})
    assert resp.status_code == 422 and "no es un PDF" in resp.json()["detail"]
    settings.ISPGEST_UPLOAD_MAX_BYTES = 10
    big = SimpleUploadedFile("contrato.pdf", PDF, "application/pdf")
    resp = api.post(f"{BASE}/signed-documents", {"client": subscriber.pk, "file": big})
    assert resp.status_code == 422 and "supera el tamaño máximo" in resp.json()["detail"]
    assert not SignedDocument.objects.exists()


def test_api_checks_permissions_and_client_visibility(
    client, make_user, make_client, make_contract, plans
):
    mine, theirs = Seller.objects.create(name="Mía"), Seller.objects.create(name="Otra")
    own, other = make_client(seller=mine), make_client(seller=theirs)
    own_contract, other_contract = make_contract(own), make_contract(other)
    seller_api = _auth(client, make_user(SELLER, seller=mine))
    ids = [c["id"] for c in seller_api.get(f"{BASE}/").json()["items"]]
    assert ids == [own_contract.pk]
    assert seller_api.get(f"{BASE}/{other_contract.pk}").status_code == 404
    resp = _post(
        seller_api,
        "/",
        {"client": other.pk, "plan": plans["30"].pk, "start_date": "2026-01-01", "address": "X"},
    )
    assert resp.status_code == 422 and "client" in resp.json()["errors"]
    assert _post(seller_api, f"/{own_contract.pk}/suspend", {}).status_code == 403
    assert _post(seller_api, "/plans", {"name": "X", "price": "1"}).status_code == 403


def test_collector_reads_plans_but_cannot_write(client, make_user, plans):
    api = _auth(client, make_user(COLLECTOR))
    assert api.get(f"{BASE}/plans").json()["count"] == 3
    assert _post(api, "/plans", {"name": "Nueva", "price": "10"}).status_code == 403


def test_plans_crud_and_openapi(api, tax):
    resp = _post(
        api,
        "/plans",
        {
            "name": "Radio 20",
            "price": "8000.50",
            "download_kbps": 20000,
            "upload_kbps": 2000,
            "tax": tax.pk,
        },
    )
    assert resp.status_code == 201 and resp.json()["currency"] == "ARS"
    pid = resp.json()["id"]
    resp = api.patch(f"{BASE}/plans/{pid}", {"price": "8500"}, content_type="application/json")
    assert resp.json()["price"] == "8500.00" or resp.json()["price"] == 8500
    assert api.delete(f"{BASE}/plans/{pid}").json()["active"] is False
    schema = api.get("/api/v1/openapi.json").json()
    assert "/api/v1/contracts/{contract_id}/suspend" in schema["paths"]
