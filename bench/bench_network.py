"""Pushing BENCH_SECRETS (default 10000) PPPoE secrets to one router and reconciling them.

The router is the RouterOS API peer of the tests (ispgest/network/testing/peer.py) on a
loopback port, reached through librouteros exactly as a real router. Inside one transaction
that is rolled back at the end the bench makes one router with a pool, one plan, and
BENCH_SECRETS clients, contracts and PPPoE accounts, then:

1. `network_push_secrets`: `sync.sync_router` (one print of the router's secrets, the adds
   pipelined 500 per round trip, one UPDATE per chunk recording what was applied, matched
   by id and pushed version); baseline: the same adds sent one command at a time to a
   second, empty peer (one round trip each, no database): ratio = sync / one-at-a-time;
2. `network_reconcile`: `reconcile.compare` over the 10k (one print, compared with the
   database's accounts); baseline: the bare print of the 10k secrets.
"""

from __future__ import annotations

import os
import sys
import time
from datetime import date
from decimal import Decimal


class _Rollback(Exception):
    pass


def run(ctx):
    from django.db import transaction

    from ispgest.clients.models import Client
    from ispgest.contracts.models import Contract, Plan
    from ispgest.core import secrets
    from ispgest.network import reconcile, routeros, services, sync
    from ispgest.network.models import IPPool, PPPoEAccount, Router
    from ispgest.network.testing.peer import RouterOSPeer

    n = int(os.environ.get("BENCH_SECRETS", "10000"))
    peer = RouterOSPeer(username="api", password="bench-pass").start()
    baseline_peer = RouterOSPeer(username="api", password="bench-pass").start()
    figures = []
    try:
        with transaction.atomic():
            router = Router.objects.create(
                name="bench-router",
                host="127.0.0.1",
                api_port=peer.port,
                username="api",
                password_encrypted=secrets.encrypt("bench-pass"),
                timeout_seconds=60,
            )
            IPPool.objects.create(
                router=router,
                name="bench",
                network="100.64.0.0/16",
                ranges="100.64.0.10-100.64.255.250",
            )
            plan = Plan.objects.create(
                name="bench-plan-network",
                price=Decimal("10"),
                download_kbps=50_000,
                upload_kbps=5_000,
            )
            clients = Client.objects.bulk_create(
                [Client(name=f"Bench Red {i}") for i in range(n)], batch_size=2000
            )
            contracts = Contract.objects.bulk_create(
                [
                    Contract(
                        client=c,
                        plan=plan,
                        address="x",
                        start_date=date(2024, 1, 1),
                        status="active",
                    )
                    for c in clients
                ],
                batch_size=2000,
            )
            token = secrets.encrypt("clave-cliente")
            PPPoEAccount.objects.bulk_create(
                [
                    PPPoEAccount(
                        contract=c,
                        client_id=c.client_id,
                        router=router,
                        username=f"bench{i:05d}",
                        password_encrypted=token,
                    )
                    for i, c in enumerate(contracts)
                ],
                batch_size=2000,
            )
            print(f"network: {n} accounts ready; pushing", file=sys.stderr, flush=True)
            services.Router.objects.filter(pk=router.pk).update(sync_needed=True)
            t0 = time.perf_counter()
            outcome = sync.sync_router(router.pk)
            push = time.perf_counter() - t0
            assert outcome == "done", outcome
            assert len(peer.state.rows["/ppp/secret"]) == n
            assert not PPPoEAccount.objects.filter(router=router, sync_status="pending").exists()

            cfg = routeros.ConnectionSettings(
                "127.0.0.1", baseline_peer.port, "api", "bench-pass", timeout=60
            )
            t0 = time.perf_counter()
            with routeros.session(cfg) as client:
                for i in range(n):
                    client.add(
                        "/ppp/secret",
                        name=f"bench{i:05d}",
                        password="clave-cliente",
                        service="pppoe",
                        profile="bench-plan-network",
                        comment=f"ispgest:c{i}",
                    )
            one_by_one = time.perf_counter() - t0
            figures.append(
                ctx.figure(
                    "network_push_secrets",
                    push,
                    "s",
                    sql=one_by_one,
                    secrets=n,
                    baseline="one command at a time, no database",
                )
            )

            t0 = time.perf_counter()
            report = reconcile.compare(router)
            rec = time.perf_counter() - t0
            assert report.counts == {"missing": 0, "unknown": 0, "different": 0}, report.counts
            t0 = time.perf_counter()
            with routeros.session(router) as client:
                rows = client.print("/ppp/secret")
            bare = time.perf_counter() - t0
            assert len(rows) == n
            figures.append(
                ctx.figure(
                    "network_reconcile",
                    rec,
                    "s",
                    sql=bare,
                    secrets=n,
                    baseline="bare print of the router's secrets",
                )
            )
            raise _Rollback
    except _Rollback:
        pass
    finally:
        peer.stop()
        baseline_peer.stop()
    yield from figures
