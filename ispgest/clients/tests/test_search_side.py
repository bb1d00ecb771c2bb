"""The ClientSearch side table: kept in step by triggers, read by the quick search."""

import pytest
from django.db import connection

from ispgest.catalog.models import Collector, Seller
from ispgest.clients import search
from ispgest.clients.mass_update import clients_mass_update
from ispgest.clients.models import Client, ClientSearch
from ispgest.clients.search import ClientFilterForm, search_clients


def make(name, **extra) -> Client:
    client = Client(name=name, **extra)
    client.refresh_search_fields()
    client.save()
    return client


def side_of(client: Client) -> tuple:
    row = ClientSearch.objects.get(pk=client.pk)
    return (row.status, row.sort_name, row.search_text)


def row_of(client: Client) -> tuple:
    client.refresh_from_db()
    return (client.status, client.sort_name, client.search_text)


def side_version(client: Client):
    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT xmin::text FROM clients_clientsearch WHERE client_id = %s", [client.pk]
        )
        return cursor.fetchone()[0]


@pytest.mark.django_db
def test_the_side_row_follows_inserts_renames_and_status_changes(admin_user):
    client = make("Rocío Núñez", phone="011 2045-6789")
    assert side_of(client) == row_of(client)
    client.name = "Rocío Ortega"
    client.refresh_search_fields()
    client.save()
    assert side_of(client) == row_of(client) and "rocio ortega" in side_of(client)[2]
    clients_mass_update(
        actor=admin_user, targets=[client.pk], changes={"status": Client.Status.INACTIVE}
    )
    assert side_of(client) == row_of(client) and side_of(client)[0] == "inactive"
    Client.objects.filter(pk=client.pk).update(status=Client.Status.ACTIVE)
    assert side_of(client)[0] == "active"


@pytest.mark.django_db
def test_a_mass_update_of_other_columns_leaves_the_side_row_alone(admin_user):
    old, new = Collector.objects.create(name="Viejo"), Collector.objects.create(name="Nuevo")
    client = make("Ana", collector=old)
    before = side_version(client)
    clients_mass_update(actor=admin_user, targets=[client.pk], changes={"collector": new})
    assert Client.objects.get(pk=client.pk).collector_id == new.pk
    assert side_version(client) == before
    assert side_of(client) == row_of(client)


def pages(user, params, **extra):
    form = ClientFilterForm(params)
    assert form.is_valid(), form.errors
    seen, after = [], ""
    while True:
        page = search_clients(user, form.cleaned_data, after=after, **extra)
        seen.extend(c.name for c in page.rows)
        if not page.next_cursor:
            return seen
        after = page.next_cursor


@pytest.mark.django_db
@pytest.mark.parametrize("sort", ["name", "-name", "id", "-id", "created", "-created"])
def test_common_words_page_through_every_match_in_order(admin_user, make_user, monkeypatch, sort):
    """More matches than COUNT_CAP: the ordered walk (side table alone without filters, the
    join with a seller scope) gives every match once, in the chosen order."""
    monkeypatch.setattr(search, "COUNT_CAP", 5)
    monkeypatch.setattr(search, "WALK_BUDGET", 400)
    seller = Seller.objects.create(name="Vera")
    made = [make(f"Cliente {i:03d}", seller=seller if i % 2 else None) for i in range(40)]
    make("Otro Nombre")
    make("Cliente baja", status=Client.Status.INACTIVE)
    keys = {
        "name": lambda c: (c.sort_name, c.pk),
        "id": lambda c: c.pk,
        "created": lambda c: (c.created_at, c.pk),
    }[sort.lstrip("-")]
    expected = [c.name for c in sorted(made, key=keys, reverse=sort.startswith("-"))]
    assert pages(admin_user, {"q": "cliente", "sort": sort}, page_size=7) == expected
    from ispgest.accounts.roles import SELLER

    user = make_user(SELLER, seller=seller)
    mine = [n for n in expected if int(n.split()[1]) % 2]
    assert pages(user, {"q": "cliente", "sort": sort}, page_size=7) == mine
    assert pages(admin_user, {"q": "baja", "status": "inactive", "sort": sort}) == ["Cliente baja"]


@pytest.mark.django_db
def test_triggers_survive_a_migration_that_rebuilds_the_table():
    """SQLite drops a table's triggers when a migration rebuilds it; post_migrate restores them
    and fills the side rows written meanwhile (PostgreSQL keeps them across ALTER TABLE)."""
    from django.apps import apps

    from ispgest.clients.apps import _ensure_guards
    from ispgest.clients.searchsync import SQLITE_REVERSE

    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            for sql in SQLITE_REVERSE:
                cursor.execute(sql)  # what a table rebuild does to them
        orphan = make("Sin Copia")
        assert not ClientSearch.objects.filter(pk=orphan.pk).exists()
    else:
        orphan = make("Sin Copia")
    _ensure_guards(apps.get_app_config("clients"), using="default")
    assert side_of(orphan) == row_of(orphan)
    later = make("Después")
    assert side_of(later) == row_of(later)


@pytest.mark.django_db(transaction=True)
def test_the_search_text_migration_rewrites_old_rows_and_their_side_rows():
    from importlib import import_module

    from django.apps import apps as live_apps
    from django.db import connection

    client = Client(name="Íñigo Muñoz", document_number="12.345.678")
    client.refresh_search_fields()
    client.save()
    old = "in~igo mun~oz 12.345.678"
    Client.objects.filter(pk=client.pk).update(search_text=old)
    migration = import_module("ispgest.clients.migrations.0104_search_text_n_and_compact_ids")
    with connection.schema_editor() as editor:
        migration.recompute(live_apps, editor)
    client.refresh_from_db()
    assert "inigo munoz" in client.search_text and "12345678" in client.search_text
    side = ClientSearch.objects.get(client_id=client.pk)
    assert side.search_text == client.search_text
