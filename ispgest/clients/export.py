"""Exportar listado de clientes: CSV and XLSX with the seed's 21 columns, in constant memory.

Rows are read by keyset on the id in chunks of CHUNK (a server-side walk that holds one chunk
at a time) and written straight to a file. On PostgreSQL the CSV is produced by
`COPY (SELECT ...) TO STDOUT`, which formats and neutralises in SQL and streams to the file;
it gives byte-for-byte the same file as the Python writer (tested). The XLSX is written as
SpreadsheetML streamed into the zip from the same text rows (openpyxl's write-only mode costs
about 1 ms per row, too slow for a million clients); openpyxl reads it back in the tests.

The CSV is written as a spreadsheet in the ISP's locale reads it: where the country writes
a decimal comma, cells are separated by ";" and amounts carry the comma ("150,50"), else ","
and a point; the other separator can be chosen ("csv_comma", "csv_semicolon"). Dates are
written as the country writes them, tax ids with the country's punctuation
("20-12345678-6"). CSV text cells that a spreadsheet would read as a formula (starting with
= + - @, a tab or a carriage return) are prefixed with a single quote. XLSX cells are typed:
ids, counts and amounts are numbers, the rest inline strings, which a spreadsheet never runs,
so they are written as they are.

The two unpaid columns are money (core.visibility): the export of a user who does not see
money leaves them out (`money=False`), so its file has 19 columns.
"""

from __future__ import annotations

import csv
import io
import re
import tempfile
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import BinaryIO
from xml.sax.saxutils import escape as xml_escape

from django.conf import settings
from django.core.exceptions import EmptyResultSet
from django.db import connection
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext

from ispgest.clients.models import Client, GatewayAccount
from ispgest.core.country import format_tax_id, get_profile

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
# "Número de facturas impagas" and "Balance de facturas impagas" (core.visibility).
MONEY_COLUMNS = (16, 17)
DANGEROUS = ("=", "+", "-", "@", "\t", "\r")
CSV_BOM = "\ufeff"
FORMATS = {
    "csv": ("text/csv", "csv"),
    "csv_semicolon": ("text/csv", "csv"),
    "csv_comma": ("text/csv", "csv"),
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "xlsx"),
}
# Tax-id kinds the country writes with punctuation, and the SQL that writes them so
# (the same text as core.country.format_tax_id, checked by the byte-for-byte test).
_TAX_ID_SQL = {
    "CUIT": (
        "CASE WHEN c.tax_id ~ '^[0-9]{11}$' THEN substr(c.tax_id, 1, 2) || '-' || "
        "substr(c.tax_id, 3, 8) || '-' || substr(c.tax_id, 11, 1) ELSE c.tax_id END"
    ),
    "NIT": (
        "CASE WHEN c.tax_id ~ '^[1-9][0-9]{1,15}$' THEN replace(to_char(left(c.tax_id, -1)::numeric, "
        "'FM999,999,999,999,999'), ',', '.') || '-' || right(c.tax_id, 1) ELSE c.tax_id END"
    ),
}


@dataclass(frozen=True)
class Style:
    """How cells are written: the separator, the decimal mark, dates and formula guard."""

    delimiter: str = ","
    decimal: str = "."
    neutralise: bool = True
    date_format: str = "%d/%m/%Y"

    @property
    def datetime_format(self) -> str:
        return f"{self.date_format} %H:%M:%S"


def style_for(fmt: str) -> Style:
    """The writing style of an export format in the ISP's country."""
    profile = get_profile()
    if fmt == "xlsx":
        return Style(neutralise=False, date_format=profile.date_format)
    if fmt == "csv_semicolon" or (fmt == "csv" and profile.decimal_separator == ","):
        return Style(delimiter=";", decimal=",", date_format=profile.date_format)
    return Style(delimiter=",", decimal=".", date_format=profile.date_format)


def format_choices() -> list[tuple[str, str]]:
    """The export formats offered, the ISP's locale's CSV first."""
    local = style_for("csv").delimiter
    other, other_sep = ("csv_comma", ",") if local == ";" else ("csv_semicolon", ";")
    label = gettext("CSV (separado por «%(separator)s»)")
    return [
        ("csv", label % {"separator": local}),
        (other, label % {"separator": other_sep}),
        ("xlsx", gettext("XLSX (Excel)")),
    ]


