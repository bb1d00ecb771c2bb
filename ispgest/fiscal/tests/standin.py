"""A stand-in for the AEAT's VERI*FACTU web service, for the tests: a real HTTPS server on
loopback that demands a client certificate from the test CA, checks every request against
SuministroLR.xsd, keeps what it registered (so a record sent twice is a duplicate, code 3000,
as at the agency) and answers per RespuestaSuministro.xsd (its own answers are validated too).

It can be told to reject a record or accept it with errors (by number), to ask for a longer
wait, to time out, to drop the connection, or to be down altogether.
"""

from __future__ import annotations

import secrets
import ssl
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from lxml import etree

from ispgest.fiscal.verifactu import xml as X

NS = {"sf": X.NS_SF, "lr": X.NS_LR}


@dataclass
class Received:
    nif: str
    incident: bool
    records: list[dict]
    client_subject: str


@dataclass
class StandIn:
    server_cert: str
    server_key: str
    ca_file: str
    wait_seconds: int = 60
    reject: dict = field(default_factory=dict)  # num_serie -> (code, text)
    with_errors: dict = field(default_factory=dict)  # num_serie -> (code, text)
    mode: str = ""  # "" | "timeout" | "drop" | "fault"
    mode_times: int = 0  # how many requests the mode applies to (0: all)
    hang_seconds: float = 5
    received: list[Received] = field(default_factory=list)
    invalid: list[str] = field(default_factory=list)
    registered: dict = field(default_factory=dict)  # (nif, num, fecha, op) -> state
    port: int = 0

    # -- life cycle ------------------------------------------------------------------------

    def start(self) -> StandIn:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(self.server_cert, self.server_key)
        ctx.verify_mode = ssl.CERT_REQUIRED
        ctx.load_verify_locations(self.ca_file)
        standin = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):
                standin._handle(self)

        self._httpd = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self._httpd.daemon_threads = True
        self._httpd.socket = ctx.wrap_socket(self._httpd.socket, server_side=True)
        self.port = self._httpd.server_address[1]
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()

    @property
    def url(self) -> str:
        return f"https://127.0.0.1:{self.port}/wlpl/TIKE-CONT/ws/SistemaFacturacion/VerifactuSOAP"

    @property
    def sent_numbers(self) -> list[str]:
        return [r["num"] for sub in self.received for r in sub.records]

    # -- one request -----------------------------------------------------------------------

    def _take_mode(self) -> str:
        mode = self.mode
        if mode and self.mode_times:
            self.mode_times -= 1
            if self.mode_times == 0:
                self.mode = ""
        return mode

    def _handle(self, handler) -> None:
        length = int(handler.headers.get("Content-Length") or 0)
        data = handler.rfile.read(length)
        mode = self._take_mode()
        try:
            body = X.body_of(data)
            X.validate(body, "SuministroLR.xsd")
        except (X.SchemaError, etree.XMLSyntaxError) as exc:
            self.invalid.append(str(exc))
            return self._reply(
                handler, 500, _fault("Codigo[4102].El XML no cumple el esquema. " + str(exc)[:300])
            )
        if mode == "fault":
            return self._reply(handler, 500, _fault("Codigo[4109].El NIF no está identificado."))
        peer = handler.connection.getpeercert() or {}
        subject = ", ".join(f"{k}={v}" for rdn in peer.get("subject", ()) for k, v in rdn)
        answer = self._register(body, subject)
        if mode == "timeout":
            time.sleep(self.hang_seconds)
            return None
        if mode == "drop":
            handler.close_connection = True
            handler.connection.close()
            return None
        return self._reply(handler, 200, answer)

    def _reply(self, handler, status: int, payload: bytes) -> None:
        handler.send_response(status)
        handler.send_header("Content-Type", "text/xml; charset=utf-8")
        handler.send_header("Content-Length", str(len(payload)))
        handler.end_headers()
        handler.wfile.write(payload)

    def _register(self, body, subject: str) -> bytes:
        head = body.find("lr:Cabecera", NS)
        nif = head.findtext("sf:ObligadoEmision/sf:NIF", namespaces=NS)
        incident = head.findtext("sf:RemisionVoluntaria/sf:Incidencia", namespaces=NS) == "S"
        lines, seen = [], []
        for wrapper in body.findall("lr:RegistroFactura", NS):
            rec = wrapper[0]
            alta = rec.tag == f"{{{X.NS_SF}}}RegistroAlta"
            suffix = "" if alta else "Anulada"
            ident = rec.find("sf:IDFactura", NS)
            num = ident.findtext(f"sf:NumSerieFactura{suffix}", namespaces=NS)
            fecha = ident.findtext(f"sf:FechaExpedicionFactura{suffix}", namespaces=NS)
            issuer = ident.findtext(f"sf:IDEmisorFactura{suffix}", namespaces=NS)
            op = "Alta" if alta else "Anulacion"
            subsanacion = rec.findtext("sf:Subsanacion", namespaces=NS) == "S"
            info = {
                "num": num,
                "fecha": fecha,
                "op": op,
                "huella": rec.findtext("sf:Huella", namespaces=NS),
                "subsanacion": subsanacion,
                "rechazo_previo": rec.findtext("sf:RechazoPrevio", namespaces=NS) or "",
                "sin_registro_previo": rec.findtext("sf:SinRegistroPrevio", namespaces=NS) or "",
                "ref": rec.findtext("sf:RefExterna", namespaces=NS) or "",
                "first": rec.find("sf:Encadenamiento/sf:PrimerRegistro", NS) is not None,
                "previous": rec.findtext(
                    "sf:Encadenamiento/sf:RegistroAnterior/sf:Huella", namespaces=NS
                ),
            }
            seen.append(info)
            key = (issuer, num, fecha, op)
            state, code, text, duplicate = "Correcto", None, "", None
            if key in self.registered and not subsanacion:
                state, code, text = "Incorrecto", 3000, "Registro de facturación duplicado."
                duplicate = self.registered[key]
            elif num in self.reject and not subsanacion:
                state = "Incorrecto"
                code, text = self.reject[num]
            elif num in self.with_errors and not subsanacion:
                state = "AceptadoConErrores"
                code, text = self.with_errors[num]
            if state != "Incorrecto":
                self.registered[key] = "AceptadaConErrores" if code else "Correcta"
                if not alta:
                    self.registered[(issuer, num, fecha, "Alta")] = "Anulada"
            lines.append((issuer, num, fecha, op, info, state, code, text, duplicate))
        self.received.append(Received(nif, incident, seen, subject))
        states = {line[5] for line in lines}
        if states == {"Incorrecto"}:
            overall = "Incorrecto"
        elif "Incorrecto" in states:
            overall = "ParcialmenteCorrecto"
        else:
            overall = "Correcto"
        return _answer(head, nif, self.wait_seconds, overall, lines)


