from django.core.management.base import BaseCommand, CommandError

from ispgest.accounts.models import User
from ispgest.accounts.services import api_token_create


class Command(BaseCommand):
    help = "Crea un token de API para USERNAME y lo imprime como última palabra de la salida."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--name", default="cli")
        parser.add_argument(
            "--scope",
            action="append",
            dest="scopes",
            help="all (por defecto), read, o un dominio (clients, billing:read...); repetible",
        )
        parser.add_argument("--days", type=int, help="caduca en tantos días")

    def handle(self, username, name, scopes=None, days=None, **options):
        from datetime import timedelta

        from django.core.exceptions import ValidationError
        from django.utils import timezone

        try:
            user = User.objects.get(username=username, is_active=True)
        except User.DoesNotExist:
            raise CommandError(f"No existe un usuario activo «{username}».")
        expires_at = timezone.now() + timedelta(days=days) if days else None
        try:
            _token, raw = api_token_create(
                user=user, name=name, scopes=scopes, expires_at=expires_at
            )
        except ValidationError as exc:
            raise CommandError(" ".join(m for ms in exc.message_dict.values() for m in ms))
        self.stdout.write(f"Token de API para {username}: {raw}")
