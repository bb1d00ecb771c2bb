"""Invoice records ("registros de facturación") of VERI*FACTU: what each one holds and how it
joins its issuer's chain.

`issue_records` runs inside the transaction that numbers the documents (billing's
documents_issued signal): it locks the chain heads of the issuers involved (after the number
sequences the numbering locked, one lock order for everyone), then builds every record in
Python and writes them in one COPY. `append_records` is the one place a record gets its
position, its link to the previous record, its generation timestamp and its huella, so
altas, anulaciones and subsanaciones chain the same way.
"""

from __future__ import annotations

import json
from collections import defaultdict
from datetime import datetime
from decimal import Decimal
from functools import lru_cache
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from stdnum.es import nif as es_nif
from stdnum.exceptions import ValidationError as StdnumError

from ispgest.billing.models import DocumentKind, Invoice, InvoiceLine
from ispgest.catalog.models import InvoiceType
from ispgest.core.bulk import bulk_write, in_ids
from ispgest.core.country import PROFILES
from ispgest.fiscal.models import Chain, Issuer, Record, RecordKind, SoftwareRelease
from ispgest.fiscal.verifactu import huella as H

MADRID = ZoneInfo("Europe/Madrid")
SIMPLIFIED_LIMIT = Decimal("400.00")  # art. 4.1 RD 1619/2012, VAT included
MAX_BREAKDOWN = 12  # DesgloseType: DetalleDesglose maxOccurs
MAX_AMOUNT = Decimal("999999999999.99")  # ImporteSgn12.2Type


# ---------------------------------------------------------------------------------------------
# Mapping billing's documents to the record's codes


def is_simplified(type_code: str, type_name: str = "") -> bool:
    """An invoice type is a simplified invoice (F2) when its code or name says so."""
    text = f"{type_code} {type_name}".lower()
    return "simplificada" in text or text.strip() in {"f2", "ticket"}


@lru_cache(maxsize=1)
def _kind_countries() -> dict[str, str]:
    countries: dict[str, str] = {}
    for code, profile in PROFILES.items():
        for kind in profile.tax_id_kinds:
            countries.setdefault(kind.code, code if len(code) == 2 else "")
    return countries


def recipient_of(tax_id: str, kind: str) -> dict:
    """The Destinatario block's identification: {"nif"} for Spanish NIF/NIE/CIF,
    {"country", "id_type", "id"} (IDOtro, "04": official document of the country of
    residence) for a foreign tax id, {} without one."""
    tax_id = (tax_id or "").strip()
    if not tax_id:
        return {}
    if kind in ("", "NIF"):
        return {"nif": es_nif.compact(tax_id)}
    return {"country": _kind_countries().get(kind, ""), "id_type": "04", "id": tax_id[:20]}


def nif_problem(tax_id: str, kind: str) -> str | None:
    """Spanish reason why a recipient's NIF cannot go into a record, or None."""
    if kind not in ("", "NIF") or not (tax_id or "").strip():
        return None
    try:
        es_nif.validate(tax_id)
    except StdnumError as exc:
        detail = (
            "el dígito de control no coincide"
            if "checksum" in type(exc).__name__.lower()
            else "el formato no es válido"
        )
        return f"El NIF del cliente «{tax_id}» no es válido ({detail})"
    return None


def operation_block(rate: Decimal, *, exempt: bool) -> dict:
    """CalificacionOperacion/OperacionExenta of one tax group."""
    if rate > 0:
        return {"calificacion": "S1"}
    if exempt:
        return {"exenta": "E1"}
    return {"calificacion": "N1"}


def tax_code(name: str) -> str:
    """Impuesto: 01 IVA, 02 IPSI (Ceuta y Melilla), 03 IGIC (Canarias)."""
    upper = (name or "").upper()
    if "IGIC" in upper:
        return "03"
    if "IPSI" in upper:
        return "02"
    return "01"


