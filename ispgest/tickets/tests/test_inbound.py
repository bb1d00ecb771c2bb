"""A client's e-mail reply joins its ticket through messaging.signals.email_received."""

import pytest
from django.core.files.base import ContentFile

from ispgest.messaging.models import EmailAttachment, EmailMessage
from ispgest.messaging.signals import email_received
from ispgest.tickets import inbound, services
from ispgest.tickets.models import Status, TicketMessage
from ispgest.tickets.tests.conftest import HTML_BYTES, PDF_BYTES

pytestmark = pytest.mark.django_db


def _received(*, subject, sender, body="Sigue sin funcionar.", client=None):
    return EmailMessage.objects.create(
        direction=EmailMessage.Direction.INBOUND,
        status=EmailMessage.Status.RECEIVED,
        from_email=sender,
        to=["soporte@isp.test"],
        subject=subject,
        body_text=body,
        client=client,
    )


@pytest.fixture
def ticket(tech, subscriber):
    ticket = services.ticket_create(
        actor=tech, client=subscriber, subject="Sin internet", body="No navega."
    )
    services.ticket_reply(actor=tech, ticket=ticket, body="¿Reinició?", status=Status.WAITING)
    return ticket


def test_a_reply_to_a_ticket_email_joins_the_ticket(ticket, subscriber):
    ours = ticket.messages.filter(email__isnull=False).last().email
    mail = _received(
        subject="Re: algo",
        sender="Ana Pérez <ANA@correo.test>",
        body="Sí, reinicié.\n\nEl lun, 1 dic 2026 a las 10:00, Soporte escribió:\n> ¿Reinició?",
    )
    email_received.send(sender=EmailMessage, message=mail, reply_to=ours)
    message = ticket.messages.last()
    assert message.author_client == subscriber and message.email == mail
    assert message.body == "Sí, reinicié."
    ticket.refresh_from_db()
    assert ticket.status == Status.OPEN


def test_a_subject_tag_joins_the_ticket_with_its_checked_attachments(ticket, subscriber):
    mail = _received(subject=f"RE: [#{ticket.pk}] Sin internet", sender="ana@correo.test")
    for name, data in [("captura.pdf", PDF_BYTES), ("pagina.pdf", HTML_BYTES)]:
        row = EmailAttachment(message=mail, filename=name, mimetype="application/pdf", size=9)
        row.file.save("x.bin", ContentFile(data), save=False)
        row.save()
    email_received.send(sender=EmailMessage, message=mail, reply_to=None)
    message = ticket.messages.last()
    assert message.from_client
    assert [a.original_name for a in message.attachments.all()] == ["captura.pdf"]


def test_a_stranger_cannot_write_into_a_ticket_by_its_number(ticket):
    count = ticket.messages.count()
    mail = _received(subject=f"[#{ticket.pk}] hola", sender="otro@malo.test")
    email_received.send(sender=EmailMessage, message=mail, reply_to=None)
    assert ticket.messages.count() == count
    assert inbound.find_ticket(mail) is None


def test_a_mail_without_ticket_is_left_alone(subscriber):
    mail = _received(subject="Consulta", sender="ana@correo.test")
    assert inbound.on_email_received(sender=EmailMessage, message=mail) is None
    assert TicketMessage.objects.filter(email=mail).count() == 0


def test_a_closed_ticket_takes_no_reply(ticket, tech):
    services.ticket_transition(actor=tech, ticket=ticket, to_status=Status.CLOSED)
    mail = _received(subject=f"[#{ticket.pk}]", sender="ana@correo.test")
    email_received.send(sender=EmailMessage, message=mail, reply_to=None)
    assert not TicketMessage.objects.filter(email=mail).exists()
