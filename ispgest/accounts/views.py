from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from ispgest.accounts import services
from ispgest.accounts.decorators import staff_required
from ispgest.accounts.forms import LanguageForm, TokenForm
from ispgest.accounts.middleware import SESSION_KEY
from ispgest.accounts.models import ApiToken


@staff_required()
def profile(request):
    """The user's own page: language and API tokens."""
    language_form = LanguageForm(instance=request.user, prefix="lang")
    token_form = TokenForm(prefix="token")
    new_token = None
    if request.method == "POST":
        if "lang-language" in request.POST:
            language_form = LanguageForm(request.POST, instance=request.user, prefix="lang")
            if language_form.is_valid():
                lang = language_form.cleaned_data["language"]
                services.user_set_language(user=request.user, language=lang)
                request.session[SESSION_KEY] = lang
                response = redirect("accounts:profile")
                response.set_cookie("django_language", lang, samesite="Lax")
                return response
        elif request.user.has_perm("accounts.add_apitoken"):
            token_form = TokenForm(request.POST, prefix="token")
            if token_form.is_valid():
                _token, new_token = services.api_token_create(
                    user=request.user,
                    name=token_form.cleaned_data["name"],
                    scopes=token_form.cleaned_data["scopes"],
                    expires_at=token_form.expires_at(),
                )
                messages.success(
                    request, _("Token creado. Cópielo ahora: no se volverá a mostrar.")
                )
                token_form = TokenForm(prefix="token")
    tokens = ApiToken.objects.filter(user=request.user)
    return render(
        request,
        "accounts/profile.html",
        {
            "language_form": language_form,
            "token_form": token_form,
            "tokens": tokens,
            "new_token": new_token,
        },
    )


@require_POST
@staff_required()
def token_revoke(request, pk: int):
    token = get_object_or_404(ApiToken, pk=pk, user=request.user)
    services.api_token_revoke(actor=request.user, token=token)
    messages.success(request, _("Token revocado."))
    return redirect("accounts:profile")
