"""Triggers that keep clients_clientsearch (ClientSearch) in step with clients_client.

A client row is never deleted (dbguards), so an insert creates the search row and an update
that changes status, sort_name or search_text rewrites it; an update of any other column
(a mass update of the collector, a billing switch) does not fire at all (`UPDATE OF` plus a
WHEN that compares the values). Bulk loads that switch triggers off
(`session_replication_role = replica`, clients/bulkload.py) call `sync_missing` afterwards.

`SYNC_MISSING_SQL` adds the side row of every client that has none. It is an
`INSERT … SELECT … ON CONFLICT DO NOTHING`, not an anti-join (`WHERE NOT EXISTS`): the side
table is the one being filled, so its statistics are stale by construction (empty when the
migration or a bulk load analyzed it), and with "empty" statistics the planner picks a
Nested Loop Anti Join that scans the growing side table once per client row — quadratic;
a fresh 1M-client load never finished. The upsert has no join to plan: one pass over
clients_client and one primary-key probe per row, whatever the statistics say (linear, and
a no-op for clients that already have their row). SQLite needs the `WHERE true` to parse
an upsert after a SELECT.
"""

TABLE = "clients_clientsearch"
TRIGRAM_INDEX = "clientsearch_trgm"
COVER_INDEX = "clientsearch_sort_cover"

SYNC_MISSING_SQL = f"""
INSERT INTO {TABLE} (client_id, status, sort_name, search_text)
SELECT c.id, c.status, c.sort_name, c.search_text FROM clients_client c WHERE true
ON CONFLICT (client_id) DO NOTHING
"""


def sync_missing(cursor) -> None:
    """Add the side row of every client without one (after a load with triggers off)."""
    cursor.execute(SYNC_MISSING_SQL)


PG_FORWARD = [
    f"""
CREATE OR REPLACE FUNCTION clients_search_sync() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO {TABLE} (client_id, status, sort_name, search_text)
    VALUES (NEW.id, NEW.status, NEW.sort_name, NEW.search_text)
    ON CONFLICT (client_id) DO UPDATE SET status = EXCLUDED.status,
        sort_name = EXCLUDED.sort_name, search_text = EXCLUDED.search_text;
    RETURN NULL;
END $$
""",
    "CREATE TRIGGER clients_client_search_ins AFTER INSERT ON clients_client "
    "FOR EACH ROW EXECUTE FUNCTION clients_search_sync()",
    "CREATE TRIGGER clients_client_search_upd "
    "AFTER UPDATE OF status, sort_name, search_text ON clients_client FOR EACH ROW "
    "WHEN (OLD.status IS DISTINCT FROM NEW.status OR OLD.sort_name IS DISTINCT FROM "
    "NEW.sort_name OR OLD.search_text IS DISTINCT FROM NEW.search_text) "
    "EXECUTE FUNCTION clients_search_sync()",
]
PG_REVERSE = [
    "DROP TRIGGER IF EXISTS clients_client_search_upd ON clients_client",
    "DROP TRIGGER IF EXISTS clients_client_search_ins ON clients_client",
    "DROP FUNCTION IF EXISTS clients_search_sync()",
]

_SQLITE_UPSERT = (
    f"INSERT OR REPLACE INTO {TABLE} (client_id, status, sort_name, search_text) "
    "VALUES (NEW.id, NEW.status, NEW.sort_name, NEW.search_text);"
)
SQLITE_FORWARD = [
    "CREATE TRIGGER IF NOT EXISTS clients_client_search_ins AFTER INSERT ON clients_client "
    f"BEGIN {_SQLITE_UPSERT} END",
    "CREATE TRIGGER IF NOT EXISTS clients_client_search_upd "
    "AFTER UPDATE OF status, sort_name, search_text ON clients_client "
    "WHEN OLD.status IS NOT NEW.status OR OLD.sort_name IS NOT NEW.sort_name "
    f"OR OLD.search_text IS NOT NEW.search_text BEGIN {_SQLITE_UPSERT} END",
]
SQLITE_REVERSE = [
    "DROP TRIGGER IF EXISTS clients_client_search_upd",
    "DROP TRIGGER IF EXISTS clients_client_search_ins",
]


def ensure_sqlite_triggers(connection) -> None:
    """Re-create the SQLite triggers (and fill missing rows) after every migrate: SQLite drops
    a table's triggers when a migration rebuilds the table."""
    if connection.vendor != "sqlite":
        return
    with connection.cursor() as cursor:
        for sql in SQLITE_FORWARD:
            cursor.execute(sql)
        sync_missing(cursor)
