"""The XML of VERI*FACTU: records, submissions (SuministroLR.xsd), the SOAP envelope, and the
agency's answers (RespuestaSuministro.xsd), checked against the AEAT's schemas kept in
`schemas/` (see PROVENANCE.md).

A record's XML is a pure function of its stored row: the same record always renders to the
same bytes (its submission, the export file and the tests all call `record_element`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from lxml import etree

from ispgest.fiscal.verifactu import huella as H

SCHEMAS = Path(__file__).resolve().parent / "schemas"
BASE = (
    "https://www2.agenciatributaria.gob.es/static_files/common/internet/dep/aplicaciones/"
    "es/aeat/tike/cont/ws/"
)
NS_SOAP = "http://schemas.xmlsoap.org/soap/envelope/"
NS_LR = BASE + "SuministroLR.xsd"
NS_SF = BASE + "SuministroInformacion.xsd"
NS_R = BASE + "RespuestaSuministro.xsd"
NSMAP = {"soapenv": NS_SOAP, "sum": NS_LR, "sum1": NS_SF}
XMLDSIG_URL = "http://www.w3.org/TR/xmldsig-core/xmldsig-core-schema.xsd"
VERSION = "1.0"


class SchemaError(Exception):
    """A document does not match the AEAT's schema; `errors` lists line and message."""

    def __init__(self, errors: list[str]):
        self.errors = errors
        super().__init__("; ".join(errors[:5]))


class _LocalSchemas(etree.Resolver):
    def resolve(self, url, pubid, context):
        if url == XMLDSIG_URL or url.endswith("/xmldsig-core-schema.xsd"):
            return self.resolve_filename(str(SCHEMAS / "xmldsig-core-schema.xsd"), context)
        name = url.rsplit("/", 1)[-1]
        if (SCHEMAS / name).is_file():
            return self.resolve_filename(str(SCHEMAS / name), context)
        return None


def _parser() -> etree.XMLParser:
    parser = etree.XMLParser(no_network=True, resolve_entities=False, load_dtd=False)
    parser.resolvers.add(_LocalSchemas())
    return parser


@lru_cache(maxsize=4)
def schema(name: str) -> etree.XMLSchema:
    """SuministroLR.xsd (submissions), SuministroInformacion.xsd (a single record) or
    RespuestaSuministro.xsd (answers), parsed once per process."""
    parser = etree.XMLParser(no_network=True, load_dtd=True, resolve_entities=True)
    parser.resolvers.add(_LocalSchemas())
    doc = etree.parse(str(SCHEMAS / name), parser)
    return etree.XMLSchema(doc)


def validate(element, name: str = "SuministroLR.xsd") -> None:
    xsd = schema(name)
    if not xsd.validate(element):
        raise SchemaError([f"línea {e.line}: {e.message}" for e in xsd.error_log])


# ---------------------------------------------------------------------------------------------
# Building


def _sf(tag: str) -> str:
    return f"{{{NS_SF}}}{tag}"


def _add(parent, tag: str, text: str | None = None):
    el = etree.SubElement(parent, _sf(tag))
    if text is not None:
        el.text = text
    return el


def _id_factura(parent, nif: str, num_serie: str, fecha: str, *, suffix: str = ""):
    _add(parent, f"IDEmisorFactura{suffix}", nif)
    _add(parent, f"NumSerieFactura{suffix}", num_serie)
    _add(parent, f"FechaExpedicionFactura{suffix}", fecha)


def _chain_block(parent, record) -> None:
    chain = _add(parent, "Encadenamiento")
    if not record.previous_huella:
        _add(chain, "PrimerRegistro", "S")
        return
    prev = _add(chain, "RegistroAnterior")
    _id_factura(
        prev, record.issuer_nif, record.previous_num_serie, H.fecha(record.previous_issue_date)
    )
    _add(prev, "Huella", record.previous_huella)


def _software_block(parent, software) -> None:
    block = _add(parent, "SistemaInformatico")
    _add(block, "NombreRazon", software.producer_name)
    _add(block, "NIF", software.producer_nif)
    _add(block, "NombreSistemaInformatico", software.system_name)
    _add(block, "IdSistemaInformatico", software.system_id)
    _add(block, "Version", software.version)
    _add(block, "NumeroInstalacion", software.installation)
    _add(block, "TipoUsoPosibleSoloVerifactu", software.only_verifactu)
    _add(block, "TipoUsoPosibleMultiOT", software.multi_ot)
    _add(block, "IndicadorMultiplesOT", software.multiple_ot)


