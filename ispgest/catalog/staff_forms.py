"""The staff user form: a role and, for a Vendedor/Recaudador, its link to the catalog's
Seller/Collector row (so it lives in catalog, above accounts in the layers)."""

from django import forms
from django.utils.translation import gettext_lazy as _

from ispgest.accounts.models import User
from ispgest.accounts.roles import ROLES
from ispgest.catalog.models import Collector, Seller
from ispgest.catalog.selectors import active_choices
from ispgest.core.forms import StyledFormMixin


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
