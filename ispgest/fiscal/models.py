"""The fiscal layer's tables. Today they hold VERI*FACTU (Spain); see docs/fiscal.md.

- `Issuer`: one per issuer NIF ("obligado a expedir"): its submission settings (agency
  environment, the PKCS#12 certificate, encrypted) and its submission queue's state.
- `Chain`: the head of the issuer's chain of invoice records. Issuing locks this row in the
  transaction that numbers the documents (after the number sequences), so records chain
  strictly in issue order, gapless, with no fork whatever the number of billing workers.
- `Record`: one "registro de facturación" (alta or anulación). Its fiscal content never
  changes after it is generated (model, queryset and a PostgreSQL trigger refuse); only its
  transmission fields move as the agency answers.
- `Submission`: one "remisión" of up to 1,000 records and the agency's answer.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from ispgest.core.models import ImmutableRowError, TimeStampedModel

MONEY = {"max_digits": 14, "decimal_places": 2}


class Environment(models.TextChoices):
    TEST = "test", _("Pruebas (preproducción de la AEAT)")
    PRODUCTION = "production", _("Producción")


class Issuer(TimeStampedModel):
    nif = models.CharField(_("NIF"), max_length=9, unique=True)
    name = models.CharField(_("Nombre o razón social"), max_length=120)
    environment = models.CharField(
        _("Entorno de la AEAT"),
        max_length=12,
        choices=Environment.choices,
        default=Environment.TEST,
    )
    credit_note_type = models.CharField(
        _("Tipo de rectificativa de las notas de crédito"),
        max_length=2,
        choices=[
            ("R1", _("R1 · Error fundado en derecho y art. 80 Uno, Dos y Seis LIVA")),
            ("R4", _("R4 · Resto de causas")),
        ],
        default="R1",
        help_text=_("Las notas de crédito de facturas simplificadas son siempre R5."),
    )
    # The PKCS#12 file (base64) and its password, each encrypted (core.secrets, Fernet).
    certificate = models.TextField(blank=True, editable=False)
    certificate_password = models.TextField(blank=True, editable=False)
    certificate_subject = models.CharField(_("Titular del certificado"), max_length=255, blank=True)
    certificate_nif = models.CharField(_("NIF del certificado"), max_length=20, blank=True)
    certificate_not_after = models.DateTimeField(_("Certificado válido hasta"), null=True)
    certificate_fingerprint = models.CharField(_("Huella SHA-256"), max_length=95, blank=True)
    certificate_uploaded_at = models.DateTimeField(_("Certificado subido el"), null=True)
    # Queue state.
    next_send_at = models.DateTimeField(_("Próximo envío a partir de"), null=True, blank=True)
    wait_seconds = models.PositiveIntegerField(_("Tiempo de espera (s)"), default=60)
    claimed_until = models.DateTimeField(null=True, blank=True, editable=False)
    failing_since = models.DateTimeField(_("Con incidencia desde"), null=True, blank=True)
    failures = models.PositiveIntegerField(_("Intentos fallidos seguidos"), default=0)
    last_error = models.TextField(_("Último error"), blank=True)
    last_sent_at = models.DateTimeField(_("Último envío"), null=True, blank=True)
    # Chain position of the first production record (set when the issuer goes live).
    production_from = models.PositiveBigIntegerField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["name", "nif"]
        verbose_name = _("Emisor VERI*FACTU")
        verbose_name_plural = _("Emisores VERI*FACTU")
        permissions = [
            ("manage_certificate", "Puede subir el certificado de la AEAT"),
            ("submit_records", "Puede enviar registros a la AEAT"),
            ("cancel_record", "Puede anular registros de facturación"),
            ("correct_record", "Puede subsanar registros rechazados"),
            ("export_records", "Puede exportar los registros de facturación"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.nif})"

    @property
    def has_certificate(self) -> bool:
        return bool(self.certificate)


class Chain(models.Model):
    """The head of one issuer's chain: locked (select_for_update) by every record writer."""

    issuer = models.OneToOneField(
        Issuer, on_delete=models.PROTECT, primary_key=True, related_name="chain"
    )
    length = models.PositiveBigIntegerField(default=0)
    last_num_serie = models.CharField(max_length=60, blank=True)
    last_issue_date = models.DateField(null=True, blank=True)
    last_huella = models.CharField(max_length=64, blank=True)
    last_generated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("Cadena de registros")
        verbose_name_plural = _("Cadenas de registros")

    def __str__(self) -> str:
        return f"{self.issuer_id}: {self.length}"


