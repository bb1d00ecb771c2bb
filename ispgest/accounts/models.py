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

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("Token de API")
        verbose_name_plural = _("Tokens de API")

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.name})"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None

    @classmethod
    def issue(cls, *, user, name: str) -> tuple["ApiToken", str]:
        raw = "isp_" + secrets.token_urlsafe(32)
        token = cls.objects.create(user=user, name=name, prefix=raw[:12], key_hash=hash_token(raw))
        return token, raw

    def revoke(self) -> None:
        self.revoked_at = timezone.now()
        self.save(update_fields=["revoked_at"])
