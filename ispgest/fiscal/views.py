"""Pages of the fiscal layer ("Facturación electrónica"): issuers and their queues, records,
submissions, anulación, subsanación and the export of a period. Thin: services do the work.

Records span every client, so each page needs `clients.view_all_clients` besides its own
permission."""

from __future__ import annotations

import tempfile

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from ispgest.accounts.decorators import staff_required
from ispgest.billing.models import Invoice
from ispgest.fiscal import selectors, services
from ispgest.fiscal.forms import (
    CancelForm,
    CertificateForm,
    CorrectForm,
    ExportForm,
    IssuerSettingsForm,
)
from ispgest.fiscal.models import Issuer, Record, RecordStatus, Submission
from ispgest.fiscal.verifactu import export, qr, records
from ispgest.fiscal.verifactu import xml as X

ALL = "clients.view_all_clients"


def _messages(request, exc: ValidationError, form=None) -> None:
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


@staff_required("fiscal.view_record", ALL)
def home(request):
    return render(request, "fiscal/home.html", {"issuers": selectors.issuers_with_counts()})


@staff_required("fiscal.view_record", ALL)
def issuer_detail(request, pk):
    issuer = get_object_or_404(Issuer, pk=pk)
    status = request.GET.get("estado") or ""
    page = Paginator(selectors.issuer_records(issuer, status), 50).get_page(request.GET.get("page"))
    return render(
        request,
        "fiscal/issuer_detail.html",
        {
            "issuer": issuer,
            "counts": selectors.issuer_counts(issuer),
            "status": status,
            "statuses": RecordStatus.choices,
            "page_obj": page,
            "submissions": selectors.issuer_submissions(issuer),
            "settings_form": IssuerSettingsForm(
                initial={
                    "environment": issuer.environment,
                    "credit_note_type": issuer.credit_note_type,
                }
            ),
            "certificate_form": CertificateForm(),
        },
    )


@require_POST
@staff_required("fiscal.change_issuer", ALL)
def issuer_settings(request, pk):
    issuer = get_object_or_404(Issuer, pk=pk)
    form = IssuerSettingsForm(request.POST)
    if form.is_valid():
        try:
            services.issuer_settings_update(actor=request.user, issuer=issuer, **form.cleaned_data)
        except ValidationError as exc:
            _messages(request, exc)
        else:
            messages.success(request, _("Configuración guardada."))
    else:
        for errors in form.errors.values():
            for msg in errors:
                messages.error(request, msg)
    return redirect("fiscal:issuer_detail", pk=issuer.pk)


@require_POST
@staff_required("fiscal.manage_certificate", ALL)
def issuer_certificate(request, pk):
    issuer = get_object_or_404(Issuer, pk=pk)
    form = CertificateForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            services.issuer_certificate_upload(
                actor=request.user,
                issuer=issuer,
                data=form.cleaned_data["certificate"].read(),
                password=form.cleaned_data["password"],
            )
        except ValidationError as exc:
            _messages(request, exc)
        else:
            messages.success(request, _("Certificado guardado (cifrado)."))
    else:
        for errors in form.errors.values():
            for msg in errors:
                messages.error(request, msg)
    return redirect("fiscal:issuer_detail", pk=issuer.pk)


@require_POST
@staff_required("fiscal.submit_records", ALL)
def issuer_submit(request, pk):
    issuer = get_object_or_404(Issuer, pk=pk)
    try:
        services.issuer_submit_now(actor=request.user, issuer=issuer)
    except ValidationError as exc:
        _messages(request, exc)
    else:
        messages.success(request, _("Envío a la AEAT encolado."))
    return redirect("fiscal:issuer_detail", pk=issuer.pk)


@staff_required("fiscal.view_record", ALL)
def issuer_verify(request, pk):
    issuer = get_object_or_404(Issuer, pk=pk)
    problems = records.chain_problems(issuer)
    if problems:
        for problem in problems:
            messages.error(request, problem)
    else:
        messages.success(
            request,
            _(
                "La cadena está completa: cada huella corresponde a sus datos y al registro anterior."
            ),
        )
    return redirect("fiscal:issuer_detail", pk=issuer.pk)


@staff_required("fiscal.view_record", ALL)
def record_detail(request, pk):
    record = get_object_or_404(
        Record.objects.select_related("issuer", "invoice", "software", "submission", "corrects"),
        pk=pk,
    )
    xml = X.etree.tostring(X.record_element(record), pretty_print=True, encoding="unicode")
    return render(
        request,
        "fiscal/record_detail.html",
        {
            "record": record,
            "xml": xml,
            "qr_url": qr.url_for(record) if record.kind == Record.Kind.ALTA else "",
            "corrections": list(record.corrections.order_by("position")),
        },
    )


@staff_required("fiscal.view_record", ALL)
def record_xml(request, pk):
    record = get_object_or_404(Record.objects.select_related("software"), pk=pk)
    data = X.etree.tostring(X.record_element(record), xml_declaration=True, encoding="UTF-8")
    response = HttpResponse(data, content_type="application/xml")
    response["Content-Disposition"] = (
        f'attachment; filename="registro-{record.issuer_nif}-{record.position}.xml"'
    )
    return response


@staff_required("fiscal.cancel_record", ALL)
def record_cancel(request, invoice_pk):
    invoice = get_object_or_404(Invoice, pk=invoice_pk)
    form = CancelForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            record = services.record_cancel(
                actor=request.user, invoice=invoice, reason=form.cleaned_data["reason"]
            )
        except ValidationError as exc:
            _messages(request, exc, form)
        else:
            messages.success(
                request, _("Registro de anulación generado; la factura queda anulada.")
            )
            return redirect("fiscal:record_detail", pk=record.pk)
    return render(request, "fiscal/record_cancel.html", {"form": form, "doc": invoice})


@staff_required("fiscal.correct_record", ALL)
def record_correct(request, pk):
    record = get_object_or_404(Record.objects.select_related("invoice"), pk=pk)
    form = CorrectForm(
        request.POST or None,
        initial={"recipient_name": record.recipient_name, "recipient_tax_id": record.recipient_nif},
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            new = services.record_correct(
                actor=request.user,
                record=record,
                reason=data["reason"],
                recipient_name=data["recipient_name"] or None,
                recipient_tax_id=data["recipient_tax_id"] or None,
            )
        except ValidationError as exc:
            _messages(request, exc, form)
        else:
            messages.success(request, _("Registro de subsanación generado y encolado."))
            return redirect("fiscal:record_detail", pk=new.pk)
    return render(request, "fiscal/record_correct.html", {"form": form, "record": record})


@staff_required("fiscal.view_record", ALL)
def submission_detail(request, pk):
    submission = get_object_or_404(Submission.objects.select_related("issuer"), pk=pk)
    rows = submission.records.order_by("position")
    page = Paginator(rows, 100).get_page(request.GET.get("page"))
    return render(
        request, "fiscal/submission_detail.html", {"submission": submission, "page_obj": page}
    )


@staff_required("fiscal.export_records", ALL)
def export_period(request):
    form = ExportForm(request.GET or None)
    if request.GET and form.is_valid():
        data = form.cleaned_data
        out = tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024)  # noqa: SIM115
        export.write(out, data["entity"], data["date_from"], data["date_to"])
        out.seek(0)
        name = (
            f"registros-{data['entity'].tax_id}-{data['date_from']:%Y%m%d}-"
            f"{data['date_to']:%Y%m%d}.xml"
        )
        return FileResponse(out, as_attachment=True, filename=name, content_type="application/xml")
    return render(request, "fiscal/export.html", {"form": form})
