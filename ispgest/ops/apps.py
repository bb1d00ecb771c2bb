from django.apps import AppConfig


class OpsConfig(AppConfig):
    name = "ispgest.ops"
    label = "ops"
    default_auto_field = "django.db.models.BigAutoField"
    verbose_name = "Operaciones"

    def ready(self):
        from ispgest.core.health import register_check
        from ispgest.ops import checks  # noqa: F401  (system checks of the job declarations)
        from ispgest.ops.selectors import scheduler_health

        register_check("scheduler", scheduler_health)
