"""Tickets in the portal: the client opens, follows and answers its own tickets; it sees
staff's public replies, never internal notes (the tickets app's client-scoped selectors)."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from ispgest.core.forms import StyledFormMixin
from ispgest.portal import auth
from ispgest.portal.models import Section
from ispgest.portal.views import _errors, _page, _paginate
from ispgest.tickets import selectors, services
from ispgest.tickets.forms import MultipleFileField
from ispgest.tickets.models import Ticket, TicketAttachment, TicketCategory


class TicketForm(StyledFormMixin, forms.Form):
    subject = forms.CharField(label=gettext_lazy("Asunto"), max_length=200)
    category = forms.ModelChoiceField(
        label=gettext_lazy("Categoría"), queryset=TicketCategory.objects.none(), required=False
    )
    contract = forms.TypedChoiceField(
        label=gettext_lazy("Servicio"), required=False, coerce=int, empty_value=None
    )
    body = forms.CharField(label=gettext_lazy("Mensaje"), widget=forms.Textarea(attrs={"rows": 5}))
    files = MultipleFileField(label=gettext_lazy("Adjuntos"), required=False)

    def __init__(self, *args, contracts=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category"].queryset = TicketCategory.objects.filter(active=True).order_by(
            "name"
        )
        self.fields["contract"].choices = [("", "—")] + [
            (c.pk, f"{c.plan.name} · {c.address}") for c in contracts
        ]


class ReplyForm(StyledFormMixin, forms.Form):
    body = forms.CharField(
        label=gettext_lazy("Respuesta"), widget=forms.Textarea(attrs={"rows": 4})
    )
    files = MultipleFileField(label=gettext_lazy("Adjuntos"), required=False)


def _contracts(client):
    from ispgest.contracts import selectors as contracts
    from ispgest.contracts.models import ContractStatus

    return [c for c in contracts.client_contracts(client) if c.status != ContractStatus.CANCELLED]


@auth.portal_required(Section.TICKETS)
def ticket_list(request):
    client = request.portal_client
    qs = selectors.tickets_for_client(client)
    return _page(request, "portal/tickets.html", {"page": _paginate(request, qs)}, "tickets")


@auth.portal_required(Section.TICKETS)
def ticket_new(request):
    client = request.portal_client
    contracts = _contracts(client)
    form = TicketForm(request.POST or None, request.FILES or None, contracts=contracts)
    if request.method == "POST" and form.is_valid():
        cd = form.cleaned_data
        contract = next((c for c in contracts if c.pk == cd["contract"]), None)
        try:
            ticket = services.ticket_create_for_client(
                client=client,
                subject=cd["subject"],
                body=cd["body"],
                category=cd["category"],
                contract=contract,
                files=request.FILES.getlist("files"),
                source="portal",
            )
        except ValidationError as exc:
            _errors(form, exc)
        else:
            messages.success(request, _("Ticket %(number)s abierto.") % {"number": ticket.number})
            return redirect("portal:ticket_detail", pk=ticket.pk)
    return _page(request, "portal/ticket_new.html", {"form": form}, "tickets")


def _ticket(request, pk: int) -> Ticket:
    try:
        return selectors.ticket_for_client(request.portal_client, pk)
    except Ticket.DoesNotExist:
        raise Http404 from None


@auth.portal_required(Section.TICKETS)
def ticket_detail(request, pk: int):
    ticket = _ticket(request, pk)
    form = ReplyForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.ticket_client_reply(
                client=request.portal_client,
                ticket=ticket,
                body=form.cleaned_data["body"],
                files=request.FILES.getlist("files"),
            )
        except Ticket.DoesNotExist:
            raise Http404 from None
        except ValidationError as exc:
            _errors(form, exc)
        else:
            messages.success(request, _("Respuesta enviada."))
            return redirect("portal:ticket_detail", pk=ticket.pk)
    return _page(
        request,
        "portal/ticket_detail.html",
        {"ticket": ticket, "thread": selectors.public_messages(ticket), "form": form},
        "tickets",
    )


@auth.portal_required(Section.TICKETS)
def ticket_attachment(request, pk: int):
    from ispgest.core.uploads import download_response

    try:
        att = selectors.attachment_for_client(request.portal_client, pk)
    except TicketAttachment.DoesNotExist:
        raise Http404 from None
    return download_response(
        att.file, original_name=att.original_name, content_type=att.content_type, fallback="adjunto"
    )
