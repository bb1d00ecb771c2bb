"""The client's workspace: one page per client with a fixed header, a section navigation
and a main area that shows a section ("Vista general", each app's panel, "Historial") or an
action's form (new contract, payment, wallet deposit...).

Every page of the workspace is a full page, so a reload or a link works; its navigation and
action links ask htmx to swap only the main area (`hx-select`), so moving between sections
keeps the header in place. An action view renders its usual template inside the workspace
with `render_in_workspace(...)` and, once done, returns to its section with
`back_to_section(...)`.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.http import Http404, HttpResponseRedirect
from django.shortcuts import render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.translation import gettext as _

from ispgest.clients.models import Client
from ispgest.clients.panels import (
    GROUPS,
    ClientAction,
    HeaderFact,
    Panel,
    client_actions,
    client_header_facts,
    client_panels,
)

GENERAL = "general"
HISTORY = "historial"
# Action templates extend `base_template`: standalone they extend base.html, inside the
# workspace this one (their content block only).
IN_WORKSPACE = "clients/_in_workspace.html"


def section_url(client_id: int, section: str = "") -> str:
    if not section or section == GENERAL:
        return reverse("clients:detail", args=[client_id])
    return reverse("clients:section", args=[client_id, section])


def back_to_section(client_id: int, section: str = "") -> HttpResponseRedirect:
    """The redirect an action answers with once done: its section, refreshed."""
    return HttpResponseRedirect(section_url(client_id, section))


@dataclass
class NavItem:
    key: str
    title: str
    url: str
    badge: str = ""


@dataclass
class NavGroup:
    title: str
    items: list[NavItem]


def _navigation(client: Client, panels: list[Panel]) -> list[NavGroup]:
    groups: dict[str, list[NavItem]] = {key: [] for key in GROUPS}
    for panel in panels:
        groups.setdefault(panel.group_key, []).append(
            NavItem(panel.key, panel.title, section_url(client.pk, panel.key), panel.badge)
        )
    nav = [NavGroup("", [NavItem(GENERAL, _("Vista general"), section_url(client.pk))])]
    nav += [NavGroup(str(GROUPS.get(key, key)), items) for key, items in groups.items() if items]
    nav.append(NavGroup("", [NavItem(HISTORY, _("Historial"), section_url(client.pk, HISTORY))]))
    return nav


def workspace_context(request, client: Client, section: str) -> dict:
    panels = client_panels(request, client)
    facts: list[HeaderFact] = client_header_facts(request, client)
    actions: list[ClientAction] = client_actions(request, client)
    return {
        "client": client,
        "panels": panels,
        "section": section,
        "nav": _navigation(client, panels),
        "facts": facts,
        "client_actions": actions,
        "in_workspace": True,
    }


def _panel(panels: list[Panel], key: str) -> Panel:
    for panel in panels:
        if panel.key == key:
            return panel
    raise Http404


def render_section(request, client: Client, section: str, *, general: dict | None = None):
    """The page of one section of the workspace (404 for a section the user cannot see)."""
    ctx = workspace_context(request, client, section)
    if section == GENERAL:
        main = render_to_string(
            "clients/_section_general.html", {**ctx, **(general or {})}, request=request
        )
        title = client.name
    elif section == HISTORY:
        main = render_to_string(
            "clients/_section_history.html", {**ctx, **(general or {})}, request=request
        )
        title = _("Historial")
    else:
        panel = _panel(ctx["panels"], section)
        main = render_to_string(
            panel.template,
            {**panel.resolved_context(), "client": client, "panel": panel, "in_workspace": True},
            request=request,
        )
        title = panel.title
    return render(request, "clients/workspace.html", {**ctx, "main_html": main, "title": title})


def render_in_workspace(
    request,
    client: Client,
    template: str,
    context: dict,
    *,
    section: str,
    title: str = "",
    status: int = 200,
):
    """An action's page (its form, its errors) inside the client's workspace, with the
    header and the navigation on the section it belongs to."""
    ctx = workspace_context(request, client, section)
    main = render_to_string(
        template,
        {
            **context,
            "client": client,
            "base_template": IN_WORKSPACE,
            "in_workspace": True,
            "back": section_url(client.pk, section),
        },
        request=request,
    )
    return render(
        request,
        "clients/workspace.html",
        {**ctx, "main_html": main, "title": title or client.name},
        status=status,
    )
