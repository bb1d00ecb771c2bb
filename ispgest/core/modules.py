"""The same-named module of every installed ispgest app: its `jobs`, `dashboard`, `demo`,
`permissions`."""

from __future__ import annotations

from collections.abc import Iterator
from importlib import import_module
from types import ModuleType


def app_modules(name: str) -> Iterator[ModuleType]:
    """`ispgest.<app>.<name>` of each installed ispgest app that has one, in INSTALLED_APPS
    order (the layer order). An app without that module is skipped; an error raised while
    importing one that is there (a broken import inside it, a missing dependency) propagates.
    """
    from django.apps import apps

    for config in apps.get_app_configs():
        if not config.name.startswith("ispgest."):
            continue
        module_name = f"{config.name}.{name}"
        try:
            module = import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name != module_name:
                raise
            continue
        yield module
