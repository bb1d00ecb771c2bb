"""Receiving mail from a real Dovecot on loopback: matching, threading, sanitising,
limits, faults and idempotency."""

from email.message import EmailMessage as Mime
from email.utils import make_msgid

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from ispgest.clients import emailmatch
from ispgest.clients.models import ClientEvent, Contact
from ispgest.clients.selectors import clients_by_email
from ispgest.messaging import inbound
from ispgest.messaging.models import EmailMessage, Mailbox, RepositoryFile
from ispgest.messaging.signals import email_received
from ispgest.messaging.tests.conftest import ELF_BYTES, PDF_BYTES

pytestmark = pytest.mark.django_db


def mime(
    *,
    sender="ana@example.com",
    subject="Consulta",
    text="Hola, tengo una duda.",
    html=None,
    msgid=None,
    in_reply_to=None,
    attachments=(),
) -> bytes:
    msg = Mime()
    msg["From"] = f"Ana Pérez <{sender}>"
    msg["To"] = "atencion@isp.test"
    msg["Subject"] = subject
    msg["Message-ID"] = msgid or make_msgid(domain="example.com")
    if in_reply_to:
        msg["In-Reply-To"] = in_reply_to
        msg["References"] = in_reply_to
    msg.set_content(text)
    if html:
        msg.add_alternative(html, subtype="html")
    for name, data, maintype, subtype in attachments:
        msg.add_attachment(data, maintype=maintype, subtype=subtype, filename=name)
    return msg.as_bytes()


def test_a_message_from_a_client_is_stored_on_it_with_its_attachment(
    imap_server, mailbox, subscriber
):
    imap_server.append(mime(attachments=[("contrato.pdf", PDF_BYTES, "application", "pdf")]))
    result = inbound.mailbox_poll(mailbox)
    assert (result.stored, result.error) == (1, "")
    message = EmailMessage.objects.get()
    assert message.client == subscriber and message.status == EmailMessage.Status.RECEIVED
    assert message.direction == "in" and message.subject == "Consulta"
    assert "tengo una duda" in message.body_text
    (att,) = message.attachments.all()
    assert att.mimetype == "application/pdf"
    listed = RepositoryFile.objects.get(client=subscriber)
    assert listed.tag == "Adjunto de correo" and listed.source == RepositoryFile.Source.MAIL
    with listed.file.open("rb") as fh:
        assert fh.read() == PDF_BYTES
    assert ClientEvent.objects.filter(client=subscriber, action="email.received").exists()
    mailbox.refresh_from_db()
    assert mailbox.last_uid == 1 and mailbox.last_error == "" and mailbox.uidvalidity


def test_contact_and_notify_addresses_match_too(imap_server, mailbox, make_client):
    by_notify = make_client(email="a@example.com", notify_emails="admin@empresa.test")
    by_contact = make_client(email="b@example.com")
    Contact.objects.create(client=by_contact, name="Luis", email="Luis@Otra.test")
    imap_server.append(mime(sender="admin@empresa.test"))
    imap_server.append(mime(sender="luis@otra.test"))
    inbound.mailbox_poll(mailbox)
    assert set(EmailMessage.objects.values_list("client_id", flat=True)) == {
        by_notify.pk,
        by_contact.pk,
    }


def test_a_sender_of_two_clients_goes_to_unassigned_with_both_suggested(
    imap_server, mailbox, make_client, admin_client
):
    one = make_client(email="uno@example.com", notify_emails="comun@example.com")
    two = make_client(email="dos@example.com")
    Contact.objects.create(client=two, name="Común", email="comun@example.com")
    imap_server.append(mime(sender="comun@example.com", subject="¿De quién soy?"))
    inbound.mailbox_poll(mailbox)
    message = EmailMessage.objects.get()
    assert message.client is None and sorted(message.suggested_clients) == [one.pk, two.pk]
    page = admin_client.get(reverse("messaging:unassigned_list")).content.decode()
    assert "¿De quién soy?" in page
    detail = admin_client.get(reverse("messaging:unassigned_detail", args=[message.pk]))
    html = detail.content.decode()
    assert one.name in html and two.name in html


def test_a_notify_address_matches_a_whole_entry_only_and_without_regard_to_case(make_client):
    juana = make_client(email="j@example.com", notify_emails="juana@x.com,pagos@y.com")
    assert clients_by_email("ana@x.com") == []
    assert clients_by_email("juana@x.co") == []
    assert clients_by_email("juana@x.com,pagos@y.com") == []
    assert clients_by_email("  JUANA@X.com ") == [juana.pk]
    assert clients_by_email("Pagos@Y.com") == [juana.pk]


def test_a_notify_value_written_with_blanks_and_capitals_still_matches_entry_by_entry(
    make_client,
):
    """parse_notify_emails stores "a@x.com,b@y.com"; a value saved past it (raw .save(), SQL)
    matches as the entries stripped and lower-cased."""
    client = make_client(email="c@example.com", notify_emails=" Uno@X.com ,\tdos@y.com\n")
    assert clients_by_email("uno@x.com") == [client.pk]
    assert clients_by_email("DOS@y.com") == [client.pk]
    assert clients_by_email("uno@x.com ,") == []


