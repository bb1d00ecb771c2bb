"""Pages of one client's record: create/edit form with tabs, overview, history, deactivation.

Views are thin: forms parse, services validate and write, and a service's ValidationError is
put back on the form field it names. Every page reads the client through visible_clients().
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from ispgest.accounts.decorators import staff_required
from ispgest.catalog.selectors import (
    cities_for,
    invoice_types_for,
    neighbourhoods_for,
    tax_conditions_for,
)
from ispgest.clients import services, workspace
from ispgest.clients.forms import (
    CHOICE_GROUPS,
    TABS,
    ClientForm,
    ContactFormSet,
    ExtraValuesForm,
    FinancialForm,
    ManualEventForm,
)
from ispgest.clients.models import Client, ClientEvent, Contact, EventKind, PersonType
from ispgest.clients.search import ClientFilterForm, search_clients
from ispgest.clients.selectors import (
    client_for_user,
    client_history,
    client_record,
    extra_values_of,
)
from ispgest.clients.services import BILLING_CYCLE_WARNING, RENAME_WARNING
from ispgest.clients.sources import source_of
from ispgest.clients.workspace import render_section


class _Rollback(Exception):
    pass


def _put_errors(form, exc: ValidationError, *, prefix_map: dict | None = None) -> None:
    """Attach a service's errors to the form's fields (unknown fields: form-wide)."""
    errors = exc.update_error_dict({})
    for field, msgs in errors.items():
        for msg in msgs:
            text = msg.message % msg.params if getattr(msg, "params", None) else msg.message
            target = field if field in form.fields else None
            if target is None and prefix_map and field in prefix_map:
                target = prefix_map[field]
            form.add_error(target, ValidationError(text, code=msg.code))


def _tab_of_error(form: ClientForm, fin: FinancialForm, contacts, extras) -> str:
    from ispgest.clients.forms import ALL_NAME_FIELDS, TAB_FIELDS

    for tab, names in TAB_FIELDS.items():
        if any(n in form.errors for n in names) or (
            tab == "basico" and any(n in form.errors for n in ALL_NAME_FIELDS)
        ):
            return tab
    if fin.errors:
        return "financieros"
    if any(f.errors for f in contacts.forms):
        return "personas"
    if extras.errors:
        return "otros"
    return "basico"


def _save_record(
    request, *, client: Client | None, form, fin, contacts, extras, can_financial, source=None
):
    """Write the client and what hangs off it all-or-nothing; errors go on the forms.

    `source` is (ClientSource, row) when the client comes from elsewhere (clients/sources.py):
    its `attach` runs in the same transaction once the client exists."""
    user = request.user
    failed = False
    creating = client is None
    try:
        with transaction.atomic():
            extra_values = extras.changed_values(creating=creating)
            try:
                if creating:
                    client = services.client_create(
                        actor=user, data=form.client_data(), extra_values=extra_values
                    )
                    if source is not None:
                        source[0].attach(actor=user, row=source[1], client=client)
                else:
                    client = services.client_update(
                        actor=user,
                        client=client,
                        data=form.client_data(),
                        confirm_rename=bool(request.POST.get("confirm_rename")),
                    )
                    if extra_values:
                        services.client_extra_values_set(
                            actor=user, client=client, values=extra_values
                        )
            except ValidationError as exc:
                failed = True
                _put_errors(form, exc)
                _put_errors(extras, exc)
                client = None if creating else client
            for cform in contacts.forms:
                if not cform.is_valid() or cform.is_blank():
                    continue
                cid = cform.cleaned_data.get("contact_id")
                try:
                    if client is None:
                        services.validate_contact(cform.contact_data())
                    elif cid:
                        contact = get_object_or_404(Contact, pk=cid, client=client)
                        if cform.cleaned_data.get("remove"):
                            services.contact_remove(actor=user, contact=contact)
                        else:
                            services.contact_update(
                                actor=user, contact=contact, data=cform.contact_data()
                            )
                    elif not cform.cleaned_data.get("remove"):
                        services.contact_create(
                            actor=user, client=client, data=cform.contact_data()
                        )
                except ValidationError as exc:
                    failed = True
                    _put_errors(cform, exc)
            if can_financial:
                method = fin.cleaned_data.get("payment_method")
                mandate = fin.mandate_data()
                try:
                    if client is None:
                        if mandate:
                            services.validate_mandate(Client(name="-"), mandate)
                    elif mandate or method != client.payment_method:
                        services.client_financial_data_set(
                            actor=user, client=client, payment_method=method, mandate=mandate
                        )
                except ValidationError as exc:
                    failed = True
                    _put_errors(fin, exc, prefix_map={"payment_method": "payment_method"})
                for gw, reference in fin.gateway_changes().items():
                    if client is None:
                        continue
                    try:
                        if reference:
                            services.gateway_account_set(
                                actor=user, client=client, gateway=gw, reference=reference
                            )
                        else:
                            account = client.gateway_accounts.filter(gateway=gw).first()
                            if account:
                                services.gateway_account_remove(actor=user, account=account)
                    except ValidationError as exc:
                        failed = True
                        fin.add_error(f"gw_{gw.pk}", exc.messages[0])
            if failed:
                raise _Rollback
    except _Rollback:
        return None
    return client


def _record_form(request, client: Client | None):
    user = request.user
    creating = client is None
    can_financial = user.has_perms(["clients.add_bankmandate", "clients.add_gatewayaccount"])
    data = request.POST if request.method == "POST" else None
    initial_contacts = []
    if client is not None:
        initial_contacts = [
            {
                "contact_id": c.pk,
                "name": c.name,
                "role": c.role,
                "phone": c.phone,
                "email": c.email,
                "comment": c.comment,
            }
            for c in client.contacts.filter(active=True).order_by("name", "id")
        ]
    source = source_of(request) if creating else None
    initial = source[0].initial(source[1]) if source is not None else None
    form = ClientForm(data, instance=client if client is not None else Client(), initial=initial)
    if not user.has_perm("clients.view_all_clients"):
        # A seller's clients stay its own: it could not see a client given to another seller.
        from ispgest.catalog.models import Seller

        form.fields["seller"].queryset = Seller.objects.filter(pk=user.seller_id)
        form.fields["seller"].empty_label = None
        form.initial.setdefault("seller", user.seller_id)
    fin = FinancialForm(
        data,
        client=client,
        prefix="fin",
        initial={"payment_method": client.payment_method_id if client else None},
    )
    contacts = ContactFormSet(data, prefix="contacts", initial=initial_contacts or None)
    extras = ExtraValuesForm(data, prefix="otros", values=extra_values_of(client) if client else {})
    needs_rename_confirm = False
    if request.method == "POST":
        forms_ok = all([form.is_valid(), fin.is_valid(), contacts.is_valid(), extras.is_valid()])
        if forms_ok:
            old_cycle = client.billing_cycle_id if client else None
            saved = _save_record(
                request,
                client=client,
                form=form,
                fin=fin,
                contacts=contacts,
                extras=extras,
                can_financial=can_financial,
                source=source,
            )
            if saved is not None:
                if saved.billing_cycle_id != old_cycle and services.is_non_default_cycle(
                    saved.billing_cycle
                ):
                    messages.warning(request, _(BILLING_CYCLE_WARNING))
                messages.success(
                    request,
                    (
                        _("Cliente «%(name)s» creado.")
                        if creating
                        else _("Cliente «%(name)s» guardado.")
                    )
                    % {"name": saved.name},
                )
                return redirect("clients:detail", pk=saved.pk)
            needs_rename_confirm = any(
                e.code == "rename_confirm" for e in form.errors.as_data().get("name", [])
            )
    active_tab = _tab_of_error(form, fin, contacts, extras) if form.is_bound else "basico"
    mandate = None
    history = []
    if client is not None:
        mandate = client.mandates.filter(active=True).first()
        history = client_history(client)
    return render(
        request,
        "clients/form.html",
        {
            "client": client,
            "form": form,
            "fin": fin,
            "contacts": contacts,
            "extras": extras,
            "tabs": TABS,
            "active_tab": active_tab,
            "can_financial": can_financial,
            "mandate": mandate,
            "history": history,
            "needs_rename_confirm": needs_rename_confirm,
            "rename_warning": _(RENAME_WARNING),
            "cycle_warning": _(BILLING_CYCLE_WARNING),
            "source_banner": source[0].banner(source[1]) if source is not None else "",
        },
    )


@staff_required("clients.add_client")
def client_create(request):
    return _record_form(request, None)


@staff_required("clients.change_client")
def client_edit(request, pk: int):
    return _record_form(request, client_for_user(request.user, pk))


@require_GET
@staff_required("clients.view_client")
def client_name_fields(request):
    """htmx: the name inputs the chosen person type needs (the server validates regardless)."""
    form = ClientForm(
        initial={
            "person_type": request.GET.get("person_type") or PersonType.OTHER,
            **{k: request.GET.get(k, "") for k in ("name", "first_name", "middle_name")},
            **{k: request.GET.get(k, "") for k in ("first_surname", "second_surname")},
            **{k: request.GET.get(k, "") for k in ("legal_name", "trade_name")},
        }
    )
    return render(request, "clients/_name_fields.html", {"form": form})


@staff_required("clients.view_client")
def client_detail(request, pk: int):
    """The client's workspace on its "Vista general" section."""
    client = client_record(request.user, pk)
    return render_section(
        request,
        client,
        workspace.GENERAL,
        general={
            "mandate": next((m for m in client.mandates.all() if m.active), None),
            "contacts": list(client.contacts.all()),
            "recent_history": client_history(client, limit=5),
        },
    )


