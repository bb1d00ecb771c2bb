"""Writes of tickets. Every function validates everything (files included) before its first
write, runs in one transaction, writes the audit entry and the client's history, and sends
`tickets.signals.ticket_created`/`ticket_updated`.

Staff actions take `actor=` (a staff user). The client's own actions (portal, e-mail reply)
are `ticket_create_for_client` and `ticket_client_reply`: their author is the client.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from ispgest.clients.history import changes_between, record_event, snapshot
from ispgest.core import uploads
from ispgest.core.audit import audit
from ispgest.core.exceptions import DomainError, InvalidTransition
from ispgest.tickets import signals
from ispgest.tickets.models import (
    DEFAULT_DUE_HOURS,
    TRANSITIONS,
    Priority,
    PriorityDueTime,
    Status,
    Ticket,
    TicketAttachment,
    TicketCategory,
    TicketMessage,
)

SUBJECT_MAX = 200
BODY_MAX = 20000
MAX_FILES = 10
# Fields `ticket_update` may change.
UPDATE_FIELDS = ("subject", "category", "priority", "contract")


# ---------------------------------------------------------------------------------------------
# Helpers


def due_hours(priority: str) -> int:
    row = PriorityDueTime.objects.filter(priority=priority).first()
    return row.hours if row is not None else DEFAULT_DUE_HOURS[Priority(priority)]


def _due_at(priority: str, start=None):
    return (start or timezone.now()) + timedelta(hours=due_hours(priority))


def _clean_subject(subject) -> str:
    subject = " ".join(str(subject or "").split())
    if not subject:
        raise DomainError("Indique el asunto.", field="subject")
    if len(subject) > SUBJECT_MAX:
        raise DomainError(
            f"El asunto admite como máximo {SUBJECT_MAX} caracteres.", field="subject"
        )
    return subject


def _clean_body(body) -> str:
    body = str(body or "").strip()
    if not body:
        raise DomainError("Escriba el mensaje.", field="body")
    if len(body) > BODY_MAX:
        raise DomainError(f"El mensaje admite como máximo {BODY_MAX} caracteres.", field="body")
    return body


def _clean_priority(priority) -> str:
    if priority not in Priority.values:
        raise DomainError("Prioridad no válida.", field="priority")
    return priority


def _clean_category(category) -> TicketCategory | None:
    if category is None or category == "":
        return None
    if not isinstance(category, TicketCategory):
        category = TicketCategory.objects.filter(pk=category).first()
    if category is None or not category.active:
        raise DomainError("La categoría no existe o está desactivada.", field="category")
    return category


def _clean_contract(contract, client):
    if contract is None or contract == "":
        return None
    if client is None:
        raise DomainError("Un ticket interno no tiene contrato.", field="contract")
    if contract.client_id != client.pk:
        raise DomainError("El contrato no pertenece a este cliente.", field="contract")
    return contract


def assignable_users():
    """Active staff users who can work tickets (the choices of "Asignado a")."""
    from django.contrib.auth.models import Permission
    from django.db.models import Q

    perm = Permission.objects.filter(
        content_type__app_label="tickets", codename="change_ticket"
    ).first()
    users = get_user_model().objects.filter(is_active=True)
    if perm is None:
        return users.filter(is_superuser=True)
    return (
        users.filter(Q(is_superuser=True) | Q(user_permissions=perm) | Q(groups__permissions=perm))
        .distinct()
        .order_by("username")
    )


def _clean_assignee(assignee):
    if assignee is None or assignee == "":
        return None
    pk = assignee.pk if hasattr(assignee, "pk") else assignee
    user = assignable_users().filter(pk=pk).first()
    if user is None:
        raise DomainError(
            "El usuario no existe, está inactivo o no puede atender tickets.", field="assignee"
        )
    return user


# Extensions that name the same type as core.uploads.EXTENSIONS' one.
_ALIASES = {".jpeg": ".jpg", ".tiff": ".tif", ".htm": ".html"}
_TEXT_EXTENSIONS = {"", ".txt", ".csv", ".log", ".text", ".md"}
_MARKUP = re.compile(rb"^\s*(<!doctype|<html|<head|<body|<script|<svg|<\?xml|<iframe)", re.I)


def check_attachment(uploaded_file, field: str = "files") -> uploads.CheckedFile:
    """core/uploads.py's rules plus two of a file shown to staff and clients: the name's
    extension must say what the bytes are (an HTML page named .pdf is refused), and markup
    (HTML, SVG, XML) is never accepted, not even as text."""
    checked = uploads.check_upload(uploaded_file, field=field, fallback_name="adjunto")
    name = checked.original_name.lower()
    ext = "." + name.rsplit(".", 1)[-1] if "." in name else ""
    ext = _ALIASES.get(ext, ext)
    if _MARKUP.match(checked.data[:1024].lstrip(b"\xef\xbb\xbf")):
        raise DomainError(
            "Los archivos HTML, SVG o XML no están permitidos como adjuntos.", field=field
        )
    if checked.content_type in (uploads.TEXT, uploads.CSV):
        matches = ext in _TEXT_EXTENSIONS
    else:
        matches = ext == checked.extension
    if not matches:
        raise DomainError(
            f"El contenido de «{checked.original_name}» no corresponde a su extensión "
            f"(es {uploads.LABELS.get(checked.content_type, checked.content_type)}).",
            field=field,
        )
    return checked


def _check_files(files: Iterable, field: str = "files") -> list[uploads.CheckedFile]:
    files = [f for f in (files or ()) if f is not None]
    if len(files) > MAX_FILES:
        raise DomainError(f"Se admiten como máximo {MAX_FILES} adjuntos.", field=field)
    return [check_attachment(f, field=field) for f in files]


def _store_files(
    checked: Sequence[uploads.CheckedFile], *, message: TicketMessage, uploaded_by, stored: list
) -> list[TicketAttachment]:
    rows = []
    for item in checked:
        name = uploads.store(item, prefix=f"tickets/{message.ticket_id}")
        stored.append(name)
        row = TicketAttachment(
            ticket_id=message.ticket_id,
            message=message,
            original_name=item.original_name,
            content_type=item.content_type,
            size=item.size,
            sha256=item.sha256,
            uploaded_by=uploaded_by if getattr(uploaded_by, "pk", None) else None,
        )
        row.file.name = name
        row.save()
        rows.append(row)
    return rows


def _record(*, actor, ticket: Ticket, action: str, summary: str, changes=None) -> None:
    audit(
        actor=actor,
        action=action,
        obj=ticket,
        summary=summary,
        changes=changes,
        client_id=ticket.client_id,
    )
    if ticket.client_id is not None:
        record_event(
            client=ticket.client,
            actor=actor,
            action=action,
            summary=summary,
            changes=changes,
            obj=ticket,
            audit_entry=False,  # written above
        )


def _portal_url() -> str:
    return settings.SITE_URL.rstrip("/") + "/portal/"


def _email_client(*, template: str, ticket: Ticket, message: TicketMessage, sent_by, author: str):
    """E-mail a public message to the client's principal address; the log row, or None."""
    client = ticket.client
    if client is None or not client.email:
        return None
    from ispgest.core.identity import isp_identity
    from ispgest.messaging.emails import send_email

    return send_email(
        template=template,
        to=[client.email],
        context={
            "client": client,
            "ticket": ticket,
            "message": message,
            "attachments": list(message.attachments.all()),
            "author": author,
            "identity": isp_identity(),
            "portal_url": _portal_url(),
        },
        client=client,
        sent_by=sent_by if getattr(sent_by, "pk", None) else None,
        related=ticket,
    )


