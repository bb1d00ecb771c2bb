"""The QR every VERI*FACTU invoice carries (Orden HAC/1177/2024 art. 20-21 and the AEAT's
"Características del QR y especificaciones del servicio de cotejo").

It encodes the agency's verification ("cotejo") URL with four parameters: the issuer's NIF,
the series and number, the issue date (dd-mm-yyyy) and the total amount, each URL-encoded
(UTF-8). The symbol follows ISO/IEC 18004 with error correction M and is printed between 30
and 40 mm wide, at the start of the invoice, with "QR tributario:" above it and the legend
"VERI*FACTU" below.
"""

from __future__ import annotations

from urllib.parse import quote

import segno
from django.conf import settings

from ispgest.fiscal.models import Environment
from ispgest.fiscal.verifactu import huella as H

SYMBOL_MM = 35  # the symbol's side, inside the legal 30-40 mm
BORDER = 4  # quiet zone in modules (ISO/IEC 18004)
CAPTION = "QR tributario:"
LEGEND = "VERI*FACTU"


def base_url(environment: str) -> str:
    if environment == Environment.PRODUCTION:
        return settings.ISPGEST_VERIFACTU_QR_URL_PRODUCTION
    return settings.ISPGEST_VERIFACTU_QR_URL_TEST


def url_for(record) -> str:
    params = (
        ("nif", record.issuer_nif),
        ("numserie", record.num_serie),
        ("fecha", H.fecha(record.issue_date)),
        ("importe", H.amount(record.total)),
    )
    query = "&".join(f"{k}={quote(v, safe='')}" for k, v in params)
    return f"{base_url(record.environment)}?{query}"


def symbol(url: str) -> segno.QRCode:
    return segno.make(url, error="m", boost_error=False, micro=False)


def marks(record) -> dict:
    """What billing's PDF template prints (billing.signals.document_marks)."""
    qr = symbol(url_for(record))
    modules = qr.symbol_size(border=0)[0]
    image_mm = f"{SYMBOL_MM * (modules + 2 * BORDER) / modules:.2f}"  # CSS wants a point
    return {
        "qr_url": url_for(record),
        "qr_data_uri": qr.svg_data_uri(border=BORDER, scale=1),
        "qr_mm": SYMBOL_MM,
        "qr_image_mm": image_mm,
        "qr_caption": CAPTION,
        "legend": LEGEND,
        "lines": (
            ["Registro remitido al entorno de pruebas de la AEAT: sin validez fiscal"]
            if record.environment != Environment.PRODUCTION
            else []
        ),
    }
