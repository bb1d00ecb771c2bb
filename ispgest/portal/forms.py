"""Forms of the portal and of its configuration page."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from ispgest.core.forms import StyledFormMixin
from ispgest.portal.models import PortalSettings, Section


class PortalLoginForm(StyledFormMixin, forms.Form):
    email = forms.CharField(label=_("E-mail"), max_length=254)
    password = forms.CharField(label=_("Contraseña"), widget=forms.PasswordInput, max_length=200)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["email"].widget.attrs.update({"autocomplete": "username", "autofocus": True})
        self.fields["password"].widget.attrs["autocomplete"] = "current-password"


class ResetRequestForm(StyledFormMixin, forms.Form):
    email = forms.CharField(label=_("E-mail"), max_length=254)


class NewPasswordForm(StyledFormMixin, forms.Form):
    new_password = forms.CharField(
        label=_("Nueva contraseña"), widget=forms.PasswordInput, max_length=200
    )
    confirm_password = forms.CharField(
        label=_("Repetir contraseña"), widget=forms.PasswordInput, max_length=200
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("new_password", "confirm_password"):
            self.fields[name].widget.attrs["autocomplete"] = "new-password"


class PasswordChangeForm(NewPasswordForm):
    current_password = forms.CharField(
        label=_("Contraseña actual"), widget=forms.PasswordInput, max_length=200
    )
    field_order = ["current_password", "new_password", "confirm_password"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["current_password"].widget.attrs["autocomplete"] = "current-password"
        self.order_fields(self.field_order)


class ProfileForm(StyledFormMixin, forms.Form):
    """The contact data a client may edit; the fields present follow the configuration."""

    phone = forms.CharField(label=_("Teléfono fijo"), max_length=40, required=False)
    mobile = forms.CharField(label=_("Teléfono celular"), max_length=40, required=False)
    notify_emails = forms.CharField(
        label=_("Emails a notificar"),
        max_length=2000,
        required=False,
        help_text=_("Otras direcciones que reciben las facturas, separadas por coma."),
    )

    def __init__(self, *args, editable: list[str], **kwargs):
        super().__init__(*args, **kwargs)
        for name in list(self.fields):
            if name not in editable:
                del self.fields[name]


class PortalSettingsForm(StyledFormMixin, forms.ModelForm):
    sections = forms.MultipleChoiceField(
        label=_("Secciones visibles"),
        choices=Section.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    isp_name = forms.CharField(label=_("Nombre del ISP"), max_length=120)
    primary_color = forms.CharField(
        label=_("Color principal"), max_length=7, widget=forms.TextInput(attrs={"type": "color"})
    )
    accent_color = forms.CharField(
        label=_("Color secundario"), max_length=7, widget=forms.TextInput(attrs={"type": "color"})
    )
    logo = forms.FileField(label=_("Logo"), required=False, help_text=_("PNG, JPEG o WebP."))
    remove_logo = forms.BooleanField(label=_("Quitar el logo"), required=False)

    class Meta:
        model = PortalSettings
        fields = [
            "enabled",
            "welcome_text",
            "sections",
            "clients_edit_phones",
            "clients_edit_notify_emails",
        ]
        widgets = {"welcome_text": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, identity, gateways, instructions: dict[int, str], **kwargs):
        super().__init__(*args, **kwargs)
        self.gateways = list(gateways)
        if not self.is_bound:
            self.initial.update(
                {
                    "isp_name": identity.name,
                    "primary_color": identity.primary_color,
                    "accent_color": identity.accent_color,
                    "sections": self.instance.sections,
                }
            )
        for gateway in self.gateways:
            name = f"gateway_{gateway.pk}"
            self.fields[name] = forms.CharField(
                label=_("Instrucciones de pago: %(gateway)s") % {"gateway": gateway.name},
                required=False,
                max_length=2000,
                widget=forms.Textarea(attrs={"rows": 2}),
            )
            self.initial.setdefault(name, instructions.get(gateway.pk, ""))
        from ispgest.core.forms import style_fields

        style_fields(self)

    def gateway_fields(self):
        return [self[f"gateway_{g.pk}"] for g in self.gateways]

    def main_fields(self):
        return [f for f in self if not f.name.startswith("gateway_")]

    def instructions(self) -> dict[int, str]:
        return {g.pk: self.cleaned_data.get(f"gateway_{g.pk}", "") for g in self.gateways}