@staff_required("clients.view_client")
def client_section(request, pk: int, section: str):
    """One section of the client's workspace: an app's panel or the history."""
    client = client_record(request.user, pk)
    extra = {}
    if section == workspace.HISTORY:
        extra = {"history": client_history(client), "event_form": ManualEventForm()}
    return render_section(request, client, section, general=extra)


def _int_or_none(raw) -> int | None:
    return int(raw) if raw and str(raw).isdigit() else None


@require_GET
@staff_required("clients.view_client")
def client_choices(request):
    """htmx: the pickers of a group (place, billing) narrowed to the parents chosen; a child
    that no longer fits its parent is cleared (the services check the same rules)."""
    group = request.GET.get("group", "")
    if group not in CHOICE_GROUPS:
        raise Http404
    data = {name: _int_or_none(request.GET.get(name)) for name in CHOICE_GROUPS[group]}
    if group == "place":
        narrowing = {
            "city": lambda: cities_for(data["region"]),
            "neighbourhood": lambda: neighbourhoods_for(data["region"], data["city"]),
        }
    else:
        narrowing = {
            "tax_condition": lambda: tax_conditions_for(data["billing_entity"]),
            "invoice_type": lambda: invoice_types_for(
                data["billing_entity"], data["tax_condition"]
            ),
        }
    for name, offered in narrowing.items():  # parent first: a cleared parent clears below
        if data[name] and not offered().filter(pk=data[name]).exists():
            data[name] = None
    form = ClientForm(data={k: v or "" for k, v in data.items()})
    fields = [form[name] for name in CHOICE_GROUPS[group][1:]]
    if request.GET.get("empty") == "mass":  # the mass update: blank means "no change"
        for bound in fields:
            bound.field.empty_label = _("Sin cambios")
    return render(request, "clients/_choices.html", {"fields": fields})


