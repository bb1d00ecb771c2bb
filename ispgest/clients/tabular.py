"""Reading an uploaded table (CSV or XLSX) row by row, never whole.

- CSV: the delimiter is "," ";" or a tab (sniffed from the first lines), the encoding UTF-8
  (with or without BOM) or Windows-1252 (chosen by decoding the file in chunks: a file that
  is not valid UTF-8 throughout is read as Windows-1252, which maps every byte).
- XLSX: openpyxl in read-only mode streams the first sheet's rows; a formula cell gives its
  formula text, which is imported as text (never evaluated).

Every cell comes out as stripped text. A leading quote that the export puts before text a
spreadsheet would run as a formula ("'=…") is taken off again, so an export re-imports as it
was; the stored value stays plain text.
"""

from __future__ import annotations

import codecs
import csv
import io
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from typing import BinaryIO

from ispgest.core.exceptions import DomainError

DELIMITERS = (",", ";", "\t")
DANGEROUS = ("=", "+", "-", "@", "\t", "\r")
_CHUNK = 1 << 20


@dataclass(frozen=True)
class TableInfo:
    format: str  # "csv" or "xlsx"
    encoding: str  # "utf-8-sig", "utf-8", "cp1252" or "" for XLSX
    delimiter: str  # "" for XLSX


def _cell_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "Sí" if value else "No"
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S") if value.time() else value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def clean_cell(text: str) -> str:
    text = text.strip()
    if len(text) > 1 and text[0] == "'" and text[1] in DANGEROUS:
        return text[1:]
    return text


def _detect_encoding(fh: BinaryIO) -> str:
    fh.seek(0)
    head = fh.read(3)
    bom = head == codecs.BOM_UTF8
    fh.seek(0)
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        while chunk := fh.read(_CHUNK):
            decoder.decode(chunk)
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return "cp1252"
    finally:
        fh.seek(0)
    return "utf-8-sig" if bom else "utf-8"


def _detect_delimiter(sample: str) -> str:
    lines = [line for line in sample.splitlines()[:20] if line.strip()]
    if not lines:
        return ","
    try:
        return csv.Sniffer().sniff("\n".join(lines), delimiters="".join(DELIMITERS)).delimiter
    except csv.Error:
        first = lines[0]
        return max(DELIMITERS, key=first.count)


def inspect(fh: BinaryIO) -> TableInfo:
    """The format, encoding and delimiter of a seekable binary file."""
    fh.seek(0)
    magic = fh.read(4)
    fh.seek(0)
    if magic == b"PK\x03\x04":
        if not zipfile.is_zipfile(fh):
            raise DomainError("El archivo XLSX está dañado.", field="file")
        fh.seek(0)
        return TableInfo("xlsx", "", "")
    if b"\x00" in fh.read(8192):
        fh.seek(0)
        raise DomainError(
            "El archivo no es un CSV ni un XLSX: suba una hoja de Excel (.xlsx) o un CSV.",
            field="file",
        )
    encoding = _detect_encoding(fh)
    sample = fh.read(65536).decode(encoding, errors="ignore")
    fh.seek(0)
    return TableInfo("csv", encoding, _detect_delimiter(sample))


def iter_rows(fh: BinaryIO, info: TableInfo) -> Iterator[list[str]]:
    """Every row (the header first) as a list of cleaned texts."""
    fh.seek(0)
    if info.format == "xlsx":
        yield from _xlsx_rows(fh)
        return
    text = io.TextIOWrapper(fh, encoding=info.encoding, newline="")
    try:
        for row in csv.reader(text, delimiter=info.delimiter):
            yield [clean_cell(cell) for cell in row]
    finally:
        text.detach()


def _xlsx_rows(fh: BinaryIO) -> Iterator[list[str]]:
    from openpyxl import load_workbook

    try:
        book = load_workbook(fh, read_only=True, data_only=False)
    except Exception as exc:
        raise DomainError("El archivo XLSX no se puede leer.", field="file") from exc
    try:
        sheet = book.worksheets[0]
        for row in sheet.iter_rows(values_only=True):
            yield [clean_cell(_cell_text(value)) for value in row]
    finally:
        book.close()
