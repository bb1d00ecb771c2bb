"""Webhook deliveries as tasks (thin: one attempt of one delivery, or of each delivery of a
batch in order)."""

from django_tasks import task


@task()
def deliver_task(delivery_id: int) -> str:
    from ispgest.webhooks.services import attempt

    return attempt(delivery_id)


@task()
def deliver_batch_task(delivery_ids: list[int]) -> dict:
    from ispgest.webhooks.services import attempt_many

    return attempt_many(delivery_ids)


@task()
def retry_due_task() -> int:
    from ispgest.webhooks.services import retry_due

    return retry_due()