def record_element(record, software=None, *, parent=None):
    """sf:RegistroAlta or sf:RegistroAnulacion of a stored record (`software` is its
    SoftwareRelease; pass it to avoid one query per record)."""
    software = software or record.software
    anulacion = record.kind == "anulacion"
    tag = "RegistroAnulacion" if anulacion else "RegistroAlta"
    el = (
        etree.SubElement(parent, _sf(tag))
        if parent is not None
        else etree.Element(_sf(tag), nsmap={"sum1": NS_SF})
    )
    _add(el, "IDVersion", VERSION)
    ident = _add(el, "IDFactura")
    fecha = H.fecha(record.issue_date)
    if anulacion:
        _id_factura(ident, record.issuer_nif, record.num_serie, fecha, suffix="Anulada")
        _add(el, "RefExterna", f"R{record.position}")
        if record.sin_registro_previo:
            _add(el, "SinRegistroPrevio", "S")
        if record.rechazo_previo:
            _add(el, "RechazoPrevio", record.rechazo_previo)
        _chain_block(el, record)
        _software_block(el, software)
        _add(el, "FechaHoraHusoGenRegistro", record.generated_at_text)
        _add(el, "TipoHuella", "01")
        _add(el, "Huella", record.huella)
        return el
    _id_factura(ident, record.issuer_nif, record.num_serie, fecha)
    _add(el, "RefExterna", f"R{record.position}")
    _add(el, "NombreRazonEmisor", record.issuer_name)
    if record.subsanacion:
        _add(el, "Subsanacion", "S")
    if record.rechazo_previo:
        _add(el, "RechazoPrevio", record.rechazo_previo)
    _add(el, "TipoFactura", record.invoice_type)
    if record.rectification_type:
        _add(el, "TipoRectificativa", record.rectification_type)
    if record.rectified:
        block = _add(el, "FacturasRectificadas")
        for nif, num, day in record.rectified:
            _id_factura(_add(block, "IDFacturaRectificada"), nif, num, day)
    if record.rectified_amounts:
        block = _add(el, "ImporteRectificacion")
        _add(block, "BaseRectificada", record.rectified_amounts["base"])
        _add(block, "CuotaRectificada", record.rectified_amounts["cuota"])
    _add(el, "DescripcionOperacion", record.description)
    if record.recipient_name:
        person = _add(_add(el, "Destinatarios"), "IDDestinatario")
        _add(person, "NombreRazon", record.recipient_name)
        if record.recipient_nif:
            _add(person, "NIF", record.recipient_nif)
        else:
            other = _add(person, "IDOtro")
            if record.recipient_country:
                _add(other, "CodigoPais", record.recipient_country)
            _add(other, "IDType", record.recipient_id_type)
            _add(other, "ID", record.recipient_id)
    desglose = _add(el, "Desglose")
    for detail in record.breakdown:
        d = _add(desglose, "DetalleDesglose")
        _add(d, "Impuesto", detail["impuesto"])
        _add(d, "ClaveRegimen", detail["clave_regimen"])
        if "exenta" in detail:
            _add(d, "OperacionExenta", detail["exenta"])
        else:
            _add(d, "CalificacionOperacion", detail["calificacion"])
        if "tipo" in detail:
            _add(d, "TipoImpositivo", detail["tipo"])
        _add(d, "BaseImponibleOimporteNoSujeto", detail["base"])
        if "cuota" in detail:
            _add(d, "CuotaRepercutida", detail["cuota"])
    _add(el, "CuotaTotal", H.amount(record.tax_total))
    _add(el, "ImporteTotal", H.amount(record.total))
    _chain_block(el, record)
    _software_block(el, software)
    _add(el, "FechaHoraHusoGenRegistro", record.generated_at_text)
    _add(el, "TipoHuella", "01")
    _add(el, "Huella", record.huella)
    return el