def _staff_name(user) -> str:
    if getattr(user, "pk", None):
        return user.get_full_name() or user.get_username()
    return "Soporte"


def _label(status: str) -> str:
    return str(Status(status).label)


def _locked(ticket: Ticket) -> Ticket:
    return Ticket.objects.select_for_update(of=("self",)).select_related("client").get(pk=ticket.pk)


def _set_status(ticket: Ticket, to_status: str, now) -> list[str]:
    """Apply a status and its timestamps to the (locked) ticket; the fields changed."""
    ticket.status = to_status
    fields = ["status", "updated_at"]
    if to_status == Status.RESOLVED:
        ticket.resolved_at = now
        fields.append("resolved_at")
    elif to_status == Status.CLOSED:
        ticket.closed_at = now
        fields.append("closed_at")
    elif ticket.resolved_at is not None:
        ticket.resolved_at = None
        fields.append("resolved_at")
    return fields


# ---------------------------------------------------------------------------------------------
# Creation


def _create(
    *,
    actor,
    author_client,
    subject,
    body,
    client,
    contract,
    category,
    priority,
    assignee,
    files,
    source: str,
    notify: bool,
) -> Ticket:
    subject = _clean_subject(subject)
    body = _clean_body(body)
    priority = _clean_priority(priority)
    category = _clean_category(category)
    contract = _clean_contract(contract, client)
    assignee = _clean_assignee(assignee)
    checked = _check_files(files)
    now = timezone.now()
    stored: list[str] = []
    try:
        with transaction.atomic():
            ticket = Ticket.objects.create(
                client=client,
                contract=contract,
                subject=subject,
                category=category,
                priority=priority,
                assignee=assignee,
                created_by=actor if getattr(actor, "pk", None) else None,
                source=source,
                due_at=_due_at(priority, now),
                last_message_at=now,
            )
            message = TicketMessage.objects.create(
                ticket=ticket,
                kind=TicketMessage.Kind.PUBLIC,
                body=body,
                author_user=actor if getattr(actor, "pk", None) else None,
                author_client=author_client,
            )
            _store_files(checked, message=message, uploaded_by=actor, stored=stored)
            who = "por el cliente" if author_client is not None else ""
            _record(
                actor=actor,
                ticket=ticket,
                action="ticket.created",
                summary=(
                    f"Ticket {ticket.number} «{subject}» abierto {who}".replace("  ", " ").strip()
                    + f" (prioridad {ticket.get_priority_display()}"
                    + (f", {len(checked)} adjunto(s)" if checked else "")
                    + ")."
                ),
            )
            if notify:
                sent = _email_client(
                    template="ticket_created",
                    ticket=ticket,
                    message=message,
                    sent_by=actor,
                    author=_staff_name(actor),
                )
                if sent is not None:
                    message.email = sent
                    message.save(update_fields=["email"])
            signals.ticket_created.send(sender=Ticket, ticket=ticket, actor=actor)
    except Exception:
        for name in stored:
            uploads.discard(name)
        raise
    return ticket


