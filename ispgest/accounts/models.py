import hashlib
import secrets

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class User(AbstractUser):
    """A staff user. Roles are groups (see roles.py)."""

    language = models.CharField(_("Idioma"), max_length=5, choices=settings.LANGUAGES, default="es")
    seller = models.OneToOneField(
        "catalog.Seller",
        verbose_name=_("Vendedor"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
    )
    collector = models.OneToOneField(
        "catalog.Collector",
        verbose_name=_("Recaudador"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
    )

    class Meta(AbstractUser.Meta):
        verbose_name = _("Usuario")
        verbose_name_plural = _("Usuarios")

    def has_role(self, role: str) -> bool:
        return self.groups.filter(name=role).exists()


# What a token may reach: "all" (whatever its user's role allows), "read" (every read-only
# request), or a domain of the API (/api/v1/<domain>/...), whole or ":read" only. The role's
# permissions still apply on top of the scope.
API_SCOPE_DOMAINS = [
    ("catalog", _("Catálogos")),
    ("clients", _("Clientes")),
    ("contracts", _("Contratos")),
    ("billing", _("Facturación")),
    ("network", _("Red")),
    ("crm", _("CRM")),
    ("messaging", _("Correo")),
    ("tickets", _("Tickets")),
    ("fiscal", _("Fiscal")),
    ("webhooks", _("Webhooks")),
    ("ops", _("Operaciones")),
    ("portal", _("Portal")),
    ("accounts", _("Cuentas")),
]
SCOPE_ALL = "all"
SCOPE_READ = "read"
READ_METHODS = ("GET", "HEAD", "OPTIONS")


def scope_choices() -> list[tuple[str, str]]:
    out = [(SCOPE_ALL, _("Todo lo que permite el rol")), (SCOPE_READ, _("Solo lectura (todo)"))]
    for key, label in API_SCOPE_DOMAINS:
        out.append((key, label))
        out.append((f"{key}:read", _("%(domain)s (solo lectura)") % {"domain": label}))
    return out


def _default_scopes() -> list[str]:
    return [SCOPE_ALL]


def hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


class ApiToken(models.Model):
    """A bearer token for /api/v1/. Only its SHA-256 is stored; the raw value is shown once."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(_("Nombre"), max_length=80)
    prefix = models.CharField(max_length=12, editable=False)
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(_("Creado el"), auto_now_add=True)
    last_used_at = models.DateTimeField(_("Último uso"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("Revocado el"), null=True, blank=True)
    expires_at = models.DateTimeField(_("Caduca el"), null=True, blank=True)
    scopes = models.JSONField(_("Alcance"), default=_default_scopes, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("Token de API")
        verbose_name_plural = _("Tokens de API")

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.name})"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None and not self.is_expired

    @property
    def is_expired(self) -> bool:
        return self.expires_at is not None and self.expires_at <= timezone.now()

    @property
    def scope_list(self) -> list[str]:
        return [str(s) for s in (self.scopes or [])]

    @property
    def scope_labels(self) -> list[str]:
        labels = dict(scope_choices())
        return [str(labels.get(s, s)) for s in self.scope_list]

    def allows(self, method: str, domain: str) -> bool:
        """Whether the scope lets this token make a `method` request to /api/v1/<domain>/."""
        scopes = set(self.scope_list)
        if not scopes or SCOPE_ALL in scopes or domain in scopes:
            return True
        if method.upper() in READ_METHODS:
            return SCOPE_READ in scopes or f"{domain}:read" in scopes
        return False

    @classmethod
    def issue(
        cls, *, user, name: str, scopes: list[str] | None = None, expires_at=None
    ) -> tuple["ApiToken", str]:
        raw = "isp_" + secrets.token_urlsafe(32)
        token = cls.objects.create(
            user=user,
            name=name,
            prefix=raw[:12],
            key_hash=hash_token(raw),
            scopes=list(scopes) if scopes else _default_scopes(),
            expires_at=expires_at,
        )
        return token, raw

    def revoke(self) -> None:
        self.revoked_at = timezone.now()
        self.save(update_fields=["revoked_at"])
