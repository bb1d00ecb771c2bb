"""Configuration catalogs ("Configuración avanzada"): the lists client forms pick from.

Rows that others reference are deactivated (active=False), never deleted.
"""

from decimal import Decimal

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from ispgest.core.models import TimeStampedModel


class CatalogModel(TimeStampedModel):
    name = models.CharField(_("Nombre"), max_length=120)
    active = models.BooleanField(_("Activo"), default=True)

    class Meta:
        abstract = True
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Region(CatalogModel):
    class Meta(CatalogModel.Meta):
        verbose_name = _("Provincia/Estado/Región")
        verbose_name_plural = _("Provincias/Estados/Regiones")
        constraints = [models.UniqueConstraint(fields=["name"], name="uniq_region_name")]


class City(CatalogModel):
    region = models.ForeignKey(
        Region,
        verbose_name=_("Provincia/Estado/Región"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
    )

    class Meta(CatalogModel.Meta):
        verbose_name = _("Ciudad")
        verbose_name_plural = _("Ciudades")
        constraints = [
            models.UniqueConstraint(fields=["region", "name"], name="uniq_city_region_name")
        ]


class Neighbourhood(CatalogModel):
    city = models.ForeignKey(
        City, verbose_name=_("Ciudad"), on_delete=models.PROTECT, null=True, blank=True
    )

    class Meta(CatalogModel.Meta):
        verbose_name = _("Barrio")
        verbose_name_plural = _("Barrios")
        constraints = [
            models.UniqueConstraint(fields=["city", "name"], name="uniq_neighbourhood_city_name")
        ]


class Zone(CatalogModel):
    description = models.TextField(_("Descripción"), blank=True, max_length=2000)

    class Meta(CatalogModel.Meta):
        verbose_name = _("Zona")
        verbose_name_plural = _("Zonas")
        constraints = [models.UniqueConstraint(fields=["name"], name="uniq_zone_name")]


class Seller(CatalogModel):
    email = models.EmailField(_("E-mail"), blank=True)
    phone = models.CharField(_("Teléfono"), max_length=40, blank=True)

    class Meta(CatalogModel.Meta):
        verbose_name = _("Vendedor")
        verbose_name_plural = _("Vendedores")


class Collector(CatalogModel):
    email = models.EmailField(_("E-mail"), blank=True)
    phone = models.CharField(_("Teléfono"), max_length=40, blank=True)

    class Meta(CatalogModel.Meta):
        verbose_name = _("Recaudador")
        verbose_name_plural = _("Recaudadores")


class LegalKind(models.TextChoices):
    LEGAL = "legal", _("Legal")
    FANTASY = "fantasy", _("Fantasía (sin validez legal)")


class FiscalRegime(models.TextChoices):
    """How a legal entity's invoices are reported to its tax authority (`ispgest.fiscal`).

    Each value is served by one adapter module of the fiscal layer; see docs/fiscal.md for
    how a country is added."""

    NONE = "", _("Ninguno")
    VERIFACTU = "verifactu", _("VERI*FACTU (España)")


class BillingEntity(CatalogModel):
    """The ISP's own legal entity ("razón social") that issues invoices."""

    kind = models.CharField(
        _("Tipo"), max_length=10, choices=LegalKind.choices, default=LegalKind.LEGAL
    )
    tax_id = models.CharField(_("Número tributario"), max_length=20, blank=True)
    tax_id_kind = models.CharField(_("Tipo de número tributario"), max_length=10, blank=True)
    country = models.CharField(_("País"), max_length=5, default="AR")
    address = models.CharField(_("Dirección"), max_length=255, blank=True)
    sepa_creditor_id = models.CharField(
        _("Identificador de acreedor SEPA"), max_length=35, blank=True
    )
    iban = models.CharField(_("IBAN de cobro"), max_length=34, blank=True)
    bic = models.CharField(_("BIC"), max_length=11, blank=True)
    fiscal_regime = models.CharField(
        _("Régimen de facturación electrónica"),
        max_length=20,
        choices=FiscalRegime.choices,
        default=FiscalRegime.NONE,
        blank=True,
        help_text=_("Sistema de la administración tributaria al que se remiten sus facturas."),
    )

    class Meta(CatalogModel.Meta):
        verbose_name = _("Razón social")
        verbose_name_plural = _("Razones sociales")

    @property
    def is_legal(self) -> bool:
        return self.kind == LegalKind.LEGAL


class PointOfSale(TimeStampedModel):
    billing_entity = models.ForeignKey(
        BillingEntity,
        verbose_name=_("Razón social"),
        on_delete=models.PROTECT,
        related_name="points_of_sale",
    )
    number = models.PositiveIntegerField(
        _("Número"), validators=[MinValueValidator(1), MaxValueValidator(99999)]
    )
    name = models.CharField(_("Nombre"), max_length=120, blank=True)
    active = models.BooleanField(_("Activo"), default=True)

    class Meta:
        ordering = ["billing_entity_id", "number"]
        verbose_name = _("Punto de venta")
        verbose_name_plural = _("Puntos de venta")
        constraints = [
            models.UniqueConstraint(
                fields=["billing_entity", "number"], name="uniq_pos_entity_number"
            )
        ]

    def __str__(self) -> str:
        return f"{self.number:05d}" + (f" · {self.name}" if self.name else "")


class TaxCondition(CatalogModel):
    """Condición de IVA / régimen fiscal of a client."""

    kind = models.CharField(
        _("Tipo"), max_length=10, choices=LegalKind.choices, default=LegalKind.LEGAL
    )
    country = models.CharField(_("País"), max_length=5, default="AR")
    # Decides the tax of its clients' invoices (renaming the row changes nothing).
    tax_exempt = models.BooleanField(
        _("Exenta de impuestos"),
        default=False,
        help_text=_("Sus clientes se facturan sin impuestos."),
    )

    class Meta(CatalogModel.Meta):
        verbose_name = _("Condición de IVA")
        verbose_name_plural = _("Condiciones de IVA")
        constraints = [
            models.UniqueConstraint(
                fields=["country", "name"], name="uniq_taxcondition_country_name"
            )
        ]

    @property
    def is_legal(self) -> bool:
        return self.kind == LegalKind.LEGAL


class InvoiceType(CatalogModel):
    code = models.CharField(_("Código"), max_length=40)
    kind = models.CharField(
        _("Tipo"), max_length=10, choices=LegalKind.choices, default=LegalKind.LEGAL
    )

    class Meta(CatalogModel.Meta):
        verbose_name = _("Tipo de factura")
        verbose_name_plural = _("Tipos de factura")
        constraints = [models.UniqueConstraint(fields=["code"], name="uniq_invoicetype_code")]


class AllowedInvoiceType(TimeStampedModel):
    """An invoice type that a billing entity may issue to clients of a tax condition."""

    billing_entity = models.ForeignKey(
        BillingEntity,
        verbose_name=_("Razón social"),
        on_delete=models.PROTECT,
        related_name="allowed_invoice_types",
    )
    tax_condition = models.ForeignKey(
        TaxCondition, verbose_name=_("Condición de IVA"), on_delete=models.PROTECT
    )
    invoice_type = models.ForeignKey(
        InvoiceType, verbose_name=_("Tipo de factura"), on_delete=models.PROTECT
    )

    class Meta:
        verbose_name = _("Tipo de factura permitido")
        verbose_name_plural = _("Tipos de factura permitidos")
        constraints = [
            models.UniqueConstraint(
                fields=["billing_entity", "tax_condition", "invoice_type"],
                name="uniq_allowed_invoice_type",
            )
        ]

    def __str__(self) -> str:
        return f"{self.billing_entity} / {self.tax_condition} → {self.invoice_type}"


class Tax(CatalogModel):
    rate = models.DecimalField(
        _("Alícuota (%)"),
        max_digits=6,
        decimal_places=3,
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))],
    )
    included_in_price = models.BooleanField(
        _("Incluido en el precio"), default=True, help_text=_("Si no, se suma al precio.")
    )

    class Meta(CatalogModel.Meta):
        verbose_name = _("Impuesto")
        verbose_name_plural = _("Impuestos")


