"""Background work of the CRM: thin tasks calling services."""

from django_tasks import task

from ispgest.crm import services


@task()
def send_activity_digests() -> int:
    """The morning e-mail of "Mis próximas actuaciones" (once per user and day)."""
    return services.activity_digest_send()
