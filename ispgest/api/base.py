"""The REST API under /api/v1/: token auth with scopes, one JSON error shape in Spanish,
one pagination, control characters refused, one router per domain.

Routers live in ispgest/api/<domain>.py as `router = Router(tags=[...])`; they only call
services and selectors. Every endpoint checks its permission with `require_perms`. What
every endpoint gets without writing anything (CONTRIBUTING, "how to add an API endpoint"):

- errors as `{"detail", "code", "field", "errors"}` (core/http.py) with Spanish messages,
  for 400/401/403/404/409/413/422/500, documented on every operation of the spec;
- schema validation messages in Spanish (api/messages.py);
- control characters refused in every JSON string and form field (the parser below) and
  query string (core.middleware), with the pattern published on every input string;
- `@paginate` = api/pagination.py's bounded cursor pagination.
"""

from __future__ import annotations

import json
import logging
from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import (
    PermissionDenied,
    RequestDataTooBig,
    SuspiciousOperation,
    TooManyFieldsSent,
    ValidationError,
)
from django.db import DatabaseError, IntegrityError
from django.http import Http404, JsonResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError
from ninja.parser import Parser
from ninja.security import HttpBearer

from ispgest.accounts.models import ApiToken, hash_token
from ispgest.api.messages import spanish_message
from ispgest.core.http import error_body
from ispgest.core.text import CONTROL_MESSAGE, SPEC_PATTERN, find_control_chars

logger = logging.getLogger(__name__)


class BearerToken(HttpBearer):
    def authenticate(self, request, token: str):
        row = (
            ApiToken.objects.select_related("user")
            .filter(key_hash=hash_token(token), revoked_at__isnull=True, user__is_active=True)
            .first()
        )
        if row is None:
            return None
        now = timezone.now()
        if row.expires_at is not None and row.expires_at <= now:
            return None
        if not row.allows(request.method, _domain(request.path)):
            raise PermissionDenied(
                _("El alcance de este token no permite esta operación (%(scopes)s).")
                % {"scopes": ", ".join(row.scope_list) or "-"}
            )
        if row.last_used_at is None or (now - row.last_used_at).total_seconds() > 60:
            ApiToken.objects.filter(pk=row.pk).update(last_used_at=now)
        request.user = row.user
        request.api_token = row
        return row.user


def _domain(path: str) -> str:
    """The first segment after /api/v1/ (clients, billing...)."""
    rest = path.split("/api/v1/", 1)[-1]
    return rest.split("/", 1)[0]


class _BodyError(Exception):
    def __init__(self, status: int, message: str, field: str | None = None):
        self.status, self.message, self.field = status, message, field
        super().__init__(message)


def _path(loc) -> str:
    return ".".join(str(p) for p in loc)


class ApiParser(Parser):
    """JSON bodies and form fields, with control characters refused in every string."""

    def parse_body(self, request):
        try:
            data = json.loads(request.body)
        except (ValueError, UnicodeDecodeError) as exc:
            raise _BodyError(400, _("El cuerpo de la solicitud no es JSON válido.")) from exc
        found = find_control_chars(data)
        if found is not None:
            raise _BodyError(422, CONTROL_MESSAGE, _path(found) or "__all__")
        return data

    def parse_querydict(self, data, list_fields, request):
        for key, values in data.lists():
            if any(isinstance(v, str) and find_control_chars(v) is not None for v in values):
                raise _BodyError(422, CONTROL_MESSAGE, key)
        return super().parse_querydict(data, list_fields, request)


# Every operation documents these answers, in the one error shape.
ERROR_RESPONSES = {
    400: "Solicitud mal formada (cuerpo que no es JSON)",
    401: "Token ausente, revocado, caducado o no válido",
    403: "Sin permiso (rol o alcance del token)",
    404: "No encontrado",
    409: "Conflicto con el estado actual (registro duplicado, cambio concurrente)",
    413: "Cuerpo demasiado grande",
    422: "Datos no válidos: `errors` lista los mensajes por campo",
    500: "Error interno (registrado en el servidor)",
}

