"""Domain errors: raised by services, shown by views as a message and by the API as JSON."""

from django.core.exceptions import ValidationError


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
