from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from ispgest.accounts.models import ApiToken
from ispgest.messaging.models import EmailMessage
from ispgest.tickets import services
from ispgest.tickets.models import Status, Ticket, TicketCategory, TicketMessage
from ispgest.tickets.tests.conftest import HTML_BYTES, PDF_BYTES

pytestmark = pytest.mark.django_db


def _auth(user) -> dict:
    _token, raw = ApiToken.issue(user=user, name="t")
    return {"HTTP_AUTHORIZATION": f"Bearer {raw}"}


def _open(actor, client=None, **extra) -> Ticket:
    extra.setdefault("notify", False)
    extra.setdefault("subject", "Sin internet")
    return services.ticket_create(actor=actor, client=client, body="No navega.", **extra)


def test_a_script_in_a_message_is_escaped_on_the_ticket_page(client, tech, subscriber):
    ticket = _open(tech, subscriber, subject="<b>asunto</b>")
    services.ticket_client_reply(
        client=subscriber, ticket=ticket, body="<script>alert('x')</script>"
    )
    client.force_login(tech)
    html = client.get(reverse("tickets:detail", args=[ticket.pk])).content.decode()
    assert "<script>alert" not in html
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in html
    assert "&lt;b&gt;asunto&lt;/b&gt;" in html
    # The page links back to the client's workspace section.
    assert reverse("clients:section", args=[subscriber.pk, "tickets"]) in html


def test_the_list_filters(client, tech, admin_user, subscriber, make_client):
    category, _ = TicketCategory.objects.get_or_create(name="Instalación")
    urgent = _open(tech, subscriber, subject="Antena caída", priority="urgente", assignee=tech)
    other = _open(admin_user, make_client(name="Bruno Díaz"), subject="Factura", category=category)
    closed = _open(tech, subscriber, subject="Viejo")
    services.ticket_transition(actor=tech, ticket=closed, to_status=Status.CLOSED)
    Ticket.objects.filter(pk=other.pk).update(due_at=timezone.now() - timedelta(hours=1))
    client.force_login(tech)

    def ids(**params):
        page = client.get(reverse("tickets:list"), params)
        assert page.status_code == 200
        return [t.pk for t in page.context["tickets"]]

    assert ids() == [other.pk, urgent.pk]  # active by default, newest first
    assert ids(status="") == [closed.pk, other.pk, urgent.pk]
    assert ids(status="cerrado") == [closed.pk]
    assert ids(priority="urgente") == [urgent.pk]
    assert ids(assignee=str(tech.pk)) == [urgent.pk]
    assert ids(assignee="ninguno") == [other.pk]
    assert ids(category=str(category.pk)) == [other.pk]
    assert ids(overdue="on") == [other.pk]
    assert ids(q="bruno") == [other.pk]
    assert ids(q=f"#{urgent.pk}") == [urgent.pk]
    mine = client.get(reverse("tickets:mine"))
    assert [t.pk for t in mine.context["tickets"]] == [urgent.pk]
    assert 'for="id_q"' in mine.content.decode()


def test_a_staff_reply_and_an_internal_note_from_the_page(
    client, tech, subscriber, smtp_server, django_capture_on_commit_callbacks
):
    ticket = _open(tech, subscriber)
    client.force_login(tech)
    url = reverse("tickets:reply", args=[ticket.pk])
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            url,
            {
                "body": "Visita mañana.",
                "status": "en_espera",
                "files": [SimpleUploadedFile("orden.pdf", PDF_BYTES)],
            },
        )
        assert response.status_code == 302
        client.post(url, {"body": "Llevar escalera.", "internal": "on"})
    ticket.refresh_from_db()
    assert ticket.status == Status.WAITING
    assert [m.kind for m in ticket.messages.all()] == ["public", "public", "internal"]
    assert len(smtp_server.received) == 1
    assert "Visita mañana." in smtp_server.received[0].text()
    assert "escalera" not in smtp_server.received[0].text()
    attachment = ticket.attachments.get()
    download = client.get(reverse("tickets:attachment", args=[attachment.pk]))
    assert download.status_code == 200
    assert download["Content-Disposition"].startswith("attachment")
    assert download["X-Content-Type-Options"] == "nosniff"


