import os
import secrets

from django.contrib.auth.models import Group
from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.db import transaction

from ispgest.accounts.models import User
from ispgest.accounts.roles import ADMIN
from ispgest.catalog.defaults import install_country_defaults


class Command(BaseCommand):
    help = "Prepara una instalación: administrador, catálogos del país y datos de demostración la primera vez."

    def add_arguments(self, parser):
        parser.add_argument(
            "--demo-clients", type=int, default=int(os.environ.get("ISPGEST_DEMO_CLIENTS", 300))
        )
        parser.add_argument("--no-demo", action="store_true")

    def handle(self, demo_clients, no_demo, **options):
        from django.conf import settings

        install_country_defaults()
        password = os.environ.get("ISPGEST_ADMIN_PASSWORD")
        with transaction.atomic():
            admin = User.objects.filter(username="admin").first()
            created = admin is None
            if created:
                password = password or secrets.token_urlsafe(12)
                admin = User.objects.create_superuser("admin", "admin@ispgest.local", password)
                admin.groups.add(*Group.objects.filter(name=ADMIN))
            elif password and not admin.check_password(password):
                admin.set_password(password)
                admin.save(update_fields=["password"])
        from ispgest.clients.models import Client

        if not no_demo and not Client.objects.exists():
            self.stdout.write(f"Cargando datos de demostración ({demo_clients} clientes)…")
            call_command("demo_data", clients=demo_clients, stdout=self.stdout)
        port = os.environ.get("PORT", "8000")
        self.stdout.write(
            self.style.SUCCESS(
                f"ispgest listo en http://127.0.0.1:{port}/ (país {settings.ISPGEST_COUNTRY})"
            )
        )
        if created:
            self.stdout.write(f"Usuario: admin  Contraseña: {password}")
        else:
            self.stdout.write(
                "Usuario: admin  (contraseña ya establecida; ISPGEST_ADMIN_PASSWORD la cambia)"
            )
