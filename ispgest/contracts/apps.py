from django.apps import AppConfig


class ContractsConfig(AppConfig):
    name = "ispgest.contracts"
    label = "contracts"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from ispgest.clients import importing, panels, registry
        from ispgest.clients.models import DataImport
        from ispgest.contracts import panels as contract_panels
        from ispgest.contracts import selectors
        from ispgest.contracts.importing import ContractSpec

        panels.register(contract_panels)
        importing.register_spec(DataImport.Kind.CONTRACTS, ContractSpec)
        registry.register_contracts(selectors.client_registry_lookups())
