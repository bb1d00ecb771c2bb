"""Forms of the client record. They only parse what was typed; every rule is checked by the
services (clients/validation.py), whose errors the views put back on these forms."""

from __future__ import annotations

from django import forms
from django.forms import formset_factory
from django.urls import reverse, reverse_lazy
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from ispgest.catalog.models import (
    BillingCycle,
    BillingEntity,
    City,
    Collector,
    ExtraField,
    ExtraFieldType,
    InvoiceType,
    Neighbourhood,
    PaymentGateway,
    PaymentMethod,
    Region,
    Seller,
    Tax,
    TaxCondition,
    Zone,
)
from ispgest.catalog.selectors import (
    cities_for,
    invoice_types_for,
    neighbourhood_labels,
    neighbourhoods_for,
    tax_conditions_for,
)
from ispgest.clients.models import NOTES_MAX_LENGTH, Client, Contact, ManualEntryType, PersonType
from ispgest.clients.services import BILLING_CYCLE_WARNING
from ispgest.clients.validation import CLIENT_FIELDS
from ispgest.core.country import get_profile
from ispgest.core.forms import DateInput, StyledFormMixin

TABS = [
    ("basico", _("Básico")),
    ("contacto", _("Contacto")),
    ("facturacion", _("Facturación")),
    ("financieros", _("Datos financieros")),
    ("personas", _("Personas de contacto")),
    ("otros", _("Otros")),
    ("operadora", _("Datos operadora")),
    ("historial", _("Historial")),
]
TAB_FIELDS = {
    "basico": [
        "person_type",
        "name",
        "first_name",
        "middle_name",
        "first_surname",
        "second_surname",
        "legal_name",
        "trade_name",
        "custom_id",
        "document_number",
        "email",
        "notes",
        "seller",
        "collector",
        "zone",
    ],
    "contacto": ["phone", "mobile", "region", "city", "neighbourhood", "address", "postal_code"],
    "facturacion": [
        "billing_enabled",
        "billing_entity",
        "tax_condition",
        "invoice_type",
        "billing_tax",
        "billing_cycle",
        "tax_id_kind",
        "tax_id",
        "notify_emails",
        "send_invoice_emails",
        "send_payment_emails",
        "send_reminder_emails",
        "send_manual_emails",
    ],
    "operadora": [
        "operator_external_id",
        "operator_provisioning",
        "operator_network",
        "operator_notes",
    ],
}
NAME_FIELDS_BY_TYPE = {
    PersonType.OTHER: ["name"],
    PersonType.NATURAL: ["first_name", "middle_name", "first_surname", "second_surname"],
    PersonType.LEGAL: ["legal_name", "trade_name"],
}
ALL_NAME_FIELDS = ["name", *NAME_FIELDS_BY_TYPE[PersonType.NATURAL], "legal_name", "trade_name"]
FK_MODELS = {
    "region": Region,
    "city": City,
    "neighbourhood": Neighbourhood,
    "seller": Seller,
    "collector": Collector,
    "zone": Zone,
    "billing_entity": BillingEntity,
    "tax_condition": TaxCondition,
    "invoice_type": InvoiceType,
    "billing_tax": Tax,
    "billing_cycle": BillingCycle,
}
FORM_CLIENT_FIELDS = [f for f in CLIENT_FIELDS if f != "payment_method"]


def _active_or_current(model, current_id):
    qs = model.objects.filter(active=True)
    if current_id:
        qs = model.objects.filter(active=True) | model.objects.filter(pk=current_id)
    return qs.order_by("name").distinct()


# The pickers that narrow each other, parent first.
CHOICE_GROUPS = {
    "place": ("region", "city", "neighbourhood"),
    "billing": ("billing_entity", "tax_condition", "invoice_type"),
}


def choices_attrs(group: str, *, mass: bool = False) -> str:
    """htmx attributes of the element around a group of pickers: any change inside asks
    clients:choices for the narrowed children, which replace theirs out of band. The
    container is never replaced, so a quick second change is not lost, and the latest
    request wins."""
    url = reverse("clients:choices") + f"?group={group}" + ("&empty=mass" if mass else "")
    return format_html(
        'hx-get="{}" hx-trigger="change" hx-include="this" hx-swap="none" hx-sync="this:replace"',
        url,
    )


