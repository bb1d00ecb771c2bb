from django.apps import AppConfig


class WebhooksConfig(AppConfig):
    name = "ispgest.webhooks"
    label = "webhooks"
    default_auto_field = "django.db.models.BigAutoField"
    verbose_name = "Webhooks"

    def ready(self) -> None:
        from ispgest.webhooks import receivers

        receivers.connect()
