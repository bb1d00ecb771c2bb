from datetime import datetime, time

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ispgest.accounts.models import SCOPE_ALL, User, scope_choices
from ispgest.accounts.roles import ROLES
from ispgest.catalog.models import Collector, Seller
from ispgest.catalog.selectors import active_choices
from ispgest.core.forms import DateInput, StyledFormMixin


class LanguageForm(StyledFormMixin, forms.ModelForm):
    class Meta:
        model = User
        fields = ["language"]


class TokenForm(StyledFormMixin, forms.Form):
    name = forms.CharField(label=_("Nombre del token"), max_length=80)
    scopes = forms.MultipleChoiceField(
        label=_("Alcance"),
        choices=scope_choices,
        initial=[SCOPE_ALL],
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 8}),
        help_text=_(
            "Lo que el token puede usar (sin elegir: todo lo que permite el rol); el rol del "
            "usuario se aplica además."
        ),
    )
    expires_on = forms.DateField(
        label=_("Caduca el"),
        required=False,
        widget=DateInput,
        help_text=_("Vacío: no caduca. Deja de valer al empezar ese día."),
    )

    def clean_expires_on(self):
        value = self.cleaned_data.get("expires_on")
        if value is not None and value <= timezone.localdate():
            raise forms.ValidationError(_("La fecha de caducidad debe ser futura."))
        return value

    def expires_at(self):
        value = self.cleaned_data.get("expires_on")
        if value is None:
            return None
        return datetime.combine(value, time.min, tzinfo=timezone.get_current_timezone())


class StaffUserForm(StyledFormMixin, forms.Form):
    """Create or edit a staff user: its role and, for Vendedor/Recaudador, its catalog link."""

    username = forms.CharField(label=_("Usuario"), max_length=150)
    first_name = forms.CharField(label=_("Nombre"), max_length=150, required=False)
    last_name = forms.CharField(label=_("Apellido"), max_length=150, required=False)
    email = forms.EmailField(label=_("E-mail"), required=False)
    role = forms.ChoiceField(label=_("Rol"), choices=[(r, r) for r in ROLES])
    seller = forms.ModelChoiceField(
        label=_("Vendedor vinculado"), queryset=Seller.objects.none(), required=False
    )
    collector = forms.ModelChoiceField(
        label=_("Recaudador vinculado"), queryset=Collector.objects.none(), required=False
    )
    password = forms.CharField(
        label=_("Contraseña"),
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
        help_text=_("Al menos 10 caracteres."),
    )

    def __init__(self, *args, instance: User | None = None, **kwargs):
        self.instance = instance
        if instance is not None:
            role = instance.groups.filter(name__in=ROLES).values_list("name", flat=True).first()
            kwargs.setdefault(
                "initial",
                {
                    "username": instance.username,
                    "first_name": instance.first_name,
                    "last_name": instance.last_name,
                    "email": instance.email,
                    "role": role,
                    "seller": instance.seller_id,
                    "collector": instance.collector_id,
                },
            )
        super().__init__(*args, **kwargs)
        self.fields["seller"].queryset = active_choices(
            Seller, keep=instance.seller_id if instance else None
        )
        self.fields["collector"].queryset = active_choices(
            Collector, keep=instance.collector_id if instance else None
        )
        if instance is not None:
            self.fields["username"].disabled = True
            del self.fields["password"]
