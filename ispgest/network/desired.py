"""What a router should hold, computed from the database: IP pools, one PPP profile per
active plan plus the no-service profile, and one secret per PPPoE account.

Everything ispgest creates on a router carries `MARKER` at the start of its comment, so a
secret made by hand is told apart and never changed without an explicit confirmation.
"""

from __future__ import annotations

import ipaddress
import re

from ispgest.network.models import IPPool, PPPoEAccount, Router

MARKER = "ispgest:"
NO_SERVICE_PROFILE = "ispgest-sin-conexion"


def parse_ranges(text: str) -> list[tuple[int, int]]:
    """'10.0.0.10-10.0.0.50, 10.0.1.0/24' -> [(start, end), ...] as integers.

    Raises ValueError with a Spanish message."""
    out = []
    for part in (p.strip() for p in text.split(",")):
        if not part:
            continue
        try:
            if "/" in part:
                net = ipaddress.IPv4Network(part, strict=False)
                out.append((int(net.network_address), int(net.broadcast_address)))
            elif "-" in part:
                a, b = (ipaddress.IPv4Address(x.strip()) for x in part.split("-", 1))
                if int(a) > int(b):
                    raise ValueError(f"El rango «{part}» empieza después de terminar.")
                out.append((int(a), int(b)))
            else:
                a = ipaddress.IPv4Address(part)
                out.append((int(a), int(a)))
        except ipaddress.AddressValueError:
            raise ValueError(f"«{part}» no es una dirección IPv4 ni un rango válido.") from None
        except ipaddress.NetmaskValueError:
            raise ValueError(f"«{part}» tiene una máscara no válida.") from None
    if not out:
        raise ValueError("Indique al menos un rango.")
    return out


def router_ranges(text: str) -> str:
    """The ranges as RouterOS writes them ('a-b,c-d')."""
    parts = []
    for a, b in parse_ranges(text):
        first, last = ipaddress.IPv4Address(a), ipaddress.IPv4Address(b)
        parts.append(str(first) if a == b else f"{first}-{last}")
    return ",".join(parts)


def profile_name(plan) -> str:
    return re.sub(r"[^\w.-]+", "-", plan.name, flags=re.ASCII).strip("-")[:60] or f"plan-{plan.pk}"


def rate_limit(plan) -> str:
    """RouterOS rate-limit: rx/tx as the router sees them, so rx is the client's upload."""
    up, down = plan.upload_kbps, plan.download_kbps
    if not up and not down:
        return ""
    text = f"{up}k/{down}k"
    if plan.burst_upload_kbps or plan.burst_download_kbps:
        bu = plan.burst_upload_kbps or up
        bd = plan.burst_download_kbps or down
        tu = plan.burst_threshold_upload_kbps or up * 3 // 4
        td = plan.burst_threshold_download_kbps or down * 3 // 4
        t = plan.burst_time_seconds or 8
        text += f" {bu}k/{bd}k {tu}k/{td}k {t}/{t} {plan.priority}"
    return text


def service_pool(pools: list[IPPool]) -> IPPool | None:
    return next((p for p in pools if not p.no_service), None)


def no_service_pool(pools: list[IPPool]) -> IPPool | None:
    return next((p for p in pools if p.no_service), None)


def desired_pools(router: Router, pools: list[IPPool]) -> dict[str, dict]:
    return {
        p.name: {"name": p.name, "ranges": router_ranges(p.ranges), "comment": MARKER + "pool"}
        for p in pools
    }


def desired_profiles(router: Router, pools: list[IPPool], plans) -> dict[str, dict]:
    svc = service_pool(pools)
    out = {}
    for plan in plans:
        name = profile_name(plan)
        row = {
            "name": name,
            "rate-limit": rate_limit(plan),
            "only-one": "yes",
            "comment": f"{MARKER}plan:{plan.pk}",
        }
        if svc:
            row["remote-address"] = svc.name
        out[name] = row
    ns = no_service_pool(pools)
    if ns:
        row = {
            "name": NO_SERVICE_PROFILE,
            "remote-address": ns.name,
            "only-one": "yes",
            "comment": MARKER + "sin-conexion",
        }
        if ns.address_list:
            row["address-list"] = ns.address_list
        out[NO_SERVICE_PROFILE] = row
    return out


def secret_comment(account: PPPoEAccount) -> str:
    return f"{MARKER}c{account.contract_id}"


def desired_secret(account: PPPoEAccount, password: str, plan) -> dict[str, str]:
    """The /ppp/secret row of an account (contract and plan already loaded)."""
    return {
        "name": account.username,
        "password": password,
        "service": "pppoe",
        "profile": NO_SERVICE_PROFILE if account.suspended else profile_name(plan),
        # A static IP would defeat the no-service pool: cleared while suspended.
        "remote-address": "" if account.suspended or not account.static_ip else account.static_ip,
        "disabled": "false",
        "comment": secret_comment(account),
    }


def is_managed(row: dict) -> bool:
    return str(row.get("comment", "")).startswith(MARKER)


COMPARED = ("password", "profile", "remote-address", "disabled", "service")


def normalize(value) -> str:
    if value is True:
        return "true"
    if value is False:
        return "false"
    text = str(value if value is not None else "")
    return {"yes": "true", "no": "false"}.get(text, text)


def differences(want: dict, have: dict, fields=COMPARED) -> dict[str, tuple[str, str]]:
    """{field: (router's value, database's value)} for the fields that differ."""
    out = {}
    for f in fields:
        if f not in want:
            continue
        a, b = normalize(have.get(f, "")), normalize(want[f])
        if a != b:
            out[f] = (a, b)
    return out
