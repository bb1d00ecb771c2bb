from django.apps import AppConfig


class MessagingConfig(AppConfig):
    name = "ispgest.messaging"
    label = "messaging"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from ispgest.clients import panels
        from ispgest.messaging import panels as messaging_panels
        from ispgest.messaging import receivers  # noqa: F401  (connects the receivers)

        panels.register(messaging_panels)