def breakdown_of(lines: list[tuple], *, exempt: bool, sign: int) -> list[dict]:
    """Desglose from (tax_name, rate, net, tax) line tuples, one detail per tax and rate."""
    groups: dict[tuple, list] = {}
    for name, rate, net, tax in lines:
        key = (tax_code(name), Decimal(rate))
        g = groups.setdefault(key, [Decimal("0"), Decimal("0")])
        g[0] += net
        g[1] += tax
    out = []
    for (impuesto, rate), (base, cuota) in sorted(groups.items()):
        detail = {
            "impuesto": impuesto,
            "clave_regimen": "01",
            **operation_block(rate, exempt=exempt),
        }
        detail["base"] = H.amount(sign * base)
        if "calificacion" in detail and detail["calificacion"] == "S1":
            detail["tipo"] = f"{rate:.2f}"
            detail["cuota"] = H.amount(sign * cuota)
        out.append(detail)
    return out


# ---------------------------------------------------------------------------------------------
# Checks before issue


def software_problem() -> str | None:
    nif = settings.ISPGEST_VERIFACTU_PRODUCER_NIF
    if not nif:
        return (
            "VERI*FACTU: falta el NIF del productor del sistema informático de facturación "
            "(ISPGEST_VERIFACTU_PRODUCER_NIF); no se emiten facturas hasta configurarlo."
        )
    try:
        es_nif.validate(nif)
    except StdnumError:
        return f"VERI*FACTU: el NIF del productor del sistema informático «{nif}» no es válido."
    return None


def check_drafts(items: list[tuple[int, object]], entities: dict) -> dict[int, str]:
    refused: dict[int, str] = {}
    problem = software_problem()
    if problem:
        return {index: problem for index, _ in items}
    type_ids = {d.invoice_type_id for _, d in items if d.invoice_type_id}
    types = {t.pk: t for t in InvoiceType.objects.filter(pk__in=type_ids)}
    today = timezone.localtime(timezone.now(), MADRID).date()
    credited = [d.credited_invoice_id for _, d in items if d.credited_invoice_id]
    cancelled = set(
        Record.objects.filter(invoice_id__in=credited, kind=RecordKind.ANULACION).values_list(
            "invoice_id", flat=True
        )
        if credited
        else ()
    )
    for index, d in items:
        t = types.get(d.invoice_type_id)
        simplified = t is not None and is_simplified(t.code, t.name)
        label = f"Cliente «{d.client_name}»"
        reason = None
        if d.issue_date > today:
            reason = (
                f"{label}: VERI*FACTU no admite facturas con fecha de expedición posterior a hoy "
                f"({d.issue_date:%d/%m/%Y})."
            )
        elif nif_problem(d.client_tax_id, d.client_tax_id_kind):
            reason = (
                f"{label}: {nif_problem(d.client_tax_id, d.client_tax_id_kind)}. Corríjalo en la "
                "ficha del cliente antes de facturar."
            )
        elif not simplified and not (d.client_tax_id or "").strip():
            reason = (
                f"{label}: una factura completa necesita el NIF (u otro número de "
                "identificación) del destinatario; añádalo en la ficha del cliente o use "
                "factura simplificada."
            )
        elif simplified and d.kind == DocumentKind.INVOICE and d.total > SIMPLIFIED_LIMIT:
            reason = (
                f"{label}: una factura simplificada no puede superar {SIMPLIFIED_LIMIT} € "
                "(art. 4 RD 1619/2012); use factura completa."
            )
        elif len({(tax_code(ln.tax.name), ln.tax.rate) for ln in d.lines}) > MAX_BREAKDOWN:
            reason = f"{label}: una factura admite como mucho {MAX_BREAKDOWN} tipos de impuesto."
        elif d.total > MAX_AMOUNT:
            reason = f"{label}: el importe supera el máximo de un registro de facturación."
        elif d.credited_invoice_id in cancelled:
            reason = "La factura fue anulada en VERI*FACTU: no admite notas de crédito."
        if reason:
            refused[index] = reason
    return refused


# ---------------------------------------------------------------------------------------------
# The chain


_RELEASE_FIELDS = (
    "producer_name",
    "producer_nif",
    "system_name",
    "system_id",
    "version",
    "installation",
    "only_verifactu",
    "multi_ot",
    "multiple_ot",
)
_release_ids: dict[tuple, int] = {}


