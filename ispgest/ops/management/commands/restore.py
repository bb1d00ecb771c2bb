from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from ispgest.ops.backup import BackupError, restore_archive


class Command(BaseCommand):
    help = (
        "Restaura una copia de seguridad (manage.py backup) en una base de datos nueva y vacía "
        "y en la carpeta de archivos (MEDIA_ROOT), y comprueba que coincide con la copia."
    )
    requires_system_checks: list[str] = []
    requires_migrations_checks = False

    def add_arguments(self, parser):
        parser.add_argument("archive", type=Path, help="El archivo .tar.gz de la copia.")

    def handle(self, *args, archive, **options):
        try:
            result = restore_archive(archive)
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        counts = result["counts"]
        self.stdout.write(
            f"Restaurada {archive}: {sum(counts.values())} filas en {len(counts)} tablas; "
            "filas y facturas comprobadas contra la copia. Si el programa es más nuevo que la "
            "copia, ejecute ahora «manage.py migrate»."
        )
