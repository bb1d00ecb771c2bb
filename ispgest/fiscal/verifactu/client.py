"""The SOAP transport to the AEAT's VERI*FACTU web service (RegFactuSistemaFacturacion).

The envelope is built by `xml.py` (the same lxml tree the schema checks and the export
writes), so this module only posts bytes over mutual TLS with the issuer's certificate and
turns every way the exchange can fail into a TransportError with a Spanish message. httpx
gives the SSL context, the timeouts and the distinction between "could not connect",
"timed out" and "connection dropped" that the queue's retry rules need.
"""

from __future__ import annotations

import httpx
from django.conf import settings

from ispgest.fiscal.models import Environment
from ispgest.fiscal.verifactu import certs


class TransportError(Exception):
    """Nothing usable came back: the records stay queued and are sent again later."""


def endpoint(environment: str) -> str:
    if environment == Environment.PRODUCTION:
        return settings.ISPGEST_VERIFACTU_ENDPOINT_PRODUCTION
    return settings.ISPGEST_VERIFACTU_ENDPOINT_TEST


def post(issuer, envelope: bytes) -> bytes:
    """POST one envelope; the answer's bytes (an answer or a SOAP fault)."""
    ctx = certs.client_context(issuer)
    url = endpoint(issuer.environment)
    timeout = httpx.Timeout(settings.ISPGEST_VERIFACTU_TIMEOUT, connect=15)
    try:
        with httpx.Client(verify=ctx, timeout=timeout, trust_env=False) as http:
            response = http.post(
                url,
                content=envelope,
                headers={"Content-Type": "text/xml; charset=utf-8", "SOAPAction": '""'},
            )
    except httpx.TimeoutException:
        raise TransportError(
            "La AEAT no respondió a tiempo; se reenvía más tarde (si llegó a registrar algún "
            "registro, lo indicará como duplicado y se dará por aceptado)."
        ) from None
    except httpx.ConnectError as exc:
        raise TransportError(f"No se pudo conectar con la AEAT ({_reason(exc)}).") from None
    except (httpx.RemoteProtocolError, httpx.ReadError, httpx.WriteError):
        raise TransportError("La conexión con la AEAT se cortó antes de la respuesta.") from None
    except httpx.HTTPError as exc:
        raise TransportError(f"Error de comunicación con la AEAT ({_reason(exc)}).") from None
    body = response.content
    if response.status_code != 200 and b"Envelope" not in body[:2000]:
        raise TransportError(f"La AEAT respondió con el código HTTP {response.status_code}.")
    return body


def _reason(exc: Exception) -> str:
    text = str(exc) or type(exc).__name__
    if "CERTIFICATE_VERIFY_FAILED" in text:
        return "el certificado del servidor no es de confianza"
    if "certificate" in text.lower() or "alert" in text.lower():
        return "el servidor rechazó el certificado del emisor"
    return text[:200]
