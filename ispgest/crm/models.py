"""CRM: the companies of a client ("Sociedades"), prospects, opportunities with their stage
catalog and transition map, and the activities ("Historial de actuaciones").

Writes go through crm/services.py, which validates, audits and writes the client's history
(or the prospect's, carried over to the client on conversion) in the same transaction.
"""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ispgest.core.models import TimeStampedModel

MONEY = {"max_digits": 14, "decimal_places": 2}


# --- Sociedades ------------------------------------------------------------------------------


class FilingPeriod(models.TextChoices):
    MONTHLY = "monthly", _("Mensual")
    QUARTERLY = "quarterly", _("Trimestral")


class Company(TimeStampedModel):
    """A company that belongs to a client, in the seed's four sections (each saved apart)."""

    client = models.ForeignKey(
        "clients.Client",
        verbose_name=_("Cliente"),
        on_delete=models.PROTECT,
        related_name="companies",
    )
    active = models.BooleanField(_("Activa"), default=True)

    # Información general
    name = models.CharField(_("Razón social"), max_length=255)
    trade_name = models.CharField(_("Nombre comercial"), max_length=255, blank=True)
    tax_id_kind = models.CharField(_("Tipo de número tributario"), max_length=10, blank=True)
    tax_id = models.CharField(_("Número tributario"), max_length=20, blank=True)
    legal_form = models.CharField(_("Forma jurídica"), max_length=80, blank=True)
    incorporation_date = models.DateField(_("Fecha de constitución"), null=True, blank=True)
    address = models.CharField(_("Domicilio social"), max_length=255, blank=True)
    postal_code = models.CharField(_("Código postal"), max_length=12, blank=True)
    locality = models.CharField(_("Localidad"), max_length=120, blank=True)
    activity_code = models.CharField(_("Código de actividad"), max_length=12, blank=True)
    activity_description = models.CharField(_("Actividad"), max_length=255, blank=True)
    phone = models.CharField(_("Teléfono"), max_length=40, blank=True)
    email = models.EmailField(_("E-mail"), blank=True)
    website = models.URLField(_("Web"), max_length=255, blank=True)

    # Mercantil: datos registrales
    registry_office = models.CharField(_("Registro mercantil"), max_length=120, blank=True)
    registry_volume = models.CharField(_("Tomo"), max_length=20, blank=True)
    registry_book = models.CharField(_("Libro"), max_length=20, blank=True)
    registry_folio = models.CharField(_("Folio"), max_length=20, blank=True)
    registry_sheet = models.CharField(_("Hoja"), max_length=30, blank=True)
    registry_entry = models.CharField(_("Inscripción"), max_length=20, blank=True)
    registry_date = models.DateField(_("Fecha de inscripción"), null=True, blank=True)

    # Fiscal
    vat_regime = models.CharField(_("Régimen de IVA"), max_length=80, blank=True)
    filing_period = models.CharField(
        _("Periodicidad de declaraciones"),
        max_length=10,
        choices=FilingPeriod.choices,
        blank=True,
    )
    corporate_tax_regime = models.CharField(
        _("Impuesto sobre sociedades"), max_length=80, blank=True
    )
    vat_records_required = models.BooleanField(_("Obligado al SII"), default=False)
    e_invoicing_required = models.BooleanField(_("Obligado a factura electrónica"), default=False)
    fiscal_notes = models.TextField(_("Observaciones fiscales"), blank=True, max_length=2000)

    # Financiera
    share_capital = models.DecimalField(
        _("Capital social"), null=True, blank=True, validators=[MinValueValidator(0)], **MONEY
    )
    employees = models.PositiveIntegerField(_("Empleados"), null=True, blank=True)
    credit_limit = models.DecimalField(
        _("Límite de crédito"), null=True, blank=True, validators=[MinValueValidator(0)], **MONEY
    )
    payment_terms_days = models.PositiveSmallIntegerField(
        _("Plazo de pago (días)"), null=True, blank=True, validators=[MaxValueValidator(365)]
    )
    payment_terms = models.CharField(_("Condiciones de pago"), max_length=255, blank=True)

    class Meta:
        ordering = ["name", "id"]
        verbose_name = _("Sociedad")
        verbose_name_plural = _("Sociedades")
        indexes = [models.Index(fields=["client", "active"], name="company_client_idx")]
        constraints = [
            models.UniqueConstraint(
                fields=["client", "tax_id"],
                condition=~Q(tax_id=""),
                name="uniq_company_tax_id_per_client",
            )
        ]

    def __str__(self) -> str:
        return self.name


