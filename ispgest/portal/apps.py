from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "ispgest.portal"
    label = "portal"
    verbose_name = "Portal de clientes"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from ispgest.clients import panels
        from ispgest.portal import auth  # noqa: F401  (connects the staff-login receiver)
        from ispgest.portal import panels as portal_panels

        panels.register(portal_panels)
