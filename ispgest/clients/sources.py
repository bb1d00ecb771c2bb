"""Where a new client can come from, besides a blank form (a CRM prospect being converted).

A higher app registers a `ClientSource` in its AppConfig.ready(). The new-client page
(`clients:create?<param>=<id>`) then opens prefilled with `initial(row)`, shows `banner(row)`,
and after `client_create` succeeds calls `attach(actor=, row=, client=)` inside the same
transaction, so the client and whatever the source moves to it commit together (an error in
`attach` rolls the client back and is shown on the form).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class ClientSource:
    param: str  # query parameter naming the source row, e.g. "prospecto"
    load: Callable  # (request, raw id) -> row; raises Http404 when the user may not see it
    initial: Callable  # (row) -> {client field: value} for the form
    banner: Callable  # (row) -> text shown above the form
    attach: Callable  # (*, actor, row, client) -> None, inside the create transaction


SOURCES: dict[str, ClientSource] = {}


def register(source: ClientSource) -> None:
    SOURCES[source.param] = source


def source_of(request):
    """(source, row) named in the request's query string, or None."""
    for param, source in SOURCES.items():
        raw = request.GET.get(param)
        if raw:
            return source, source.load(request, raw)
    return None
