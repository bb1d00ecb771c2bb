"""The helpers every app shares live in core: month arithmetic and text folding, each
defined once."""

from datetime import date

from ispgest.billing import engine
from ispgest.core.dates import add_months
from ispgest.core.text import fold


def test_add_months_clamps_to_the_end_of_the_month():
    assert add_months(date(2026, 1, 31), 1) == date(2026, 2, 28)
    assert add_months(date(2026, 11, 15), 3) == date(2027, 2, 15)
    assert add_months(date(2024, 2, 29), 12) == date(2025, 2, 28)
    assert add_months(date(2026, 3, 31), -1) == date(2026, 2, 28)
    assert add_months(date(2026, 1, 15), -13) == date(2024, 12, 15)


def test_the_billing_engine_uses_the_same_month_arithmetic():
    assert engine.add_months is add_months


def test_fold_lowercases_strips_accents_and_keeps_enye_apart():
    assert fold("José GONZÁLEZ") == "jose gonzalez"
    assert fold("Muñoz") == "mun~oz"
    assert fold("Mun\u0303oz") == "mun~oz"  # a decomposed ñ folds the same
    assert fold(None) == ""


def test_the_client_model_folds_with_core():
    from ispgest.clients import models

    assert models.fold is fold