def ticket_create(
    *,
    actor,
    subject: str,
    body: str,
    client=None,
    contract=None,
    category=None,
    priority: str = Priority.NORMAL,
    assignee=None,
    files: Iterable = (),
    source: str = Ticket.Source.STAFF,
    notify: bool = True,
) -> Ticket:
    """Open a ticket as a staff user: for a client, or internal (`client=None`).

    The first message is public (the client's request as staff wrote it down). With
    `notify`, the client gets an acknowledgement at its principal e-mail, which it can
    answer to add to the ticket.
    """
    if client is not None and not client.is_active:
        raise DomainError("El cliente está desactivado.", field="client")
    return _create(
        actor=actor,
        author_client=None,
        subject=subject,
        body=body,
        client=client,
        contract=contract,
        category=category,
        priority=priority,
        assignee=assignee,
        files=files,
        source=source,
        notify=notify,
    )


def ticket_create_for_client(
    *,
    client,
    subject: str,
    body: str,
    category=None,
    contract=None,
    files: Iterable = (),
    source: str = Ticket.Source.PORTAL,
) -> Ticket:
    """Open a ticket written by the client itself (portal). The client is the author of the
    first message; the priority is Normal (staff change it); an acknowledgement is e-mailed."""
    if client is None:
        raise DomainError("Falta el cliente.", field="client")
    return _create(
        actor=None,
        author_client=client,
        subject=subject,
        body=body,
        client=client,
        contract=contract,
        category=category,
        priority=Priority.NORMAL,
        assignee=None,
        files=files,
        source=source,
        notify=True,
    )


