"""Bulk loading of clients: the one path the demo data, the client import and the
migrations take to write many clients and keep the search side table in step.

The rows themselves are written with the primitives of `ispgest.core.bulk`: ids from
`reserve_ids` (a block of consecutive ids for a load that has the table to itself: demo
data, whose history rows point at the clients without a round trip per row) or
`allocate_ids` (ids from the sequence, safe beside other writers: the import, while staff
add clients), rows from `write_rows` (COPY on PostgreSQL, executemany on SQLite) with
`column_defaults` and `db_timestamp`. Here:

- `with_search_fields(row)`: the client's sort_name and search_text as
  `Client.refresh_search_fields` computes them;
- `BulkLoad(total)`: around a load that at least doubles clients_client on PostgreSQL,
  drops the secondary indexes and switches triggers off, then on exit fills the search side
  table with `searchsync.sync_missing` and rebuilds the indexes, in the caller's
  transaction. Smaller loads keep triggers and indexes (the triggers fill the side table).
"""

from __future__ import annotations

from typing import Any

from django.db import connection

from ispgest.clients import searchsync
from ispgest.clients.models import Client


class SearchFields:
    """Attribute holder `Client.refresh_search_fields` runs on without a model instance."""

    __slots__ = (
        "name",
        "trade_name",
        "email",
        "document_number",
        "tax_id",
        "custom_id",
        "phone",
        "mobile",
        "sort_name",
        "search_text",
    )


def with_search_fields(row: dict[str, Any], holder: SearchFields | None = None) -> None:
    """Set row["sort_name"] and row["search_text"] from the row's columns, exactly as
    `Client.refresh_search_fields` computes them for a saved client."""
    search = holder or SearchFields()
    for name in ("name", "trade_name", "document_number", "tax_id", "phone", "mobile"):
        setattr(search, name, row[name] or "")
    search.email, search.custom_id = row["email"] or "", row["custom_id"] or ""
    Client.refresh_search_fields(search)
    row["sort_name"], row["search_text"] = search.sort_name, search.search_text


class BulkLoad:
    """On PostgreSQL, a large load into mostly empty tables runs far faster with the
    secondary indexes built once at the end than maintained row by row (the trigram GIN and
    the sort indexes above all) and without per-row foreign-key triggers when the role may
    switch them off (the ids written come from existing rows). Everything happens in the
    caller's transaction, so a failure rolls the indexes back too. Unique indexes stay."""

    TABLES = ("clients_client", "clients_clientevent", "clients_contact", searchsync.TABLE)

    def __init__(self, total: int):
        self.enabled = False
        self.indexes: list[tuple[str, str]] = []
        if connection.vendor != "postgresql" or total < 50_000:
            return
        with connection.cursor() as cursor:
            cursor.execute("SELECT COUNT(*) FROM clients_client")
            self.enabled = total >= cursor.fetchone()[0]

    def __enter__(self):
        if not self.enabled:
            return self
        with connection.cursor() as cursor:
            cursor.execute(
                """SELECT i.indexname, i.indexdef FROM pg_indexes i
                   JOIN pg_class c ON c.relname = i.indexname
                   JOIN pg_index x ON x.indexrelid = c.oid
                   WHERE i.tablename = ANY(%s) AND i.schemaname = current_schema()
                     AND NOT x.indisunique AND NOT x.indisprimary""",
                [list(self.TABLES)],
            )
            self.indexes = cursor.fetchall()
            for name, _sql in self.indexes:
                cursor.execute(f'DROP INDEX "{name}"')
            cursor.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
            if cursor.fetchone()[0]:
                cursor.execute("SET LOCAL session_replication_role = replica")
            cursor.execute("SET LOCAL maintenance_work_mem = '256MB'")
            cursor.execute("SET LOCAL synchronous_commit = off")
        return self

    def __exit__(self, exc_type, exc, tb):
        if not self.enabled or exc_type is not None:
            return False
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL session_replication_role = DEFAULT")
            # The search copy's triggers were off with the rest (clients/searchsync.py).
            searchsync.sync_missing(cursor)
            for _name, sql in self.indexes:
                cursor.execute(sql)
            for table in self.TABLES:
                cursor.execute(f"ANALYZE {table}")
        return False
