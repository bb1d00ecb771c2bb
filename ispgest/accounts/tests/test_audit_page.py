"""The "Auditoría" page: administrators read who changed what (old -> new), filtered; other
roles get 403. The services it shows write their rows in their own transaction."""

from datetime import timedelta

import pytest
from django.utils import timezone

from ispgest.accounts import services as account_services
from ispgest.catalog.models import Zone
from ispgest.catalog.services import catalog_row_create, catalog_row_update
from ispgest.core.models import AuditEntry

pytestmark = pytest.mark.django_db

URL = "/configuracion/auditoria/"


def test_catalog_and_staff_changes_leave_old_and_new_values(admin_user):
    zone = catalog_row_create(actor=admin_user, model=Zone, data={"name": "Norte"})
    catalog_row_update(actor=admin_user, instance=zone, data={"name": "Norte Alto"})
    entry = AuditEntry.objects.get(action="zone.updated")
    assert entry.actor == admin_user and entry.object_id == str(zone.pk)
    assert entry.changes["Nombre"] == ["Norte", "Norte Alto"]
    user = account_services.staff_user_create(
        actor=admin_user, username="tecnico1", password="clave-segura-2026", role="Técnico"
    )
    account_services.staff_user_update(
        actor=admin_user,
        user=user,
        role="Facturación",
        first_name="",
        last_name="",
        email="",
    )
    role = AuditEntry.objects.get(action="user.role_changed")
    assert role.changes["Rol"] == ["Técnico", "Facturación"]


def test_administrators_filter_the_trail_and_other_roles_get_403(client, admin_user, make_user):
    zone = catalog_row_create(actor=admin_user, model=Zone, data={"name": "Sur"})
    catalog_row_update(actor=admin_user, instance=zone, data={"name": "Sur Lejano"})
    other = make_user("Facturación")
    catalog_row_create(actor=other, model=Zone, data={"name": "Este"})
    client.force_login(admin_user)
    page = client.get(URL, {"actor": admin_user.pk, "action": "zone.updated"})
    assert page.status_code == 200
    html = page.content.decode()
    assert "Sur Lejano" in html and "zone.updated" in html
    assert "Este" not in html
    assert '<label class="form-label" for="id_actor">' in html
    tomorrow = (timezone.localdate() + timedelta(days=1)).isoformat()
    assert "Sur Lejano" not in client.get(URL, {"since": tomorrow}).content.decode()
    client.force_login(other)
    assert client.get(URL).status_code == 403
