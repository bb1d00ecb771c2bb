"""Forms of the catalog pages, built from the registry (one class per catalog, made once)."""

from __future__ import annotations

from functools import cache

from django import forms
from django.utils.translation import gettext_lazy as _

from ispgest.catalog.models import BillingEntity, PointOfSale, TaxCondition
from ispgest.catalog.registry import CatalogConfig
from ispgest.catalog.selectors import active_choices
from ispgest.core.country import ALL_TAX_ID_KINDS, PROFILES
from ispgest.core.forms import StyledFormMixin

COUNTRY_CHOICES = [(code, p.name) for code, p in PROFILES.items()]
TAX_ID_KIND_CHOICES = [("", "—")] + [(k.code, k.label) for k in ALL_TAX_ID_KINDS.values()]


class CatalogForm(StyledFormMixin, forms.ModelForm):
    """Pickers show active rows only, plus the value the row already has."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name, field in self.fields.items():
            model_field = self._meta.model._meta.get_field(name)
            if model_field.many_to_one and hasattr(model_field.related_model, "active"):
                current = getattr(self.instance, model_field.attname, None)
                field.queryset = active_choices(model_field.related_model, keep=current)
        if "country" in self.fields:
            self.fields["country"] = forms.ChoiceField(
                label=self.fields["country"].label, choices=COUNTRY_CHOICES
            )
            self.fields["country"].widget.attrs["class"] = "form-select"
        if "tax_id_kind" in self.fields:
            self.fields["tax_id_kind"] = forms.ChoiceField(
                label=self.fields["tax_id_kind"].label,
                choices=TAX_ID_KIND_CHOICES,
                required=False,
                help_text=_("Vacío: el del país."),
            )
            self.fields["tax_id_kind"].widget.attrs["class"] = "form-select"
        if not self.instance.pk and "country" in self.fields:
            from django.conf import settings

            self.initial.setdefault("country", settings.ISPGEST_COUNTRY)


@cache
def form_class(config: CatalogConfig) -> type[CatalogForm]:
    return forms.modelform_factory(config.model, form=CatalogForm, fields=list(config.fields))


class PointOfSaleForm(StyledFormMixin, forms.ModelForm):
    class Meta:
        model = PointOfSale
        fields = ["number", "name"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["number"].disabled = True

    def validate_unique(self):
        """The service checks the (entity, number) pair with a Spanish message."""


def allowed_matrix(entity: BillingEntity, invoice_types, allowed: set[tuple[int, int]]):
    """Rows of (tax condition, [(invoice type, checked)]) of the entity's kind."""
    conditions = TaxCondition.objects.filter(kind=entity.kind).filter(
        active=True
    ) | TaxCondition.objects.filter(pk__in={c for c, _t in allowed})
    types = [t for t in invoice_types if t.kind == entity.kind]
    return [
        (cond, [(t, (cond.pk, t.pk) in allowed) for t in types])
        for cond in conditions.distinct().order_by("country", "name")
    ]