def _r(parent, tag, text=None):
    el = etree.SubElement(parent, f"{{{X.NS_R}}}{tag}")
    if text is not None:
        el.text = text
    return el


def _s(parent, tag, text=None):
    el = etree.SubElement(parent, f"{{{X.NS_SF}}}{tag}")
    if text is not None:
        el.text = text
    return el


def _answer(head, nif, wait, overall, lines) -> bytes:
    root = etree.Element(
        f"{{{X.NS_R}}}RespuestaRegFactuSistemaFacturacion",
        nsmap={"tikR": X.NS_R, "tik": X.NS_SF},
    )
    if overall != "Incorrecto":
        _r(root, "CSV", "A-" + secrets.token_hex(7).upper())
        pres = _r(root, "DatosPresentacion")
        _s(pres, "NIFPresentador", nif)
        _s(pres, "TimestampPresentacion", datetime.now(UTC).replace(microsecond=0).isoformat())
    cab = _r(root, "Cabecera")
    for child in head:
        cab.append(etree.fromstring(etree.tostring(child)))
    _r(root, "TiempoEsperaEnvio", str(wait))
    _r(root, "EstadoEnvio", overall)
    for issuer, num, fecha, op, info, state, code, text, duplicate in lines:
        line = _r(root, "RespuestaLinea")
        ident = _r(line, "IDFactura")
        _s(ident, "IDEmisorFactura", issuer)
        _s(ident, "NumSerieFactura", num)
        _s(ident, "FechaExpedicionFactura", fecha)
        operation = _r(line, "Operacion")
        _s(operation, "TipoOperacion", op)
        if info["subsanacion"]:
            _s(operation, "Subsanacion", "S")
        if info["rechazo_previo"]:
            _s(operation, "RechazoPrevio", info["rechazo_previo"])
        if info["sin_registro_previo"]:
            _s(operation, "SinRegistroPrevio", info["sin_registro_previo"])
        if info["ref"]:
            _r(line, "RefExterna", info["ref"])
        _r(line, "EstadoRegistro", state)
        if code is not None:
            _r(line, "CodigoErrorRegistro", str(code))
            _r(line, "DescripcionErrorRegistro", text)
        if duplicate:
            dup = _r(line, "RegistroDuplicado")
            _s(dup, "IdPeticionRegistroDuplicado", secrets.token_hex(6))
            _s(dup, "EstadoRegistroDuplicado", duplicate)
    X.validate(root, "RespuestaSuministro.xsd")
    return X.envelope(root)


def _fault(text: str) -> bytes:
    env = etree.Element(f"{{{X.NS_SOAP}}}Envelope", nsmap={"env": X.NS_SOAP})
    body = etree.SubElement(env, f"{{{X.NS_SOAP}}}Body")
    fault = etree.SubElement(body, f"{{{X.NS_SOAP}}}Fault")
    etree.SubElement(fault, "faultcode").text = "env:Client"
    etree.SubElement(fault, "faultstring").text = text
    return etree.tostring(env, xml_declaration=True, encoding="UTF-8")
