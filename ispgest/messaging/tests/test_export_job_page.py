"""The export job page tells the truth about the e-mail that carries the file."""

import socket

import pytest
from django.urls import reverse

from ispgest.clients.models import Client
from ispgest.clients.tasks import start_export
from ispgest.messaging.models import EmailMessage


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _export(admin_user):
    row = Client(name="Rocío Núñez")
    row.refresh_search_fields()
    row.save()
    return start_export(actor=admin_user, filters={}, fmt="csv")


@pytest.mark.django_db(transaction=True)
def test_the_job_page_says_sent_only_after_the_server_took_the_mail(
    admin_user, admin_client, smtp_server
):
    job = _export(admin_user)
    page = admin_client.get(reverse("clients:job", args=[job.pk])).content.decode()
    assert f"Se envió por e-mail a {admin_user.email}." in page
    assert len(smtp_server.received) == 1


@pytest.mark.django_db(transaction=True)
def test_the_job_page_says_the_mail_is_being_retried_when_delivery_failed(
    admin_user, admin_client, settings
):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = (
        "127.0.0.1",
        _closed_port(),
        2,
    )
    job = _export(admin_user)
    message = EmailMessage.objects.get(template="client_export")
    assert message.status == EmailMessage.Status.RETRYING
    page = admin_client.get(reverse("clients:job", args=[job.pk])).content.decode()
    assert "Se envió por e-mail" not in page
    assert "El envío por e-mail falló y se reintentará" in page
    EmailMessage.objects.filter(pk=message.pk).update(status=EmailMessage.Status.FAILED)
    page = admin_client.get(reverse("clients:job", args=[job.pk])).content.decode()
    assert "No se pudo enviar por e-mail" in page and "Se envió por e-mail" not in page


@pytest.mark.django_db(transaction=True)
def test_the_job_page_says_nothing_was_mailed_to_a_user_without_email(admin_user, admin_client):
    admin_user.email = ""
    admin_user.save(update_fields=["email"])
    job = _export(admin_user)
    page = admin_client.get(reverse("clients:job", args=[job.pk])).content.decode()
    assert "su usuario no tiene e-mail" in page and "Se envió por e-mail" not in page
