from django import forms
from django.utils.translation import gettext_lazy as _

from ispgest.core.forms import StyledFormMixin
from ispgest.ops.services import MAX_EVERY_MINUTES


class ScheduleForm(StyledFormMixin, forms.Form):
    cron = forms.CharField(
        label=_("Programación (cron)"),
        required=False,
        max_length=100,
        help_text=_(
            "Cinco campos: minuto, hora, día del mes, mes, día de la semana, en la hora del "
            "ISP. «0 3 * * *»: a las 03:00 cada día; «*/10 * * * *»: cada 10 minutos."
        ),
    )
    every_minutes = forms.IntegerField(
        label=_("Cada (minutos)"),
        required=False,
        min_value=1,
        max_value=MAX_EVERY_MINUTES,
        help_text=_("En lugar de una expresión cron, un intervalo fijo."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # A plain text box: a letter gets the form's Spanish message, not the browser's.
        self.fields["every_minutes"].widget.input_type = "text"
        self.fields["every_minutes"].widget.attrs["inputmode"] = "numeric"
