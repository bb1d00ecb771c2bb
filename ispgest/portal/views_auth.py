"""The portal's doors: login, logout, "¿Olvidó su contraseña?", the reset link, and the
ISP's logo (shown before login)."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from ispgest.core.identity import isp_identity
from ispgest.portal import auth, services
from ispgest.portal.forms import NewPasswordForm, PortalLoginForm, ResetRequestForm

RESET_SENT = gettext_lazy(
    "Si la dirección corresponde a un cliente con acceso al portal, le enviamos un enlace "
    "para crear una contraseña nueva. El enlace vale una hora y sirve una sola vez."
)


def _errors(form, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc)


@auth.portal_public
def login(request):
    if auth.current_account(request) is not None and not request.user.is_authenticated:
        return redirect("portal:home")
    form = PortalLoginForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            account = services.portal_login(
                email=form.cleaned_data["email"], password=form.cleaned_data["password"]
            )
        except ValidationError as exc:
            _errors(form, exc)
        else:
            target = auth.safe_next(request, reverse("portal:home"))
            auth.login(request, account)
            return redirect(target)
    return render(
        request,
        "portal/login.html",
        {"form": form, "next": request.GET.get("next", ""), "conf": request.portal_settings},
    )


@require_POST
def logout(request):
    auth.logout(request)
    return redirect("portal:login")


logout.portal_public = True


@auth.portal_public
def reset_request(request):
    form = ResetRequestForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        services.portal_reset_request(email=form.cleaned_data["email"])
        messages.info(request, RESET_SENT)
        return redirect("portal:login")
    return render(request, "portal/reset_request.html", {"form": form})


@auth.portal_public
def reset_confirm(request, token: str):
    if services.reset_client(token) is None:
        return render(request, "portal/reset_invalid.html", status=400)
    form = NewPasswordForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            account = services.portal_reset_confirm(
                token=token,
                password=form.cleaned_data["new_password"],
                confirm=form.cleaned_data["confirm_password"],
            )
        except ValidationError as exc:
            if getattr(exc, "code", None) == "invalid_token":
                return render(request, "portal/reset_invalid.html", status=400)
            _errors(form, exc)
        else:
            auth.login(request, account)
            messages.success(request, _("Contraseña guardada. Ya está dentro del portal."))
            return redirect("portal:home")
    return render(request, "portal/reset_confirm.html", {"form": form})


def logo(request):
    """The ISP's logo for the portal's pages and e-mails (public: it is on the login page)."""
    from ispgest.core.uploads import download_response

    identity = isp_identity()
    if not identity.logo:
        raise Http404
    response = download_response(
        identity.logo, original_name="logo", content_type="image/" + _ext(identity.logo.name)
    )
    response["Content-Disposition"] = "inline"
    response["Cache-Control"] = "public, max-age=300"
    return response


logo.portal_public = True


def _ext(name: str) -> str:
    ext = name.rsplit(".", 1)[-1].lower()
    return {"jpg": "jpeg"}.get(ext, ext)
