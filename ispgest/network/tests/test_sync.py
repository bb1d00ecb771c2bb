"""Pools, profiles and secrets reach the peer router through librouteros, and the database
always knows what was applied."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from ispgest.clients.models import ClientEvent
from ispgest.contracts import services as contract_services
from ispgest.contracts.models import Plan
from ispgest.core.models import AuditEntry
from ispgest.network import routeros, services, sync
from ispgest.network.desired import MARKER, NO_SERVICE_PROFILE
from ispgest.network.models import IPPool, PPPoEAccount, SyncStatus

pytestmark = pytest.mark.django_db


@pytest.fixture
def run(django_capture_on_commit_callbacks):
    """Run a write and the sync tasks it queued (the immediate backend runs them)."""

    def _run(fn, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return fn(**kwargs)

    return _run


def test_pools_and_profiles_from_plans_are_mirrored(peer, router, pools, plan):
    pool = peer.find("/ip/pool", name="clientes")
    assert pool["ranges"] == "100.64.1.0-100.64.3.250" and pool["comment"].startswith(MARKER)
    profile = peer.find("/ppp/profile", name="Fibra-100")
    # rx/tx as the router sees them: rx is the client's upload
    assert profile["rate-limit"] == "10000k/100000k"
    assert profile["remote-address"] == "clientes" and profile["only-one"] == "yes"
    ns = peer.find("/ppp/profile", name=NO_SERVICE_PROFILE)
    assert ns["remote-address"] == "sin-conexion" and ns["address-list"] == "morosos"


def test_a_plan_change_updates_its_profile_with_burst(peer, router, pools, plan, admin_user, run):
    run(
        contract_services.plan_update,
        actor=admin_user,
        plan=plan,
        data={
            "download_kbps": 50_000,
            "burst_download_kbps": 80_000,
            "burst_upload_kbps": 12_000,
            "burst_time_seconds": 10,
        },
    )
    profile = peer.find("/ppp/profile", name="Fibra-100")
    assert profile["rate-limit"] == "10000k/50000k 12000k/80000k 7500k/37500k 10/10 8"
    assert len(peer.rows("/ppp/profile")) == 2


def test_overlapping_pools_are_refused(router, pools, admin_user):
    with pytest.raises(ValidationError) as exc:
        services.pool_create(
            actor=admin_user,
            router=router,
            data={"name": "otro", "network": "100.64.0.0/22", "ranges": "100.64.3.0/24"},
        )
    assert "se solapan" in exc.value.message_dict["ranges"][0]
    with pytest.raises(ValidationError) as exc:
        services.pool_create(
            actor=admin_user,
            router=router,
            data={"name": "fuera", "network": "100.64.0.0/22", "ranges": "192.168.0.1-192.168.0.9"},
        )
    assert "dentro de la red" in exc.value.message_dict["ranges"][0]
    with pytest.raises(ValidationError) as exc:
        services.pool_create(
            actor=admin_user,
            router=router,
            data={
                "name": "ns2",
                "network": "10.98.0.0/24",
                "ranges": "10.98.0.2-10.98.0.9",
                "no_service": True,
            },
        )
    assert "sin conexión" in exc.value.message_dict["no_service"][0]
    assert IPPool.objects.count() == 2


def test_guardar_secret_creates_it_with_the_marker_and_records_history(
    peer, router, pools, contract, admin_user, run
):
    acc = run(
        services.pppoe_save,
        actor=admin_user,
        contract=contract,
        data={
            "router": router,
            "username": "ana.perez",
            "password": "Clave-Cliente-1",
            "static_ip": "100.64.0.20",
        },
    )
    row = peer.find("/ppp/secret", name="ana.perez")
    assert row["password"] == "Clave-Cliente-1" and row["profile"] == "Fibra-100"
    assert row["remote-address"] == "100.64.0.20" and row["service"] == "pppoe"
    assert row["comment"] == f"{MARKER}c{contract.pk}"
    acc.refresh_from_db()
    assert acc.sync_status == SyncStatus.APPLIED and acc.applied_version == acc.version
    assert acc.applied["profile"] == "Fibra-100" and "password" not in acc.applied
    assert acc.router_ref == row[".id"]
    assert ClientEvent.objects.filter(client=contract.client, action="pppoe.created").exists()
    assert AuditEntry.objects.filter(action="pppoe.created").exists()
    assert "Clave-Cliente-1" not in acc.password_encrypted


def test_a_generated_password_when_left_empty(peer, router, pools, contract, admin_user, run):
    acc = run(
        services.pppoe_save,
        actor=admin_user,
        contract=contract,
        data={"router": router, "username": "ana"},
    )
    assert len(services.pppoe_password(acc)) == 12
    assert peer.find("/ppp/secret", name="ana")["password"] == services.pppoe_password(acc)


@pytest.mark.parametrize(
    ("ip", "message"),
    [
        ("192.168.1.5", "dentro de la red de servicio"),
        ("100.64.2.9", "rango dinámico"),
        ("10.99.0.5", "dentro de la red de servicio"),
        ("nope", "IPv4 válida"),
    ],
)
def test_static_ip_outside_the_network_is_refused(router, pools, contract, admin_user, ip, message):
    with pytest.raises(ValidationError) as exc:
        services.pppoe_save(
            actor=admin_user,
            contract=contract,
            data={"router": router, "username": "ana", "static_ip": ip},
        )
    assert message in exc.value.message_dict["static_ip"][0]
    assert not PPPoEAccount.objects.exists()


def test_a_static_ip_already_used_is_refused(router, pools, contract, plan, admin_user, run):
    run(
        services.pppoe_save,
        actor=admin_user,
        contract=contract,
        data={"router": router, "username": "ana", "static_ip": "100.64.0.20"},
    )
    other = contract_services.contract_create(
        actor=admin_user,
        client=contract.client,
        plan=plan,
        start_date=contract.start_date,
        data={"address": "Otra 2"},
    )
    with pytest.raises(ValidationError) as exc:
        services.pppoe_save(
            actor=admin_user,
            contract=other,
            data={"router": router, "username": "ana2", "static_ip": "100.64.0.20"},
        )
    assert "ya la usa el secret «ana»" in exc.value.message_dict["static_ip"][0]


def test_the_tab_needs_a_router_with_a_pool(router, contract, admin_user):
    with pytest.raises(ValidationError) as exc:
        services.pppoe_save(
            actor=admin_user, contract=contract, data={"router": router, "username": "ana"}
        )
    assert "Pool de IPs" in exc.value.message_dict["router"][0]


def test_two_saves_from_the_same_page_the_second_is_refused(
    router, pools, contract, admin_user, run
):
    acc = run(
        services.pppoe_save,
        actor=admin_user,
        contract=contract,
        data={"router": router, "username": "ana"},
    )
    seen = acc.version
    run(
        services.pppoe_save,
        actor=admin_user,
        contract=contract,
        data={"username": "ana-1", "version": seen},
    )
    with pytest.raises(ValidationError) as exc:
        services.pppoe_save(
            actor=admin_user, contract=contract, data={"username": "ana-2", "version": seen}
        )
    assert "Otra persona guardó este secret" in exc.value.messages[0]
    assert PPPoEAccount.objects.get().username == "ana-1"


def _accounts(router, plan, admin_user, names):
    from ispgest.clients.models import Client

    for name in names:
        client = Client(name=f"Cliente {name}")
        client.refresh_search_fields()
        client.save()
        c = contract_services.contract_create(
            actor=admin_user,
            client=client,
            plan=plan,
            start_date=timezone.localdate(),
            data={"address": "x"},
        )
        services.pppoe_save(actor=admin_user, contract=c, data={"router": router, "username": name})


def test_drop_mid_sync_then_retry_nothing_doubled(peer, router, pools, plan, admin_user):
    from ispgest.network.models import Router

    _accounts(router, plan, admin_user, [f"user{n:02d}" for n in range(30)])
    # the connection dies after the print and 10 of the 30 pipelined adds: their answers
    # never arrive, so the database cannot know they were applied
    peer.drop_after = 11
    assert sync.sync_router(router.pk) == "failed"
    assert len(peer.rows("/ppp/secret")) == 10
    router.refresh_from_db()
    assert "cerró la conexión" in router.last_sync_error
    assert router.next_sync_at is not None and router.sync_attempts == 1
    assert not PPPoEAccount.objects.filter(sync_status=SyncStatus.APPLIED).exists()
    assert list(sync.due_routers()) == []  # waiting for the backoff
    peer.drop_after = None
    Router.objects.filter(pk=router.pk).update(next_sync_at=None)
    assert list(sync.due_routers()) == [router.pk]
    assert sync.sync_router(router.pk) == "done"
    names = [r["name"] for r in peer.rows("/ppp/secret")]
    assert sorted(names) == [f"user{n:02d}" for n in range(30)]  # each exactly once
    assert PPPoEAccount.objects.filter(sync_status=SyncStatus.APPLIED).count() == 30
    assert list(sync.due_routers()) == []
    router.refresh_from_db()
    assert router.sync_attempts == 0 and router.last_sync_error == ""


def test_a_secret_made_by_hand_is_a_conflict_until_adopted(
    peer, router, pools, contract, admin_user, run
):
    peer.add_row("/ppp/secret", name="ana", password="manual", profile="default")
    acc = run(
        services.pppoe_save,
        actor=admin_user,
        contract=contract,
        data={"router": router, "username": "ana"},
    )
    acc.refresh_from_db()
    assert acc.sync_status == SyncStatus.CONFLICT and "creado a mano" in acc.last_error
    assert peer.find("/ppp/secret", name="ana")["password"] == "manual"
    run(services.pppoe_adopt, actor=admin_user, account=acc)
    acc.refresh_from_db()
    assert acc.sync_status == SyncStatus.APPLIED
    row = peer.find("/ppp/secret", name="ana")
    assert row["comment"].startswith(MARKER) and row["profile"] == "Fibra-100"
    assert len(peer.rows("/ppp/secret")) == 1


def test_contract_status_drives_the_router(peer, router, pools, contract, admin_user, run):
    acc = run(
        services.pppoe_save,
        actor=admin_user,
        contract=contract,
        data={"router": router, "username": "ana", "static_ip": "100.64.0.20"},
    )
    peer.connect_session("ana")
    run(contract_services.contract_suspend, actor=admin_user, contract=contract)
    row = peer.find("/ppp/secret", name="ana")
    assert row["profile"] == NO_SERVICE_PROFILE and "remote-address" not in row
    assert peer.rows("/ppp/active") == []  # kicked so the no-service pool applies now
    acc.refresh_from_db()
    assert acc.static_ip == "100.64.0.20" and acc.suspended
    run(contract_services.contract_activate, actor=admin_user, contract=contract)
    row = peer.find("/ppp/secret", name="ana")
    assert row["profile"] == "Fibra-100" and row["remote-address"] == "100.64.0.20"
    run(contract_services.contract_cancel, actor=admin_user, contract=contract)
    assert peer.find("/ppp/secret", name="ana") is None
    assert not PPPoEAccount.objects.exists()
    actions = set(
        ClientEvent.objects.filter(client=contract.client).values_list("action", flat=True)
    )
    assert {"pppoe.suspended", "pppoe.restored", "pppoe.deleted"} <= actions


def test_a_plan_change_sets_the_profile_and_kicks_the_session(
    peer, router, pools, contract, admin_user, run
):
    run(
        services.pppoe_save,
        actor=admin_user,
        contract=contract,
        data={"router": router, "username": "ana"},
    )
    faster = run(
        contract_services.plan_create,
        actor=admin_user,
        data={
            "name": "Fibra 300",
            "price": Decimal("30"),
            "download_kbps": 300_000,
            "upload_kbps": 30_000,
        },
    )
    assert peer.find("/ppp/profile", name="Fibra-300")["rate-limit"] == "30000k/300000k"
    peer.connect_session("ana")
    run(
        contract_services.plan_assign,
        actor=admin_user,
        contract=contract,
        plan=faster,
        start_date=timezone.localdate(),
    )
    assert peer.find("/ppp/secret", name="ana")["profile"] == "Fibra-300"
    assert peer.rows("/ppp/active") == []
    assert Plan.objects.count() == 2


def test_ping_kick_and_status_read_the_router(peer, router, pools, contract, admin_user, run):
    acc = run(
        services.pppoe_save,
        actor=admin_user,
        contract=contract,
        data={"router": router, "username": "ana"},
    )
    assert services.pppoe_status(acc) == {"connected": False}
    peer.connect_session("ana", address="100.64.1.7", caller_id="11:22:33:44:55:66")
    status = services.pppoe_status(acc)
    assert status["connected"] and status["address"] == "100.64.1.7"
    assert status["caller_id"] == "11:22:33:44:55:66"
    peer.state.reachable["100.64.1.7"] = (3, 12)
    result = services.pppoe_ping(actor=admin_user, account=acc)
    assert (result["sent"], result["received"], result["avg"]) == (4, 3, "12ms")
    assert services.pppoe_kick(actor=admin_user, account=acc) == 1
    assert peer.rows("/ppp/active") == []
    actions = set(
        ClientEvent.objects.filter(client=contract.client).values_list("action", flat=True)
    )
    assert {"pppoe.ping", "pppoe.kicked"} <= actions


def test_editing_a_plans_speed_kicks_the_sessions_of_its_secrets(
    peer, router, pools, contract, plan, admin_user, run
):
    run(
        services.pppoe_save,
        actor=admin_user,
        contract=contract,
        data={"router": router, "username": "ana"},
    )
    peer.connect_session("ana")
    run(contract_services.plan_update, actor=admin_user, plan=plan, data={"download_kbps": 200_000})
    assert peer.find("/ppp/profile", name="Fibra-100")["rate-limit"] == "10000k/200000k"
    assert peer.rows("/ppp/active") == []  # reconnects with the new speed
    account = PPPoEAccount.objects.get()
    assert not account.kick_pending and account.sync_status == SyncStatus.APPLIED


def test_editing_a_plans_description_does_not_kick(
    peer, router, pools, contract, plan, admin_user, run
):
    run(
        services.pppoe_save,
        actor=admin_user,
        contract=contract,
        data={"router": router, "username": "ana"},
    )
    peer.connect_session("ana")
    run(contract_services.plan_update, actor=admin_user, plan=plan, data={"description": "Otra"})
    assert len(peer.rows("/ppp/active")) == 1


def test_renaming_a_plan_moves_its_secrets_and_removes_the_old_profile(
    peer, router, pools, contract, plan, admin_user, run
):
    run(
        services.pppoe_save,
        actor=admin_user,
        contract=contract,
        data={"router": router, "username": "ana"},
    )
    peer.add_row("/ppp/profile", name="a-mano", comment="hecho a mano")
    peer.add_row("/ppp/profile", name="viejo", comment="ispgest-no")
    run(contract_services.plan_update, actor=admin_user, plan=plan, data={"name": "Fibra 150"})
    assert peer.find("/ppp/secret", name="ana")["profile"] == "Fibra-150"
    names = {r["name"] for r in peer.rows("/ppp/profile")}
    assert "Fibra-100" not in names and "Fibra-150" in names
    assert {"a-mano", "viejo"} <= names  # profiles without the marker are never touched


def test_a_stale_managed_profile_still_used_by_a_secret_is_kept(
    peer, router, pools, plan, admin_user
):
    peer.add_row("/ppp/profile", name="Antiguo", comment=MARKER + "plan:999")
    ref = peer.add_row("/ppp/secret", name="pepe", profile="Antiguo", password="x")
    with routeros.session(router) as client:
        assert sync.prune_profiles(router, client) == []
        client.remove("/ppp/secret", ref)
        assert sync.prune_profiles(router, client) == ["Antiguo"]
    assert peer.find("/ppp/profile", name="Antiguo") is None


def test_a_push_records_its_outcomes_in_a_fixed_number_of_queries(
    peer, router, pools, plan, admin_user
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    _accounts(router, plan, admin_user, [f"a{n:03d}" for n in range(25)])
    with CaptureQueriesContext(connection) as few:
        assert sync.sync_router(router.pk) == "done"
    _accounts(router, plan, admin_user, [f"b{n:03d}" for n in range(100)])
    with CaptureQueriesContext(connection) as many:
        assert sync.sync_router(router.pk) == "done"
    assert PPPoEAccount.objects.filter(sync_status=SyncStatus.APPLIED).count() == 125
    assert len(peer.rows("/ppp/secret")) == 125
    # four times the accounts, not four times the queries: one UPDATE per account would
    # add 75 here
    assert len(many) <= len(few) + 5, (len(few), len(many))
    account = PPPoEAccount.objects.get(username="b042")
    assert account.applied_version == account.version
    assert account.applied["name"] == "b042" and account.applied_at is not None
    assert account.router_ref == next(
        r[".id"] for r in peer.rows("/ppp/secret") if r["name"] == "b042"
    )


def test_an_account_changed_while_its_push_is_in_flight_stays_pending(
    peer, router, pools, plan, admin_user, monkeypatch
):
    from django.db.models import F

    _accounts(router, plan, admin_user, [f"c{n:03d}" for n in range(30)])
    real_pipeline = routeros.Client.pipeline

    def pipeline_then_a_staff_save(self, commands):
        replies = real_pipeline(self, commands)
        # a save that lands after the router answered, before the answers are recorded
        PPPoEAccount.objects.filter(username="c007").update(version=F("version") + 1)
        return replies

    monkeypatch.setattr(routeros.Client, "pipeline", pipeline_then_a_staff_save)
    sync._one_pass(router)
    changed = PPPoEAccount.objects.get(username="c007")
    assert changed.applied_version < changed.version
    assert changed.sync_status == SyncStatus.PENDING
    others = PPPoEAccount.objects.exclude(username="c007")
    assert others.filter(sync_status=SyncStatus.APPLIED).count() == 29
    assert list(sync.due_routers()) == [router.pk]
