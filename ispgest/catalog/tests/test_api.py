import pytest

from ispgest.accounts.models import ApiToken
from ispgest.accounts.roles import SELLER
from ispgest.catalog.defaults import install_country_defaults
from ispgest.catalog.models import BillingEntity, City, InvoiceType, Region, TaxCondition, Zone

pytestmark = pytest.mark.django_db

BASE = "/api/v1/catalog"


@pytest.fixture
def api(client, admin_user):
    _token, raw = ApiToken.issue(user=admin_user, name="test")
    client.defaults["HTTP_AUTHORIZATION"] = f"Bearer {raw}"
    return client


def test_it_creates_lists_updates_and_deactivates_a_zone(api):
    resp = api.post(f"{BASE}/zones", {"name": "Centro"}, content_type="application/json")
    assert resp.status_code == 201, resp.content
    zone_id = resp.json()["id"]
    resp = api.patch(
        f"{BASE}/zones/{zone_id}", {"description": "Casco"}, content_type="application/json"
    )
    assert resp.json()["description"] == "Casco" and resp.json()["name"] == "Centro"
    resp = api.put(
        f"{BASE}/zones/{zone_id}", {"name": "Centro Sur"}, content_type="application/json"
    )
    assert resp.json() == {"id": zone_id, "name": "Centro Sur", "description": "", "active": True}
    resp = api.delete(f"{BASE}/zones/{zone_id}")
    assert resp.status_code == 200 and resp.json()["active"] is False
    assert Zone.objects.filter(pk=zone_id, active=False).exists()  # deactivated, not deleted
    assert api.get(f"{BASE}/zones?active=true").json() == {
        "items": [],
        "count": 0,
        "next_cursor": None,
    }
    assert api.get(f"{BASE}/zones?active=false").json()["count"] == 1
    assert api.get(f"{BASE}/zones").json()["count"] == 1
    assert api.post(f"{BASE}/zones/{zone_id}/reactivate").json()["active"] is True


def test_foreign_keys_travel_as_ids(api):
    region = Region.objects.create(name="Córdoba")
    resp = api.post(
        f"{BASE}/cities",
        {"name": "Villa María", "region": region.pk},
        content_type="application/json",
    )
    assert resp.status_code == 201, resp.content
    assert resp.json()["region"] == region.pk
    assert City.objects.get(name="Villa María").region == region


def test_a_deactivated_row_cannot_be_newly_chosen(api):
    region = Region.objects.create(name="Córdoba", active=False)
    resp = api.post(
        f"{BASE}/cities",
        {"name": "Río Cuarto", "region": region.pk},
        content_type="application/json",
    )
    assert resp.status_code == 422
    assert "desactivado" in resp.json()["errors"]["region"][0]
    assert not City.objects.exists()


def test_a_wrong_tax_id_gives_422_on_the_field_in_spanish(api):
    install_country_defaults("AR")
    resp = api.post(
        f"{BASE}/billing-entities",
        {"name": "Red Sur SRL", "kind": "legal", "country": "AR", "tax_id": "30500010913"},
        content_type="application/json",
    )
    assert resp.status_code == 422
    assert "dígito verificador" in resp.json()["errors"]["tax_id"][0]
    assert not BillingEntity.objects.exists()


def test_allowed_invoice_types_are_replaced_all_or_nothing(api):
    install_country_defaults("AR")
    resp = api.post(
        f"{BASE}/billing-entities",
        {"name": "Red Sur SRL", "kind": "legal", "country": "AR", "tax_id": "30500010912"},
        content_type="application/json",
    )
    entity_id = resp.json()["id"]
    url = f"{BASE}/billing-entities/{entity_id}/allowed-invoice-types"
    before = api.get(url).json()
    assert len(before) == 5  # RI:A, Monotributo:A,C, CF:B, Exento:B
    fantasy = TaxCondition.objects.get(country="AR", kind="fantasy")
    x = InvoiceType.objects.get(code="X")
    ri = TaxCondition.objects.get(name="Responsable Inscripto")
    a = InvoiceType.objects.get(code="A")
    resp = api.put(
        url,
        [
            {"tax_condition": ri.pk, "invoice_type": a.pk},
            {"tax_condition": fantasy.pk, "invoice_type": x.pk},
        ],
        content_type="application/json",
    )
    assert resp.status_code == 422
    assert api.get(url).json() == before
    resp = api.put(
        url, [{"tax_condition": ri.pk, "invoice_type": a.pk}], content_type="application/json"
    )
    assert resp.json() == [{"tax_condition": ri.pk, "invoice_type": a.pk}]
    pos = api.post(
        f"{BASE}/billing-entities/{entity_id}/points-of-sale",
        {"number": 2, "name": "Centro"},
        content_type="application/json",
    )
    assert pos.status_code == 201 and pos.json()["number"] == 2


def test_a_seller_reads_catalogs_but_cannot_change_them(client, make_user):
    _token, raw = ApiToken.issue(user=make_user(SELLER), name="t")
    auth = {"HTTP_AUTHORIZATION": f"Bearer {raw}"}
    Zone.objects.create(name="Centro")
    assert client.get(f"{BASE}/zones", **auth).json()["count"] == 1
    resp = client.post(f"{BASE}/zones", {"name": "Norte"}, content_type="application/json", **auth)
    assert resp.status_code == 403
    assert resp.json()["detail"] == "No tiene permiso para esta operación."
    assert client.delete(f"{BASE}/zones/{Zone.objects.get().pk}", **auth).status_code == 403
    assert Zone.objects.get().active


def test_the_openapi_spec_lists_the_catalog_endpoints(api):
    spec = api.get("/api/v1/openapi.json").json()
    assert "/api/v1/catalog/zones" in spec["paths"]
    assert "/api/v1/catalog/billing-entities/{pk}" in spec["paths"]
