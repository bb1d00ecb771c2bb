from django.apps import AppConfig


class OpsConfig(AppConfig):
    name = "ispgest.ops"
    label = "ops"
    default_auto_field = "django.db.models.BigAutoField"
