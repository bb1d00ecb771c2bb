"""Filling the search side table after a bulk load (searchsync.sync_missing) stays linear
whatever the side table's statistics say: the load that analyzed it empty, then wrote tens of
thousands of clients with triggers off, is exactly the case where an anti-join plan turned
quadratic (a Nested Loop rescanning the growing side table once per client)."""

import pytest
from django.db import connection, transaction

from ispgest.clients import searchsync
from ispgest.clients.bulkload import BulkLoad
from ispgest.clients.models import Client, ClientSearch
from ispgest.core.bulk import columns, reserve_ids, write_rows

SIZE = 20_000


def _load_without_triggers(count: int) -> None:
    """`count` clients written with the triggers off, as a bulk load writes them."""
    cols = columns(Client, with_id=True)
    defaults = {}
    for f in Client._meta.concrete_fields:
        defaults[f.column] = f.get_default() if f.has_default() else ("" if not f.null else None)
    start = reserve_ids(Client, count)
    from django.utils import timezone

    now = timezone.now()
    rows = []
    for i in range(count):
        row = dict(defaults)
        name = f"Cliente {i:05d}"
        row.update(
            id=start + i,
            name=name,
            sort_name=name.lower(),
            search_text=name.lower(),
            created_at=now,
            updated_at=now,
        )
        rows.append(tuple(row[c] for c in cols))
    if connection.vendor != "postgresql":
        # SQLite has no switch for triggers: write, then take the side rows away.
        write_rows(Client, cols, rows)
        with connection.cursor() as cursor:
            cursor.execute(f"DELETE FROM {searchsync.TABLE} WHERE client_id >= %s", [start])
        return
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL session_replication_role = replica")
    write_rows(Client, cols, rows)
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL session_replication_role = DEFAULT")


def _nodes(plan: dict):
    yield plan
    for sub in plan.get("Plans", []):
        yield from _nodes(sub)


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="planner statistics: PostgreSQL")
def test_the_side_table_fills_in_one_linear_pass_after_it_was_analyzed_empty():
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(f"ANALYZE {searchsync.TABLE}")  # statistics: empty
        _load_without_triggers(SIZE)
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE clients_client")
            cursor.execute(f"SELECT count(*) FROM {searchsync.TABLE}")
            assert cursor.fetchone()[0] == 0
            cursor.execute("EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) " + searchsync.SYNC_MISSING_SQL)
            plan = cursor.fetchone()[0][0]["Plan"]
        nodes = list(_nodes(plan))
        # No plan node reads the side table once per client (the quadratic Nested Loop).
        rescans = [
            n
            for n in nodes
            if n.get("Relation Name") == searchsync.TABLE and n.get("Actual Loops", 1) > 1
        ]
        assert rescans == [], [n["Node Type"] for n in nodes]
        # Linear work: a few buffers per client (heap page, primary-key probe, insert). The
        # quadratic plan touches about SIZE² / (2 · rows per page) ≈ 3 million buffers here.
        buffers = sum(plan.get(k, 0) for k in ("Shared Hit Blocks", "Shared Read Blocks")) + sum(
            n.get("Shared Hit Blocks", 0) + n.get("Shared Read Blocks", 0) for n in nodes[1:]
        )
        assert buffers < 40 * SIZE, buffers
        assert ClientSearch.objects.count() == SIZE
        transaction.set_rollback(True)


@pytest.mark.django_db
def test_sync_missing_adds_only_the_missing_rows_and_keeps_the_others(admin_user):
    kept = Client(name="Rocío Núñez")
    kept.refresh_search_fields()
    kept.save()
    with transaction.atomic():
        _load_without_triggers(50)
    assert ClientSearch.objects.count() == 1
    with connection.cursor() as cursor:
        searchsync.sync_missing(cursor)
        searchsync.sync_missing(cursor)  # a rerun adds nothing
    assert ClientSearch.objects.count() == 51
    row = ClientSearch.objects.get(pk=kept.pk)
    assert (row.sort_name, row.search_text) == (kept.sort_name, kept.search_text)


@pytest.mark.django_db
def test_a_small_load_keeps_triggers_and_indexes():
    load = BulkLoad(10)
    assert load.enabled is False
