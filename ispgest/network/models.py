"""Network catalog: the routers/servers a contract is served from.

A router's API password is a secret: it is stored only encrypted (see network/secrets.py),
never shown back in a page, an API answer or a log line.
"""

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _

from ispgest.core.models import TimeStampedModel


class Router(TimeStampedModel):
    name = models.CharField(_("Nombre"), max_length=120)
    host = models.CharField(
        _("Dirección IP o nombre del host"),
        max_length=255,
        help_text=_("Dirección IP o nombre DNS por el que se accede a la API del equipo."),
    )
    api_port = models.PositiveIntegerField(
        _("Puerto de la API"),
        default=8728,
        validators=[MinValueValidator(1), MaxValueValidator(65535)],
    )
    username = models.CharField(_("Usuario de la API"), max_length=80, blank=True)
    # Fernet token (settings.ISPGEST_SECRETS_KEY or derived from SECRET_KEY); never plain text.
    password_encrypted = models.TextField(editable=False, blank=True, default="")
    zone = models.ForeignKey(
        "catalog.Zone",
        verbose_name=_("Zona"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="routers",
    )
    active = models.BooleanField(_("Activo"), default=True)
    notes = models.TextField(_("Observaciones"), blank=True, max_length=4000)

    class Meta:
        ordering = ["name", "id"]
        verbose_name = _("Router")
        verbose_name_plural = _("Routers")
        constraints = [models.UniqueConstraint(Lower("name"), name="uniq_router_name_ci")]

    def __str__(self) -> str:
        return self.name

    @property
    def has_password(self) -> bool:
        return bool(self.password_encrypted)
