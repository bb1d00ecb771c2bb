"""Forms of the fiscal pages (Spanish labels, rendered with <label for>)."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from ispgest.catalog.models import BillingEntity, FiscalRegime
from ispgest.core.forms import DateInput, StyledFormMixin
from ispgest.fiscal.models import Environment, Issuer


class IssuerSettingsForm(StyledFormMixin, forms.Form):
    environment = forms.ChoiceField(label=_("Entorno de la AEAT"), choices=Environment.choices)
    credit_note_type = forms.ChoiceField(
        label=_("Tipo de rectificativa de las notas de crédito"),
        choices=Issuer._meta.get_field("credit_note_type").choices,
        help_text=_("Las notas de crédito de facturas simplificadas son siempre R5."),
    )


class CertificateForm(StyledFormMixin, forms.Form):
    certificate = forms.FileField(
        label=_("Certificado electrónico (.p12 / .pfx)"),
        help_text=_("Certificado de la entidad o de su representante; se guarda cifrado."),
    )
    password = forms.CharField(
        label=_("Contraseña del certificado"),
        widget=forms.PasswordInput(render_value=False),
        required=False,
        max_length=200,
    )

    def clean_certificate(self):
        upload = self.cleaned_data["certificate"]
        if upload.size > min(settings.ISPGEST_UPLOAD_MAX_BYTES, 100 * 1024):
            raise forms.ValidationError(
                _("El archivo es demasiado grande para ser un certificado.")
            )
        return upload


class CancelForm(StyledFormMixin, forms.Form):
    reason = forms.CharField(
        label=_("Motivo de la anulación"),
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class CorrectForm(StyledFormMixin, forms.Form):
    recipient_name = forms.CharField(
        label=_("Nombre o razón social del destinatario"), max_length=120, required=False
    )
    recipient_tax_id = forms.CharField(
        label=_("NIF del destinatario"), max_length=20, required=False
    )
    reason = forms.CharField(
        label=_("Qué se corrige"), max_length=500, widget=forms.Textarea(attrs={"rows": 3})
    )


class ExportForm(StyledFormMixin, forms.Form):
    entity = forms.ModelChoiceField(
        label=_("Razón social"),
        queryset=BillingEntity.objects.filter(fiscal_regime=FiscalRegime.VERIFACTU),
    )
    date_from = forms.DateField(label=_("Desde (fecha de expedición)"), widget=DateInput())
    date_to = forms.DateField(label=_("Hasta (fecha de expedición)"), widget=DateInput())

    def clean(self):
        data = super().clean()
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and start > end:
            self.add_error("date_to", _("La fecha final es anterior a la inicial."))
        return data
