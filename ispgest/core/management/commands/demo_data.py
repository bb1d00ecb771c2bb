"""Deterministic, realistic demo data, built by each domain app's `demo.py`.

Each app that has data to show defines `ispgest/<app>/demo.py` with
`generate(ctx: DemoContext) -> None`; they run in INSTALLED_APPS order (the layer order) and share `ctx`
(the random generator, the sizes, and what earlier apps made, e.g. ctx.data["client_ids"]).
Writes use bulk inserts so 100k clients take well under two minutes.
"""

import random
import time
from dataclasses import dataclass, field

from django.core.management.base import BaseCommand

from ispgest.core.country import get_profile
from ispgest.core.modules import app_modules


@dataclass
class DemoContext:
    clients: int
    seed: int
    country: str
    rng: random.Random
    stdout: object
    data: dict = field(default_factory=dict)

    def log(self, text: str) -> None:
        self.stdout.write(text)


class Command(BaseCommand):
    help = (
        "Genera datos de demostración deterministas (por semilla) para el país de la instalación."
    )

    def add_arguments(self, parser):
        parser.add_argument("--clients", type=int, default=300)
        parser.add_argument("--seed", type=int, default=2026)
        parser.add_argument("--country", default=None)

    def handle(self, clients, seed, country, **options):
        from ispgest.catalog.defaults import install_country_defaults

        profile = get_profile(country)
        install_country_defaults(profile.code)
        ctx = DemoContext(
            clients=clients,
            seed=seed,
            country=profile.code,
            rng=random.Random(seed),
            stdout=self.stdout,
        )
        for module in app_modules("demo"):
            started = time.monotonic()
            module.generate(ctx)
            app = module.__name__.split(".")[1]
            self.stdout.write(f"  {app}: {time.monotonic() - started:.1f} s")
        self.stdout.write(
            self.style.SUCCESS(
                f"Datos de demostración listos ({clients} clientes, semilla {seed})."
            )
        )
