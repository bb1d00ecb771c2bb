import pytest
from django.db import connection


@pytest.mark.django_db
def test_it_reports_database_and_queue_state(client, settings):
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
