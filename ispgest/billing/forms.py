"""Billing forms: Spanish labels from the seeds, each field rendered with <label for>."""

from __future__ import annotations

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ispgest.billing.models import Invoice, ReminderSettings
from ispgest.catalog.models import BillingEntity, PaymentMethod, Tax
from ispgest.core.forms import DateInput, StyledFormMixin


class BillingRunForm(StyledFormMixin, forms.Form):
    run_date = forms.DateField(
        label=_("Fecha de facturación"),
        widget=DateInput(),
        help_text=_(
            "Se factura el mes que termina el día anterior, a los clientes cuyo ciclo "
            "cae en este día."
        ),
    )


class LineForm(StyledFormMixin, forms.Form):
    description = forms.CharField(label=_("Descripción"), max_length=255, required=False)
    quantity = forms.DecimalField(
        label=_("Cantidad"), max_digits=12, decimal_places=3, required=False, initial=1
    )
    unit_price = forms.DecimalField(
        label=_("Precio unitario"), max_digits=14, decimal_places=2, required=False
    )
    tax = forms.ModelChoiceField(
        label=_("Impuesto"),
        queryset=Tax.objects.filter(active=True),
        required=False,
        empty_label=_("El del cliente"),
    )

    def clean(self):
        data = super().clean()
        if data.get("description") and (data.get("unit_price") is None):
            self.add_error("unit_price", "Indique el precio unitario.")
        if data.get("quantity") is not None and data["quantity"] <= 0 and data.get("description"):
            self.add_error("quantity", "La cantidad debe ser mayor que cero.")
        if data.get("unit_price") is not None and data["unit_price"] < 0:
            self.add_error("unit_price", "El precio unitario no puede ser negativo.")
        return data


LineFormSet = forms.formset_factory(LineForm, extra=4, max_num=50)


class DocumentForm(StyledFormMixin, forms.Form):
    kind = forms.ChoiceField(
        label=_("Documento"),
        choices=[
            (Invoice.Kind.INVOICE, "Factura"),
            (Invoice.Kind.QUOTE, "Presupuesto"),
            (Invoice.Kind.DELIVERY_NOTE, "Albarán"),
        ],
    )
    issue_date = forms.DateField(label=_("Fecha de emisión"), widget=DateInput())
    notes = forms.CharField(
        label=_("Observaciones"),
        required=False,
        max_length=2000,
        widget=forms.Textarea({"rows": 2}),
    )


class PaymentForm(StyledFormMixin, forms.Form):
    method = forms.ModelChoiceField(
        label=_("Forma de pago"), queryset=PaymentMethod.objects.filter(active=True)
    )
    amount = forms.DecimalField(label=_("Importe"), max_digits=14, decimal_places=2)
    payment_date = forms.DateField(label=_("Fecha"), widget=DateInput())
    reference = forms.CharField(label=_("Referencia"), max_length=120, required=False)
    invoices = forms.ModelMultipleChoiceField(
        label=_("Facturas a pagar"),
        queryset=Invoice.objects.none(),
        widget=forms.CheckboxSelectMultiple,
    )
    excess_to_wallet = forms.BooleanField(
        label=_("Depositar el excedente en el monedero"), required=False
    )

    def __init__(self, *args, invoices=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["invoices"].queryset = (
            invoices if invoices is not None else Invoice.objects.none()
        )
        self.fields["invoices"].label_from_instance = lambda inv: (
            f"{inv.get_kind_display()} {inv.number_display} · vence "
            f"{inv.due_date or inv.issue_date:%d/%m/%Y} · queda {inv.remaining}"
        )
        self.fields["payment_date"].initial = timezone.localdate()


class WalletDepositForm(StyledFormMixin, forms.Form):
    concept = forms.CharField(label=_("Concepto"), max_length=200)
    movement_date = forms.DateField(label=_("Fecha"), widget=DateInput())
    amount = forms.DecimalField(label=_("Importe"), max_digits=14, decimal_places=2)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["movement_date"].initial = timezone.localdate()


class ReasonForm(StyledFormMixin, forms.Form):
    reason = forms.CharField(label=_("Motivo"), max_length=200)


class CreditNoteForm(StyledFormMixin, forms.Form):
    amount = forms.DecimalField(
        label=_("Importe"),
        max_digits=14,
        decimal_places=2,
        required=False,
        help_text=_("Vacío: todo lo que queda de la factura (la anula)."),
    )
    reason = forms.CharField(label=_("Motivo"), max_length=200)


class SepaForm(StyledFormMixin, forms.Form):
    billing_entity = forms.ModelChoiceField(
        label=_("Razón social"), queryset=BillingEntity.objects.filter(active=True)
    )
    due_until = forms.DateField(label=_("Facturas con vencimiento hasta"), widget=DateInput())
    collection_date = forms.DateField(label=_("Fecha de cobro"), widget=DateInput())


class SepaReturnFileForm(StyledFormMixin, forms.Form):
    file = forms.FileField(
        label=_("Fichero de devoluciones (pain.002 o camt.054)"),
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": ".xml,application/xml,text/xml"}),
    )
    content = forms.CharField(required=False, widget=forms.HiddenInput())
    file_name = forms.CharField(required=False, max_length=255, widget=forms.HiddenInput())


class ReminderSettingsForm(StyledFormMixin, forms.ModelForm):
    class Meta:
        model = ReminderSettings
        fields = [
            "before_enabled",
            "days_before",
            "before_text",
            "after_enabled",
            "days_after",
            "after_text",
        ]
        widgets = {
            "before_text": forms.Textarea(attrs={"rows": 3}),
            "after_text": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("days_before", "days_after"):
            self.fields[name].widget.input_type = "text"
            self.fields[name].widget.attrs["inputmode"] = "numeric"
