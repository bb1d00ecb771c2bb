"""JSON for every error under /api/, even those no endpoint produced: a URL that does not
exist, a method an endpoint does not take, a body Django refuses before the view runs
(RequestDataTooBig: 413), a CSRF refusal, a server error in a middleware. Pages keep their
HTML errors; the interactive docs page (/api/v1/docs) stays HTML."""

from __future__ import annotations

import logging

from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent
from django.utils.translation import gettext as _

from ispgest.core.http import is_api, json_error

logger = logging.getLogger(__name__)


def _message(status: int) -> str:
    return {
        400: _("Solicitud no válida."),
        401: _("Token ausente, revocado, caducado o no válido."),
        403: _("No tiene permiso para esta operación."),
        404: _("No encontrado."),
        405: _("Método no admitido en esta dirección."),
        413: _("El cuerpo de la solicitud es demasiado grande."),
    }.get(status, _("Error interno del servidor. El error quedó registrado; reintente."))


class ApiErrorMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if not is_api(request) or response.status_code < 400:
            return response
        content_type = response.get("Content-Type", "")
        if content_type.startswith("application/json"):
            return response
        status = response.status_code
        if status == 400 and getattr(request, "_api_too_large", False):
            status = 413
        replacement = json_error(status, _message(status))
        if response.has_header("Allow"):
            replacement["Allow"] = response["Allow"]
        return replacement

    def process_exception(self, request, exception):
        if not is_api(request):
            return None
        if isinstance(exception, RequestDataTooBig | TooManyFieldsSent):
            return json_error(413, _message(413))
        logger.exception("API error on %s %s", request.method, request.path, exc_info=exception)
        return json_error(500, _message(500))