class PowerKind(models.TextChoices):
    GENERAL = "general", _("Poder general")
    SPECIAL = "special", _("Poder especial")
    JOINT = "joint", _("Mancomunado")
    SEVERAL = "several", _("Solidario")
    ADMINISTRATOR = "administrator", _("Administrador único")
    OTHER = "other", _("Otro")


class Attorney(TimeStampedModel):
    """Apoderado: a person with powers to act for the company."""

    company = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="attorneys")
    name = models.CharField(_("Nombre"), max_length=160)
    document_number = models.CharField(_("Documento"), max_length=30, blank=True)
    power_kind = models.CharField(
        _("Tipo de poder"), max_length=20, choices=PowerKind.choices, default=PowerKind.GENERAL
    )
    notary = models.CharField(_("Notario"), max_length=160, blank=True)
    protocol_number = models.CharField(_("Número de protocolo"), max_length=30, blank=True)
    granted_on = models.DateField(_("Fecha de otorgamiento"), null=True, blank=True)
    expires_on = models.DateField(_("Fecha de vencimiento"), null=True, blank=True)
    active = models.BooleanField(_("Vigente"), default=True)

    class Meta:
        ordering = ["name", "id"]
        verbose_name = _("Apoderado")
        verbose_name_plural = _("Apoderados")
        constraints = [
            models.CheckConstraint(
                condition=Q(expires_on__isnull=True)
                | Q(granted_on__isnull=True)
                | Q(expires_on__gte=models.F("granted_on")),
                name="attorney_expiry_after_grant",
            )
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_expired(self) -> bool:
        return self.expires_on is not None and self.expires_on < timezone.localdate()


class Shareholder(TimeStampedModel):
    """Socio: a person or a company (optionally one of the ISP's clients) with a share."""

    company = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="shareholders")
    linked_client = models.ForeignKey(
        "clients.Client",
        verbose_name=_("Cliente vinculado"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="shareholdings",
    )
    name = models.CharField(_("Nombre"), max_length=160)
    tax_id = models.CharField(_("Número tributario"), max_length=20, blank=True)
    percentage = models.DecimalField(
        _("Porcentaje"),
        max_digits=5,
        decimal_places=2,
        validators=[MinValueValidator(0), MaxValueValidator(100)],
    )
    shares = models.PositiveBigIntegerField(_("Número de participaciones"), null=True, blank=True)
    active = models.BooleanField(_("Activo"), default=True)

    class Meta:
        ordering = ["-percentage", "name", "id"]
        verbose_name = _("Socio")
        verbose_name_plural = _("Socios")
        constraints = [
            models.CheckConstraint(
                condition=Q(percentage__gte=0) & Q(percentage__lte=100),
                name="shareholder_percentage_range",
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.percentage} %)"


class Withholding(TimeStampedModel):
    """Retención the company applies or bears: kind and rate."""

    company = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="withholdings")
    kind = models.CharField(_("Tipo de retención"), max_length=80)
    rate = models.DecimalField(
        _("Porcentaje"),
        max_digits=5,
        decimal_places=2,
        validators=[MinValueValidator(0), MaxValueValidator(100)],
    )
    active = models.BooleanField(_("Activa"), default=True)

    class Meta:
        ordering = ["kind", "id"]
        verbose_name = _("Retención")
        verbose_name_plural = _("Retenciones")

    def __str__(self) -> str:
        return f"{self.kind} {self.rate} %"


class AnnualTurnover(TimeStampedModel):
    """Facturación anual de la sociedad: one row per year."""

    company = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="turnovers")
    year = models.PositiveSmallIntegerField(
        _("Año"), validators=[MinValueValidator(1900), MaxValueValidator(2100)]
    )
    amount = models.DecimalField(_("Facturación anual"), validators=[MinValueValidator(0)], **MONEY)

    class Meta:
        ordering = ["-year"]
        verbose_name = _("Facturación anual")
        verbose_name_plural = _("Facturación anual")
        constraints = [
            models.UniqueConstraint(fields=["company", "year"], name="uniq_turnover_year")
        ]

    def __str__(self) -> str:
        return f"{self.year}: {self.amount}"


