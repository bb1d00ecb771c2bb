"""The one JSON error shape of the API, shared by its exception handlers and the middleware
that answers for it before or after a view runs (control characters in a query string, an
oversized body, an unknown URL, a server error):

    {"detail": "Nombre: debe ser un texto.", "code": "invalid", "field": "name",
     "errors": {"name": ["Debe ser un texto."]}}

`detail` is one readable Spanish sentence, `field` the first field concerned (null when the
error is not about a field), `errors` every message by field ("__all__" for the others).
"""

from __future__ import annotations

from django.http import JsonResponse

API_PREFIX = "/api/"

CODES = {
    400: "bad_request",
    401: "unauthenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "too_large",
    422: "invalid",
    429: "throttled",
    500: "server_error",
}


def error_body(
    status: int,
    detail: str,
    *,
    field: str | None = None,
    errors: dict[str, list[str]] | None = None,
    code: str | None = None,
) -> dict:
    errors = {k: [str(m) for m in v] for k, v in (errors or {}).items()}
    if field is None:
        field = next((k for k in errors if k != "__all__"), None)
    return {
        "detail": str(detail),
        "code": code or CODES.get(status, "error"),
        "field": field,
        "errors": errors,
    }


def json_error(status: int, detail: str, **kwargs) -> JsonResponse:
    return JsonResponse(error_body(status, detail, **kwargs), status=status)


def is_api(request) -> bool:
    return request.path.startswith(API_PREFIX)
