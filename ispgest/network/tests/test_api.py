"""The network API: routers with probar, pools, a contract's PPPoE account and its actions,
reconciliation; permissions as on the pages."""

import pytest

from ispgest.accounts.models import ApiToken
from ispgest.accounts.roles import TECHNICIAN
from ispgest.network.desired import NO_SERVICE_PROFILE

pytestmark = pytest.mark.django_db


def auth(user):
    _t, raw = ApiToken.issue(user=user, name="t")
    return {"HTTP_AUTHORIZATION": f"Bearer {raw}"}


def test_probar_and_only_an_administrator_manages_routers(
    client, admin_user, make_user, router, peer
):
    tech = auth(make_user(TECHNICIAN))
    resp = client.post(f"/api/v1/network/routers/{router.pk}/probar", **tech)
    assert resp.status_code == 200 and resp.json()["identity"] == "MikroTik"
    resp = client.patch(
        f"/api/v1/network/routers/{router.pk}",
        {"host": "10.0.0.9"},
        content_type="application/json",
        **tech,
    )
    assert resp.status_code == 403
    resp = client.patch(
        f"/api/v1/network/routers/{router.pk}",
        {"timeout_seconds": 1},
        content_type="application/json",
        **auth(admin_user),
    )
    assert resp.status_code == 200 and resp.json()["timeout_seconds"] == 1
    peer.silent = True
    resp = client.post(f"/api/v1/network/routers/{router.pk}/probar", **tech)
    assert resp.status_code == 422
    assert "tiempo de espera agotado" in resp.json()["errors"]["router"][0]


def test_pools_and_the_pppoe_account_through_the_api(
    client, make_user, router, peer, contract, plan, django_capture_on_commit_callbacks
):
    tech = auth(make_user(TECHNICIAN))
    with django_capture_on_commit_callbacks(execute=True):
        resp = client.post(
            f"/api/v1/network/routers/{router.pk}/pools",
            {"name": "clientes", "network": "100.64.0.0/22", "ranges": "100.64.1.0/24"},
            content_type="application/json",
            **tech,
        )
    assert resp.status_code == 201
    resp = client.post(
        f"/api/v1/network/routers/{router.pk}/pools",
        {"name": "b", "network": "100.64.0.0/22", "ranges": "100.64.1.5-100.64.1.9"},
        content_type="application/json",
        **tech,
    )
    assert resp.status_code == 422 and "se solapan" in resp.json()["errors"]["ranges"][0]
    url = f"/api/v1/network/contracts/{contract.pk}/pppoe"
    with django_capture_on_commit_callbacks(execute=True):
        resp = client.put(
            url,
            {"router": router.pk, "username": "ana", "static_ip": "100.64.0.9"},
            content_type="application/json",
            **tech,
        )
    assert resp.status_code == 200, resp.content
    assert "password" not in resp.json()
    body = client.get(url, **tech).json()
    assert body["sync_status"] == "applied" and body["static_ip"] == "100.64.0.9"
    assert client.get(f"{url}/status", **tech).json() == {
        "connected": False,
        "address": "",
        "uptime": "",
        "caller_id": "",
    }
    peer.connect_session("ana")
    peer.state.reachable["100.64.0.9"] = (4, 3)
    assert client.get(f"{url}/status", **tech).json()["connected"] is True
    assert client.post(f"{url}/ping", **tech).json()["received"] == 4
    assert client.post(f"{url}/kick", **tech).json() == {"sessions_removed": 1}
    resp = client.post(f"{url}/suspend", **tech)
    assert resp.status_code == 422 and "sin conexión" in resp.json()["errors"]["suspended"][0]
    with django_capture_on_commit_callbacks(execute=True):
        resp = client.post(
            f"/api/v1/network/routers/{router.pk}/pools",
            {
                "name": "sin-conexion",
                "network": "10.99.0.0/24",
                "ranges": "10.99.0.2-10.99.0.250",
                "no_service": True,
            },
            content_type="application/json",
            **tech,
        )
    assert resp.status_code == 201
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(f"{url}/suspend", **tech).json()["suspended"] is True
    secret = peer.find("/ppp/secret", name="ana")
    assert secret["profile"] == NO_SERVICE_PROFILE and secret.get("remote-address") != "100.64.0.9"
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(f"{url}/restore", **tech).json()["suspended"] is False
    secret = peer.find("/ppp/secret", name="ana")
    assert (secret["profile"], secret.get("remote-address")) == ("Fibra-100", "100.64.0.9")
    report = client.get(f"/api/v1/network/routers/{router.pk}/reconciliation", **tech).json()
    assert report["missing"] == report["unknown"] == report["different"] == 0
    with django_capture_on_commit_callbacks(execute=True):
        assert client.delete(url, **tech).status_code == 200
    assert peer.find("/ppp/secret", name="ana") is None
    assert client.get(url, **tech).status_code == 404
