"""The "Corte por impago" rules: pages and API for an Administrador only; bad input names
the field and changes nothing."""

import pytest

from ispgest.accounts.models import ApiToken
from ispgest.accounts.roles import BILLING, TECHNICIAN
from ispgest.billing.tests.factories import make_client, setup_billing
from ispgest.core.models import AuditEntry
from ispgest.network.models import CutoffRule

pytestmark = pytest.mark.django_db


@pytest.fixture
def entity(db):
    return setup_billing()


def auth(user):
    _t, raw = ApiToken.issue(user=user, name="t")
    return {"HTTP_AUTHORIZATION": f"Bearer {raw}"}


def test_an_administrator_creates_edits_and_deactivates_a_rule(admin_client, entity):
    exempt = make_client(entity)
    page = admin_client.get("/red/cortes/nueva/").content.decode()
    for field, label in [
        ("name", "Nombre"),
        ("billing_entity", "Entidad de facturación"),
        ("zone", "Zona"),
        ("grace_days", "Días de gracia"),
        ("exempt_clients", "Clientes exentos"),
    ]:
        assert f'for="id_{field}"' in page and label in page
    resp = admin_client.post(
        "/red/cortes/nueva/",
        {
            "name": "General",
            "billing_entity": entity.pk,
            "grace_days": "12",
            "active": "on",
            "exempt_clients": f"{exempt.pk}",
        },
    )
    assert resp.status_code == 302
    rule = CutoffRule.objects.get()
    assert rule.grace_days == 12 and list(rule.exempt_clients.all()) == [exempt]
    assert AuditEntry.objects.filter(action="cutoff_rule.created").exists()
    listing = admin_client.get("/red/cortes/").content.decode()
    assert "General" in listing and "Red Sur S.A." in listing
    edit = admin_client.get(f"/red/cortes/{rule.pk}/editar/").content.decode()
    assert str(exempt.pk) in edit
    resp = admin_client.post(
        f"/red/cortes/{rule.pk}/editar/",
        {"name": "General", "billing_entity": entity.pk, "grace_days": "5", "active": "on"},
    )
    assert resp.status_code == 302
    rule.refresh_from_db()
    assert rule.grace_days == 5 and rule.exempt_clients.count() == 0
    assert admin_client.post(f"/red/cortes/{rule.pk}/desactivar/").status_code == 302
    rule.refresh_from_db()
    assert rule.active is False


@pytest.mark.parametrize(
    "data, field, message",
    [
        ({"name": "X", "grace_days": "5"}, "billing_entity", "entidad de facturación o la zona"),
        ({"name": "X", "grace_days": "5", "exempt_clients": "abc"}, "exempt_clients", "«abc»"),
        (
            {"name": "X", "grace_days": "5", "exempt_clients": "999999"},
            "exempt_clients",
            "no existen los clientes 999999",
        ),
        ({"name": "X", "grace_days": "400"}, "grace_days", ""),
    ],
)
def test_bad_input_names_the_field_and_changes_nothing(admin_client, entity, data, field, message):
    if field != "billing_entity":
        data = {**data, "billing_entity": entity.pk}
    resp = admin_client.post("/red/cortes/nueva/", data)
    assert resp.status_code in (200, 422)
    form = resp.context["form"]
    assert field in form.errors
    assert message in " ".join(form.errors[field])
    assert CutoffRule.objects.count() == 0


@pytest.mark.parametrize("role", [TECHNICIAN, BILLING])
def test_other_roles_get_403(client, make_user, entity, role):
    rule = CutoffRule.objects.create(name="General", billing_entity=entity)
    user = make_user(role)
    client.force_login(user)
    assert client.get("/red/cortes/").status_code == 403
    assert client.get("/red/cortes/nueva/").status_code == 403
    assert client.post(f"/red/cortes/{rule.pk}/editar/", {"name": "Y"}).status_code == 403
    assert client.post(f"/red/cortes/{rule.pk}/desactivar/").status_code == 403
    headers = auth(user)
    assert client.get("/api/v1/network/cutoff-rules", **headers).status_code == 403
    resp = client.post(
        "/api/v1/network/cutoff-rules",
        {"name": "Z", "zone": None, "billing_entity": entity.pk},
        content_type="application/json",
        **headers,
    )
    assert resp.status_code == 403
    assert client.delete(f"/api/v1/network/cutoff-rules/{rule.pk}", **headers).status_code == 403
    rule.refresh_from_db()
    assert rule.active and rule.name == "General"


def test_the_api_manages_rules(client, admin_user, entity):
    headers = auth(admin_user)
    exempt = make_client(entity)
    resp = client.post(
        "/api/v1/network/cutoff-rules",
        {
            "name": "General",
            "billing_entity": entity.pk,
            "grace_days": 7,
            "exempt_clients": [exempt.pk],
        },
        content_type="application/json",
        **headers,
    )
    assert resp.status_code == 201, resp.content
    body = resp.json()
    assert body["grace_days"] == 7 and body["exempt_clients"] == [exempt.pk]
    rid = body["id"]
    resp = client.patch(
        f"/api/v1/network/cutoff-rules/{rid}",
        {"grace_days": 400},
        content_type="application/json",
        **headers,
    )
    assert resp.status_code == 422 and "grace_days" in resp.json()["errors"]
    assert CutoffRule.objects.get().grace_days == 7
    resp = client.patch(
        f"/api/v1/network/cutoff-rules/{rid}",
        {"exempt_clients": []},
        content_type="application/json",
        **headers,
    )
    assert resp.status_code == 200 and resp.json()["exempt_clients"] == []
    listing = client.get("/api/v1/network/cutoff-rules", **headers).json()
    assert [r["id"] for r in listing["items"]] == [rid]
    resp = client.delete(f"/api/v1/network/cutoff-rules/{rid}", **headers)
    assert resp.status_code == 200 and resp.json()["active"] is False
    spec = client.get("/api/v1/openapi.json", **headers).json()
    assert "/api/v1/network/cutoff-rules" in spec["paths"]
