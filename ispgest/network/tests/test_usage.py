"""Consumo: sampling the PPPoE sessions' byte counters from the RouterOS peer, resets,
the roll-up of hours into days, the client's "Consumo" charts and the usage API."""

import re
import socket
from datetime import date, datetime, timedelta

import pytest
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from ispgest.accounts.models import ApiToken
from ispgest.accounts.roles import COLLECTOR, TECHNICIAN
from ispgest.clients.models import Client
from ispgest.contracts import services as contract_services
from ispgest.core.schedule import scheduled_jobs
from ispgest.network import services, usage
from ispgest.network.models import UsageCounter, UsageDay, UsageHour
from ispgest.network.selectors import UsagePoint, usage_blocks, usage_daily, usage_monthly
from ispgest.network.testing.peer import RouterOSPeer

pytestmark = pytest.mark.django_db


@pytest.fixture
def account(admin_user, router, pools, contract):
    return services.pppoe_save(
        actor=admin_user, contract=contract, data={"router": router, "username": "ana"}
    )


def hour_totals(contract):
    rows = UsageHour.objects.filter(contract=contract)
    return sum(r.bytes_down for r in rows), sum(r.bytes_up for r in rows)


def test_sampling_twice_stores_the_delta_with_tx_as_download_and_rx_as_upload(
    router, account, contract, peer
):
    peer.connect_session("ana")
    peer.add_traffic("ana", download=5_000, upload=700)
    usage.sample_router(router)  # the first reading is the baseline
    assert hour_totals(contract) == (0, 0)
    assert UsageCounter.objects.get(account=account).tx_bytes == 5_000
    peer.add_traffic("ana", download=3_000_000, upload=200_000)
    usage.sample_router(router)
    assert hour_totals(contract) == (3_000_000, 200_000)
    peer.add_traffic("ana", download=1_000, upload=10)
    usage.sample_router(router)
    usage.sample_router(router)  # nothing new: nothing added
    assert hour_totals(contract) == (3_001_000, 200_010)
    assert UsageHour.objects.filter(contract=contract).count() == 1
    prints = [c for c in peer.commands if c[0] == "/interface/print"]
    assert len(prints) == 4
    assert "=.proplist=.id,name,rx-byte,tx-byte" in prints[0]


def test_a_reconnected_session_counts_from_zero_never_negative_or_twice(
    router, account, contract, peer
):
    peer.connect_session("ana")
    peer.add_traffic("ana", download=10_000, upload=1_000)
    usage.sample_router(router)
    peer.add_traffic("ana", download=1_000, upload=100)
    usage.sample_router(router)
    assert hour_totals(contract) == (1_000, 100)
    # Reconnected with less traffic than the old session had: not negative.
    peer.disconnect_session("ana")
    peer.connect_session("ana")
    peer.add_traffic("ana", download=300, upload=30)
    usage.sample_router(router)
    assert hour_totals(contract) == (1_300, 130)
    # Reconnected and already past the old counters: the new session's bytes, all of them.
    peer.disconnect_session("ana")
    peer.connect_session("ana")
    peer.add_traffic("ana", download=50_000, upload=5_000)
    usage.sample_router(router)
    assert hour_totals(contract) == (51_300, 5_130)
    # Counters cleared on the same interface (reset-counters): the new value, not a negative.
    with peer.lock:
        iface = peer._session_interface("ana")
        iface["tx-byte"], iface["rx-byte"] = "40", "4"
    usage.sample_router(router)
    assert hour_totals(contract) == (51_340, 5_134)


def test_a_router_that_is_down_does_not_stop_the_others(
    admin_user, router, account, peer, plan, caplog
):
    with RouterOSPeer(username="api", password="clave-2") as other:
        north = services.router_create(
            actor=admin_user,
            data={"name": "Nodo Norte", "host": "127.0.0.1", "api_port": other.port},
            password="clave-2",
        )
        north.username = "api"
        north.save(update_fields=["username"])
        services.pool_create(
            actor=admin_user,
            router=north,
            data={
                "name": "norte",
                "network": "100.65.0.0/24",
                "ranges": "100.65.0.10-100.65.0.200",
            },
        )
        bob = Client(name="Bob Gil")
        bob.refresh_search_fields()
        bob.save()
        c2 = contract_services.contract_create(
            actor=admin_user,
            client=bob,
            plan=plan,
            start_date=date(2024, 1, 1),
            data={"address": "Calle Norte 2"},
        )
        services.pppoe_save(
            actor=admin_user, contract=c2, data={"router": north, "username": "bob"}
        )
        other.connect_session("bob")
        usage.sample_all()
        other.add_traffic("bob", download=9_000, upload=900)
        peer.stop()  # the first router (sampled first) stops answering
        result = usage.sample_all()
    assert result == {"routers": 1, "contracts": 1, "failed": 1}
    assert hour_totals(c2) == (9_000, 900)
    assert "Nodo Centro" in caplog.text and "not sampled" in caplog.text


