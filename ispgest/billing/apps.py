from django.apps import AppConfig


class BillingConfig(AppConfig):
    name = "ispgest.billing"
    label = "billing"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from ispgest.billing import autorun, stats

        stats.connect()
        autorun.connect()