def test_only_an_active_contact_matches_and_its_case_does_not_matter(make_client):
    active = make_client(email="a@example.com")
    gone = make_client(email="b@example.com")
    Contact.objects.create(client=active, name="Luis", email="Luis@Otra.test")
    Contact.objects.create(client=gone, name="Vieja", email="vieja@otra.test", active=False)
    assert clients_by_email("LUIS@otra.test") == [active.pk]
    assert clients_by_email("vieja@otra.test") == []
    assert clients_by_email("B@Example.com") == [gone.pk]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="index plans: PostgreSQL")
def test_every_sender_look_up_is_an_index_scan(make_client):
    client = make_client(email="a@example.com", notify_emails="admin@empresa.test")
    Contact.objects.create(client=client, name="Luis", email="luis@otra.test")
    with CaptureQueriesContext(connection) as queries:
        assert clients_by_email("Admin@Empresa.test") == [client.pk]
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")  # a tiny table is read whole otherwise
        plans = []
        for query in queries.captured_queries:
            cursor.execute("EXPLAIN " + query["sql"])
            plans.append("\n".join(row[0] for row in cursor.fetchall()))
    assert len(plans) == 3, plans
    assert not [p for p in plans if "Seq Scan" in p], plans
    for index in ("uniq_client_email_ci", "contact_email_ci", emailmatch.INDEX):
        assert [p for p in plans if index in p], (index, plans)


def test_an_unknown_sender_is_assigned_and_added_as_contact(
    imap_server, mailbox, subscriber, admin_client
):
    imap_server.append(
        mime(
            sender="nuevo@desconocido.test",
            attachments=[("foto.pdf", PDF_BYTES, "application", "pdf")],
        )
    )
    inbound.mailbox_poll(mailbox)
    message = EmailMessage.objects.get()
    assert message.client is None and not RepositoryFile.objects.exists()
    response = admin_client.post(
        reverse("messaging:unassigned_detail", args=[message.pk]),
        {"client": subscriber.pk, "add_contact": "on"},
    )
    assert response.status_code == 302
    message.refresh_from_db()
    assert message.client == subscriber
    assert subscriber.contacts.filter(email="nuevo@desconocido.test").exists()
    assert RepositoryFile.objects.filter(client=subscriber, source="mail").count() == 1
    # the next message from that address finds the client by itself
    imap_server.append(mime(sender="nuevo@desconocido.test", subject="Otra"))
    inbound.mailbox_poll(mailbox)
    assert EmailMessage.objects.get(subject="Otra").client == subscriber


def test_assigning_to_a_missing_client_is_refused_naming_the_field(
    imap_server, mailbox, admin_client
):
    imap_server.append(mime(sender="x@nadie.test"))
    inbound.mailbox_poll(mailbox)
    message = EmailMessage.objects.get()
    response = admin_client.post(
        reverse("messaging:unassigned_detail", args=[message.pk]), {"client": 999999}
    )
    assert response.status_code == 400
    assert "Número de cliente" in response.content.decode()
    message.refresh_from_db()
    assert message.client is None


def test_script_and_tracking_pixel_are_sanitised(imap_server, mailbox, subscriber, admin_client):
    html = (
        '<p onclick="steal()">Hola <b>equipo</b></p><script>alert("x")</script>'
        '<img src="https://tracker.example/pixel.gif?u=1" width="1" height="1">'
        '<a href="javascript:alert(1)">enlace</a><img src="cid:logo1">'
    )
    imap_server.append(mime(html=html))
    inbound.mailbox_poll(mailbox)
    message = EmailMessage.objects.get()
    stored = message.body_html
    assert "<b>equipo</b>" in stored
    for bad in ("<script", "alert(", "onclick", "tracker.example", "javascript:"):
        assert bad not in stored
    assert 'src="cid:logo1"' in stored
    page = admin_client.get(reverse("messaging:message_detail", args=[message.pk])).content
    assert b"tracker.example" not in page and b"<script>alert" not in page


def test_a_30_mb_message_is_refused_and_recorded(imap_server, mailbox, subscriber, settings):
    big = mime(
        subject="Fotos enormes",
        attachments=[("x.pdf", b"%PDF" + b"0" * (30 << 20), "application", "pdf")],
    )
    imap_server.append(big)
    imap_server.append(mime(subject="Pequeño"))
    result = inbound.mailbox_poll(mailbox)
    assert (result.refused, result.stored) == (1, 1)
    refused = EmailMessage.objects.get(subject="Fotos enormes")
    assert refused.status == EmailMessage.Status.REFUSED and refused.size > 30 << 20
    assert "Mensaje rechazado" in refused.error and refused.body_text == ""
    assert not refused.attachments.exists()
    # a second poll neither records it again nor loses the small one
    inbound.mailbox_poll(mailbox)
    assert EmailMessage.objects.count() == 2


