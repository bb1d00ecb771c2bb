"""Every write of the portal: accounts and passwords, login throttling, the configuration,
and the changes a client makes to its own record.

Passwords are hashed with argon2 and never stored, logged or written to the history in
clear. A reset link is a signed token (one hour) bound to the current password hash, so it
stops working as soon as it is used or the password changes otherwise.
"""

from __future__ import annotations

import hashlib
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.hashers import check_password, make_password
from django.contrib.auth.password_validation import validate_password
from django.core import signing
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models.functions import Lower
from django.urls import reverse
from django.utils import timezone
from django.utils.crypto import constant_time_compare, get_random_string, salted_hmac

from ispgest.clients.history import record_event
from ispgest.clients.models import Client
from ispgest.clients.notifications import portal_recipients
from ispgest.core.audit import audit
from ispgest.core.exceptions import DomainError
from ispgest.core.identity import isp_identity
from ispgest.portal.models import GatewayInstructions, LoginThrottle, PortalAccount, PortalSettings
from ispgest.portal.selectors import portal_settings

HASHER = "argon2"
# Letters and digits without the ones read alike (0/O, 1/l/I).
PASSWORD_ALPHABET = "abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"
PASSWORD_LENGTH = 16
RESET_MAX_AGE = 60 * 60  # seconds
RESET_SALT = "ispgest.portal.reset"
REGENERATE_LIMIT = 3  # per client and hour
RESET_REQUEST_LIMIT = 3  # per address and hour
LOCKOUT = timedelta(minutes=30)

LOGIN_FAILED = "E-mail o contraseña incorrectos."
LOCKED = (
    "Demasiados intentos fallidos: el acceso con este e-mail quedó bloqueado durante "
    "%(minutes)s minutos."
)


def failure_limit() -> int:
    return int(getattr(settings, "ISPGEST_PORTAL_LOGIN_FAILURE_LIMIT", settings.AXES_FAILURE_LIMIT))


def portal_url() -> str:
    return settings.SITE_URL.rstrip("/") + reverse("portal:login")


def _throttle_key(email: str) -> str:
    return hashlib.sha256(email.strip().lower().encode()).hexdigest()


def session_hash(account: PortalAccount) -> str:
    """Changes whenever the password does: a session keeps it and dies with the old one."""
    return salted_hmac("ispgest.portal.session", account.password).hexdigest()


def client_by_login_email(email: str) -> Client | None:
    email = (email or "").strip().lower()
    if not email:
        return None
    return Client.objects.annotate(login=Lower("email")).filter(login=email).first()


def _hash(raw: str) -> str:
    return make_password(raw, hasher=HASHER)


def _check_can_have_access(client: Client) -> None:
    if not portal_settings().enabled:
        raise DomainError(
            "El portal de clientes está desactivado (Configuración del Portal de Clientes).",
            code="portal_off",
        )
    if not client.is_active:
        raise DomainError(
            "El cliente está desactivado: no puede acceder al portal.", code="inactive"
        )
    if not portal_recipients(client):
        raise DomainError(
            "E-mail de contacto: el cliente no tiene e-mail principal; cárguelo en «Básico» "
            "(Portal de Clientes) antes de generar la contraseña.",
            field="email",
            code="no_email",
        )


def _recent(action: str, client_id: int) -> int:
    from ispgest.core.models import AuditEntry

    since = timezone.now() - timedelta(hours=1)
    return AuditEntry.objects.filter(
        action=action, client_id=client_id, created_at__gte=since
    ).count()


@transaction.atomic
def portal_password_regenerate(*, actor, client: Client) -> PortalAccount:
    """ "Regenerar contraseña": a new strong password, hashed, e-mailed to the principal
    address with the portal's address. The history and the audit say it happened; the
    password itself is only in the e-mail."""
    from ispgest.messaging.emails import send_email

    locked = Client.objects.select_for_update().get(pk=client.pk)
    _check_can_have_access(locked)
    if _recent("portal.password_regenerated", locked.pk) >= REGENERATE_LIMIT:
        raise DomainError(
            f"Ya se regeneró la contraseña de este cliente {REGENERATE_LIMIT} veces en la "
            "última hora; espere antes de volver a hacerlo.",
            code="rate_limited",
        )
    raw = get_random_string(PASSWORD_LENGTH, PASSWORD_ALPHABET)
    account, _ = PortalAccount.objects.select_for_update().get_or_create(client=locked)
    account.password = _hash(raw)
    account.password_set_at = timezone.now()
    account.save(update_fields=["password", "password_set_at", "updated_at"])
    to = portal_recipients(locked)
    send_email(
        template="portal_password",
        to=to,
        context={
            "client": locked,
            "password": raw,
            "login_email": locked.email,
            "portal_url": portal_url(),
            "isp": isp_identity(),
        },
        client=locked,
        sent_by=actor if getattr(actor, "pk", None) else None,
        related=account,
    )
    summary = f"Contraseña del portal regenerada y enviada a {', '.join(to)}"
    record_event(
        client=locked,
        actor=actor,
        action="portal.password_regenerated",
        summary=summary,
        obj=account,
        audit_entry=False,  # written below
    )
    audit(
        actor=actor,
        action="portal.password_regenerated",
        obj=account,
        summary=summary,
        client_id=locked.pk,
    )
    return account


