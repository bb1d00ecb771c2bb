from django.apps import AppConfig


class ContractsConfig(AppConfig):
    name = "ispgest.contracts"
    label = "contracts"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from ispgest.clients import panels, registry
        from ispgest.contracts import panels as contract_panels
        from ispgest.contracts import selectors

        panels.register(contract_panels)
        registry.register_contracts(selectors.client_registry_lookups())
