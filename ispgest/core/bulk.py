"""Bulk inserts for the writers that insert thousands of rows at once (the billing run, the
fiscal records, the client history of a run)."""

from __future__ import annotations

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

    PostgreSQL: ids reserved with nextval, rows streamed with COPY (no per-row ORM cost).
    Elsewhere: bulk_create.
    """
    if not rows:
        return []
    if connection.vendor == "postgresql":
        table = model._meta.db_table
        new_ids = None
        with connection.cursor() as cur:
            if ids:
                cur.execute(
                    "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
                    [table, len(rows)],
                )
                new_ids = [r[0] for r in cur.fetchall()]
                columns = ("id", *columns)
                rows = [(i, *r) for i, r in zip(new_ids, rows, strict=True)]
            sql = f"COPY {table} ({', '.join(columns)}) FROM STDIN"
            with cur.cursor.copy(sql) as copy:
                for row in rows:
                    copy.write_row(row)
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