def software_release_id() -> int:
    """The SistemaInformatico the next records carry (from settings; one row per release)."""
    multiple = "S" if Issuer.objects.count() > 1 else "N"
    values = (
        settings.ISPGEST_VERIFACTU_PRODUCER_NAME[:120],
        settings.ISPGEST_VERIFACTU_PRODUCER_NIF[:9],
        settings.ISPGEST_VERIFACTU_SYSTEM_NAME[:30],
        settings.ISPGEST_VERIFACTU_SYSTEM_ID[:2],
        settings.ISPGEST_VERIFACTU_VERSION[:50],
        settings.ISPGEST_VERIFACTU_INSTALLATION[:100],
        "S",
        "S",
        multiple,
    )
    cached = _release_ids.get(values)
    if cached is not None and SoftwareRelease.objects.filter(pk=cached).exists():
        return cached
    data = dict(zip(_RELEASE_FIELDS, values, strict=True))
    row = SoftwareRelease.objects.filter(**data).first()
    if row is None:
        try:
            with transaction.atomic():
                row = SoftwareRelease.objects.create(**data)
        except IntegrityError:
            row = SoftwareRelease.objects.get(**data)
    _release_ids[values] = row.pk
    return row.pk


def issuer_for(nif: str, name: str) -> Issuer:
    """The issuer row of a NIF, created (with its chain head) the first time it issues."""
    issuer = Issuer.objects.filter(nif=nif).first()
    if issuer is not None:
        return issuer
    try:
        with transaction.atomic():
            issuer = Issuer.objects.create(nif=nif, name=name[:120])
            Chain.objects.create(issuer=issuer)
            return issuer
    except IntegrityError:  # another worker created it first
        return Issuer.objects.get(nif=nif)


def lock_chains(issuer_ids) -> dict[int, Chain]:
    """Lock the chain heads (in id order, after the number sequences)."""
    return {
        c.issuer_id: c
        for c in Chain.objects.select_for_update()
        .filter(issuer_id__in=sorted(set(issuer_ids)))
        .order_by("issuer_id")
    }


def _timestamp(chain: Chain) -> tuple[datetime, str]:
    """Now in Spain's time, never before the chain's last record (seconds, with offset)."""
    now = timezone.now().replace(microsecond=0)
    if chain.last_generated_at is not None and now < chain.last_generated_at:
        now = chain.last_generated_at
    local = timezone.localtime(now, MADRID)
    return now, local.isoformat(timespec="seconds")


RECORD_COLUMNS = (
    "issuer_id",
    "position",
    "kind",
    "billing_entity_id",
    "invoice_id",
    "environment",
    "issuer_nif",
    "issuer_name",
    "num_serie",
    "issue_date",
    "invoice_type",
    "rectification_type",
    "rectified",
    "rectified_amounts",
    "description",
    "recipient_name",
    "recipient_nif",
    "recipient_country",
    "recipient_id_type",
    "recipient_id",
    "breakdown",
    "tax_total",
    "total",
    "previous_num_serie",
    "previous_issue_date",
    "previous_huella",
    "software_id",
    "generated_at",
    "generated_at_text",
    "huella",
    "subsanacion",
    "rechazo_previo",
    "sin_registro_previo",
    "corrects_id",
    "reason",
    "created_by_id",
    "status",
    "error_code",
    "error_text",
    "submission_id",
    "sent_at",
)
_DEFAULTS = {
    "invoice_type": "",
    "rectification_type": "",
    "rectified": [],
    "rectified_amounts": None,
    "description": "",
    "recipient_name": "",
    "recipient_nif": "",
    "recipient_country": "",
    "recipient_id_type": "",
    "recipient_id": "",
    "breakdown": [],
    "tax_total": None,
    "total": None,
    "subsanacion": False,
    "rechazo_previo": "",
    "sin_registro_previo": False,
    "corrects_id": None,
    "reason": "",
    "status": Record.Status.PENDING,
    "error_code": None,
    "error_text": "",
    "submission_id": None,
    "sent_at": None,
}
_JSON_COLUMNS = ("rectified", "rectified_amounts", "breakdown")


