"""Importar clientes / contratos: upload, column mapping, dry run, import, undo (thin views
over clients/importing.py)."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from ispgest.accounts.decorators import staff_required
from ispgest.clients import importing
from ispgest.clients.models import DataImport

IMPORT_PERMS = ("clients.view_client", "clients.import_client")
ERRORS_PER_PAGE = 100


def _messages(exc: ValidationError) -> list[str]:
    if hasattr(exc, "error_dict"):
        return [m for msgs in exc.message_dict.values() for m in msgs]
    return list(exc.messages)


def _check_kind_perm(request, kind: str) -> None:
    if kind == DataImport.Kind.CONTRACTS and not request.user.has_perm("contracts.add_contract"):
        raise PermissionDenied


@staff_required(*IMPORT_PERMS)
@require_http_methods(["GET", "POST"])
def import_start(request):
    errors: list[str] = []
    kind = request.POST.get("kind") or request.GET.get("kind") or DataImport.Kind.CLIENTS
    if request.method == "POST":
        _check_kind_perm(request, kind)
        try:
            imp = importing.import_upload(
                actor=request.user, uploaded=request.FILES.get("file"), kind=kind
            )
        except ValidationError as exc:
            errors = _messages(exc)
        else:
            return redirect("clients:import_detail", pk=imp.pk)
    recent = DataImport.objects.select_related("created_by")[:20]
    return render(
        request,
        "clients/import_start.html",
        {"errors": errors, "recent": recent, "kind": kind, "kinds": DataImport.Kind.choices},
    )


def _mapping_from_post(request, imp: DataImport) -> dict[str, str]:
    return {str(i): request.POST.get(f"col_{i}", "") for i in range(len(imp.headers))}


@staff_required(*IMPORT_PERMS)
@require_http_methods(["GET", "POST"])
def import_detail(request, pk: int):
    imp = get_object_or_404(DataImport.objects.select_related("job", "created_by"), pk=pk)
    _check_kind_perm(request, imp.kind)
    errors: list[str] = []
    if request.method == "POST":
        action = request.POST.get("action")
        try:
            if action == "check":
                importing.import_set_mapping(
                    actor=request.user, imp=imp, mapping=_mapping_from_post(request, imp)
                )
                importing.import_start_check(actor=request.user, imp=imp)
            elif action == "create_missing":
                created = importing.import_create_missing(actor=request.user, imp=imp)
                if created:
                    messages.success(
                        request,
                        _("Creados: %(list)s. Vuelva a comprobar el archivo.")
                        % {"list": ", ".join(created)},
                    )
                importing.import_start_check(actor=request.user, imp=imp)
            elif action == "run":
                importing.import_start_run(
                    actor=request.user, imp=imp, mode=request.POST.get("mode", "")
                )
            else:
                raise ValidationError(_("Acción desconocida."))
        except ValidationError as exc:
            errors = _messages(exc)
        else:
            return redirect("clients:import_detail", pk=imp.pk)
        imp.refresh_from_db()
    spec = importing.spec_for(imp.kind)
    choices = [("", _("(no importar)"))] + [(f.key, f.label) for f in spec.fields if not f.ignore]
    ignored = {f.key for f in spec.fields if f.ignore}
    columns = [
        {
            "index": i,
            "header": header,
            "selected": imp.mapping.get(str(i), ""),
            "known_ignored": imp.mapping.get(str(i)) in ignored,
        }
        for i, header in enumerate(imp.headers)
    ]
    page = Paginator(imp.errors or [], ERRORS_PER_PAGE).get_page(request.GET.get("page"))
    busy = imp.status in (DataImport.Status.CHECKING, DataImport.Status.IMPORTING)
    creatable = {f.key for f in spec.fields if f.creatable}
    context = {
        "imp": imp,
        "errors": errors,
        "columns": columns,
        "choices": choices,
        "error_page": page,
        "busy": busy,
        "editable": imp.status
        in (DataImport.Status.UPLOADED, DataImport.Status.CHECKED, DataImport.Status.FAILED),
        "missing": [
            (next(f.label for f in spec.fields if f.key == k), names, k in creatable)
            for k, names in (imp.missing or {}).items()
        ],
        "any_creatable": any(k in creatable for k in (imp.missing or {})),
        "modes": DataImport.Mode.choices,
        "can_undo": imp.kind == DataImport.Kind.CLIENTS and imp.status == DataImport.Status.DONE,
    }
    return render(request, "clients/import_detail.html", context)


@staff_required(*IMPORT_PERMS)
@require_POST
def import_undo(request, pk: int):
    imp = get_object_or_404(DataImport, pk=pk)
    try:
        count = importing.import_undo(actor=request.user, imp=imp)
    except ValidationError as exc:
        for msg in _messages(exc):
            messages.error(request, msg)
    else:
        messages.success(
            request, _("Importación deshecha: %(count)s clientes desactivados.") % {"count": count}
        )
    return redirect("clients:import_detail", pk=imp.pk)
