"""E-mail delivery against a real SMTP server (aiosmtpd on loopback)."""

import socket
from datetime import timedelta

import pytest
from aiosmtpd.controller import Controller
from django.core.management import call_command
from django.utils import timezone

from ispgest.messaging.emails import Attachment, send_email
from ispgest.messaging.models import EmailMessage
from ispgest.messaging.tasks import BACKOFF

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _smtp_backend(settings):
    """pytest-django swaps in the locmem backend; these tests are about the SMTP path."""
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"


def _send(**extra):
    return send_email(
        template="test_message",
        to=["cliente@example.com"],
        context={"name": "José Núñez", "amount": "$ 1.500,00"},
        **extra,
    )


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_a_message_is_delivered_with_its_parts_and_logged_as_sent(
    smtp_server, django_capture_on_commit_callbacks, admin_user
):
    with django_capture_on_commit_callbacks(execute=True):
        message = _send(
            cc=["copia@example.com"],
            sent_by=admin_user,
            attachments=[Attachment("factura.pdf", b"%PDF-1.4 prueba", "application/pdf")],
        )
    assert len(smtp_server.received) == 1
    mail = smtp_server.received[0]
    assert sorted(mail.rcpt_tos) == ["cliente@example.com", "copia@example.com"]
    assert mail.subject == "Prueba de envío para José Núñez"
    assert "Importe: $ 1.500,00" in mail.text()
    html = mail.message.get_body(preferencelist=("html",)).get_content()
    assert "<strong>José Núñez</strong>" in html
    (att,) = mail.attachments()
    assert att.get_filename() == "factura.pdf"
    assert att.get_content() == b"%PDF-1.4 prueba"
    message.refresh_from_db()
    assert message.status == EmailMessage.Status.SENT
    assert message.attempts == 1 and message.sent_at is not None and message.error == ""
    assert message.template == "test_message" and message.cc == ["copia@example.com"]


def test_nothing_is_sent_when_the_transaction_rolls_back(
    smtp_server, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        _send()
    assert len(callbacks) == 1  # delivery waits for the commit
    assert smtp_server.received == []


def test_a_closed_port_is_retried_with_backoff_then_fails(
    settings, django_capture_on_commit_callbacks
):
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = _closed_port()
    settings.EMAIL_TIMEOUT = 2
    settings.ISPGEST_EMAIL_MAX_ATTEMPTS = 3
    before = timezone.now()
    with django_capture_on_commit_callbacks(execute=True):
        message = _send()
    message.refresh_from_db()
    assert message.status == EmailMessage.Status.RETRYING
    assert message.attempts == 1
    assert "ConnectionRefused" in message.error
    assert message.next_attempt_at >= before + timedelta(seconds=BACKOFF[0])
    # Not due yet: the periodic command leaves it alone.
    with django_capture_on_commit_callbacks(execute=True):
        call_command("email_retry_due", stdout=open("/dev/null", "w"))  # noqa: SIM115
    message.refresh_from_db()
    assert message.attempts == 1
    for expected_attempts in (2, 3):
        EmailMessage.objects.filter(pk=message.pk).update(
            next_attempt_at=timezone.now() - timedelta(seconds=1)
        )
        with django_capture_on_commit_callbacks(execute=True):
            call_command("email_retry_due", stdout=open("/dev/null", "w"))  # noqa: SIM115
        message.refresh_from_db()
        assert message.attempts == expected_attempts
    assert message.status == EmailMessage.Status.FAILED
    assert message.next_attempt_at is None
    assert "ConnectionRefused" in message.error


def test_a_stale_duplicate_delivery_does_nothing(settings, django_capture_on_commit_callbacks):
    from ispgest.messaging.tasks import deliver_email

    settings.EMAIL_PORT = _closed_port()
    with django_capture_on_commit_callbacks(execute=True):
        message = _send()
    message.refresh_from_db()
    assert message.attempts == 1
    assert deliver_email.call(message.pk, 0) == "stale"
    message.refresh_from_db()
    assert message.attempts == 1


class _Refusing:
    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        return "550 5.1.1 Usuario desconocido"


def test_a_refusing_server_is_logged_as_failed_with_its_answer(
    settings, django_capture_on_commit_callbacks
):
    port = _closed_port()
    controller = Controller(_Refusing(), hostname="127.0.0.1", port=port)
    controller.start()
    try:
        settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", port
        with django_capture_on_commit_callbacks(execute=True):
            message = _send()
    finally:
        controller.stop()
    message.refresh_from_db()
    # A 5xx refusal is permanent: no point retrying.
    assert message.status == EmailMessage.Status.FAILED
    assert message.attempts == 1
    assert "Usuario desconocido" in message.error
