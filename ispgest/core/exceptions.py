"""Domain errors: raised by services, shown by views as a message and by the API as JSON."""

from django.core.exceptions import FieldDoesNotExist, ValidationError


class DomainError(ValidationError):
    """A rule of the business was broken (an illegal transition, a wallet overdraft...).

    It is a ValidationError so forms and the API show it the same way: with a field name
    when one is given, as a general message otherwise.
    """

    def __init__(self, message: str, field: str | None = None, code: str | None = None):
        if field:
            super().__init__({field: [ValidationError(message, code=code)]})
        else:
            super().__init__(message, code=code)


class InvalidTransition(DomainError):
    pass


def labelled(exc: ValidationError, model, *, codes: set[str] | None = None) -> ValidationError:
    """A model's full_clean errors with each message prefixed by its field's label (only
    the messages of `codes` when given), so a list of errors (a form, the API, an import's
    dry run) says which field each is about."""
    if not hasattr(exc, "error_dict"):
        return exc
    out: dict[str, list[ValidationError]] = {}
    for name, errors in exc.error_dict.items():
        try:
            label = str(model._meta.get_field(name).verbose_name)
        except FieldDoesNotExist:
            label = ""
        for error in errors:
            for message in error.messages:
                wanted = codes is None or error.code in codes
                if label and wanted and not message.startswith(label):
                    message = f"{label}: {message}"
                out.setdefault(name, []).append(ValidationError(message, code=error.code))
    return ValidationError(out)
