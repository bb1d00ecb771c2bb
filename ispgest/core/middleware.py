"""Refuses control characters in every query string (the filters of every page and of the
API) before a view reads them: a page answers 400 with the message naming the parameter,
the API its JSON error (core/http.py). Forms and the API's bodies check their own fields
(core/text.py lists every place)."""

from __future__ import annotations

from django.shortcuts import render
from django.utils.translation import gettext as _

from ispgest.core.http import is_api, json_error
from ispgest.core.text import CONTROL_MESSAGE, has_control_chars


def _bad_parameter(query) -> str | None:
    for key, values in query.lists():
        if has_control_chars(key) or any(has_control_chars(v) for v in values):
            return key
    return None


class ControlCharactersMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        name = _bad_parameter(request.GET)
        if name is not None:
            shown = name if not has_control_chars(name) else repr(name)[1:-1]
            message = f"{shown}: {CONTROL_MESSAGE}"
            if is_api(request):
                return json_error(422, message, field=shown, errors={shown: [CONTROL_MESSAGE]})
            return render(
                request,
                "400.html",
                {
                    "message": _("El filtro «%(name)s» no es válido: %(error)s")
                    % {"name": shown, "error": CONTROL_MESSAGE}
                },
                status=400,
            )
        return self.get_response(request)


_PRIVATE_TYPES = ("application/pdf", "text/csv", "application/vnd.openxmlformats", "text/xml")


class SecurityHeadersMiddleware:
    """The Content-Security-Policy of every page (scripts only from the app itself: htmx,
    Bootstrap and ispgest's own files are served by it, no inline scripts), and
    `Cache-Control: no-store` on what only a signed-in user may read (every page of a
    signed-in user, PDFs, exports and other downloads), so no shared cache or back button
    keeps it."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        from django.conf import settings

        response = self.get_response(request)
        policy = getattr(settings, "ISPGEST_CONTENT_SECURITY_POLICY", "")
        if policy and "Content-Security-Policy" not in response:
            response["Content-Security-Policy"] = policy
        user = getattr(request, "user", None)
        private = bool(user is not None and user.is_authenticated)
        content_type = response.get("Content-Type", "")
        if content_type.startswith(_PRIVATE_TYPES) or "attachment" in response.get(
            "Content-Disposition", ""
        ):
            private = True
        if private:
            response["Cache-Control"] = "no-store"
        return response