class CompanyBankAccount(TimeStampedModel):
    company = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="bank_accounts")
    holder = models.CharField(_("Titular"), max_length=140, blank=True)
    iban = models.CharField(_("IBAN"), max_length=34)
    bic = models.CharField(_("BIC"), max_length=11, blank=True)
    bank_name = models.CharField(_("Entidad bancaria"), max_length=120, blank=True)
    is_primary = models.BooleanField(_("Cuenta principal"), default=False)
    active = models.BooleanField(_("Activa"), default=True)

    class Meta:
        ordering = ["-is_primary", "id"]
        verbose_name = _("Cuenta bancaria de la sociedad")
        verbose_name_plural = _("Cuentas bancarias de la sociedad")
        constraints = [
            models.UniqueConstraint(
                fields=["company", "iban"],
                condition=Q(active=True),
                name="uniq_company_active_iban",
            )
        ]

    def __str__(self) -> str:
        return f"{self.iban[:4]}…{self.iban[-4:]}"


# --- Prospects -------------------------------------------------------------------------------


class ProspectStatus(models.TextChoices):
    OPEN = "open", _("Abierto")
    CONVERTED = "converted", _("Convertido en cliente")
    DISCARDED = "discarded", _("Descartado")


class Source(models.TextChoices):
    WEB = "web", _("Web")
    PHONE = "phone", _("Llamada entrante")
    REFERRAL = "referral", _("Recomendación")
    WALK_IN = "walk_in", _("Visita a la oficina")
    CAMPAIGN = "campaign", _("Campaña")
    DOOR_TO_DOOR = "door_to_door", _("Puerta a puerta")
    EXISTING = "existing", _("Cliente actual")
    OTHER = "other", _("Otro")


