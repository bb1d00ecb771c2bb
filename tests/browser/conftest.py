"""Browser tests: Playwright for Python driving Debian's Chromium against a live server.

Chromium comes from ISPGEST_CHROMIUM (default /usr/bin/chromium); the tests skip only when
it is absent (CI installs it). Failures leave a screenshot under test-artifacts/.
"""

import os
import re
from pathlib import Path

import pytest

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # Playwright's sync API runs a loop

CHROMIUM = os.environ.get("ISPGEST_CHROMIUM", "/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--headless",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    "--no-first-run",
]


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"rep_{report.when}", report)


@pytest.fixture(scope="session")
def _browser():
    if not Path(CHROMIUM).exists():
        pytest.skip(f"Chromium not found at {CHROMIUM}")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()


@pytest.fixture
def page(_browser, live_server, request):
    context = _browser.new_context(base_url=live_server.url, locale="es-ES")
    context.set_default_timeout(15_000)
    pg = context.new_page()
    yield pg
    failed = getattr(request.node, "rep_call", None)
    if failed is not None and failed.failed:
        ARTIFACTS.mkdir(exist_ok=True)
        name = re.sub(r"[^A-Za-z0-9_.-]", "_", request.node.nodeid)
        pg.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
    context.close()


@pytest.fixture
def login(page):
    """login(user) signs in through the real form (password "secreto-123456")."""

    def _login(user, password: str = "secreto-123456"):
        page.goto("/cuenta/entrar/")
        page.get_by_label("Usuario").fill(user.username)
        page.get_by_label("Contraseña").fill(password)
        page.get_by_role("button", name="Entrar").click()
        page.wait_for_url(re.compile(r"^(?!.*/cuenta/entrar/).*$"))
        return page

    return _login
