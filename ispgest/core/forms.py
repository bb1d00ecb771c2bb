"""Form rendering shared by every page: Bootstrap classes and a <label for> on every input."""

from django import forms
from django.forms.renderers import TemplatesSetting


class FormRenderer(TemplatesSetting):
    form_template_name = "forms/form.html"
    field_template_name = "forms/field.html"


def style_fields(form) -> None:
    """Bootstrap classes on the widgets of `form` (again after fields are added or replaced)."""
    for field in form.fields.values():
        widget = field.widget
        if isinstance(widget, forms.CheckboxInput):
            css = "form-check-input"
        elif isinstance(widget, (forms.Select, forms.SelectMultiple)) and not isinstance(
            widget, (forms.RadioSelect, forms.CheckboxSelectMultiple)
        ):
            css = "form-select"
        elif isinstance(widget, (forms.RadioSelect, forms.CheckboxSelectMultiple)):
            css = ""
        else:
            css = "form-control"
        existing = widget.attrs.get("class", "")
        if css and css not in existing.split():
            widget.attrs["class"] = f"{existing} {css}".strip()


class StyledFormMixin:
    """Adds Bootstrap classes to widgets; use in every ModelForm/Form of the UI."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        style_fields(self)


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs=attrs, format="%Y-%m-%d")
