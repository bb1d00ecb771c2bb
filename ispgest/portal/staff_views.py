"""Staff pages of the portal: "Regenerar contraseña" on a client, and "Configuración del
Portal de Clientes" (Administrador)."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from ispgest.accounts.decorators import staff_required
from ispgest.catalog.models import PaymentGateway
from ispgest.clients.selectors import client_for_user
from ispgest.core import uploads
from ispgest.core.identity import isp_identity
from ispgest.portal import selectors, services
from ispgest.portal.forms import PortalSettingsForm

LOGO_TYPES = frozenset({uploads.PNG, uploads.JPEG, uploads.WEBP})
LOGO_MAX_BYTES = 1024 * 1024


def _back(request, client) -> str:
    target = request.POST.get("next") or request.headers.get("referer") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    from django.urls import reverse

    return reverse("clients:detail", args=[client.pk])


@require_POST
@staff_required("clients.regenerate_portal_password")
def regenerate_password(request, pk: int):
    client = client_for_user(request.user, pk)
    try:
        services.portal_password_regenerate(actor=request.user, client=client)
    except ValidationError as exc:
        messages.error(request, exc.messages[0])
    else:
        messages.success(
            request,
            _("Contraseña del portal regenerada y enviada a %(email)s.") % {"email": client.email},
        )
    return redirect(_back(request, client))


@staff_required("portal.view_portalsettings", "portal.change_portalsettings")
def settings_page(request):
    conf = selectors.portal_settings()
    identity = isp_identity()
    gateways = PaymentGateway.objects.filter(active=True).order_by("name")
    instructions = dict(selectors.gateway_instructions().values_list("gateway_id", "text"))
    form = PortalSettingsForm(
        request.POST or None,
        request.FILES or None,
        instance=conf,
        identity=identity,
        gateways=gateways,
        instructions=instructions,
    )
    if request.method == "POST" and form.is_valid():
        cd = form.cleaned_data
        stored = ""
        try:
            identity_data = {
                "name": cd["isp_name"],
                "primary_color": cd["primary_color"],
                "accent_color": cd["accent_color"],
            }
            if cd.get("logo"):
                checked = uploads.check_upload(
                    cd["logo"],
                    allowed=LOGO_TYPES,
                    refusal=_("Logo: el archivo debe ser una imagen PNG, JPEG o WebP."),
                    limit=LOGO_MAX_BYTES,
                    field="logo",
                )
                stored = uploads.store(checked, prefix="identity")
                identity_data["logo"] = stored
            elif cd.get("remove_logo"):
                identity_data["logo"] = False
            with transaction.atomic():
                services.portal_settings_update(
                    actor=request.user,
                    data={
                        "enabled": cd["enabled"],
                        "welcome_text": cd["welcome_text"],
                        "sections": list(cd["sections"]),
                        "clients_edit_phones": cd["clients_edit_phones"],
                        "clients_edit_notify_emails": cd["clients_edit_notify_emails"],
                    },
                    identity=identity_data,
                    instructions=form.instructions(),
                )
        except ValidationError as exc:
            uploads.discard(stored)
            if hasattr(exc, "error_dict"):
                for field, errors in exc.error_dict.items():
                    form.add_error(field if field in form.fields else None, errors)
            else:
                form.add_error(None, exc)
        else:
            messages.success(request, _("Configuración del portal guardada."))
            return redirect("portal_staff:settings")
    return render(
        request,
        "portal/staff/settings.html",
        {"form": form, "identity": identity, "portal_url": services.portal_url()},
    )
