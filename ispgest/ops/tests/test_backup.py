"""Backup and restore, round trip on the database the suite runs on (SQLite or PostgreSQL):
back up, restore into a fresh database in another process, compare every table's row count
and a checksum of the invoices, and the media files."""

import io
import json
import os
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.management import call_command
from django.db import connection

from ispgest.billing import services
from ispgest.billing.services import LineInput
from ispgest.billing.tests.factories import make_client, method, setup_billing
from ispgest.core.models import Job
from ispgest.ops.backup import BackupError, archives, backup_create, fingerprint, restore_archive

ROOT = Path(__file__).resolve().parents[3]


def _data():
    entity = setup_billing()
    for i in range(5):
        client = make_client(entity, email=f"r{i}@cliente.test", name=f"Restaurable {i}")
        inv = services.document_create(
            actor=None, client=client, lines=[LineInput("Abono", "1", f"{100 + i}")], notify=False
        )
        if i % 2:
            services.payment_register(
                actor=None,
                client=client,
                method=method("cash"),
                amount="50",
                invoices=[inv],
                notify=False,
            )
    job = Job.objects.create(kind="clients.export", status=Job.Status.DONE)
    job.result_file.save("clientes.xlsx", ContentFile(b"PK\x03\x04 contenido exportado"))
    return job


def _target(tmp_path):
    """DATABASE_URL of a new, empty database of the suite's vendor, and its cleanup."""
    if connection.vendor == "sqlite":
        return f"sqlite:///{tmp_path / 'restored.sqlite3'}", lambda: None
    import psycopg

    db = connection.settings_dict
    name = f"{db['NAME']}_restore"
    admin = f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/postgres"
    with psycopg.connect(admin, autocommit=True) as pg:
        pg.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        pg.execute(f'CREATE DATABASE "{name}"')

    def drop():
        with psycopg.connect(admin, autocommit=True) as pg:
            pg.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    return admin.rsplit("/", 1)[0] + f"/{name}", drop


def _in_process(url: str, media: Path, code: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "DATABASE_URL": url, "ISPGEST_MEDIA_ROOT": str(media)}
    env["DJANGO_SETTINGS_MODULE"] = "ispgest.settings"
    return subprocess.run(
        [sys.executable, *code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300
    )


@pytest.mark.django_db(transaction=True)
def test_a_backup_restores_into_a_fresh_database_with_the_same_rows_invoices_and_files(
    tmp_path, settings
):
    job = _data()
    before = fingerprint()
    assert before["counts"]["billing_invoice"] == 5 and before["counts"]["billing_payment"] == 2
    call_command("backup", dir=tmp_path / "copias", stdout=io.StringIO())
    (archive,) = archives(tmp_path / "copias")
    assert oct(archive.stat().st_mode & 0o777) == "0o600"
    url, drop = _target(tmp_path)
    media = tmp_path / "restored-media"
    try:
        done = _in_process(url, media, ["manage.py", "restore", str(archive)])
        assert done.returncode == 0, done.stderr
        assert "filas y facturas comprobadas" in done.stdout
        probe = _in_process(
            url,
            media,
            [
                "-c",
                "import django, json; django.setup(); "
                "from ispgest.ops.backup import fingerprint; print(json.dumps(fingerprint()))",
            ],
        )
        assert probe.returncode == 0, probe.stderr
        after = json.loads(probe.stdout.strip().splitlines()[-1])
        assert after == before
        restored = media / job.result_file.name
        assert restored.read_bytes() == b"PK\x03\x04 contenido exportado"
        # Restoring again over what is now a full database is refused.
        again = _in_process(url, tmp_path / "otra", ["manage.py", "restore", str(archive)])
        assert again.returncode != 0 and "no está vacía" in again.stderr
    finally:
        drop()


@pytest.mark.django_db(transaction=True)
def test_restoring_into_a_database_that_is_not_empty_is_refused(tmp_path):
    result = backup_create(folder=tmp_path)
    with pytest.raises(BackupError, match="no está vacía"):
        restore_archive(result.path)


@pytest.mark.django_db(transaction=True)
def test_only_the_newest_archives_are_kept(tmp_path):
    first = backup_create(folder=tmp_path, keep=2)
    second = backup_create(folder=tmp_path, keep=2)
    third = backup_create(folder=tmp_path, keep=2)
    assert third.deleted == [first.path]
    assert archives(tmp_path) == [third.path, second.path]
    assert not list(tmp_path.glob(".*"))  # no partial file or work folder left behind
    with pytest.raises(BackupError, match="al menos 1"):
        backup_create(folder=tmp_path, keep=0)


@pytest.mark.django_db
def test_a_backup_inside_a_transaction_is_refused(tmp_path):
    with pytest.raises(BackupError, match="dentro de una transacción"):
        backup_create(folder=tmp_path)
    assert archives(tmp_path) == []


def _archive_with(tmp_path, manifest: dict, extra: dict[str, bytes] | None = None) -> Path:
    path = tmp_path / "ispgest-backup-20260101-000000.tar.gz"
    with tarfile.open(path, "w:gz") as tar:
        for name, data in {"manifest.json": json.dumps(manifest).encode(), **(extra or {})}.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return path


@pytest.mark.django_db
def test_an_archive_of_the_other_database_or_with_unsafe_paths_is_refused(tmp_path):
    other = "postgresql" if connection.vendor == "sqlite" else "sqlite"
    wrong_vendor = _archive_with(tmp_path, {"format": 1, "vendor": other})
    with pytest.raises(BackupError, match="restáurela en una base del mismo tipo"):
        restore_archive(wrong_vendor)
    evil = _archive_with(
        tmp_path, {"format": 1, "vendor": connection.vendor}, {"../../etc/cron.d/x": b"boom"}
    )
    with pytest.raises(BackupError, match="entrada no permitida"):
        restore_archive(evil)
    not_ours = tmp_path / "otra-cosa.tar.gz"
    not_ours.write_bytes(b"esto no es un tar")
    with pytest.raises(BackupError, match="no es una copia de seguridad de ispgest"):
        restore_archive(not_ours)
    with pytest.raises(BackupError, match="No existe el archivo"):
        restore_archive(tmp_path / "no-existe.tar.gz")


def test_the_daily_backup_job_is_declared_switched_off():
    from ispgest.core.schedule import scheduled_jobs

    job = scheduled_jobs()["ops.backup"]
    assert job.enabled is False and job.cron == "30 3 * * *"
    assert settings.ISPGEST_BACKUP_KEEP == 7
