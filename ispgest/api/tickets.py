"""Ticket endpoints under /api/v1/tickets/: list (with the page's filters), create, read (with
its thread), reply (public or internal note, optional attachments), transition, assign,
attachment download.

Same services, rules and visibility as the pages (tickets/selectors.visible_tickets): a
ticket of a client the user may not see answers 404.
"""

from datetime import datetime

from django.http import Http404
from django.shortcuts import get_object_or_404
from ninja import Field, File, Form, Router, Schema, Status
from ninja.files import UploadedFile
from ninja.pagination import paginate

from ispgest.api.base import require_perms
from ispgest.clients.scoping import visible_clients
from ispgest.contracts.models import Contract
from ispgest.core import uploads
from ispgest.core.exceptions import DomainError
from ispgest.tickets import selectors, services
from ispgest.tickets.models import Priority, Ticket, TicketAttachment
from ispgest.tickets.models import Status as TicketStatus

router = Router(tags=["tickets"])


def _ticket(request, pk: int) -> Ticket:
    try:
        return selectors.ticket_detail(request.user, pk)
    except Ticket.DoesNotExist as exc:
        raise Http404 from exc


class TicketOut(Schema):
    id: int
    client: int | None = Field(None, alias="client_id")
    contract: int | None = Field(None, alias="contract_id")
    subject: str
    category: int | None = Field(None, alias="category_id")
    priority: str
    status: str
    assignee: int | None = Field(None, alias="assignee_id")
    source: str
    due_at: datetime | None
    is_overdue: bool
    resolved_at: datetime | None
    closed_at: datetime | None
    last_message_at: datetime | None
    created_at: datetime
    updated_at: datetime


class TicketAttachmentOut(Schema):
    id: int
    original_name: str
    content_type: str
    size: int


class TicketMessageOut(Schema):
    id: int
    kind: str = Field(description="public (visible al cliente) | internal (nota interna)")
    body: str
    author_user: int | None = Field(None, alias="author_user_id")
    author_client: int | None = Field(None, alias="author_client_id")
    created_at: datetime
    attachments: list[TicketAttachmentOut]

    @staticmethod
    def resolve_attachments(obj):
        return list(obj.attachments.all())


class TicketDetailOut(TicketOut):
    messages: list[TicketMessageOut]

    @staticmethod
    def resolve_messages(obj):
        return selectors.thread(obj)


class TicketIn(Schema):
    subject: str
    body: str = Field(description="Primer mensaje (público).")
    client: int | None = Field(None, description="Sin cliente: ticket interno.")
    contract: int | None = None
    category: int | None = None
    priority: Priority = Priority.NORMAL
    assignee: int | None = None
    notify: bool = Field(True, description="Enviar acuse de recibo al e-mail principal.")


class TicketTransitionIn(Schema):
    status: TicketStatus


class TicketAssignIn(Schema):
    assignee: int | None = Field(None, description="null: sin asignar.")


@router.get("/", response=list[TicketOut], url_name="ticket_list")
@paginate
def ticket_list(
    request,
    status: str = "",
    priority: str = "",
    assignee: str = "",
    category: str = "",
    client: str = "",
    overdue: bool = False,
    q: str = "",
):
    """Tickets visibles. `status`: un estado o `activos`; `assignee`: id, `yo` o `ninguno`;
    `q`: `#123`, palabras del asunto o del nombre del cliente."""
    require_perms(request, "tickets.view_ticket")
    filters = selectors.TicketFilters(
        status=status,
        priority=priority,
        assignee=assignee,
        category=category,
        client=client,
        overdue=overdue,
        text=q,
    )
    return selectors.ticket_list(request.user, filters).order_by("id")


@router.post("/", response={201: TicketOut}, url_name="ticket_create")
def ticket_create(request, payload: TicketIn):
    """Abre un ticket (de un cliente visible, o interno sin cliente)."""
    require_perms(request, "tickets.add_ticket")
    client = None
    if payload.client is not None:
        client = visible_clients(request.user).filter(pk=payload.client).first()
        if client is None:
            raise DomainError(f"No existe el cliente {payload.client}.", field="client")
    contract = None
    if payload.contract is not None:
        contract = Contract.objects.filter(pk=payload.contract).first()
        if contract is None:
            raise DomainError(f"No existe el contrato {payload.contract}.", field="contract")
    ticket = services.ticket_create(
        actor=request.user,
        client=client,
        contract=contract,
        subject=payload.subject,
        body=payload.body,
        category=payload.category,
        priority=payload.priority,
        assignee=payload.assignee,
        source=Ticket.Source.API,
        notify=payload.notify,
    )
    return Status(201, ticket)


@router.get("/{int:ticket_id}", response=TicketDetailOut, url_name="ticket_get")
def ticket_get(request, ticket_id: int):
    """El ticket con su conversación completa (incluidas las notas internas)."""
    require_perms(request, "tickets.view_ticket")
    return _ticket(request, ticket_id)


@router.post("/{int:ticket_id}/messages", response={201: TicketMessageOut}, url_name="ticket_reply")
def ticket_reply(
    request,
    ticket_id: int,
    body: str = Form(...),
    internal: bool = Form(False),
    status: TicketStatus | None = Form(None),  # noqa: B008
    files: list[UploadedFile] = File(None),  # noqa: B008 (django-ninja declares parameters this way)
):
    """Responde (multipart o formulario): `internal=true` es una nota interna, que nunca se
    muestra ni se envía al cliente; una respuesta pública se envía a su e-mail principal.
    `status` mueve el ticket después de responder."""
    require_perms(request, "tickets.change_ticket")
    ticket = _ticket(request, ticket_id)
    message = services.ticket_reply(
        actor=request.user,
        ticket=ticket,
        body=body,
        internal=internal,
        files=files or [],
        status=status,
    )
    return Status(201, message)


@router.post("/{int:ticket_id}/transition", response=TicketOut, url_name="ticket_transition")
def ticket_transition(request, ticket_id: int, payload: TicketTransitionIn):
    """Cambia el estado según el mapa de transiciones (reabrir: de resuelto a abierto)."""
    require_perms(request, "tickets.change_ticket")
    return services.ticket_transition(
        actor=request.user, ticket=_ticket(request, ticket_id), to_status=payload.status
    )


@router.post("/{int:ticket_id}/assign", response=TicketOut, url_name="ticket_assign")
def ticket_assign(request, ticket_id: int, payload: TicketAssignIn):
    """Asigna el ticket a un usuario que puede atender tickets (null: sin asignar)."""
    require_perms(request, "tickets.change_ticket")
    return services.ticket_assign(
        actor=request.user, ticket=_ticket(request, ticket_id), assignee=payload.assignee
    )


@router.get(
    "/attachments/{int:attachment_id}/download",
    url_name="ticket_attachment_download",
    response={200: None},
)
def attachment_download(request, attachment_id: int):
    """Descarga un adjunto (Content-Disposition: attachment)."""
    require_perms(request, "tickets.view_ticket")
    attachment = get_object_or_404(
        TicketAttachment.objects.filter(
            ticket__in=selectors.visible_tickets(request.user).values("pk")
        ),
        pk=attachment_id,
    )
    return uploads.download_response(
        attachment.file,
        original_name=attachment.original_name,
        content_type=attachment.content_type,
        fallback="adjunto",
    )
