from django.apps import AppConfig


class TicketsConfig(AppConfig):
    name = "ispgest.tickets"
    label = "tickets"
    default_auto_field = "django.db.models.BigAutoField"
    verbose_name = "Tickets"

    def ready(self):
        from ispgest.messaging.signals import email_received
        from ispgest.tickets.inbound import on_email_received

        email_received.connect(on_email_received, dispatch_uid="tickets.inbound")
