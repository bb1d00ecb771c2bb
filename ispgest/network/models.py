"""Network: the MikroTik routers a contract is served from, their IP pools and the PPPoE
accounts (secrets) of contracts.

A router's API password and a secret's password are stored only encrypted (see
core/secrets.py), never logged. Each account holds the state wanted on the router
(`version`) and the state last applied there (`applied`, `applied_version`, `applied_at`,
`last_error`): the sync task (network/sync.py) converges them, per router and in order.
"""

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _

from ispgest.core.models import TimeStampedModel

LOGIN_METHODS = [
    ("auto", _("Automático (normal; el desafío si el router lo pide)")),
    ("plain", _("Normal (RouterOS 6.43 o posterior, 7)")),
    ("legacy", _("Antiguo con desafío (RouterOS anterior a 6.43)")),
]


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
    use_ssl = models.BooleanField(
        _("API-SSL"),
        default=False,
        help_text=_("Conexión cifrada (servicio api-ssl, normalmente el puerto 8729)."),
    )
    tls_fingerprint = models.CharField(
        _("Huella SHA-256 del certificado"),
        max_length=100,
        blank=True,
        help_text=_(
            "Para certificados autofirmados: la huella fijada. Vacía: se verifica el "
            "certificado con las autoridades del sistema."
        ),
    )
    timeout_seconds = models.PositiveSmallIntegerField(
        _("Tiempo de espera (segundos)"),
        default=10,
        validators=[MinValueValidator(1), MaxValueValidator(120)],
    )
    routeros_version = models.CharField(
        _("Versión de RouterOS"),
        max_length=4,
        choices=[("", _("Detectar")), ("6", "6"), ("7", "7")],
        blank=True,
        default="",
    )
    login_method = models.CharField(
        _("Método de inicio de sesión"),
        max_length=8,
        choices=LOGIN_METHODS,
        default="auto",
        help_text=_(
            "Automático envía el inicio de sesión normal y, si el router responde con el "
            "desafío de RouterOS anterior a 6.43, lo completa con MD5 en la misma conexión, "
            "sin volver a enviar la contraseña. Sin API-SSL, el normal y el automático envían "
            "la contraseña sin cifrar una vez: para un router antiguo sin API-SSL elija el "
            "antiguo con desafío, que nunca la envía."
        ),
    )
    detected_version = models.CharField(
        _("Versión detectada"), max_length=40, blank=True, editable=False
    )
    # The method the last successful "Probar conexión" logged in with ("plain" or "legacy").
    detected_login_method = models.CharField(
        _("Método de inicio detectado"),
        max_length=8,
        choices=LOGIN_METHODS[1:],
        blank=True,
        editable=False,
    )
    active = models.BooleanField(_("Activo"), default=True)
    notes = models.TextField(_("Observaciones"), blank=True, max_length=4000)
    # Sync of the router (pools, profiles, secrets): backoff while it is unreachable.
    sync_needed = models.BooleanField(default=False, editable=False)
    sync_attempts = models.PositiveIntegerField(default=0, editable=False)
    next_sync_at = models.DateTimeField(null=True, blank=True, editable=False)
    sync_lease_until = models.DateTimeField(null=True, blank=True, editable=False)
    last_sync_at = models.DateTimeField(null=True, blank=True, editable=False)
    last_sync_error = models.TextField(blank=True, editable=False)

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

    @property
    def major_version(self) -> str:
        return self.routeros_version or (self.detected_version[:1] if self.detected_version else "")


