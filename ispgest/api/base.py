"""The REST API under /api/v1/: token auth, JSON errors in Spanish, one router per domain.

Routers live in ispgest/api/<domain>.py as `router = Router(tags=[...])`; they only call
services and selectors. Every endpoint checks its permission with `require_perms`.
"""

from importlib import import_module
from importlib.util import find_spec

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.utils import timezone
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError
from ninja.security import HttpBearer

from ispgest.accounts.models import ApiToken, hash_token


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
        if row.last_used_at is None or (now - row.last_used_at).total_seconds() > 60:
            ApiToken.objects.filter(pk=row.pk).update(last_used_at=now)
        request.user = row.user
        return row.user


api = NinjaAPI(
    title="ispgest API",
    version="1",
    description="API REST de ispgest. Autenticación: `Authorization: Bearer <token>`.",
    auth=BearerToken(),
    urls_namespace="api",
    docs_url="/docs",
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


@api.exception_handler(ValidationError)
def _validation_error(request, exc):
    errors = validation_errors(exc)
    first = next(iter(errors.values()))[0]
    return api.create_response(request, {"detail": first, "errors": errors}, status=422)


@api.exception_handler(NinjaValidationError)
def _schema_error(request, exc):
    errors: dict[str, list[str]] = {}
    for err in exc.errors:
        loc = [str(p) for p in err.get("loc", []) if p not in ("body", "payload", "query", "path")]
        errors.setdefault(".".join(loc) or "__all__", []).append(
            f"Valor no válido: {err.get('msg', '')}"
        )
    first_field, first_msgs = next(iter(errors.items()), ("__all__", ["Datos no válidos."]))
    return api.create_response(
        request, {"detail": f"{first_field}: {first_msgs[0]}", "errors": errors}, status=422
    )


@api.exception_handler(PermissionDenied)
def _forbidden(request, exc):
    return api.create_response(
        request, {"detail": "No tiene permiso para esta operación."}, status=403
    )


@api.exception_handler(AuthenticationError)
def _unauthenticated(request, exc):
    return api.create_response(
        request, {"detail": "Token ausente, revocado o no válido."}, status=401
    )


@api.exception_handler(Http404)
def _not_found(request, exc):
    return api.create_response(request, {"detail": "No encontrado."}, status=404)


@api.exception_handler(HttpError)
def _http_error(request, exc):
    return api.create_response(request, {"detail": str(exc)}, status=exc.status_code)


_ROUTERS = {
    "catalog": "/catalog",
    "clients": "/clients",
    "contracts": "/contracts",
    "billing": "/billing",
    "network": "/network",
    "crm": "/crm",
    "messaging": "/messaging",
    "tickets": "/tickets",
    "fiscal": "/fiscal",
    "webhooks": "/webhooks",
    "ops": "/ops",
    "portal": "/portal",
    "accounts": "/accounts",
}
# Modules that add endpoints to another domain's router (the client list/search/export
# endpoints live on the clients router but in their own module).
_EXTENSIONS = ["client_search"]
for _module in _EXTENSIONS:
    if find_spec(f"ispgest.api.{_module}"):
        import_module(f"ispgest.api.{_module}")
for _module, _prefix in _ROUTERS.items():
    if find_spec(f"ispgest.api.{_module}"):
        api.add_router(_prefix, import_module(f"ispgest.api.{_module}").router)
