"""Staff pages of tickets: the list ("Tickets", "Mis tickets"), the ticket page with its thread,
"Nuevo ticket" (internal, or a client's inside its workspace), replies and notes, status,
assignment, downloads, and the configuration of categories and due times."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from ispgest.accounts.decorators import staff_required
from ispgest.clients.selectors import client_for_user
from ispgest.clients.workspace import render_in_workspace, section_url
from ispgest.core import uploads
from ispgest.tickets import selectors, services
from ispgest.tickets.forms import (
    AssignForm,
    CategoryForm,
    DueTimesForm,
    EditForm,
    FilterForm,
    ReplyForm,
    TicketForm,
    TransitionForm,
)
from ispgest.tickets.models import Priority, Ticket, TicketAttachment, TicketCategory

PAGE_SIZE = 50


def put_errors(form, exc: ValidationError) -> None:
    """A service's errors on the form's fields (unknown fields: form-wide)."""
    for field, errors in exc.update_error_dict({}).items():
        for err in errors:
            for msg in err.messages if hasattr(err, "messages") else [str(err)]:
                form.add_error(field if field in form.fields else None, msg)


def _ticket(request, pk: int) -> Ticket:
    try:
        return selectors.ticket_detail(request.user, pk)
    except Ticket.DoesNotExist as exc:
        raise Http404 from exc


def _list(request, *, mine: bool):
    data = request.GET.copy()
    if "status" not in data:
        data["status"] = "activos"
    if mine:
        data["assignee"] = "yo"
    form = FilterForm(data)
    form.is_valid()
    c = form.cleaned_data if hasattr(form, "cleaned_data") else {}
    filters = selectors.TicketFilters(
        status=c.get("status") or "",
        priority=c.get("priority") or "",
        assignee=c.get("assignee") or "",
        category=c.get("category") or "",
        overdue=bool(c.get("overdue")),
        text=c.get("q") or "",
        client=request.GET.get("cliente", ""),
    )
    page = Paginator(selectors.ticket_list(request.user, filters), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "tickets/ticket_list.html",
        {"form": form, "page_obj": page, "tickets": page.object_list, "mine": mine},
    )


@staff_required("tickets.view_ticket")
def ticket_list(request):
    return _list(request, mine=False)


@staff_required("tickets.view_ticket")
def my_tickets(request):
    return _list(request, mine=True)


def _detail_context(request, ticket, *, reply_form=None, edit_form=None):
    return {
        "ticket": ticket,
        "thread": selectors.thread(ticket),
        "reply_form": reply_form or ReplyForm(ticket=ticket),
        "assign_form": AssignForm(initial={"assignee": ticket.assignee_id}),
        "edit_form": edit_form
        or EditForm(
            initial={
                "subject": ticket.subject,
                "category": ticket.category_id,
                "priority": ticket.priority,
            }
        ),
        "transitions": [(s, Ticket.Status(s).label) for s in ticket.allowed_transitions],
        "client_url": section_url(ticket.client_id, "tickets") if ticket.client_id else "",
    }


@staff_required("tickets.view_ticket")
def ticket_detail(request, pk: int):
    ticket = _ticket(request, pk)
    return render(request, "tickets/ticket_detail.html", _detail_context(request, ticket))


def _create(request, client):
    form = TicketForm(request.POST or None, request.FILES or None, client=client)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            ticket = services.ticket_create(
                actor=request.user,
                client=client,
                contract=d.get("contract"),
                subject=d["subject"],
                body=d["body"],
                category=d["category"],
                priority=d["priority"],
                assignee=d["assignee"],
                files=d["files"],
                notify=bool(d.get("notify")),
            )
        except ValidationError as exc:
            put_errors(form, exc)
        else:
            messages.success(request, _("Ticket %(n)s creado.") % {"n": ticket.number})
            return redirect("tickets:detail", ticket.pk)
    status = 400 if form.errors else 200
    context = {"form": form, "client": client}
    if client is not None:
        return render_in_workspace(
            request,
            client,
            "tickets/ticket_form.html",
            context,
            section="tickets",
            title=_("Nuevo ticket"),
            status=status,
        )
    return render(request, "tickets/ticket_form.html", context, status=status)


@staff_required("tickets.add_ticket")
def ticket_create(request):
    """A ticket without a client (internal work)."""
    return _create(request, None)


@staff_required("tickets.add_ticket")
def client_ticket_create(request, client_id: int):
    client = client_for_user(request.user, client_id)
    return _create(request, client)


@require_POST
@staff_required("tickets.change_ticket")
def ticket_reply(request, pk: int):
    ticket = _ticket(request, pk)
    form = ReplyForm(request.POST, request.FILES, ticket=ticket)
    if form.is_valid():
        d = form.cleaned_data
        try:
            services.ticket_reply(
                actor=request.user,
                ticket=ticket,
                body=d["body"],
                internal=d["internal"],
                files=d["files"],
                status=d["status"] or None,
            )
        except ValidationError as exc:
            put_errors(form, exc)
        else:
            messages.success(
                request,
                _("Nota interna guardada.")
                if d["internal"]
                else _("Respuesta enviada al cliente.")
                if ticket.client_id and ticket.client.email
                else _("Respuesta guardada."),
            )
            return redirect("tickets:detail", ticket.pk)
    ticket = _ticket(request, pk)
    return render(
        request,
        "tickets/ticket_detail.html",
        _detail_context(request, ticket, reply_form=form),
        status=400,
    )


@require_POST
@staff_required("tickets.change_ticket")
def ticket_transition(request, pk: int):
    ticket = _ticket(request, pk)
    form = TransitionForm(request.POST)
    try:
        if not form.is_valid():
            raise ValidationError(_("Estado no válido."))
        services.ticket_transition(
            actor=request.user, ticket=ticket, to_status=form.cleaned_data["status"]
        )
    except ValidationError as exc:
        for msg in exc.messages:
            messages.error(request, msg)
    else:
        messages.success(request, _("Estado del ticket actualizado."))
    return redirect("tickets:detail", ticket.pk)


@require_POST
@staff_required("tickets.change_ticket")
def ticket_assign(request, pk: int):
    ticket = _ticket(request, pk)
    form = AssignForm(request.POST)
    try:
        if not form.is_valid():
            raise ValidationError(_("El usuario no puede atender tickets."))
        services.ticket_assign(
            actor=request.user, ticket=ticket, assignee=form.cleaned_data["assignee"]
        )
    except ValidationError as exc:
        for msg in exc.messages:
            messages.error(request, msg)
    else:
        messages.success(request, _("Asignación guardada."))
    return redirect("tickets:detail", ticket.pk)


@require_POST
@staff_required("tickets.change_ticket")
def ticket_edit(request, pk: int):
    ticket = _ticket(request, pk)
    form = EditForm(request.POST)
    if form.is_valid():
        try:
            services.ticket_update(actor=request.user, ticket=ticket, data=form.cleaned_data)
        except ValidationError as exc:
            put_errors(form, exc)
        else:
            messages.success(request, _("Ticket modificado."))
            return redirect("tickets:detail", ticket.pk)
    return render(
        request,
        "tickets/ticket_detail.html",
        _detail_context(request, ticket, edit_form=form),
        status=400,
    )


@staff_required("tickets.view_ticket")
def attachment_download(request, pk: int):
    try:
        attachment = selectors.attachment_for_staff(request.user, pk)
    except TicketAttachment.DoesNotExist as exc:
        raise Http404 from exc
    return uploads.download_response(
        attachment.file,
        original_name=attachment.original_name,
        content_type=attachment.content_type,
        fallback="adjunto",
    )


# ---------------------------------------------------------------------------------------------
# Configuration (administrators)


@staff_required("tickets.change_ticketcategory")
def category_list(request):
    return render(
        request,
        "tickets/category_list.html",
        {"categories": TicketCategory.objects.order_by("name")},
    )


@staff_required("tickets.change_ticketcategory")
def category_edit(request, pk: int | None = None):
    category = None
    if pk is not None:
        category = TicketCategory.objects.filter(pk=pk).first()
        if category is None:
            raise Http404
    initial = {"name": category.name, "active": category.active} if category else None
    form = CategoryForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.category_save(actor=request.user, category=category, **form.cleaned_data)
        except ValidationError as exc:
            put_errors(form, exc)
        else:
            messages.success(request, _("Categoría guardada."))
            return redirect("tickets:category_list")
    return render(
        request,
        "tickets/category_form.html",
        {"form": form, "category": category},
        status=400 if form.errors else 200,
    )


@staff_required("tickets.change_priorityduetime")
def due_times(request):
    current = {p.value: services.due_hours(p.value) for p in Priority}
    form = DueTimesForm(request.POST or None, hours=current)
    if request.method == "POST" and form.is_valid():
        hours = {p.value: form.cleaned_data[f"hours_{p.value}"] for p in Priority}
        try:
            services.due_times_save(actor=request.user, hours=hours)
        except ValidationError as exc:
            put_errors(form, exc)
        else:
            messages.success(request, _("Plazos guardados."))
            return redirect(reverse("tickets:due_times"))
    return render(
        request, "tickets/due_times.html", {"form": form}, status=400 if form.errors else 200
    )
