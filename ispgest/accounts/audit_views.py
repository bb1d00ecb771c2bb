"""The "Auditoría" page: the installation-wide audit trail for administrators, filtered."""

from __future__ import annotations

from django import forms
from django.core.paginator import Paginator
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _

from ispgest.accounts.decorators import staff_required
from ispgest.accounts.models import User
from ispgest.core.audit import audit_entries
from ispgest.core.forms import DateInput, StyledFormMixin
from ispgest.core.models import AuditEntry


class AuditFilterForm(StyledFormMixin, forms.Form):
    actor = forms.ModelChoiceField(
        label=_("Usuario"), queryset=User.objects.order_by("username"), required=False
    )
    action = forms.CharField(label=_("Acción"), max_length=80, required=False)
    object_type = forms.ChoiceField(label=_("Tipo de objeto"), required=False)
    client = forms.IntegerField(label=_("Cliente (id)"), min_value=1, required=False)
    since = forms.DateField(label=_("Desde"), widget=DateInput(), required=False)
    until = forms.DateField(label=_("Hasta"), widget=DateInput(), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        types = (
            AuditEntry.objects.order_by("object_type")
            .values_list("object_type", flat=True)
            .distinct()
        )
        self.fields["object_type"].choices = [("", _("Todos"))] + [(t, t) for t in types if t]


@staff_required("core.view_auditentry")
def audit_list(request):
    form = AuditFilterForm(request.GET or None)
    filters = {}
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        filters = {
            "actor_id": data["actor"].pk if data["actor"] else None,
            "action": data["action"].strip(),
            "object_type": data["object_type"],
            "client_id": data["client"],
            "since": data["since"],
            "until": data["until"],
        }
    entries = audit_entries(**filters) if not form.is_bound or form.is_valid() else None
    page = Paginator(entries, 50).get_page(request.GET.get("page")) if entries is not None else None
    return render(request, "accounts/audit_list.html", {"form": form, "page_obj": page})
