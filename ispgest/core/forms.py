"""Form rendering shared by every page: Bootstrap classes and a <label for> on every input,
and the refusal of control characters in every text field (core/text.py)."""

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import ProhibitNullCharactersValidator
from django.forms.renderers import TemplatesSetting

from ispgest.core.text import ControlCharactersValidator


class FormRenderer(TemplatesSetting):
    form_template_name = "forms/form.html"
    field_template_name = "forms/field.html"


def style_fields(form) -> None:
    """Bootstrap classes, no `maxlength`, and the control-character refusal on every field of
    `form`; run again by forms that add or replace fields after __init__."""
    for field in form.fields.values():
        if isinstance(field, forms.CharField):
            # Django's own validator refuses NUL only; ours refuses every control
            # character, with one message on pages, the API and imports.
            field.validators = [
                v for v in field.validators if not isinstance(v, ProhibitNullCharactersValidator)
            ]
            if not any(isinstance(v, ControlCharactersValidator) for v in field.validators):
                field.validators.append(ControlCharactersValidator())
        widget = field.widget
        widget.attrs.pop("maxlength", None)
        if isinstance(widget, forms.CheckboxInput):
            css = "form-check-input"
        elif isinstance(widget, (forms.Select, forms.SelectMultiple)):
            css = "form-select"
        elif isinstance(widget, (forms.RadioSelect, forms.CheckboxSelectMultiple)):
            css = ""
        else:
            css = "form-control"
        existing = widget.attrs.get("class", "")
        if css and css not in existing.split():
            widget.attrs["class"] = f"{existing} {css}".strip()


class StyledFormMixin:
    """Adds Bootstrap classes to widgets and refuses control characters in every text field;
    use in every ModelForm/Form of the UI (api/tests/test_conventions.py checks it).

    Text inputs carry no `maxlength`: a browser cuts longer input silently, so the server
    checks the length and says the limit instead.
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        style_fields(self)


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs=attrs, format="%Y-%m-%d")


def apply_errors(form: forms.Form, exc: ValidationError) -> None:
    """Show a service's ValidationError on the form, on the field it names when present."""
    if hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            for message in (m for e in errors for m in e.messages):
                form.add_error(field if field in form.fields else None, message)
    else:
        for message in exc.messages:
            form.add_error(None, message)