# ---------------------------------------------------------------------------------------------
# Messages


def ticket_reply(
    *,
    actor,
    ticket: Ticket,
    body: str,
    internal: bool = False,
    files: Iterable = (),
    status: str | None = None,
) -> TicketMessage:
    """Add a staff message: a public reply (shown to the client and e-mailed to its
    principal address) or, with `internal=True`, an internal note (never shown nor sent to
    the client). The first public reply moves a new ticket to Abierto; `status` then moves
    the ticket along the transition map (for example to "En espera del cliente")."""
    body = _clean_body(body)
    checked = _check_files(files)
    if status is not None and status not in Status.values:
        raise DomainError("Estado no válido.", field="status")
    stored: list[str] = []
    try:
        with transaction.atomic():
            ticket = _locked(ticket)
            if ticket.status == Status.CLOSED:
                raise DomainError("El ticket está cerrado: no admite respuestas.", field="body")
            base = Status.OPEN if (not internal and ticket.status == Status.NEW) else ticket.status
            if status is not None and status != base and status not in TRANSITIONS[base]:
                raise InvalidTransition(
                    f"No se puede pasar de «{Status(base).label}» a «{Status(status).label}».",
                    field="status",
                )
            now = timezone.now()
            kind = TicketMessage.Kind.INTERNAL if internal else TicketMessage.Kind.PUBLIC
            message = TicketMessage.objects.create(
                ticket=ticket, kind=kind, body=body, author_user=actor
            )
            _store_files(checked, message=message, uploaded_by=actor, stored=stored)
            old_status = ticket.status
            fields = ["last_message_at", "updated_at"]
            ticket.last_message_at = now
            if not internal and ticket.status == Status.NEW:
                fields += _set_status(ticket, Status.OPEN, now)
            if status is not None and status != ticket.status:
                fields += _set_status(ticket, status, now)
            ticket.save(update_fields=sorted(set(fields)))
            changes = {}
            if ticket.status != old_status:
                changes["Estado"] = [_label(old_status), _label(ticket.status)]
            what = "Nota interna" if internal else "Respuesta pública"
            _record(
                actor=actor,
                ticket=ticket,
                action="ticket.note" if internal else "ticket.replied",
                summary=f"{what} en el ticket {ticket.number}"
                + (f" con {len(checked)} adjunto(s)" if checked else "")
                + ".",
                changes=changes,
            )
            if not internal:
                sent = _email_client(
                    template="ticket_reply",
                    ticket=ticket,
                    message=message,
                    sent_by=actor,
                    author=_staff_name(actor),
                )
                if sent is not None:
                    message.email = sent
                    message.save(update_fields=["email"])
            signals.ticket_updated.send(
                sender=Ticket,
                ticket=ticket,
                actor=actor,
                event="note" if internal else "reply",
                changes=changes,
                message=message,
            )
    except Exception:
        for name in stored:
            uploads.discard(name)
        raise
    return message