def append_records(chain: Chain, issuer: Issuer, specs: list[dict], *, actor) -> list[int]:
    """Give each spec (record fields without chain data) its place at the end of the
    issuer's chain, its huella, and write them all. The chain head must be locked."""
    if not specs:
        return []
    software_id = software_release_id()
    generated, text = _timestamp(chain)
    actor_id = actor.pk if getattr(actor, "pk", None) else None
    rows = []
    position = chain.length
    prev = (chain.last_num_serie, chain.last_issue_date, chain.last_huella)
    postgres = connection.vendor == "postgresql"
    for spec in specs:
        position += 1
        data = {**_DEFAULTS, **spec}
        if data["kind"] == RecordKind.ANULACION:
            digest = H.anulacion(
                nif=issuer.nif,
                num_serie=data["num_serie"],
                issue_date=data["issue_date"],
                previous_huella=prev[2],
                generated_at=text,
            )
        else:
            digest = H.alta(
                nif=issuer.nif,
                num_serie=data["num_serie"],
                issue_date=data["issue_date"],
                invoice_type=data["invoice_type"],
                tax_total=data["tax_total"],
                total=data["total"],
                previous_huella=prev[2],
                generated_at=text,
            )
        data.update(
            issuer_id=issuer.pk,
            position=position,
            environment=issuer.environment,
            issuer_nif=issuer.nif,
            previous_num_serie=prev[0],
            previous_issue_date=prev[1],
            previous_huella=prev[2],
            software_id=software_id,
            generated_at=generated,
            generated_at_text=text,
            huella=digest,
            created_by_id=actor_id,
        )
        if postgres:
            for column in _JSON_COLUMNS:
                data[column] = None if data[column] is None else json.dumps(data[column])
        rows.append(tuple(data[c] for c in RECORD_COLUMNS))
        prev = (data["num_serie"], data["issue_date"], digest)
    ids = bulk_write(Record, RECORD_COLUMNS, rows, ids=True)
    chain.length = position
    chain.last_num_serie, chain.last_issue_date, chain.last_huella = prev
    chain.last_generated_at = generated
    chain.save(
        update_fields=[
            "length",
            "last_num_serie",
            "last_issue_date",
            "last_huella",
            "last_generated_at",
        ]
    )
    return ids


# ---------------------------------------------------------------------------------------------
# Altas for issued documents


def _description(lines: list[str], notes: str, fallback: str) -> str:
    text = "; ".join(dict.fromkeys(x for x in lines if x)) or notes or fallback
    return text.strip()[:500] or fallback


def alta_spec(
    doc: dict,
    *,
    entity,
    type_row,
    lines: list[tuple],
    descriptions: list[str],
    credited: dict | None,
    issuer: Issuer,
) -> dict:
    """The record fields of one issued invoice or credit note (without chain data)."""
    simplified = type_row is not None and is_simplified(type_row.code, type_row.name)
    exempt = bool(doc["client_tax_exempt"])
    credit = doc["kind"] == DocumentKind.CREDIT_NOTE
    sign = -1 if credit else 1
    if credit:
        invoice_type = "R5" if simplified else issuer.credit_note_type
    else:
        invoice_type = "F2" if simplified else "F1"
    spec = {
        "kind": RecordKind.ALTA,
        "billing_entity_id": entity.pk,
        "invoice_id": doc["id"],
        "issuer_name": entity.name[:120],
        "num_serie": doc["number_display"],
        "issue_date": doc["issue_date"],
        "invoice_type": invoice_type,
        "breakdown": breakdown_of(lines, exempt=exempt, sign=sign),
        "tax_total": sign * doc["tax_total"],
        "total": sign * doc["total"],
    }
    if credit:
        spec["rectification_type"] = "I"
        if credited is not None:
            spec["rectified"] = [
                [issuer.nif, credited["number_display"], H.fecha(credited["issue_date"])]
            ]
        base = f"Rectificación de {credited['number_display']}" if credited else "Rectificación"
        spec["description"] = _description([], doc["notes"], base)
    else:
        fallback = "Servicios de telecomunicaciones"
        spec["description"] = _description(descriptions, doc["notes"], fallback)
    if invoice_type not in ("F2", "R5"):
        spec["recipient_name"] = (doc["client_name"] or "")[:120]
        who = recipient_of(doc["client_tax_id"], doc["client_tax_id_kind"])
        spec["recipient_nif"] = who.get("nif", "")
        spec["recipient_country"] = who.get("country", "")
        spec["recipient_id_type"] = who.get("id_type", "")
        spec["recipient_id"] = who.get("id", "")
    return spec


