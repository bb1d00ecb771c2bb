import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from ispgest.accounts.models import ApiToken
from ispgest.accounts.roles import COLLECTOR, TECHNICIAN
from ispgest.network import services
from ispgest.network.models import Router

pytestmark = pytest.mark.django_db


def test_the_password_is_stored_encrypted_and_never_shown(admin_client):
    resp = admin_client.post(
        reverse("network:router_create"),
        {
            "name": "Core 1",
            "host": "10.0.0.1",
            "api_port": "8728",
            "username": "api",
            "password": "s3cret-Passw0rd",
            "timeout_seconds": "10",
            "login_method": "plain",
            "active": "on",
        },
    )
    assert resp.status_code == 302
    router = Router.objects.get()
    assert "s3cret-Passw0rd" not in router.password_encrypted and router.password_encrypted
    assert services.router_password(router) == "s3cret-Passw0rd"
    page = admin_client.get(reverse("network:router_edit", args=[router.pk])).content.decode()
    assert "s3cret-Passw0rd" not in page and router.password_encrypted not in page
    assert '<label for="id_password">Contraseña de la API:</label>' in page
    # editing without a password keeps it
    admin_client.post(
        reverse("network:router_edit", args=[router.pk]),
        {
            "name": "Core 1",
            "host": "10.0.0.2",
            "api_port": "8728",
            "username": "api",
            "timeout_seconds": "10",
            "login_method": "plain",
            "active": "on",
        },
    )
    router.refresh_from_db()
    assert router.host == "10.0.0.2" and services.router_password(router) == "s3cret-Passw0rd"


def test_it_refuses_a_duplicate_name_and_a_bad_port(admin_user):
    services.router_create(actor=admin_user, data={"name": "Nodo Norte", "host": "10.1.1.1"})
    with pytest.raises(ValidationError) as exc:
        services.router_create(actor=admin_user, data={"name": "nodo norte", "host": "10.1.1.2"})
    assert exc.value.message_dict["name"] == ["Ya existe un router con ese nombre."]
    with pytest.raises(ValidationError) as exc:
        services.router_create(
            actor=admin_user, data={"name": "B", "host": "10.1.1.3", "api_port": 70000}
        )
    assert "api_port" in exc.value.message_dict
    assert Router.objects.count() == 1


def test_list_and_deactivate_with_role_checks(client, make_user, admin_user):
    router = services.router_create(actor=admin_user, data={"name": "R1", "host": "h"})
    client.force_login(make_user(COLLECTOR))
    assert client.get(reverse("network:home")).status_code == 403
    client.force_login(make_user(TECHNICIAN))
    assert ">R1</a></td>" in client.get(reverse("network:home")).content.decode()
    # only an Administrador manages routers
    assert client.post(reverse("network:router_deactivate", args=[router.pk])).status_code == 403
    assert Router.objects.get().active is True
    client.force_login(admin_user)
    client.post(reverse("network:router_deactivate", args=[router.pk]))
    assert Router.objects.get().active is False
    assert ">R1</a></td>" not in client.get(reverse("network:home")).content.decode()


def test_api_password_is_write_only(client, admin_user):
    _t, raw = ApiToken.issue(user=admin_user, name="t")
    auth = {"HTTP_AUTHORIZATION": f"Bearer {raw}"}
    resp = client.post(
        "/api/v1/network/routers",
        {"name": "API", "host": "192.0.2.1", "password": "pw-123"},
        content_type="application/json",
        **auth,
    )
    assert resp.status_code == 201
    assert "pw-123" not in resp.content.decode() and resp.json()["has_password"] is True
    rid = resp.json()["id"]
    resp = client.patch(
        f"/api/v1/network/routers/{rid}", {"password": ""}, content_type="application/json", **auth
    )
    assert resp.json()["has_password"] is False


def test_probar_conexion_shows_identity_version_and_uptime(admin_client, router, peer):
    resp = admin_client.post(reverse("network:router_probe", args=[router.pk]), follow=True)
    page = resp.content.decode()
    assert "Conexión correcta: identidad «MikroTik», RouterOS 7.16.2 (stable)" in page
    router.refresh_from_db()
    assert router.detected_version.startswith("7.16") and router.major_version == "7"


def test_probar_conexion_with_wrong_credentials_and_a_silent_router(admin_client, router, peer):
    services.router_update(
        actor=None, router=router, data={"timeout_seconds": 1}, password="mala-clave-77"
    )
    page = admin_client.post(reverse("network:router_probe", args=[router.pk]), follow=True)
    page = page.content.decode()
    assert "Usuario o contraseña de la API incorrectos" in page and "mala-clave-77" not in page
    peer.silent = True
    page = admin_client.post(reverse("network:router_probe", args=[router.pk]), follow=True)
    assert "tiempo de espera agotado" in page.content.decode()


def test_it_refuses_a_malformed_fingerprint(admin_user):
    with pytest.raises(ValidationError) as exc:
        services.router_create(
            actor=admin_user,
            data={"name": "T", "host": "h", "use_ssl": True, "tls_fingerprint": "zz:11"},
        )
    assert "64 cifras hexadecimales" in exc.value.message_dict["tls_fingerprint"][0]


