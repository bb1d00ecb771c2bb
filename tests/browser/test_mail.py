"""A clerk's mail and files in a real Chromium, with a real SMTP server and a real Dovecot:
a mail with an invoice PDF sent to a client, the client's reply fetched from IMAP threaded
under it in Correo, a message from an unknown address assigned from "Sin asignar", and a
tagged file uploaded to the repository, found by its tag and downloaded byte-identical."""

import re
from decimal import Decimal
from email.message import EmailMessage as Mime
from email.utils import make_msgid

import pytest
from playwright.sync_api import expect

from ispgest.billing import services as billing
from ispgest.billing.tests.factories import make_client, setup_billing, tax
from ispgest.messaging import inbound
from ispgest.messaging.models import EmailMessage, Mailbox

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"


@pytest.fixture(autouse=True)
def _smtp_backend(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"


@pytest.fixture
def imap_server(tmp_path):
    from ispgest.messaging.tests.dovecot import Dovecot, available

    if not available():
        pytest.skip("dovecot-imapd is not installed (.ci/run installs it)")
    server = Dovecot(tmp_path / "dovecot")
    server.start()
    yield server
    server.cleanup()


def _open_section(page, name: str) -> None:
    nav = page.get_by_role("navigation", name="Secciones del cliente")
    nav.get_by_role("link", name=re.compile(rf"^{re.escape(name)}")).first.click()
    expect(nav.locator("a.active")).to_contain_text(name)


def _reply(*, sender: str, subject: str, in_reply_to: str | None = None) -> bytes:
    msg = Mime()
    msg["From"] = sender
    msg["To"] = "atencion@isp.test"
    msg["Subject"] = subject
    msg["Message-ID"] = make_msgid(domain="example.com")
    if in_reply_to:
        msg["In-Reply-To"] = in_reply_to
        msg["References"] = in_reply_to
    msg.set_content("Gracias, recibido.")
    return msg.as_bytes()


def test_a_clerk_mails_an_invoice_reads_the_reply_assigns_and_keeps_files(
    page, login, make_user, smtp_server, imap_server, tmp_path
):
    clerk = make_user("Facturación", username="clara")
    entity = setup_billing()
    client = make_client(entity, email="ana@example.com", name="Ana Pérez")
    invoice = billing.document_create(
        actor=clerk,
        client=client,
        lines=[billing.LineInput("Abono mensual", Decimal("1"), Decimal("12100"), tax=tax())],
        notify=False,
    )
    mailbox = inbound.mailbox_save(
        actor=None,
        mailbox=Mailbox(
            name="Atención",
            host=imap_server.host,
            port=imap_server.port,
            security=Mailbox.Security.NONE,
            username=imap_server.user,
        ),
        password=imap_server.password,
    )

    login(clerk)
    page.goto(f"/clientes/{client.pk}/")
    _open_section(page, "Correo")
    page.get_by_label("Asunto").fill("Su factura de noviembre")
    page.get_by_label("Mensaje").fill("Le adjuntamos la factura.\nUn saludo.")
    page.get_by_label("Facturas (PDF)").select_option(str(invoice.pk))
    page.get_by_role("button", name="Enviar", exact=True).click()
    expect(page.get_by_text("Correo en cola de envío.")).to_be_visible()
    expect(page.locator("#mail-log")).to_contain_text("Su factura de noviembre")
    (mail,) = smtp_server.received
    (att,) = mail.attachments()
    assert att.get_content_type() == "application/pdf"
    assert att.get_content().startswith(b"%PDF")
    sent = EmailMessage.objects.get(direction="out")
    assert sent.status == EmailMessage.Status.SENT

    # the client's reply and a stranger's message arrive on the IMAP server
    imap_server.append(
        _reply(
            sender="Ana <ana@example.com>",
            subject="Re: Su factura de noviembre",
            in_reply_to=sent.message_id,
        )
    )
    imap_server.append(_reply(sender="desconocido@otra.test", subject="Quiero darme de alta"))
    assert inbound.mailbox_poll(mailbox).stored == 2

    page.reload()
    log = page.locator("#mail-log")
    expect(log).to_contain_text("Re: Su factura de noviembre")
    log.get_by_role("link", name="Re: Su factura de noviembre").click()
    expect(page.get_by_role("heading", name="Conversación (2)")).to_be_visible()
    expect(page.locator("article")).to_have_count(2)
    expect(page.locator("article").first).to_contain_text("Su factura de noviembre")
    expect(page.locator("article").nth(1)).to_contain_text("Gracias, recibido.")

    # the stranger's message waits in "Sin asignar" and is assigned
    page.get_by_role("link", name="Correo sin asignar").click()
    page.get_by_role("link", name="Quiero darme de alta").click()
    page.get_by_label("Número de cliente").fill(str(client.pk))
    page.get_by_label("Añadir el remitente a los contactos del cliente").check()
    page.get_by_role("button", name="Asignar").click()
    expect(page.get_by_text("Correo asignado a Ana Pérez.")).to_be_visible()
    assert client.contacts.filter(email="desconocido@otra.test").exists()
    page.goto(f"/clientes/{client.pk}/seccion/correo/")
    expect(page.locator("#mail-log")).to_contain_text("Quiero darme de alta")

    # a file uploaded to the repository with a tag, found by the tag, downloaded back
    source = tmp_path / "dni-ana.pdf"
    source.write_bytes(PDF)
    _open_section(page, "Repositorio")
    if not page.get_by_label("Nombre del recurso").is_visible():
        page.get_by_text("Sube archivo a repositorio").click()
    page.get_by_label("Nombre del recurso").fill("DNI de Ana")
    page.get_by_label("Etiqueta el recurso").fill("Identidad")
    page.get_by_label("Selecciona un archivo").set_input_files(str(source))
    page.get_by_role("button", name="Sube al repositorio").click()
    expect(page.get_by_text("Archivo subido al repositorio.")).to_be_visible()
    page.get_by_label("Etiqueta", exact=True).select_option("Identidad")
    page.get_by_role("button", name="Filtrar").click()
    table = page.locator("#repository-table")
    expect(table).to_contain_text("DNI de Ana")
    expect(table.locator("tbody tr")).to_have_count(1)
    with page.expect_download() as info:
        table.get_by_role("link", name="Descargar").click()
    download = info.value
    target = tmp_path / "bajado.pdf"
    download.save_as(target)
    assert target.read_bytes() == PDF
    assert download.suggested_filename == "dni-ana.pdf"
