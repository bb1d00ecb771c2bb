"""Exportar listado de clientes: CSV and XLSX with the seed's 21 columns, in constant memory.

Rows are read by keyset on the id in chunks of CHUNK (a server-side walk that holds one chunk
at a time) and written straight to a file. On PostgreSQL the CSV is produced by
`COPY (SELECT ...) TO STDOUT`, which formats and neutralises in SQL and streams to the file;
it gives byte-for-byte the same file as the Python writer (tested).

Text cells that a spreadsheet would read as a formula (starting with = + - @, a tab or a
carriage return) are prefixed with a single quote in both formats.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from decimal import Decimal
from typing import BinaryIO

from django.conf import settings
from django.db import connection
from django.db.models import QuerySet
from django.utils import timezone

from ispgest.clients.models import Client, GatewayAccount

CHUNK = 5000

COLUMNS = (
    "ID cliente",
    "Nombre",
    "Observaciones",
    "E-mail",
    "Teléfono",
    "Teléfono celular",
    "Dirección",
    "Barrio",
    "Zona",
    "Documento/cédula",
    "Ciudad",
    "Provincia/estado/región",
    "Facturación habilitada",
    "Tipo de factura",
    "Condición impositiva",
    "Número de identificación tributaria",
    "Número de facturas impagas",
    "Balance de facturas impagas",
    "Información de Pasarelas de Pago",
    "Creado el",
    "Última modificación",
)
# values_list() paths, in COLUMNS order; None = computed (gateways).
_PATHS = (
    "id",
    "name",
    "notes",
    "email",
    "phone",
    "mobile",
    "address",
    "neighbourhood__name",
    "zone__name",
    "document_number",
    "city__name",
    "region__name",
    "billing_enabled",
    "invoice_type__name",
    "tax_condition__name",
    "tax_id",
    "balance__unpaid_count",
    "balance__unpaid_total",
    None,
    "created_at",
    "updated_at",
)
_TEXT = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 14, 15, 18}
DANGEROUS = ("=", "+", "-", "@", "\t", "\r")
DATETIME_FORMAT = "%Y-%m-%d %H:%M:%S"
CSV_BOM = "\ufeff"
FORMATS = {
    "csv": ("text/csv", "csv"),
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "xlsx"),
}


def neutralise(value: str) -> str:
    """A text cell a spreadsheet must not run as a formula."""
    if value and value.startswith(DANGEROUS):
        return "'" + value
    return value


def _gateways(ids: list[int]) -> dict[int, str]:
    out: dict[int, list[str]] = {}
    rows = (
        GatewayAccount.objects.filter(client_id__in=ids)
        .order_by("client_id", "gateway__name", "id")
        .values_list("client_id", "gateway__name", "reference")
    )
    for client_id, gateway, reference in rows:
        out.setdefault(client_id, []).append(f"{gateway}: {reference}")
    return {cid: "; ".join(parts) for cid, parts in out.items()}


def iter_rows(qs: QuerySet[Client]) -> Iterator[tuple]:
    """Raw row values in COLUMNS order (None for missing), by id, CHUNK rows per query."""
    paths = [p for p in _PATHS if p is not None]
    base = qs.order_by("pk")
    last = 0
    while True:
        chunk = list(base.filter(pk__gt=last).values_list(*paths)[:CHUNK])
        if not chunk:
            return
        gateways = _gateways([r[0] for r in chunk])
        for row in chunk:
            values = list(row)
            values.insert(18, gateways.get(row[0], ""))
            yield tuple(values)
        last = chunk[-1][0]
        if len(chunk) < CHUNK:
            return


def _text_row(values: tuple) -> list[str]:
    out = []
    for i, value in enumerate(values):
        if value is None:
            text = ""
        elif i == 12:
            text = "Sí" if value else "No"
        elif i in (19, 20):
            text = timezone.localtime(value).strftime(DATETIME_FORMAT)
        elif i == 17:
            text = f"{Decimal(value):.2f}"
        else:
            text = str(value)
        if i in _TEXT:
            text = neutralise(text)
        if i == 16 and not text:
            text = "0"
        if i == 17 and not text:
            text = "0.00"
        out.append(text)
    return out


def _csv_writer(stream: io.TextIOBase):
    return csv.writer(stream, quoting=csv.QUOTE_ALL, lineterminator="\n")


def write_csv(qs: QuerySet[Client], out: BinaryIO, *, use_copy: bool | None = None) -> int:
    """Write the CSV (UTF-8 with BOM, every cell quoted) to `out`; returns the row count."""
    if use_copy is None:
        use_copy = connection.vendor == "postgresql"
    text = io.TextIOWrapper(out, encoding="utf-8", newline="", write_through=True)
    text.write(CSV_BOM)
    _csv_writer(text).writerow(COLUMNS)
    text.flush()
    if use_copy:
        rows = _copy_csv(qs, out)
    else:
        writer = _csv_writer(text)
        rows = 0
        for values in iter_rows(qs):
            writer.writerow(_text_row(values))
            rows += 1
        text.flush()
    text.detach()
    return rows


def _sql_text(expr: str) -> str:
    """SQL: the text of `expr` ('' for NULL), neutralised like neutralise()."""
    return (
        f"CASE WHEN left(coalesce({expr}, ''), 1) IN ('=', '+', '-', '@', E'\\t', E'\\r') "
        f"THEN '''' || ({expr}) ELSE coalesce({expr}, '') END"
    )


def _copy_csv(qs: QuerySet[Client], out: BinaryIO) -> int:
    inner_sql, inner_params = qs.order_by().values("pk").query.sql_with_params()
    tz = settings.TIME_ZONE
    stamp = "to_char(({col}) AT TIME ZONE %s, 'YYYY-MM-DD HH24:MI:SS')"
    select = ", ".join(
        [
            "c.id::text",
            _sql_text("c.name"),
            _sql_text("c.notes"),
            _sql_text("c.email"),
            _sql_text("c.phone"),
            _sql_text("c.mobile"),
            _sql_text("c.address"),
            _sql_text("nb.name"),
            _sql_text("z.name"),
            _sql_text("c.document_number"),
            _sql_text("ci.name"),
            _sql_text("r.name"),
            "CASE WHEN c.billing_enabled THEN 'Sí' ELSE 'No' END",
            _sql_text("it.name"),
            _sql_text("tc.name"),
            _sql_text("c.tax_id"),
            "coalesce(b.unpaid_count, 0)::text",
            "to_char(coalesce(b.unpaid_total, 0), 'FM999999999999990.00')",
            _sql_text("gw.info"),
            stamp.format(col="c.created_at"),
            stamp.format(col="c.updated_at"),
        ]
    )
    sql = f"""
        COPY (
            SELECT {select}
            FROM clients_client c
            LEFT JOIN catalog_neighbourhood nb ON nb.id = c.neighbourhood_id
            LEFT JOIN catalog_zone z ON z.id = c.zone_id
            LEFT JOIN catalog_city ci ON ci.id = c.city_id
            LEFT JOIN catalog_region r ON r.id = c.region_id
            LEFT JOIN catalog_invoicetype it ON it.id = c.invoice_type_id
            LEFT JOIN catalog_taxcondition tc ON tc.id = c.tax_condition_id
            LEFT JOIN billing_clientbalance b ON b.client_id = c.id
            LEFT JOIN (
                SELECT ga.client_id,
                       string_agg(g.name || ': ' || ga.reference, '; '
                                  ORDER BY g.name, ga.id) AS info
                FROM clients_gatewayaccount ga
                JOIN catalog_paymentgateway g ON g.id = ga.gateway_id
                GROUP BY ga.client_id
            ) gw ON gw.client_id = c.id
            WHERE c.id IN ({inner_sql})
            ORDER BY c.id
        ) TO STDOUT WITH (FORMAT csv, FORCE_QUOTE *)
    """
    params = [tz, tz, *inner_params]
    # The %s of the timestamps come before the subquery's in the text.
    connection.ensure_connection()
    with connection.cursor() as cursor:
        raw = cursor.cursor
        with raw.copy(sql, params) as copy:
            for data in copy:
                out.write(data)
        rows = raw.rowcount
    return rows


def write_xlsx(qs: QuerySet[Client], out: BinaryIO) -> int:
    """Write the XLSX (openpyxl write-only: rows stream to disk) to `out`."""
    from openpyxl import Workbook
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("Clientes")
    sheet.append(list(COLUMNS))
    rows = 0
    for values in iter_rows(qs):
        row = list(values)
        for i in _TEXT:
            text = ILLEGAL_CHARACTERS_RE.sub("", str(row[i])) if row[i] is not None else ""
            row[i] = neutralise(text)
        row[12] = "Sí" if row[12] else "No"
        row[16] = row[16] or 0
        row[17] = row[17] if row[17] is not None else Decimal("0.00")
        row[19] = timezone.localtime(row[19]).replace(tzinfo=None)
        row[20] = timezone.localtime(row[20]).replace(tzinfo=None)
        sheet.append(row)
        rows += 1
    workbook.save(out)
    return rows


def write_export(qs: QuerySet[Client], fmt: str, out: BinaryIO) -> int:
    if fmt == "xlsx":
        return write_xlsx(qs, out)
    return write_csv(qs, out)
