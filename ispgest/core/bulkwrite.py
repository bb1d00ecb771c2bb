"""Writing many rows of one table fast, on both databases: the primitives of the bulk paths
(the client import and demo data in `clients.bulkload`, webhook events in bulk).

- `reserve_ids(model, n)`: a block of consecutive ids for a load that has the table to
  itself (demo data); `allocate_ids(model, n)`: n ids taken from the sequence, safe beside
  other writers;
- `write_rows(model, columns, rows)`: COPY on PostgreSQL, executemany on SQLite;
- `columns(model)`, `column_defaults(model)` and `db_timestamp(value)`: what a row written
  that way needs (its columns, the model's defaults, timestamps as the backend stores them).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from django.db import connection


def reserve_ids(model, count: int) -> int:
    """First id of a block of `count` consecutive ids, for a load that has the table to
    itself: on PostgreSQL the sequence is moved past the block in two steps, and another
    session taking an id in between would get one inside it (use `allocate_ids` then)."""
    table = model._meta.db_table
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT pg_get_serial_sequence(%s, 'id')", [table])
            seq = cursor.fetchone()[0]
            cursor.execute(f"SELECT COALESCE(MAX(id), 0) FROM {table}")
            current_max = cursor.fetchone()[0]
            cursor.execute("SELECT nextval(%s)", [seq])
            start = max(cursor.fetchone()[0], current_max + 1)
            cursor.execute("SELECT setval(%s, %s)", [seq, start + count])
            return start
        cursor.execute(f"SELECT COALESCE(MAX(id), 0) FROM {table}")
        return cursor.fetchone()[0] + 1


def allocate_ids(model, count: int) -> list[int]:
    """`count` ids nobody else will get, while other sessions insert rows too. On
    PostgreSQL each comes from the table's sequence (not always consecutive); a sequence left
    behind the table's largest id (rows written with explicit ids) is moved past it first. On
    SQLite the caller's transaction holds the database's write lock (transactions are
    IMMEDIATE), so the ids after the largest are free."""
    table = model._meta.db_table
    with connection.cursor() as cursor:
        if connection.vendor != "postgresql":
            if not connection.in_atomic_block:
                raise RuntimeError("allocate_ids on SQLite needs the caller's transaction.")
            cursor.execute(f"SELECT COALESCE(MAX(id), 0) FROM {table}")
            first = cursor.fetchone()[0] + 1
            return list(range(first, first + count))
        cursor.execute("SELECT pg_get_serial_sequence(%s, 'id')", [table])
        seq = cursor.fetchone()[0]
        cursor.execute(f"SELECT COALESCE(MAX(id), 0) FROM {table}")
        current_max = cursor.fetchone()[0]
        cursor.execute(f"SELECT last_value FROM {seq}")
        if cursor.fetchone()[0] < current_max:
            cursor.execute("SELECT setval(%s, %s)", [seq, current_max])
        cursor.execute("SELECT nextval(%s) FROM generate_series(1, %s)", [seq, count])
        return [row[0] for row in cursor.fetchall()]


def columns(model, *, with_id: bool) -> list[str]:
    return [f.column for f in model._meta.concrete_fields if with_id or not f.primary_key]


def column_defaults(model) -> dict[str, Any]:
    """{column: what a new row holds when nothing is given}: the field's default, else ""
    for a NOT NULL column and None for a nullable one."""
    return {
        f.column: f.get_default() if f.has_default() else ("" if not f.null else None)
        for f in model._meta.concrete_fields
    }


def db_timestamp(value: datetime) -> datetime | str:
    """An aware datetime as `write_rows` takes it: itself on PostgreSQL; on SQLite the UTC
    text Django's backend stores, without its per-value cost."""
    if connection.vendor == "postgresql":
        return value
    return value.astimezone(UTC).replace(tzinfo=None).isoformat(" ")


def write_rows(model, columns: list[str], rows: list[tuple]) -> None:
    if not rows:
        return
    table = model._meta.db_table
    cols = ", ".join(columns)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            raw = cursor.connection
            with raw.cursor() as pg, pg.copy(f"COPY {table} ({cols}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        else:
            marks = ", ".join(["%s"] * len(columns))
            cursor.executemany(f"INSERT INTO {table} ({cols}) VALUES ({marks})", rows)
