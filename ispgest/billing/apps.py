from django.apps import AppConfig


class BillingConfig(AppConfig):
    name = "ispgest.billing"
    label = "billing"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from ispgest.billing import autorun, selectors, stats
        from ispgest.billing import panels as billing_panels
        from ispgest.clients import panels, registry

        panels.register(billing_panels)
        registry.register_billing(selectors.client_registry_lookups())
        stats.connect()
        autorun.connect()
