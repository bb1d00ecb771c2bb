from django import forms
from django.utils.translation import gettext_lazy as _

from ispgest.catalog.models import BillingEntity, Zone
from ispgest.core.forms import StyledFormMixin
from ispgest.network.models import CutoffRule, IPPool, Router


class RouterForm(StyledFormMixin, forms.ModelForm):
    password = forms.CharField(
        label=_("Contraseña de la API"),
        required=False,
        strip=False,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
        help_text=_("Se guarda cifrada. Déjela vacía para conservar la actual."),
    )
    clear_password = forms.BooleanField(label=_("Borrar la contraseña guardada"), required=False)

    class Meta:
        model = Router
        fields = [
            "name",
            "host",
            "api_port",
            "username",
            "use_ssl",
            "tls_fingerprint",
            "timeout_seconds",
            "routeros_version",
            "login_method",
            "zone",
            "active",
            "notes",
        ]
        widgets = {"notes": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["zone"].queryset = Zone.objects.filter(active=True)
        if not self.instance.pk:
            del self.fields["clear_password"]

    def password_value(self) -> str | None:
        """What router_update expects: None keeps, "" clears, text replaces."""
        if self.cleaned_data.get("clear_password"):
            return ""
        return self.cleaned_data.get("password") or None


class PoolForm(StyledFormMixin, forms.ModelForm):
    class Meta:
        model = IPPool
        fields = ["name", "network", "ranges", "no_service", "address_list"]


class PPPoEForm(StyledFormMixin, forms.Form):
    """ "Info Mikrotik PPPoe" of one contract (labels from the seed)."""

    router = forms.ModelChoiceField(label=_("Equipo Mikrotik"), queryset=Router.objects.none())
    username = forms.CharField(label=_("Usuario PPPoe del cliente"), max_length=64)
    password = forms.CharField(
        label=_("Contraseña de acceso"),
        required=False,
        strip=False,
        max_length=64,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
        help_text=_("Vacía: se genera al crear el secret y se conserva al editarlo."),
    )
    profile = forms.CharField(
        label=_("Profile"),
        required=False,
        disabled=True,
        help_text=_("El de la tarifa del contrato; se crea solo al crear o cambiar la tarifa."),
    )
    static_ip = forms.GenericIPAddressField(label=_("IP Estática"), protocol="IPv4", required=False)
    version = forms.IntegerField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, contract, account=None, **kwargs):
        from ispgest.network.desired import profile_name

        kwargs.setdefault("auto_id", f"id_pppoe{contract.pk}_%s")
        initial = kwargs.setdefault("initial", {})
        initial["profile"] = profile_name(contract.plan)
        if account is not None:
            initial.update(
                router=account.router_id,
                username=account.username,
                static_ip=account.static_ip,
                version=account.version,
            )
        elif contract.router_id:
            initial.setdefault("router", contract.router_id)
        super().__init__(*args, **kwargs)
        self.fields["router"].queryset = Router.objects.filter(active=True).order_by("name")


class CutoffRuleForm(StyledFormMixin, forms.ModelForm):
    """ "Corte por impago": the exempt clients are typed as client numbers."""

    exempt_clients = forms.CharField(
        label=_("Clientes exentos"),
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Números de cliente separados por comas; a estos clientes nunca se les corta."),
    )

    class Meta:
        model = CutoffRule
        fields = ["name", "billing_entity", "zone", "grace_days", "active"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["billing_entity"].queryset = BillingEntity.objects.filter(active=True)
        self.fields["zone"].queryset = Zone.objects.filter(active=True)
        self.fields["grace_days"].help_text = _(
            "Días después del vencimiento de una factura impagada antes de cortar el servicio."
        )
        if self.instance.pk and not self.is_bound:
            self.initial["exempt_clients"] = ", ".join(
                str(pk) for pk in self.instance.exempt_clients.values_list("pk", flat=True)
            )
