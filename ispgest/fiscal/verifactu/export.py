"""The records of a period as one XML file, in issue (chain) order, for an inspector or an
auditor's tool: `manage.py fiscal_export` and the "Exportar" page write the same file.

The root element (namespace urn:ispgest:verifactu:exportacion:1) says whose records they are
and for which dates; each child is the record exactly as the agency receives it
(sf:RegistroAlta / sf:RegistroAnulacion, valid against SuministroInformacion.xsd), so its
huella and chain can be checked with the AEAT's own rules. Written incrementally, so a
period of any size streams in constant memory.
"""

from __future__ import annotations

from datetime import date

from django.utils import timezone
from lxml import etree

from ispgest.fiscal.models import Record, SoftwareRelease
from ispgest.fiscal.verifactu import huella as H
from ispgest.fiscal.verifactu import xml as X

NS_EXPORT = "urn:ispgest:verifactu:exportacion:1"


def period_records(entity, date_from: date, date_to: date):
    return (
        Record.objects.filter(
            billing_entity=entity, issue_date__gte=date_from, issue_date__lte=date_to
        )
        .select_related("issuer")
        .order_by("issuer_id", "position")
    )


def write(out, entity, date_from: date, date_to: date) -> int:
    """Write the export to the binary file `out`; returns the number of records."""
    records = period_records(entity, date_from, date_to)
    software = {s.pk: s for s in SoftwareRelease.objects.all()}
    count = 0
    with etree.xmlfile(out, encoding="UTF-8") as xf:
        xf.write_declaration()
        attrs = {
            "NIF": entity.tax_id,
            "NombreRazon": entity.name,
            "Desde": H.fecha(date_from),
            "Hasta": H.fecha(date_to),
            "Generado": timezone.localtime().isoformat(timespec="seconds"),
        }
        with xf.element(
            f"{{{NS_EXPORT}}}Exportacion", attrs, nsmap={None: NS_EXPORT, "sum1": X.NS_SF}
        ):
            for record in records.iterator(chunk_size=2000):
                xf.write(X.record_element(record, software[record.software_id]))
                count += 1
    return count