class ClientForm(StyledFormMixin, forms.ModelForm):
    class Meta:
        model = Client
        fields = FORM_CLIENT_FIELDS
        widgets = {
            "notes": forms.Textarea(attrs={"rows": 4, "maxlength": NOTES_MAX_LENGTH}),
            "operator_provisioning": forms.Textarea(attrs={"rows": 3}),
            "operator_network": forms.Textarea(attrs={"rows": 3}),
            "operator_notes": forms.Textarea(attrs={"rows": 3}),
            "notify_emails": forms.TextInput(),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        profile = get_profile()
        for name, field in self.fields.items():
            field.required = False
            if isinstance(field, forms.EmailField):
                # The service checks it and names the field; the browser must not block it.
                self.fields[name] = forms.CharField(
                    label=field.label,
                    required=False,
                    widget=forms.EmailInput(attrs=field.widget.attrs),
                )
        for name, model in FK_MODELS.items():
            current = getattr(self.instance, f"{name}_id", None)
            self.fields[name].queryset = _active_or_current(model, current)
        self._narrow_choices()
        self.fields["person_type"].required = True
        self.fields["person_type"].widget.attrs.update(
            {
                "hx-get": reverse_lazy("clients:name_fields"),
                "hx-target": "#name-fields",
                "hx-swap": "outerHTML",
                "hx-include": "#name-fields",
            }
        )
        self.fields["name"].help_text = _("Nombre completo del cliente.")
        self.fields["document_number"].label = _(
            "Documento o cédula de identidad (%(document_label)s)"
        ) % {"document_label": profile.document_label}
        self.fields["tax_id"].label = _("Número tributario (%(tax_id_label)s)") % {
            "tax_id_label": profile.tax_id_label
        }
        self.fields["tax_id"].help_text = _(
            "Obligatorio si factura con una razón social legal; se valida el dígito verificador."
        )
        self.fields["tax_id_kind"] = forms.ChoiceField(
            label=_("Tipo de número tributario"),
            required=False,
            choices=[(k.code, k.label) for k in profile.tax_id_kinds],
            widget=forms.Select(attrs={"class": "form-select"}),
        )
        self.fields["notes"].help_text = _("Máximo %(count)s caracteres.") % {
            "count": f"{NOTES_MAX_LENGTH:,}".replace(",", ".")
        }
        self.fields["notify_emails"].help_text = _(
            "Reciben también las facturas (no los pagos). Separe las direcciones con comas."
        )
        self.fields["email"].help_text = _(
            "Para el portal de clientes y todas las notificaciones. Único entre los clientes; "
            "sin e-mail el cliente no recibe correos."
        )
        self.fields["address"].help_text = _("Esta dirección sólo figurará en las facturas.")
        self.fields["billing_cycle"].help_text = _("Vacío: el ciclo por defecto. ") + gettext(
            BILLING_CYCLE_WARNING
        )
        self.fields["billing_cycle"].empty_label = _("Ciclo por defecto")
        if self.instance.pk and self.instance.notify_emails:
            self.initial["notify_emails"] = ", ".join(self.instance.notify_email_list)
        for name in ("custom_id", "email"):
            if self.initial.get(name) is None:
                self.initial[name] = ""

    def _value(self, name: str):
        """The chosen id of `name`: the submitted one, else the record's."""
        if self.is_bound:
            raw = self.data.get(self.add_prefix(name))
            return int(raw) if raw and str(raw).isdigit() else None
        return self.initial.get(name) or getattr(self.instance, f"{name}_id", None)

    def _narrow_choices(self) -> None:
        """Region -> city -> neighbourhood and billing entity -> tax condition -> invoice
        type offer only what fits the parent chosen. The page refreshes them on change
        (clients:choices, see `choices_attrs`) and the services check the same rules
        regardless."""
        region, city = self._value("region"), self._value("city")
        entity, condition = self._value("billing_entity"), self._value("tax_condition")
        narrow = {
            "city": cities_for(region, current=self._value("city")),
            "neighbourhood": neighbourhoods_for(region, city, current=self._value("neighbourhood")),
            "tax_condition": tax_conditions_for(entity, current=self._value("tax_condition")),
            "invoice_type": invoice_types_for(
                entity, condition, current=self._value("invoice_type")
            ),
        }
        for name, queryset in narrow.items():
            self.fields[name].queryset = queryset
        hoods = self.fields["neighbourhood"]
        labels = dict(neighbourhood_labels(hoods.queryset))
        hoods.label_from_instance = lambda row: labels.get(row.pk, row.name)

    @property
    def place_choices_attrs(self) -> str:
        return choices_attrs("place")

    @property
    def billing_choices_attrs(self) -> str:
        return choices_attrs("billing")

    def _post_clean(self):
        # Model validation is the services' job (clients/validation.py), not the form's.
        pass

    def person_type_value(self) -> str:
        if self.is_bound:
            return self.data.get(self.add_prefix("person_type")) or PersonType.OTHER
        return self.initial.get("person_type") or self.instance.person_type or PersonType.OTHER

    def name_fields(self):
        return [self[name] for name in NAME_FIELDS_BY_TYPE.get(self.person_type_value(), ["name"])]

    def tab_fields(self, tab: str):
        return [self[name] for name in TAB_FIELDS[tab] if name not in ALL_NAME_FIELDS]

    def client_data(self) -> dict:
        """What the services receive: only the fields the person type uses for names."""
        used = set(NAME_FIELDS_BY_TYPE.get(self.cleaned_data.get("person_type"), ["name"]))
        data = {}
        for name in FORM_CLIENT_FIELDS:
            if name in ALL_NAME_FIELDS and name not in used:
                continue
            data[name] = self.cleaned_data.get(name)
        if self.instance.pk:
            data = {
                k: v
                for k, v in data.items()
                if k in self.changed_data or (k in ALL_NAME_FIELDS) or k == "person_type"
            }
        return data


class FinancialForm(StyledFormMixin, forms.Form):
    payment_method = forms.ModelChoiceField(
        label=_("Forma de pago"), queryset=PaymentMethod.objects.none(), required=False
    )
    account_holder = forms.CharField(
        label=_("Titular de la cuenta"), max_length=140, required=False
    )
    iban = forms.CharField(label="IBAN", max_length=50, required=False)
    bic = forms.CharField(label="BIC", max_length=20, required=False)
    bank_name = forms.CharField(
        label=_("Entidad bancaria"),
        max_length=120,
        required=False,
        help_text=_("No es obligatoria: no afecta a la generación de la remesa SEPA (Q19)."),
    )
    mandate_reference = forms.CharField(
        label=_("Referencia del mandato SEPA"),
        max_length=35,
        required=False,
        help_text=_("Única por mandato. Si la deja vacía se genera una."),
    )
    signed_on = forms.DateField(
        label=_("Fecha de firma del mandato"), required=False, widget=DateInput()
    )

    @property
    def bank_method_ids(self) -> str:
        """The payment methods that need the bank fields (the page shows them only then)."""
        methods = self.fields["payment_method"].queryset
        return ",".join(str(m.pk) for m in methods if m.requires_bank)

    MANDATE_FIELDS = (
        "account_holder",
        "iban",
        "bic",
        "bank_name",
        "mandate_reference",
        "signed_on",
    )

    def __init__(self, *args, client=None, **kwargs):
        super().__init__(*args, **kwargs)
        current = client.payment_method_id if client else None
        self.fields["payment_method"].queryset = _active_or_current(PaymentMethod, current)
        self.gateways = list(PaymentGateway.objects.filter(active=True).order_by("name"))
        existing = {}
        if client is not None and client.pk:
            existing = {a.gateway_id: a.reference for a in client.gateway_accounts.all()}
        for gw in self.gateways:
            self.fields[f"gw_{gw.pk}"] = forms.CharField(
                label=_("Código en la pasarela %(name)s") % {"name": gw.name},
                max_length=80,
                required=False,
                initial=existing.get(gw.pk, ""),
            )
        self.existing_gateways = existing
        # StyledFormMixin ran before the gateway fields existed.
        for name in self.fields:
            if name.startswith("gw_"):
                self.fields[name].widget.attrs["class"] = "form-control"

    def mandate_data(self) -> dict | None:
        data = {k: self.cleaned_data.get(k) for k in self.MANDATE_FIELDS}
        if not data["iban"]:
            return None
        return data

    def gateway_changes(self) -> dict:
        out = {}
        for gw in self.gateways:
            value = (self.cleaned_data.get(f"gw_{gw.pk}") or "").strip()
            if value != self.existing_gateways.get(gw.pk, ""):
                out[gw] = value
        return out


class ContactForm(StyledFormMixin, forms.Form):
    contact_id = forms.IntegerField(required=False, widget=forms.HiddenInput)
    name = forms.CharField(label=_("Nombre"), max_length=140, required=False)
    role = forms.ChoiceField(label=_("Cargo"), choices=Contact.Role.choices, initial="other")
    phone = forms.CharField(label=_("Teléfono"), max_length=40, required=False)
    email = forms.CharField(
        label=_("E-mail"), max_length=254, required=False, widget=forms.EmailInput()
    )
    comment = forms.CharField(
        label=_("Comentario"), max_length=2000, required=False, widget=forms.Textarea({"rows": 2})
    )
    remove = forms.BooleanField(label=_("Quitar"), required=False)

    def is_blank(self) -> bool:
        cd = self.cleaned_data
        return not cd.get("contact_id") and not any(
            cd.get(k) for k in ("name", "phone", "email", "comment")
        )

    def contact_data(self) -> dict:
        return {
            k: self.cleaned_data.get(k) or "" for k in ("name", "role", "phone", "email", "comment")
        }


ContactFormSet = formset_factory(ContactForm, extra=2, max_num=200)


def extra_field_input(extra: ExtraField, *, empty_label: str = "---------") -> forms.Field:
    """The input of one extra field by its type (a list of options is a select), optional:
    the service checks each value by type."""
    if extra.field_type == ExtraFieldType.CHOICE:
        field = forms.ChoiceField(choices=[("", empty_label)] + [(c, c) for c in extra.choice_list])
    elif extra.field_type == ExtraFieldType.BOOLEAN:
        field = forms.ChoiceField(choices=[("", empty_label), ("1", _("Sí")), ("0", _("No"))])
    elif extra.field_type == ExtraFieldType.DATE:
        field = forms.CharField(widget=DateInput())
    else:
        field = forms.CharField(max_length=4000)
    field.label = extra.name
    field.required = False
    field.widget.attrs["class"] = (
        "form-select" if isinstance(field, forms.ChoiceField) else "form-control"
    )
    return field


class ExtraValuesForm(StyledFormMixin, forms.Form):
    """One input per extra field of the catalog ("Otros"); the service checks each by type."""

    def __init__(self, *args, values: dict | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        values = values or {}
        self.extra_fields = list(
            ExtraField.objects.filter(active=True).order_by("position", "name")
        )
        for extra in self.extra_fields:
            field = extra_field_input(extra)
            field.initial = values.get(extra.pk, "")
            if extra.required:
                field.help_text = _("Obligatorio.")
            self.fields[f"extra_{extra.pk}"] = field
        self.initial_values = values

    def changed_values(self, *, creating: bool) -> dict:
        out = {}
        for extra in self.extra_fields:
            value = self.cleaned_data.get(f"extra_{extra.pk}") or ""
            if creating or value != self.initial_values.get(extra.pk, ""):
                if creating and not value and not extra.required:
                    continue
                out[extra] = value
        return out


class ManualEventForm(StyledFormMixin, forms.Form):
    entry_type = forms.ChoiceField(label=_("Tipo de actuación"), choices=ManualEntryType.choices)
    occurred_on = forms.DateField(label=_("Fecha"), required=False, widget=DateInput())
    summary = forms.CharField(
        label=_("Descripción"), max_length=4000, widget=forms.Textarea({"rows": 3})
    )
