"""Headers: a Content-Security-Policy without inline scripts on every page, no-store on what
a signed-in user reads (pages, PDFs, exports), HSTS and Secure cookies behind HTTPS, and
the API docs and spec closed to strangers unless a setting opens them."""

import re
from pathlib import Path

import pytest
from django.test import override_settings

from ispgest.accounts.models import ApiToken

pytestmark = pytest.mark.django_db

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"


def test_every_page_carries_a_policy_that_allows_only_the_apps_own_scripts(client, admin_client):
    login = client.get("/cuenta/entrar/")
    policy = login["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy.split("style-src")[0]
    home = admin_client.get("/")
    assert home["Cache-Control"] == "no-store"
    assert "Content-Security-Policy" in home


def test_templates_hold_no_inline_scripts_nor_event_handler_attributes():
    inline, handlers = [], []
    for path in TEMPLATES.rglob("*.html"):
        text = path.read_text(encoding="utf-8")
        for tag in re.findall(r"<script\b[^>]*>", text):
            if "src=" not in tag and 'type="application/json"' not in tag:
                inline.append(f"{path.name}: {tag}")
        handlers += [f"{path.name}: {m}" for m in re.findall(r"\s(on[a-z]+)\s*=", text)]
    assert inline == [] and handlers == []


def test_the_policy_check_sees_an_inline_script(tmp_path):
    text = '<script>alert(1)</script><button onclick="x()">'
    assert re.findall(r"<script\b[^>]*>", text) == ["<script>"]
    assert re.findall(r"\s(on[a-z]+)\s*=", text) == ["onclick"]


def test_api_docs_and_spec_need_a_login_or_a_token(client, admin_user):
    assert client.get("/api/v1/openapi.json").status_code == 401
    docs = client.get("/api/v1/docs")
    assert docs.status_code == 302 and "/cuenta/entrar/" in docs["Location"]
    _token, raw = ApiToken.issue(user=admin_user, name="docs")
    spec = client.get("/api/v1/openapi.json", HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert spec.status_code == 200 and "paths" in spec.json()
    with override_settings(ISPGEST_PUBLIC_API_DOCS=True):
        assert client.get("/api/v1/openapi.json").status_code == 200


def test_secure_cookies_setting_turns_on_hsts_and_secure_cookies(monkeypatch):
    import importlib

    import ispgest.settings as settings_module

    monkeypatch.setenv("ISPGEST_SECURE_COOKIES", "1")
    try:
        fresh = importlib.reload(settings_module)
        assert fresh.SESSION_COOKIE_SECURE and fresh.CSRF_COOKIE_SECURE
        assert fresh.SECURE_HSTS_SECONDS >= 31536000
    finally:
        monkeypatch.delenv("ISPGEST_SECURE_COOKIES")
        importlib.reload(settings_module)
