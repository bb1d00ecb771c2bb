"""Billing pages: thin views over services and selectors; every view checks its permission
and every client-bound read goes through clients.scoping.visible_clients."""

from __future__ import annotations

from datetime import timedelta

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Sum
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from ispgest.accounts.decorators import staff_required
from ispgest.billing import engine, selectors, services, signals
from ispgest.billing.calc import tax_breakdown
from ispgest.billing.filters import DocumentFilterForm, PaymentFilterForm
from ispgest.billing.forms import (
    BillingRunForm,
    CreditNoteForm,
    DocumentForm,
    LineFormSet,
    PaymentForm,
    ReasonForm,
    SepaForm,
    SepaReturnFileForm,
    WalletDepositForm,
)
from ispgest.billing.models import (
    MASCULINE_KINDS,
    BillingRun,
    Invoice,
    Payment,
    SepaBatch,
    SepaBatchItem,
    WalletMovement,
)
from ispgest.billing.pdf import document_pdf, receipt_pdf
from ispgest.billing.sepa import sepa_batch_create, sepa_preview, sepa_return_record
from ispgest.clients.scoping import visible_clients
from ispgest.clients.workspace import back_to_section, render_in_workspace, section_url
from ispgest.core.country import get_profile


def _client(request, pk):
    return get_object_or_404(visible_clients(request.user), pk=pk)


def _invoice(request, pk):
    return get_object_or_404(
        Invoice.objects.filter(client__in=visible_clients(request.user)).select_related(
            "billing_entity", "invoice_type", "client", "credited_invoice"
        ),
        pk=pk,
    )


def _errors_to_messages(request, exc: ValidationError, form=None):
    if form is not None and hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            for err in errors:
                for msg in err.messages:
                    if field in form.fields:
                        form.add_error(field, msg)
                    else:
                        messages.error(request, msg)
        return
    for msg in exc.messages:
        messages.error(request, msg)


def _client_url(client, section: str = "") -> str:
    return section_url(client.pk, section)


@staff_required("billing.view_invoice")
def home(request):
    visible = visible_clients(request.user)
    invoices = (
        Invoice.objects.filter(client__in=visible)
        .select_related("invoice_type")
        .order_by("-id")[:25]
    )
    return render(
        request,
        "billing/home.html",
        {
            "runs": BillingRun.objects.select_related("created_by")[:10],
            "invoices": invoices,
            "batches": SepaBatch.objects.select_related("billing_entity")[:10],
        },
    )


@staff_required("billing.run_billing")
def run_start(request):
    form = BillingRunForm(request.POST or None, initial={"run_date": timezone.localdate()})
    if request.method == "POST" and form.is_valid():
        run = services.billing_run_start(actor=request.user, run_date=form.cleaned_data["run_date"])
        messages.success(request, _("Facturación periódica lanzada."))
        return redirect("billing:run_detail", pk=run.pk)
    return render(request, "billing/run_start.html", {"form": form})


def _run_context(pk) -> dict:
    run = get_object_or_404(BillingRun.objects.select_related("job"), pk=pk)
    invoices = run.invoices.select_related("invoice_type").order_by("number")[:50]
    return {"run": run, "invoices": invoices}


@staff_required("billing.view_billingrun")
def run_detail(request, pk):
    return render(request, "billing/run_detail.html", _run_context(pk))


@staff_required("billing.view_billingrun")
def run_progress(request, pk):
    """The fragment the page polls: progress, then the summary and the issued invoices."""
    return render(request, "billing/_run_progress.html", _run_context(pk))


@staff_required("billing.view_invoice")
def invoice_list(request):
    qs = (
        Invoice.objects.filter(client__in=visible_clients(request.user))
        .select_related("invoice_type")
        .order_by("-id")
    )
    form = DocumentFilterForm(request.GET or None)
    qs = form.apply(qs)
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    return render(request, "billing/invoice_list.html", {"page_obj": page, "form": form})


@staff_required("billing.view_payment")
def payment_list(request):
    """Payments (and reversals) of the visible clients, by date; "Cobrado este mes"."""
    form = PaymentFilterForm(request.GET or None)
    qs = form.apply(
        Payment.objects.filter(client__in=visible_clients(request.user))
        .select_related("client", "method", "receipt")
        .order_by("-date", "-id")
    )
    total = qs.aggregate(total=Sum("amount"))["total"]
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    return render(
        request, "billing/payment_list.html", {"page_obj": page, "form": form, "total": total}
    )


