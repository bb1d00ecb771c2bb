from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from ispgest.clients.models import ClientEvent
from ispgest.core.models import AuditEntry
from ispgest.messaging.models import EmailMessage
from ispgest.tickets import selectors, services, signals
from ispgest.tickets.models import (
    Priority,
    Status,
    Ticket,
    TicketAttachment,
    TicketCategory,
    TicketMessage,
)
from ispgest.tickets.tests.conftest import HTML_BYTES, PDF_BYTES, PNG_BYTES

pytestmark = pytest.mark.django_db


def _open(actor, client, **extra) -> Ticket:
    extra.setdefault("notify", False)
    return services.ticket_create(
        actor=actor, client=client, subject="Sin internet", body="No navega desde ayer.", **extra
    )


def test_it_opens_a_ticket_with_due_time_from_its_priority_and_writes_history(tech, subscriber):
    before = timezone.now()
    ticket = _open(tech, subscriber, priority=Priority.URGENT)
    assert ticket.status == Status.NEW
    assert before + timedelta(hours=4) <= ticket.due_at <= timezone.now() + timedelta(hours=4)
    [message] = ticket.messages.all()
    assert message.kind == TicketMessage.Kind.PUBLIC and message.author_user == tech
    event = ClientEvent.objects.get(client=subscriber, action="ticket.created")
    assert f"#{ticket.pk}" in event.summary and event.object_id == str(ticket.pk)
    assert AuditEntry.objects.filter(action="ticket.created", object_id=str(ticket.pk)).exists()


def test_due_times_are_configurable_and_follow_a_priority_change(admin_user, tech, subscriber):
    services.due_times_save(
        actor=admin_user, hours={"baja": 200, "normal": 10, "alta": 5, "urgente": 1}
    )
    ticket = _open(tech, subscriber)
    assert ticket.due_at == ticket.created_at + timedelta(hours=10) or abs(
        ticket.due_at - ticket.created_at - timedelta(hours=10)
    ) < timedelta(seconds=2)
    ticket = services.ticket_update(actor=tech, ticket=ticket, data={"priority": "alta"})
    assert abs(ticket.due_at - ticket.created_at - timedelta(hours=5)) < timedelta(seconds=2)
    event = ClientEvent.objects.get(client=subscriber, action="ticket.updated")
    assert event.changes["Prioridad"] == ["Normal", "Alta"]


def test_due_times_refuse_a_bad_value_and_keep_the_old_ones(admin_user):
    with pytest.raises(ValidationError) as exc:
        services.due_times_save(
            actor=admin_user, hours={"baja": 200, "normal": "x", "alta": 5, "urgente": 1}
        )
    assert "hours_normal" in exc.value.message_dict
    assert services.due_hours("baja") == 120


def test_an_internal_ticket_has_no_client_and_no_contract(tech):
    ticket = services.ticket_create(actor=tech, subject="Revisar torre norte", body="Antena floja")
    assert ticket.client is None
    assert AuditEntry.objects.filter(action="ticket.created", client_id=None).exists()
    assert list(selectors.visible_tickets(tech)) == [ticket]


def test_bad_input_names_the_field_and_writes_nothing(tech, subscriber, make_client):
    other = make_client()
    cases = [
        ({"subject": "  "}, "subject"),
        ({"body": ""}, "body"),
        ({"priority": "altísima"}, "priority"),
        ({"category": 999999}, "category"),
        ({"assignee": 999999}, "assignee"),
    ]
    for override, field in cases:
        data = {"subject": "Asunto", "body": "Texto", **override}
        with pytest.raises(ValidationError) as exc:
            services.ticket_create(actor=tech, client=subscriber, notify=False, **data)
        assert field in exc.value.message_dict, field
    from ispgest.contracts.models import Contract, Plan

    plan = Plan.objects.create(name="Fibra", price=10, download_kbps=1, upload_kbps=1)
    contract = Contract.objects.create(
        client=other, plan=plan, address="x", start_date="2026-01-01"
    )
    with pytest.raises(ValidationError) as exc:
        _open(tech, subscriber, contract=contract)
    assert exc.value.message_dict["contract"] == ["El contrato no pertenece a este cliente."]
    assert Ticket.objects.count() == 0 and TicketMessage.objects.count() == 0
    assert not ClientEvent.objects.filter(action__startswith="ticket.").exists()


