"""The client's "Correo" and "Repositorio" sections (seed 004).

A fixed number of queries whatever the size of the log or the repository: the newest rows
(capped) and, for the repository, its tags. Their contexts are lazy, so a section costs
nothing until it is shown.
"""

from __future__ import annotations

from django.utils.translation import gettext as _

from ispgest.clients.notifications import manual_recipients
from ispgest.clients.panels import Panel

MAIL_LOG_LIMIT = 50
REPOSITORY_LIMIT = 100


def client_panels(request, client) -> list[Panel]:
    user = request.user
    panels = []
    if user.has_perm("messaging.view_emailmessage"):
        panels.append(
            Panel(
                key="correo",
                title=_("Correo"),
                template="messaging/_mail_panel.html",
                context=lambda: _mail_context(request, client),
                order=80,
            )
        )
    if user.has_perm("messaging.view_repositoryfile"):
        panels.append(
            Panel(
                key="repositorio",
                title=_("Repositorio"),
                template="messaging/_repository_panel.html",
                context=lambda: _repository_context(request, client),
                order=90,
            )
        )
    return panels


def _mail_context(request, client) -> dict:
    from ispgest.messaging import selectors
    from ispgest.messaging.forms import ClientMailForm
    from ispgest.messaging.mail import PLACEHOLDERS, template_for_client
    from ispgest.messaging.models import EmailMessage, MailTemplate

    user = request.user
    direction = request.GET.get("direccion", "")
    status = request.GET.get("estado", "")
    messages = list(
        selectors.client_messages(client.pk, direction=direction, status=status).select_related(
            "thread"
        )[:MAIL_LOG_LIMIT]
    )
    can_send = user.has_perm("messaging.add_emailmessage")
    templates, chosen, form = [], None, None
    if can_send and client.email and client.send_manual_emails:
        templates = list(MailTemplate.objects.filter(active=True).only("pk", "name"))
        initial = {}
        chosen_id = request.GET.get("plantilla", "")
        chosen = next((t for t in templates if str(t.pk) == chosen_id), None)
        if chosen is not None:
            chosen = MailTemplate.objects.get(pk=chosen.pk)
            initial["subject"], initial["body"] = template_for_client(chosen, client)
        form = ClientMailForm(client=client, initial=initial)
    return {
        "mail_log": messages,
        "mail_limit": MAIL_LOG_LIMIT,
        "mail_form": form,
        "mail_recipients": manual_recipients(client),
        "can_send_mail": can_send,
        "mail_templates": templates,
        "mail_template": chosen,
        "placeholders": PLACEHOLDERS,
        "directions": EmailMessage.Direction.choices,
        "statuses": EmailMessage.Status.choices,
        "direction": direction,
        "status": status,
    }


def _repository_context(request, client) -> dict:
    from ispgest.messaging import repository
    from ispgest.messaging.forms import RepositoryUploadForm

    user = request.user
    tag = (request.GET.get("etiqueta") or "").strip()
    query = (request.GET.get("q") or "").strip()
    hidden = request.GET.get("ocultos") == "1" and user.has_perm("messaging.delete_repositoryfile")
    files = list(
        repository.client_repository_files(client.pk, tag=tag, query=query, hidden=hidden)[
            : REPOSITORY_LIMIT + 1
        ]
    )
    tags = repository.client_repository_tags(client.pk)
    can_upload = user.has_perm("messaging.add_repositoryfile")
    return {
        "files": files[:REPOSITORY_LIMIT],
        "more": len(files) > REPOSITORY_LIMIT,
        "limit": REPOSITORY_LIMIT,
        "tags": tags,
        "offered_tags": tags + [t for t in repository.DEFAULT_TAGS if t not in tags],
        "tag": tag,
        "query": query,
        "hidden": hidden,
        "upload_form": RepositoryUploadForm() if can_upload else None,
        "can_hide": user.has_perm("messaging.change_repositoryfile"),
        "can_purge": user.has_perm("messaging.delete_repositoryfile"),
    }
