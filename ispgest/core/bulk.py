"""Bulk reads and writes for the code that touches thousands of rows at once (the billing
run, the fiscal records, the client history of a run, the client import and demo data,
webhook events in bulk).

- `in_ids(field, ids)`: `field IN ids` as one array parameter on PostgreSQL;
- `bulk_write(model, columns, rows, ids=...)`: insert rows (COPY on PostgreSQL, the ORM's
  bulk_create elsewhere), optionally returning their new ids;
- `update_rows(...)`: one UPDATE … FROM (VALUES …) for many rows;
- `write_rows(model, columns, rows)`: rows already in the database's own types (COPY on
  PostgreSQL, executemany on SQLite), for the loaders that prepare their values
  themselves; `reserve_ids` / `allocate_ids` give them ids, `columns`, `column_defaults`
  and `db_timestamp` what such a row needs.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from django.db import connection
from django.db.models import BooleanField, F, Func, Q


class _EqualsAny(Func):
    """`column = ANY(%s::bigint[])`: one array parameter, which PostgreSQL matches with an
    index scan or a hashed lookup per row. `column IN (SELECT unnest(%s))` is a join
    instead, and when the table's statistics are older than its rows (a table filled in
    the same transaction, as a billing run does), the planner joins it by a nested loop
    over the whole table for every chunk."""

    output_field = BooleanField()

    def __init__(self, field: str, ids: list[int]):
        super().__init__(F(field))
        self.ids = ids

    def as_sql(self, compiler, connection, **extra_context):
        column, params = compiler.compile(self.source_expressions[0])
        return f"{column} = ANY(%s::bigint[])", [*params, self.ids]


def in_ids(field: str, ids) -> Q:
    """`field IN ids` that stays cheap for thousands of ids: one array parameter on
    PostgreSQL instead of one placeholder (and one ORM lookup) per id."""
    ids = list(ids)
    if connection.vendor == "postgresql":
        return Q(_EqualsAny(field, ids))
    return Q(**{f"{field}__in": ids})


def bulk_write(model, columns: tuple[str, ...], rows: list[tuple], *, ids: bool = False):
    """Insert rows given as tuples of column values; returns their ids when asked.

    PostgreSQL: ids from `allocate_ids`, rows streamed with COPY (no per-row ORM cost).
    Elsewhere: bulk_create.
    """
    if not rows:
        return []
    if connection.vendor == "postgresql":
        new_ids = None
        if ids:
            new_ids = allocate_ids(model, len(rows))
            columns = ("id", *columns)
            rows = [(i, *r) for i, r in zip(new_ids, rows, strict=True)]
        write_rows(model, list(columns), rows)
        return new_ids
    objs = [model(**dict(zip(columns, row, strict=True))) for row in rows]
    model.objects.bulk_create(objs, batch_size=500)
    return [o.pk for o in objs]


def update_rows(
    model,
    *,
    match: tuple[str, ...],
    values: tuple[str, ...],
    rows: list[tuple],
    common: dict | None = None,
) -> int:
    """One UPDATE for many rows, each with its own values: every row is a tuple of the
    `match` fields then the `values` fields, and the table row is updated only where all its
    `match` fields still equal the given ones (e.g. id and version: a row changed meanwhile
    is left alone). `common` fields get the same value on every row. Returns the rows
    updated.

    Django's bulk_update builds a CASE per field and row (its cost grows with rows × fields
    in Python); this joins the table to a VALUES list instead (UPDATE … FROM, PostgreSQL and
    SQLite 3.33+), with each value adapted by its field as the ORM would.
    """
    if not rows:
        return 0
    qn = connection.ops.quote_name
    meta = model._meta
    table = qn(meta.db_table)
    fields = [meta.get_field(name) for name in (*match, *values)]
    sets, params = [], []
    for name, value in (common or {}).items():
        field = meta.get_field(name)
        sets.append(f"{qn(field.column)} = %s")
        params.append(field.get_db_prep_save(value, connection))
    sets += [
        f"{qn(field.column)} = v.column{i + 1}" for i, field in enumerate(fields) if i >= len(match)
    ]
    row_sql = "(" + ", ".join(["%s"] * len(fields)) + ")"
    for row in rows:
        params += [f.get_db_prep_save(v, connection) for f, v in zip(fields, row, strict=True)]
    where = " AND ".join(
        f"{table}.{qn(field.column)} = v.column{i + 1}"
        for i, field in enumerate(fields[: len(match)])
    )
    sql = (
        f"UPDATE {table} SET {', '.join(sets)} "
        f"FROM (VALUES {', '.join([row_sql] * len(rows))}) AS v WHERE {where}"
    )
    with connection.cursor() as cur:
        cur.execute(sql, params)
        return cur.rowcount


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
