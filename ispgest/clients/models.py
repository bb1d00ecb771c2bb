"""The client record and what hangs off it.

A client is never deleted: `Client.delete()`, the queryset's `delete()` and a database
trigger (migration 0002) all refuse. Writes go through services.py, which also writes the
client's history (ClientEvent) in the same transaction.
"""

from __future__ import annotations

import re

from django.conf import settings
from django.core.validators import MaxLengthValidator
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _

from ispgest.core.models import TimeStampedModel
from ispgest.core.text import fold

NOTES_MAX_LENGTH = 10_000


_ID_WORD = re.compile(r"[0-9a-z]+(?:[-./][0-9a-z]+)+")
_NOT_ID_CHAR = re.compile(r"[^0-9a-z]")


def compact_id(folded: str) -> str:
    """An identifier without its punctuation: "20-12345678-6" -> "20123456786"."""
    return _NOT_ID_CHAR.sub("", folded)


def looks_like_id(folded: str) -> bool:
    """A folded query word written as documents, tax ids and phones are (digits and letters
    with "-", "." or "/" between them, at least three digits): it is searched without the
    punctuation."""
    return bool(_ID_WORD.fullmatch(folded)) and sum(ch.isdigit() for ch in folded) >= 3


def search_words(folded: str) -> list[str]:
    """The forms of a folded text that quick search matches: the text itself and, where it
    has an "ñ", the same with "n", so a clerk typing "nunez" finds "Núñez" (typing "ñ" still
    narrows to it)."""
    return [folded, folded.replace("n~", "n")] if "n~" in folded else [folded]


class ClientRowDeletionError(Exception):
    """Clients are deactivated, never deleted."""


class ClientQuerySet(models.QuerySet):
    def delete(self):
        raise ClientRowDeletionError("Los clientes no se borran: se desactivan.")

    def active(self):
        return self.filter(status=Client.Status.ACTIVE)


class PersonType(models.TextChoices):
    OTHER = "other", _("Otro")
    NATURAL = "natural", _("Persona física")
    LEGAL = "legal", _("Persona jurídica")


