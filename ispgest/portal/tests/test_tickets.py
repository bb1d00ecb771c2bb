"""Tickets in the portal: open with an attachment, follow, reply; staff's internal notes are
never shown; another client's tickets and files are a 404; bad files are refused."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from ispgest.tickets import services
from ispgest.tickets.models import Ticket, TicketAttachment, TicketCategory

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def _open(portal_client, **extra):
    category, _ = TicketCategory.objects.get_or_create(name="Sin conexión")
    data = {
        "subject": "No tengo internet",
        "category": category.pk,
        "body": "Desde ayer no navega.",
        **extra,
    }
    return portal_client.post(reverse("portal:ticket_new"), data)


def test_a_client_opens_a_ticket_with_an_attachment_and_follows_it(portal_client, alice):
    factura = SimpleUploadedFile("captura.pdf", PDF, content_type="application/pdf")
    response = _open(portal_client, files=[factura])
    ticket = Ticket.objects.get(client=alice.client)
    assert response.status_code == 302 and response.url == reverse(
        "portal:ticket_detail", args=[ticket.pk]
    )
    assert ticket.subject == "No tengo internet" and ticket.category.name == "Sin conexión"
    (att,) = TicketAttachment.objects.filter(ticket=ticket)
    page = portal_client.get(response.url).content.decode()
    assert "Desde ayer no navega." in page
    assert reverse("portal:ticket_attachment", args=[att.pk]) in page
    download = portal_client.get(reverse("portal:ticket_attachment", args=[att.pk]))
    assert download.status_code == 200 and b"".join(download.streaming_content) == PDF
    listing = portal_client.get(reverse("portal:tickets")).content.decode()
    assert "No tengo internet" in listing


def test_the_client_sees_public_replies_and_never_internal_notes(portal_client, alice, make_user):
    _open(portal_client)
    ticket = Ticket.objects.get(client=alice.client)
    tech = make_user("Técnico")
    services.ticket_reply(actor=tech, ticket=ticket, body="Revisamos la antena mañana.")
    services.ticket_reply(
        actor=tech, ticket=ticket, body="NOTA INTERNA: cliente moroso", internal=True
    )
    page = portal_client.get(reverse("portal:ticket_detail", args=[ticket.pk])).content.decode()
    assert "Revisamos la antena mañana." in page
    assert "NOTA INTERNA" not in page
    reply = portal_client.post(
        reverse("portal:ticket_detail", args=[ticket.pk]), {"body": "Gracias, espero."}
    )
    assert reply.status_code == 302
    assert ticket.messages.filter(body="Gracias, espero.", author_client=alice.client).exists()


def test_another_clients_ticket_and_attachment_are_404(portal_client, alice, bob):
    other = services.ticket_create_for_client(
        client=bob.client,
        subject="Ticket de Bruno",
        body="x",
        files=[SimpleUploadedFile("b.pdf", PDF, content_type="application/pdf")],
    )
    att = TicketAttachment.objects.get(ticket=other)
    assert portal_client.get(reverse("portal:ticket_detail", args=[other.pk])).status_code == 404
    assert (
        portal_client.post(reverse("portal:ticket_detail", args=[other.pk]), {"body": "hola"})
    ).status_code == 404
    assert portal_client.get(reverse("portal:ticket_attachment", args=[att.pk])).status_code == 404
    assert "Ticket de Bruno" not in portal_client.get(reverse("portal:tickets")).content.decode()


def test_an_html_file_named_pdf_is_refused_and_nothing_is_written(portal_client, alice):
    fake = SimpleUploadedFile("factura.pdf", b"<html><script>alert(1)</script></html>")
    response = _open(portal_client, files=[fake])
    assert response.status_code == 200
    assert not Ticket.objects.filter(client=alice.client).exists()
    assert "Adjuntos" in response.content.decode()


def test_an_oversized_attachment_is_refused_stating_the_limit(portal_client, alice, settings):
    settings.ISPGEST_UPLOAD_MAX_BYTES = 1024
    big = SimpleUploadedFile("grande.pdf", PDF + b"0" * 4096, content_type="application/pdf")
    response = _open(portal_client, files=[big])
    assert response.status_code == 200
    assert "1 KB" in response.content.decode() or "1,0 KB" in response.content.decode()
    assert not Ticket.objects.filter(client=alice.client).exists()


def test_a_script_in_a_message_is_escaped(portal_client, alice):
    _open(portal_client, body="<script>alert('x')</script>")
    ticket = Ticket.objects.get(client=alice.client)
    page = portal_client.get(reverse("portal:ticket_detail", args=[ticket.pk])).content.decode()
    assert "<script>alert('x')</script>" not in page and "&lt;script&gt;" in page
