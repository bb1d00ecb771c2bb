from django.core.management.base import BaseCommand, CommandError

from ispgest.accounts.models import User
from ispgest.accounts.services import api_token_create


class Command(BaseCommand):
    help = "Crea un token de API para USERNAME y lo imprime como última palabra de la salida."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--name", default="cli")

    def handle(self, username, name, **options):
        try:
            user = User.objects.get(username=username, is_active=True)
        except User.DoesNotExist:
            raise CommandError(f"No existe un usuario activo «{username}».")
        _token, raw = api_token_create(user=user, name=name)
        self.stdout.write(f"Token de API para {username}: {raw}")