def test_the_sampling_and_roll_up_jobs_are_scheduled():
    jobs = scheduled_jobs()
    assert jobs["network.usage_sample"].every == timedelta(minutes=5)
    assert jobs["network.usage_sample"].task == "ispgest.network.tasks.usage_sample_task"
    assert jobs["network.usage_rollup"].task == "ispgest.network.tasks.usage_rollup_task"


def _local(d: date, hour: int) -> datetime:
    return datetime(d.year, d.month, d.day, hour, tzinfo=timezone.get_current_timezone())


def test_the_roll_up_folds_old_hours_into_days_and_a_rerun_changes_nothing(contract):
    today = timezone.localdate()
    old_day, recent_day = today - timedelta(days=40), today - timedelta(days=2)
    for h in (0, 5, 23):  # 23:00 local is still the same local day
        UsageHour.objects.create(
            contract=contract, hour=_local(old_day, h), bytes_down=1_000, bytes_up=10
        )
    UsageHour.objects.create(
        contract=contract, hour=_local(recent_day, 12), bytes_down=7, bytes_up=1
    )
    UsageDay.objects.create(
        contract=contract, day=old_day - timedelta(days=1), bytes_down=5, bytes_up=5
    )
    before = usage_monthly([contract.pk])[contract.pk]
    with override_settings(ISPGEST_USAGE_HOURLY_DAYS=50):
        assert usage.usage_rollup() == 0  # within the retention: nothing folded
    assert usage.usage_rollup() == 3
    day = UsageDay.objects.get(contract=contract, day=old_day)
    assert (day.bytes_down, day.bytes_up) == (3_000, 30)
    assert list(UsageHour.objects.values_list("hour", flat=True)) == [_local(recent_day, 12)]
    assert usage.usage_rollup() == 0
    assert UsageDay.objects.count() == 2
    day.refresh_from_db()
    assert (day.bytes_down, day.bytes_up) == (3_000, 30)
    # The series read the same before and after folding.
    assert usage_monthly([contract.pk])[contract.pk] == before
    assert sum(p.bytes_down for p in before) == 3_012


def test_the_series_fill_empty_periods_with_zero(contract):
    today = timezone.localdate()
    UsageHour.objects.create(contract=contract, hour=_local(today, 1), bytes_down=5, bytes_up=2)
    daily = usage_daily([contract.pk])[contract.pk]
    assert len(daily) == 30 and daily[0].start == today - timedelta(days=29)
    assert daily[-1].start == today and (daily[-1].bytes_down, daily[-1].bytes_up) == (5, 2)
    assert all(p.bytes_down == 0 for p in daily[:-1])
    monthly = usage_monthly([contract.pk])[contract.pk]
    assert len(monthly) == 12 and monthly[-1].start == today.replace(day=1)
    assert monthly[-1].bytes_down == 5


def test_a_day_row_counts_on_its_own_day_east_of_utc(contract):
    with override_settings(TIME_ZONE="Europe/Madrid"):
        day = timezone.localdate() - timedelta(days=3)
        UsageDay.objects.create(contract=contract, day=day, bytes_down=7, bytes_up=1)
        daily = usage_daily([contract.pk])[contract.pk]
        assert daily[-4] == UsagePoint(day, 7, 1)
        assert daily[-5].bytes_down == daily[-3].bytes_down == 0


def test_usage_blocks_give_each_open_contract_its_four_charts(contract, plan, admin_user):
    today = timezone.localdate()
    UsageDay.objects.create(contract=contract, day=today, bytes_down=2_000_000, bytes_up=5_000)
    idle = contract_services.contract_create(
        actor=admin_user,
        client=contract.client,
        plan=plan,
        start_date=date(2024, 1, 1),
        data={"address": "Calle Mayor 2"},
    )
    gone = contract_services.contract_create(
        actor=admin_user,
        client=contract.client,
        plan=plan,
        start_date=date(2024, 1, 1),
        data={"address": "Calle Mayor 3"},
    )
    contract_services.contract_cancel(actor=admin_user, contract=gone)
    blocks = usage_blocks(contract.client)
    assert [b["contract"].pk for b in blocks] == [contract.pk, idle.pk]
    assert [b["has_samples"] for b in blocks] == [True, False]
    charts = blocks[0]["charts"]
    assert [c["id"] for c in charts] == [
        f"usage-{contract.pk}-day-down",
        f"usage-{contract.pk}-day-up",
        f"usage-{contract.pk}-month-down",
        f"usage-{contract.pk}-month-up",
    ]
    assert [c["total"] for c in charts] == ["2,0 MB", "5,0 KB", "2,0 MB", "5,0 KB"]
    assert [len(c["bars"]) for c in charts] == [30, 30, 12, 12]