def submission_element(*, nif: str, name: str, records, software: dict, incident: bool = False):
    """sum:RegFactuSistemaFacturacion holding up to 1,000 records (`software`: id -> row)."""
    if len(records) > 1000:
        raise ValueError("A submission holds at most 1,000 records")
    root = etree.Element(
        f"{{{NS_LR}}}RegFactuSistemaFacturacion", nsmap={"sum": NS_LR, "sum1": NS_SF}
    )
    head = etree.SubElement(root, f"{{{NS_LR}}}Cabecera")
    who = _add(head, "ObligadoEmision")
    _add(who, "NombreRazon", name[:120])
    _add(who, "NIF", nif)
    if incident:
        _add(_add(head, "RemisionVoluntaria"), "Incidencia", "S")
    for record in records:
        wrapper = etree.SubElement(root, f"{{{NS_LR}}}RegistroFactura")
        record_element(record, software.get(record.software_id), parent=wrapper)
    return root


def envelope(body) -> bytes:
    env = etree.Element(f"{{{NS_SOAP}}}Envelope", nsmap={"soapenv": NS_SOAP})
    etree.SubElement(env, f"{{{NS_SOAP}}}Header")
    etree.SubElement(env, f"{{{NS_SOAP}}}Body").append(body)
    return etree.tostring(env, xml_declaration=True, encoding="UTF-8")


def body_of(envelope_bytes: bytes):
    """The first element of a SOAP envelope's Body."""
    doc = etree.fromstring(envelope_bytes, _parser())
    body = doc.find(f"{{{NS_SOAP}}}Body")
    if doc.tag != f"{{{NS_SOAP}}}Envelope" or body is None or len(body) == 0:
        raise SchemaError(["no es un sobre SOAP con cuerpo"])
    return body[0]


# ---------------------------------------------------------------------------------------------
# Answers


@dataclass
class LineAnswer:
    nif: str
    num_serie: str
    fecha: str
    operation: str  # Alta / Anulacion
    ref: str
    status: str  # Correcto / AceptadoConErrores / Incorrecto
    code: int | None
    text: str
    duplicate_status: str = ""  # Correcta / AceptadaConErrores / Anulada


@dataclass
class Answer:
    status: str  # Correcto / ParcialmenteCorrecto / Incorrecto
    wait_seconds: int
    csv: str = ""
    lines: list[LineAnswer] = field(default_factory=list)


class Fault(Exception):
    def __init__(self, code: str, text: str):
        self.code, self.text = code, text
        super().__init__(f"{code}: {text}")


def _text(el, path: str, ns: dict) -> str:
    found = el.find(path, ns)
    return (found.text or "").strip() if found is not None else ""


def parse_answer(data: bytes) -> Answer:
    """The agency's answer to a submission; raises Fault for a SOAP fault and SchemaError
    for anything that is not a RespuestaRegFactuSistemaFacturacion."""
    body = body_of(data)
    if body.tag == f"{{{NS_SOAP}}}Fault":
        raise Fault(_text(body, "faultcode", {}), _text(body, "faultstring", {}))
    if body.tag != f"{{{NS_R}}}RespuestaRegFactuSistemaFacturacion":
        raise SchemaError([f"respuesta inesperada: {body.tag}"])
    validate(body, "RespuestaSuministro.xsd")
    ns = {"r": NS_R, "sf": NS_SF}
    lines = []
    for line in body.findall("r:RespuestaLinea", ns):
        code = _text(line, "r:CodigoErrorRegistro", ns)
        lines.append(
            LineAnswer(
                nif=_text(line, "r:IDFactura/sf:IDEmisorFactura", ns),
                num_serie=_text(line, "r:IDFactura/sf:NumSerieFactura", ns),
                fecha=_text(line, "r:IDFactura/sf:FechaExpedicionFactura", ns),
                operation=_text(line, "r:Operacion/sf:TipoOperacion", ns),
                ref=_text(line, "r:RefExterna", ns),
                status=_text(line, "r:EstadoRegistro", ns),
                code=int(code) if code else None,
                text=_text(line, "r:DescripcionErrorRegistro", ns),
                duplicate_status=_text(line, "r:RegistroDuplicado/sf:EstadoRegistroDuplicado", ns),
            )
        )
    wait = _text(body, "r:TiempoEsperaEnvio", ns)
    return Answer(
        status=_text(body, "r:EstadoEnvio", ns),
        wait_seconds=int(wait) if wait else 60,
        csv=_text(body, "r:CSV", ns),
        lines=lines,
    )