class IPPool(TimeStampedModel):
    """Pool de IPs of a router, mirrored to its /ip/pool."""

    router = models.ForeignKey(
        Router, verbose_name=_("Equipo Mikrotik"), on_delete=models.PROTECT, related_name="pools"
    )
    name = models.CharField(_("Nombre"), max_length=60)
    network = models.CharField(
        _("Red"),
        max_length=43,
        help_text=_("Red de servicio en notación CIDR, p. ej. 100.64.0.0/22."),
    )
    ranges = models.CharField(
        _("Rangos"),
        max_length=500,
        help_text=_("Rangos separados por comas: 100.64.0.10-100.64.3.250 o 100.64.1.0/24."),
    )
    no_service = models.BooleanField(
        _("Pool sin conexión"),
        default=False,
        help_text=_("Las direcciones que reciben los clientes sin servicio."),
    )
    address_list = models.CharField(
        _("Lista de direcciones"),
        max_length=60,
        blank=True,
        help_text=_("Solo para el pool sin conexión: lista del firewall a la que se añaden."),
    )

    class Meta:
        ordering = ["router", "name", "id"]
        verbose_name = _("Pool de IPs")
        verbose_name_plural = _("Pools de IPs")
        constraints = [
            models.UniqueConstraint(Lower("name"), "router", name="uniq_pool_name_per_router"),
            models.UniqueConstraint(
                fields=["router"], condition=models.Q(no_service=True), name="one_noservice_pool"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class SyncStatus(models.TextChoices):
    PENDING = "pending", _("Pendiente")
    APPLIED = "applied", _("Aplicado")
    FAILED = "failed", _("Error")
    CONFLICT = "conflict", _("Conflicto")


class PPPoEAccount(TimeStampedModel):
    """The PPPoE secret of a contract ("Info Mikrotik PPPoe")."""

    contract = models.OneToOneField(
        "contracts.Contract",
        verbose_name=_("Contrato"),
        on_delete=models.PROTECT,
        related_name="pppoe",
    )
    client = models.ForeignKey(
        "clients.Client", on_delete=models.PROTECT, related_name="pppoe_accounts", editable=False
    )
    router = models.ForeignKey(
        Router,
        verbose_name=_("Equipo Mikrotik"),
        on_delete=models.PROTECT,
        related_name="pppoe_accounts",
    )
    username = models.CharField(_("Usuario PPPoe del cliente"), max_length=64)
    password_encrypted = models.TextField(editable=False)
    static_ip = models.GenericIPAddressField(
        _("IP Estática"), protocol="IPv4", null=True, blank=True
    )
    suspended = models.BooleanField(_("En modo sin conexión"), default=False)
    removed = models.BooleanField(default=False, editable=False)  # wanted: absent
    adopt = models.BooleanField(default=False, editable=False)  # take over a hand-made one
    kick_pending = models.BooleanField(default=False, editable=False)
    # desired vs applied
    version = models.PositiveIntegerField(default=1, editable=False)
    applied_version = models.PositiveIntegerField(default=0, editable=False)
    applied = models.JSONField(default=dict, blank=True, editable=False)
    applied_at = models.DateTimeField(null=True, blank=True, editable=False)
    sync_status = models.CharField(
        max_length=10, choices=SyncStatus.choices, default=SyncStatus.PENDING, editable=False
    )
    last_error = models.TextField(blank=True, editable=False)
    router_ref = models.CharField(max_length=20, blank=True, editable=False)  # its .id there

    class Meta:
        ordering = ["router", "username"]
        verbose_name = _("Secret PPPoE")
        verbose_name_plural = _("Secrets PPPoE")
        permissions = [("view_pppoe_password", "Puede ver la contraseña PPPoE de los clientes")]
        constraints = [
            models.UniqueConstraint(Lower("username"), "router", name="uniq_pppoe_user_per_router"),
            models.UniqueConstraint(
                fields=["router", "static_ip"],
                condition=models.Q(static_ip__isnull=False),
                name="uniq_pppoe_static_ip_per_router",
            ),
        ]
        indexes = [
            models.Index(fields=["router", "sync_status"], name="pppoe_router_status_idx"),
        ]

    def __str__(self) -> str:
        return self.username

    @property
    def pending(self) -> bool:
        return self.applied_version < self.version

    @property
    def password_plain(self) -> str:
        """For the roles allowed to see it (network.view_pppoe_password) and the sync."""
        from ispgest.core.secrets import decrypt

        return decrypt(self.password_encrypted)


class DriftCheck(models.Model):
    """One reconciliation of a router (scheduled or from its page): the counts it found."""

    router = models.ForeignKey(Router, on_delete=models.CASCADE, related_name="drift_checks")
    checked_at = models.DateTimeField(_("Comprobado el"), auto_now_add=True)
    missing = models.PositiveIntegerField(_("Faltan en el router"), default=0)
    unknown = models.PositiveIntegerField(_("Desconocidos en el router"), default=0)
    different = models.PositiveIntegerField(_("Distintos"), default=0)
    error = models.TextField(_("Error"), blank=True)

    class Meta:
        ordering = ["-checked_at", "-id"]
        verbose_name = _("Comprobación de diferencias")
        indexes = [models.Index(fields=["router", "-checked_at"], name="driftcheck_router_idx")]

    def __str__(self) -> str:
        return f"{self.router_id} @ {self.checked_at:%Y-%m-%d %H:%M}"

    @property
    def total(self) -> int:
        return self.missing + self.unknown + self.different


class CutoffRule(TimeStampedModel):
    """Corte por impago: contracts of the entity or zone with an invoice unpaid `grace_days`
    after its due date are suspended; a payment that settles the debt restores them."""

    name = models.CharField(_("Nombre"), max_length=120)
    billing_entity = models.ForeignKey(
        "catalog.BillingEntity",
        verbose_name=_("Entidad de facturación"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
    )
    zone = models.ForeignKey(
        "catalog.Zone", verbose_name=_("Zona"), on_delete=models.PROTECT, null=True, blank=True
    )
    grace_days = models.PositiveSmallIntegerField(
        _("Días de gracia"), default=10, validators=[MaxValueValidator(365)]
    )
    exempt_clients = models.ManyToManyField(
        "clients.Client", verbose_name=_("Clientes exentos"), blank=True, related_name="+"
    )
    active = models.BooleanField(_("Activa"), default=True)

    class Meta:
        ordering = ["name", "id"]
        verbose_name = _("Regla de corte por impago")
        verbose_name_plural = _("Reglas de corte por impago")

    def __str__(self) -> str:
        return self.name


class ServiceCut(models.Model):
    """One cut of a contract by a rule, and its restore. At most one open cut per contract
    (a unique condition), so a rerun or a second worker never cuts twice."""

    contract = models.ForeignKey(
        "contracts.Contract", on_delete=models.PROTECT, related_name="service_cuts"
    )
    rule = models.ForeignKey(CutoffRule, on_delete=models.PROTECT, related_name="cuts")
    cut_at = models.DateTimeField(_("Cortado el"), auto_now_add=True)
    restored_at = models.DateTimeField(_("Restablecido el"), null=True, blank=True)

    class Meta:
        ordering = ["-cut_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["contract"],
                condition=models.Q(restored_at__isnull=True),
                name="one_open_cut_per_contract",
            )
        ]

    def __str__(self) -> str:
        return f"corte {self.contract_id} @ {self.cut_at:%Y-%m-%d}"


class UsageCounter(models.Model):
    """The last raw byte counters read for a secret's session (the router's dynamic
    `<pppoe-user>` interface): the next reading's delta is taken against it. `session_ref`
    is the interface's `.id`, new for every session; a different one, or a counter below
    the last, means the session reconnected and its counters started again from zero."""

    account = models.OneToOneField(
        PPPoEAccount, on_delete=models.CASCADE, related_name="usage_counter"
    )
    session_ref = models.CharField(max_length=20)
    rx_bytes = models.BigIntegerField(default=0)  # the router's rx: the client's upload
    tx_bytes = models.BigIntegerField(default=0)  # the router's tx: the client's download
    read_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.account_id} {self.session_ref} rx={self.rx_bytes} tx={self.tx_bytes}"


class UsageHour(models.Model):
    """Traffic of a contract in one hour (`hour` is the hour's start). Folded into
    `UsageDay` and deleted once older than ISPGEST_USAGE_HOURLY_DAYS."""

    contract = models.ForeignKey(
        "contracts.Contract", on_delete=models.CASCADE, related_name="usage_hours"
    )
    hour = models.DateTimeField()
    bytes_down = models.BigIntegerField(default=0)
    bytes_up = models.BigIntegerField(default=0)

    class Meta:
        ordering = ["contract", "hour"]
        constraints = [models.UniqueConstraint(fields=["contract", "hour"], name="uniq_usage_hour")]
        indexes = [models.Index(fields=["hour"], name="usagehour_hour_idx")]

    def __str__(self) -> str:
        return f"{self.contract_id} @ {self.hour:%Y-%m-%d %H}h"


class UsageDay(models.Model):
    """Traffic of a contract in one day of the ISP's time zone, rolled up from `UsageHour`."""

    contract = models.ForeignKey(
        "contracts.Contract", on_delete=models.CASCADE, related_name="usage_days"
    )
    day = models.DateField()
    bytes_down = models.BigIntegerField(default=0)
    bytes_up = models.BigIntegerField(default=0)

    class Meta:
        ordering = ["contract", "day"]
        constraints = [models.UniqueConstraint(fields=["contract", "day"], name="uniq_usage_day")]

    def __str__(self) -> str:
        return f"{self.contract_id} @ {self.day:%Y-%m-%d}"