@require_GET
@staff_required("clients.view_client")
def client_jump(request):
    """htmx: the first clients the header's search box finds (the quick search)."""
    q = request.GET.get("q", "").strip()
    rows = []
    if len(q) >= 2:
        form = ClientFilterForm({"q": q, "status": "all"})
        if form.is_valid():
            rows = search_clients(
                request.user, form.cleaned_data, page_size=8, with_count=False
            ).rows
    return render(request, "clients/_jump_results.html", {"rows": rows, "q": q})


@require_POST
@staff_required("clients.change_client")
def client_deactivate(request, pk: int):
    client = client_for_user(request.user, pk)
    try:
        services.client_deactivate(actor=request.user, client=client)
        messages.success(
            request, _("Cliente «%(name)s» desactivado (no se borra).") % {"name": client.name}
        )
    except ValidationError as exc:
        messages.error(request, exc.messages[0])
    return redirect("clients:detail", pk=client.pk)


@require_POST
@staff_required("clients.reactivate_client")
def client_reactivate(request, pk: int):
    client = client_for_user(request.user, pk)
    try:
        services.client_reactivate(actor=request.user, client=client)
        messages.success(request, _("Cliente «%(name)s» reactivado.") % {"name": client.name})
    except ValidationError as exc:
        messages.error(request, exc.messages[0])
    return redirect("clients:detail", pk=client.pk)


@require_POST
@staff_required("clients.add_clientevent")
def event_create(request, pk: int):
    client = client_for_user(request.user, pk)
    form = ManualEventForm(request.POST)
    if form.is_valid():
        try:
            services.client_event_create(actor=request.user, client=client, data=form.cleaned_data)
            messages.success(request, _("Movimiento añadido al historial."))
            return redirect(reverse("clients:detail", args=[client.pk]) + "#historial")
        except ValidationError as exc:
            _put_errors(form, exc)
    return render(
        request, "clients/event_form.html", {"client": client, "form": form, "event": None}
    )


def _manual_event(request, pk: int, event_id: int) -> tuple[Client, ClientEvent]:
    client = client_for_user(request.user, pk)
    event = get_object_or_404(ClientEvent, pk=event_id, client=client)
    if event.kind != EventKind.MANUAL:
        raise PermissionDenied
    return client, event


@staff_required("clients.change_clientevent")
def event_edit(request, pk: int, event_id: int):
    client, event = _manual_event(request, pk, event_id)
    if request.method == "POST":
        form = ManualEventForm(request.POST)
        if form.is_valid():
            try:
                services.client_event_update(
                    actor=request.user, event=event, data=form.cleaned_data
                )
                messages.success(request, _("Movimiento del historial modificado."))
                return redirect(reverse("clients:detail", args=[client.pk]) + "#historial")
            except ValidationError as exc:
                _put_errors(form, exc)
    else:
        form = ManualEventForm(
            initial={
                "entry_type": event.entry_type,
                "occurred_on": event.occurred_on,
                "summary": event.summary,
            }
        )
    return render(
        request, "clients/event_form.html", {"client": client, "form": form, "event": event}
    )


@require_POST
@staff_required("clients.delete_clientevent")
def event_delete(request, pk: int, event_id: int):
    client, event = _manual_event(request, pk, event_id)
    services.client_event_delete(actor=request.user, event=event)
    messages.success(request, _("Movimiento del historial borrado."))
    return redirect(reverse("clients:detail", args=[client.pk]) + "#historial")
