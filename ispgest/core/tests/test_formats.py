from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError
from django.template import Context, Template

from ispgest.core import formats
from ispgest.core.country import clean_tax_id, get_profile


def test_numbers_follow_the_country(settings):
    settings.ISPGEST_COUNTRY = "AR"
    assert formats.number(Decimal("28900.00")) == "28.900"
    assert formats.number(Decimal("1234.5")) == "1.234,5"
    assert formats.number(Decimal("0.125"), 2) == "0,13"
    assert formats.money(Decimal("3500")) == "$ 3.500,00"
    assert formats.money(Decimal("-1234567.891")) == "-$ 1.234.567,89"
    assert formats.percent(Decimal("21.00")) == "21 %"
    assert formats.percent(Decimal("10.50")) == "10,5 %"
    settings.ISPGEST_COUNTRY = "MX"
    assert formats.number(Decimal("1234.5")) == "1,234.5"
    assert formats.money(Decimal("3225")) == "$ 3,225.00"


def test_dates_and_times_in_the_isp_time_zone(settings):
    settings.ISPGEST_COUNTRY = "AR"
    settings.TIME_ZONE = "America/Argentina/Buenos_Aires"
    assert formats.fdate(date(2026, 12, 1)) == "01/12/2026"
    utc = datetime(2026, 12, 1, 2, 30, tzinfo=ZoneInfo("UTC"))
    assert formats.fdate(utc) == "30/11/2026 23:30"
    assert formats.fdate(None) == ""


def test_plural_agrees_with_the_count():
    assert formats.plural(1, "mes", "meses") == "1 mes"
    assert formats.plural(3, "mes", "meses") == "3 meses"


def test_template_filters_are_builtin(settings):
    settings.ISPGEST_COUNTRY = "AR"
    text = Template("{{ q|number }} · {{ p|percent }} · {{ d|fdate }} · {{ m|money }}").render(
        Context({"q": Decimal("2.500"), "p": Decimal("27"), "d": date(2026, 1, 5), "m": 10})
    )
    assert text == "2,5 · 27 % · 05/01/2026 · $ 10,00"


@pytest.mark.parametrize(
    "country,kind,value", [("EC", "CI", "1710034066"), ("AR", "CUIT", "20-12345678-0")]
)
def test_tax_id_messages_name_the_kind_without_a_wrong_article(settings, country, kind, value):
    settings.ISPGEST_COUNTRY = country
    with pytest.raises(ValidationError) as exc:
        clean_tax_id(value, kind)
    message = exc.value.message_dict["tax_id"][0]
    label = get_profile(country).tax_id_kind(kind).label
    assert message.startswith(f"{label} «{value}» no es válido")
    assert not message.startswith("El ")


def test_history_shows_decimals_as_money_rates_or_numbers(settings):
    from ispgest.clients.history import decimal_display

    settings.ISPGEST_COUNTRY = "AR"
    assert decimal_display("price", Decimal("28900.00")) == "$ 28.900,00"
    assert decimal_display("unpaid_total", Decimal("3225")) == "$ 3.225,00"
    assert decimal_display("rate", Decimal("10.50")) == "10,5 %"
    assert decimal_display("quantity", Decimal("2.000")) == "2"


def test_a_round_quantity_is_not_written_in_exponent_form(settings):
    settings.ISPGEST_COUNTRY = "AR"
    assert formats.number(Decimal("10.000")) == "10"
    assert formats.number(Decimal("1500")) == "1.500"


def test_row_icons_are_inline_svg_not_emoji():
    from ispgest.core.templatetags.ispgest import icon

    assert icon("🔑").startswith("<svg") and icon("search").startswith("<svg")
    assert icon("★") == '<span aria-hidden="true">★</span>'