def ticket_client_reply(
    *, client, ticket: Ticket, body: str, files: Iterable = (), email=None
) -> TicketMessage:
    """Add the client's own reply (portal, or an e-mail threaded into the ticket: `email`
    is the received EmailMessage). A ticket of another client raises Ticket.DoesNotExist
    (answer 404). A reply reopens a resolved ticket and takes a waiting one back to
    Abierto; a closed ticket refuses it."""
    if client is None or ticket.client_id != client.pk:
        raise Ticket.DoesNotExist
    body = _clean_body(body)
    checked = _check_files(files)
    stored: list[str] = []
    try:
        with transaction.atomic():
            ticket = _locked(ticket)
            if ticket.status == Status.CLOSED:
                raise DomainError("El ticket está cerrado: abra un ticket nuevo.", field="body")
            now = timezone.now()
            message = TicketMessage.objects.create(
                ticket=ticket,
                kind=TicketMessage.Kind.PUBLIC,
                body=body,
                author_client=client,
                email=email,
            )
            _store_files(checked, message=message, uploaded_by=None, stored=stored)
            old_status = ticket.status
            fields = ["last_message_at", "updated_at"]
            ticket.last_message_at = now
            if ticket.status in (Status.WAITING, Status.RESOLVED):
                fields += _set_status(ticket, Status.OPEN, now)
            ticket.save(update_fields=sorted(set(fields)))
            changes = {}
            if ticket.status != old_status:
                changes["Estado"] = [_label(old_status), _label(ticket.status)]
            via = "por correo" if email is not None else "por el portal"
            _record(
                actor=None,
                ticket=ticket,
                action="ticket.client_replied",
                summary=f"El cliente respondió {via} en el ticket {ticket.number}"
                + (f" con {len(checked)} adjunto(s)" if checked else "")
                + ".",
                changes=changes,
            )
            signals.ticket_updated.send(
                sender=Ticket,
                ticket=ticket,
                actor=None,
                event="client_reply",
                changes=changes,
                message=message,
            )
    except Exception:
        for name in stored:
            uploads.discard(name)
        raise
    return message


# ---------------------------------------------------------------------------------------------
# Status, assignment, fields


@transaction.atomic
def ticket_transition(*, actor, ticket: Ticket, to_status: str) -> Ticket:
    """Move the ticket along TRANSITIONS (reopen = Resuelto -> Abierto)."""
    if to_status not in Status.values:
        raise InvalidTransition("Estado no válido.", field="status")
    ticket = _locked(ticket)
    current = ticket.status
    if to_status == current:
        raise InvalidTransition(f"El ticket ya está en «{Status(current).label}».", field="status")
    if to_status not in TRANSITIONS.get(current, ()):
        raise InvalidTransition(
            f"No se puede pasar de «{Status(current).label}» a «{Status(to_status).label}».",
            field="status",
        )
    fields = _set_status(ticket, to_status, timezone.now())
    ticket.save(update_fields=fields)
    changes = {"Estado": [_label(current), _label(to_status)]}
    reopen = current == Status.RESOLVED and to_status == Status.OPEN
    _record(
        actor=actor,
        ticket=ticket,
        action="ticket.reopened" if reopen else "ticket.status_changed",
        summary=(
            f"Ticket {ticket.number} reabierto."
            if reopen
            else f"Ticket {ticket.number}: estado «{Status(to_status).label}»."
        ),
        changes=changes,
    )
    signals.ticket_updated.send(
        sender=Ticket, ticket=ticket, actor=actor, event="transition", changes=changes, message=None
    )
    return ticket


@transaction.atomic
def ticket_assign(*, actor, ticket: Ticket, assignee) -> Ticket:
    """Assign the ticket to a staff user who can work tickets, or unassign it (None)."""
    assignee = _clean_assignee(assignee)
    ticket = _locked(ticket)
    if ticket.assignee_id == (assignee.pk if assignee else None):
        return ticket
    before = snapshot(ticket, ["assignee"])
    ticket.assignee = assignee
    ticket.save(update_fields=["assignee", "updated_at"])
    changes = changes_between(before, snapshot(ticket, ["assignee"]))
    _record(
        actor=actor,
        ticket=ticket,
        action="ticket.assigned",
        summary=(
            f"Ticket {ticket.number} asignado a {_staff_name(assignee)}."
            if assignee
            else f"Ticket {ticket.number} sin asignar."
        ),
        changes=changes,
    )
    signals.ticket_updated.send(
        sender=Ticket, ticket=ticket, actor=actor, event="assign", changes=changes, message=None
    )
    return ticket


