import pytest
from django.db import connection


@pytest.fixture
def no_registered_checks(monkeypatch):
    from ispgest.core import health

    monkeypatch.setattr(health, "_CHECKS", {})


@pytest.mark.django_db
def test_it_reports_database_and_queue_state(client, settings, no_registered_checks):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert body["database"] == {"status": "ok", "vendor": connection.vendor}
    assert body["queue"]["backend"] == "DatabaseBackend"
    assert body["queue"]["pending"] == 0
    assert body["version"]


@pytest.mark.django_db
def test_it_answers_503_when_the_database_is_unreachable(client, monkeypatch):
    def broken(*args, **kwargs):
        raise OSError("connection refused")

    monkeypatch.setattr(connection, "cursor", broken)
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["database"]["status"] == "error"


@pytest.mark.django_db
def test_registered_checks_are_reported_and_critical_ones_decide(client, no_registered_checks):
    from ispgest.core.health import register_check

    register_check("radius", lambda: {"status": "ok", "servers": 2})
    register_check("maps", lambda: {"status": "error"}, critical=False)
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json()["radius"] == {"status": "ok", "servers": 2}
    assert response.json()["maps"] == {"status": "error"}

    def broken():
        raise RuntimeError("boom")

    register_check("radius", broken)
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["status"] == "error"
    assert response.json()["radius"] == {"status": "error", "error": "RuntimeError"}
