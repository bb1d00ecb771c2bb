"""The client's Correo tab: the mail log and "Enviar Email" through a real SMTP server."""

import pytest
from django.urls import reverse

from ispgest.clients.models import ClientEvent
from ispgest.messaging.models import EmailMessage

pytestmark = pytest.mark.django_db


def test_staff_write_to_the_client_and_see_it_in_the_log(
    admin_client, make_client, smtp_server, django_capture_on_commit_callbacks
):
    c = make_client(email="cliente@example.com", notify_emails="otra@example.com")
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            reverse("clients:send_email", args=[c.pk]),
            {"subject": "Corte programado", "body": "Mañana cortamos <b>2 horas</b>."},
        )
    assert response.status_code == 302
    assert len(smtp_server.received) == 1
    mail = smtp_server.received[0]
    assert mail.rcpt_tos == ["cliente@example.com"]  # manual notices: principal address only
    assert mail.subject == "Corte programado"
    assert "Mañana cortamos <b>2 horas</b>." in mail.text()
    assert ClientEvent.objects.filter(client=c, action="email.sent").exists()
    html = admin_client.get(reverse("clients:section", args=[c.pk, "correo"])).content.decode()
    assert "Corte programado" in html


def test_the_manual_notification_switch_is_honoured(admin_client, make_client, smtp_server):
    c = make_client(email="cliente@example.com", send_manual_emails=False)
    admin_client.post(
        reverse("clients:send_email", args=[c.pk]), {"subject": "Hola", "body": "Texto"}
    )
    assert not EmailMessage.objects.exists()
    html = admin_client.get(reverse("clients:section", args=[c.pk, "correo"])).content.decode()
    assert "desactivadas las notificaciones manuales" in html


def test_a_client_without_email_gets_none(admin_client, make_client):
    c = make_client()
    admin_client.post(reverse("clients:send_email", args=[c.pk]), {"subject": "Hola", "body": "x"})
    assert not EmailMessage.objects.exists()
