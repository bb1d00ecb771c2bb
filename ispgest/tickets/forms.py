"""Forms of the ticket pages; the rules live in tickets/services.py, the forms only collect."""

from __future__ import annotations

from django import forms
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _

from ispgest.core.forms import StyledFormMixin
from ispgest.tickets.models import Priority, Status, TicketCategory
from ispgest.tickets.services import assignable_users


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        if isinstance(data, list | tuple):
            return [super(MultipleFileField, self).clean(d, initial) for d in data if d]
        return [super().clean(data, initial)] if data else []


class StaffChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        return obj.get_full_name() or obj.get_username()


def _categories():
    return TicketCategory.objects.filter(active=True).order_by("name")


class TicketForm(StyledFormMixin, forms.Form):
    subject = forms.CharField(label=_("Asunto"), max_length=200)
    category = forms.ModelChoiceField(
        label=_("Categoría"), queryset=TicketCategory.objects.none(), required=False
    )
    priority = forms.ChoiceField(
        label=_("Prioridad"), choices=Priority.choices, initial=Priority.NORMAL
    )
    contract = forms.ChoiceField(label=_("Contrato"), required=False)
    assignee = StaffChoiceField(
        label=_("Asignado a"), queryset=get_user_model().objects.none(), required=False
    )
    body = forms.CharField(label=_("Mensaje"), widget=forms.Textarea(attrs={"rows": 5}))
    files = MultipleFileField(label=_("Adjuntos"), required=False)
    notify = forms.BooleanField(
        label=_("Enviar acuse de recibo al cliente por e-mail"), required=False, initial=True
    )

    def __init__(self, *args, client=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.client = client
        self.fields["category"].queryset = _categories()
        self.fields["assignee"].queryset = assignable_users()
        if client is None:
            del self.fields["contract"]
            del self.fields["notify"]
        else:
            self.contracts = {str(c.pk): c for c in client.contracts.order_by("-id")[:100]}
            self.fields["contract"].choices = [("", "—")] + [
                (pk, f"#{pk} {c.plan}") for pk, c in self.contracts.items()
            ]

    def clean_contract(self):
        value = self.cleaned_data.get("contract")
        return self.contracts.get(value) if value else None


class ReplyForm(StyledFormMixin, forms.Form):
    body = forms.CharField(label=_("Mensaje"), widget=forms.Textarea(attrs={"rows": 4}))
    internal = forms.BooleanField(
        label=_("Nota interna (no se muestra ni se envía al cliente)"), required=False
    )
    status = forms.ChoiceField(label=_("Estado después de responder"), required=False)
    files = MultipleFileField(label=_("Adjuntos"), required=False)

    def __init__(self, *args, ticket=None, **kwargs):
        super().__init__(*args, **kwargs)
        choices = [("", _("Sin cambio"))]
        if ticket is not None:
            allowed = set(ticket.allowed_transitions)
            if ticket.status == Status.NEW:
                allowed |= {Status.WAITING, Status.RESOLVED, Status.CLOSED}
            choices += [(s.value, s.label) for s in Status if s in allowed]
        self.fields["status"].choices = choices


class TransitionForm(StyledFormMixin, forms.Form):
    status = forms.ChoiceField(label=_("Estado"), choices=Status.choices)


class AssignForm(StyledFormMixin, forms.Form):
    assignee = StaffChoiceField(
        label=_("Asignado a"), queryset=get_user_model().objects.none(), required=False
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assignee"].queryset = assignable_users()


class EditForm(StyledFormMixin, forms.Form):
    subject = forms.CharField(label=_("Asunto"), max_length=200)
    category = forms.ModelChoiceField(
        label=_("Categoría"), queryset=TicketCategory.objects.none(), required=False
    )
    priority = forms.ChoiceField(label=_("Prioridad"), choices=Priority.choices)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category"].queryset = _categories()


class FilterForm(StyledFormMixin, forms.Form):
    q = forms.CharField(label=_("Buscar"), required=False)
    status = forms.ChoiceField(label=_("Estado"), required=False)
    priority = forms.ChoiceField(
        label=_("Prioridad"), required=False, choices=[("", _("Todas")), *Priority.choices]
    )
    assignee = forms.ChoiceField(label=_("Asignado a"), required=False)
    category = forms.ChoiceField(label=_("Categoría"), required=False)
    overdue = forms.BooleanField(label=_("Solo vencidos"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["status"].choices = [
            ("activos", _("Activos")),
            ("", _("Todos")),
            *Status.choices,
        ]
        self.fields["assignee"].choices = [
            ("", _("Cualquiera")),
            ("yo", _("Yo")),
            ("ninguno", _("Sin asignar")),
            *[(str(u.pk), u.get_full_name() or u.get_username()) for u in assignable_users()],
        ]
        self.fields["category"].choices = [
            ("", _("Todas")),
            *[(str(c.pk), c.name) for c in TicketCategory.objects.order_by("name")],
        ]


class CategoryForm(StyledFormMixin, forms.Form):
    name = forms.CharField(label=_("Nombre"), max_length=120)
    active = forms.BooleanField(label=_("Activo"), required=False, initial=True)


class DueTimesForm(StyledFormMixin, forms.Form):
    def __init__(self, *args, hours: dict[str, int], **kwargs):
        super().__init__(*args, **kwargs)
        for priority in Priority:
            self.fields[f"hours_{priority.value}"] = forms.IntegerField(
                label=priority.label, min_value=1, max_value=8760, initial=hours[priority.value]
            )
        from ispgest.core.forms import style_fields

        style_fields(self)
