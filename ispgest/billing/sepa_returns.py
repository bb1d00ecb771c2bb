"""Import of the bank's SEPA return and status files: pain.002.001.03 status reports and
camt.054.001.02 / .001.08 debit notifications.

Each file is checked whole before anything is written: size and content (an XML document
without a DTD), its official ISO 20022 XSD (`billing/schemas/`), its reading, and that
neither its content (SHA-256) nor its message id was imported before. Every rejected or
returned transaction is then matched to the debit it returns by end-to-end id (the
`ISPG<invoice id>` the pain.008 export writes), amount and, when the file names one of
our batches, that batch. Transactions that match no remitted debit are listed, never
guessed. Applying a file runs, in one transaction, the hand-recorded return
(`sepa.sepa_return_record`) for every matched debit and stores a `SepaReturnFile`; the
unmatched transactions stay listed on it and are settled by hand.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from functools import cache
from pathlib import Path

from django.db import IntegrityError, transaction
from lxml import etree

from ispgest.billing.models import SepaBatch, SepaBatchItem, SepaReturnFile
from ispgest.core.audit import audit
from ispgest.core.exceptions import DomainError

SCHEMA_DIR = Path(__file__).resolve().parent / "schemas"
MAX_FILE_SIZE = 2 * 1024 * 1024
NS_PREFIX = "urn:iso:std:iso:20022:tech:xsd:"
KINDS = {kind.value for kind in SepaReturnFile.Kind}
END_TO_END = re.compile(r"^ISPG(\d+)$")

# ISO 20022 external status/return reason codes seen in SEPA direct-debit R-transactions.
REASONS = {
    "AC01": "identificador de cuenta incorrecto",
    "AC04": "cuenta cerrada",
    "AC06": "cuenta bloqueada",
    "AC13": "cuenta del deudor de consumidor",
    "AG01": "operación no permitida en esta cuenta",
    "AG02": "código de operación no válido",
    "AM04": "fondos insuficientes",
    "AM05": "adeudo duplicado",
    "BE05": "identificador del acreedor incorrecto",
    "CNOR": "entidad del acreedor no alcanzable",
    "DNOR": "entidad del deudor no alcanzable",
    "DUPL": "adeudo duplicado",
    "ED05": "liquidación fallida",
    "FF01": "formato de fichero no válido",
    "FOCR": "devuelto tras solicitud de cancelación",
    "MD01": "sin mandato",
    "MD02": "faltan datos del mandato o son incorrectos",
    "MD06": "devolución solicitada por el deudor",
    "MD07": "deudor fallecido",
    "MS02": "motivo no especificado, a iniciativa del deudor",
    "MS03": "motivo no especificado, a iniciativa de la entidad",
    "RC01": "BIC incorrecto",
    "RR01": "falta la identificación del deudor (motivo regulatorio)",
    "RR02": "falta el nombre o la dirección del deudor (motivo regulatorio)",
    "RR03": "falta el nombre o la dirección del acreedor (motivo regulatorio)",
    "RR04": "motivo regulatorio",
    "SL01": "servicio específico de la entidad del deudor",
    "TM01": "recibido fuera de plazo",
}


def reason_text(code: str) -> str:
    """«AM04 fondos insuficientes»; an unknown code stands alone."""
    code = (code or "").strip()
    if not code:
        return "sin código de motivo"
    meaning = REASONS.get(code.upper())
    return f"{code} {meaning}" if meaning else code


@dataclass
class ReturnedTx:
    """One rejected or returned transaction as the file states it."""

    end_to_end_id: str
    amount: Decimal | None
    reason_code: str
    original_message_id: str = ""
    returned_on: date | None = None
    whole_batch: bool = False  # a pain.002 rejecting the original message without details

    @property
    def reason(self) -> str:
        return reason_text(self.reason_code)


@dataclass
class ParsedFile:
    kind: str
    message_id: str
    transactions: list[ReturnedTx] = field(default_factory=list)


@dataclass
class ReturnRow:
    tx: ReturnedTx
    item: SepaBatchItem | None = None
    problem: str = ""

    @property
    def amount(self) -> Decimal | None:
        return self.item.amount if self.item is not None else self.tx.amount

    def as_unmatched(self) -> dict:
        return {
            "end_to_end_id": self.tx.end_to_end_id,
            "amount": str(self.tx.amount) if self.tx.amount is not None else None,
            "reason": self.tx.reason,
            "original_message_id": self.tx.original_message_id,
            "problem": self.problem,
        }


@dataclass
class ReturnFileCheck:
    """What applying a file would do; computed without writing anything."""

    sha256: str
    parsed: ParsedFile
    rows: list[ReturnRow]

    @property
    def matched(self) -> list[ReturnRow]:
        return [r for r in self.rows if r.item is not None]

    @property
    def unmatched(self) -> list[ReturnRow]:
        return [r for r in self.rows if r.item is None]

    @property
    def matched_total(self) -> Decimal:
        return sum((r.item.amount for r in self.matched), Decimal("0.00"))

    @property
    def unmatched_total(self) -> Decimal:
        return sum((r.tx.amount or Decimal("0.00") for r in self.unmatched), Decimal("0.00"))


def _error(message: str) -> DomainError:
    return DomainError(f"Fichero: {message}", field="file", code="sepa_return_file")


@cache
def _schema(kind: str) -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(SCHEMA_DIR / f"{kind}.xsd")))


def _read_xml(content: bytes) -> etree._Element:
    if not content:
        raise _error("está vacío.")
    if len(content) > MAX_FILE_SIZE:
        raise _error(f"supera el tamaño máximo de {MAX_FILE_SIZE // (1024 * 1024)} MB.")
    if not content.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"<"):
        raise _error("no es un documento XML.")
    parser = etree.XMLParser(
        resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False
    )
    try:
        root = etree.fromstring(content, parser)
    except etree.XMLSyntaxError as exc:
        raise _error(f"no es un XML bien formado ({exc}).")
    if root.getroottree().docinfo.doctype:
        raise _error("no se admiten documentos con DTD.")
    return root


def _kind(root: etree._Element) -> str:
    namespace = etree.QName(root).namespace or ""
    kind = namespace.removeprefix(NS_PREFIX)
    if not namespace.startswith(NS_PREFIX) or kind not in KINDS:
        raise _error(
            "no es un fichero de devoluciones admitido (pain.002.001.03, camt.054.001.02 o "
            f"camt.054.001.08); su espacio de nombres es «{namespace or 'ninguno'}»."
        )
    return kind


def _validate(root: etree._Element, kind: str) -> None:
    schema = _schema(kind)
    if not schema.validate(root):
        err = schema.error_log.last_error
        raise _error(f"no valida contra el esquema XSD {kind} (línea {err.line}): {err.message}")


def _text(el, path: str, ns: dict) -> str:
    if el is None:
        return ""
    return (el.findtext(path, namespaces=ns) or "").strip()


def _amount(el, paths: list[str], ns: dict) -> Decimal | None:
    for path in paths:
        value = _text(el, path, ns)
        if value:
            try:
                return Decimal(value)
            except InvalidOperation:
                raise _error(f"importe «{value}» no válido.")
    return None


def _date(value: str) -> date | None:
    if not value:
        return None
    try:
        return (
            datetime.fromisoformat(value[:19]).date()
            if "T" in value
            else date.fromisoformat(value[:10])
        )
    except ValueError:
        return None


def _reason(el, ns: dict) -> str:
    for path in (
        "d:StsRsnInf/d:Rsn/d:Cd",
        "d:StsRsnInf/d:Rsn/d:Prtry",
        "d:Rsn/d:Cd",
        "d:Rsn/d:Prtry",
    ):
        code = _text(el, path, ns)
        if code:
            return code
    return ""


def _parse_pain002(root, ns: dict) -> ParsedFile:
    report = root.find("d:CstmrPmtStsRpt", ns)
    parsed = ParsedFile("pain.002.001.03", _text(report, "d:GrpHdr/d:MsgId", ns))
    created = _date(_text(report, "d:GrpHdr/d:CreDtTm", ns))
    group = report.find("d:OrgnlGrpInfAndSts", ns)
    original = _text(group, "d:OrgnlMsgId", ns)
    group_status = _text(group, "d:GrpSts", ns)
    group_reason = _reason(group, ns)
    blocks = report.findall("d:OrgnlPmtInfAndSts", ns)
    for block in blocks:
        block_status = _text(block, "d:PmtInfSts", ns) or group_status
        block_reason = _reason(block, ns) or group_reason
        txs = block.findall("d:TxInfAndSts", ns)
        if not txs and block_status == "RJCT":
            # A rejected block without its debits: nothing says which ones it held.
            parsed.transactions.append(
                ReturnedTx(
                    end_to_end_id=f"[{_text(block, 'd:OrgnlPmtInfId', ns)}]",
                    amount=None,
                    reason_code=block_reason,
                    original_message_id=original,
                    returned_on=created,
                )
            )
        for tx in txs:
            if (_text(tx, "d:TxSts", ns) or block_status) != "RJCT":
                continue
            parsed.transactions.append(
                ReturnedTx(
                    end_to_end_id=_text(tx, "d:OrgnlEndToEndId", ns),
                    amount=_amount(tx, ["d:OrgnlTxRef/d:Amt/d:InstdAmt"], ns),
                    reason_code=_reason(tx, ns) or block_reason,
                    original_message_id=original,
                    returned_on=created,
                )
            )
    if not blocks and group_status == "RJCT":
        parsed.transactions.append(
            ReturnedTx(
                end_to_end_id="",
                amount=None,
                reason_code=group_reason,
                original_message_id=original,
                returned_on=created,
                whole_batch=True,
            )
        )
    return parsed


def _parse_camt054(root, ns: dict, kind: str) -> ParsedFile:
    notification = root.find("d:BkToCstmrDbtCdtNtfctn", ns)
    parsed = ParsedFile(kind, _text(notification, "d:GrpHdr/d:MsgId", ns))
    for entry in notification.iterfind("d:Ntfctn/d:Ntry", ns):
        reversal = _text(entry, "d:RvslInd", ns) in ("true", "1")
        booked = _date(
            _text(entry, "d:BookgDt/d:Dt", ns)
            or _text(entry, "d:BookgDt/d:DtTm", ns)
            or _text(entry, "d:ValDt/d:Dt", ns)
        )
        details = entry.findall("d:NtryDtls/d:TxDtls", ns)
        if reversal and not details:
            # A reversed entry without its transactions: listed, never matched.
            ref = _text(entry, "d:NtryRef", ns) or _text(entry, "d:AcctSvcrRef", ns)
            parsed.transactions.append(
                ReturnedTx(
                    end_to_end_id=f"[{ref}]",
                    amount=_amount(entry, ["d:Amt"], ns),
                    reason_code="",
                    returned_on=booked,
                )
            )
        for tx in details:
            rtr = tx.find("d:RtrInf", ns)
            if rtr is None and not reversal:
                continue
            amount = _amount(
                tx,
                ["d:AmtDtls/d:InstdAmt/d:Amt", "d:AmtDtls/d:TxAmt/d:Amt", "d:Amt"],
                ns,
            )
            if amount is None and len(details) == 1:
                amount = _amount(entry, ["d:Amt"], ns)
            parsed.transactions.append(
                ReturnedTx(
                    end_to_end_id=_text(tx, "d:Refs/d:EndToEndId", ns),
                    amount=amount,
                    reason_code=_reason(rtr, ns) if rtr is not None else "",
                    original_message_id=_text(tx, "d:Refs/d:MsgId", ns),
                    returned_on=booked,
                )
            )
    return parsed


def parse_return_file(content: bytes) -> ParsedFile:
    """Check, validate against its XSD and read a pain.002 or camt.054 file."""
    root = _read_xml(content)
    kind = _kind(root)
    _validate(root, kind)
    ns = {"d": NS_PREFIX + kind}
    if kind.startswith("pain.002"):
        parsed = _parse_pain002(root, ns)
    else:
        parsed = _parse_camt054(root, ns, kind)
    if not parsed.message_id:
        raise _error("no tiene identificador de mensaje (MsgId).")
    return parsed


def _match(parsed: ParsedFile) -> list[ReturnRow]:
    """Pair every transaction with the remitted debit it returns, or say why none."""
    original_ids = {t.original_message_id for t in parsed.transactions if t.original_message_id}
    batches = {b.message_id: b.pk for b in SepaBatch.objects.filter(message_id__in=original_ids)}
    invoice_ids = set()
    for tx in parsed.transactions:
        found = END_TO_END.match(tx.end_to_end_id)
        if found:
            invoice_ids.add(int(found.group(1)))
    candidates: dict[int, list[SepaBatchItem]] = {}
    for item in (
        SepaBatchItem.objects.filter(invoice_id__in=invoice_ids)
        .select_related("invoice", "batch")
        .order_by("-id")
    ):
        candidates.setdefault(item.invoice_id, []).append(item)

    rows: list[ReturnRow] = []
    taken: set[int] = set()
    for tx in parsed.transactions:
        batch_id = batches.get(tx.original_message_id)
        if tx.whole_batch:
            if batch_id is None:
                rows.append(ReturnRow(tx, problem="Remesa original desconocida."))
                continue
            items = (
                SepaBatchItem.objects.filter(
                    batch_id=batch_id, status=SepaBatchItem.Status.SUBMITTED
                )
                .select_related("invoice", "batch")
                .order_by("id")
            )
            for item in items:
                if item.pk not in taken:
                    taken.add(item.pk)
                    row_tx = ReturnedTx(
                        end_to_end_id=f"ISPG{item.invoice_id}",
                        amount=item.amount,
                        reason_code=tx.reason_code,
                        original_message_id=tx.original_message_id,
                        returned_on=tx.returned_on,
                    )
                    rows.append(ReturnRow(row_tx, item=item))
            continue
        found = END_TO_END.match(tx.end_to_end_id)
        if not found:
            rows.append(ReturnRow(tx, problem="Referencia extremo a extremo desconocida."))
            continue
        items = candidates.get(int(found.group(1)), [])
        if batch_id is not None:
            items = [i for i in items if i.batch_id == batch_id]
        submitted = [i for i in items if i.status == SepaBatchItem.Status.SUBMITTED]
        if not submitted:
            problem = (
                "El adeudo ya está registrado como devuelto."
                if items
                else "Ningún adeudo remesado tiene esta referencia."
            )
            rows.append(ReturnRow(tx, problem=problem))
            continue
        item = submitted[0]
        if tx.amount is not None and tx.amount != item.amount:
            rows.append(
                ReturnRow(
                    tx,
                    problem=f"El importe {tx.amount} no coincide con el del adeudo ({item.amount}).",
                )
            )
            continue
        if item.pk in taken:
            rows.append(ReturnRow(tx, problem="Transacción repetida en el fichero."))
            continue
        taken.add(item.pk)
        rows.append(ReturnRow(tx, item=item))
    return rows


def sepa_return_file_check(*, content: bytes) -> ReturnFileCheck:
    """Everything an import checks, without writing: file, XSD, duplicates, matching."""
    sha256 = hashlib.sha256(content or b"").hexdigest()
    parsed = parse_return_file(content)
    previous = SepaReturnFile.objects.filter(sha256=sha256).first()
    if previous is not None:
        raise _error(
            f"ya se importó el {previous.created_at:%d/%m/%Y %H:%M} (mensaje {previous.message_id})."
        )
    if SepaReturnFile.objects.filter(message_id=parsed.message_id).exists():
        raise _error(
            f"ya se importó un fichero con el identificador de mensaje «{parsed.message_id}»."
        )
    return ReturnFileCheck(sha256=sha256, parsed=parsed, rows=_match(parsed))


@transaction.atomic
def sepa_return_file_import(*, actor, content: bytes, file_name: str = "") -> SepaReturnFile:
    """Apply a return file whole: every matched debit returned, the file recorded; any
    failure rolls all of it back."""
    from ispgest.billing.sepa import sepa_return_record

    check = sepa_return_file_check(content=content)
    try:
        # Inserted first: a concurrent import of the same file waits on the unique index
        # and then fails here instead of returning the same debits twice.
        with transaction.atomic():
            record = SepaReturnFile.objects.create(
                sha256=check.sha256,
                message_id=check.parsed.message_id[:35],
                kind=check.parsed.kind,
                file_name=(file_name or "")[:255],
                matched_count=len(check.matched),
                unmatched_count=len(check.unmatched),
                matched_total=check.matched_total,
                unmatched=[r.as_unmatched() for r in check.unmatched],
                created_by=actor if getattr(actor, "pk", None) else None,
            )
    except IntegrityError:
        raise _error("ya se importó (mismo contenido o identificador de mensaje).")
    for row in sorted(check.matched, key=lambda r: r.item.pk):
        sepa_return_record(
            actor=actor,
            item=row.item,
            reason=f"{row.tx.reason} ({check.parsed.kind} {check.parsed.message_id})",
            returned_on=row.tx.returned_on,
        )
    record.items.set([r.item.pk for r in check.matched])
    audit(
        actor=actor,
        action="sepa.return_file_imported",
        obj=record,
        summary=(
            f"{record.kind} {record.message_id}: {record.matched_count} devoluciones "
            f"({record.matched_total}), {record.unmatched_count} sin casar"
        ),
    )
    return record
