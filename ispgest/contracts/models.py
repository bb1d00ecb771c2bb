"""Service contracts and what hangs off them.

Conventions billing relies on:

- `PlanAssignment` periods are half-open: an assignment covers every day `d` with
  `start_date <= d < end_date` (`end_date` NULL = still open). Assigning a new plan on day D
  sets the previous assignment's `end_date = D`, so periods chain without gaps or overlaps.
  At most one open assignment per contract; no two assignments of a contract overlap (an
  exclusion constraint on PostgreSQL, checked by the service everywhere).
- `Contract.plan` is the plan of the open assignment (kept in step by services).
- `ContractStatusChange` is the log of status moves with the day they take effect, so
  billing can prorate suspensions.
- `PackageAssignment.next_renewal_date` is the next day a renewable package is due.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _

from ispgest.core.models import TimeStampedModel
from ispgest.core.money import default_currency as money_default_currency
from ispgest.core.money import round_money

MONEY = {"max_digits": 12, "decimal_places": 2}
LATITUDE_VALIDATORS = [
    MinValueValidator(Decimal("-90"), message=_("La latitud debe estar entre -90 y 90.")),
    MaxValueValidator(Decimal("90"), message=_("La latitud debe estar entre -90 y 90.")),
]
LONGITUDE_VALIDATORS = [
    MinValueValidator(Decimal("-180"), message=_("La longitud debe estar entre -180 y 180.")),
    MaxValueValidator(Decimal("180"), message=_("La longitud debe estar entre -180 y 180.")),
]
NON_NEGATIVE = [MinValueValidator(Decimal("0"), message=_("No puede ser negativo."))]


def default_currency() -> str:
    """Kept for the migrations that name it; see core.money.default_currency."""
    return money_default_currency()


class Plan(TimeStampedModel):
    """Tarifa: what a contract pays and the speeds it gets."""

    class Kind(models.TextChoices):
        MONTHLY = "monthly", _("Mensual (recurrente)")
        ONE_OFF = "one_off", _("Pago único")

    name = models.CharField(_("Nombre"), max_length=120)
    description = models.TextField(_("Descripción"), blank=True, max_length=2000)
    kind = models.CharField(_("Tipo"), max_length=10, choices=Kind.choices, default=Kind.MONTHLY)
    price = models.DecimalField(_("Precio"), validators=NON_NEGATIVE, **MONEY)
    currency = models.CharField(_("Moneda"), max_length=3, default=default_currency)
    tax = models.ForeignKey(
        "catalog.Tax", verbose_name=_("Impuesto"), on_delete=models.PROTECT, null=True, blank=True
    )
    download_kbps = models.PositiveIntegerField(_("Velocidad de bajada (kbps)"), default=0)
    upload_kbps = models.PositiveIntegerField(_("Velocidad de subida (kbps)"), default=0)
    # MikroTik-style burst: rate allowed while the average stays under the threshold.
    burst_download_kbps = models.PositiveIntegerField(
        _("Ráfaga de bajada (kbps)"), null=True, blank=True
    )
    burst_upload_kbps = models.PositiveIntegerField(
        _("Ráfaga de subida (kbps)"), null=True, blank=True
    )
    burst_threshold_download_kbps = models.PositiveIntegerField(
        _("Umbral de ráfaga de bajada (kbps)"), null=True, blank=True
    )
    burst_threshold_upload_kbps = models.PositiveIntegerField(
        _("Umbral de ráfaga de subida (kbps)"), null=True, blank=True
    )
    burst_time_seconds = models.PositiveIntegerField(
        _("Tiempo de ráfaga (segundos)"),
        null=True,
        blank=True,
        validators=[MaxValueValidator(3600)],
    )
    priority = models.PositiveSmallIntegerField(
        _("Prioridad"), default=8, validators=[MinValueValidator(1), MaxValueValidator(8)]
    )
    active = models.BooleanField(_("Activa"), default=True)

    class Meta:
        ordering = ["name", "id"]
        verbose_name = _("Tarifa")
        verbose_name_plural = _("Tarifas")
        constraints = [
            models.UniqueConstraint(Lower("name"), name="uniq_plan_name_ci"),
            models.CheckConstraint(condition=Q(price__gte=0), name="plan_price_non_negative"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_monthly(self) -> bool:
        return self.kind == self.Kind.MONTHLY


class ContractStatus(models.TextChoices):
    PENDING_INSTALLATION = "pending_installation", _("Pendiente de instalación")
    ACTIVE = "active", _("Activo")
    SUSPENDED = "suspended", _("Suspendido")
    CANCELLED = "cancelled", _("Dado de baja")


# The explicit state machine: from -> the statuses it may move to.
CONTRACT_TRANSITIONS: dict[str, tuple[str, ...]] = {
    ContractStatus.PENDING_INSTALLATION: (ContractStatus.ACTIVE, ContractStatus.CANCELLED),
    ContractStatus.ACTIVE: (ContractStatus.SUSPENDED, ContractStatus.CANCELLED),
    ContractStatus.SUSPENDED: (ContractStatus.ACTIVE, ContractStatus.CANCELLED),
    ContractStatus.CANCELLED: (),
}


class Contract(TimeStampedModel):
    """Contrato de servicio ("Contratos Op."): invoiced on its own."""

    Status = ContractStatus

    client = models.ForeignKey(
        "clients.Client",
        verbose_name=_("Cliente"),
        on_delete=models.PROTECT,
        related_name="contracts",
    )
    status = models.CharField(
        _("Estado"),
        max_length=24,
        choices=ContractStatus.choices,
        default=ContractStatus.PENDING_INSTALLATION,
    )
    address = models.CharField(_("Dirección del servicio"), max_length=255)
    city = models.ForeignKey(
        "catalog.City", verbose_name=_("Ciudad"), on_delete=models.PROTECT, null=True, blank=True
    )
    latitude = models.DecimalField(
        _("Latitud"),
        max_digits=9,
        decimal_places=6,
        null=True,
        blank=True,
        validators=LATITUDE_VALIDATORS,
    )
    longitude = models.DecimalField(
        _("Longitud"),
        max_digits=9,
        decimal_places=6,
        null=True,
        blank=True,
        validators=LONGITUDE_VALIDATORS,
    )
    zone = models.ForeignKey(
        "catalog.Zone",
        verbose_name=_("Zona / nodo"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
    )
    router = models.ForeignKey(
        "network.Router",
        verbose_name=_("Router / servidor"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="contracts",
    )
    plan = models.ForeignKey(
        Plan, verbose_name=_("Tarifa"), on_delete=models.PROTECT, related_name="contracts"
    )
    start_date = models.DateField(_("Fecha de alta"))
    end_date = models.DateField(_("Fecha de baja"), null=True, blank=True)
    payment_method = models.ForeignKey(
        "catalog.PaymentMethod",
        verbose_name=_("Forma de pago"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
    )
    notes = models.TextField(_("Observaciones"), blank=True, max_length=4000)
    status_changed_at = models.DateTimeField(_("Último cambio de estado"), null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        verbose_name = _("Contrato")
        verbose_name_plural = _("Contratos")
        permissions = [
            ("change_contract_status", "Puede cambiar el estado de los contratos"),
            ("install_contract", "Puede marcar contratos como instalados"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(latitude__isnull=True) | Q(latitude__gte=-90, latitude__lte=90),
                name="contract_latitude_range",
            ),
            models.CheckConstraint(
                condition=Q(longitude__isnull=True) | Q(longitude__gte=-180, longitude__lte=180),
                name="contract_longitude_range",
            ),
            models.CheckConstraint(
                condition=Q(end_date__isnull=True) | Q(end_date__gte=models.F("start_date")),
                name="contract_end_after_start",
            ),
        ]
        indexes = [
            models.Index(fields=["client", "status"], name="contract_client_status_idx"),
            models.Index(fields=["status", "id"], name="contract_status_idx"),
            models.Index(fields=["zone", "id"], name="contract_zone_idx"),
            models.Index(fields=["plan", "id"], name="contract_plan_idx"),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} · {self.address}"

    @property
    def map_url(self) -> str:
        if self.latitude is None or self.longitude is None:
            return ""
        six = Decimal("0.000001")
        lat, lon = Decimal(self.latitude).quantize(six), Decimal(self.longitude).quantize(six)
        return f"https://www.openstreetmap.org/?mlat={lat}&mlon={lon}#map=18/{lat}/{lon}"

    def allowed_transitions(self) -> tuple[str, ...]:
        return CONTRACT_TRANSITIONS.get(self.status, ())


class ContractStatusChange(models.Model):
    """Append-only log of a contract's status moves (billing prorates suspensions on it)."""

    contract = models.ForeignKey(Contract, on_delete=models.PROTECT, related_name="status_changes")
    from_status = models.CharField(
        _("Estado anterior"), max_length=24, choices=ContractStatus.choices, blank=True
    )
    to_status = models.CharField(_("Estado nuevo"), max_length=24, choices=ContractStatus.choices)
    effective_date = models.DateField(_("Fecha efectiva"))
    changed_at = models.DateTimeField(_("Registrado el"), auto_now_add=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("Usuario"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
    )
    reason = models.CharField(_("Motivo"), max_length=255, blank=True)

    class Meta:
        ordering = ["contract_id", "effective_date", "id"]
        verbose_name = _("Cambio de estado del contrato")
        verbose_name_plural = _("Cambios de estado de contratos")
        indexes = [
            models.Index(fields=["contract", "effective_date"], name="contract_statuschg_idx")
        ]

    def __str__(self) -> str:
        return f"{self.from_status} -> {self.to_status} ({self.effective_date})"


class PlanAssignment(TimeStampedModel):
    """Asignación de tarifa: a plan on a contract over [start_date, end_date)."""

    contract = models.ForeignKey(
        Contract,
        verbose_name=_("Contrato"),
        on_delete=models.PROTECT,
        related_name="plan_assignments",
    )
    plan = models.ForeignKey(
        Plan, verbose_name=_("Tarifa"), on_delete=models.PROTECT, related_name="assignments"
    )
    price = models.DecimalField(_("Precio"), validators=NON_NEGATIVE, **MONEY)
    start_date = models.DateField(_("Fecha de inicio"))
    # Exclusive: the first day NOT covered (the next assignment's start_date).
    end_date = models.DateField(_("Fecha de fin"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("Usuario"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
    )

    class Meta:
        ordering = ["contract_id", "-start_date", "-id"]
        verbose_name = _("Asignación de tarifa")
        verbose_name_plural = _("Asignaciones de tarifas")
        constraints = [
            models.UniqueConstraint(
                fields=["contract"],
                condition=Q(end_date__isnull=True),
                name="one_open_plan_assignment",
            ),
            models.CheckConstraint(
                condition=Q(end_date__isnull=True) | Q(end_date__gte=models.F("start_date")),
                name="planassignment_end_after_start",
            ),
            models.CheckConstraint(condition=Q(price__gte=0), name="planassignment_price_gte0"),
        ]
        indexes = [
            models.Index(fields=["contract", "start_date"], name="planassign_contract_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.plan} desde {self.start_date}"

    @property
    def is_open(self) -> bool:
        return self.end_date is None


class EquipmentStatus(models.TextChoices):
    INSTALLED = "installed", _("Instalado")
    RETIRED = "retired", _("Retirado")
    REPAIR = "repair", _("En reparación")


class Equipment(TimeStampedModel):
    """Equipamiento ("artículos"): a device installed for a client or one of its contracts."""

    Status = EquipmentStatus

    client = models.ForeignKey(
        "clients.Client",
        verbose_name=_("Cliente"),
        on_delete=models.PROTECT,
        related_name="equipment",
    )
    contract = models.ForeignKey(
        Contract,
        verbose_name=_("Contrato"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="equipment",
    )
    product = models.ForeignKey(
        "catalog.Product",
        verbose_name=_("Producto"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
    )
    description = models.CharField(_("Descripción"), max_length=255, blank=True)
    serial_number = models.CharField(_("Número de serie"), max_length=80, blank=True)
    # Normalised "AA:BB:CC:DD:EE:FF"; "" when the device has none.
    mac_address = models.CharField(_("Dirección MAC"), max_length=17, blank=True)
    ip_address = models.GenericIPAddressField(_("Dirección IP"), null=True, blank=True)
    installed_on = models.DateField(_("Fecha de instalación"))
    technician = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("Técnico"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    status = models.CharField(
        _("Estado"),
        max_length=10,
        choices=EquipmentStatus.choices,
        default=EquipmentStatus.INSTALLED,
    )
    retired_on = models.DateField(_("Fecha de retiro"), null=True, blank=True)
    notes = models.TextField(_("Observaciones"), blank=True, max_length=2000)

    class Meta:
        ordering = ["-installed_on", "-id"]
        verbose_name = _("Equipo")
        verbose_name_plural = _("Equipamiento")
        constraints = [
            models.UniqueConstraint(
                fields=["mac_address"],
                condition=~Q(status="retired") & ~Q(mac_address=""),
                name="uniq_mac_in_service",
            )
        ]
        indexes = [models.Index(fields=["client", "status"], name="equipment_client_idx")]

    def __str__(self) -> str:
        label = self.description or (str(self.product) if self.product_id else "")
        return f"{label} {self.mac_address}".strip()


class RenewablePackage(TimeStampedModel):
    """Paquete renovable: lines of products/services billed every `renewal_months`."""

    name = models.CharField(_("Nombre"), max_length=120)
    description = models.TextField(_("Descripción"), blank=True, max_length=2000)
    renewal_months = models.PositiveSmallIntegerField(
        _("Periodo de renovación (meses)"),
        default=12,
        validators=[MinValueValidator(1), MaxValueValidator(120)],
    )
    active = models.BooleanField(_("Activo"), default=True)

    class Meta:
        ordering = ["name", "id"]
        verbose_name = _("Paquete renovable")
        verbose_name_plural = _("Paquetes renovables")
        constraints = [models.UniqueConstraint(Lower("name"), name="uniq_package_name_ci")]

    def __str__(self) -> str:
        return self.name


class PackageLineBase(models.Model):
    product = models.ForeignKey(
        "catalog.Product",
        verbose_name=_("Producto"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
    )
    description = models.CharField(_("Descripción"), max_length=255, blank=True)
    quantity = models.DecimalField(
        _("Cantidad"),
        max_digits=10,
        decimal_places=3,
        default=Decimal("1"),
        validators=[MinValueValidator(Decimal("0.001"), message=_("La cantidad debe ser > 0."))],
    )
    unit_price = models.DecimalField(_("Precio unitario"), validators=NON_NEGATIVE, **MONEY)
    tax = models.ForeignKey(
        "catalog.Tax", verbose_name=_("Impuesto"), on_delete=models.PROTECT, null=True, blank=True
    )
    position = models.PositiveSmallIntegerField(_("Orden"), default=0)

    class Meta:
        abstract = True
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.label

    @property
    def label(self) -> str:
        return self.description or (self.product.name if self.product_id else "")

    @property
    def total(self) -> Decimal:
        return round_money(self.quantity * self.unit_price)


class RenewablePackageLine(PackageLineBase):
    package = models.ForeignKey(RenewablePackage, on_delete=models.CASCADE, related_name="lines")

    class Meta(PackageLineBase.Meta):
        verbose_name = _("Línea de paquete")
        verbose_name_plural = _("Líneas de paquete")


class PackageAssignment(TimeStampedModel):
    """A renewable package assigned to a client, with its own copy of lines and values."""

    class Status(models.TextChoices):
        ACTIVE = "active", _("Activo")
        REMOVED = "removed", _("Eliminado")

    client = models.ForeignKey(
        "clients.Client",
        verbose_name=_("Cliente"),
        on_delete=models.PROTECT,
        related_name="package_assignments",
    )
    contract = models.ForeignKey(
        Contract,
        verbose_name=_("Contrato"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="package_assignments",
    )
    package = models.ForeignKey(
        RenewablePackage,
        verbose_name=_("Paquete"),
        on_delete=models.PROTECT,
        related_name="assignments",
    )
    start_date = models.DateField(_("Fecha de inicio"))
    renewal_months = models.PositiveSmallIntegerField(
        _("Periodo de renovación (meses)"),
        validators=[MinValueValidator(1), MaxValueValidator(120)],
    )
    next_renewal_date = models.DateField(_("Próxima renovación"))
    status = models.CharField(
        _("Estado"), max_length=10, choices=Status.choices, default=Status.ACTIVE
    )
    removed_on = models.DateField(_("Eliminado el"), null=True, blank=True)
    notes = models.TextField(_("Observaciones"), blank=True, max_length=2000)

    class Meta:
        ordering = ["-start_date", "-id"]
        verbose_name = _("Renovación")
        verbose_name_plural = _("Renovaciones")
        indexes = [
            models.Index(fields=["client", "status"], name="pkgassign_client_idx"),
            models.Index(fields=["status", "next_renewal_date"], name="pkgassign_due_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.package} ({self.client})"


class PackageAssignmentLine(PackageLineBase):
    assignment = models.ForeignKey(
        PackageAssignment, on_delete=models.CASCADE, related_name="lines"
    )

    class Meta(PackageLineBase.Meta):
        verbose_name = _("Línea de renovación")
        verbose_name_plural = _("Líneas de renovación")


class SignedDocument(TimeStampedModel):
    """A signed contract file (PDF or image) of a client or one of its contracts."""

    client = models.ForeignKey(
        "clients.Client",
        verbose_name=_("Cliente"),
        on_delete=models.PROTECT,
        related_name="signed_documents",
    )
    contract = models.ForeignKey(
        Contract,
        verbose_name=_("Contrato"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="signed_documents",
    )
    title = models.CharField(_("Descripción"), max_length=200, blank=True)
    # A generated storage name (never the uploader's file name).
    file = models.FileField(_("Archivo"), max_length=255)
    original_name = models.CharField(_("Nombre original"), max_length=255)
    content_type = models.CharField(_("Tipo de contenido"), max_length=60)
    size = models.PositiveIntegerField(_("Tamaño (bytes)"))
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("Subido por"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("Contrato firmado")
        verbose_name_plural = _("Contratos firmados")
        indexes = [models.Index(fields=["client", "-created_at"], name="signeddoc_client_idx")]

    def __str__(self) -> str:
        return self.title or self.original_name
