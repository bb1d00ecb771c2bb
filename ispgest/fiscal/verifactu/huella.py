"""The huella (SHA-256 fingerprint) of a record, as the AEAT's "Detalle de las
especificaciones técnicas para la generación de la huella o hash de los registros" fixes it.

The input is `name=value` pairs joined by `&`, in a fixed order per record kind, each value
trimmed and exactly as the record's XML carries it (dates dd-mm-yyyy, amounts with a point
and two decimals, the generation timestamp with its time-zone offset); the previous record's
huella is empty for the first record of a chain. The output is the SHA-256 of the UTF-8 bytes
in upper-case hexadecimal.
"""

from __future__ import annotations

import hashlib
from datetime import date
from decimal import Decimal

ALTA_FIELDS = (
    "IDEmisorFactura",
    "NumSerieFactura",
    "FechaExpedicionFactura",
    "TipoFactura",
    "CuotaTotal",
    "ImporteTotal",
    "Huella",
    "FechaHoraHusoGenRegistro",
)
ANULACION_FIELDS = (
    "IDEmisorFacturaAnulada",
    "NumSerieFacturaAnulada",
    "FechaExpedicionFacturaAnulada",
    "Huella",
    "FechaHoraHusoGenRegistro",
)


def fecha(value: date) -> str:
    """A date as every VERI*FACTU field carries it: dd-mm-yyyy."""
    return value.strftime("%d-%m-%Y")


def amount(value: Decimal) -> str:
    """An amount as the XML carries it: optional minus, digits, a point and two decimals."""
    return f"{Decimal(value):.2f}"


def fingerprint(fields: tuple[str, ...], values: tuple[str, ...]) -> str:
    text = "&".join(
        f"{name}={(value or '').strip()}" for name, value in zip(fields, values, strict=True)
    )
    return hashlib.sha256(text.encode("utf-8")).hexdigest().upper()


def alta(
    *,
    nif: str,
    num_serie: str,
    issue_date: date,
    invoice_type: str,
    tax_total: Decimal,
    total: Decimal,
    previous_huella: str,
    generated_at: str,
) -> str:
    return fingerprint(
        ALTA_FIELDS,
        (
            nif,
            num_serie,
            fecha(issue_date),
            invoice_type,
            amount(tax_total),
            amount(total),
            previous_huella,
            generated_at,
        ),
    )


def anulacion(
    *, nif: str, num_serie: str, issue_date: date, previous_huella: str, generated_at: str
) -> str:
    return fingerprint(
        ANULACION_FIELDS, (nif, num_serie, fecha(issue_date), previous_huella, generated_at)
    )


def of_record(record) -> str:
    """Recompute a stored record's huella from its own fields."""
    if record.kind == "anulacion":
        return anulacion(
            nif=record.issuer_nif,
            num_serie=record.num_serie,
            issue_date=record.issue_date,
            previous_huella=record.previous_huella,
            generated_at=record.generated_at_text,
        )
    return alta(
        nif=record.issuer_nif,
        num_serie=record.num_serie,
        issue_date=record.issue_date,
        invoice_type=record.invoice_type,
        tax_total=record.tax_total,
        total=record.total,
        previous_huella=record.previous_huella,
        generated_at=record.generated_at_text,
    )
