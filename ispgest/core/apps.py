from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "ispgest.core"
    label = "core"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from ispgest.core import lookups

        lookups.register()
