from datetime import timedelta

import pytest

from ispgest.core.audit import audit
from ispgest.core.models import AuditEntry, ImmutableRowError
from ispgest.core.schedule import ScheduledJob

pytestmark = pytest.mark.django_db


def test_it_records_who_did_what_to_which_object(admin_user):
    entry = audit(
        actor=admin_user,
        action="user.updated",
        obj=admin_user,
        summary="Usuario modificado",
        changes={"E-mail": ["a@isp.test", "b@isp.test"]},
    )
    entry.refresh_from_db()
    assert entry.actor_label == "jefa"
    assert entry.object_type == "accounts.user"
    assert entry.object_id == str(admin_user.pk)
    assert entry.changes == {"E-mail": ["a@isp.test", "b@isp.test"]}


def test_it_names_the_system_when_no_user_acted():
    entry = audit(actor=None, action="job.ran", object_type="ops.job", object_id="x")
    assert entry.actor is None and entry.actor_label == "sistema"


def test_audit_entries_are_never_edited_nor_deleted(admin_user):
    entry = audit(actor=admin_user, action="x.y", object_type="t", object_id="1")
    entry.summary = "otro"
    with pytest.raises(ImmutableRowError):
        entry.save()
    with pytest.raises(ImmutableRowError):
        entry.delete()
    assert AuditEntry.objects.get(pk=entry.pk).summary == ""


def test_a_job_needs_exactly_one_of_cron_and_interval():
    with pytest.raises(ValueError):
        ScheduledJob(name="a", title="A", task="x.y")
    with pytest.raises(ValueError):
        ScheduledJob(name="a", title="A", task="x.y", cron="* * * * *", every=timedelta(1))
    assert ScheduledJob(name="a", title="A", task="x.y", every=timedelta(minutes=5)).every


def test_the_isp_identity_is_one_row_with_defaults():
    from ispgest.core.identity import isp_identity

    first = isp_identity()
    first.name = "Red Sur"
    first.save()
    assert isp_identity().name == "Red Sur"
    assert type(first).objects.count() == 1