@transaction.atomic
def ticket_update(*, actor, ticket: Ticket, data: dict) -> Ticket:
    """Change subject, category, priority (the due time follows it) or contract."""
    unknown = sorted(set(data) - set(UPDATE_FIELDS))
    if unknown:
        raise DomainError(f"Campo no modificable: {unknown[0]}.", field=unknown[0])
    ticket = _locked(ticket)
    clean = {}
    if "subject" in data:
        clean["subject"] = _clean_subject(data["subject"])
    if "category" in data:
        clean["category"] = _clean_category(data["category"])
    if "priority" in data:
        clean["priority"] = _clean_priority(data["priority"])
    if "contract" in data:
        clean["contract"] = _clean_contract(data["contract"], ticket.client)
    names = [*UPDATE_FIELDS, "due_at"]
    before = snapshot(ticket, names)
    for key, value in clean.items():
        setattr(ticket, key, value)
    if "priority" in clean and clean["priority"] != before["priority"][1]:
        ticket.due_at = _due_at(ticket.priority, ticket.created_at)
    changes = changes_between(before, snapshot(ticket, names))
    if not changes:
        return ticket
    ticket.save(update_fields=[*clean, "due_at", "updated_at"])
    _record(
        actor=actor,
        ticket=ticket,
        action="ticket.updated",
        summary=f"Ticket {ticket.number} modificado.",
        changes=changes,
    )
    signals.ticket_updated.send(
        sender=Ticket, ticket=ticket, actor=actor, event="update", changes=changes, message=None
    )
    return ticket


# ---------------------------------------------------------------------------------------------
# Configuration


@transaction.atomic
def category_save(*, actor, name: str, active: bool = True, category=None) -> TicketCategory:
    name = " ".join(str(name or "").split())
    if not name:
        raise DomainError("Indique el nombre.", field="name")
    if len(name) > 120:
        raise DomainError("El nombre admite como máximo 120 caracteres.", field="name")
    clash = TicketCategory.objects.filter(name__iexact=name)
    if category is not None:
        clash = clash.exclude(pk=category.pk)
    if clash.exists():
        raise DomainError("Ya existe una categoría con ese nombre.", field="name")
    created = category is None
    category = category or TicketCategory()
    category.name, category.active = name, bool(active)
    category.save()
    audit(
        actor=actor,
        action="ticket_category.created" if created else "ticket_category.updated",
        obj=category,
        summary=f"Categoría de ticket «{name}»" + ("" if active else " (desactivada)") + ".",
    )
    return category


@transaction.atomic
def due_times_save(*, actor, hours: dict[str, int]) -> None:
    """Set the hours to resolve of each priority ({"urgente": 4, ...}); all or nothing."""
    clean = {}
    for priority in Priority.values:
        value = hours.get(priority)
        try:
            value = int(value)
        except (TypeError, ValueError):
            raise DomainError(
                "Indique un número entero de horas.", field=f"hours_{priority}"
            ) from None
        if not 1 <= value <= 24 * 365:
            raise DomainError("Las horas deben estar entre 1 y 8760.", field=f"hours_{priority}")
        clean[priority] = value
    changes = {}
    for priority, value in clean.items():
        old = due_hours(priority)
        PriorityDueTime.objects.update_or_create(priority=priority, defaults={"hours": value})
        if old != value:
            changes[str(Priority(priority).label)] = [f"{old} h", f"{value} h"]
    if changes:
        audit(
            actor=actor,
            action="ticket_due_times.updated",
            summary="Plazos de tickets por prioridad modificados.",
            changes=changes,
            object_type="tickets.priorityduetime",
        )
