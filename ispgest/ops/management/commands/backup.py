from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from ispgest.ops.backup import BackupError, backup_create


class Command(BaseCommand):
    help = (
        "Copia de seguridad: la base de datos y los archivos en un solo archivo .tar.gz, en "
        "ISPGEST_BACKUP_DIR, conservando las ISPGEST_BACKUP_KEEP más recientes."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--dir", type=Path, help="Carpeta de destino (por defecto la configurada)."
        )
        parser.add_argument("--keep", type=int, help="Cuántas copias conservar.")

    def handle(self, *args, dir=None, keep=None, **options):
        try:
            result = backup_create(folder=dir, keep=keep)
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        counts = result.manifest["counts"]
        self.stdout.write(
            f"Copia escrita: {result.path} ({result.size / 1024 / 1024:.1f} MB; "
            f"{sum(counts.values())} filas en {len(counts)} tablas, "
            f"{result.manifest['media_files']} archivos)."
        )
        for old in result.deleted:
            self.stdout.write(f"Borrada por antigüedad: {old}")
