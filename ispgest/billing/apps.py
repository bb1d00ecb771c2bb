from django.apps import AppConfig


class BillingConfig(AppConfig):
    name = "ispgest.billing"
    label = "billing"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from ispgest.billing import autorun, selectors, signals, stats
        from ispgest.billing import panels as billing_panels
        from ispgest.clients import panels, registry
        from ispgest.network import cutoff, receivers

        panels.register(billing_panels)
        registry.register_billing(selectors.client_registry_lookups())
        stats.connect()
        autorun.connect()
        # Network's cut-off reads the overdue documents, and a payment may restore service.
        cutoff.register_overdue_documents(selectors.overdue_payable_documents)
        signals.payment_registered.connect(
            receivers.on_payment_registered, dispatch_uid="network.payment_registered"
        )
