"""Administrators manage staff users: list, create with a role, edit, deactivate."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Prefetch
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from ispgest.accounts import services
from ispgest.accounts.decorators import staff_required
from ispgest.accounts.models import User
from ispgest.accounts.roles import ROLES
from ispgest.catalog.staff_forms import StaffUserForm


def _errors_to_form(form, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc)


@staff_required("accounts.view_user", "accounts.change_user")
def user_list(request):
    from django.contrib.auth.models import Group

    users = (
        User.objects.select_related("seller", "collector")
        .prefetch_related(Prefetch("groups", queryset=Group.objects.filter(name__in=ROLES)))
        .order_by("-is_active", "username")
    )
    page = Paginator(users, 50).get_page(request.GET.get("page"))
    return render(request, "accounts/user_list.html", {"page_obj": page})


@staff_required("accounts.add_user", "accounts.change_user")
def user_create(request):
    form = StaffUserForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user = services.staff_user_create(actor=request.user, **form.cleaned_data)
        except ValidationError as exc:
            _errors_to_form(form, exc)
        else:
            messages.success(request, _("Usuario «%(u)s» creado.") % {"u": user.username})
            return redirect("catalog:user_list")
    return render(request, "accounts/user_form.html", {"form": form})


@staff_required("accounts.change_user")
def user_update(request, pk: int):
    user = get_object_or_404(User, pk=pk)
    form = StaffUserForm(request.POST or None, instance=user)
    if request.method == "POST" and form.is_valid():
        data = {k: v for k, v in form.cleaned_data.items() if k != "username"}
        try:
            services.staff_user_update(actor=request.user, user=user, **data)
        except ValidationError as exc:
            _errors_to_form(form, exc)
        else:
            messages.success(request, _("Usuario «%(u)s» guardado.") % {"u": user.username})
            return redirect("catalog:user_list")
    return render(request, "accounts/user_form.html", {"form": form, "object": user})


def _toggle(request, pk: int, active: bool):
    user = get_object_or_404(User, pk=pk)
    try:
        services.staff_user_set_active(actor=request.user, user=user, active=active)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        msg = _("Usuario «%(u)s» reactivado.") if active else _("Usuario «%(u)s» desactivado.")
        messages.success(request, msg % {"u": user.username})
    return redirect("catalog:user_list")


@staff_required("accounts.change_user")
@require_POST
def user_deactivate(request, pk: int):
    return _toggle(request, pk, False)


@staff_required("accounts.change_user")
@require_POST
def user_reactivate(request, pk: int):
    return _toggle(request, pk, True)
