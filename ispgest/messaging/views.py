"""Pages of mail and files: the client's repository, its mail (send, read, retry), the
"Sin asignar" inbox, the templates and the mailboxes. Thin: services and selectors do the
work."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from ispgest.accounts.decorators import staff_required
from ispgest.clients.models import Client
from ispgest.clients.notifications import manual_recipients
from ispgest.clients.scoping import visible_clients
from ispgest.clients.workspace import render_in_workspace, section_url
from ispgest.core import uploads
from ispgest.core.forms import apply_errors
from ispgest.messaging import inbound, mail, repository, selectors
from ispgest.messaging.forms import (
    AssignForm,
    ClientMailForm,
    MailboxForm,
    MailTemplateForm,
    ReplyForm,
    RepositoryUploadForm,
)
from ispgest.messaging.mail import Outgoing
from ispgest.messaging.models import (
    EmailAttachment,
    EmailMessage,
    Mailbox,
    MailTemplate,
    RepositoryFile,
)

REPOSITORY = "repositorio"
CORREO = "correo"


def _client(request, client_id: int) -> Client:
    return get_object_or_404(visible_clients(request.user), pk=client_id)


def _scoped(request, qs: QuerySet, pk: int):
    """A row of `qs` whose client the user may see (404 otherwise, like a missing row)."""
    return get_object_or_404(
        qs.filter(client__in=visible_clients(request.user).values("pk")), pk=pk
    )


# --- Repositorio ---------------------------------------------------------------------------


@require_POST
@staff_required("messaging.add_repositoryfile")
def repository_upload(request, client_id: int):
    client = _client(request, client_id)
    form = RepositoryUploadForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            repository.repository_file_upload(
                actor=request.user,
                client=client,
                uploaded_file=form.cleaned_data["file"],
                name=form.cleaned_data["name"],
                tag=form.cleaned_data.get("tag") or "",
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("Archivo subido al repositorio."))
            return redirect(section_url(client.pk, REPOSITORY))
    return render_in_workspace(
        request,
        client,
        "messaging/repository_upload.html",
        {"form": form, "tags": repository.offered_tags(client.pk)},
        section=REPOSITORY,
        status=400,
    )


@staff_required("messaging.view_repositoryfile")
def repository_download(request, pk: int):
    row = _scoped(request, RepositoryFile.objects.all(), pk)
    if row.hidden_at is not None and not request.user.has_perm("messaging.delete_repositoryfile"):
        raise Http404
    return uploads.download_response(
        row.file, original_name=row.original_name, content_type=row.content_type
    )


@require_POST
@staff_required("messaging.change_repositoryfile")
def repository_hide(request, pk: int):
    row = _scoped(request, RepositoryFile.objects.all(), pk)
    try:
        repository.repository_file_hide(actor=request.user, file=row)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("Archivo quitado del repositorio."))
    return redirect(section_url(row.client_id, REPOSITORY))


@require_POST
@staff_required("messaging.delete_repositoryfile")
def repository_purge(request, pk: int):
    row = _scoped(request, RepositoryFile.objects.all(), pk)
    client_id = row.client_id
    try:
        repository.repository_file_purge(actor=request.user, file=row)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("Archivo eliminado definitivamente."))
    return redirect(section_url(client_id, REPOSITORY) + "?ocultos=1")


# --- Correo --------------------------------------------------------------------------------


def _outgoing(form) -> Outgoing:
    data = form.cleaned_data
    return Outgoing(
        subject=data["subject"],
        body=data["body"],
        include_notify=bool(data.get("include_notify")),
        contact_ids=list(data.get("contacts") or []),
        uploaded_files=list(data.get("attachments") or []),
        repository_file_ids=list(data.get("repository_files") or []),
        invoice_ids=list(data.get("invoices") or []),
        receipt_ids=list(data.get("receipts") or []),
    )


@require_POST
@staff_required("clients.view_client", "messaging.add_emailmessage")
def client_mail_send(request, client_id: int):
    """ "Enviar Email": on an error the form comes back with what was typed."""
    client = _client(request, client_id)
    form = ClientMailForm(request.POST, request.FILES, client=client)
    if form.is_valid():
        try:
            mail.client_mail_send(actor=request.user, client=client, outgoing=_outgoing(form))
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("Correo en cola de envío."))
            return redirect(section_url(client.pk, CORREO))
    return render_in_workspace(
        request,
        client,
        "messaging/mail_send.html",
        {"form": form, "recipients": manual_recipients(client)},
        section=CORREO,
        status=400,
    )


def _message(request, pk: int) -> EmailMessage:
    """A message of a client the user may see, or (with the right to assign) an unassigned
    received one."""
    visible = EmailMessage.objects.filter(client__in=visible_clients(request.user).values("pk"))
    if request.user.has_perm("messaging.change_emailmessage"):
        visible = visible | EmailMessage.objects.filter(client__isnull=True, direction="in")
    return get_object_or_404(visible.select_related("client", "sent_by"), pk=pk)


@staff_required("messaging.view_emailmessage")
def message_detail(request, pk: int):
    """One message whole, with its conversation."""
    message = _message(request, pk)
    context = selectors.message_page(message)
    if message.client is None:
        return redirect("messaging:unassigned_detail", pk=message.pk)
    can_reply = request.user.has_perm("messaging.add_emailmessage")
    if can_reply and message.is_inbound:
        context["reply_form"] = ReplyForm(initial={"body": ""})
    return render_in_workspace(
        request,
        message.client,
        "messaging/message_detail.html",
        context,
        section=CORREO,
        title=message.subject,
    )


@staff_required("messaging.view_emailmessage")
def attachment_download(request, pk: int):
    att = get_object_or_404(EmailAttachment.objects.select_related("message"), pk=pk)
    _message(request, att.message_id)  # 404 unless the user may see the message
    return uploads.download_response(
        att.file, original_name=att.filename, content_type=att.mimetype, fallback="adjunto"
    )


@require_POST
@staff_required("messaging.change_emailmessage")
def message_retry(request, pk: int):
    message = _message(request, pk)
    try:
        mail.email_retry(actor=request.user, message=message)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("Correo en cola de envío de nuevo."))
    return redirect("messaging:message_detail", pk=message.pk)


@require_POST
@staff_required("clients.view_client", "messaging.add_emailmessage")
def message_reply(request, pk: int):
    """Answer a received message: to its sender, in its conversation."""
    message = _message(request, pk)
    form = ReplyForm(request.POST)
    if form.is_valid():
        try:
            mail.email_reply(actor=request.user, message=message, body=form.cleaned_data["body"])
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("Respuesta en cola de envío."))
            return redirect("messaging:message_detail", pk=message.pk)
    context = selectors.message_page(message)
    context["reply_form"] = form
    return render_in_workspace(
        request,
        message.client,
        "messaging/message_detail.html",
        context,
        section=CORREO,
        title=message.subject,
        status=400,
    )


# --- Sin asignar -----------------------------------------------------------------------------


@staff_required("messaging.view_emailmessage", "messaging.change_emailmessage")
def unassigned_list(request):
    from django.core.paginator import Paginator

    page = Paginator(selectors.unassigned_messages(), 50).get_page(request.GET.get("page"))
    failing = list(Mailbox.objects.filter(active=True).exclude(last_error=""))
    return render(
        request, "messaging/unassigned_list.html", {"page": page, "failing_mailboxes": failing}
    )


def _unassigned(request, pk: int) -> EmailMessage:
    return get_object_or_404(selectors.unassigned_messages(), pk=pk)


@staff_required("messaging.view_emailmessage", "messaging.change_emailmessage")
def unassigned_detail(request, pk: int):
    message = _unassigned(request, pk)
    form = AssignForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        client = visible_clients(request.user).filter(pk=form.cleaned_data["client"]).first()
        if client is None:
            form.add_error(
                "client", _("Número de cliente: no existe ningún cliente con ese número.")
            )
        else:
            try:
                inbound.email_assign(
                    actor=request.user,
                    message=message,
                    client=client,
                    add_contact=form.cleaned_data["add_contact"],
                )
            except ValidationError as exc:
                apply_errors(form, exc)
            else:
                messages.success(request, _("Correo asignado a %(client)s.") % {"client": client})
                return redirect("messaging:message_detail", pk=message.pk)
    suggested = list(
        visible_clients(request.user).filter(pk__in=message.suggested_clients).order_by("name")
    )
    return render(
        request,
        "messaging/unassigned_detail.html",
        {"message": message, "m": message, "form": form, "suggested": suggested},
        status=400 if request.method == "POST" else 200,
    )


# --- Buzones (administrators) ----------------------------------------------------------------


@staff_required("messaging.view_mailbox")
def mailbox_list(request):
    return render(
        request, "messaging/mailbox_list.html", {"mailboxes": list(Mailbox.objects.all())}
    )


@staff_required("messaging.add_mailbox")
def mailbox_create(request):
    return _mailbox_form(request, Mailbox())


@staff_required("messaging.change_mailbox")
def mailbox_edit(request, pk: int):
    return _mailbox_form(request, get_object_or_404(Mailbox, pk=pk))


def _mailbox_form(request, mailbox: Mailbox):
    form = MailboxForm(request.POST or None, instance=mailbox)
    if request.method == "POST" and form.is_valid():
        try:
            inbound.mailbox_save(
                actor=request.user, mailbox=form.instance, password=form.cleaned_data["password"]
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("Buzón guardado."))
            return redirect("messaging:mailbox_list")
    return render(
        request,
        "messaging/mailbox_form.html",
        {"form": form, "mailbox": mailbox},
        status=400 if request.method == "POST" else 200,
    )


@require_POST
@staff_required("messaging.change_mailbox")
def mailbox_poll(request, pk: int):
    """ "Consultar ahora": poll in this request, so the result is shown at once."""
    mailbox = get_object_or_404(Mailbox, pk=pk)
    result = inbound.mailbox_poll(mailbox)
    if result.skipped:
        messages.warning(request, _("El buzón ya se está consultando; pruebe en unos minutos."))
    elif result.error:
        messages.error(request, _("No se pudo leer el buzón: %(e)s") % {"e": result.error})
    else:
        messages.success(
            request,
            _("Buzón leído: %(n)s correos nuevos, %(r)s rechazados.")
            % {"n": result.stored, "r": result.refused},
        )
    return redirect("messaging:mailbox_list")


# --- Plantillas ------------------------------------------------------------------------------


@staff_required("messaging.view_mailtemplate")
def template_list(request):
    return render(
        request,
        "messaging/template_list.html",
        {"templates": list(MailTemplate.objects.all()), "placeholders": mail.PLACEHOLDERS},
    )


@staff_required("messaging.add_mailtemplate")
def template_create(request):
    return _template_form(request, MailTemplate())


@staff_required("messaging.change_mailtemplate")
def template_edit(request, pk: int):
    return _template_form(request, get_object_or_404(MailTemplate, pk=pk))


def _template_form(request, template: MailTemplate):
    form = MailTemplateForm(request.POST or None, instance=template)
    if request.method == "POST" and form.is_valid():
        mail.mail_template_save(actor=request.user, template=form.instance)
        messages.success(request, _("Plantilla guardada."))
        return redirect("messaging:template_list")
    return render(
        request,
        "messaging/template_form.html",
        {"form": form, "template": template, "placeholders": mail.PLACEHOLDERS},
        status=400 if request.method == "POST" else 200,
    )
