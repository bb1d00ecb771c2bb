"""Mail and files of the clients: a client's messages (list, read, send), the unassigned
inbox (list, assign) and the repository (list, upload, download, hide). Every write calls
messaging's services, with the same rules and history as the pages."""

from __future__ import annotations

from datetime import datetime

from django.shortcuts import get_object_or_404
from ninja import Field, File, Form, Router, Schema, Status
from ninja.files import UploadedFile
from ninja.pagination import paginate

from ispgest.api.base import require_perms
from ispgest.clients.scoping import visible_clients
from ispgest.core import uploads
from ispgest.core.exceptions import DomainError
from ispgest.messaging import inbound, mail, repository, selectors
from ispgest.messaging.models import EmailMessage, RepositoryFile

router = Router(tags=["correo y repositorio"])


def _client(request, pk: int):
    client = visible_clients(request.user).filter(pk=pk).first()
    if client is None:
        raise DomainError("Cliente: no existe o no lo puede ver.", field="client")
    return client


class AttachmentOut(Schema):
    id: int
    filename: str
    mimetype: str
    size: int


class MessageOut(Schema):
    id: int
    client: int | None = Field(None, alias="client_id")
    direction: str
    status: str
    from_email: str
    to: list[str]
    cc: list[str]
    subject: str
    created_at: datetime
    sent_at: datetime | None
    error: str
    thread: int | None = Field(None, alias="thread_id")
    attachments: list[AttachmentOut]


class MessageDetailOut(MessageOut):
    body_text: str
    body_html: str
    message_id: str
    in_reply_to: str
    suggested_clients: list[int]


class MessageIn(Schema):
    subject: str
    body: str
    include_notify: bool = False
    contacts: list[int] = []
    repository_files: list[int] = []
    invoices: list[int] = []
    receipts: list[int] = []


class AssignIn(Schema):
    client: int
    add_contact: bool = False


class RepositoryFileOut(Schema):
    id: int
    client: int = Field(alias="client_id")
    name: str
    tag: str
    original_name: str
    content_type: str
    size: int
    sha256: str
    source: str
    created_at: datetime
    uploaded_by: int | None = Field(None, alias="uploaded_by_id")


@router.get("/clients/{int:client_id}/messages", response=list[MessageOut], url_name="mail_list")
@paginate
def message_list(request, client_id: int, direction: str = "", status: str = ""):
    """Correos enviados y recibidos del cliente, los más recientes primero."""
    require_perms(request, "messaging.view_emailmessage")
    client = _client(request, client_id)
    return selectors.client_messages(client.pk, direction=direction, status=status)


def _visible_message(request, pk: int) -> EmailMessage:
    qs = EmailMessage.objects.filter(client__in=visible_clients(request.user).values("pk"))
    if request.user.has_perm("messaging.change_emailmessage"):
        qs = qs | EmailMessage.objects.filter(client__isnull=True, direction="in")
    return get_object_or_404(qs.prefetch_related("attachments"), pk=pk)


@router.get("/messages/{int:message_id}", response=MessageDetailOut, url_name="mail_detail")
def message_detail(request, message_id: int):
    """Un correo entero (el HTML recibido ya saneado)."""
    require_perms(request, "messaging.view_emailmessage")
    return _visible_message(request, message_id)


@router.post(
    "/clients/{int:client_id}/messages",
    response={201: MessageDetailOut},
    url_name="mail_send",
)
def message_send(request, client_id: int, payload: MessageIn):
    """Enviar Email: el asunto y el cuerpo tal cual, firmado con el nombre del ISP."""
    require_perms(request, "clients.view_client", "messaging.add_emailmessage")
    client = _client(request, client_id)
    message = mail.client_mail_send(
        actor=request.user,
        client=client,
        outgoing=mail.Outgoing(
            subject=payload.subject,
            body=payload.body,
            include_notify=payload.include_notify,
            contact_ids=payload.contacts,
            repository_file_ids=payload.repository_files,
            invoice_ids=payload.invoices,
            receipt_ids=payload.receipts,
        ),
    )
    return Status(201, EmailMessage.objects.prefetch_related("attachments").get(pk=message.pk))


@router.get("/unassigned", response=list[MessageOut], url_name="mail_unassigned")
@paginate
def unassigned_list(request):
    """Correos recibidos sin cliente («Sin asignar»)."""
    require_perms(request, "messaging.view_emailmessage", "messaging.change_emailmessage")
    return selectors.unassigned_messages()


@router.post(
    "/unassigned/{int:message_id}/assign", response=MessageDetailOut, url_name="mail_assign"
)
def unassigned_assign(request, message_id: int, payload: AssignIn):
    """Asigna un correo sin asignar a un cliente (y opcionalmente añade el remitente a sus
    contactos)."""
    require_perms(request, "messaging.view_emailmessage", "messaging.change_emailmessage")
    message = get_object_or_404(selectors.unassigned_messages(), pk=message_id)
    client = _client(request, payload.client)
    inbound.email_assign(
        actor=request.user, message=message, client=client, add_contact=payload.add_contact
    )
    return EmailMessage.objects.prefetch_related("attachments").get(pk=message.pk)


@router.get(
    "/clients/{int:client_id}/files", response=list[RepositoryFileOut], url_name="repo_list"
)
@paginate
def repository_list(request, client_id: int, tag: str = "", q: str = ""):
    """Archivos del repositorio del cliente (filtro por etiqueta y búsqueda por nombre)."""
    require_perms(request, "messaging.view_repositoryfile")
    client = _client(request, client_id)
    return repository.client_repository_files(client.pk, tag=tag, query=q)


@router.post(
    "/clients/{int:client_id}/files", response={201: RepositoryFileOut}, url_name="repo_upload"
)
def repository_upload(
    request,
    client_id: int,
    name: str = Form(...),
    file: UploadedFile = File(...),  # noqa: B008 (django-ninja declares parameters this way)
    tag: str = Form(""),
):
    """Sube un archivo al repositorio (multipart); su tipo se comprueba por el contenido."""
    require_perms(request, "messaging.add_repositoryfile")
    client = _client(request, client_id)
    row = repository.repository_file_upload(
        actor=request.user, client=client, uploaded_file=file, name=name, tag=tag
    )
    return Status(201, row)


def _visible_file(request, pk: int) -> RepositoryFile:
    return get_object_or_404(
        RepositoryFile.objects.filter(
            client__in=visible_clients(request.user).values("pk"), hidden_at__isnull=True
        ),
        pk=pk,
    )


@router.get("/files/{int:file_id}/download", response={200: None}, url_name="repo_download")
def repository_download(request, file_id: int):
    """Descarga el archivo (Content-Disposition: attachment)."""
    require_perms(request, "messaging.view_repositoryfile")
    row = _visible_file(request, file_id)
    return uploads.download_response(
        row.file, original_name=row.original_name, content_type=row.content_type
    )


@router.post("/files/{int:file_id}/hide", response=RepositoryFileOut, url_name="repo_hide")
def repository_hide(request, file_id: int):
    """Quita el archivo del repositorio (se conserva; solo un administrador lo elimina)."""
    require_perms(request, "messaging.change_repositoryfile")
    row = _visible_file(request, file_id)
    return repository.repository_file_hide(actor=request.user, file=row)
