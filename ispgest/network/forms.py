from django import forms
from django.utils.translation import gettext_lazy as _

from ispgest.catalog.models import Zone
from ispgest.core.forms import StyledFormMixin
from ispgest.network.models import IPPool, Router


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
