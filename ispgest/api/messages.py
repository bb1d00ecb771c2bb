"""Spanish messages for the schema validation errors of the API (pydantic's error types),
so a malformed request reads like the rest of the product ("Debe ser un número entero."),
never "Input should be a valid integer"."""

from __future__ import annotations

from django.utils.translation import gettext as _

_MESSAGES = {
    "missing": lambda c: _("Este campo es obligatorio."),
    "int_parsing": lambda c: _("Debe ser un número entero."),
    "int_type": lambda c: _("Debe ser un número entero."),
    "int_from_float": lambda c: _("Debe ser un número entero."),
    "int_parsing_size": lambda c: _("El número es demasiado grande."),
    "float_parsing": lambda c: _("Debe ser un número."),
    "float_type": lambda c: _("Debe ser un número."),
    "finite_number": lambda c: _("Debe ser un número finito."),
    "decimal_parsing": lambda c: _("Debe ser un número decimal (por ejemplo 1234.50)."),
    "decimal_type": lambda c: _("Debe ser un número decimal (por ejemplo 1234.50)."),
    "decimal_max_digits": lambda c: _("Como máximo %(n)s dígitos.") % {"n": c.get("max_digits")},
    "decimal_max_places": lambda c: (
        _("Como máximo %(n)s decimales.") % {"n": c.get("decimal_places")}
    ),
    "decimal_whole_digits": lambda c: (
        _("Como máximo %(n)s dígitos enteros.") % {"n": c.get("whole_digits")}
    ),
    "bool_parsing": lambda c: _("Debe ser verdadero o falso (true/false)."),
    "bool_type": lambda c: _("Debe ser verdadero o falso (true/false)."),
    "string_type": lambda c: _("Debe ser un texto."),
    "string_too_long": lambda c: _("Como máximo %(n)s caracteres.") % {"n": c.get("max_length")},
    "string_too_short": lambda c: _("Al menos %(n)s caracteres.") % {"n": c.get("min_length")},
    "string_pattern_mismatch": lambda c: _("El formato no es válido."),
    "date_parsing": lambda c: _("Debe ser una fecha AAAA-MM-DD."),
    "date_from_datetime_parsing": lambda c: _("Debe ser una fecha AAAA-MM-DD."),
    "date_from_datetime_inexact": lambda c: _("Debe ser una fecha AAAA-MM-DD."),
    "date_type": lambda c: _("Debe ser una fecha AAAA-MM-DD."),
    "datetime_parsing": lambda c: _("Debe ser una fecha y hora ISO 8601."),
    "datetime_from_date_parsing": lambda c: _("Debe ser una fecha y hora ISO 8601."),
    "datetime_type": lambda c: _("Debe ser una fecha y hora ISO 8601."),
    "time_parsing": lambda c: _("Debe ser una hora HH:MM."),
    "greater_than": lambda c: _("Debe ser mayor que %(n)s.") % {"n": c.get("gt")},
    "greater_than_equal": lambda c: _("Debe ser mayor o igual que %(n)s.") % {"n": c.get("ge")},
    "less_than": lambda c: _("Debe ser menor que %(n)s.") % {"n": c.get("lt")},
    "less_than_equal": lambda c: _("Debe ser menor o igual que %(n)s.") % {"n": c.get("le")},
    "list_type": lambda c: _("Debe ser una lista."),
    "too_long": lambda c: _("Como máximo %(n)s elementos.") % {"n": c.get("max_length")},
    "too_short": lambda c: _("Al menos %(n)s elementos.") % {"n": c.get("min_length")},
    "dict_type": lambda c: _("Debe ser un objeto JSON."),
    "model_type": lambda c: _("Debe ser un objeto JSON."),
    "model_attributes_type": lambda c: _("Debe ser un objeto JSON."),
    "literal_error": lambda c: (
        _("Valor no permitido; admitidos: %(v)s.") % {"v": c.get("expected")}
    ),
    "enum": lambda c: _("Valor no permitido; admitidos: %(v)s.") % {"v": c.get("expected")},
    "json_invalid": lambda c: _("JSON no válido."),
    "json_type": lambda c: _("JSON no válido."),
    "extra_forbidden": lambda c: _("Campo no admitido."),
    "uuid_parsing": lambda c: _("Debe ser un UUID."),
    "url_parsing": lambda c: _("Debe ser una URL."),
    "url_scheme": lambda c: _("La URL debe empezar por http:// o https://."),
    "none_required": lambda c: _("Debe ser nulo."),
    "null_not_allowed": lambda c: _("No puede ser nulo."),
    "control_characters": lambda c: str(c.get("message", "")),
}


def spanish_message(error: dict) -> str:
    """The Spanish sentence for one pydantic error dict (its `type`, `ctx` and `msg`)."""
    kind = error.get("type", "")
    ctx = error.get("ctx") or {}
    if kind == "value_error":
        # A validator of ours raised ValueError with a Spanish text: show it as it is.
        text = str(ctx.get("error") or error.get("msg", ""))
        return text.removeprefix("Value error, ")
    maker = _MESSAGES.get(kind)
    if maker is not None:
        return maker(ctx)
    return _("Valor no válido.")