def columns(*, money: bool = True) -> tuple[str, ...]:
    """The header: every column, or all but the unpaid ones for a user who sees no money."""
    return tuple(_without_money(list(COLUMNS), money))


def _without_money(cells: list, money: bool) -> list:
    if money:
        return cells
    return [cell for i, cell in enumerate(cells) if i not in MONEY_COLUMNS]


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
    paths = [p for p in _PATHS if p is not None] + ["tax_id_kind"]
    base = qs.order_by("pk")
    last = 0
    while True:
        chunk = list(base.filter(pk__gt=last).values_list(*paths)[:CHUNK])
        if not chunk:
            return
        gateways = _gateways([r[0] for r in chunk])
        for row in chunk:
            values = list(row[:-1])
            if values[15]:
                values[15] = format_tax_id(values[15], row[-1])
            values.insert(18, gateways.get(row[0], ""))
            yield tuple(values)
        last = chunk[-1][0]
        if len(chunk) < CHUNK:
            return


def _text_row(values: tuple, style: Style) -> list[str]:
    out = []
    for i, value in enumerate(values):
        if value is None:
            text = ""
        elif i == 12:
            text = "Sí" if value else "No"
        elif i in (19, 20):
            text = timezone.localtime(value).strftime(style.datetime_format)
        elif i == 17:
            text = f"{Decimal(value):.2f}".replace(".", style.decimal)
        else:
            text = str(value)
        if i in _TEXT and style.neutralise:
            text = neutralise(text)
        if i == 16 and not text:
            text = "0"
        if i == 17 and not text:
            text = f"0{style.decimal}00"
        out.append(text)
    return out


def _csv_writer(stream: io.TextIOBase, style: Style):
    return csv.writer(stream, delimiter=style.delimiter, quoting=csv.QUOTE_ALL, lineterminator="\n")


def write_csv(
    qs: QuerySet[Client],
    out: BinaryIO,
    *,
    use_copy: bool | None = None,
    fmt: str = "csv",
    money: bool = True,
) -> int:
    """Write the CSV (UTF-8 with BOM, every cell quoted) to `out`; returns the row count.
    Without `money` the unpaid columns are left out."""
    style = style_for(fmt)
    if use_copy is None:
        use_copy = connection.vendor == "postgresql"
    text = io.TextIOWrapper(out, encoding="utf-8", newline="", write_through=True)
    text.write(CSV_BOM)
    _csv_writer(text, style).writerow(columns(money=money))
    text.flush()
    if use_copy:
        rows = _copy_csv(qs, out, style, money=money)
    else:
        writer = _csv_writer(text, style)
        rows = 0
        for values in iter_rows(qs):
            writer.writerow(_without_money(_text_row(values, style), money))
            rows += 1
        text.flush()
    text.detach()
    return rows


def _sql_text(expr: str, style: Style = Style()) -> str:
    """SQL: the text of `expr` ('' for NULL), neutralised like neutralise() when the style says."""
    if not style.neutralise:
        return f"coalesce({expr}, '')"
    return (
        f"CASE WHEN left(coalesce({expr}, ''), 1) IN ('=', '+', '-', '@', E'\\t', E'\\r') "
        f"THEN '''' || ({expr}) ELSE coalesce({expr}, '') END"
    )


_TO_CHAR = {"%d": "DD", "%m": "MM", "%Y": "YYYY", "%H": "HH24", "%M": "MI", "%S": "SS"}


def _to_char_pattern(strftime: str) -> str:
    for code, pattern in _TO_CHAR.items():
        strftime = strftime.replace(code, pattern)
    return strftime