@pytest.fixture
def tech(client, make_user):
    client.force_login(make_user(TECHNICIAN))
    return client


def test_the_consumo_section_draws_svg_bars_for_the_sampled_days(
    tech, router, account, contract, peer
):
    url = reverse("clients:section", args=[contract.client_id, "consumo"])
    page = tech.get(url).content.decode()
    assert "Todavía no hay muestras de consumo" in page and "usage-chart" not in page
    peer.connect_session("ana")
    usage.sample_router(router)
    peer.add_traffic("ana", download=2_500_000_000, upload=3_000_000)
    usage.sample_router(router)
    page = tech.get(url).content.decode()
    assert "Todavía no hay muestras de consumo" not in page
    assert page.count('<svg xmlns="http://www.w3.org/2000/svg" role="img"') == 4
    assert page.count('class="usage-bar"') == 2 * (30 + 12)
    today = timezone.localdate().strftime("%d/%m")
    assert f"<title>{today}: 2,5 GB</title>" in page
    assert f"<title>{today}: 3,0 MB</title>" in page
    down = re.search(rf'id="usage-{contract.pk}-day-down".*?</figure>', page, re.S).group(0)
    heights = [float(h) for h in re.findall(r'class="usage-bar"[^>]*height="([\d.]+)"', down)]
    assert heights[-1] > 0 and heights[:-1] == [0.0] * 29  # only today has traffic
    assert 'aria-label="Descarga por día, últimos 30 días: 2,5 GB en total' in page
    assert "<script" not in down


def test_the_consumo_section_needs_the_pppoe_permission(client, make_user, contract):
    client.force_login(make_user(COLLECTOR))
    url = reverse("clients:section", args=[contract.client_id, "consumo"])
    assert client.get(url).status_code == 404


def auth(user):
    _t, raw = ApiToken.issue(user=user, name="t")
    return {"HTTP_AUTHORIZATION": f"Bearer {raw}"}


def test_the_api_returns_the_usage_series_and_403s_without_the_right(
    client, make_user, router, account, contract, peer
):
    peer.connect_session("ana")
    usage.sample_router(router)
    peer.add_traffic("ana", download=4_000, upload=400)
    usage.sample_router(router)
    url = f"/api/v1/network/contracts/{contract.pk}/usage"
    resp = client.get(url, **auth(make_user(TECHNICIAN)))
    assert resp.status_code == 200
    body = resp.json()
    assert body["contract"] == contract.pk
    assert len(body["daily"]) == 30 and len(body["monthly"]) == 12
    assert body["daily"][-1] == {
        "start": timezone.localdate().isoformat(),
        "bytes_down": 4_000,
        "bytes_up": 400,
    }
    assert body["monthly"][-1]["bytes_down"] == 4_000
    assert client.get(url, **auth(make_user(COLLECTOR))).status_code == 403
    spec = client.get("/api/v1/openapi.json", **auth(make_user(TECHNICIAN))).json()
    op = spec["paths"]["/api/v1/network/contracts/{contract_id}/usage"]["get"]
    assert "UsageSeriesOut" in str(op["responses"]["200"])


def test_a_closed_port_is_logged_not_raised(admin_user, db):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    services.router_create(
        actor=admin_user,
        data={"name": "Apagado", "host": "127.0.0.1", "api_port": port, "timeout_seconds": 1},
        password="x",
    )
    assert usage.sample_all() == {"routers": 0, "contracts": 0, "failed": 1}


def test_the_consumo_section_runs_the_same_queries_for_one_or_three_contracts(
    tech, admin_user, contract, plan
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    url = reverse("clients:section", args=[contract.client_id, "consumo"])
    tech.get(url)
    with CaptureQueriesContext(connection) as one:
        tech.get(url)
    for n in range(2):
        c = contract_services.contract_create(
            actor=admin_user,
            client=contract.client,
            plan=plan,
            start_date=date(2024, 1, 1),
            data={"address": f"Calle {n}"},
        )
        UsageHour.objects.create(contract=c, hour=timezone.now(), bytes_down=1, bytes_up=1)
    with CaptureQueriesContext(connection) as three:
        page = tech.get(url).content.decode()
    assert page.count('class="usage-chart"') == 2 * 4
    assert len(three) == len(one)


def test_the_month_chart_labels_every_other_month_so_the_labels_never_overlap(contract):
    from ispgest.network.charts import bar_chart

    months = usage_monthly([contract.pk], today=date(2026, 12, 15))[contract.pk]
    chart = bar_chart(months, field="bytes_down", kind="month", title="m", chart_id="m")
    labels = [b["label"] for b in chart["bars"]]
    expected = ["Feb 2026", "Abr 2026", "Jun 2026", "Ago 2026", "Oct 2026", "Dic 2026"]
    assert [x for x in labels if x] == expected
