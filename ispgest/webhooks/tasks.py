"""Webhook deliveries as tasks (thin: one attempt of one delivery)."""

from django_tasks import task


@task()
def deliver_task(delivery_id: int) -> str:
    from ispgest.webhooks.services import attempt

    return attempt(delivery_id)


@task()
def retry_due_task() -> int:
    from ispgest.webhooks.services import retry_due

    return retry_due()