def _copy_csv(qs: QuerySet[Client], out: BinaryIO, style: Style, *, money: bool = True) -> int:
    try:
        inner_sql, inner_params = qs.order_by().values("pk").query.sql_with_params()
    except EmptyResultSet:  # e.g. .none(): nothing to copy
        return 0
    tz = settings.TIME_ZONE
    stamp = "to_char(({col}) AT TIME ZONE %s, '" + _to_char_pattern(style.datetime_format) + "')"
    tax_id = (
        "CASE c.tax_id_kind "
        + " ".join(f"WHEN '{kind}' THEN {expr}" for kind, expr in _TAX_ID_SQL.items())
        + " ELSE c.tax_id END"
    )
    text = lambda expr: _sql_text(expr, style)  # noqa: E731
    select = ", ".join(
        _without_money(
            [
                "c.id::text",
                text("c.name"),
                text("c.notes"),
                text("c.email"),
                text("c.phone"),
                text("c.mobile"),
                text("c.address"),
                text("nb.name"),
                text("z.name"),
                text("c.document_number"),
                text("ci.name"),
                text("r.name"),
                "CASE WHEN c.billing_enabled THEN 'Sí' ELSE 'No' END",
                text("it.name"),
                text("tc.name"),
                text(f"({tax_id})"),
                "coalesce(b.unpaid_count, 0)::text",
                "replace(to_char(coalesce(b.unpaid_total, 0), 'FM999999999999990.00'), '.', "
                f"'{style.decimal}')",
                text("gw.info"),
                stamp.format(col="c.created_at"),
                stamp.format(col="c.updated_at"),
            ],
            money,
        )
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
        ) TO STDOUT WITH (FORMAT csv, FORCE_QUOTE *, DELIMITER '{style.delimiter}')
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


def _text_rows(qs: QuerySet[Client], style: Style, money: bool = True) -> Iterator[list[str]]:
    """Every row as the CSV's text cells (formatted and neutralised), without the header.

    On PostgreSQL the rows come from the same COPY as the CSV, spooled to a temporary file
    and parsed back (C code on both sides), which is several times faster than building them
    in Python; elsewhere from iter_rows().
    """
    if connection.vendor != "postgresql":
        for values in iter_rows(qs):
            yield _without_money(_text_row(values, style), money)
        return
    with tempfile.TemporaryFile() as spool:
        _copy_csv(qs, spool, style, money=money)
        spool.seek(0)
        text = io.TextIOWrapper(spool, encoding="utf-8", newline="")
        yield from csv.reader(text, delimiter=style.delimiter)


_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_NUMERIC = {0, 16, 17}  # with the money columns; without them only the id
_XLSX_STATIC = {
    "[Content_Types].xml": (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
        '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
        "</Types>"
    ),
    "_rels/.rels": (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/>'
        "</Relationships>"
    ),
    "xl/workbook.xml": (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
        'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
        '<sheets><sheet name="Clientes" sheetId="1" r:id="rId1"/></sheets></workbook>'
    ),
    "xl/_rels/workbook.xml.rels": (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/>'
        "</Relationships>"
    ),
}


def _xml_cell(text: str) -> str:
    text = _XML_ILLEGAL.sub("", text)
    return f'<c t="inlineStr"><is><t xml:space="preserve">{xml_escape(text)}</t></is></c>'


def _xml_row(cells: list[str], numeric: set[int] | frozenset[int] = frozenset()) -> str:
    out = []
    for i, text in enumerate(cells):
        if i in numeric and text:
            out.append(f"<c><v>{text}</v></c>")
        else:
            out.append(_xml_cell(text))
    return "<row>" + "".join(out) + "</row>"


def write_xlsx(qs: QuerySet[Client], out: BinaryIO, *, money: bool = True) -> int:
    """Write the XLSX: one sheet streamed into the zip row by row (constant memory).

    Ids, counts and amounts are numbers, the rest inline strings, so a cell is never a
    formula and needs no quote in front. Without `money` the unpaid columns are left out.
    """
    style = style_for("xlsx")
    numeric = _NUMERIC if money else {0}
    rows = 0
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as zf:
        for name, content in _XLSX_STATIC.items():
            zf.writestr(name, content)
        with zf.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as raw:
            sheet = io.BufferedWriter(raw, buffer_size=1 << 20)
            sheet.write(
                b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
                b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
                b"<sheetData>"
            )
            sheet.write(_xml_row(list(columns(money=money))).encode())
            batch = []
            for cells in _text_rows(qs, style, money):
                batch.append(_xml_row(cells, numeric))
                rows += 1
                if len(batch) >= 1000:
                    sheet.write("".join(batch).encode())
                    batch = []
            sheet.write("".join(batch).encode())
            sheet.write(b"</sheetData></worksheet>")
            sheet.flush()
            sheet.detach()
    return rows


def write_export(qs: QuerySet[Client], fmt: str, out: BinaryIO, *, money: bool = True) -> int:
    if fmt == "xlsx":
        return write_xlsx(qs, out, money=money)
    return write_csv(qs, out, fmt=fmt, money=money)