@staff_required("billing.view_invoice")
def invoice_detail(request, pk):
    invoice = _invoice(request, pk)
    lines = list(invoice.lines.all())
    return render_in_workspace(
        request,
        invoice.client,
        "billing/invoice_detail.html",
        {
            "doc": invoice,
            "lines": lines,
            "breakdown": tax_breakdown(lines),
            "allocations": invoice.allocations.select_related(
                "payment__method", "payment__receipt"
            ),
            "credit_notes": invoice.credit_notes.all(),
            "fiscal_panels": signals.panels_for(request, invoice),
        },
        section="documentos",
        title=f"{invoice.get_kind_display()} {invoice.number_display}",
    )


@staff_required("billing.view_invoice")
def invoice_pdf(request, pk):
    invoice = _invoice(request, pk)
    response = HttpResponse(document_pdf(invoice), content_type="application/pdf")
    name = invoice.number_display.replace(" ", "_")
    response["Content-Disposition"] = f'inline; filename="{name}.pdf"'
    return response


@staff_required("billing.view_payment")
def receipt_pdf_view(request, pk):
    payment = get_object_or_404(
        Payment.objects.filter(client__in=visible_clients(request.user)).select_related(
            "receipt", "client", "method"
        ),
        pk=pk,
    )
    receipt = getattr(payment, "receipt", None)
    if receipt is None:
        return HttpResponse("Este pago no tiene recibo.", status=404)
    response = HttpResponse(receipt_pdf(receipt), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{receipt.number_display}.pdf"'
    return response


@staff_required("billing.view_invoice", "billing.issue_credit_note")
def credit_note_create(request, pk):
    invoice = _invoice(request, pk)
    form = CreditNoteForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            note = services.credit_note_create(
                actor=request.user,
                invoice=invoice,
                amount=form.cleaned_data["amount"],
                reason=form.cleaned_data["reason"],
            )
        except ValidationError as exc:
            _errors_to_messages(request, exc, form)
        else:
            messages.success(
                request, _("Nota de crédito %(number)s emitida.") % {"number": note.number_display}
            )
            return redirect("billing:invoice_detail", pk=note.pk)
    return render_in_workspace(
        request,
        invoice.client,
        "billing/credit_note_form.html",
        {"form": form, "doc": invoice},
        section="documentos",
        title=_("Nota de crédito"),
    )


@staff_required("billing.add_invoice")
def invoice_create(request, client_pk):
    client = _client(request, client_pk)
    form = DocumentForm(
        request.POST or None,
        initial={"issue_date": timezone.localdate(), "kind": request.GET.get("kind", "invoice")},
    )
    formset = LineFormSet(request.POST or None, prefix="lines")
    if request.method == "POST" and form.is_valid() and formset.is_valid():
        lines = [
            services.LineInput(
                description=f.cleaned_data["description"],
                quantity=f.cleaned_data.get("quantity") or 1,
                unit_price=f.cleaned_data["unit_price"],
                tax=f.cleaned_data.get("tax"),
            )
            for f in formset.forms
            if f.cleaned_data.get("description")
        ]
        try:
            doc = services.document_create(
                actor=request.user,
                client=client,
                kind=form.cleaned_data["kind"],
                lines=lines,
                issue_date=form.cleaned_data["issue_date"],
                notes=form.cleaned_data["notes"],
            )
        except ValidationError as exc:
            _errors_to_messages(request, exc, form)
        else:
            messages.success(
                request,
                (
                    _("%(kind)s %(number)s emitido.")
                    if doc.kind in MASCULINE_KINDS
                    else _("%(kind)s %(number)s emitida.")
                )
                % {"kind": doc.get_kind_display(), "number": doc.number_display},
            )
            return redirect("billing:invoice_detail", pk=doc.pk)
    return render_in_workspace(
        request,
        client,
        "billing/invoice_form.html",
        {"form": form, "formset": formset},
        section="documentos",
        title=_("Crear Factura"),
    )


@staff_required("billing.add_payment")
def payment_create(request, client_pk):
    client = _client(request, client_pk)
    unpaid = selectors.unpaid_documents(client.pk)
    initial_ids = request.GET.getlist("invoice")
    form = PaymentForm(
        request.POST or None,
        invoices=unpaid,
        initial={"invoices": initial_ids} if initial_ids else None,
    )
    if request.method == "POST" and form.is_valid():
        try:
            payment = services.payment_register(
                actor=request.user,
                client=client,
                method=form.cleaned_data["method"],
                amount=form.cleaned_data["amount"],
                invoices=list(form.cleaned_data["invoices"]),
                payment_date=form.cleaned_data["payment_date"],
                reference=form.cleaned_data["reference"],
                excess_to_wallet=form.cleaned_data["excess_to_wallet"],
            )
        except ValidationError as exc:
            _errors_to_messages(request, exc, form)
        else:
            done = _("Pago registrado. Recibo %(number)s.") % {
                "number": payment.receipt.number_display
            }
            if payment.wallet_excess:
                done += " " + _("Excedente de %(amount)s depositado en el monedero.") % {
                    "amount": get_profile().format_money(payment.wallet_excess)
                }
            messages.success(request, done)
            return back_to_section(client.pk, "pagos")
    return render_in_workspace(
        request,
        client,
        "billing/payment_form.html",
        {"form": form},
        section="pagos",
        title=_("Registrar pago"),
    )


@staff_required("billing.view_wallet")
def wallet(request, client_pk):
    client = _client(request, client_pk)
    form = WalletDepositForm(request.POST or None)
    if request.method == "POST":
        if not request.user.has_perm("billing.add_walletmovement"):
            from django.core.exceptions import PermissionDenied

            raise PermissionDenied
        if form.is_valid():
            try:
                services.wallet_deposit(
                    actor=request.user,
                    client=client,
                    amount=form.cleaned_data["amount"],
                    concept=form.cleaned_data["concept"],
                    movement_date=form.cleaned_data["movement_date"],
                )
            except ValidationError as exc:
                _errors_to_messages(request, exc, form)
            else:
                messages.success(request, _("Movimiento añadido al monedero."))
                return back_to_section(client.pk, "monedero")
    return render_in_workspace(
        request,
        client,
        "billing/wallet.html",
        {
            "form": form,
            "balance": selectors.wallet_balance(client.pk),
            "movements": selectors.wallet_movements(client.pk)[:200],
        },
        section="monedero",
        title=_("Monedero"),
    )


@require_POST
@staff_required("billing.change_walletmovement")
def wallet_reverse(request, client_pk, movement_pk):
    client = _client(request, client_pk)
    movement = get_object_or_404(WalletMovement, pk=movement_pk, wallet_id=client.pk)
    form = ReasonForm(request.POST)
    if form.is_valid():
        try:
            services.wallet_movement_reverse(
                actor=request.user, movement=movement, reason=form.cleaned_data["reason"]
            )
            messages.success(request, _("Movimiento corregido con un movimiento inverso."))
        except ValidationError as exc:
            _errors_to_messages(request, exc)
    else:
        messages.error(request, _("Indique el motivo de la corrección."))
    return back_to_section(client.pk, "monedero")


@staff_required("billing.view_invoice")
def preview(request, client_pk):
    client = _client(request, client_pk)
    run_date, drafts, errors = engine.preview_client(client)
    template = "billing/_preview.html" if request.htmx else "billing/preview.html"
    return render(
        request,
        template,
        {
            "client": client,
            "run_date": run_date,
            "drafts": drafts,
            "errors": errors,
            "period": engine.period_for(run_date) if run_date else None,
        },
    )


@require_POST
@staff_required("billing.add_invoice")
def document_from_package(request, pk, kind):
    from ispgest.contracts.models import PackageAssignment

    assignment = get_object_or_404(
        PackageAssignment.objects.filter(client__in=visible_clients(request.user)).select_related(
            "client", "package", "contract"
        ),
        pk=pk,
    )
    try:
        doc = services.document_from_package(
            actor=request.user, package_assignment=assignment, kind=kind
        )
    except ValidationError as exc:
        _errors_to_messages(request, exc)
        return redirect(_client_url(assignment.client, "renovaciones"))
    messages.success(
        request,
        _("%(kind)s %(number)s generado.")
        % {"kind": doc.get_kind_display(), "number": doc.number_display},
    )
    return redirect("billing:invoice_detail", pk=doc.pk)


@staff_required("billing.manage_sepa")
def sepa_new(request):
    today = timezone.localdate()
    data = request.POST or request.GET or None
    form = SepaForm(
        data,
        initial={"due_until": today, "collection_date": today + timedelta(days=5)},
    )
    preview_data = None
    if data and form.is_valid():
        cd = form.cleaned_data
        if request.method == "POST":
            try:
                batch, preview_data = sepa_batch_create(
                    actor=request.user,
                    entity=cd["billing_entity"],
                    due_until=cd["due_until"],
                    collection_date=cd["collection_date"],
                )
            except ValidationError as exc:
                _errors_to_messages(request, exc, form)
            else:
                if batch is None:
                    messages.warning(request, _("No hay adeudos que remesar."))
                else:
                    messages.success(
                        request,
                        _("Remesa %(message_id)s creada con %(count)s adeudos.")
                        % {"message_id": batch.message_id, "count": batch.count},
                    )
                    return redirect("billing:sepa_detail", pk=batch.pk)
        else:
            preview_data = sepa_preview(entity=cd["billing_entity"], due_until=cd["due_until"])
    return render(request, "billing/sepa_new.html", {"form": form, "preview": preview_data})


@staff_required("billing.manage_sepa")
def sepa_detail(request, pk):
    batch = get_object_or_404(SepaBatch.objects.select_related("billing_entity"), pk=pk)
    items = batch.items.select_related("invoice").order_by("id")
    return render(
        request, "billing/sepa_detail.html", {"batch": batch, "items": items, "form": ReasonForm()}
    )


@staff_required("billing.manage_sepa")
def sepa_xml(request, pk):
    batch = get_object_or_404(SepaBatch, pk=pk)
    response = HttpResponse(batch.xml, content_type="application/xml")
    response["Content-Disposition"] = f'attachment; filename="{batch.message_id}.xml"'
    return response


@require_POST
@staff_required("billing.manage_sepa")
def sepa_return(request, item_pk):
    item = get_object_or_404(SepaBatchItem, pk=item_pk)
    form = ReasonForm(request.POST)
    if form.is_valid():
        try:
            sepa_return_record(actor=request.user, item=item, reason=form.cleaned_data["reason"])
            messages.success(
                request, _("Devolución registrada: la factura vuelve a estar pendiente.")
            )
        except ValidationError as exc:
            _errors_to_messages(request, exc)
    else:
        messages.error(request, _("Indique el motivo de la devolución."))
    return redirect("billing:sepa_detail", pk=item.batch_id)


@staff_required("billing.manage_sepa")
def sepa_returns_import(request):
    """Importar devoluciones: upload a pain.002/camt.054, see what it matches, then apply.

    The preview carries the file's content back in the form (base64), so "Aplicar" checks
    the very same bytes again from scratch before writing."""
    import base64
    import binascii

    from ispgest.billing.sepa_returns import (
        MAX_FILE_SIZE,
        sepa_return_file_check,
        sepa_return_file_import,
    )

    form = SepaReturnFileForm(request.POST or None, request.FILES or None)
    check = None
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        name = form.cleaned_data["file_name"]
        try:
            if upload is not None:
                if upload.size > MAX_FILE_SIZE:
                    raise ValidationError(
                        {"file": [_("Fichero: supera el tamaño máximo de 2 MB.")]}
                    )
                content, name = upload.read(), upload.name
            else:
                try:
                    content = base64.b64decode(form.cleaned_data["content"], validate=True)
                except (binascii.Error, ValueError):
                    content = b""
                if not content:
                    raise ValidationError({"file": [_("Fichero: elija el fichero del banco.")]})
            if "apply" in request.POST and upload is None:
                record = sepa_return_file_import(
                    actor=request.user, content=content, file_name=name
                )
                messages.success(
                    request,
                    _(
                        "Fichero %(message_id)s aplicado: %(matched)s devoluciones, %(unmatched)s sin casar."
                    )
                    % {
                        "message_id": record.message_id,
                        "matched": record.matched_count,
                        "unmatched": record.unmatched_count,
                    },
                )
                return redirect("billing:sepa_returns_import")
            check = sepa_return_file_check(content=content)
            form = SepaReturnFileForm(
                initial={"content": base64.b64encode(content).decode(), "file_name": name}
            )
        except ValidationError as exc:
            _errors_to_messages(request, exc, form)
    from ispgest.billing.models import SepaReturnFile

    return render(
        request,
        "billing/sepa_returns.html",
        {
            "form": form,
            "check": check,
            "files": SepaReturnFile.objects.select_related("created_by")[:20],
        },
    )


@staff_required("billing.view_remindersettings", "billing.change_remindersettings")
def reminder_settings(request):
    """Recordatorios de vencimiento: days before/after the due date and the ISP's texts."""
    from ispgest.billing.forms import ReminderSettingsForm
    from ispgest.billing.models import InvoiceReminder
    from ispgest.billing.reminders import reminder_settings as current
    from ispgest.billing.reminders import reminder_settings_update

    form = ReminderSettingsForm(request.POST or None, instance=current())
    if request.method == "POST" and form.is_valid():
        try:
            reminder_settings_update(actor=request.user, data=form.cleaned_data)
        except ValidationError as exc:
            _errors_to_messages(request, exc, form)
        else:
            messages.success(request, _("Recordatorios guardados."))
            return redirect("billing:reminder_settings")
    recent = InvoiceReminder.objects.select_related("invoice").order_by("-sent_at", "-id")[:20]
    return render(request, "billing/reminder_settings.html", {"form": form, "recent": recent})
