from django.db import transaction
from django.utils import timezone

from ispgest.accounts.models import ApiToken, User
from ispgest.core.audit import audit


def _role_of(user: User) -> str:
    from ispgest.accounts.roles import ROLES

    return next((g.name for g in user.groups.all() if g.name in ROLES), "")


def _user_facts(user: User) -> dict[str, str]:
    return {
        "Nombre": user.first_name,
        "Apellido": user.last_name,
        "E-mail": user.email,
        "Rol": _role_of(user),
        "Vendedor": str(user.seller) if user.seller_id else "",
        "Recaudador": str(user.collector) if user.collector_id else "",
        "Activo": "Sí" if user.is_active else "No",
    }


def _facts_changes(before: dict[str, str], after: dict[str, str]) -> dict[str, list[str]]:
    return {k: [before.get(k, ""), v] for k, v in after.items() if before.get(k, "") != v}


@transaction.atomic
def api_token_create(
    *, user: User, name: str, scopes: list[str] | None = None, expires_at=None
) -> tuple[ApiToken, str]:
    """Issue a token for `user` with a scope (default: all its role allows) and an optional
    expiry; the raw value is returned once and never stored."""
    from django.core.exceptions import ValidationError

    from ispgest.accounts.models import SCOPE_ALL, scope_choices
    from ispgest.core.text import CONTROL_MESSAGE, has_control_chars

    known = {key for key, _label in scope_choices()}
    scopes = list(dict.fromkeys(scopes or [SCOPE_ALL]))
    unknown = [s for s in scopes if s not in known]
    if unknown:
        raise ValidationError({"scopes": [f"Alcance desconocido: «{unknown[0]}»."]})
    if has_control_chars(name):
        raise ValidationError({"name": [str(CONTROL_MESSAGE)]})
    if expires_at is not None and expires_at <= timezone.now():
        raise ValidationError({"expires_at": ["La fecha de caducidad debe ser futura."]})
    token, raw = ApiToken.issue(
        user=user, name=name.strip() or "API", scopes=scopes, expires_at=expires_at
    )
    audit(
        actor=user,
        action="api_token.created",
        obj=token,
        summary=f"Token de API «{token.name}» ({', '.join(scopes)})",
    )
    return token, raw


@transaction.atomic
def api_token_revoke(*, actor: User, token: ApiToken) -> None:
    if token.user_id != actor.pk and not actor.is_superuser:
        from django.core.exceptions import PermissionDenied

        raise PermissionDenied
    if token.revoked_at is None:
        token.revoke()
        audit(
            actor=actor,
            action="api_token.revoked",
            obj=token,
            summary=f"Token de API «{token.name}» de {token.user} revocado",
        )


@transaction.atomic
def user_set_language(*, user: User, language: str) -> None:
    user.language = language
    user.save(update_fields=["language"])


def _check_links(role: str | None, seller, collector) -> None:
    from django.core.exceptions import ValidationError

    from ispgest.accounts.roles import COLLECTOR, ROLES, SELLER

    if role is not None and role not in ROLES:
        raise ValidationError({"role": f"Rol desconocido: «{role}»."})
    if seller is not None and role != SELLER:
        raise ValidationError(
            {"seller": "Solo un usuario con rol Vendedor se vincula a un vendedor."}
        )
    if collector is not None and role != COLLECTOR:
        raise ValidationError(
            {"collector": "Solo un usuario con rol Recaudador se vincula a un recaudador."}
        )
    for field, row in (("seller", seller), ("collector", collector)):
        if row is not None and not row.active:
            raise ValidationError({field: f"«{row}» está desactivado."})


def _set_role(user: User, role: str | None) -> None:
    from django.contrib.auth.models import Group

    from ispgest.accounts.roles import ROLES

    user.groups.remove(*Group.objects.filter(name__in=ROLES))
    if role:
        user.groups.add(Group.objects.get(name=role))


@transaction.atomic
def staff_user_create(
    *,
    actor: User,
    username: str,
    password: str,
    role: str,
    first_name: str = "",
    last_name: str = "",
    email: str = "",
    seller=None,
    collector=None,
) -> User:
    """Create a staff user with one role and, for a Vendedor/Recaudador, its catalog link."""
    from django.contrib.auth.password_validation import validate_password
    from django.core.exceptions import ValidationError

    _check_links(role, seller, collector)
    username = username.strip()
    if User.objects.filter(username__iexact=username).exists():
        raise ValidationError({"username": f"Ya existe un usuario «{username}»."})
    user = User(
        username=username,
        first_name=first_name.strip(),
        last_name=last_name.strip(),
        email=email.strip(),
        seller=seller,
        collector=collector,
    )
    try:
        validate_password(password, user)
    except ValidationError as exc:
        raise ValidationError({"password": exc.messages}) from None
    user.set_password(password)
    user.full_clean(exclude=["password"])
    user.save()
    _set_role(user, role)
    audit(
        actor=actor,
        action="user.created",
        obj=user,
        summary=f"Usuario «{user.username}» creado con el rol {role}",
        changes=_facts_changes({}, _user_facts(user)),
    )
    return user


@transaction.atomic
def staff_user_update(
    *,
    actor: User,
    user: User,
    role: str,
    first_name: str,
    last_name: str,
    email: str,
    seller=None,
    collector=None,
) -> User:
    from django.core.exceptions import ValidationError

    from ispgest.accounts.roles import ADMIN

    _check_links(role, seller, collector)
    user = User.objects.select_for_update().get(pk=user.pk)
    if user.pk == actor.pk and role != ADMIN:
        raise ValidationError({"role": "No puede quitarse a sí mismo el rol Administrador."})
    before = _user_facts(user)
    user.first_name, user.last_name, user.email = first_name.strip(), last_name.strip(), email
    user.seller, user.collector = seller, collector
    user.full_clean(exclude=["password"])
    user.save(update_fields=["first_name", "last_name", "email", "seller", "collector"])
    _set_role(user, role)
    changes = _facts_changes(before, _user_facts(user))
    if changes:
        audit(
            actor=actor,
            action="user.role_changed" if "Rol" in changes else "user.updated",
            obj=user,
            summary=f"Usuario «{user.username}» modificado",
            changes=changes,
        )
    return user


@transaction.atomic
def staff_user_set_active(*, actor: User, user: User, active: bool) -> User:
    """Deactivate (never delete: history rows point at users) or reactivate a staff user."""
    from django.core.exceptions import ValidationError

    if user.pk == actor.pk and not active:
        raise ValidationError("No puede desactivar su propio usuario.")
    user = User.objects.select_for_update().get(pk=user.pk)
    if user.is_active != active:
        user.is_active = active
        user.save(update_fields=["is_active"])
        if not active:
            ApiToken.objects.filter(user=user, revoked_at__isnull=True).update(
                revoked_at=timezone.now()
            )
        audit(
            actor=actor,
            action="user.activated" if active else "user.deactivated",
            obj=user,
            summary=f"Usuario «{user.username}» {'reactivado' if active else 'desactivado'}",
            changes={"Activo": ["No", "Sí"] if active else ["Sí", "No"]},
        )
    return user