class SoftwareRelease(models.Model):
    """The invoicing system's identification (SistemaInformatico) as records carried it."""

    producer_name = models.CharField(max_length=120)
    producer_nif = models.CharField(max_length=9)
    system_name = models.CharField(max_length=30)
    system_id = models.CharField(max_length=2)
    version = models.CharField(max_length=50)
    installation = models.CharField(max_length=100)
    only_verifactu = models.CharField(max_length=1, default="S")
    multi_ot = models.CharField(max_length=1, default="S")
    multiple_ot = models.CharField(max_length=1, default="N")

    class Meta:
        verbose_name = _("Sistema informático de facturación")
        verbose_name_plural = _("Sistemas informáticos de facturación")
        constraints = [
            models.UniqueConstraint(
                fields=[
                    "producer_name",
                    "producer_nif",
                    "system_name",
                    "system_id",
                    "version",
                    "installation",
                    "only_verifactu",
                    "multi_ot",
                    "multiple_ot",
                ],
                name="uniq_software_release",
            )
        ]

    def __str__(self) -> str:
        return f"{self.system_name} {self.version} ({self.installation})"


class RecordKind(models.TextChoices):
    ALTA = "alta", _("Alta")
    ANULACION = "anulacion", _("Anulación")


class RecordStatus(models.TextChoices):
    PENDING = "pending", _("Pendiente de envío")
    ACCEPTED = "accepted", _("Aceptado")
    ACCEPTED_WITH_ERRORS = "accepted_with_errors", _("Aceptado con errores")
    REJECTED = "rejected", _("Rechazado")


class RecordQuerySet(models.QuerySet):
    def update(self, **kwargs):
        fixed = sorted(set(kwargs) - Record.TRANSMISSION_FIELDS)
        if fixed:
            raise ImmutableRowError(Record.edit_refusal + f" ({', '.join(fixed)})")
        return super().update(**kwargs)

    def delete(self):
        raise ImmutableRowError(Record.delete_refusal)


