"""Every e-mail looks like the ISP's: its layout, name, logo and signature, two parts."""

import struct
import zlib
from pathlib import Path
from types import SimpleNamespace

import pytest
from django.conf import settings
from django.core.files.base import ContentFile

from ispgest.core.identity import isp_identity
from ispgest.messaging.emails import LOGO_CID, render_email, send_email

pytestmark = pytest.mark.django_db

TEMPLATES = sorted(
    p.name.removesuffix("-subject.txt")
    for p in (Path(settings.BASE_DIR) / "ispgest" / "templates" / "emails").glob("*-subject.txt")
)


def _png() -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    pixels = zlib.compress(b"\x00\xff\x00\x00")
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
    )


@pytest.fixture
def identity():
    isp = isp_identity()
    isp.name = "Fibra Sur"
    isp.support_email = "ayuda@fibrasur.test"
    isp.save()
    return isp


def test_there_are_templates_to_check():
    assert {"invoice_issued", "payment_registered", "client_message"} <= set(TEMPLATES)


@pytest.mark.parametrize("name", TEMPLATES)
def test_every_template_has_both_parts_in_the_isp_layout(identity, name):
    user = SimpleNamespace(username="ana", first_name="Ana", get_full_name="Ana Gómez")
    subject, text, html = render_email(name, {"user": user})
    assert subject == " ".join(subject.split())
    assert 'id="isp-header"' in html and "Fibra Sur" in html
    assert 'id="isp-signature"' in html and "ayuda@fibrasur.test" in html
    assert html.count("<html") == 1 and html.count("<body") == 1
    assert text.rstrip().endswith("ayuda@fibrasur.test")
    assert "\n-- \nFibra Sur" in text
    # Signed by the ISP only: no template signs with the product's name.
    assert "\nispgest\n" not in text and "ispgest</p>" not in html
    body = text.split("\n-- \n")[0].rstrip()
    assert not body.endswith("Fibra Sur") and "<p>Fibra Sur" not in html  # signed once


def test_the_logo_travels_inline_and_the_message_is_signed(
    identity, smtp_server, settings, django_capture_on_commit_callbacks
):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    identity.logo.save("logo.png", ContentFile(_png()))
    with django_capture_on_commit_callbacks(execute=True):
        send_email(
            template="client_message",
            to=["cliente@example.com"],
            context={"body": "Su equipo quedó instalado.", "subject": "Instalación"},
        )
    (mail,) = smtp_server.received
    html = mail.message.get_body(preferencelist=("html",)).get_content()
    assert f'src="cid:{LOGO_CID}"' in html and "Fibra Sur" in html
    text = mail.text()
    assert text.startswith("Su equipo quedó instalado.")  # no greeting added
    assert "Fibra Sur" in text
    images = [p for p in mail.message.walk() if p.get("Content-ID") == f"<{LOGO_CID}>"]
    assert len(images) == 1 and images[0].get_content_type() == "image/png"
    assert images[0].get_payload(decode=True) == _png()


def test_without_a_logo_no_image_is_referenced(identity):
    _subject, _text, html = render_email("client_message", {"body": "Hola"})
    assert "cid:" not in html


def test_a_password_reaches_the_client_but_the_log_forgets_it(
    identity, smtp_server, settings, django_capture_on_commit_callbacks
):
    from ispgest.messaging.emails import REDACTED_BODY
    from ispgest.messaging.models import EmailMessage

    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    with django_capture_on_commit_callbacks(execute=True):
        message = send_email(
            template="portal_password",
            to=["cliente@example.com"],
            context={"password": "Zq7-secreta-91", "login_email": "cliente@example.com"},
        )
    (mail,) = smtp_server.received
    assert "Zq7-secreta-91" in mail.text()
    message = EmailMessage.objects.get(pk=message.pk)
    assert message.status == EmailMessage.Status.SENT
    assert "Zq7-secreta-91" not in message.body_text + message.body_html
    assert message.body_text == REDACTED_BODY
