from django import forms
from django.utils.translation import gettext_lazy as _

from ispgest.accounts.models import User


class LanguageForm(forms.ModelForm):
    class Meta:
        model = User
        fields = ["language"]


class TokenForm(forms.Form):
    name = forms.CharField(label=_("Nombre del token"), max_length=80)
