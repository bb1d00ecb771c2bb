"""VERI*FACTU in a real Chromium: an invoice of a Spanish entity gets its record, the
administrator uploads the certificate and the stand-in AEAT accepts it, the record's XML is
shown, and the invoice's record is cancelled from the document page."""

import re

import pytest

from ispgest.billing import services
from ispgest.billing.services import LineInput
from ispgest.fiscal.models import Record, RecordStatus
from ispgest.fiscal.tests.conftest import _sif_identity, aeat  # noqa: F401 (fixtures)
from ispgest.fiscal.tests.factories import spanish_client, spanish_entity

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def agency(aeat):  # noqa: F811 (the fixture imported above)
    return aeat


def test_an_administrator_uploads_the_certificate_sees_the_answer_and_cancels(
    page, login, admin_user, agency, tmp_path
):
    aeat_ = agency
    aeat_.standin.wait_seconds = 0  # the agency lets the next submission go at once
    entity = spanish_entity()
    client = spanish_client(entity, name="Marta Ruiz", tax_id="12345678Z")
    invoice = services.document_create(
        actor=None, client=client, lines=[LineInput("Fibra 600", "1", "35")], notify=False
    )
    login(admin_user)
    page.goto(f"/facturacion/documentos/{invoice.pk}/")
    section = page.locator("#verifactu")
    assert "Pendiente de envío" in section.inner_text()

    page.get_by_role("link", name="VERI*FACTU").first.click()
    assert "Sin certificado" in page.locator("main").inner_text()
    page.get_by_role("link", name="Red Norte S.L.").click()
    cert = tmp_path / "empresa.p12"
    cert.write_bytes(aeat_.p12("clave-5678"))
    page.get_by_label("Certificado electrónico (.p12 / .pfx)").set_input_files(str(cert))
    page.get_by_label("Contraseña del certificado").fill("mala")
    page.get_by_role("button", name="Subir certificado").click()
    assert "La contraseña del certificado no es correcta" in page.locator("main").inner_text()
    page.get_by_label("Certificado electrónico (.p12 / .pfx)").set_input_files(str(cert))
    page.get_by_label("Contraseña del certificado").fill("clave-5678")
    page.get_by_role("button", name="Subir certificado").click()
    assert "Certificado guardado" in page.locator("main").inner_text()
    assert "VATES-B12345674" in page.locator("#certificate").inner_text()

    record = Record.objects.get(invoice=invoice)
    assert record.status == RecordStatus.ACCEPTED
    page.get_by_role("link", name=re.compile(r"^Aceptado \(1\)")).click()
    page.get_by_role("link", name=str(record.position), exact=True).click()
    assert record.huella in page.locator("main").inner_text()
    assert "<sum1:Huella>" in page.locator("pre").inner_text()

    page.goto(f"/facturacion/documentos/{invoice.pk}/")
    page.get_by_role("link", name="Anular registro").click()
    page.get_by_label("Motivo de la anulación").fill("Emitida dos veces por error")
    page.get_by_role("button", name="Anular registro y factura").click()
    page.wait_for_url(re.compile(r"/fiscal/registros/\d+/$"))
    assert "Anulación" in page.locator("h1").inner_text()
    assert Record.objects.filter(invoice=invoice, kind="anulacion").count() == 1
    assert [s.records[-1]["op"] for s in aeat_.standin.received] == ["Alta", "Anulacion"]
