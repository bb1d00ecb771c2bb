"""Search schema on PostgreSQL: trigram search over search_text, binary order on sort_name.

- pg_trgm + a GIN trigram index on search_text (already folded by clients.models.fold(), so
  no unaccent()/lower() expression is needed and the index is on the plain column).
- sort_name gets COLLATE "C": fold() makes Spanish order a byte order ("ñ" -> "n~"), which a
  binary collation keeps identical to SQLite's whatever the database's default locale is.
- A covering btree (sort_name, id) INCLUDE (search_text, status) lets the "common word" search
  path walk the name order with an index-only scan (clients/search.py explains the two paths).

Nothing happens on SQLite (which compares bytes anyway).
"""

from django.db import migrations

PG_FORWARD = [
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    'ALTER TABLE clients_client ALTER COLUMN sort_name TYPE varchar(255) COLLATE "C"',
    "CREATE INDEX IF NOT EXISTS client_search_trgm ON clients_client "
    "USING gin (search_text gin_trgm_ops)",
    "CREATE INDEX IF NOT EXISTS client_sort_cover ON clients_client "
    "(sort_name, id) INCLUDE (status, search_text)",
]
PG_REVERSE = [
    "DROP INDEX IF EXISTS client_sort_cover",
    "DROP INDEX IF EXISTS client_search_trgm",
    'ALTER TABLE clients_client ALTER COLUMN sort_name TYPE varchar(255) COLLATE "default"',
]


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for sql in PG_FORWARD:
            schema_editor.execute(sql, params=None)


def reverse(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for sql in PG_REVERSE:
            schema_editor.execute(sql, params=None)


class Migration(migrations.Migration):
    dependencies = [("clients", "0002_database_guards")]
    operations = [migrations.RunPython(forward, reverse)]
