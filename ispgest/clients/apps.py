from django.apps import AppConfig
from django.db.models.signals import post_migrate


def _ensure_guards(sender, using="default", **kwargs):
    from django.db import connections

    from ispgest.clients.dbguards import ensure_sqlite_guards
    from ispgest.clients.searchsync import ensure_sqlite_triggers

    ensure_sqlite_guards(connections[using])
    ensure_sqlite_triggers(connections[using])


class ClientsConfig(AppConfig):
    name = "ispgest.clients"
    label = "clients"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        post_migrate.connect(_ensure_guards, sender=self, dispatch_uid="ispgest_client_guards")
