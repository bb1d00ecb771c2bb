"""Every service that takes `actor` leaves an audit row: the test reads the source of each
app's services and fails naming the service that writes none.

A service counts as audited when it calls `core.audit.audit`/`audit_many`, the client
history's `record_event` (which writes the audit entry too, unless told `audit_entry=False`
because the caller writes its own), or another function of the project that is audited.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
WRITERS = {"audit", "audit_many", "record_event"}

# Services that take `actor` but change no data; each says why.
READ_ONLY = {
    "ispgest.clients.services.client_message_send": "sends an e-mail, logged by messaging",
    "ispgest.network.services.router_probe": "reads the router; keeps the version it reports",
    "ispgest.network.services.pppoe_retry": "asks for the next sync now; the data is unchanged",
    "ispgest.webhooks.services.send_test": "a test delivery; its event and delivery rows log it",
    "ispgest.clients.tasks.start_export": "queues an export (a read); its Job records who asked",
}


def _modules():
    for path in sorted(ROOT.glob("*/**/*.py")):
        parts = path.relative_to(ROOT).parts
        if "tests" in parts or "migrations" in parts:
            continue
        yield "ispgest." + ".".join(path.relative_to(ROOT).with_suffix("").parts), path


def _imports(tree: ast.Module, module: str) -> dict[str, str]:
    """{local name: dotted target} of every `import`/`from ... import` in the module."""
    names = {}
    package = module.rsplit(".", 1)[0]
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join(package.split(".")[: len(package.split(".")) - node.level + 1])
                base = f"{base}.{node.module}" if node.module else base
            for alias in node.names:
                names[alias.asname or alias.name] = f"{base}.{alias.name}"
        elif isinstance(node, ast.Import):
            for alias in node.names:
                names[alias.asname or alias.name.split(".")[0]] = alias.name
    return names


def _calls(fn: ast.FunctionDef, module: str, local: set[str], imports: dict) -> set[str]:
    """Dotted names of what `fn` calls (resolved through the module's defs and imports)."""
    out = set()
    for node in ast.walk(fn):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        if isinstance(func, ast.Name):
            name = func.id
            if name == "record_event" and any(
                kw.arg == "audit_entry"
                and isinstance(kw.value, ast.Constant)
                and kw.value.value is False
                for kw in node.keywords
            ):
                continue
            if name in WRITERS:
                out.add("<audit>")
            elif name in local:
                out.add(f"{module}.{name}")
            elif name in imports:
                out.add(imports[name])
        elif isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name):
            if func.attr in WRITERS:
                out.add("<audit>")
            elif func.value.id in imports:
                out.add(f"{imports[func.value.id]}.{func.attr}")
    return out


def _parse(module: str, source: str) -> dict[str, tuple[ast.FunctionDef, set[str]]]:
    tree = ast.parse(source)
    defs = [n for n in tree.body if isinstance(n, ast.FunctionDef)]
    local = {n.name for n in defs}
    imports = _imports(tree, module)
    return {f"{module}.{n.name}": (n, _calls(n, module, local, imports)) for n in defs}


def _functions():
    found = {}
    for module, path in _modules():
        found.update(_parse(module, path.read_text(encoding="utf-8")))
    return found


def _transactional(fn: ast.FunctionDef) -> bool:
    return any("atomic" in ast.unparse(d) for d in fn.decorator_list)


def _services(functions) -> list[str]:
    """Public functions taking `actor` in a services module, and transactional ones taking
    `actor` anywhere else (SEPA, reminders, mail, the repository, imports...)."""
    out = []
    for qualname, (fn, _calls) in functions.items():
        module, name = qualname.rsplit(".", 1)
        in_services = module.split(".")[-1].startswith("services") or ".services." in module
        args = [a.arg for a in fn.args.kwonlyargs + fn.args.args]
        if not name.startswith("_") and "actor" in args and (in_services or _transactional(fn)):
            out.append(qualname)
    return sorted(out)


def _audited(functions) -> set[str]:
    audited = {q for q, (_fn, calls) in functions.items() if "<audit>" in calls}
    grew = True
    while grew:
        grew = False
        for q, (_fn, calls) in functions.items():
            if q not in audited and calls & audited:
                audited.add(q)
                grew = True
    return audited


def test_every_service_taking_an_actor_writes_an_audit_row():
    functions = _functions()
    services = _services(functions)
    assert len(services) > 50  # the walk finds the services
    audited = _audited(functions)
    silent = [s for s in services if s not in audited and s not in READ_ONLY]
    assert silent == [], "Servicios que reciben actor y no dejan registro de auditoría"


def test_the_walk_catches_a_silent_service():
    source = (
        "def thing_update(*, actor, thing):\n    thing.save()\n\n"
        "def thing_create(*, actor, data):\n    audit(actor=actor, action='x')\n\n"
        "def thing_copy(*, actor, thing):\n    return thing_create(actor=actor, data={})\n\n"
        "def thing_quiet(*, actor, client):\n"
        "    record_event(client=client, actor=actor, action='x', summary='', "
        "audit_entry=False)\n"
    )
    functions = _parse("ispgest.demo.services", source)
    audited = _audited(functions)
    assert "ispgest.demo.services.thing_create" in audited
    assert "ispgest.demo.services.thing_copy" in audited
    assert "ispgest.demo.services.thing_update" not in audited
    assert "ispgest.demo.services.thing_quiet" not in audited


def test_the_walk_reaches_transactional_writers_outside_services_modules():
    source = (
        "from django.db import transaction\n\n"
        "@transaction.atomic\ndef batch_create(*, actor, entity):\n    entity.save()\n\n"
        "def batch_preview(*, actor, entity):\n    return entity\n"
    )
    found = _services(_parse("ispgest.demo.sepa", source))
    assert found == ["ispgest.demo.sepa.batch_create"]
    assert "ispgest.billing.sepa.sepa_batch_create" in _services(_functions())
