from django.apps import AppConfig


class CrmConfig(AppConfig):
    name = "ispgest.crm"
    label = "crm"
    default_auto_field = "django.db.models.BigAutoField"
    verbose_name = "CRM"

    def ready(self):
        from ispgest.clients import panels
        from ispgest.clients.sources import ClientSource, register
        from ispgest.crm import conversion
        from ispgest.crm import panels as crm_panels

        panels.register(crm_panels)

        register(
            ClientSource(
                param="prospecto",
                load=conversion.load_prospect,
                initial=conversion.client_initial,
                banner=conversion.banner,
                attach=conversion.attach,
            )
        )
