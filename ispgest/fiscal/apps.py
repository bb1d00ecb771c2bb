from django.apps import AppConfig


class FiscalConfig(AppConfig):
    name = "ispgest.fiscal"
    label = "fiscal"
    default_auto_field = "django.db.models.BigAutoField"
