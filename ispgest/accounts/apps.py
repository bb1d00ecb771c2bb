from django.apps import AppConfig
from django.contrib.auth.signals import user_logged_in
from django.db.models.signals import post_migrate


def _remember_language(sender, request, user, **kwargs):
    from ispgest.accounts.middleware import SESSION_KEY

    request.session[SESSION_KEY] = user.language


def _sync_roles(sender, **kwargs):
    from django.apps import apps

    from ispgest.accounts.roles import sync_roles

    # post_migrate is sent once per app that has a models module; permissions of every app
    # exist only after the last of those.
    with_models = [a for a in apps.get_app_configs() if a.models_module is not None]
    if sender is with_models[-1]:
        sync_roles()


class AccountsConfig(AppConfig):
    name = "ispgest.accounts"
    label = "accounts"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        post_migrate.connect(_sync_roles, dispatch_uid="ispgest_sync_roles")
        user_logged_in.connect(_remember_language, dispatch_uid="ispgest_remember_language")
