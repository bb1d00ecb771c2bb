"""Tasks the scheduler tests declare as jobs: they leave a trace in the database."""

from django_tasks import task

from ispgest.core.audit import audit


@task()
def note() -> str:
    audit(actor=None, action="test.job_ran", object_type="test", object_id="note")
    return "hecho"


@task()
def explode() -> None:
    audit(actor=None, action="test.job_exploded", object_type="test", object_id="explode")
    raise RuntimeError("la base externa no responde")