class Client(TimeStampedModel):
    class Status(models.TextChoices):
        ACTIVE = "active", _("Activo")
        INACTIVE = "inactive", _("Inactivo")

    # Básico
    custom_id = models.CharField(
        _("ID Cliente Personalizable"), max_length=40, null=True, blank=True
    )
    person_type = models.CharField(
        _("Tipo de persona"), max_length=10, choices=PersonType.choices, default=PersonType.OTHER
    )
    name = models.CharField(_("Nombre"), max_length=255)
    first_name = models.CharField(_("Primer nombre"), max_length=80, blank=True)
    middle_name = models.CharField(_("Segundo nombre"), max_length=80, blank=True)
    first_surname = models.CharField(_("Primer apellido"), max_length=80, blank=True)
    second_surname = models.CharField(_("Segundo apellido"), max_length=80, blank=True)
    legal_name = models.CharField(_("Razón social"), max_length=255, blank=True)
    trade_name = models.CharField(_("Nombre de fantasía"), max_length=255, blank=True)
    document_number = models.CharField(
        _("Documento o cédula de identidad"), max_length=30, blank=True
    )
    status = models.CharField(
        _("Estado"), max_length=10, choices=Status.choices, default=Status.ACTIVE
    )
    deactivated_at = models.DateTimeField(_("Desactivado el"), null=True, blank=True)

    # Portal de clientes / e-mails
    email = models.EmailField(_("E-mail de contacto"), max_length=254, null=True, blank=True)
    notify_emails = models.TextField(_("Emails a notificar"), blank=True)
    send_invoice_emails = models.BooleanField(_("Enviar facturas emitidas"), default=True)
    send_payment_emails = models.BooleanField(_("Enviar pagos realizados"), default=True)
    send_reminder_emails = models.BooleanField(
        _("Enviar recordatorios de vencimiento"), default=True
    )
    send_manual_emails = models.BooleanField(_("Enviar notificaciones manuales"), default=True)

    # Catalog links that are few-valued at scale (a handful of regions, entities, tax
    # conditions...) carry no index of their own: an index matching a fifth of a million rows
    # serves no query, while every index slows each write of the client row (mass update).
    # Zone, seller, collector and neighbourhood keep theirs (scoping and selective filters).

    # Contacto
    phone = models.CharField(_("Teléfono fijo"), max_length=40, blank=True)
    mobile = models.CharField(_("Teléfono celular"), max_length=40, blank=True)
    region = models.ForeignKey(
        "catalog.Region",
        verbose_name=_("Provincia/Estado/Región"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        db_index=False,
    )
    city = models.ForeignKey(
        "catalog.City",
        verbose_name=_("Ciudad"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        db_index=False,
    )
    neighbourhood = models.ForeignKey(
        "catalog.Neighbourhood",
        verbose_name=_("Barrio"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
    )
    address = models.CharField(_("Dirección"), max_length=255, blank=True)
    postal_code = models.CharField(_("Código postal"), max_length=12, blank=True)

    # Datos extra
    notes = models.TextField(
        _("Observaciones"),
        blank=True,
        max_length=NOTES_MAX_LENGTH,
        validators=[MaxLengthValidator(NOTES_MAX_LENGTH)],
    )
    seller = models.ForeignKey(
        "catalog.Seller",
        verbose_name=_("Vendedor"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
    )
    collector = models.ForeignKey(
        "catalog.Collector",
        verbose_name=_("Recaudador"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
    )
    zone = models.ForeignKey(
        "catalog.Zone", verbose_name=_("Zona"), on_delete=models.PROTECT, null=True, blank=True
    )

    # Facturación
    billing_enabled = models.BooleanField(_("Facturación"), default=False)
    billing_entity = models.ForeignKey(
        "catalog.BillingEntity",
        verbose_name=_("Razón social"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        db_index=False,
    )
    tax_condition = models.ForeignKey(
        "catalog.TaxCondition",
        verbose_name=_("Condición de IVA"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        db_index=False,
    )
    invoice_type = models.ForeignKey(
        "catalog.InvoiceType",
        verbose_name=_("Tipo de factura"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        db_index=False,
    )
    billing_tax = models.ForeignKey(
        "catalog.Tax",
        verbose_name=_("Impuesto"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        db_index=False,
    )
    billing_cycle = models.ForeignKey(
        "catalog.BillingCycle",
        verbose_name=_("Ciclo de facturación"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        db_index=False,
    )
    tax_id_kind = models.CharField(_("Tipo de número tributario"), max_length=10, blank=True)
    tax_id = models.CharField(_("Número tributario"), max_length=20, blank=True)

    # Datos financieros
    payment_method = models.ForeignKey(
        "catalog.PaymentMethod",
        verbose_name=_("Forma de pago"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        db_index=False,
    )

    # Datos operadora: free text about the ISP's own systems for this client.
    operator_external_id = models.CharField(
        _("Código en sistema externo"), max_length=80, blank=True
    )
    operator_provisioning = models.TextField(
        _("Datos de aprovisionamiento"), blank=True, max_length=4000
    )
    operator_network = models.TextField(_("Datos de red"), blank=True, max_length=4000)
    operator_notes = models.TextField(_("Notas de la operadora"), blank=True, max_length=4000)

    # Maintained by services: folded (lower-case, accent-less) text that search and sorting use.
    search_text = models.TextField(editable=False, default="")
    sort_name = models.CharField(editable=False, max_length=255, default="")

    objects = ClientQuerySet.as_manager()

    class Meta:
        ordering = ["sort_name", "id"]
        verbose_name = _("Cliente")
        verbose_name_plural = _("Clientes")
        permissions = [
            ("view_all_clients", "Puede ver todos los clientes (no solo los suyos)"),
            ("export_client", "Puede exportar clientes"),
            ("mass_update_client", "Puede actualizar clientes masivamente"),
            ("reactivate_client", "Puede reactivar clientes"),
            ("regenerate_portal_password", "Puede regenerar la contraseña del portal"),
            # Unpaid counts and amounts, plan and package prices (core.visibility).
            ("view_money", "Puede ver importes y deuda"),
        ]
        constraints = [
            models.UniqueConstraint(Lower("email"), name="uniq_client_email_ci"),
            models.UniqueConstraint(
                fields=["custom_id"],
                condition=Q(custom_id__isnull=False),
                name="uniq_client_custom_id",
            ),
        ]
        indexes = [
            models.Index(fields=["sort_name", "id"], name="client_sort_idx"),
            models.Index(fields=["status", "sort_name", "id"], name="client_status_sort_idx"),
            models.Index(fields=["document_number"], name="client_document_idx"),
            models.Index(fields=["tax_id"], name="client_tax_id_idx"),
        ]

    def __str__(self) -> str:
        return self.name

    def delete(self, *args, **kwargs):
        raise ClientRowDeletionError("Los clientes no se borran: se desactivan.")

    @property
    def is_active(self) -> bool:
        return self.status == self.Status.ACTIVE

    @property
    def notify_email_list(self) -> list[str]:
        return [e for e in self.notify_emails.split(",") if e]

    @property
    def receives_email(self) -> bool:
        return bool(self.email)

    def compose_name(self) -> str:
        """The display name from the parts the person type uses."""
        if self.person_type == PersonType.NATURAL:
            parts = [self.first_name, self.middle_name, self.first_surname, self.second_surname]
            return " ".join(p.strip() for p in parts if p and p.strip())
        if self.person_type == PersonType.LEGAL:
            return self.legal_name.strip()
        return self.name.strip()

    def refresh_search_fields(self) -> None:
        self.sort_name = fold(self.name)[:255]
        parts = [
            self.name,
            self.trade_name,
            self.email or "",
            self.document_number,
            self.tax_id,
            self.custom_id or "",
            self.phone,
            self.mobile,
        ]
        folded = [fold(p) for p in parts if p]
        words = [w for text in folded for w in search_words(text)]
        # Identifiers also without punctuation, so "20-12345678-6" finds the compact CUIT and
        # "45204561" the phone written "4520-4561" (query words are compacted the same way).
        ids = (self.document_number, self.tax_id, self.custom_id or "", self.phone, self.mobile)
        for value in ids:
            if value:
                text = fold(value)
                compact = compact_id(text)
                if compact and compact != text:
                    words.append(compact)
        self.search_text = " ".join(words)


class ClientSearch(models.Model):
    """The search copy of a client: the status and folded text that quick search reads.

    One row per client, written by database triggers whenever a client row is inserted or
    its status, sort_name or search_text change (migration 0103, both databases), so every
    writer (services, mass update, demo loaders, raw SQL) keeps it in step. The trigram GIN
    and the covering name index live here rather than on clients_client, so updates of other
    client columns (a mass update of the collector) never touch them. Read-only for Python.
    """

    client = models.OneToOneField(
        Client,
        primary_key=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="search_row",
    )
    status = models.CharField(max_length=10)
    sort_name = models.CharField(max_length=255)
    search_text = models.TextField()

    class Meta:
        verbose_name = _("Búsqueda de cliente")
        default_permissions = ()

    def __str__(self) -> str:
        return self.sort_name


class BankMandate(TimeStampedModel):
    """Direct-debit data ("Datos financieros" with a bank): IBAN, BIC and the SEPA mandate."""

    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="mandates")
    account_holder = models.CharField(_("Titular de la cuenta"), max_length=140)
    iban = models.CharField(_("IBAN"), max_length=34)
    bic = models.CharField(_("BIC"), max_length=11, blank=True)
    bank_name = models.CharField(_("Entidad bancaria"), max_length=120, blank=True)
    mandate_reference = models.CharField(_("Referencia del mandato SEPA"), max_length=35)
    signed_on = models.DateField(_("Fecha de firma del mandato"))
    active = models.BooleanField(_("Activo"), default=True)
    first_collection_done = models.BooleanField(_("Primer cobro realizado"), default=False)

    class Meta:
        verbose_name = _("Mandato bancario")
        verbose_name_plural = _("Mandatos bancarios")
        permissions = [
            # The whole IBAN, the BIC and the account holder (core.visibility).
            ("view_bank_details", "Puede ver los datos bancarios completos"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["mandate_reference"], name="uniq_mandate_reference"),
            models.UniqueConstraint(
                fields=["client"], condition=Q(active=True), name="one_active_mandate_per_client"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.mandate_reference} ({self.iban[-4:]})"


class GatewayAccount(TimeStampedModel):
    """The client's reference/code at a payment gateway."""

    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="gateway_accounts")
    gateway = models.ForeignKey(
        "catalog.PaymentGateway", verbose_name=_("Pasarela de pago"), on_delete=models.PROTECT
    )
    reference = models.CharField(_("Código en la pasarela"), max_length=80)

    class Meta:
        verbose_name = _("Cuenta en pasarela de pago")
        verbose_name_plural = _("Cuentas en pasarelas de pago")
        constraints = [
            models.UniqueConstraint(fields=["gateway", "reference"], name="uniq_gateway_reference"),
            models.UniqueConstraint(fields=["client", "gateway"], name="uniq_client_gateway"),
        ]

    def __str__(self) -> str:
        return f"{self.gateway}: {self.reference}"


class Contact(TimeStampedModel):
    """Persona de contacto."""

    class Role(models.TextChoices):
        COMMERCIAL = "commercial", _("Comercial")
        OWNER = "owner", _("Propietario")
        ADMINISTRATOR = "administrator", _("Administrador")
        TECHNICAL = "technical", _("Técnico")
        OTHER = "other", _("Otro")

    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="contacts")
    name = models.CharField(_("Nombre"), max_length=140)
    role = models.CharField(_("Cargo"), max_length=20, choices=Role.choices, default=Role.OTHER)
    phone = models.CharField(_("Teléfono"), max_length=40, blank=True)
    email = models.EmailField(_("E-mail"), blank=True)
    comment = models.TextField(_("Comentario"), blank=True, max_length=2000)
    active = models.BooleanField(_("Activo"), default=True)

    class Meta:
        ordering = ["name", "id"]
        # clients.selectors.clients_by_email looks a sender up by LOWER(email).
        indexes = [models.Index(Lower("email"), name="contact_email_ci")]
        verbose_name = _("Persona de contacto")
        verbose_name_plural = _("Personas de contacto")

    def __str__(self) -> str:
        return self.name


class ExtraFieldValue(TimeStampedModel):
    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="extra_values")
    field = models.ForeignKey("catalog.ExtraField", on_delete=models.PROTECT, related_name="values")
    value = models.TextField(blank=True, max_length=4000)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["client", "field"], name="uniq_extra_value")]


class EventKind(models.TextChoices):
    AUTO = "auto", _("Automático")
    MANUAL = "manual", _("Manual")


class ManualEntryType(models.TextChoices):
    CALL = "call", _("Llamada")
    VISIT = "visit", _("Visita")
    DEMO = "demo", _("Demostración")
    EMAIL = "email", _("E-mail")
    OTHER = "other", _("Otro")


class ImmutableEventError(Exception):
    """Automatic history rows can be neither edited nor deleted."""


class ClientEventQuerySet(models.QuerySet):
    def update(self, **kwargs):
        if self.filter(kind=EventKind.AUTO).exists():
            raise ImmutableEventError("El historial automático no se puede modificar.")
        return super().update(**kwargs)

    def delete(self):
        if self.filter(kind=EventKind.AUTO).exists():
            raise ImmutableEventError("El historial automático no se puede borrar.")
        return super().delete()


class ClientEvent(models.Model):
    """Historial: an automatic record of every change, plus manual entries by staff.

    Automatic rows are append-only, guarded here and by database triggers (migration 0002).
    """

    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="events")
    created_at = models.DateTimeField(_("Registrado el"), auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("Usuario"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
    )
    kind = models.CharField(
        _("Tipo"), max_length=10, choices=EventKind.choices, default=EventKind.AUTO
    )
    # For automatic rows: a stable verb like "client.created", "contract.status_changed".
    action = models.CharField(_("Acción"), max_length=60, blank=True)
    entry_type = models.CharField(
        _("Tipo de actuación"), max_length=10, choices=ManualEntryType.choices, blank=True
    )
    occurred_on = models.DateField(_("Fecha"), null=True, blank=True)
    summary = models.TextField(_("Descripción"), max_length=4000)
    # {"field label": ["old", "new"], ...}
    changes = models.JSONField(_("Cambios"), default=dict, blank=True)
    object_type = models.CharField(max_length=60, blank=True)
    object_id = models.CharField(max_length=40, blank=True)

    objects = ClientEventQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("Movimiento del historial")
        verbose_name_plural = _("Historial")
        indexes = [
            models.Index(fields=["client", "-created_at", "-id"], name="clientevent_client_idx"),
            # The clients of an import (its undo): only the rows an import wrote.
            models.Index(
                fields=["object_id"],
                name="clientevent_import_idx",
                condition=models.Q(action="client.imported", object_type="clients.dataimport"),
            ),
        ]

    def __str__(self) -> str:
        return self.summary[:80]

    def save(self, *args, **kwargs):
        if self.pk and self.kind == EventKind.AUTO:
            raise ImmutableEventError("El historial automático no se puede modificar.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        if self.kind == EventKind.AUTO:
            raise ImmutableEventError("El historial automático no se puede borrar.")
        return super().delete(*args, **kwargs)

    @property
    def is_manual(self) -> bool:
        return self.kind == EventKind.MANUAL


class ClientTally(models.Model):
    """Dashboard figures of the clients, per (seller, zone): a snapshot that
    `clients.stats.refresh_client_tallies` rebuilds every few minutes (scheduled job
    `clients.dashboard_refresh`), so "Inicio" reads a few hundred rows instead of counting
    a million clients. 0 stands for "no seller" / "no zone". `month` is the month the
    created/deactivated counts belong to (the snapshot's month, in the ISP's time zone)."""

    seller_key = models.BigIntegerField()
    zone_key = models.BigIntegerField()
    active = models.PositiveIntegerField(default=0)
    inactive = models.PositiveIntegerField(default=0)
    suspended = models.PositiveIntegerField(default=0)
    month = models.DateField()
    created_in_month = models.PositiveIntegerField(default=0)
    deactivated_in_month = models.PositiveIntegerField(default=0)
    computed_at = models.DateTimeField()

    class Meta:
        verbose_name = _("Cifras de clientes")
        default_permissions = ()
        constraints = [
            models.UniqueConstraint(fields=["seller_key", "zone_key"], name="uniq_client_tally")
        ]

    def __str__(self) -> str:
        return f"{self.seller_key}/{self.zone_key}: {self.active}"


class DataImport(TimeStampedModel):
    """One upload of a table of clients or contracts ("Importar clientes"), through its steps:
    uploaded -> checked (the dry run) -> importing -> done, or failed; an import whose clients
    nobody touched since can be undone (they are deactivated, never deleted)."""

    class Kind(models.TextChoices):
        CLIENTS = "clients", _("Clientes")
        CONTRACTS = "contracts", _("Contratos")

    class Status(models.TextChoices):
        UPLOADED = "uploaded", _("Subido")
        CHECKING = "checking", _("Comprobando")
        CHECKED = "checked", _("Comprobado")
        IMPORTING = "importing", _("Importando")
        DONE = "done", _("Importado")
        FAILED = "failed", _("Fallido")
        UNDONE = "undone", _("Deshecho")

    class Mode(models.TextChoices):
        ALL = "all", _("Todo o nada: si una fila tiene errores no se importa ninguna")
        VALID = "valid", _("Solo las filas válidas: las filas con errores se omiten")

    kind = models.CharField(_("Tipo"), max_length=10, choices=Kind.choices)
    status = models.CharField(
        _("Estado"), max_length=10, choices=Status.choices, default=Status.UPLOADED
    )
    mode = models.CharField(_("Modo"), max_length=5, choices=Mode.choices, blank=True)
    file = models.FileField(_("Archivo"), upload_to="imports/%Y/%m/")
    original_name = models.CharField(_("Nombre del archivo"), max_length=200)
    file_format = models.CharField(_("Formato"), max_length=4)
    encoding = models.CharField(_("Codificación"), max_length=12, blank=True)
    delimiter = models.CharField(_("Separador"), max_length=1, blank=True)
    headers = models.JSONField(_("Columnas"), default=list)
    # {"<column index>": "<field key>"}; a column absent from the map is ignored.
    mapping = models.JSONField(_("Correspondencia de columnas"), default=dict, blank=True)
    row_count = models.PositiveIntegerField(_("Filas"), default=0)
    valid_count = models.PositiveIntegerField(_("Filas válidas"), default=0)
    error_count = models.PositiveIntegerField(_("Filas con errores"), default=0)
    imported_count = models.PositiveIntegerField(_("Importados"), default=0)
    # [[row, column, message], ...] (the first ERRORS_KEPT) and {field: [missing names]}.
    errors = models.JSONField(_("Errores"), default=list, blank=True)
    missing = models.JSONField(_("Valores de catálogo que faltan"), default=dict, blank=True)
    checked_at = models.DateTimeField(_("Comprobado el"), null=True, blank=True)
    imported_at = models.DateTimeField(_("Importado el"), null=True, blank=True)
    undone_at = models.DateTimeField(_("Deshecho el"), null=True, blank=True)
    job = models.ForeignKey(
        "core.Job", verbose_name=_("Trabajo"), on_delete=models.SET_NULL, null=True, blank=True
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("Usuario"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
    )

    ERRORS_KEPT = 5000

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("Importación")
        verbose_name_plural = _("Importaciones")
        permissions = [("import_client", "Puede importar clientes y contratos")]

    def __str__(self) -> str:
        return f"Importación #{self.pk} ({self.original_name})"
