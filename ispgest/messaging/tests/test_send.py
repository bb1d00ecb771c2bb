""" "Enviar Email" from the client's Correo section, delivered to a real SMTP server."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from ispgest.clients.models import Contact
from ispgest.core.identity import isp_identity
from ispgest.messaging.models import EmailMessage, MailTemplate, RepositoryFile
from ispgest.messaging.tests.conftest import ELF_BYTES, PDF_BYTES

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _smtp_backend(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"


@pytest.fixture
def isp(db):
    identity = isp_identity()
    identity.name = "Fibra Sur"
    identity.save()
    return identity


def _send(client, c, **data):
    payload = {"subject": "Corte programado", "body": "Mañana cortamos <b>2 horas</b>."}
    payload.update(data)
    return client.post(reverse("messaging:client_send", args=[c.pk]), payload)


def test_the_message_is_exactly_what_was_written_signed_by_the_isp(
    admin_client, subscriber, smtp_server, isp, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = _send(admin_client, subscriber)
    assert response.status_code == 302
    (mail,) = smtp_server.received
    assert mail.rcpt_tos == ["ana@example.com"]
    text = mail.text()
    assert text.startswith("Mañana cortamos <b>2 horas</b>.")  # no greeting added
    assert "Fibra Sur" in text and "ispgest" not in text
    html = mail.message.get_body(preferencelist=("html",)).get_content()
    assert "Mañana cortamos &lt;b&gt;2 horas&lt;/b&gt;." in html and "Fibra Sur" in html
    assert "Estimado" not in html and "Estimado" not in text
    assert mail.message["Message-ID"] == EmailMessage.objects.get().message_id


def test_notify_emails_and_chosen_contacts_receive_it(
    admin_client, make_client, smtp_server, django_capture_on_commit_callbacks
):
    c = make_client(email="ana@example.com", notify_emails="conta@example.com")
    luis = Contact.objects.create(client=c, name="Luis", email="luis@example.com")
    Contact.objects.create(client=c, name="Eva", email="eva@example.com")
    with django_capture_on_commit_callbacks(execute=True):
        _send(admin_client, c, include_notify="on", contacts=[luis.pk])
    (mail,) = smtp_server.received
    assert sorted(mail.rcpt_tos) == ["ana@example.com", "conta@example.com", "luis@example.com"]


def test_attachments_uploaded_and_from_the_repository(
    admin_client, subscriber, smtp_server, django_capture_on_commit_callbacks
):
    admin_client.post(
        reverse("messaging:repository_upload", args=[subscriber.pk]),
        {"name": "Contrato", "tag": "Contrato", "file": SimpleUploadedFile("c.pdf", PDF_BYTES)},
    )
    kept = RepositoryFile.objects.get()
    with django_capture_on_commit_callbacks(execute=True):
        _send(
            admin_client,
            subscriber,
            repository_files=[kept.pk],
            attachments=[SimpleUploadedFile("presupuesto.pdf", PDF_BYTES)],
        )
    (mail,) = smtp_server.received
    names = sorted(a.get_filename() for a in mail.attachments())
    assert names == ["c.pdf", "presupuesto.pdf"]
    assert all(a.get_content() == PDF_BYTES for a in mail.attachments())
    # the uploaded one is kept in the repository, tagged as a mail attachment
    assert RepositoryFile.objects.filter(tag="Adjunto de correo", client=subscriber).count() == 1


def test_an_executable_attachment_refuses_the_whole_message(admin_client, subscriber):
    response = _send(admin_client, subscriber, attachments=[SimpleUploadedFile("f.pdf", ELF_BYTES)])
    assert response.status_code == 400
    assert "El tipo de archivo no está permitido" in response.content.decode()
    assert not EmailMessage.objects.exists() and not RepositoryFile.objects.exists()


def test_a_client_without_email_gets_a_clear_message(admin_client, make_client):
    c = make_client()
    html = admin_client.get(reverse("clients:section", args=[c.pk, "correo"])).content.decode()
    assert "no tiene e-mail de contacto" in html
    response = _send(admin_client, c)
    assert response.status_code == 400
    assert "no tiene e-mail de contacto" in response.content.decode()
    assert not EmailMessage.objects.exists()


def test_a_template_fills_its_placeholders_for_the_client(admin_client, subscriber):
    t = MailTemplate.objects.create(
        name="Aviso de deuda",
        subject="Saldo de {cliente}",
        body="Su saldo es {saldo}. Vence el {vencimiento}.",
    )
    url = reverse("clients:section", args=[subscriber.pk, "correo"])
    html = admin_client.get(url, {"plantilla": t.pk}).content.decode()
    assert 'value="Saldo de Ana Pérez"' in html
    assert "Su saldo es" in html and "{saldo}" not in html


def test_missing_subject_names_the_field_and_sends_nothing(admin_client, subscriber):
    response = _send(admin_client, subscriber, subject="")
    assert response.status_code == 400
    assert "Asunto" in response.content.decode()
    assert not EmailMessage.objects.exists()


def test_a_failed_message_is_shown_and_retried(
    admin_client, subscriber, smtp_server, django_capture_on_commit_callbacks
):
    message = EmailMessage.objects.create(
        client=subscriber,
        from_email="a@isp.test",
        to=["ana@example.com"],
        subject="Aviso-7731",
        body_text="x",
        status=EmailMessage.Status.FAILED,
        error="SMTPRecipientsRefused",
        attempts=5,
    )
    section = reverse("clients:section", args=[subscriber.pk, "correo"])
    html = admin_client.get(section, {"estado": "failed"}).content.decode()
    assert "Aviso-7731" in html and "Fallido" in html
    assert "Aviso-7731" not in admin_client.get(section, {"estado": "sent"}).content.decode()
    detail = admin_client.get(reverse("messaging:message_detail", args=[message.pk]))
    assert "Reintentar envío" in detail.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post(reverse("messaging:message_retry", args=[message.pk]))
    message.refresh_from_db()
    assert message.status == EmailMessage.Status.SENT and len(smtp_server.received) == 1


def test_a_reply_from_the_thread_keeps_the_headers(
    admin_client, subscriber, smtp_server, django_capture_on_commit_callbacks
):
    received = EmailMessage.objects.create(
        client=subscriber,
        direction="in",
        status="received",
        from_email="Ana <ana@example.com>",
        to=["atencion@isp.test"],
        subject="Duda",
        body_text="¿Cuándo pasan?",
        message_id="<r1@example.com>",
        references="<r0@isp.test>",
    )
    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post(
            reverse("messaging:message_reply", args=[received.pk]), {"body": "Mañana."}
        )
    (mail,) = smtp_server.received
    assert mail.subject == "Re: Duda" and mail.rcpt_tos == ["ana@example.com"]
    assert mail.message["In-Reply-To"] == "<r1@example.com>"
    assert mail.message["References"] == "<r0@isp.test> <r1@example.com>"
    reply = EmailMessage.objects.get(direction="out")
    assert reply.thread == received


def test_a_collector_cannot_send(client, make_user, subscriber):
    client.force_login(make_user("Recaudador"))
    assert _send(client, subscriber).status_code == 403


def test_the_manual_notification_switch_is_honoured(admin_client, make_client):
    c = make_client(email="cliente@example.com", send_manual_emails=False)
    response = _send(admin_client, c)
    assert response.status_code == 400
    assert not EmailMessage.objects.exists()
    html = admin_client.get(reverse("clients:section", args=[c.pk, "correo"])).content.decode()
    assert "desactivadas las notificaciones manuales" in html
