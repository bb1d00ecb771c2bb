"""Filters of the document and payment lists (state in the URL, so figures of "Inicio"
link to the list behind them: documents issued this month, payments collected...)."""

from __future__ import annotations

from django import forms
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ispgest.billing.models import Invoice, InvoiceStatus, Payment
from ispgest.core.forms import DateInput, StyledFormMixin

UNPAID = (InvoiceStatus.PENDING, InvoiceStatus.PARTIALLY_PAID)


class _DateRangeForm(StyledFormMixin, forms.Form):
    desde = forms.DateField(label=_("Desde"), required=False, widget=DateInput)
    hasta = forms.DateField(label=_("Hasta"), required=False, widget=DateInput)

    def clean(self):
        data = super().clean()
        if data.get("desde") and data.get("hasta") and data["desde"] > data["hasta"]:
            self.add_error("hasta", _("La fecha final es anterior a la inicial."))
        return data


class DocumentFilterForm(_DateRangeForm):
    kind = forms.ChoiceField(
        label=_("Documento"), required=False, choices=[("", _("Todos")), *Invoice.Kind.choices]
    )
    status = forms.ChoiceField(
        label=_("Estado"), required=False, choices=[("", _("Todos")), *Invoice.Status.choices]
    )
    vencidas = forms.BooleanField(label=_("Solo vencidas e impagas"), required=False)
    field_order = ["kind", "status", "desde", "hasta", "vencidas"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["desde"].label = _("Emitidos desde")
        self.fields["hasta"].label = _("Emitidos hasta")

    def apply(self, qs: QuerySet[Invoice]) -> QuerySet[Invoice]:
        data = self.cleaned_data if self.is_valid() else {}
        if data.get("kind"):
            qs = qs.filter(kind=data["kind"])
        if data.get("status"):
            qs = qs.filter(status=data["status"])
        if data.get("desde"):
            qs = qs.filter(issue_date__gte=data["desde"])
        if data.get("hasta"):
            qs = qs.filter(issue_date__lte=data["hasta"])
        if data.get("vencidas"):
            qs = qs.filter(
                kind=Invoice.Kind.INVOICE, status__in=UNPAID, due_date__lt=timezone.localdate()
            )
        return qs


class PaymentFilterForm(_DateRangeForm):
    def apply(self, qs: QuerySet[Payment]) -> QuerySet[Payment]:
        data = self.cleaned_data if self.is_valid() else {}
        if data.get("desde"):
            qs = qs.filter(date__gte=data["desde"])
        if data.get("hasta"):
            qs = qs.filter(date__lte=data["hasta"])
        return qs
