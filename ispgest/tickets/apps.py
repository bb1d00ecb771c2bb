from django.apps import AppConfig


class TicketsConfig(AppConfig):
    name = "ispgest.tickets"
    label = "tickets"
    default_auto_field = "django.db.models.BigAutoField"
    verbose_name = "Tickets"

    def ready(self):
        from ispgest.clients import panels
        from ispgest.messaging.signals import email_received
        from ispgest.tickets import panels as ticket_panels
        from ispgest.tickets.inbound import on_email_received

        panels.register(ticket_panels)
        email_received.connect(on_email_received, dispatch_uid="tickets.inbound")
