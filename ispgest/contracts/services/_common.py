"""Helpers the contracts services share."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.utils import timezone

#: Django's own field messages ("Este campo no puede estar vacío.") say no field name; the
#: model's validators name theirs already.
_GENERIC_CODES = {"blank", "null", "required", "max_length", "invalid_choice", "invalid"}


def _apply(instance, data: dict[str, Any], allowed: tuple[str, ...]) -> list[str]:
    changed = []
    for name, value in data.items():
        if name not in allowed:
            continue
        field = instance._meta.get_field(name)
        attr = field.attname if field.is_relation and not hasattr(value, "_meta") else name
        if getattr(instance, attr) != value:
            setattr(instance, attr, value)
            changed.append(name)
    return changed


def _clean(instance, exclude: list[str] | None = None) -> None:
    # Constraints are checked by the services with Spanish messages (and by the database).
    try:
        instance.full_clean(exclude=exclude, validate_constraints=False)
    except ValidationError as exc:
        raise _named(exc, instance) from None


def _named(exc: ValidationError, instance) -> ValidationError:
    """Each of Django's generic field messages prefixed with the field's label, so a list of
    errors (an import's dry run, the API) says which field it is about."""
    if not hasattr(exc, "error_dict"):
        return exc
    out: dict[str, list[ValidationError]] = {}
    for name, errors in exc.error_dict.items():
        try:
            label = str(instance._meta.get_field(name).verbose_name)
        except FieldDoesNotExist:
            label = ""
        for error in errors:
            for message in error.messages:
                if label and error.code in _GENERIC_CODES and not message.startswith(label):
                    message = f"{label[:1].upper()}{label[1:]}: {message}"
                out.setdefault(name, []).append(ValidationError(message, code=error.code))
    return ValidationError(out)


def _today() -> date:
    return timezone.localdate()


def _label(choices, value) -> str:
    return str(dict(choices).get(value, value))
