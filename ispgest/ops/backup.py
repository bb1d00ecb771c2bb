"""Backup and restore: one archive holding the database and the media files.

`backup_create()` (`manage.py backup`, scheduled job `ops.backup`) writes
`ispgest-backup-YYYYmmdd-HHMMSS.tar.gz` into ISPGEST_BACKUP_DIR (mode 0600) with

- `manifest.json`: format version, date, database vendor, ispgest version, the row count of
  every table and a SHA-256 of the invoices (id, kind, number, amounts, state, client), so a
  restore can prove it got back what was saved;
- the database, consistent at one instant while the system runs: SQLite through its online
  backup API (`sqlite3.Connection.backup`, never a copy of the live file), PostgreSQL with
  `pg_dump --format=custom` (one snapshot);
- `media/`: the uploaded and generated files (MEDIA_ROOT), copied after the database
  snapshot, so every file the database names is there.

The archive is written under a temporary name and renamed when complete; then only the
ISPGEST_BACKUP_KEEP newest archives are kept.

`restore_archive()` (`manage.py restore ARCHIVE`) refuses a database that has any table
(restore goes into a new, empty database: createdb / a new SQLite file) or a media folder
with files, and an archive of the other database vendor; it checks every member's path
before extracting, restores (SQLite backup API / `pg_restore --single-transaction
--exit-on-error`), copies the media files back, and compares the row counts and the
invoice checksum with the manifest.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from django.apps import apps
from django.conf import settings
from django.db import connections
from django.utils import timezone

FORMAT = 1
PREFIX = "ispgest-backup-"
SUFFIX = ".tar.gz"


class BackupError(Exception):
    """A backup or restore that cannot go on; the message is for people, in Spanish."""


# --- what a database holds ------------------------------------------------------------------


def _tables(alias: str = "default") -> list[str]:
    """Every table of an installed model (concrete, managed), sorted."""
    names = set()
    for model in apps.get_models(include_auto_created=True):
        meta = model._meta
        if meta.managed and not meta.proxy and not meta.swapped:
            names.add(meta.db_table)
    existing = set(connections[alias].introspection.table_names())
    return sorted(names & existing)


def fingerprint(alias: str = "default") -> dict:
    """{"counts": {table: rows}, "invoices_sha256": hex} of the database `alias`."""
    conn = connections[alias]
    counts = {}
    with conn.cursor() as cursor:
        for table in _tables(alias):
            cursor.execute(f"SELECT COUNT(*) FROM {conn.ops.quote_name(table)}")
            counts[table] = cursor.fetchone()[0]
    digest = hashlib.sha256()
    if "billing_invoice" in counts:
        with conn.cursor() as cursor:
            cursor.execute(
                "SELECT id, kind, number_display, total, paid_amount, credited_amount, status, "
                "client_id FROM billing_invoice ORDER BY id"
            )
            while rows := cursor.fetchmany(5000):
                for row in rows:
                    digest.update(("|".join(str(v) for v in row) + "\n").encode())
    return {"counts": counts, "invoices_sha256": digest.hexdigest()}


# --- backup ---------------------------------------------------------------------------------


def backup_dir() -> Path:
    return Path(settings.ISPGEST_BACKUP_DIR)


def archives(folder: Path | None = None) -> list[Path]:
    """The backup archives in `folder`, newest first."""
    folder = folder or backup_dir()
    if not folder.is_dir():
        return []
    return sorted(
        (p for p in folder.iterdir() if p.name.startswith(PREFIX) and p.name.endswith(SUFFIX)),
        # "...-HHMMSS" < "...-HHMMSS-02" (a second archive in the same second).
        key=lambda p: p.name[: -len(SUFFIX)],
        reverse=True,
    )


def _pg_env(db: dict) -> tuple[list[str], dict]:
    args = []
    if db.get("HOST"):
        args += ["--host", str(db["HOST"])]
    if db.get("PORT"):
        args += ["--port", str(db["PORT"])]
    if db.get("USER"):
        args += ["--username", str(db["USER"])]
    env = dict(os.environ)
    if db.get("PASSWORD"):
        env["PGPASSWORD"] = str(db["PASSWORD"])
    return args, env


def _run(command: list[str], env: dict, what: str) -> None:
    if shutil.which(command[0]) is None:
        raise BackupError(
            f"No se encuentra {command[0]}: instale el cliente de PostgreSQL "
            "(paquete postgresql-client)."
        )
    done = subprocess.run(command, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise BackupError(f"{what} falló: {done.stderr.strip()[-2000:]}")


def _dump_database(target: Path) -> str:
    """Write the database to `target`; returns the member name it goes by in the archive."""
    conn = connections["default"]
    if conn.vendor == "sqlite":
        conn.ensure_connection()
        destination = sqlite3.connect(target)
        try:
            conn.connection.backup(destination)
        finally:
            destination.close()
        return "database.sqlite3"
    if conn.vendor == "postgresql":
        db = conn.settings_dict
        args, env = _pg_env(db)
        _run(
            [
                "pg_dump",
                *args,
                "--format=custom",
                "--no-owner",
                "--no-privileges",
                "--file",
                str(target),
                db["NAME"],
            ],
            env,
            "pg_dump",
        )
        return "database.pgdump"
    raise BackupError(f"No hay copia de seguridad para la base de datos «{conn.vendor}».")


@dataclass
class BackupResult:
    path: Path
    size: int
    deleted: list[Path]
    manifest: dict


def backup_create(*, folder: Path | None = None, keep: int | None = None) -> BackupResult:
    """Write one archive and apply the retention count; returns what was done."""
    if connections["default"].in_atomic_block:
        # SQLite's backup would wait for this very transaction; PostgreSQL's pg_dump would
        # not see its uncommitted rows. A backup is its own unit of work.
        raise BackupError("La copia de seguridad no se hace dentro de una transacción.")
    folder = Path(folder or backup_dir())
    keep = settings.ISPGEST_BACKUP_KEEP if keep is None else keep
    if keep < 1:
        raise BackupError("La cantidad de copias a conservar debe ser al menos 1.")
    folder.mkdir(parents=True, exist_ok=True)
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M%S")
    final = folder / f"{PREFIX}{stamp}{SUFFIX}"
    n = 1
    while final.exists():
        n += 1
        final = folder / f"{PREFIX}{stamp}-{n:02d}{SUFFIX}"
    media = Path(settings.MEDIA_ROOT)
    with tempfile.TemporaryDirectory(dir=folder, prefix=".work-") as work:
        work = Path(work)
        snapshot = work / "database"
        member = _dump_database(snapshot)
        manifest = {
            "format": FORMAT,
            "created_at": timezone.now().isoformat(),
            "vendor": connections["default"].vendor,
            "version": settings.VERSION,
            "database": member,
            **fingerprint(),
        }
        manifest["media_files"] = 0
        partial = folder / f".{final.name}.partial"
        fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as raw, tarfile.open(fileobj=raw, mode="w:gz") as tar:
            tar.add(snapshot, arcname=member)
            if media.is_dir():
                for path in sorted(media.rglob("*")):
                    if path.is_file() and not path.is_symlink():
                        tar.add(path, arcname=f"media/{path.relative_to(media).as_posix()}")
                        manifest["media_files"] += 1
            data = json.dumps(manifest, indent=2, sort_keys=True).encode()
            info = tarfile.TarInfo("manifest.json")
            info.size = len(data)
            info.mtime = int(timezone.now().timestamp())
            tar.addfile(info, fileobj=_bytes(data))
        os.replace(partial, final)
    deleted = []
    for old in archives(folder)[keep:]:
        old.unlink()
        deleted.append(old)
    return BackupResult(final, final.stat().st_size, deleted, manifest)


def _bytes(data: bytes):
    import io

    return io.BytesIO(data)


# --- restore --------------------------------------------------------------------------------


def _safe_members(tar: tarfile.TarFile) -> list[tarfile.TarInfo]:
    members = tar.getmembers()
    for m in members:
        path = PurePosixPath(m.name)
        if path.is_absolute() or ".." in path.parts or not (m.isfile() or m.isdir()):
            raise BackupError(f"El archivo contiene una entrada no permitida: «{m.name}».")
    return members


def read_manifest(archive: Path) -> dict:
    try:
        with tarfile.open(archive, "r:gz") as tar:
            _safe_members(tar)
            member = tar.extractfile("manifest.json")
            manifest = json.loads(member.read()) if member else None
    except (tarfile.TarError, OSError, KeyError, ValueError) as exc:
        raise BackupError(
            f"«{archive}» no es una copia de seguridad de ispgest legible ({exc})."
        ) from exc
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise BackupError(
            f"«{archive}» no es una copia de seguridad de ispgest (formato {FORMAT})."
        )
    return manifest


def target_tables(alias: str = "default") -> list[str]:
    """Every table in the target database (not only ispgest's)."""
    return list(connections[alias].introspection.table_names())


def restore_archive(archive: Path, *, alias: str = "default") -> dict:
    """Restore `archive` into the empty database `alias` and MEDIA_ROOT; returns the
    fingerprint of the restored database (equal to the manifest's, or BackupError)."""
    archive = Path(archive)
    if not archive.is_file():
        raise BackupError(f"No existe el archivo «{archive}».")
    manifest = read_manifest(archive)
    conn = connections[alias]
    if manifest["vendor"] != conn.vendor:
        raise BackupError(
            f"La copia es de una base {manifest['vendor']} y la de destino es {conn.vendor}: "
            "restáurela en una base del mismo tipo."
        )
    tables = target_tables(alias)
    if tables:
        raise BackupError(
            f"La base de datos de destino no está vacía (tiene {len(tables)} tablas): la "
            "restauración solo se hace en una base nueva y vacía, para no mezclar datos."
        )
    media = Path(settings.MEDIA_ROOT)
    if media.is_dir() and any(p.is_file() for p in media.rglob("*")):
        raise BackupError(
            f"La carpeta de archivos «{media}» no está vacía: restaure en una carpeta nueva."
        )
    with tempfile.TemporaryDirectory(prefix="ispgest-restore-") as work:
        work = Path(work)
        with tarfile.open(archive, "r:gz") as tar:
            members = _safe_members(tar)
            extra = {"filter": "data"} if hasattr(tarfile, "data_filter") else {}
            tar.extractall(work, members=members, **extra)  # noqa: S202 - members checked
        _load_database(work / manifest["database"], conn)
        source_media = work / "media"
        if source_media.is_dir():
            media.mkdir(parents=True, exist_ok=True)
            shutil.copytree(source_media, media, dirs_exist_ok=True)
    conn.close()
    got = fingerprint(alias)
    expected = {"counts": manifest["counts"], "invoices_sha256": manifest["invoices_sha256"]}
    if got != expected:
        differing = sorted(
            t
            for t in set(got["counts"]) | set(expected["counts"])
            if got["counts"].get(t) != expected["counts"].get(t)
        )
        raise BackupError(
            "La base restaurada no coincide con la copia"
            + (f" (tablas: {', '.join(differing[:10])})" if differing else " (facturas)")
            + "."
        )
    return got


def _load_database(dump: Path, conn) -> None:
    if conn.vendor == "sqlite":
        conn.close()
        target = conn.settings_dict["NAME"]
        source = sqlite3.connect(dump)
        destination = sqlite3.connect(target)
        try:
            source.backup(destination)
        finally:
            source.close()
            destination.close()
        return
    db = conn.settings_dict
    args, env = _pg_env(db)
    conn.close()
    _run(
        [
            "pg_restore",
            *args,
            "--no-owner",
            "--no-privileges",
            "--single-transaction",
            "--exit-on-error",
            "--dbname",
            db["NAME"],
            str(dump),
        ],
        env,
        "pg_restore",
    )
