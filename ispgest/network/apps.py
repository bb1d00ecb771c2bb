from django.apps import AppConfig


class NetworkConfig(AppConfig):
    name = "ispgest.network"
    label = "network"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from ispgest.clients import panels
        from ispgest.contracts import signals
        from ispgest.network import panels as network_panels
        from ispgest.network import receivers

        panels.register(network_panels)

        signals.contract_status_changed.connect(
            receivers.on_contract_status_changed, dispatch_uid="network.contract_status"
        )
        signals.contract_plan_changed.connect(
            receivers.on_contract_plan_changed, dispatch_uid="network.contract_plan"
        )
        signals.plan_saved.connect(receivers.on_plan_saved, dispatch_uid="network.plan_saved")
