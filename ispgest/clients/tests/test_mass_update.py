"""Actualización masiva: all or nothing, one history row per changed client, permissions."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from ispgest.accounts.roles import BILLING
from ispgest.catalog.models import City, Collector, Neighbourhood, Zone
from ispgest.clients.mass_update import clients_mass_update, mass_update_preview
from ispgest.clients.models import Client, ClientEvent
from ispgest.clients.tasks import start_mass_update


def make(name, **extra) -> Client:
    client = Client(name=name, **extra)
    client.refresh_search_fields()
    client.save()
    return client


@pytest.mark.django_db
def test_it_changes_the_collector_with_one_history_row_per_changed_client(admin_user):
    old, new = Collector.objects.create(name="Viejo"), Collector.objects.create(name="Nuevo")
    a, b = make("Ana", collector=old), make("Bea", collector=old)
    same = make("Ceci", collector=new)
    targets = Client.objects.filter(pk__in=[a.pk, b.pk, same.pk])
    preview = mass_update_preview(targets, {"collector": new.pk})
    assert preview == {"selected": 3, "changing": 2, "errors": {}}
    result = clients_mass_update(actor=admin_user, targets=targets, changes={"collector": new})
    assert (result.selected, result.changed) == (3, 2)
    assert set(Client.objects.values_list("collector_id", flat=True)) == {new.pk}
    events = ClientEvent.objects.filter(action="client.mass_updated")
    assert sorted(e.client_id for e in events) == [a.pk, b.pk]
    assert events[0].changes == {"Recaudador": ["Viejo", "Nuevo"]}
    assert events[0].actor == admin_user
    a.refresh_from_db()
    assert a.sort_name == "ana" and a.search_text.startswith("ana")


@pytest.mark.django_db
def test_it_rolls_back_every_client_when_one_would_become_invalid(admin_user):
    north, south = City.objects.create(name="Norte"), City.objects.create(name="Sur")
    hood = Neighbourhood.objects.create(name="Centro", city=north)
    ok = make("Bien", city=north)
    bad = make("Mal", city=south)
    zone = Zone.objects.create(name="Z1")
    with pytest.raises(ValidationError) as exc:
        clients_mass_update(
            actor=admin_user,
            targets=[ok.pk, bad.pk],
            changes={"neighbourhood": hood.pk, "zone": zone.pk},
        )
    assert "Barrio" in str(exc.value) and "Mal" in str(exc.value)
    assert not Client.objects.filter(neighbourhood=hood).exists()
    assert not Client.objects.filter(zone=zone).exists()
    assert not ClientEvent.objects.filter(action="client.mass_updated").exists()


@pytest.mark.django_db
def test_it_refuses_an_inactive_catalog_value(admin_user):
    gone = Collector.objects.create(name="De baja", active=False)
    client = make("Uno")
    with pytest.raises(ValidationError):
        clients_mass_update(actor=admin_user, targets=[client.pk], changes={"collector": gone.pk})


@pytest.mark.django_db
def test_only_administrators_run_mass_updates(make_user):
    clerk = make_user(BILLING)
    client = make("Uno")
    collector = Collector.objects.create(name="R")
    with pytest.raises(PermissionDenied):
        clients_mass_update(actor=clerk, targets=[client.pk], changes={"collector": collector.pk})
    with pytest.raises(PermissionDenied):
        start_mass_update(actor=clerk, filters={}, changes={"collector": collector.pk})


@pytest.mark.django_db
def test_large_sets_run_as_a_background_job(
    admin_user, monkeypatch, smtp_server, django_capture_on_commit_callbacks
):
    from ispgest.clients import tasks
    from ispgest.core.models import Job

    monkeypatch.setattr(tasks, "SYNC_MASS_UPDATE_LIMIT", 2)
    collector = Collector.objects.create(name="Nuevo")
    for i in range(4):
        make(f"Cliente {i}")
    with django_capture_on_commit_callbacks(execute=True):
        job = start_mass_update(
            actor=admin_user, filters={"q": "cliente"}, changes={"collector": collector.pk}
        )
    job = Job.objects.get(pk=job.pk)
    assert job.status == Job.Status.DONE and job.result == {"selected": 4, "changed": 4}
    assert Client.objects.filter(collector=collector).count() == 4
    assert any("Actualización masiva" in m.subject for m in smtp_server.received)


@pytest.mark.django_db
def test_the_page_previews_then_applies_to_all_matching_clients(admin_client):
    collector = Collector.objects.create(name="Nuevo")
    make("Pérez Uno")
    make("Pérez Dos")
    make("Gómez")
    url = reverse("clients:mass_update") + "?q=perez"
    response = admin_client.post(url, {"scope": "all", "collector": collector.pk, "preview": "1"})
    assert "Se modificarán 2 de 2 clientes" in response.content.decode()
    response = admin_client.post(url, {"scope": "all", "collector": collector.pk, "confirm": "1"})
    assert response.status_code == 302
    assert sorted(Client.objects.filter(collector=collector).values_list("name", flat=True)) == [
        "Pérez Dos",
        "Pérez Uno",
    ]


@pytest.mark.django_db
def test_chunked_updates_change_every_client_once(
    admin_user, monkeypatch, django_capture_on_commit_callbacks
):
    from ispgest.clients import mass_update

    monkeypatch.setattr(mass_update, "CHUNK", 2)
    collector = Collector.objects.create(name="Nuevo")
    clients = [make(f"Cliente {i}") for i in range(5)]
    with django_capture_on_commit_callbacks(execute=True):
        result = clients_mass_update(
            actor=admin_user, targets=[c.pk for c in clients], changes={"collector": collector}
        )
    assert (result.selected, result.changed) == (5, 5)
    assert Client.objects.filter(collector=collector).count() == 5
    events = ClientEvent.objects.filter(action="client.mass_updated")
    assert sorted(e.client_id for e in events) == sorted(c.pk for c in clients)
    assert {e.summary for e in events} == {"Actualización masiva: Recaudador"}
    # Found by search right after (the trigram entries were merged after the commit).
    assert Client.objects.filter(search_text__contains="cliente 3").count() == 1


@pytest.mark.django_db
def test_the_preview_lists_the_clients_that_would_fail_before_anything_is_applied(admin_client):
    """The preview validates every selected client with the apply step's own code, so it
    never promises a change that the apply then refuses."""
    from lxml import html as lxml_html

    north, south = City.objects.create(name="Norte"), City.objects.create(name="Sur")
    hood = Neighbourhood.objects.create(name="Centro", city=north)
    ok1, ok2 = make("Bien Uno", city=north), make("Bien Dos", city=north)
    bad = make("Mal Tres", city=south)
    url = reverse("clients:mass_update")
    response = admin_client.post(
        url,
        {"scope": "ids", "ids": [ok1.pk, ok2.pk, bad.pk], "neighbourhood": hood.pk, "preview": "1"},
    )
    page = lxml_html.fromstring(response.content.decode())
    problems = page.xpath("string(//*[@id='mass-preview-errors'])")
    assert "Mal Tres" in problems and "Barrio" in problems
    assert not page.xpath("//button[@id='mass-confirm']")
    assert not Client.objects.filter(neighbourhood=hood).exists()
