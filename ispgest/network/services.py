"""Writes on the router catalog. The API password is encrypted before it reaches the model
and never logged."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone

from ispgest.core.audit import audit
from ispgest.core.exceptions import DomainError
from ispgest.network import secrets
from ispgest.network.models import Router

ROUTER_FIELDS = ("name", "host", "api_port", "username", "zone", "active", "notes")


def _apply(router: Router, data: dict[str, Any]) -> list[str]:
    changed = []
    for name in ROUTER_FIELDS:
        if name not in data:
            continue
        value = data[name]
        if isinstance(value, str):
            value = value.strip()
        attr = "zone_id" if name == "zone" and not hasattr(value, "_meta") else name
        if getattr(router, attr) != value:
            setattr(router, attr, value)
            changed.append(name)
    return changed


def _check(router: Router) -> None:
    router.full_clean(validate_constraints=False)
    if Router.objects.filter(name__iexact=router.name).exclude(pk=router.pk).exists():
        raise DomainError("Ya existe un router con ese nombre.", field="name")


@transaction.atomic
def router_create(*, actor, data: dict[str, Any], password: str = "") -> Router:
    router = Router()
    _apply(router, data)
    _check(router)
    router.password_encrypted = secrets.encrypt(password)
    router.save()
    audit(actor=actor, action="router.created", obj=router, summary=f"Router «{router.name}».")
    return router


@transaction.atomic
def router_update(
    *, actor, router: Router, data: dict[str, Any], password: str | None = None
) -> Router:
    """`password=None` keeps the stored one; "" clears it."""
    router = Router.objects.select_for_update().get(pk=router.pk)
    changed = _apply(router, data)
    _check(router)
    if password is not None:
        router.password_encrypted = secrets.encrypt(password)
        changed.append("password_encrypted")
    if changed:
        router.save(update_fields=[*changed, "updated_at"])
        audit(
            actor=actor,
            action="router.updated",
            obj=router,
            summary=f"Router «{router.name}»: {', '.join(sorted(set(changed)))}.",
        )
    return router


@transaction.atomic
def router_deactivate(*, actor, router: Router) -> Router:
    updated = Router.objects.filter(pk=router.pk, active=True).update(
        active=False, updated_at=timezone.now()
    )
    router.refresh_from_db()
    if updated:
        audit(
            actor=actor,
            action="router.deactivated",
            obj=router,
            summary=f"Router «{router.name}» desactivado.",
        )
    return router


def router_password(router: Router) -> str:
    """The plain API password, for the code that connects to the router."""
    return secrets.decrypt(router.password_encrypted)