class Prospect(TimeStampedModel):
    """A possible client with minimal data: not billed, not in the network, not a Client.

    Kept apart from clients_client so the client list, billing runs and network queries
    (a million rows) never have to exclude prospects. Converting it creates the Client
    through clients.services.client_create and moves its opportunities and activities.
    """

    name = models.CharField(_("Nombre"), max_length=255)
    company_name = models.CharField(_("Empresa"), max_length=255, blank=True)
    phone = models.CharField(_("Teléfono"), max_length=40, blank=True)
    email = models.EmailField(_("E-mail"), blank=True)
    address = models.CharField(_("Dirección"), max_length=255, blank=True)
    notes = models.TextField(_("Observaciones"), blank=True, max_length=4000)
    source = models.CharField(
        _("Origen"), max_length=20, choices=Source.choices, default=Source.OTHER
    )
    seller = models.ForeignKey(
        "catalog.Seller",
        verbose_name=_("Vendedor"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="prospects",
    )
    status = models.CharField(
        _("Estado"), max_length=10, choices=ProspectStatus.choices, default=ProspectStatus.OPEN
    )
    discard_reason = models.CharField(_("Motivo del descarte"), max_length=255, blank=True)
    converted_client = models.ForeignKey(
        "clients.Client",
        verbose_name=_("Cliente"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="from_prospects",
    )
    converted_at = models.DateTimeField(_("Convertido el"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("Creado por"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("Prospecto")
        verbose_name_plural = _("Prospectos")
        indexes = [
            models.Index(fields=["status", "seller", "-created_at"], name="prospect_status_idx")
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["converted_client"],
                condition=Q(converted_client__isnull=False),
                name="uniq_prospect_converted_client",
            )
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_open(self) -> bool:
        return self.status == ProspectStatus.OPEN


class ProspectEvent(models.Model):
    """The history of a prospect, kept like a client's Historial until it becomes one; on
    conversion each row is written into the new client's Historial."""

    prospect = models.ForeignKey(Prospect, on_delete=models.PROTECT, related_name="events")
    created_at = models.DateTimeField(_("Registrado el"), auto_now_add=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("Usuario"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    action = models.CharField(_("Acción"), max_length=60)
    summary = models.TextField(_("Descripción"), max_length=4000)
    changes = models.JSONField(_("Cambios"), default=dict, blank=True)
    object_type = models.CharField(max_length=60, blank=True)
    object_id = models.CharField(max_length=40, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("Movimiento del prospecto")
        verbose_name_plural = _("Historial del prospecto")
        default_permissions = ("view",)

    def __str__(self) -> str:
        return self.summary[:80]


# --- Opportunities ---------------------------------------------------------------------------


class StageKind(models.TextChoices):
    OPEN = "open", _("Abierta")
    WON = "won", _("Ganada")
    LOST = "lost", _("Perdida")


class OpportunityStage(TimeStampedModel):
    """A column of the pipeline. `allowed_next` is the transition map: the stages an
    opportunity in this stage may move to."""

    code = models.SlugField(_("Código"), max_length=30, unique=True)
    name = models.CharField(_("Nombre"), max_length=60)
    order = models.PositiveSmallIntegerField(_("Orden"), default=0)
    kind = models.CharField(
        _("Tipo"), max_length=5, choices=StageKind.choices, default=StageKind.OPEN
    )
    default_probability = models.PositiveSmallIntegerField(
        _("Probabilidad por defecto (%)"), default=10, validators=[MaxValueValidator(100)]
    )
    is_initial = models.BooleanField(_("Etapa inicial"), default=False)
    active = models.BooleanField(_("Activa"), default=True)
    allowed_next = models.ManyToManyField(
        "self",
        verbose_name=_("Puede pasar a"),
        symmetrical=False,
        blank=True,
        related_name="allowed_from",
    )

    class Meta:
        ordering = ["order", "id"]
        verbose_name = _("Etapa de oportunidad")
        verbose_name_plural = _("Etapas de oportunidad")
        constraints = [
            models.UniqueConstraint(
                fields=["is_initial"], condition=Q(is_initial=True), name="one_initial_stage"
            )
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_closed(self) -> bool:
        return self.kind != StageKind.OPEN


class Opportunity(TimeStampedModel):
    """Oportunidad: of a client or of a prospect (exactly one), owned by a seller."""

    client = models.ForeignKey(
        "clients.Client",
        verbose_name=_("Cliente"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="opportunities",
    )
    prospect = models.ForeignKey(
        Prospect,
        verbose_name=_("Prospecto"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="opportunities",
    )
    title = models.CharField(_("Título"), max_length=160)
    description = models.TextField(_("Descripción"), blank=True, max_length=4000)
    stage = models.ForeignKey(
        OpportunityStage,
        verbose_name=_("Etapa"),
        on_delete=models.PROTECT,
        related_name="opportunities",
    )
    amount = models.DecimalField(
        _("Importe"), default=0, validators=[MinValueValidator(0)], **MONEY
    )
    probability = models.PositiveSmallIntegerField(
        _("Probabilidad (%)"), default=10, validators=[MaxValueValidator(100)]
    )
    expected_close_date = models.DateField(_("Fecha prevista de cierre"), null=True, blank=True)
    seller = models.ForeignKey(
        "catalog.Seller",
        verbose_name=_("Vendedor"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="opportunities",
    )
    source = models.CharField(
        _("Origen"), max_length=20, choices=Source.choices, default=Source.OTHER
    )
    plans = models.ManyToManyField(
        "contracts.Plan", verbose_name=_("Tarifas de interés"), blank=True, related_name="+"
    )
    lost_reason = models.CharField(_("Motivo de pérdida"), max_length=255, blank=True)
    closed_at = models.DateTimeField(_("Cerrada el"), null=True, blank=True)
    contract = models.ForeignKey(
        "contracts.Contract",
        verbose_name=_("Contrato"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("Creada por"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("Oportunidad")
        verbose_name_plural = _("Oportunidades")
        permissions = [
            (
                "view_all_pipeline",
                "Puede ver las oportunidades y prospectos de todos los vendedores",
            ),
            ("manage_pipeline_managers", "Puede nombrar jefes de ventas"),
        ]
        indexes = [
            # The board's cards: the first ones of each stage by close date, for all sellers
            # or for one.
            models.Index(fields=["stage", "expected_close_date", "id"], name="opp_stage_close_idx"),
            models.Index(
                fields=["seller", "stage", "expected_close_date", "id"],
                name="opp_seller_stage_close_idx",
            ),
            models.Index(fields=["client", "-created_at"], name="opp_client_idx"),
            models.Index(fields=["prospect", "-created_at"], name="opp_prospect_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=(Q(client__isnull=False) & Q(prospect__isnull=True))
                | (Q(client__isnull=True) & Q(prospect__isnull=False)),
                name="opportunity_client_xor_prospect",
            ),
            models.CheckConstraint(
                condition=Q(probability__lte=100), name="opportunity_probability_range"
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def party_name(self) -> str:
        party = self.client if self.client_id else self.prospect
        return str(party) if party is not None else ""


class OpportunityStageChange(models.Model):
    """Append-only log of an opportunity's stage moves."""

    opportunity = models.ForeignKey(
        Opportunity, on_delete=models.PROTECT, related_name="stage_changes"
    )
    from_stage = models.ForeignKey(
        OpportunityStage, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    to_stage = models.ForeignKey(OpportunityStage, on_delete=models.PROTECT, related_name="+")
    changed_at = models.DateTimeField(_("Fecha"), auto_now_add=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("Usuario"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    reason = models.CharField(_("Motivo"), max_length=255, blank=True)

    class Meta:
        ordering = ["-changed_at", "-id"]
        verbose_name = _("Cambio de etapa")
        verbose_name_plural = _("Cambios de etapa")
        default_permissions = ("view",)

    def __str__(self) -> str:
        return f"{self.from_stage} → {self.to_stage}"


# --- Activities ("Historial de actuaciones") ----------------------------------------------


class ActivityKind(models.TextChoices):
    CALL = "call", _("Llamada")
    VISIT = "visit", _("Visita")
    DEMO = "demo", _("Demostración")
    EMAIL = "email", _("E-mail")
    MEETING = "meeting", _("Reunión")
    OTHER = "other", _("Otro")


class Activity(TimeStampedModel):
    """Actuación: something done with a client, a prospect or about an opportunity.

    `client`/`prospect` is always set (the opportunity's party when there is one), so a
    party's activities are one indexed read and a conversion moves them with one update.
    """

    opportunity = models.ForeignKey(
        Opportunity,
        verbose_name=_("Oportunidad"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="activities",
    )
    client = models.ForeignKey(
        "clients.Client",
        verbose_name=_("Cliente"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="crm_activities",
    )
    prospect = models.ForeignKey(
        Prospect,
        verbose_name=_("Prospecto"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="activities",
    )
    kind = models.CharField(_("Tipo de actuación"), max_length=10, choices=ActivityKind.choices)
    occurred_at = models.DateTimeField(_("Fecha y hora"))
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("Usuario"),
        on_delete=models.PROTECT,
        related_name="crm_activities",
    )
    notes = models.TextField(_("Notas"), blank=True, max_length=4000)
    result = models.CharField(_("Resultado"), max_length=255, blank=True)
    next_action = models.CharField(_("Próxima acción"), max_length=255, blank=True)
    next_action_on = models.DateField(_("Fecha de la próxima acción"), null=True, blank=True)
    next_action_done_at = models.DateTimeField(_("Próxima acción hecha el"), null=True, blank=True)

    class Meta:
        ordering = ["-occurred_at", "-id"]
        verbose_name = _("Actuación")
        verbose_name_plural = _("Actuaciones")
        indexes = [
            models.Index(fields=["opportunity", "-occurred_at"], name="activity_opp_idx"),
            models.Index(fields=["client", "-occurred_at"], name="activity_client_idx"),
            models.Index(fields=["prospect", "-occurred_at"], name="activity_prospect_idx"),
            models.Index(
                fields=["user", "next_action_on"],
                condition=Q(next_action_on__isnull=False, next_action_done_at__isnull=True),
                name="activity_due_idx",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(client__isnull=False) | Q(prospect__isnull=False),
                name="activity_has_party",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.occurred_at:%Y-%m-%d}"

    @property
    def is_pending(self) -> bool:
        return self.next_action_on is not None and self.next_action_done_at is None


class ActivityDigest(models.Model):
    """One row per staff user and day the morning digest went out: reruns send nothing."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    sent_at = models.DateTimeField(auto_now_add=True)
    email_id = models.BigIntegerField(null=True, blank=True)

    class Meta:
        default_permissions = ()
        constraints = [
            models.UniqueConstraint(fields=["user", "day"], name="uniq_activity_digest_day")
        ]

    def __str__(self) -> str:
        return f"{self.user_id} {self.day}"