def test_a_deactivated_category_is_refused(tech, subscriber):
    category = TicketCategory.objects.create(name="Vieja", active=False)
    with pytest.raises(ValidationError) as exc:
        _open(tech, subscriber, category=category)
    assert "category" in exc.value.message_dict


def test_the_transition_map_is_enforced(tech, subscriber):
    ticket = _open(tech, subscriber)
    ticket = services.ticket_transition(actor=tech, ticket=ticket, to_status=Status.RESOLVED)
    assert ticket.resolved_at is not None
    ticket = services.ticket_transition(actor=tech, ticket=ticket, to_status=Status.OPEN)
    assert ticket.status == Status.OPEN and ticket.resolved_at is None
    assert ClientEvent.objects.filter(client=subscriber, action="ticket.reopened").exists()
    ticket = services.ticket_transition(actor=tech, ticket=ticket, to_status=Status.CLOSED)
    with pytest.raises(ValidationError) as exc:
        services.ticket_transition(actor=tech, ticket=ticket, to_status=Status.OPEN)
    assert exc.value.message_dict["status"] == ["No se puede pasar de «Cerrado» a «Abierto»."]
    ticket.refresh_from_db()
    assert ticket.status == Status.CLOSED
    with pytest.raises(ValidationError):
        services.ticket_reply(actor=tech, ticket=ticket, body="¿Sigue?")


def test_new_cannot_go_back_to_new(tech, subscriber):
    ticket = _open(tech, subscriber)
    with pytest.raises(ValidationError) as exc:
        services.ticket_transition(actor=tech, ticket=ticket, to_status=Status.NEW)
    assert "status" in exc.value.message_dict


def test_a_public_reply_is_emailed_to_the_principal_address(
    tech, subscriber, smtp_server, django_capture_on_commit_callbacks
):
    ticket = _open(tech, subscriber)
    with django_capture_on_commit_callbacks(execute=True):
        message = services.ticket_reply(
            actor=tech,
            ticket=ticket,
            body="Reiniciamos su equipo.",
            status=Status.WAITING,
        )
    ticket.refresh_from_db()
    assert ticket.status == Status.WAITING
    email = message.email
    assert email.template == "ticket_reply"
    assert email.related_type == "tickets.ticket" and email.related_id == str(ticket.pk)
    assert email.to == ["ana@correo.test"] and email.client == subscriber
    [received] = smtp_server.received
    assert received.rcpt_tos == ["ana@correo.test"]
    assert f"[#{ticket.pk}]" in received.subject
    assert "Reiniciamos su equipo." in received.text()
    assert "Tomás Ruiz" in received.text()


def test_an_internal_note_is_never_emailed(
    tech, subscriber, smtp_server, django_capture_on_commit_callbacks
):
    ticket = _open(tech, subscriber)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        note = services.ticket_reply(
            actor=tech, ticket=ticket, body="Cliente moroso, no prometer visita.", internal=True
        )
    assert callbacks == []
    assert note.kind == TicketMessage.Kind.INTERNAL and note.email is None
    assert smtp_server.received == []
    assert not EmailMessage.objects.filter(body_text__contains="moroso").exists()
    ticket.refresh_from_db()
    assert ticket.status == Status.NEW  # a note does not count as an answer
    assert "moroso" not in " ".join(m.body for m in selectors.public_messages(ticket))


