"""CRM forms. They only parse what was typed; the rules are the services' (crm/services.py),
whose errors the views put back on these forms."""

from __future__ import annotations

from django import forms
from django.contrib.auth import get_user_model
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ispgest.catalog.models import Seller
from ispgest.core.country import get_profile
from ispgest.core.forms import DateInput, StyledFormMixin, style_fields
from ispgest.crm import services
from ispgest.crm.models import (
    Activity,
    AnnualTurnover,
    Attorney,
    Company,
    CompanyBankAccount,
    Opportunity,
    OpportunityStage,
    Prospect,
    Shareholder,
    StageKind,
    Withholding,
)
from ispgest.crm.permissions import sees_all_pipeline


class DateTimeInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, attrs=None):
        super().__init__(attrs=attrs, format="%Y-%m-%dT%H:%M")


def _formfield(field, **kwargs):
    if isinstance(field, models.URLField):
        kwargs["assume_scheme"] = "https"
    return field.formfield(**kwargs)


def _model_fields(model, names, widgets=None) -> dict:
    fields = forms.fields_for_model(
        model, fields=names, widgets=widgets or {}, formfield_callback=_formfield
    )
    for field in fields.values():
        if isinstance(field, forms.DateField) and not isinstance(field, forms.DateTimeField):
            field.widget = DateInput()
        if isinstance(field, forms.DateTimeField):
            field.widget = DateTimeInput()
    return fields


def _choices(options: tuple[str, ...], current: str = "") -> list[tuple[str, str]]:
    values = list(options)
    if current and current not in values:
        values.append(current)
    return [("", "---------")] + [(v, v) for v in values]


class _SectionForm(StyledFormMixin, forms.Form):
    model = Company
    names: tuple[str, ...] = ()

    def __init__(self, *args, instance=None, **kwargs):
        if instance is not None and "initial" not in kwargs:
            kwargs["initial"] = {n: getattr(instance, n) for n in self.names}
        self.base_fields = _model_fields(self.model, self.names, getattr(self, "widgets", None))
        super().__init__(*args, **kwargs)
        self.instance = instance

    def full_clean(self):
        style_fields(self)
        return super().full_clean()

    def get_context(self):
        # Subclasses add or replace fields after StyledFormMixin ran: style them too.
        style_fields(self)
        return super().get_context()

    def data_for_service(self) -> dict:
        return {n: self.cleaned_data.get(n) for n in self.names if n in self.cleaned_data}


class CompanyGeneralForm(_SectionForm):
    names = services.COMPANY_GENERAL

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        profile = get_profile()
        current = self.instance
        self.fields["legal_form"] = forms.ChoiceField(
            label=_("Forma jurídica"),
            required=False,
            choices=_choices(profile.legal_forms, getattr(current, "legal_form", "")),
        )
        kinds = [(k.code, k.label) for k in profile.tax_id_kinds]
        self.fields["tax_id_kind"] = forms.ChoiceField(
            label=_("Tipo de número tributario"), choices=kinds, required=False
        )
        self.fields["tax_id"].label = profile.tax_id_label
        self.fields["activity_code"].label = profile.activity_code_label
        if profile.activity_code_hint:
            self.fields["activity_code"].help_text = profile.activity_code_hint
        self.fields["name"].required = True
        self.order_fields(self.names)


class CompanyMercantileForm(_SectionForm):
    names = services.COMPANY_MERCANTILE