def build_specs(documents: list[dict], *, recipient: dict | None = None):
    """(issuers by id, [(issuer id, spec)]) for documents (dicts of Invoice columns).

    `recipient` ({"name", "tax_id", "tax_id_kind"}) replaces the documents' snapshot of
    the recipient (a subsanación that corrects it).
    """
    from ispgest.catalog.models import BillingEntity

    entity_ids = sorted({d["billing_entity_id"] for d in documents})
    entities = {e.pk: e for e in BillingEntity.objects.filter(pk__in=entity_ids)}
    issuers = {eid: issuer_for(e.tax_id, e.name) for eid, e in entities.items() if e.tax_id}
    for eid, issuer in issuers.items():  # the submissions' header follows the entity's name
        name = entities[eid].name[:120]
        if issuer.name != name:
            Issuer.objects.filter(pk=issuer.pk).update(name=name)
            issuer.name = name
    type_ids = {d["invoice_type_id"] for d in documents if d["invoice_type_id"]}
    types = {t.pk: t for t in InvoiceType.objects.filter(pk__in=type_ids)}
    ids = [d["id"] for d in documents]
    lines: dict[int, list[tuple]] = defaultdict(list)
    descriptions: dict[int, list[str]] = defaultdict(list)
    for inv_id, name, rate, net, tax, text in (
        InvoiceLine.objects.filter(in_ids("invoice_id", ids))
        .order_by("invoice_id", "position", "id")
        .values_list(
            "invoice_id", "tax_name", "tax_rate", "net_amount", "tax_amount", "description"
        )
    ):
        lines[inv_id].append((name, rate, net, tax))
        descriptions[inv_id].append(text)
    credited_ids = {d["credited_invoice_id"] for d in documents if d["credited_invoice_id"]}
    credited = {
        c["id"]: c
        for c in Invoice.objects.filter(pk__in=credited_ids).values(
            "id", "number_display", "issue_date"
        )
    }
    specs = []
    for doc in documents:
        if recipient is not None:
            doc = {
                **doc,
                "client_name": recipient["name"],
                "client_tax_id": recipient["tax_id"],
                "client_tax_id_kind": recipient["tax_id_kind"],
            }
        issuer = issuers[doc["billing_entity_id"]]
        spec = alta_spec(
            doc,
            entity=entities[doc["billing_entity_id"]],
            type_row=types.get(doc["invoice_type_id"]),
            lines=lines[doc["id"]],
            descriptions=descriptions[doc["id"]],
            credited=credited.get(doc["credited_invoice_id"]),
            issuer=issuer,
        )
        specs.append((issuer.pk, spec))
    return {i.pk: i for i in issuers.values()}, specs


def issue_records(documents: list[dict], *, actor) -> dict[int, list[int]]:
    """Altas for documents just numbered (dicts of Invoice columns, in issue order).

    Returns {issuer id: new record ids}."""
    issuers, specs = build_specs(documents)
    chains = lock_chains(issuers)
    by_issuer: dict[int, list[dict]] = defaultdict(list)
    for issuer_id, spec in specs:
        by_issuer[issuer_id].append(spec)
    return {
        issuer_id: append_records(
            chains[issuer_id], issuers[issuer_id], by_issuer[issuer_id], actor=actor
        )
        for issuer_id in sorted(by_issuer)
    }


def chain_problems(issuer: Issuer, *, limit: int = 20) -> list[str]:
    """Every break of the issuer's chain: a gap in positions, a record whose huella does not
    recompute from its fields, or one that does not point at the record before it (a
    segment starts afresh only where the environment changes). Empty when intact."""
    problems: list[str] = []
    prev = None
    expected = 1
    rows = Record.objects.filter(issuer=issuer).order_by("position").iterator(chunk_size=2000)
    for r in rows:
        if r.position != expected:
            problems.append(f"Falta el registro {expected} (sigue el {r.position}).")
        expected = r.position + 1
        if H.of_record(r) != r.huella:
            problems.append(f"Registro {r.position}: la huella no corresponde a sus datos.")
        links = prev is not None and (
            r.previous_huella == prev.huella
            and r.previous_num_serie == prev.num_serie
            and r.previous_issue_date == prev.issue_date
        )
        starts = not r.previous_huella and (prev is None or prev.environment != r.environment)
        if not (links or starts):
            problems.append(f"Registro {r.position}: no encadena con el registro anterior.")
        elif prev is not None and r.generated_at < prev.generated_at:
            problems.append(f"Registro {r.position}: generado antes que el anterior.")
        prev = r
        if len(problems) >= limit:
            break
    return problems
