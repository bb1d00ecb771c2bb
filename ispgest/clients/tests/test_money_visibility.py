"""Amounts and debt follow clients.view_money (core.visibility): a Técnico sees no "Impagas"
column nor its filters in the list, no unpaid figures in the API and none in an export; a
crafted money filter is not applied. An Administrador still sees everything."""

import io
from decimal import Decimal

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse
from openpyxl import load_workbook

from ispgest.accounts.models import ApiToken
from ispgest.accounts.roles import ADMIN, BILLING, COLLECTOR, SELLER, TECHNICIAN
from ispgest.billing.models import ClientBalance
from ispgest.clients.export import COLUMNS
from ispgest.clients.models import Client
from ispgest.clients.search import MONEY_FILTERS
from ispgest.clients.tasks import start_export
from ispgest.core.models import Job

UNPAID_COLUMNS = ["Número de facturas impagas", "Balance de facturas impagas"]


def make(name, **extra) -> Client:
    client = Client(name=name, **extra)
    client.refresh_search_fields()
    client.save()
    return client


@pytest.fixture
def debtor(db):
    client = make("Debe Mucho")
    ClientBalance.objects.create(client=client, unpaid_count=3, unpaid_total=Decimal("4321.98"))
    make("Al Día")
    return client


def headers(user):
    _token, raw = ApiToken.issue(user=user, name="tests")
    return {"HTTP_AUTHORIZATION": f"Bearer {raw}"}


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("role", "sees"),
    [(ADMIN, True), (BILLING, True), (SELLER, True), (COLLECTOR, True), (TECHNICIAN, False)],
)
def test_every_role_but_the_technician_holds_the_money_permission(make_user, role, sees):
    assert make_user(role).has_perm("clients.view_money") is sees


@pytest.mark.django_db
def test_a_technicians_list_has_no_unpaid_column_nor_money_filters(client, make_user, debtor):
    client.force_login(make_user(TECHNICIAN))
    response = client.get(reverse("clients:list"), {"status": "all"})
    page = response.content.decode()
    assert response.status_code == 200
    assert "Debe Mucho" in page
    assert ">Impagas<" not in page and "4321,98" not in page and "4.321,98" not in page
    for name in MONEY_FILTERS:
        assert f'name="{name}"' not in page
    assert "Con facturas impagas" not in page and "Balance impago mayor que" not in page


@pytest.mark.django_db
def test_an_administrator_still_sees_the_unpaid_column_and_filters(client, make_user, debtor):
    client.force_login(make_user(ADMIN))
    page = client.get(reverse("clients:list"), {"status": "all"}).content.decode()
    assert ">Impagas<" in page and "4.321,98" in page.replace("\xa0", " ")
    for name in MONEY_FILTERS:
        assert f'name="{name}"' in page
    hit = client.get(reverse("clients:list"), {"status": "all", "unpaid": "on"})
    assert [c.name for c in hit.context["result"].rows] == ["Debe Mucho"]


@pytest.mark.django_db
@pytest.mark.parametrize(
    "crafted", [{"unpaid": "on"}, {"unpaid_above": "1000"}, {"wallet": "on"}, {"overdue": "on"}]
)
def test_a_crafted_money_filter_is_not_applied_for_a_technician(client, make_user, debtor, crafted):
    client.force_login(make_user(TECHNICIAN))
    response = client.get(reverse("clients:list"), {"status": "all", **crafted})
    names = sorted(c.name for c in response.context["result"].rows)
    assert names == ["Al Día", "Debe Mucho"]
    assert response.context["form"].advanced_used is False


@pytest.mark.django_db
def test_the_api_gives_a_technician_no_unpaid_figures(client, make_user, debtor):
    body = client.get(
        "/api/v1/clients", {"status": "all", "unpaid": "true"}, **headers(make_user(TECHNICIAN))
    )
    assert body.status_code == 200
    items = body.json()["items"]
    assert sorted(r["name"] for r in items) == ["Al Día", "Debe Mucho"]  # filter ignored
    assert all(r["unpaid_count"] is None and r["unpaid_total"] is None for r in items)
    assert b"4321.98" not in body.content


@pytest.mark.django_db
def test_the_api_gives_an_administrator_the_unpaid_figures(client, make_user, debtor):
    body = client.get(
        "/api/v1/clients", {"status": "all", "unpaid": "true"}, **headers(make_user(ADMIN))
    ).json()
    assert [(r["name"], r["unpaid_count"], r["unpaid_total"]) for r in body["items"]] == [
        ("Debe Mucho", 3, "4321.98")
    ]


@pytest.mark.django_db
def test_the_openapi_schema_says_unpaid_figures_may_be_null(admin_client):
    spec = admin_client.get("/api/v1/openapi.json").json()
    row = spec["components"]["schemas"]["ClientRow"]["properties"]
    for name in ("unpaid_count", "unpaid_total"):
        assert "clients.view_money" in row[name]["description"]
        assert {"type": "null"} in row[name]["anyOf"]


def _exporting(make_user, role):
    user = make_user(role)
    user.user_permissions.add(
        Permission.objects.get(codename="export_client", content_type__app_label="clients")
    )
    return user


def _file(job) -> bytes:
    job = Job.objects.get(pk=job.pk)
    assert job.status == Job.Status.DONE, job.error
    with job.result_file.open("rb") as fh:
        return fh.read()


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_a_technicians_export_has_no_unpaid_columns(make_user, smtp_server, fmt):
    debtor = make("Debe Mucho")
    ClientBalance.objects.create(client=debtor, unpaid_count=3, unpaid_total=Decimal("4321.98"))
    tech = _exporting(make_user, TECHNICIAN)
    data = _file(start_export(actor=tech, filters={"status": "all", "unpaid": "on"}, fmt=fmt))
    if fmt == "xlsx":
        rows = list(load_workbook(io.BytesIO(data), read_only=True).active.values)
        header, row = list(rows[0]), list(rows[1])
    else:
        text = data.decode("utf-8-sig")
        assert "impagas" not in text and "4321" not in text
        header = [cell.strip('"') for cell in text.splitlines()[0].split(";")]
        row = None
    assert header == [c for c in COLUMNS if c not in UNPAID_COLUMNS]
    assert len(header) == 19
    if row is not None:
        assert row[0] == debtor.pk and 3 not in row and 4321.98 not in row


@pytest.mark.django_db(transaction=True)
def test_an_administrators_export_keeps_the_unpaid_columns(make_user, smtp_server):
    debtor = make("Debe Mucho")
    ClientBalance.objects.create(client=debtor, unpaid_count=3, unpaid_total=Decimal("4321.98"))
    data = _file(start_export(actor=make_user(ADMIN), filters={}, fmt="xlsx"))
    rows = list(load_workbook(io.BytesIO(data), read_only=True).active.values)
    assert list(rows[0]) == list(COLUMNS)
    assert rows[1][16:18] == (3, 4321.98)
