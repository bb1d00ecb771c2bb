from django.apps import AppConfig


class ContractsConfig(AppConfig):
    name = "ispgest.contracts"
    label = "contracts"
    default_auto_field = "django.db.models.BigAutoField"