ERROR_SCHEMA = {
    "title": "Error",
    "type": "object",
    "description": "La forma única de los errores de la API.",
    "properties": {
        "detail": {"type": "string", "description": "Mensaje en español"},
        "code": {"type": "string", "description": "invalid, not_found, forbidden..."},
        "field": {
            "anyOf": [{"type": "string"}, {"type": "null"}],
            "description": "Primer campo afectado (null si no es de un campo)",
        },
        "errors": {
            "type": "object",
            "additionalProperties": {"type": "array", "items": {"type": "string"}},
            "description": "Mensajes por campo; __all__ para los generales",
        },
    },
    "required": ["detail", "code", "field", "errors"],
}


def _input_strings(schema: dict, components: dict, seen: set) -> None:
    """Publish the control-character pattern on every string of an input schema."""
    if not isinstance(schema, dict):
        return
    ref = schema.get("$ref")
    if ref:
        name = ref.rsplit("/", 1)[-1]
        if name not in seen and name in components:
            seen.add(name)
            _input_strings(components[name], components, seen)
        return
    if (
        schema.get("type") == "string"
        and "format" not in schema
        and "enum" not in schema
        and "pattern" not in schema
    ):
        schema["pattern"] = SPEC_PATTERN
    for key in ("properties", "$defs"):
        for sub in (schema.get(key) or {}).values():
            _input_strings(sub, components, seen)
    for key in ("items", "additionalProperties"):
        if isinstance(schema.get(key), dict):
            _input_strings(schema[key], components, seen)
    for key in ("anyOf", "oneOf", "allOf"):
        for sub in schema.get(key) or []:
            _input_strings(sub, components, seen)


class Api(NinjaAPI):
    def get_openapi_schema(self, *, path_prefix=None, path_params=None):
        spec = super().get_openapi_schema(path_prefix=path_prefix, path_params=path_params)
        components = spec.setdefault("components", {}).setdefault("schemas", {})
        components["Error"] = ERROR_SCHEMA
        error_ref = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
        # One shared response object per status, referenced from every operation.
        spec["components"]["responses"] = {
            f"Error{status}": {"description": text, "content": error_ref}
            for status, text in ERROR_RESPONSES.items()
        }
        seen: set[str] = set()
        for operations in spec["paths"].values():
            for method, op in operations.items():
                responses = op.setdefault("responses", {})
                for status in ERROR_RESPONSES:
                    if status in (400, 413) and method in ("get", "delete"):
                        continue
                    if status == 401 and not op.get("security"):
                        continue
                    responses.setdefault(status, {"$ref": f"#/components/responses/Error{status}"})
                for param in op.get("parameters", []):
                    _input_strings(param.get("schema", {}), components, seen)
                for media in (op.get("requestBody") or {}).get("content", {}).values():
                    _input_strings(media.get("schema", {}), components, seen)
        return spec