def test_a_refused_attachment_keeps_the_page_and_writes_nothing(client, tech, subscriber):
    ticket = _open(tech, subscriber)
    client.force_login(tech)
    response = client.post(
        reverse("tickets:reply", args=[ticket.pk]),
        {"body": "ver adjunto", "files": [SimpleUploadedFile("factura.pdf", HTML_BYTES)]},
    )
    assert response.status_code == 400
    assert "HTML, SVG o XML no están permitidos" in response.content.decode()
    assert ticket.messages.count() == 1


def test_a_forbidden_transition_is_refused_with_a_message(client, tech, subscriber):
    ticket = _open(tech, subscriber)
    services.ticket_transition(actor=tech, ticket=ticket, to_status=Status.CLOSED)
    client.force_login(tech)
    response = client.post(
        reverse("tickets:transition", args=[ticket.pk]), {"status": "abierto"}, follow=True
    )
    assert "No se puede pasar de «Cerrado» a «Abierto»." in response.content.decode()
    ticket.refresh_from_db()
    assert ticket.status == Status.CLOSED


def test_downloads_and_pages_are_scoped(client, make_user, make_client, tech):
    from ispgest.catalog.models import Seller

    mine, other = Seller.objects.create(name="Mía"), Seller.objects.create(name="Otra")
    seller = make_user("Vendedor", seller=mine)
    theirs = _open(tech, make_client(seller=other), files=[SimpleUploadedFile("a.pdf", PDF_BYTES)])
    client.force_login(seller)
    assert client.get(reverse("tickets:detail", args=[theirs.pk])).status_code == 404
    att = theirs.attachments.get()
    assert client.get(reverse("tickets:attachment", args=[att.pk])).status_code == 404
    client.force_login(make_user(None))
    assert client.get(reverse("tickets:attachment", args=[att.pk])).status_code == 403


def test_the_client_workspace_has_a_tickets_section_and_new_ticket_inside_it(
    client, tech, subscriber
):
    ticket = _open(tech, subscriber, subject="Corte de fibra")
    client.force_login(tech)
    section = client.get(reverse("clients:section", args=[subscriber.pk, "tickets"]))
    html = section.content.decode()
    assert section.status_code == 200 and "Corte de fibra" in html
    assert reverse("tickets:client_create", args=[subscriber.pk]) in html
    form = client.get(reverse("tickets:client_create", args=[subscriber.pk]))
    assert form.status_code == 200 and form.context["in_workspace"]
    page = form.content.decode()
    for field in ("subject", "category", "priority", "contract", "assignee", "body", "files"):
        assert f'for="id_{field}"' in page
    response = client.post(
        reverse("tickets:client_create", args=[subscriber.pk]),
        {"subject": "", "body": "x", "priority": "normal"},
    )
    assert response.status_code == 400 and response.context["in_workspace"]
    assert "Este campo es obligatorio." in response.content.decode() or "Indique" in (
        response.content.decode()
    )
    response = client.post(
        reverse("tickets:client_create", args=[subscriber.pk]),
        {"subject": "Mudanza", "body": "Se muda el 5.", "priority": "alta"},
    )
    created = Ticket.objects.exclude(pk=ticket.pk).get()
    assert response.url == reverse("tickets:detail", args=[created.pk])
    assert created.client == subscriber and created.priority == "alta"


def test_the_dashboard_card_counts_open_and_overdue(client, tech, subscriber):
    a = _open(tech, subscriber, assignee=tech)
    _open(tech, subscriber)
    Ticket.objects.filter(pk=a.pk).update(due_at=timezone.now() - timedelta(minutes=5))
    client.force_login(tech)
    from ispgest.core.dashboard import collect

    request = client.get(reverse("home")).wsgi_request
    [card] = [c for c in collect(request).cards["work"] if c.key == "tickets-open"]
    assert card.value == "2" and card.hint == "1 vencidos · 1 míos" and card.level == "danger"


