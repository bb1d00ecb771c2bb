"""After the demo data: the dashboard's summary rows, so Inicio shows figures at once.

The apps' demo loaders write in bulk, around the services that keep the summary rows, and
the scheduler's refresh jobs first fire a slot after they are deployed. Without this step a
fresh `make run` would show "—" for minutes and no collections until the nightly rebuild.
"""

from __future__ import annotations


def generate(ctx) -> None:
    from ispgest.billing.stats import rebuild_monthly_money, refresh_money_tallies
    from ispgest.clients.stats import refresh_client_tallies

    refresh_client_tallies()
    rebuild_monthly_money()
    refresh_money_tallies()
    ctx.log("  panel de Inicio: cifras calculadas")