def test_the_client_acknowledgement_is_sent_when_asked(
    tech, subscriber, smtp_server, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        ticket = services.ticket_create(
            actor=tech, client=subscriber, subject="Cambio de plan", body="Quiere 300 Mb."
        )
    [received] = smtp_server.received
    assert f"[#{ticket.pk}]" in received.subject and "Cambio de plan" in received.subject
    assert ticket.messages.get().email.template == "ticket_created"


def test_attachments_are_checked_by_their_bytes(tech, subscriber):
    ticket = _open(
        tech,
        subscriber,
        files=[SimpleUploadedFile("foto.png", PNG_BYTES), SimpleUploadedFile("f.pdf", PDF_BYTES)],
    )
    rows = list(ticket.attachments.order_by("id"))
    assert [r.content_type for r in rows] == ["image/png", "application/pdf"]
    assert rows[0].original_name == "foto.png"
    assert rows[0].file.name.startswith(f"tickets/{ticket.pk}/")
    assert "foto" not in rows[0].file.name


def test_an_html_file_named_pdf_is_refused_and_nothing_is_written(tech, subscriber):
    with pytest.raises(ValidationError) as exc:
        _open(tech, subscriber, files=[SimpleUploadedFile("factura.pdf", HTML_BYTES)])
    assert exc.value.message_dict["files"] == [
        "Los archivos HTML, SVG o XML no están permitidos como adjuntos."
    ]
    assert Ticket.objects.count() == 0 and TicketAttachment.objects.count() == 0


@pytest.mark.parametrize(
    ("name", "data", "error"),
    [
        ("foto.pdf", PNG_BYTES, "no corresponde a su extensión (es Imagen PNG)"),
        ("notas.pdf", b"solo texto", "no corresponde a su extensión (es Texto)"),
        ("programa.exe", b"MZ\x90\x00\x03" + b"\x00" * 200, "no está permitido"),
    ],
)
def test_an_attachment_whose_name_lies_is_refused(tech, subscriber, name, data, error):
    with pytest.raises(ValidationError) as exc:
        _open(tech, subscriber, files=[SimpleUploadedFile(name, data)])
    assert error in exc.value.message_dict["files"][0]


def test_plain_text_and_a_jpeg_named_jpeg_are_accepted(tech, subscriber):
    jpeg = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 100
    ticket = _open(
        tech,
        subscriber,
        files=[SimpleUploadedFile("log.txt", b"ping 8.8.8.8"), SimpleUploadedFile("a.jpeg", jpeg)],
    )
    assert sorted(a.content_type for a in ticket.attachments.all()) == ["image/jpeg", "text/plain"]


def test_a_50_mb_attachment_is_refused_with_the_limit_stated(tech, subscriber):
    ticket = _open(tech, subscriber)
    big = SimpleUploadedFile("grande.pdf", PDF_BYTES + b"0" * (50 * 1024 * 1024))
    with pytest.raises(ValidationError) as exc:
        services.ticket_reply(actor=tech, ticket=ticket, body="Adjunto", files=[big])
    assert exc.value.message_dict["files"] == [
        "El archivo supera el tamaño máximo permitido (10 MB)."
    ]
    assert ticket.messages.count() == 1


def test_a_failed_write_removes_the_stored_files(tech, subscriber, monkeypatch, settings):
    ticket = _open(tech, subscriber)

    def boom(**kwargs):
        raise RuntimeError("falla")

    monkeypatch.setattr(services, "_record", boom)
    with pytest.raises(RuntimeError):
        services.ticket_reply(
            actor=tech, ticket=ticket, body="x", files=[SimpleUploadedFile("a.pdf", PDF_BYTES)]
        )
    folder = settings.MEDIA_ROOT / "tickets" / str(ticket.pk)
    assert not folder.exists() or list(folder.iterdir()) == []
    assert TicketAttachment.objects.count() == 0


def test_assign_only_to_users_who_can_work_tickets(admin_user, tech, subscriber, make_user):
    ticket = _open(admin_user, subscriber)
    collector = make_user("Recaudador")
    with pytest.raises(ValidationError) as exc:
        services.ticket_assign(actor=admin_user, ticket=ticket, assignee=collector)
    assert "assignee" in exc.value.message_dict
    ticket = services.ticket_assign(actor=admin_user, ticket=ticket, assignee=tech)
    assert ticket.assignee == tech
    event = ClientEvent.objects.get(client=subscriber, action="ticket.assigned")
    assert event.changes == {"Asignado a": ["", "tecnico"]}
    ticket = services.ticket_assign(actor=admin_user, ticket=ticket, assignee=None)
    assert ticket.assignee is None


def test_signals_carry_each_event(tech, subscriber):
    seen = []

    def created(sender, ticket, actor, **kw):
        seen.append(("created", ticket.pk, actor))

    def updated(sender, ticket, actor, event, changes, message, **kw):
        seen.append((event, ticket.pk, changes))

    signals.ticket_created.connect(created)
    signals.ticket_updated.connect(updated)
    try:
        ticket = _open(tech, subscriber)
        services.ticket_reply(actor=tech, ticket=ticket, body="Hola")
        services.ticket_reply(actor=tech, ticket=ticket, body="Nota", internal=True)
        services.ticket_transition(actor=tech, ticket=ticket, to_status=Status.RESOLVED)
        services.ticket_client_reply(client=subscriber, ticket=ticket, body="Sigue igual")
    finally:
        signals.ticket_created.disconnect(created)
        signals.ticket_updated.disconnect(updated)
    assert [s[0] for s in seen] == ["created", "reply", "note", "transition", "client_reply"]
    assert seen[1][2] == {"Estado": ["Nuevo", "Abierto"]}
    assert seen[4][2] == {"Estado": ["Resuelto", "Abierto"]}


def test_a_client_reply_is_authored_by_the_client_and_scoped_to_it(tech, subscriber, make_client):
    ticket = _open(tech, subscriber)
    services.ticket_reply(actor=tech, ticket=ticket, body="¿Puede reiniciar?", status="en_espera")
    message = services.ticket_client_reply(client=subscriber, ticket=ticket, body="Ya lo hice")
    assert message.author_client == subscriber and message.author_user is None
    ticket.refresh_from_db()
    assert ticket.status == Status.OPEN
    assert ClientEvent.objects.filter(client=subscriber, action="ticket.client_replied").exists()
    with pytest.raises(Ticket.DoesNotExist):
        services.ticket_client_reply(client=make_client(), ticket=ticket, body="intruso")


def test_client_created_ticket_and_client_selectors(subscriber, make_client, tech):
    other = make_client()
    mine = services.ticket_create_for_client(
        client=subscriber,
        subject="Router",
        body="Luz roja",
        files=[SimpleUploadedFile("r.png", PNG_BYTES)],
    )
    assert mine.source == Ticket.Source.PORTAL and mine.created_by is None
    assert mine.messages.get().author_client == subscriber
    services.ticket_reply(
        actor=tech,
        ticket=mine,
        body="interno",
        internal=True,
        files=[SimpleUploadedFile("n.pdf", PDF_BYTES)],
    )
    theirs = _open(tech, other)
    assert list(selectors.tickets_for_client(subscriber)) == [mine]
    with pytest.raises(Ticket.DoesNotExist):
        selectors.ticket_for_client(subscriber, theirs.pk)
    assert [m.body for m in selectors.public_messages(mine)] == ["Luz roja"]
    public_file = mine.attachments.get(content_type="image/png")
    internal_file = mine.attachments.get(content_type="application/pdf")
    assert selectors.attachment_for_client(subscriber, public_file.pk) == public_file
    with pytest.raises(TicketAttachment.DoesNotExist):
        selectors.attachment_for_client(subscriber, internal_file.pk)
    with pytest.raises(TicketAttachment.DoesNotExist):
        selectors.attachment_for_client(other, public_file.pk)


def test_a_seller_sees_only_its_clients_tickets(make_user, make_client, tech):
    from ispgest.catalog.models import Seller

    mine, other = Seller.objects.create(name="Mía"), Seller.objects.create(name="Otra")
    seller_user = make_user("Vendedor", seller=mine)
    a = _open(tech, make_client(seller=mine))
    _open(tech, make_client(seller=other))
    internal = services.ticket_create(actor=tech, subject="Interno", body="x")
    assert set(selectors.visible_tickets(seller_user)) == {a, internal}
    assert selectors.visible_tickets(make_user(None)).count() == 0