class PaymentGateway(CatalogModel):
    code = models.SlugField(_("Código"), max_length=40)

    class Meta(CatalogModel.Meta):
        verbose_name = _("Pasarela de pago")
        verbose_name_plural = _("Pasarelas de pago")
        constraints = [models.UniqueConstraint(fields=["code"], name="uniq_gateway_code")]


class PaymentMethodKind(models.TextChoices):
    CASH = "cash", _("Efectivo")
    TRANSFER = "transfer", _("Transferencia")
    CARD = "card", _("Tarjeta")
    DIRECT_DEBIT = "direct_debit", _("Domiciliación bancaria")
    WALLET = "wallet", _("Monedero")
    GATEWAY = "gateway", _("Pasarela de pago")


class PaymentMethod(CatalogModel):
    kind = models.CharField(_("Tipo"), max_length=20, choices=PaymentMethodKind.choices)
    gateway = models.ForeignKey(
        PaymentGateway,
        verbose_name=_("Pasarela de pago"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
    )

    class Meta(CatalogModel.Meta):
        verbose_name = _("Forma de pago")
        verbose_name_plural = _("Formas de pago")
        constraints = [
            models.CheckConstraint(
                condition=Q(kind="gateway", gateway__isnull=False) | ~Q(kind="gateway"),
                name="paymentmethod_gateway_required",
            )
        ]

    @property
    def requires_bank(self) -> bool:
        return self.kind == PaymentMethodKind.DIRECT_DEBIT


class BillingCycle(CatalogModel):
    day_of_month = models.PositiveSmallIntegerField(
        _("Día de facturación"), validators=[MinValueValidator(1), MaxValueValidator(28)]
    )
    days_until_due = models.PositiveSmallIntegerField(
        _("Días hasta el vencimiento"), default=10, validators=[MaxValueValidator(120)]
    )
    is_default = models.BooleanField(_("Ciclo por defecto"), default=False)
    auto_run = models.BooleanField(
        _("Facturación automática"),
        default=False,
        help_text=_(
            "Lanza la facturación periódica sola el día del ciclo (tarea programada "
            "«Facturación automática»); si no, se lanza a mano."
        ),
    )

    class Meta(CatalogModel.Meta):
        verbose_name = _("Ciclo de facturación")
        verbose_name_plural = _("Ciclos de facturación")
        constraints = [
            models.UniqueConstraint(
                fields=["is_default"], condition=Q(is_default=True), name="one_default_cycle"
            )
        ]


class ExtraFieldType(models.TextChoices):
    TEXT = "text", _("Texto")
    NUMBER = "number", _("Número")
    DATE = "date", _("Fecha")
    CHOICE = "choice", _("Lista de opciones")
    BOOLEAN = "boolean", _("Sí/No")


class ExtraField(CatalogModel):
    """Definition of an admin-defined client field shown under "Otros"."""

    field_type = models.CharField(
        _("Tipo de campo"), max_length=10, choices=ExtraFieldType.choices, default="text"
    )
    choices = models.TextField(
        _("Opciones"), blank=True, help_text=_("Una opción por línea (solo para listas).")
    )
    required = models.BooleanField(_("Obligatorio"), default=False)
    position = models.PositiveSmallIntegerField(_("Orden"), default=0)

    class Meta(CatalogModel.Meta):
        ordering = ["position", "name"]
        verbose_name = _("Campo extra del cliente")
        verbose_name_plural = _("Campos extra del cliente")
        constraints = [models.UniqueConstraint(fields=["name"], name="uniq_extrafield_name")]

    @property
    def choice_list(self) -> list[str]:
        return [c.strip() for c in self.choices.splitlines() if c.strip()]


class ProductKind(models.TextChoices):
    DEVICE = "device", _("Equipo")
    SERVICE = "service", _("Servicio")
    MATERIAL = "material", _("Material")


class Product(CatalogModel):
    code = models.CharField(_("Código"), max_length=40, blank=True)
    kind = models.CharField(
        _("Tipo"), max_length=10, choices=ProductKind.choices, default=ProductKind.DEVICE
    )
    brand = models.CharField(_("Marca"), max_length=80, blank=True)
    model = models.CharField(_("Modelo"), max_length=80, blank=True)
    price = models.DecimalField(
        _("Precio"),
        max_digits=12,
        decimal_places=2,
        default=Decimal("0"),
        validators=[MinValueValidator(Decimal("0"))],
    )
    tax = models.ForeignKey(
        Tax, verbose_name=_("Impuesto"), on_delete=models.PROTECT, null=True, blank=True
    )

    class Meta(CatalogModel.Meta):
        verbose_name = _("Producto")
        verbose_name_plural = _("Productos")
