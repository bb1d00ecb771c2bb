"""Health checks other apps add to `/healthz`.

Core knows the database and the task queue; higher apps register what they run (the
scheduler's heartbeat is registered by `ispgest.ops`) so core never imports them:

    from ispgest.core.health import register_check
    register_check("scheduler", scheduler_health)

A check is a function returning a JSON-able dict with a "status" key ("ok" or anything
else). A check registered with `critical=True` that does not answer "ok" turns the whole
probe unhealthy (HTTP 503); others are reported only. A check that raises is reported as
{"status": "error", "error": <exception class>}.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class HealthCheck:
    name: str
    check: Callable[[], dict]
    critical: bool = True


_CHECKS: dict[str, HealthCheck] = {}


def register_check(name: str, check: Callable[[], dict], *, critical: bool = True) -> None:
    """Add (or replace) the check `name`; call it from an AppConfig.ready()."""
    _CHECKS[name] = HealthCheck(name, check, critical)


def run_checks() -> tuple[dict[str, dict], bool]:
    """({name: result}, healthy) for every registered check."""
    results: dict[str, dict] = {}
    healthy = True
    for item in _CHECKS.values():
        try:
            result = item.check()
        except Exception as exc:  # a broken check is reported, never crashes the probe
            result = {"status": "error", "error": type(exc).__name__}
        results[item.name] = result
        if item.critical and result.get("status") != "ok":
            healthy = False
    return results, healthy
