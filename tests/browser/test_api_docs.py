"""The API docs page renders in Chromium with no network beyond the app (no CDN)."""

import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_api_docs_render_the_operations(page, login, make_user, live_server):
    outside = []
    page.on(
        "request",
        lambda r: outside.append(r.url) if not r.url.startswith(live_server.url) else None,
    )
    login(make_user("Administrador"))
    page.goto("/api/v1/docs")
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("ispgest API", timeout=30_000)
    expect(page.locator(".opblock-tag").first).to_be_visible()
    assert outside == []