def test_imap_down_is_visible_retried_and_loses_nothing(
    imap_server, mailbox, subscriber, admin_client
):
    imap_server.append(mime(subject="Mientras caído"))
    imap_server.stop()
    result = inbound.mailbox_poll(mailbox)
    assert result.error and "rechazó la conexión" in result.error
    mailbox.refresh_from_db()
    assert mailbox.failures == 1 and mailbox.last_error == result.error
    assert mailbox.poll_lease_until is None
    page = admin_client.get(reverse("messaging:mailbox_list")).content.decode()
    assert "rechazó la conexión" in page
    assert (
        "rechazó la conexión"
        in admin_client.get(reverse("messaging:unassigned_list")).content.decode()
    )
    imap_server.start()
    result = inbound.mailbox_poll(mailbox)
    assert (result.error, result.stored) == ("", 1)
    mailbox.refresh_from_db()
    assert mailbox.failures == 0 and mailbox.last_error == ""
    assert EmailMessage.objects.get().subject == "Mientras caído"


def test_the_scheduled_job_fails_visibly_when_every_mailbox_is_down(imap_server, mailbox):
    from ispgest.messaging.tasks import mailboxes_poll

    imap_server.stop()
    with pytest.raises(RuntimeError, match="Atención"):
        mailboxes_poll.call()


def test_the_same_message_fetched_twice_is_stored_once(imap_server, mailbox, subscriber):
    raw = mime(msgid="<unico@example.com>")
    imap_server.append(raw)
    imap_server.append(raw)  # the same message twice in the folder
    inbound.mailbox_poll(mailbox)
    # an interrupted poll that did not record its progress, and a second poller
    Mailbox.objects.filter(pk=mailbox.pk).update(last_uid=0)
    mailbox.refresh_from_db()
    result = inbound.mailbox_poll(mailbox)
    assert result.stored == 0 and result.duplicates == 2
    # another mailbox reading the same message
    other = Mailbox.objects.get(pk=mailbox.pk)
    other.pk = None
    other.name = "Otro"
    other.uidvalidity, other.last_uid = None, 0
    other.save()
    inbound.mailbox_poll(other)
    assert EmailMessage.objects.filter(message_id="<unico@example.com>").count() == 1


def test_a_uidvalidity_change_rereads_without_duplicates(imap_server, mailbox, subscriber):
    imap_server.append(mime(subject="Antes"))
    inbound.mailbox_poll(mailbox)
    Mailbox.objects.filter(pk=mailbox.pk).update(uidvalidity=1, last_uid=99)
    mailbox.refresh_from_db()
    imap_server.append(mime(subject="Después"))
    result = inbound.mailbox_poll(mailbox)
    assert (result.stored, result.duplicates) == (1, 1)
    mailbox.refresh_from_db()
    assert mailbox.uidvalidity != 1 and mailbox.last_uid == 2
    assert sorted(EmailMessage.objects.values_list("subject", flat=True)) == ["Antes", "Después"]


def test_a_busy_mailbox_is_left_to_its_poller(imap_server, mailbox):
    from django.utils import timezone

    Mailbox.objects.filter(pk=mailbox.pk).update(poll_lease_until=timezone.now() + inbound.LEASE)
    imap_server.append(mime())
    assert inbound.mailbox_poll(mailbox).skipped
    assert not EmailMessage.objects.exists()


def test_an_executable_attachment_is_not_kept(imap_server, mailbox, subscriber):
    imap_server.append(mime(attachments=[("factura.pdf", ELF_BYTES, "application", "pdf")]))
    inbound.mailbox_poll(mailbox)
    message = EmailMessage.objects.get()
    assert not message.attachments.exists() and not RepositoryFile.objects.exists()
    assert "factura.pdf" in message.error and "no está permitido" in message.error


def test_a_path_in_an_attachment_name_is_stored_under_a_generated_name(
    imap_server, mailbox, subscriber
):
    imap_server.append(mime(attachments=[("../../x", PDF_BYTES, "application", "pdf")]))
    inbound.mailbox_poll(mailbox)
    att = EmailMessage.objects.get().attachments.get()
    assert ".." not in att.file.name and att.file.name.startswith("mail/in/")
    assert att.filename == "x.pdf"


def test_a_reply_joins_the_thread_of_our_message_and_the_signal_fires(
    imap_server, mailbox, make_client, admin_user, smtp_server
):
    from ispgest.messaging.mail import Outgoing, client_mail_send

    client = make_client(email="ana@example.com")
    ours = client_mail_send(
        actor=admin_user, client=client, outgoing=Outgoing(subject="Su alta", body="Bienvenida")
    )
    heard = []
    email_received.connect(lambda sender, **kw: heard.append(kw), weak=False, dispatch_uid="t")
    try:
        # the reply comes from an address of nobody: the thread still finds the client
        imap_server.append(
            mime(sender="otra@direccion.test", subject="Re: Su alta", in_reply_to=ours.message_id)
        )
        inbound.mailbox_poll(mailbox)
    finally:
        email_received.disconnect(dispatch_uid="t")
    reply = EmailMessage.objects.get(direction="in")
    assert reply.thread == ours and reply.client == client
    assert heard and heard[0]["message"] == reply and heard[0]["reply_to"] == ours