class Record(models.Model):
    """A registro de facturación: what the agency receives, as it was generated.

    Every value that goes into the XML is stored as the XML carries it, so the record's XML,
    its huella and its QR are pure functions of this row (`verifactu.xml`, `verifactu.huella`).
    """

    edit_refusal = "Un registro de facturación generado no se modifica: se anula o se subsana."
    delete_refusal = "Un registro de facturación no se borra."
    # The only columns that change after insert: the agency's answer.
    TRANSMISSION_FIELDS = frozenset(
        {"status", "error_code", "error_text", "submission", "submission_id", "sent_at"}
    )

    Kind = RecordKind
    Status = RecordStatus

    issuer = models.ForeignKey(Issuer, on_delete=models.PROTECT, related_name="records")
    position = models.PositiveBigIntegerField(_("Posición en la cadena"))
    kind = models.CharField(_("Tipo de registro"), max_length=10, choices=RecordKind.choices)
    billing_entity = models.ForeignKey(
        "catalog.BillingEntity",
        verbose_name=_("Razón social"),
        on_delete=models.PROTECT,
        related_name="fiscal_records",
        db_index=False,
    )
    invoice = models.ForeignKey(
        "billing.Invoice",
        verbose_name=_("Documento"),
        on_delete=models.PROTECT,
        related_name="fiscal_records",
    )
    environment = models.CharField(max_length=12, choices=Environment.choices)
    issuer_nif = models.CharField(_("NIF del emisor"), max_length=9)
    issuer_name = models.CharField(_("Emisor"), max_length=120)
    num_serie = models.CharField(_("Serie y número"), max_length=60)
    issue_date = models.DateField(_("Fecha de expedición"))
    invoice_type = models.CharField(_("Tipo de factura"), max_length=2, blank=True)
    rectification_type = models.CharField(_("Tipo de rectificativa"), max_length=1, blank=True)
    # [[nif, num_serie, "dd-mm-yyyy"], ...] of the invoices a rectificativa corrects.
    rectified = models.JSONField(default=list, blank=True)
    # {"base": "...", "cuota": "..."} for a rectificativa by substitution.
    rectified_amounts = models.JSONField(null=True, blank=True)
    description = models.CharField(_("Descripción de la operación"), max_length=500, blank=True)
    recipient_name = models.CharField(_("Destinatario"), max_length=120, blank=True)
    recipient_nif = models.CharField(_("NIF del destinatario"), max_length=9, blank=True)
    recipient_country = models.CharField(max_length=2, blank=True)
    recipient_id_type = models.CharField(max_length=2, blank=True)
    recipient_id = models.CharField(max_length=20, blank=True)
    # [{"impuesto", "clave_regimen", "calificacion" | "exenta", "tipo", "base", "cuota"}]
    breakdown = models.JSONField(default=list, blank=True)
    tax_total = models.DecimalField(_("Cuota total"), null=True, blank=True, **MONEY)
    total = models.DecimalField(_("Importe total"), null=True, blank=True, **MONEY)
    previous_num_serie = models.CharField(max_length=60, blank=True)
    previous_issue_date = models.DateField(null=True, blank=True)
    previous_huella = models.CharField(_("Huella anterior"), max_length=64, blank=True)
    software = models.ForeignKey(SoftwareRelease, on_delete=models.PROTECT, related_name="+")
    generated_at = models.DateTimeField(_("Generado el"))
    generated_at_text = models.CharField(max_length=32)
    huella = models.CharField(_("Huella"), max_length=64)
    subsanacion = models.BooleanField(_("Subsanación"), default=False)
    rechazo_previo = models.CharField(max_length=1, blank=True)
    sin_registro_previo = models.BooleanField(default=False)
    corrects = models.ForeignKey(
        "self",
        verbose_name=_("Corrige al registro"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="corrections",
    )
    reason = models.CharField(_("Motivo"), max_length=500, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("Usuario"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
    )
    # Transmission.
    status = models.CharField(
        _("Estado"), max_length=24, choices=RecordStatus.choices, default=RecordStatus.PENDING
    )
    error_code = models.IntegerField(_("Código de error"), null=True, blank=True)
    error_text = models.TextField(_("Descripción del error"), blank=True)
    submission = models.ForeignKey(
        "Submission",
        verbose_name=_("Envío"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="records",
    )
    sent_at = models.DateTimeField(_("Enviado el"), null=True, blank=True)

    objects = RecordQuerySet.as_manager()

    class Meta:
        ordering = ["issuer_id", "position"]
        verbose_name = _("Registro de facturación")
        verbose_name_plural = _("Registros de facturación")
        constraints = [
            models.UniqueConstraint(fields=["issuer", "position"], name="uniq_record_position"),
            models.CheckConstraint(condition=Q(position__gte=1), name="record_position_gte1"),
        ]
        indexes = [
            models.Index(fields=["issuer", "status", "position"], name="record_queue_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.num_serie} ({self.issuer_nif} #{self.position})"

    def save(self, *args, **kwargs):
        if self.pk and not kwargs.get("force_insert"):
            fields = set(kwargs.get("update_fields") or ())
            if not fields or not fields <= self.TRANSMISSION_FIELDS:
                raise ImmutableRowError(self.edit_refusal)
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ImmutableRowError(self.delete_refusal)

    @property
    def is_first(self) -> bool:
        return not self.previous_huella


class Submission(models.Model):
    class Status(models.TextChoices):
        SENDING = "sending", _("Enviando")
        CORRECT = "correct", _("Correcto")
        PARTIAL = "partial", _("Parcialmente correcto")
        REJECTED = "rejected", _("Incorrecto")
        FAILED = "failed", _("Fallido (sin respuesta)")

    issuer = models.ForeignKey(Issuer, on_delete=models.PROTECT, related_name="submissions")
    started_at = models.DateTimeField(_("Iniciado el"), auto_now_add=True)
    finished_at = models.DateTimeField(_("Terminado el"), null=True, blank=True)
    status = models.CharField(
        _("Estado"), max_length=10, choices=Status.choices, default=Status.SENDING
    )
    environment = models.CharField(max_length=12, choices=Environment.choices)
    incident = models.BooleanField(_("Con incidencia"), default=False)
    count = models.PositiveIntegerField(_("Registros"), default=0)
    accepted = models.PositiveIntegerField(_("Aceptados"), default=0)
    accepted_with_errors = models.PositiveIntegerField(_("Aceptados con errores"), default=0)
    rejected = models.PositiveIntegerField(_("Rechazados"), default=0)
    first_position = models.PositiveBigIntegerField(null=True, blank=True)
    last_position = models.PositiveBigIntegerField(null=True, blank=True)
    csv = models.CharField(_("CSV"), max_length=64, blank=True)
    wait_seconds = models.PositiveIntegerField(_("Tiempo de espera indicado (s)"), null=True)
    error = models.TextField(_("Error"), blank=True)
    response_xml = models.TextField(blank=True)

    class Meta:
        ordering = ["-started_at", "-id"]
        verbose_name = _("Envío a la AEAT")
        verbose_name_plural = _("Envíos a la AEAT")
        indexes = [models.Index(fields=["issuer", "-started_at"], name="submission_issuer_idx")]

    def __str__(self) -> str:
        return f"Envío #{self.pk} ({self.count} registros)"
