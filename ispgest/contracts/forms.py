"""Forms of the contract pages and client tabs. They only shape input; the rules live in
services.py (which the views call, mapping its errors back onto these forms)."""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ispgest.accounts.selectors import technicians
from ispgest.catalog.models import City, PaymentMethod, Product, Tax, Zone
from ispgest.contracts.models import (
    Contract,
    ContractStatus,
    Equipment,
    PackageAssignment,
    Plan,
    RenewablePackage,
)
from ispgest.core.forms import DateInput, StyledFormMixin


class PlanForm(StyledFormMixin, forms.ModelForm):
    class Meta:
        model = Plan
        fields = [
            "name",
            "kind",
            "price",
            "currency",
            "tax",
            "download_kbps",
            "upload_kbps",
            "burst_download_kbps",
            "burst_upload_kbps",
            "burst_threshold_download_kbps",
            "burst_threshold_upload_kbps",
            "burst_time_seconds",
            "priority",
            "description",
            "active",
        ]
        widgets = {"description": forms.Textarea(attrs={"rows": 2})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["tax"].queryset = Tax.objects.filter(active=True)


class ContractForm(StyledFormMixin, forms.ModelForm):
    """Create (with plan, start date and optional price) or edit a contract."""

    plan = forms.ModelChoiceField(label=_("Tarifa"), queryset=Plan.objects.none())
    start_date = forms.DateField(label=_("Fecha de alta"), widget=DateInput())
    price = forms.DecimalField(
        label=_("Precio"),
        required=False,
        max_digits=12,
        decimal_places=2,
        min_value=Decimal("0"),
        help_text=_("Vacío: el precio de la tarifa."),
    )

    class Meta:
        model = Contract
        fields = [
            "address",
            "city",
            "latitude",
            "longitude",
            "zone",
            "router",
            "payment_method",
            "notes",
        ]
        widgets = {"notes": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, creating: bool = True, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["city"].queryset = City.objects.filter(active=True)
        self.fields["zone"].queryset = Zone.objects.filter(active=True)
        # network sits above contracts in the layers: the router model comes from the field.
        router = self.fields["router"].queryset.model
        self.fields["router"].queryset = router.objects.filter(active=True)
        self.fields["payment_method"].queryset = PaymentMethod.objects.filter(active=True)
        for name in ("latitude", "longitude"):
            self.fields[name].widget.attrs["step"] = "0.000001"
        if creating:
            self.fields["plan"].queryset = Plan.objects.filter(active=True)
            self.fields["start_date"].initial = timezone.localdate()
            self.order_fields(["plan", "price", "start_date"])
        else:
            for name in ("plan", "start_date", "price"):
                del self.fields[name]


class TransitionForm(StyledFormMixin, forms.Form):
    to_status = forms.ChoiceField(
        label=_("Nuevo estado"), choices=ContractStatus.choices, widget=forms.HiddenInput
    )
    effective_date = forms.DateField(label=_("Fecha efectiva"), widget=DateInput(), required=False)
    reason = forms.CharField(label=_("Motivo"), max_length=255, required=False)


class PlanAssignForm(StyledFormMixin, forms.Form):
    """Without `contracts` it serves one contract's page; with them (the client tab) it adds a
    contract choice."""

    plan = forms.ModelChoiceField(label=_("Tarifa"), queryset=Plan.objects.none())
    start_date = forms.DateField(label=_("Fecha de inicio"), widget=DateInput())
    price = forms.DecimalField(
        label=_("Precio"),
        required=False,
        max_digits=12,
        decimal_places=2,
        min_value=Decimal("0"),
        help_text=_("Vacío: el precio de la tarifa."),
    )

    def __init__(self, *args, contracts=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["plan"].queryset = Plan.objects.filter(active=True)
        self.fields["start_date"].initial = timezone.localdate()
        if contracts is not None:
            self.fields["contract"] = forms.TypedChoiceField(
                label=_("Contrato"),
                coerce=int,
                choices=[(c.pk, f"#{c.pk} · {c.address}") for c in contracts],
            )
            self.fields["contract"].widget.attrs["class"] = "form-select"
            self.order_fields(["contract", "plan", "start_date", "price"])


def _client_contracts(field, client) -> None:
    field.queryset = Contract.objects.filter(client=client).exclude(status=ContractStatus.CANCELLED)
    field.label_from_instance = lambda c: f"#{c.pk} · {c.address}"


class EquipmentForm(StyledFormMixin, forms.ModelForm):
    # Free text: the service validates and normalises it with a Spanish message.
    mac_address = forms.CharField(label=_("Dirección MAC"), max_length=40, required=False)

    class Meta:
        model = Equipment
        fields = [
            "product",
            "description",
            "contract",
            "serial_number",
            "mac_address",
            "ip_address",
            "installed_on",
            "technician",
            "notes",
        ]
        widgets = {"installed_on": DateInput(), "notes": forms.Textarea(attrs={"rows": 2})}

    def __init__(self, *args, client, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["product"].queryset = Product.objects.filter(active=True)
        _client_contracts(self.fields["contract"], client)
        self.fields["technician"].queryset = technicians()
        self.fields["installed_on"].initial = timezone.localdate()
        self.fields["installed_on"].required = False


class EquipmentStatusForm(StyledFormMixin, forms.Form):
    to_status = forms.ChoiceField(
        label=_("Nuevo estado"), choices=Equipment.Status.choices, widget=forms.HiddenInput
    )
    on = forms.DateField(label=_("Fecha"), widget=DateInput(), required=False)


class PackageLineForm(StyledFormMixin, forms.Form):
    product = forms.ModelChoiceField(
        label=_("Producto"), queryset=Product.objects.none(), required=False
    )
    description = forms.CharField(label=_("Descripción"), max_length=255, required=False)
    quantity = forms.DecimalField(
        label=_("Cantidad"), max_digits=10, decimal_places=3, min_value=Decimal("0.001")
    )
    unit_price = forms.DecimalField(
        label=_("Precio unitario"), max_digits=12, decimal_places=2, min_value=Decimal("0")
    )
    tax = forms.ModelChoiceField(label=_("Impuesto"), queryset=Tax.objects.none(), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["product"].queryset = Product.objects.filter(active=True)
        self.fields["tax"].queryset = Tax.objects.filter(active=True)


PackageLineFormSet = forms.formset_factory(PackageLineForm, extra=1, can_delete=True)


def formset_lines(formset) -> list[dict]:
    """The lines the user kept: every prefilled line (touched or not) unless marked for
    deletion, plus the extra forms that were filled in."""
    initial = formset.initial_form_count()
    return [
        {k: v for k, v in f.cleaned_data.items() if k != "DELETE"}
        for index, f in enumerate(formset.forms)
        if (index < initial or f.has_changed())
        and f.cleaned_data
        and not f.cleaned_data.get("DELETE")
    ]


def lines_initial(lines) -> list[dict]:
    return [
        {
            "product": line.product_id,
            "description": line.description,
            "quantity": line.quantity,
            "unit_price": line.unit_price,
            "tax": line.tax_id,
        }
        for line in lines
    ]


class RenewablePackageForm(StyledFormMixin, forms.ModelForm):
    class Meta:
        model = RenewablePackage
        fields = ["name", "renewal_months", "description", "active"]
        widgets = {"description": forms.Textarea(attrs={"rows": 2})}


class PackageAssignForm(StyledFormMixin, forms.Form):
    package = forms.ModelChoiceField(label=_("Paquete"), queryset=RenewablePackage.objects.none())
    contract = forms.ModelChoiceField(
        label=_("Contrato"), queryset=Contract.objects.none(), required=False
    )
    start_date = forms.DateField(label=_("Fecha de inicio"), widget=DateInput())
    renewal_months = forms.IntegerField(
        label=_("Periodo de renovación (meses)"),
        min_value=1,
        max_value=120,
        required=False,
        help_text=_("Vacío: el del paquete."),
    )
    notes = forms.CharField(
        label=_("Observaciones"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args, client, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["package"].queryset = RenewablePackage.objects.filter(active=True)
        _client_contracts(self.fields["contract"], client)
        self.fields["start_date"].initial = timezone.localdate()


class PackageConfigureForm(StyledFormMixin, forms.ModelForm):
    class Meta:
        model = PackageAssignment
        fields = ["contract", "renewal_months", "next_renewal_date", "notes"]
        widgets = {"next_renewal_date": DateInput(), "notes": forms.Textarea(attrs={"rows": 2})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _client_contracts(self.fields["contract"], self.instance.client)


class SignedDocumentForm(StyledFormMixin, forms.Form):
    title = forms.CharField(label=_("Descripción"), max_length=200, required=False)
    contract = forms.ModelChoiceField(
        label=_("Contrato"), queryset=Contract.objects.none(), required=False
    )
    file = forms.FileField(
        label=_("Archivo del contrato firmado"),
        help_text=_("PDF o imagen (PNG, JPEG, WebP)."),
        widget=forms.ClearableFileInput(attrs={"accept": "application/pdf,image/*"}),
    )

    def __init__(self, *args, client, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["contract"].queryset = Contract.objects.filter(client=client)
        self.fields["contract"].label_from_instance = lambda c: f"#{c.pk} · {c.address}"
