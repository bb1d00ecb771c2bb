"""The QR on the invoice PDF: decoded back from the rendered page to exactly the invoice's
values (ISO/IEC 18004, error correction M, 30-40 mm, at the top of the first page)."""

from decimal import Decimal
from urllib.parse import parse_qs, urlsplit

import pypdfium2
import pytest
import zxingcpp

from ispgest.billing import services
from ispgest.billing.pdf import document_pdf
from ispgest.billing.services import LineInput
from ispgest.catalog.models import FiscalRegime
from ispgest.fiscal.models import Record
from ispgest.fiscal.tests.factories import ISSUER_NIF, spanish_client, spanish_entity
from ispgest.fiscal.verifactu import huella as H

pytestmark = pytest.mark.django_db
DPI = 200


def _decode_first_page(pdf: bytes):
    page = pypdfium2.PdfDocument(pdf)[0]
    image = page.render(scale=DPI / 72).to_pil().convert("L")
    return image, zxingcpp.read_barcodes(image)


def test_the_invoice_pdf_carries_a_qr_that_decodes_to_the_invoice_values():
    entity = spanish_entity()
    client = spanish_client(entity)
    invoice = services.document_create(
        actor=None,
        client=client,
        lines=[LineInput("Fibra 600 Mb & TV", "1", "41.32"), LineInput("Router", "2", "5")],
        notify=False,
    )
    pdf = document_pdf(invoice)
    image, codes = _decode_first_page(pdf)
    (code,) = [c for c in codes if c.format == zxingcpp.BarcodeFormat.QRCode]
    assert code.ec_level == "M"
    url = urlsplit(code.text)
    assert f"{url.scheme}://{url.netloc}{url.path}" == (
        "https://prewww2.aeat.es/wlpl/TIKE-CONT/ValidarQR"
    )
    params = parse_qs(url.query, keep_blank_values=True)
    assert params == {
        "nif": [ISSUER_NIF],
        "numserie": [invoice.number_display],
        "fecha": [invoice.issue_date.strftime("%d-%m-%Y")],
        "importe": [H.amount(invoice.total)],
    }
    assert Decimal(params["importe"][0]) == invoice.total == Decimal("62.10")
    # Size of the symbol on paper, and its place: the top of the page, before the content.
    xs = [p.x for p in (code.position.top_left, code.position.top_right)]
    side_mm = (max(xs) - min(xs)) / DPI * 25.4
    assert 30 <= side_mm <= 40, side_mm
    assert code.position.top_left.y < image.height * 0.25


def test_the_pdf_of_an_entity_without_regime_has_no_qr():
    entity = spanish_entity(regime=FiscalRegime.NONE)
    invoice = services.document_create(
        actor=None,
        client=spanish_client(entity),
        lines=[LineInput("Fibra", "1", "30")],
        notify=False,
    )
    _image, codes = _decode_first_page(document_pdf(invoice))
    assert codes == []


def test_the_url_encodes_reserved_characters_of_the_number(settings):
    from ispgest.fiscal.verifactu import qr

    entity = spanish_entity()
    invoice = services.document_create(
        actor=None, client=spanish_client(entity), lines=[LineInput("x", "1", "10")], notify=False
    )
    record = Record.objects.get(invoice=invoice)
    url = qr.url_for(record)
    assert " " not in url and "numserie=" + record.num_serie.replace(" ", "%20") in url
    settings.ISPGEST_VERIFACTU_QR_URL_TEST = "https://cotejo.test/ValidarQR"
    assert qr.url_for(record).startswith("https://cotejo.test/ValidarQR?nif=B12345674&")