def docs_access(view):
    """The docs page and the spec: a signed-in user or a valid API token, unless
    ISPGEST_PUBLIC_API_DOCS makes them public. The page sends a person to the login page;
    the spec answers 401 in the API's error shape."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        from django.conf import settings

        if getattr(settings, "ISPGEST_PUBLIC_API_DOCS", False) or request.user.is_authenticated:
            return view(request, *args, **kwargs)
        try:
            user = BearerToken()(request)
        except PermissionDenied:
            user = None
        if user:
            return view(request, *args, **kwargs)
        if request.path.endswith("/docs"):
            return redirect_to_login(request.get_full_path())
        return JsonResponse(
            error_body(401, str(_("Inicie sesión o envíe un token de API."))), status=401
        )

    return wrapper


api = Api(
    title="ispgest API",
    version="1",
    description=(
        "API REST de ispgest. Autenticación: `Authorization: Bearer <token>`. Errores: "
        "`{detail, code, field, errors}` en español. Listas: `limit` (1-500), `cursor` "
        "(el `next_cursor` de la respuesta anterior) u `offset` (hasta 10000). Guía en "
        "docs/api.md."
    ),
    auth=BearerToken(),
    urls_namespace="api",
    docs_url="/docs",
    docs_decorator=docs_access,
    parser=ApiParser(),
)


def require_perms(request, *perms: str) -> None:
    if not request.user.has_perms(perms):
        raise PermissionDenied


def validation_errors(exc: ValidationError) -> dict:
    if hasattr(exc, "error_dict"):
        return {
            field: [str(m) for e in errors for m in e.messages]
            for field, errors in exc.error_dict.items()
        }
    return {"__all__": [str(m) for m in exc.messages]}


def error_response(request, status: int, detail: str, **kwargs):
    return api.create_response(request, error_body(status, detail, **kwargs), status=status)


@api.exception_handler(ValidationError)
def _validation_error(request, exc):
    errors = validation_errors(exc)
    first = next(iter(errors.values()))[0]
    return error_response(request, 422, first, errors=errors)


@api.exception_handler(NinjaValidationError)
def _schema_error(request, exc):
    errors: dict[str, list[str]] = {}
    for err in exc.errors:
        loc = [
            str(p)
            for p in err.get("loc", [])
            if p not in ("body", "payload", "query", "path", "form", "file", "filters")
        ]
        errors.setdefault(".".join(loc) or "__all__", []).append(spanish_message(err))
    first_field, first_msgs = next(iter(errors.items()), ("__all__", [_("Datos no válidos.")]))
    detail = first_msgs[0] if first_field == "__all__" else f"{first_field}: {first_msgs[0]}"
    return error_response(request, 422, detail, errors=errors)


@api.exception_handler(PermissionDenied)
def _forbidden(request, exc):
    detail = str(exc) or _("No tiene permiso para esta operación.")
    return error_response(request, 403, detail)


@api.exception_handler(AuthenticationError)
def _unauthenticated(request, exc):
    return error_response(request, 401, _("Token ausente, revocado, caducado o no válido."))


@api.exception_handler(Http404)
def _not_found(request, exc):
    return error_response(request, 404, _("No encontrado."))


@api.exception_handler(HttpError)
def _http_error(request, exc):
    cause = exc.__cause__
    if isinstance(cause, _BodyError):
        if cause.field:
            return error_response(
                request,
                cause.status,
                f"{cause.field}: {cause.message}",
                errors={cause.field: [cause.message]},
            )
        return error_response(request, cause.status, cause.message)
    return error_response(request, exc.status_code, str(exc))


@api.exception_handler(_BodyError)
def _body_error(request, exc):
    return error_response(
        request, exc.status, f"{exc.field}: {exc.message}", errors={exc.field: [exc.message]}
    )


@api.exception_handler(IntegrityError)
def _conflict(request, exc):
    logger.warning("API conflict on %s: %s", request.path, exc)
    return error_response(
        request, 409, _("El cambio choca con otro registro (duplicado o modificado a la vez).")
    )


@api.exception_handler(RequestDataTooBig)
def _too_large(request, exc):
    return error_response(request, 413, _("El cuerpo de la solicitud es demasiado grande."))


@api.exception_handler(TooManyFieldsSent)
def _too_many_fields(request, exc):
    return error_response(request, 413, _("La solicitud tiene demasiados campos."))


@api.exception_handler(SuspiciousOperation)
def _suspicious(request, exc):
    return error_response(request, 400, _("Solicitud no válida."))


@api.exception_handler(Exception)
def _server_error(request, exc):
    logger.exception("API error on %s %s", request.method, request.path, exc_info=exc)
    if isinstance(exc, DatabaseError):
        logger.error("database error in the API: %s", exc)
    return error_response(
        request, 500, _("Error interno del servidor. El error quedó registrado; reintente.")
    )


# Each domain's router, mounted under its prefix. The client list/search/export and import
# endpoints live on the clients router but in their own modules, imported for that effect.
from ispgest.api import (  # noqa: E402  (the routers import this module's `api` helpers)
    billing,
    catalog,
    client_import,  # noqa: F401
    client_search,  # noqa: F401
    clients,
    contracts,
    crm,
    fiscal,
    messaging,
    network,
    portal,
    tickets,
)

for _prefix, _module in (
    ("/catalog", catalog),
    ("/clients", clients),
    ("/contracts", contracts),
    ("/billing", billing),
    ("/network", network),
    ("/crm", crm),
    ("/messaging", messaging),
    ("/tickets", tickets),
    ("/fiscal", fiscal),
    ("/portal", portal),
):
    api.add_router(_prefix, _module.router)