def test_the_api_lists_creates_reads_replies_transitions_and_assigns(
    client, tech, subscriber, make_user
):
    headers = _auth(tech)
    created = client.post(
        "/api/v1/tickets/",
        {"subject": "Lento", "body": "Va lento", "client": subscriber.pk, "priority": "alta"},
        content_type="application/json",
        **headers,
    )
    assert created.status_code == 201, created.content
    pk = created.json()["id"]
    assert created.json()["status"] == "nuevo" and created.json()["source"] == "api"
    listed = client.get("/api/v1/tickets/", {"priority": "alta"}, **headers).json()
    assert [t["id"] for t in listed["items"]] == [pk]
    reply = client.post(
        f"/api/v1/tickets/{pk}/messages",
        {"body": "Nota", "internal": "true", "files": [SimpleUploadedFile("a.pdf", PDF_BYTES)]},
        **headers,
    )
    assert reply.status_code == 201, reply.content
    assert reply.json()["kind"] == "internal" and len(reply.json()["attachments"]) == 1
    assert not EmailMessage.objects.filter(body_text__contains="Nota").exists()
    detail = client.get(f"/api/v1/tickets/{pk}", **headers).json()
    assert [m["kind"] for m in detail["messages"]] == ["public", "internal"]
    moved = client.post(
        f"/api/v1/tickets/{pk}/transition",
        {"status": "resuelto"},
        content_type="application/json",
        **headers,
    )
    assert moved.json()["status"] == "resuelto"
    refused = client.post(
        f"/api/v1/tickets/{pk}/transition",
        {"status": "nuevo"},
        content_type="application/json",
        **headers,
    )
    assert refused.status_code == 422 and refused.json()["field"] == "status"
    assigned = client.post(
        f"/api/v1/tickets/{pk}/assign",
        {"assignee": tech.pk},
        content_type="application/json",
        **headers,
    )
    assert assigned.json()["assignee"] == tech.pk
    collector = _auth(make_user("Recaudador"))
    forbidden = client.post(
        f"/api/v1/tickets/{pk}/assign",
        {"assignee": None},
        content_type="application/json",
        **collector,
    )
    assert forbidden.status_code == 403
    assert TicketMessage.objects.filter(ticket_id=pk).count() == 2


def test_the_api_refuses_a_client_outside_the_scope(client, make_user, make_client):
    from ispgest.catalog.models import Seller

    seller = make_user("Vendedor", seller=Seller.objects.create(name="Mía"))
    stranger = make_client(seller=Seller.objects.create(name="Otra"))
    response = client.post(
        "/api/v1/tickets/",
        {"subject": "x", "body": "y", "client": stranger.pk},
        content_type="application/json",
        **_auth(seller),
    )
    assert response.status_code == 422 and response.json()["field"] == "client"
    assert Ticket.objects.count() == 0


def test_categories_and_due_times_pages(client, admin_user, tech):
    client.force_login(admin_user)
    response = client.post(reverse("tickets:category_create"), {"name": "Fibra", "active": "on"})
    assert response.status_code == 302
    assert TicketCategory.objects.filter(name="Fibra", active=True).exists()
    again = client.post(reverse("tickets:category_create"), {"name": "fibra"})
    assert again.status_code == 400 and "Ya existe" in again.content.decode()
    hours = {"hours_baja": 100, "hours_normal": 30, "hours_alta": 8, "hours_urgente": 2}
    assert client.post(reverse("tickets:due_times"), hours).status_code == 302
    assert services.due_hours("normal") == 30
    client.force_login(tech)
    assert client.get(reverse("tickets:due_times")).status_code == 403