class CompanyFiscalForm(_SectionForm):
    names = services.COMPANY_FISCAL
    widgets = {"fiscal_notes": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        profile = get_profile()
        current = self.instance
        self.fields["vat_regime"] = forms.ChoiceField(
            label=_("Régimen de IVA"),
            required=False,
            choices=_choices(profile.vat_regimes, getattr(current, "vat_regime", "")),
        )
        self.fields["corporate_tax_regime"] = forms.ChoiceField(
            label=_("Impuesto sobre sociedades"),
            required=False,
            choices=_choices(
                profile.corporate_tax_regimes, getattr(current, "corporate_tax_regime", "")
            ),
        )
        self.fields["vat_records_required"].label = profile.vat_records_label
        self.fields["e_invoicing_required"].label = profile.e_invoicing_label
        self.order_fields(self.names)


class CompanyFinancialForm(_SectionForm):
    names = services.COMPANY_FINANCIAL


SECTION_FORMS = {
    "general": CompanyGeneralForm,
    "mercantil": CompanyMercantileForm,
    "fiscal": CompanyFiscalForm,
    "financiera": CompanyFinancialForm,
}


class AttorneyForm(_SectionForm):
    model = Attorney
    names = services.ATTORNEY_FIELDS


class ShareholderForm(_SectionForm):
    model = Shareholder
    names = ("name", "tax_id", "percentage", "shares")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["linked_client"] = forms.IntegerField(
            label=_("Cliente vinculado (ID)"),
            required=False,
            min_value=1,
            help_text=_("Opcional: el número de cliente del socio; completa nombre y número."),
        )
        self.fields["name"].required = False
        self.fields["tax_id"].label = get_profile().tax_id_label
        self.order_fields(["linked_client", *self.names])

    def data_for_service(self) -> dict:
        data = super().data_for_service()
        data["linked_client"] = self.cleaned_data.get("linked_client")
        return data


class WithholdingForm(_SectionForm):
    model = Withholding
    names = services.WITHHOLDING_FIELDS

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        kinds = get_profile().withholding_kinds
        if kinds:
            self.fields["kind"] = forms.ChoiceField(
                label=_("Tipo de retención"), choices=_choices(kinds)
            )
            self.order_fields(self.names)


class TurnoverForm(_SectionForm):
    model = AnnualTurnover
    names = ("year", "amount")


class BankAccountForm(_SectionForm):
    model = CompanyBankAccount
    names = services.BANK_FIELDS


# --- Prospects, opportunities, activities --------------------------------------------------


def _seller_field(user, current=None) -> forms.ModelChoiceField:
    qs = Seller.objects.filter(active=True)
    if current is not None:
        qs = qs | Seller.objects.filter(pk=current)
    field = forms.ModelChoiceField(
        label=_("Vendedor"), queryset=qs.distinct().order_by("name"), required=False
    )
    if not sees_all_pipeline(user):
        field.queryset = Seller.objects.filter(pk=getattr(user, "seller_id", None))
        field.empty_label = None
        field.disabled = True
    return field


class ProspectForm(_SectionForm):
    model = Prospect
    names = ("name", "company_name", "phone", "email", "address", "source", "notes")
    widgets = {"notes": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        current = getattr(self.instance, "seller_id", None)
        self.fields["seller"] = _seller_field(user, current)
        self.fields["seller"].initial = current or getattr(user, "seller_id", None)
        self.fields["phone"].help_text = _("Indique un teléfono o un e-mail.")

    def data_for_service(self) -> dict:
        data = super().data_for_service()
        if not self.fields["seller"].disabled:
            data["seller"] = self.cleaned_data.get("seller")
        return data


class OpportunityForm(_SectionForm):
    model = Opportunity
    names = ("title", "description", "amount", "probability", "expected_close_date", "source")
    widgets = {"description": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, user=None, creating: bool = True, **kwargs):
        from ispgest.contracts.models import Plan

        super().__init__(*args, **kwargs)
        inst = self.instance
        if creating:
            self.fields["stage"] = forms.ModelChoiceField(
                label=_("Etapa"),
                queryset=OpportunityStage.objects.filter(active=True, kind=StageKind.OPEN),
                initial=services.initial_stage().pk,
            )
        self.fields["probability"].required = False
        self.fields["probability"].help_text = _("Vacío: la probabilidad de la etapa.")
        self.fields["seller"] = _seller_field(user, getattr(inst, "seller_id", None))
        self.fields["seller"].initial = getattr(inst, "seller_id", None) or getattr(
            user, "seller_id", None
        )
        self.fields["plans"] = forms.ModelMultipleChoiceField(
            label=_("Tarifas de interés"),
            queryset=Plan.objects.filter(active=True).order_by("price", "name"),
            required=False,
            widget=forms.CheckboxSelectMultiple,
            initial=[p.pk for p in inst.plans.all()] if inst is not None and inst.pk else [],
        )
        order = ["title", "description", "stage", "amount", "probability"]
        self.order_fields([*order, "expected_close_date", "seller", "source", "plans"])

    def data_for_service(self) -> dict:
        data = super().data_for_service()
        if "stage" in self.fields:
            data["stage"] = self.cleaned_data.get("stage")
        if not self.fields["seller"].disabled:
            data["seller"] = self.cleaned_data.get("seller")
        data["plans"] = list(self.cleaned_data.get("plans") or [])
        if data.get("amount") is None:
            data.pop("amount", None)
        return data


class MoveForm(StyledFormMixin, forms.Form):
    stage = forms.ModelChoiceField(label=_("Mover a"), queryset=OpportunityStage.objects.none())
    lost_reason = forms.CharField(label=_("Motivo de pérdida"), required=False, max_length=255)

    def __init__(self, *args, opportunity=None, **kwargs):
        super().__init__(*args, **kwargs)
        if opportunity is not None:
            ids = [s.pk for s in services.allowed_stages(opportunity)]
            self.fields["stage"].queryset = OpportunityStage.objects.filter(pk__in=ids)


def staff_users():
    return get_user_model().objects.filter(is_active=True, groups__isnull=False).distinct()


class ActivityForm(_SectionForm):
    model = Activity
    names = services.ACTIVITY_FIELDS
    widgets = {"notes": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = [("", "---------"), *self.fields["kind"].choices[1:]]
        self.fields["occurred_at"].initial = timezone.localtime().replace(second=0, microsecond=0)
        current = getattr(self.instance, "user_id", None) or getattr(user, "pk", None)
        self.fields["user"] = forms.ModelChoiceField(
            label=_("Usuario"),
            queryset=staff_users().order_by("username"),
            initial=current,
        )
        self.order_fields(["kind", "occurred_at", "user", "notes", "result"])

    def data_for_service(self) -> dict:
        data = super().data_for_service()
        data["user"] = self.cleaned_data.get("user")
        return data


class DiscardForm(StyledFormMixin, forms.Form):
    discard_reason = forms.CharField(label=_("Motivo del descarte"), max_length=255)


class StageForm(_SectionForm):
    model = OpportunityStage
    names = services.STAGE_FIELDS

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        inst = self.instance
        if inst is None:
            self.fields["code"] = forms.SlugField(label=_("Código"), max_length=30)
        qs = OpportunityStage.objects.all()
        if inst is not None:
            qs = qs.exclude(pk=inst.pk)
        self.fields["allowed_next"] = forms.ModelMultipleChoiceField(
            label=_("Puede pasar a"),
            queryset=qs.order_by("order", "id"),
            required=False,
            widget=forms.CheckboxSelectMultiple,
            initial=[s.pk for s in inst.allowed_next.all()] if inst is not None else [],
        )
        self.order_fields(["code", *self.names, "allowed_next"])

    def data_for_service(self) -> dict:
        data = super().data_for_service()
        if "code" in self.fields:
            data["code"] = self.cleaned_data.get("code")
        return data
