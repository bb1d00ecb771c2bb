"""The client's pages (/portal/). Every read goes through a selector scoped to the session's
client: another client's id in a URL is a 404, never a 403 that would confirm it exists."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from ispgest.billing import selectors as billing
from ispgest.contracts import selectors as contracts
from ispgest.contracts.models import ContractStatus
from ispgest.network.selectors import usage_blocks
from ispgest.portal import auth, selectors, services
from ispgest.portal.forms import PasswordChangeForm, ProfileForm
from ispgest.portal.models import Section

PAGE_SIZE = 20


def _page(request, template: str, context: dict, section: str = ""):
    return render(
        request,
        template,
        {
            "client": request.portal_client,
            "conf": request.portal_settings,
            "section": section,
            **context,
        },
    )


def _paginate(request, qs):
    return Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))


def _errors(form, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc)


@auth.portal_required()
def home(request):
    """Inicio: what the client owes and until when, its wallet, its services."""
    from ispgest.billing.engine import next_run_date

    client = request.portal_client
    summary = billing.unpaid_summary([client.pk])[client.pk]
    unpaid = list(billing.unpaid_documents(client.pk)[:10])
    active = [c for c in contracts.client_contracts(client) if c.status != ContractStatus.CANCELLED]
    suspended = [c for c in active if c.status == ContractStatus.SUSPENDED]
    reasons = contracts.suspension_reasons([c.pk for c in suspended]) if suspended else {}
    next_invoice = next_run_date(client, timezone.localdate()) if client.billing_enabled else None
    return _page(
        request,
        "portal/home.html",
        {
            "summary": summary,
            "unpaid": unpaid,
            "contracts": active,
            "suspended": [(c, reasons.get(c.pk, "")) for c in suspended],
            "next_invoice": next_invoice,
            "today": timezone.localdate(),
        },
        "inicio",
    )


@auth.portal_required(Section.INVOICES)
def invoices(request):
    qs = billing.client_documents(request.portal_client.pk).order_by("-issue_date", "-id")
    return _page(request, "portal/invoices.html", {"page": _paginate(request, qs)}, "facturas")


@auth.portal_required(Section.INVOICES)
def invoice_pdf(request, pk: int):
    from ispgest.billing.pdf import document_pdf

    invoice = selectors.client_invoice(request.portal_client.pk, pk)
    response = HttpResponse(document_pdf(invoice), content_type="application/pdf")
    name = invoice.number_display.replace(" ", "_").replace("/", "-")
    response["Content-Disposition"] = f'attachment; filename="{name}.pdf"'
    return response


@auth.portal_required(Section.PAYMENTS)
def payments(request):
    qs = billing.client_payments(request.portal_client.pk).order_by("-date", "-id")
    return _page(request, "portal/payments.html", {"page": _paginate(request, qs)}, "pagos")


@auth.portal_required(Section.PAYMENTS)
def receipt_pdf(request, pk: int):
    from ispgest.billing.pdf import receipt_pdf as render_receipt

    payment = selectors.client_receipt_payment(request.portal_client.pk, pk)
    receipt = getattr(payment, "receipt", None)
    if receipt is None:
        raise Http404
    response = HttpResponse(render_receipt(receipt), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{receipt.number_display}.pdf"'
    return response


@auth.portal_required(Section.WALLET)
def wallet(request):
    client = request.portal_client
    qs = billing.wallet_movements(client.pk)
    return _page(
        request,
        "portal/wallet.html",
        {"balance": billing.wallet_balance(client.pk), "page": _paginate(request, qs)},
        "monedero",
    )


@auth.portal_required(Section.CONTRACTS)
def contract_list(request):
    client = request.portal_client
    rows = list(contracts.client_contracts(client))
    equipment = list(contracts.client_equipment(client))
    by_contract: dict[int | None, list] = {}
    for item in equipment:
        by_contract.setdefault(item.contract_id, []).append(item)
    suspended = [c.pk for c in rows if c.status == ContractStatus.SUSPENDED]
    reasons = contracts.suspension_reasons(suspended) if suspended else {}
    return _page(
        request,
        "portal/contracts.html",
        {
            "rows": [(c, by_contract.get(c.pk, []), reasons.get(c.pk, "")) for c in rows],
            "loose_equipment": by_contract.get(None, []),
        },
        "contratos",
    )


@auth.portal_required(Section.USAGE)
def usage(request):
    """Consumo: the download and upload of each of the client's contracts that is not
    cancelled, per day (last 30 days) and per month (last 12 months), drawn by the same
    blocks and SVG chart partial as the staff client overview's Consumo panel
    (`network.selectors.usage_blocks`, `network/_usage_chart.html`)."""
    blocks = usage_blocks(request.portal_client)
    return _page(request, "portal/usage.html", {"blocks": blocks}, "consumo")


@auth.portal_required(Section.GATEWAYS)
def gateways(request):
    rows = selectors.client_gateway_accounts(request.portal_client.pk)
    return _page(request, "portal/gateways.html", {"rows": rows}, "pasarelas")


@auth.portal_required()
def profile(request):
    client = request.portal_client
    editable = services.profile_editable_fields(request.portal_settings)
    initial = {
        "phone": client.phone,
        "mobile": client.mobile,
        "notify_emails": ", ".join(client.notify_email_list),
    }
    is_profile = request.method == "POST" and request.POST.get("form") == "profile"
    is_password = request.method == "POST" and request.POST.get("form") == "password"
    form = ProfileForm(request.POST if is_profile else None, initial=initial, editable=editable)
    password_form = PasswordChangeForm(request.POST if is_password else None)
    if is_profile and editable and form.is_valid():
        try:
            services.portal_profile_update(
                account=request.portal_account,
                data={k: form.cleaned_data[k] for k in editable},
            )
        except ValidationError as exc:
            _errors(form, exc)
        else:
            messages.success(request, _("Datos guardados."))
            return redirect("portal:profile")
    if is_password and password_form.is_valid():
        try:
            account = services.portal_password_change(
                account=request.portal_account,
                current=password_form.cleaned_data["current_password"],
                password=password_form.cleaned_data["new_password"],
                confirm=password_form.cleaned_data["confirm_password"],
            )
        except ValidationError as exc:
            _errors(password_form, exc)
        else:
            auth.refresh_session(request, account)
            messages.success(request, _("Contraseña cambiada."))
            return redirect("portal:profile")
    return _page(
        request,
        "portal/profile.html",
        {"form": form, "password_form": password_form, "editable": editable},
        "perfil",
    )
