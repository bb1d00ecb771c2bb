import os
import signal
import subprocess
import sys

from django.conf import settings
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = (
        "Sirve la web (gunicorn), el trabajador de tareas y el programador de tareas juntos; "
        "Ctrl-C detiene los tres."
    )

    def handle(self, **options):
        port = os.environ.get("PORT", "8000")
        procs = [
            subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "gunicorn",
                    "ispgest.wsgi:application",
                    "--bind",
                    f"127.0.0.1:{port}",
                    "--workers",
                    os.environ.get("WEB_CONCURRENCY", "2"),
                    "--threads",
                    "4",
                    "--access-logfile",
                    "-",
                    "--graceful-timeout",
                    "5",
                ]
            )
        ]
        backend = settings.TASKS["default"]["BACKEND"]
        if backend.startswith("django_tasks_db"):
            procs.append(
                subprocess.Popen(
                    [sys.executable, "manage.py", "db_worker", "--queue-name", "*", "--no-reload"]
                )
            )
        elif backend.startswith("django_tasks_rq"):
            procs.append(subprocess.Popen([sys.executable, "manage.py", "rqworker", "default"]))
        # The scheduler only enqueues due jobs (ispgest.ops); the worker above runs them.
        procs.append(subprocess.Popen([sys.executable, "manage.py", "scheduler"]))

        def stop(*_):
            for p in procs:
                if p.poll() is None:
                    p.terminate()

        signal.signal(signal.SIGINT, stop)
        signal.signal(signal.SIGTERM, stop)
        try:
            while all(p.poll() is None for p in procs):
                try:
                    procs[0].wait(timeout=1)
                except subprocess.TimeoutExpired:
                    continue
        finally:
            stop()
            for p in procs:
                try:
                    p.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    p.kill()
