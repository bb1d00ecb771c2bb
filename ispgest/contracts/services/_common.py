"""Helpers the contracts services share."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.core.exceptions import ValidationError
from django.utils import timezone

from ispgest.core.exceptions import labelled

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
        raise labelled(exc, type(instance), codes=_GENERIC_CODES) from None


def _today() -> date:
    return timezone.localdate()


def _label(choices, value) -> str:
    return str(dict(choices).get(value, value))
