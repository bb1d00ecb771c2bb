from datetime import datetime, time

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ispgest.accounts.models import SCOPE_ALL, User, scope_choices
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
