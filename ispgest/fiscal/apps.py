from django.apps import AppConfig


class FiscalConfig(AppConfig):
    name = "ispgest.fiscal"
    label = "fiscal"
    default_auto_field = "django.db.models.BigAutoField"
    verbose_name = "Facturación electrónica"

    def ready(self) -> None:
        from ispgest.billing import signals
        from ispgest.fiscal import hooks, regimes
        from ispgest.fiscal.verifactu.adapter import VERIFACTU

        regimes.register(VERIFACTU)
        signals.documents_issued.connect(
            hooks.on_documents_issued, dispatch_uid="fiscal.documents_issued"
        )
        for registry, fn in (
            (signals.draft_checks, hooks.check_drafts),
            (signals.document_marks, hooks.document_marks),
            (signals.document_panels, hooks.document_panels),
        ):
            if fn not in registry:
                registry.append(fn)
