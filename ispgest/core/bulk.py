"""Bulk inserts for the writers that insert thousands of rows at once (the billing run, the
fiscal records, the client history of a run)."""

from __future__ import annotations

from django.db import connection


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