def test_router_page_lists_pools_and_a_technician_creates_one(
    client, make_user, router, peer, django_capture_on_commit_callbacks
):
    client.force_login(make_user(TECHNICIAN))
    page = client.get(reverse("network:pool_create", args=[router.pk])).content.decode()
    assert '<label for="id_ranges">Rangos:</label>' in page
    bad = client.post(
        reverse("network:pool_create", args=[router.pk]),
        {"name": "p1", "network": "10.0.0.0/24", "ranges": "10.0.1.1-10.0.1.9"},
    )
    assert "dentro de la red" in bad.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        resp = client.post(
            reverse("network:pool_create", args=[router.pk]),
            {"name": "p1", "network": "10.0.0.0/24", "ranges": "10.0.0.10-10.0.0.99"},
        )
    assert resp.status_code == 302
    assert peer.find("/ip/pool", name="p1")["ranges"] == "10.0.0.10-10.0.0.99"
    page = client.get(reverse("network:router_detail", args=[router.pk])).content.decode()
    assert "<td>10.0.0.10-10.0.0.99</td>" in page and "Probar conexión" in page


def test_the_router_page_and_the_tab_show_a_failed_change_and_staff_retry_it(
    client, make_user, router, pools, contract, peer, admin_user, django_capture_on_commit_callbacks
):
    from ispgest.network.models import PPPoEAccount, SyncStatus

    client.force_login(make_user(TECHNICIAN))
    peer.drop_after = 0  # the router hangs up after the login
    with django_capture_on_commit_callbacks(execute=True):
        services.pppoe_save(
            actor=admin_user, contract=contract, data={"router": router, "username": "ana"}
        )
    account = PPPoEAccount.objects.get()
    assert account.sync_status != SyncStatus.APPLIED
    page = client.get(reverse("network:router_detail", args=[router.pk])).content.decode()
    assert "Cambios pendientes y con error" in page and "<td>ana</td>" in page
    assert "Reintentar ahora" in page and 'id="router-sync-error"' in page
    tab = reverse("clients:section", args=[contract.client_id, "pppoe"])
    assert reverse("network:pppoe_retry", args=[account.pk]) in client.get(tab).content.decode()
    assert peer.find("/ppp/secret", name="ana") is None

    peer.drop_after = None  # the router is back
    with django_capture_on_commit_callbacks(execute=True):
        resp = client.post(reverse("network:router_sync", args=[router.pk]))
    assert resp.status_code == 302
    account.refresh_from_db()
    assert account.sync_status == SyncStatus.APPLIED
    assert peer.find("/ppp/secret", name="ana")["profile"] == "Fibra-100"
    page = client.get(reverse("network:router_detail", args=[router.pk])).content.decode()
    assert "Todo aplicado." in page and "Reintentar ahora" not in page
    assert 'id="router-sync-error"' not in page


def test_the_router_form_offers_the_automatic_login_and_selects_it_for_a_new_router(
    admin_client,
):
    page = admin_client.get(reverse("network:router_create")).content.decode()
    assert '<label for="id_login_method">Método de inicio de sesión:</label>' in page
    assert 'id="id_login_method"' in page
    assert (
        '<option value="auto" selected>Automático (normal; el desafío si el router lo pide)'
        "</option>" in page
    )
    assert '<option value="legacy">Antiguo con desafío (RouterOS anterior a 6.43)</option>' in page
    assert "sin volver a enviar la contraseña" in page  # the trade-off, in the help text


def test_probar_conexion_on_an_old_router_reports_the_challenge_login(admin_client, router, peer):
    peer.legacy_login = True
    peer.state.version = "6.40.1"
    page = admin_client.post(reverse("network:router_probe", args=[router.pk]), follow=True)
    page = page.content.decode()
    assert "RouterOS 6.40.1" in page
    assert "inicio de sesión: Antiguo con desafío (RouterOS anterior a 6.43)." in page
    router.refresh_from_db()
    assert router.login_method == "auto" and router.detected_login_method == "legacy"
    assert router.detected_version == "6.40.1" and router.major_version == "6"
    # the router page shows the chosen method and the one detected
    detail = admin_client.get(reverse("network:router_detail", args=[router.pk])).content.decode()
    assert "detectado: Antiguo con desafío" in detail


def test_probar_conexion_with_wrong_credentials_on_an_old_router(admin_client, router, peer):
    peer.legacy_login = True
    services.router_update(actor=None, router=router, data={}, password="mala-clave-77")
    page = admin_client.post(reverse("network:router_probe", args=[router.pk]), follow=True)
    page = page.content.decode()
    assert "Usuario o contraseña de la API incorrectos" in page and "mala-clave-77" not in page
    router.refresh_from_db()
    assert router.detected_login_method == ""


def test_api_probe_reports_the_login_method(client, admin_user, router, peer):
    _t, raw = ApiToken.issue(user=admin_user, name="t")
    resp = client.post(
        f"/api/v1/network/routers/{router.pk}/probar", HTTP_AUTHORIZATION=f"Bearer {raw}"
    )
    assert resp.status_code == 200 and resp.json()["login_method"] == "plain"
    got = client.get(f"/api/v1/network/routers/{router.pk}", HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert got.json()["login_method"] == "auto" and got.json()["detected_login_method"] == "plain"


@pytest.mark.django_db(transaction=True)
def test_the_migration_keeps_the_login_method_of_existing_routers():
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    executor = MigrationExecutor(connection)
    executor.migrate([("network", "0005_usage")])
    old = executor.loader.project_state([("network", "0005_usage")]).apps
    OldRouter = old.get_model("network", "Router")  # noqa: N806
    OldRouter.objects.create(name="Viejo", host="10.9.9.1", login_method="legacy")
    OldRouter.objects.create(name="Nuevo", host="10.9.9.2", login_method="plain")
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())
    methods = dict(Router.objects.values_list("name", "login_method"))
    assert methods == {"Viejo": "legacy", "Nuevo": "plain"}
    assert Router(name="X", host="h").login_method == "auto"
