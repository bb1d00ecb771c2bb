"""Reconciliation against the peer: missing, unknown, different; Aplicar, Importar; the
scheduled drift check and its dashboard card."""

import pytest
from django.urls import reverse

from ispgest.accounts.roles import TECHNICIAN
from ispgest.network import reconcile, services, tasks
from ispgest.network.models import DriftCheck, PPPoEAccount

pytestmark = pytest.mark.django_db


@pytest.fixture
def applied(router, pools, contract, admin_user, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        return services.pppoe_save(
            actor=admin_user, contract=contract, data={"router": router, "username": "ana"}
        )


def test_the_report_finds_missing_unknown_and_different(peer, router, applied):
    peer.add_row("/ppp/secret", name="mano", password="x", profile="default")
    row = peer.find("/ppp/secret", name="ana")
    with peer.lock:
        peer._set("/ppp/secret", {".id": row[".id"], "profile": "default"})
    report = reconcile.compare(router)
    assert report.counts == {"missing": 0, "unknown": 1, "different": 1}
    diff = next(r for r in report.rows if r.kind == "different")
    assert diff.diffs == {"profile": ("default", "Fibra-100")}
    with peer.lock:
        peer._remove("/ppp/secret", row[".id"])
    assert reconcile.compare(router).counts == {"missing": 1, "unknown": 1, "different": 0}


def test_aplicar_pushes_the_database_truth_and_keeps_hand_made_secrets(
    client, make_user, peer, router, applied, django_capture_on_commit_callbacks
):
    peer.add_row("/ppp/secret", name="mano", password="x", profile="default")
    peer.add_row("/ppp/secret", name="viejo", password="x", comment="ispgest:c999")
    row = peer.find("/ppp/secret", name="ana")
    with peer.lock:
        peer._set("/ppp/secret", {".id": row[".id"], "password": "cambiada"})
    client.force_login(make_user(TECHNICIAN))
    page = client.get(reverse("network:reconcile", args=[router.pk])).content.decode()
    assert "Desconocidos en el router: 2" in page and "Distintos: 1" in page
    assert "creado a mano" in page
    with django_capture_on_commit_callbacks(execute=True):
        resp = client.post(
            reverse("network:reconcile", args=[router.pk]),
            {"action": "apply", "name": ["ana", "viejo", "mano"]},
        )
    assert resp.status_code == 302
    assert peer.find("/ppp/secret", name="ana")["password"] == services.pppoe_password(applied)
    assert peer.find("/ppp/secret", name="viejo") is None
    assert peer.find("/ppp/secret", name="mano") is not None  # never removed without import
    assert reconcile.compare(router).counts == {"missing": 0, "unknown": 1, "different": 0}


def test_importar_adopts_a_hand_made_secret_into_a_contract(
    client, make_user, peer, router, pools, contract, django_capture_on_commit_callbacks
):
    peer.add_row(
        "/ppp/secret",
        name="luis",
        password="SuClave1",
        profile="default",
        remote_address="100.64.0.40",
    )
    client.force_login(make_user(TECHNICIAN))
    with django_capture_on_commit_callbacks(execute=True):
        resp = client.post(
            reverse("network:reconcile", args=[router.pk]),
            {"action": "import", "import_name": "luis", "contract": contract.pk},
        )
    assert resp.status_code == 302
    acc = PPPoEAccount.objects.get()
    assert acc.contract == contract and acc.static_ip == "100.64.0.40"
    assert services.pppoe_password(acc) == "SuClave1"
    row = peer.find("/ppp/secret", name="luis")
    assert row["comment"] == f"ispgest:c{contract.pk}" and row["profile"] == "Fibra-100"
    assert len(peer.rows("/ppp/secret")) == 1


def test_the_scheduled_check_records_drift_and_the_dashboard_shows_it(
    client, make_user, peer, router, applied
):
    peer.add_row("/ppp/secret", name="mano", password="x")
    assert tasks.drift_check_task.call() == 1
    check = DriftCheck.objects.get()
    assert (check.unknown, check.missing, check.different, check.error) == (1, 0, 0, "")
    client.force_login(make_user(TECHNICIAN))
    page = client.get("/").content.decode()
    assert "Secrets PPPoE con diferencias" in page
    peer.silent = True
    services.router_update(actor=None, router=router, data={"timeout_seconds": 1})
    tasks.drift_check_task.call()
    assert "tiempo de espera" in DriftCheck.objects.order_by("-id").first().error
