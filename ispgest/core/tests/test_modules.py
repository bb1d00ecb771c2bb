"""Every installed app's same-named module is found by name; an app without one is skipped,
and an import error inside one that exists is not swallowed."""

from __future__ import annotations

import sys
from types import SimpleNamespace

import pytest
from django.apps import apps

import ispgest
from ispgest.clients import panels, registry
from ispgest.core.modules import app_modules


@pytest.fixture
def fake_app(tmp_path, monkeypatch):
    """An installed app `ispgest.probeapp` with a `good` module and a `broken` one whose
    import of a missing package fails."""
    package = tmp_path / "probeapp"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "good.py").write_text("VALUE = 1\n")
    (package / "broken.py").write_text("import ispgest_no_such_package  # noqa\n")
    monkeypatch.setattr(ispgest, "__path__", [*ispgest.__path__, str(tmp_path)])
    monkeypatch.setattr(apps, "get_app_configs", lambda: [SimpleNamespace(name="ispgest.probeapp")])
    yield
    for name in [m for m in sys.modules if m.startswith("ispgest.probeapp")]:
        del sys.modules[name]


def test_it_yields_the_module_of_each_app_that_has_one(fake_app):
    assert [m.VALUE for m in app_modules("good")] == [1]


def test_it_skips_an_app_without_the_module(fake_app):
    assert list(app_modules("absent")) == []


def test_it_does_not_swallow_an_import_error_inside_a_present_module(fake_app):
    with pytest.raises(ModuleNotFoundError) as caught:
        list(app_modules("broken"))
    assert caught.value.name == "ispgest_no_such_package"


def test_the_real_apps_modules_are_found_in_layer_order():
    names = [m.__name__ for m in app_modules("permissions")]
    assert names.index("ispgest.clients.permissions") < names.index("ispgest.billing.permissions")
    assert "ispgest.network.permissions" in names


def test_every_app_with_client_panels_registers_them():
    registered = {m.__name__ for m in panels._app_modules()}
    assert registered == {
        f"ispgest.{app}.panels"
        for app in ("contracts", "billing", "network", "crm", "messaging", "tickets", "portal")
    }


def test_contracts_and_billing_fill_the_clients_registry():
    assert registry.contracts() is not None
    assert registry.billing() is not None