def _account_for_login(client: Client | None) -> PortalAccount | None:
    if client is None or not client.is_active:
        return None
    return PortalAccount.objects.filter(client=client).select_related("client").first()


def portal_login(*, email: str, password: str) -> PortalAccount:
    """Check an e-mail and password. Failures count per address whether or not a client has
    it; after `failure_limit()` of them the address is locked for LOCKOUT. The message never
    says which part was wrong or whether the address exists."""
    key = _throttle_key(email)
    now = timezone.now()
    locked_message = LOCKED % {"minutes": int(LOCKOUT.total_seconds() // 60)}
    with transaction.atomic():
        throttle, _ = LoginThrottle.objects.select_for_update().get_or_create(key=key)
        if throttle.locked_until and throttle.locked_until > now:
            error, code = locked_message, "locked"
        else:
            account = _account_for_login(client_by_login_email(email))
            encoded = account.password if account is not None else ""
            if encoded:
                ok = check_password(password or "", encoded, preferred=HASHER)
            else:
                make_password(password or "", hasher=HASHER)  # the same cost either way
                ok = False
            if ok:
                throttle.delete()
                account.last_login = now
                account.save(update_fields=["last_login", "updated_at"])
                return account
            throttle.failures += 1
            error, code = LOGIN_FAILED, "invalid_login"
            if throttle.failures >= failure_limit():
                throttle.failures = 0
                throttle.locked_until = now + LOCKOUT
                error, code = locked_message, "locked"
            throttle.save()
    # Raised after the block so the failure count is kept.
    raise DomainError(error, code=code)


def reset_token(account_or_client) -> str:
    client = getattr(account_or_client, "client", account_or_client)
    account = PortalAccount.objects.filter(client=client).first()
    fingerprint = _fingerprint(account)
    return signing.dumps({"c": client.pk, "f": fingerprint}, salt=RESET_SALT, compress=True)


def _fingerprint(account: PortalAccount | None) -> str:
    value = account.password if account is not None else ""
    return salted_hmac("ispgest.portal.reset", value).hexdigest()[:20]


@transaction.atomic
def portal_reset_request(*, email: str) -> None:
    """ "¿Olvidó su contraseña?": e-mail a one-hour, single-use link when the address is an
    active client's principal e-mail and the portal is on; do nothing otherwise. The caller
    answers the same in both cases."""
    from ispgest.messaging.emails import send_email

    if not portal_settings().enabled:
        return
    client = client_by_login_email(email)
    if client is None or not client.is_active or not portal_recipients(client):
        return
    if _recent("portal.reset_requested", client.pk) >= RESET_REQUEST_LIMIT:
        return
    token = reset_token(client)
    link = settings.SITE_URL.rstrip("/") + reverse("portal:reset_confirm", args=[token])
    send_email(
        template="portal_reset",
        to=portal_recipients(client),
        context={"client": client, "link": link, "portal_url": portal_url(), "isp": isp_identity()},
        client=client,
    )
    audit(
        actor=None,
        action="portal.reset_requested",
        obj=client,
        summary="Enlace para restablecer la contraseña del portal enviado",
        client_id=client.pk,
    )


def reset_client(token: str) -> Client | None:
    """The client a reset link is for, or None when it is expired, used or tampered."""
    try:
        data = signing.loads(token, salt=RESET_SALT, max_age=RESET_MAX_AGE)
    except signing.BadSignature:
        return None
    client = Client.objects.filter(pk=data.get("c")).first()
    if client is None or not client.is_active:
        return None
    account = PortalAccount.objects.filter(client=client).first()
    if not constant_time_compare(_fingerprint(account), str(data.get("f", ""))):
        return None
    return client


def _validate_new_password(raw: str, confirm: str, field: str = "new_password") -> None:
    if raw != confirm:
        raise DomainError("Repetir contraseña: las dos contraseñas no coinciden.", field=field)
    try:
        validate_password(raw)
    except ValidationError as exc:
        raise ValidationError({field: exc.messages}) from None


def _set_password(*, client: Client, raw: str, action: str, summary: str) -> PortalAccount:
    account, _ = PortalAccount.objects.select_for_update().get_or_create(client=client)
    account.password = _hash(raw)
    account.password_set_at = timezone.now()
    account.save(update_fields=["password", "password_set_at", "updated_at"])
    record_event(
        client=client, actor=None, action=action, summary=summary, obj=account, audit_entry=False
    )
    audit(actor=None, action=action, obj=account, summary=summary, client_id=client.pk)
    return account


@transaction.atomic
def portal_reset_confirm(*, token: str, password: str, confirm: str) -> PortalAccount:
    client = reset_client(token)
    if client is None or not portal_settings().enabled:
        raise DomainError(
            "El enlace para restablecer la contraseña venció o ya fue usado; pida uno nuevo.",
            code="invalid_token",
        )
    Client.objects.select_for_update().filter(pk=client.pk).first()
    if reset_client(token) is None:  # used by a concurrent request meanwhile
        raise DomainError(
            "El enlace para restablecer la contraseña venció o ya fue usado; pida uno nuevo.",
            code="invalid_token",
        )
    _validate_new_password(password, confirm)
    return _set_password(
        client=client,
        raw=password,
        action="portal.password_reset",
        summary="Contraseña del portal restablecida por el cliente con el enlace enviado",
    )


@transaction.atomic
def portal_password_change(
    *, account: PortalAccount, current: str, password: str, confirm: str
) -> PortalAccount:
    locked = PortalAccount.objects.select_for_update().select_related("client").get(pk=account.pk)
    if not check_password(current or "", locked.password):
        raise DomainError("Contraseña actual: no es correcta.", field="current_password")
    _validate_new_password(password, confirm)
    return _set_password(
        client=locked.client,
        raw=password,
        action="portal.password_changed",
        summary="Contraseña del portal cambiada por el cliente",
    )


PROFILE_FIELDS = {"phones": ("phone", "mobile"), "notify": ("notify_emails",)}


def profile_editable_fields(conf: PortalSettings | None = None) -> list[str]:
    conf = conf or portal_settings()
    fields: list[str] = []
    if conf.clients_edit_phones:
        fields += PROFILE_FIELDS["phones"]
    if conf.clients_edit_notify_emails:
        fields += PROFILE_FIELDS["notify"]
    return fields


@transaction.atomic
def portal_profile_update(*, account: PortalAccount, data: dict) -> Client:
    """The client's own contact data, only the fields the configuration lets it edit, through
    the clients' own validation and service (history included)."""
    from ispgest.clients.services import client_update

    allowed = profile_editable_fields()
    refused = sorted(set(data) - set(allowed))
    if refused:
        raise DomainError(
            "Estos datos no se pueden modificar desde el portal: " + ", ".join(refused),
            code="not_editable",
        )
    return client_update(actor=None, client=account.client, data=data)


@transaction.atomic
def portal_settings_update(
    *, actor, data: dict, identity: dict, instructions: dict[int, str]
) -> PortalSettings:
    """Save the configuration page: portal settings, the ISP's identity (name, logo,
    colours) and each gateway's payment instructions, together or not at all."""
    from ispgest.catalog.models import PaymentGateway
    from ispgest.core.identity import identity_update

    conf = PortalSettings.objects.select_for_update().get_or_create(pk=1)[0]
    unknown = set(data.get("sections", [])) - {s for s in _section_values()}
    if unknown:
        raise DomainError("Secciones visibles: valor desconocido.", field="sections")
    known_gateways = set(
        PaymentGateway.objects.filter(pk__in=instructions).values_list("pk", flat=True)
    )
    if set(instructions) - known_gateways:
        raise DomainError("Instrucciones de pago: pasarela desconocida.", field="instructions")
    changes = {}
    for name, value in data.items():
        old = getattr(conf, name)
        if old != value:
            label = str(conf._meta.get_field(name).verbose_name)
            changes[label] = [str(old), str(value)]
            setattr(conf, name, value)
    conf.save()
    identity_changes = identity_update(actor=actor, data=identity)
    existing = {
        g.gateway_id: g for g in GatewayInstructions.objects.filter(gateway_id__in=instructions)
    }
    for gateway_id, text in instructions.items():
        row = existing.get(gateway_id)
        if row is None and not text:
            continue
        if row is None:
            row = GatewayInstructions(gateway_id=gateway_id)
        if row.text != text:
            changes[f"Instrucciones de pago ({gateway_id})"] = [row.text, text]
            row.text = text
            row.save()
    audit(
        actor=actor,
        action="portal.settings_updated",
        obj=conf,
        summary="Configuración del Portal de Clientes modificada",
        changes={**changes, **identity_changes},
    )
    return conf


def _section_values():
    from ispgest.portal.models import Section

    return [s.value for s in Section]
