"""System checks of the scheduled jobs declared by every app (run by `manage.py check`,
`migrate` and `scheduler`), so a bad declaration fails at start-up, not at 03:00."""

from __future__ import annotations

import inspect

from django.core import checks
from django.utils.module_loading import import_string
from django_tasks.base import Task


@checks.register()
def check_scheduled_jobs(app_configs=None, **kwargs):
    from ispgest.core.schedule import scheduled_jobs

    errors = []
    try:
        jobs = scheduled_jobs()
    except (LookupError, ValueError) as exc:
        return [checks.Error(f"Tareas programadas: {exc}", id="ops.E001")]
    for name, job in jobs.items():
        try:
            target = import_string(job.task)
        except ImportError as exc:
            errors.append(
                checks.Error(
                    f"La tarea programada «{name}» apunta a {job.task}, que no existe ({exc}).",
                    id="ops.E002",
                )
            )
            continue
        if not isinstance(target, Task):
            errors.append(
                checks.Error(
                    f"La tarea programada «{name}»: {job.task} no es una tarea de django-tasks "
                    "(falta el decorador @task()).",
                    id="ops.E003",
                )
            )
            continue
        required = [
            p
            for p in inspect.signature(target.func).parameters.values()
            if p.default is inspect.Parameter.empty
            and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)
        ]
        if required:
            errors.append(
                checks.Error(
                    f"La tarea programada «{name}»: {job.task} no debe pedir argumentos.",
                    id="ops.E004",
                )
            )
    return errors
