from datetime import timedelta

import pytest
from django.core.files.base import ContentFile
from django.utils import timezone

from ispgest.core.models import Job
from ispgest.core.tasks import delete_expired_job_files, expired_job_files_cleanup

pytestmark = pytest.mark.django_db


def _job_with_file(expires_at):
    job = Job.objects.create(kind="clients.export", status=Job.Status.DONE, expires_at=expires_at)
    job.result_file.save("clientes.xlsx", ContentFile(b"PK\x03\x04datos"), save=True)
    return job


def test_it_deletes_expired_export_files_and_keeps_the_rest():
    expired = _job_with_file(timezone.now() - timedelta(minutes=1))
    current = _job_with_file(timezone.now() + timedelta(days=3))
    expired_path = expired.result_file.path
    assert delete_expired_job_files() == 1
    expired.refresh_from_db()
    current.refresh_from_db()
    assert not expired.result_file and expired.status == Job.Status.DONE
    assert current.result_file and current.result_file.storage.exists(current.result_file.name)
    import os

    assert not os.path.exists(expired_path)


def test_a_rerun_finds_nothing_left_to_delete():
    _job_with_file(timezone.now() - timedelta(days=1))
    assert expired_job_files_cleanup.call() == 1
    assert expired_job_files_cleanup.call() == 0


def test_a_file_already_gone_from_disk_is_cleared_too():
    job = _job_with_file(timezone.now() - timedelta(days=1))
    job.result_file.storage.delete(job.result_file.name)
    assert delete_expired_job_files() == 1
    job.refresh_from_db()
    assert not job.result_file
