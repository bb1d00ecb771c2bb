"""Clients are never deleted and automatic history never changes: model, queryset, database
(raw SQL), admin; and two concurrent saves of one e-mail end in one client and a field error."""

import threading
import time

import pytest
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.db import DatabaseError, connection, connections, transaction
from django.test import RequestFactory

from ispgest.clients.models import (
    Client,
    ClientEvent,
    ClientRowDeletionError,
    ImmutableEventError,
)
from ispgest.clients.services import _save, client_create

pytestmark = pytest.mark.django_db


def test_the_model_refuses_to_delete_a_client(make_client):
    c = make_client()
    with pytest.raises(ClientRowDeletionError):
        c.delete()
    assert Client.objects.filter(pk=c.pk).exists()


def test_the_queryset_refuses_to_delete_clients(make_client):
    make_client()
    with pytest.raises(ClientRowDeletionError):
        Client.objects.all().delete()
    assert Client.objects.count() == 1


def test_the_database_refuses_a_raw_delete(make_client):
    c = make_client()
    with pytest.raises(DatabaseError) as exc:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("DELETE FROM clients_client WHERE id = %s", [c.pk])
    assert "no se borran" in str(exc.value)
    assert Client.objects.filter(pk=c.pk).exists()


def test_the_database_refuses_to_change_or_delete_automatic_history(make_client):
    c = make_client()
    event = ClientEvent.objects.get(client=c)
    with pytest.raises(DatabaseError):
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("UPDATE clients_clientevent SET summary = 'x' WHERE id = %s", [event.pk])
    with pytest.raises(DatabaseError):
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("DELETE FROM clients_clientevent WHERE id = %s", [event.pk])
    with pytest.raises(ImmutableEventError):
        event.summary = "otro"
        event.save()
    with pytest.raises(ImmutableEventError):
        ClientEvent.objects.filter(pk=event.pk).delete()
    event.refresh_from_db()
    assert event.summary.startswith("Cliente creado")


def test_the_admin_cannot_delete_clients(admin_user):
    model_admin = admin.site._registry[Client]
    request = RequestFactory().get("/")
    request.user = admin_user
    assert model_admin.has_delete_permission(request) is False
    assert "delete_selected" not in model_admin.get_actions(request)


def test_a_unique_violation_at_save_time_becomes_an_email_field_error(make_client):
    """What the loser of a race meets: validation passed, the unique index refuses."""
    make_client(email="misma@example.com")
    late = Client(name="Tarde", email="MISMA@example.com")
    late.refresh_search_fields()
    with pytest.raises(ValidationError) as exc:
        with transaction.atomic():
            _save(late, email=late.email)
    assert "ya lo usa otro cliente" in exc.value.message_dict["email"][0]
    assert Client.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_saves_of_one_email_leave_one_client_and_a_field_error(cat, admin_user):
    """Two real connections: the second insert waits on the unique index while the first
    transaction is open, then its IntegrityError becomes an error on the e-mail field.

    The SQLite test database is in memory with a shared cache, where a second writer fails
    at once ("table is locked") instead of waiting, so there the two saves run one after the
    other; the overlapping case is the PostgreSQL run (CI runs both).
    """
    overlap = connection.vendor == "postgresql"
    started = threading.Event()
    results: dict[str, object] = {}

    def first():
        try:
            with transaction.atomic():
                client_create(actor=None, data={"name": "Primero", "email": "misma@example.com"})
                started.set()
                if overlap:
                    time.sleep(0.8)
            results["first"] = "ok"
        except Exception as exc:  # recorded for the assertion below
            results["first"] = exc
        finally:
            started.set()
            connections.close_all()

    def second():
        started.wait(5)
        try:
            client_create(actor=None, data={"name": "Segundo", "email": "MISMA@example.com"})
            results["second"] = "ok"
        except Exception as exc:
            results["second"] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for t in threads:
        t.start()
        if not overlap:
            t.join(30)
    for t in threads:
        t.join(30)
    assert results["first"] == "ok"
    err = results["second"]
    assert isinstance(err, ValidationError), err
    assert "email" in err.error_dict
    assert "ya lo usa otro cliente" in str(err)
    assert Client.objects.filter(email__iexact="misma@example.com").count() == 1
