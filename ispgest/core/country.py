"""Country profiles: what the ISP's country decides.

Currency and number/date formats, what the identity document and the tax id are called and
how the tax id is validated (python-stdnum), and the catalog rows a fresh install starts with.
The active profile comes from settings.ISPGEST_COUNTRY.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal, localcontext
from types import ModuleType

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone
from stdnum.ar import cuit as ar_cuit
from stdnum.co import nit as co_nit
from stdnum.ec import ci as ec_ci
from stdnum.ec import ruc as ec_ruc
from stdnum.es import nif as es_nif
from stdnum.exceptions import InvalidChecksum
from stdnum.exceptions import ValidationError as StdnumError
from stdnum.mx import rfc as mx_rfc


def _quantize(number: Decimal, places: int) -> Decimal:
    """Round to `places` decimals with enough precision for any size (1e30 has 33 digits
    at 2 places, over the default context's 28)."""
    with localcontext() as ctx:
        if number.is_finite() and number:
            ctx.prec = max(ctx.prec, number.adjusted() + places + 3)
        return number.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class TaxIdKind:
    code: str
    label: str
    module: ModuleType | None  # None: digits only, no check digit known


@dataclass(frozen=True)
class TaxConditionDefault:
    name: str
    legal: bool = True
    invoice_types: tuple[str, ...] = ()
    tax_exempt: bool = False  # its clients are invoiced without tax


@dataclass(frozen=True)
class TaxDefault:
    name: str
    rate: str
    included_in_price: bool = True


@dataclass(frozen=True)
class CountryProfile:
    code: str
    name: str
    currency: str
    currency_symbol: str
    decimal_separator: str
    thousands_separator: str
    date_format: str  # strftime
    document_label: str
    tax_id_label: str
    tax_id_kinds: tuple[TaxIdKind, ...]
    invoice_types: tuple[str, ...]
    tax_conditions: tuple[TaxConditionDefault, ...]
    taxes: tuple[TaxDefault, ...]
    time_zone: str
    symbol_after: bool = False
    extra: dict = field(default_factory=dict)
    # Companies ("Sociedades") of clients: what the country's law calls them and their tax
    # treatment. Each tuple holds the values offered in the forms (stored as typed here).
    legal_forms: tuple[str, ...] = ()
    vat_regimes: tuple[str, ...] = ()
    corporate_tax_regimes: tuple[str, ...] = ()
    withholding_kinds: tuple[str, ...] = ()
    activity_code_label: str = "Código de actividad"
    # A full-match regular expression for the activity code; "" accepts up to 12 characters.
    activity_code_pattern: str = ""
    activity_code_hint: str = ""
    e_invoicing_label: str = "Obligado a factura electrónica"
    vat_records_label: str = "Obligado a libros de IVA electrónicos"

    def tax_id_kind(self, code: str) -> TaxIdKind | None:
        return next((k for k in self.tax_id_kinds if k.code == code), None)

    @property
    def default_tax_id_kind(self) -> str:
        return self.tax_id_kinds[0].code if self.tax_id_kinds else ""

    def _group(self, whole: str) -> str:
        groups = []
        while len(whole) > 3:
            groups.insert(0, whole[-3:])
            whole = whole[:-3]
        groups.insert(0, whole)
        return self.thousands_separator.join(groups)

    def format_number(
        self, value: Decimal | int | float | str | None, places: int | None = None
    ) -> str:
        """A number as the country writes it: "1.234,5" (AR), "1,234.5" (MX).

        `places=None` keeps the value's own decimals without trailing zeros ("2", "0,5").
        """
        if value is None or value == "":
            return ""
        number = Decimal(str(value))
        if places is not None:
            number = _quantize(number, places)
            text = f"{abs(number):.{places}f}"
        else:
            text = f"{abs(number).normalize():f}"
        whole, _, frac = text.partition(".")
        sign = "-" if number < 0 else ""
        return f"{sign}{self._group(whole)}" + (f"{self.decimal_separator}{frac}" if frac else "")

    def format_money(self, amount: Decimal | int | str | None) -> str:
        if amount is None or amount == "":
            return ""
        value = _quantize(Decimal(amount), 2)  # core.money's rule, at any size
        sign = "-" if value < 0 else ""
        number = self.format_number(abs(value), 2)
        if self.symbol_after:
            return f"{sign}{number} {self.currency_symbol}"
        return f"{sign}{self.currency_symbol} {number}"

    def format_percent(self, value: Decimal | int | str | None) -> str:
        if value is None or value == "":
            return ""
        return f"{self.format_number(value)} %"

    def format_date(self, value) -> str:
        return value.strftime(self.date_format) if value else ""

    def format_datetime(self, value) -> str:
        """A date and time in the ISP's time zone: "01/12/2026 14:05"."""
        if not value:
            return ""
        if isinstance(value, datetime) and timezone.is_aware(value):
            value = timezone.localtime(value)
        return value.strftime(f"{self.date_format} %H:%M")


_CUIT = TaxIdKind("CUIT", "CUIT/CUIL", ar_cuit)
_NIT = TaxIdKind("NIT", "NIT", co_nit)
_CC = TaxIdKind("CC", "CC", None)
_CE = TaxIdKind("CE", "CE", None)
_EC_RUC = TaxIdKind("RUC", "RUC", ec_ruc)
_EC_CI = TaxIdKind("CI", "Cédula", ec_ci)
_RFC = TaxIdKind("RFC", "RFC", mx_rfc)
_NIF = TaxIdKind("NIF", "NIF/NIE/CIF", es_nif)
_OTHER = TaxIdKind("OTHER", "Número tributario", None)

PROFILES: dict[str, CountryProfile] = {
    "AR": CountryProfile(
        code="AR",
        name="Argentina",
        currency="ARS",
        currency_symbol="$",
        decimal_separator=",",
        thousands_separator=".",
        date_format="%d/%m/%Y",
        document_label="DNI",
        tax_id_label="CUIT/CUIL",
        tax_id_kinds=(_CUIT,),
        invoice_types=("A", "B", "C"),
        tax_conditions=(
            TaxConditionDefault("Responsable Inscripto", True, ("A",)),
            TaxConditionDefault("Monotributista", True, ("A", "C")),
            TaxConditionDefault("Consumidor Final", True, ("B",)),
            TaxConditionDefault("Exento", True, ("B",), tax_exempt=True),
            TaxConditionDefault("Sin factura legal", False, ("X",)),
        ),
        # 27% is the rate of telecommunication services billed to Responsables Inscriptos.
        taxes=(
            TaxDefault("IVA 21%", "21.00", True),
            TaxDefault("IVA 27%", "27.00", True),
            TaxDefault("IVA 10,5%", "10.50", True),
        ),
        legal_forms=(
            "S.A.",
            "S.R.L.",
            "S.A.S.",
            "S.C.S.",
            "Sociedad de hecho",
            "Cooperativa",
            "Asociación civil",
            "Monotributista",
            "Autónomo",
        ),
        vat_regimes=("Responsable Inscripto", "Monotributo", "Exento", "No alcanzado"),
        corporate_tax_regimes=("Impuesto a las Ganancias (sociedades)", "Exento", "Monotributo"),
        withholding_kinds=(
            "Retención de IVA",
            "Retención de Ganancias",
            "Percepción de IIBB",
            "Retención de IIBB",
        ),
        activity_code_label="Código de actividad (CLAE/AFIP)",
        activity_code_pattern=r"\d{6}",
        activity_code_hint="6 dígitos, p. ej. 611010",
        e_invoicing_label="Obligado a factura electrónica (AFIP)",
        vat_records_label="Libro IVA Digital",
        time_zone="America/Argentina/Buenos_Aires",
    ),
    "CO": CountryProfile(
        code="CO",
        name="Colombia",
        currency="COP",
        currency_symbol="$",
        decimal_separator=",",
        thousands_separator=".",
        date_format="%d/%m/%Y",
        document_label="Cédula de ciudadanía",
        tax_id_label="CC/CE/NIT",
        tax_id_kinds=(_NIT, _CC, _CE),
        invoice_types=("Factura electrónica de venta",),
        tax_conditions=(
            TaxConditionDefault("Responsable de IVA", True, ("Factura electrónica de venta",)),
            TaxConditionDefault(
                "No responsable de IVA", True, ("Factura electrónica de venta",), tax_exempt=True
            ),
            TaxConditionDefault("Sin factura legal", False, ("X",)),
        ),
        taxes=(TaxDefault("IVA 19%", "19.00", True), TaxDefault("IVA 5%", "5.00", True)),
        legal_forms=(
            "S.A.S.",
            "S.A.",
            "Ltda.",
            "S. en C.",
            "E.U.",
            "Cooperativa",
            "Persona natural comerciante",
        ),
        vat_regimes=("Responsable de IVA", "No responsable de IVA", "Régimen simple (RST)"),
        corporate_tax_regimes=(
            "Régimen ordinario de renta",
            "Régimen simple de tributación",
            "Régimen tributario especial",
        ),
        withholding_kinds=("Retención en la fuente", "ReteIVA", "ReteICA"),
        activity_code_label="Código CIIU",
        activity_code_pattern=r"\d{4}",
        activity_code_hint="4 dígitos, p. ej. 6110",
        e_invoicing_label="Obligado a facturación electrónica (DIAN)",
        vat_records_label="Obligado a exógena",
        time_zone="America/Bogota",
    ),
    "EC": CountryProfile(
        code="EC",
        name="Ecuador",
        currency="USD",
        currency_symbol="$",
        decimal_separator=",",
        thousands_separator=".",
        date_format="%d/%m/%Y",
        document_label="Cédula de identidad",
        tax_id_label="Cédula/RUC",
        tax_id_kinds=(_EC_RUC, _EC_CI),
        invoice_types=("Factura",),
        tax_conditions=(
            TaxConditionDefault("Obligado a llevar contabilidad", True, ("Factura",)),
            TaxConditionDefault("No obligado a llevar contabilidad", True, ("Factura",)),
            TaxConditionDefault("Consumidor final", True, ("Factura",)),
            TaxConditionDefault("Sin factura legal", False, ("X",)),
        ),
        taxes=(TaxDefault("IVA 15%", "15.00", False), TaxDefault("IVA 0%", "0.00", False)),
        legal_forms=(
            "S.A.",
            "Cía. Ltda.",
            "S.A.S.",
            "Persona natural obligada a llevar contabilidad",
            "Cooperativa",
        ),
        vat_regimes=("Régimen general", "RIMPE emprendedor", "RIMPE negocio popular"),
        corporate_tax_regimes=("Impuesto a la renta general", "RIMPE", "Exento"),
        withholding_kinds=("Retención en la fuente de renta", "Retención de IVA"),
        activity_code_label="Código CIIU",
        activity_code_pattern=r"[A-U]\d{4}(\.\d{2}){0,2}",
        activity_code_hint="p. ej. J6110.01",
        e_invoicing_label="Obligado a comprobantes electrónicos (SRI)",
        vat_records_label="Obligado a ATS",
        time_zone="America/Guayaquil",
    ),
    "MX": CountryProfile(
        code="MX",
        name="México",
        currency="MXN",
        currency_symbol="$",
        decimal_separator=".",
        thousands_separator=",",
        date_format="%d/%m/%Y",
        document_label="INE/CURP",
        tax_id_label="RFC",
        tax_id_kinds=(_RFC,),
        invoice_types=("CFDI Ingreso",),
        tax_conditions=(
            TaxConditionDefault("601 General de Ley Personas Morales", True, ("CFDI Ingreso",)),
            TaxConditionDefault(
                "612 Personas Físicas con Actividades Empresariales", True, ("CFDI Ingreso",)
            ),
            TaxConditionDefault("626 Régimen Simplificado de Confianza", True, ("CFDI Ingreso",)),
            TaxConditionDefault(
                "616 Sin obligaciones fiscales", True, ("CFDI Ingreso",), tax_exempt=True
            ),
            TaxConditionDefault("Sin factura legal", False, ("X",)),
        ),
        taxes=(TaxDefault("IVA 16%", "16.00", False), TaxDefault("IVA 8% frontera", "8.00", False)),
        legal_forms=(
            "S.A. de C.V.",
            "S. de R.L. de C.V.",
            "S.A.P.I. de C.V.",
            "S.A.S.",
            "S.C.",
            "Persona física con actividad empresarial",
        ),
        vat_regimes=("IVA general 16%", "IVA frontera 8%", "Exento", "Tasa 0%"),
        corporate_tax_regimes=(
            "601 General de Ley Personas Morales",
            "626 Régimen Simplificado de Confianza",
            "603 Personas Morales con Fines no Lucrativos",
        ),
        withholding_kinds=("Retención de ISR", "Retención de IVA"),
        activity_code_label="Código SCIAN",
        activity_code_pattern=r"\d{6}",
        activity_code_hint="6 dígitos, p. ej. 517311",
        e_invoicing_label="Obligado a CFDI",
        vat_records_label="Obligado a DIOT",
        time_zone="America/Mexico_City",
    ),
    "ES": CountryProfile(
        code="ES",
        name="España",
        currency="EUR",
        currency_symbol="€",
        decimal_separator=",",
        thousands_separator=".",
        date_format="%d/%m/%Y",
        document_label="DNI/NIE",
        tax_id_label="NIF/NIE/CIF",
        tax_id_kinds=(_NIF,),
        invoice_types=("Factura completa", "Factura simplificada"),
        tax_conditions=(
            TaxConditionDefault(
                "Régimen general", True, ("Factura completa", "Factura simplificada")
            ),
            TaxConditionDefault("Recargo de equivalencia", True, ("Factura completa",)),
            TaxConditionDefault("Exento", True, ("Factura completa",), tax_exempt=True),
            TaxConditionDefault("Sin factura legal", False, ("X",)),
        ),
        taxes=(
            TaxDefault("IVA 21%", "21.00", False),
            TaxDefault("IVA 10%", "10.00", False),
            TaxDefault("IVA 4%", "4.00", False),
        ),
        legal_forms=(
            "S.L.",
            "S.A.",
            "S.L.U.",
            "S.A.U.",
            "S.L.L.",
            "Sociedad cooperativa",
            "Comunidad de bienes",
            "Sociedad civil",
            "Autónomo",
        ),
        vat_regimes=(
            "Régimen general",
            "Recargo de equivalencia",
            "Régimen simplificado",
            "Exento",
            "Criterio de caja",
        ),
        corporate_tax_regimes=(
            "Régimen general (25 %)",
            "Entidad de reducida dimensión",
            "Empresa de nueva creación (15 %)",
            "Cooperativa fiscalmente protegida",
            "IRPF (estimación directa)",
            "IRPF (estimación objetiva)",
        ),
        withholding_kinds=(
            "IRPF profesionales",
            "IRPF arrendamientos",
            "IRPF rendimientos del capital",
        ),
        activity_code_label="CNAE",
        activity_code_pattern=r"\d{4}",
        activity_code_hint="4 dígitos, p. ej. 6110",
        e_invoicing_label="Obligado a factura electrónica (Veri*factu / FACe)",
        vat_records_label="Obligado al SII",
        time_zone="Europe/Madrid",
        symbol_after=True,
    ),
    "OTHER": CountryProfile(
        code="OTHER",
        name="Otro",
        currency="USD",
        currency_symbol="$",
        decimal_separator=".",
        thousands_separator=",",
        date_format="%Y-%m-%d",
        document_label="Documento de identidad",
        tax_id_label="Número tributario",
        tax_id_kinds=(_OTHER,),
        invoice_types=("Factura",),
        tax_conditions=(
            TaxConditionDefault("General", True, ("Factura",)),
            TaxConditionDefault("Sin factura legal", False, ("X",)),
        ),
        taxes=(TaxDefault("Impuesto 0%", "0.00", False),),
        legal_forms=("Sociedad anónima", "Sociedad de responsabilidad limitada", "Persona física"),
        vat_regimes=("General", "Exento"),
        corporate_tax_regimes=("General",),
        withholding_kinds=("Retención de renta", "Retención de IVA"),
        time_zone="UTC",
    ),
}

#: Every tax-id kind of every country, for forms that let the kind be chosen.
ALL_TAX_ID_KINDS: dict[str, TaxIdKind] = {
    k.code: k for p in PROFILES.values() for k in p.tax_id_kinds
}


def get_profile(code: str | None = None) -> CountryProfile:
    return PROFILES.get((code or settings.ISPGEST_COUNTRY).upper(), PROFILES["OTHER"])


def clean_tax_id(value: str, kind: str, *, field: str = "tax_id") -> str:
    """Validate a tax id of the given kind and return it compact (digits/letters only).

    Raises ValidationError on `field` with a Spanish message when the number or its check
    digit is wrong.
    """
    value = (value or "").strip()
    if not value:
        return ""
    tk = ALL_TAX_ID_KINDS.get(kind)
    if tk is None:
        raise ValidationError({field: f"Tipo de número tributario desconocido: {kind}."})
    if tk.module is None:
        compact = "".join(ch for ch in value if ch.isalnum()).upper()
        if not compact or len(compact) > 20:
            raise ValidationError({field: f"{tk.label}: el número no es válido."})
        return compact
    try:
        compact = tk.module.validate(value)
        if tk.module is mx_rfc and len(compact) >= 12:
            # SAT gives every full RFC a check digit; python-stdnum skips it unless asked, and
            # asking also refuses homoclave letters it does not know, so check the digit alone.
            if compact[-1] != mx_rfc.calc_check_digit(compact[:-1]):
                raise InvalidChecksum()
        return compact
    except StdnumError as exc:
        detail = (
            "el dígito verificador no coincide"
            if "checksum" in type(exc).__name__.lower()
            else "el formato no es válido"
        )
        raise ValidationError({field: f"{tk.label} «{value}» no es válido: {detail}."})


def format_tax_id(value: str, kind: str) -> str:
    tk = ALL_TAX_ID_KINDS.get(kind)
    if not value or tk is None or tk.module is None or not hasattr(tk.module, "format"):
        return value or ""
    try:
        return tk.module.format(value)
    except Exception:  # a stored value predating a rule change must still display
        return value


def clean_iban(value: str, *, field: str = "iban") -> str:
    """Validate an IBAN (country format and check digits, python-stdnum) and return it compact.

    Raises ValidationError on `field` with a Spanish message naming the IBAN.
    """
    from stdnum import iban as std_iban

    value = (value or "").strip()
    try:
        return std_iban.validate(value)
    except StdnumError as exc:
        why = (
            "el dígito de control no coincide"
            if "checksum" in type(exc).__name__.lower()
            else "el formato no es válido"
        )
        raise ValidationError({field: f"IBAN: «{value}» no es válido: {why}."}) from None


def clean_bic(value: str, *, field: str = "bic") -> str:
    """Validate a BIC (SWIFT code) and return it compact; "" stays ""."""
    from stdnum import bic as std_bic

    value = (value or "").strip()
    if not value:
        return ""
    try:
        return std_bic.validate(value)
    except StdnumError:
        raise ValidationError({field: f"BIC: «{value}» no es válido."}) from None


def mask_iban(iban: str) -> str:
    """An IBAN showing its last four characters only ("•••• 1332")."""
    compact = "".join((iban or "").split())
    return f"•••• {compact[-4:]}" if compact else ""
