"""Webhook pages (administrators): list, create/edit, delivery log, test, redelivery."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from ispgest.accounts.decorators import staff_required
from ispgest.core.forms import StyledFormMixin
from ispgest.webhooks import services
from ispgest.webhooks.models import Delivery, EventType, Subscription

VIEW = ("webhooks.view_subscription",)
EDIT = ("webhooks.view_subscription", "webhooks.change_subscription")
ADD = ("webhooks.view_subscription", "webhooks.add_subscription")


class SubscriptionForm(StyledFormMixin, forms.Form):
    name = forms.CharField(label=gettext_lazy("Nombre"), max_length=120)
    url = forms.CharField(label=gettext_lazy("URL"), max_length=500)
    events = forms.MultipleChoiceField(
        label=gettext_lazy("Eventos"),
        choices=[c for c in EventType.choices if c[0] != EventType.TEST],
        widget=forms.CheckboxSelectMultiple,
    )
    active = forms.BooleanField(label=gettext_lazy("Activa"), required=False, initial=True)


def _apply_errors(form, exc: ValidationError) -> None:
    for field, msgs in exc.message_dict.items():
        for msg in msgs:
            form.add_error(field if field in form.fields else None, msg)


@staff_required(*VIEW)
def subscription_list(request):
    subs = Subscription.objects.select_related("owner")
    return render(request, "webhooks/list.html", {"subscriptions": subs})


@staff_required(*ADD)
@require_http_methods(["GET", "POST"])
def subscription_create(request):
    form = SubscriptionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            sub = services.subscription_create(actor=request.user, **form.cleaned_data)
        except ValidationError as exc:
            _apply_errors(form, exc)
        else:
            messages.success(request, _("Webhook creado."))
            return redirect("webhooks:detail", pk=sub.pk)
    return render(request, "webhooks/form.html", {"form": form})


@staff_required(*EDIT)
@require_http_methods(["GET", "POST"])
def subscription_edit(request, pk: int):
    sub = get_object_or_404(Subscription, pk=pk)
    initial = {"name": sub.name, "url": sub.url, "events": sub.events, "active": sub.active}
    form = SubscriptionForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data, new_secret=bool(request.POST.get("new_secret")))
        try:
            services.subscription_update(actor=request.user, subscription=sub, data=data)
        except ValidationError as exc:
            _apply_errors(form, exc)
        else:
            messages.success(request, _("Webhook guardado."))
            return redirect("webhooks:detail", pk=sub.pk)
    return render(request, "webhooks/form.html", {"form": form, "subscription": sub})


@staff_required(*VIEW)
def subscription_detail(request, pk: int):
    sub = get_object_or_404(Subscription, pk=pk)
    deliveries = (
        Delivery.objects.filter(subscription=sub)
        .select_related("event")
        .prefetch_related("log")
        .order_by("-id")[:50]
    )
    return render(request, "webhooks/detail.html", {"sub": sub, "deliveries": deliveries})


@staff_required(*EDIT)
@require_POST
def subscription_test(request, pk: int):
    sub = get_object_or_404(Subscription, pk=pk)
    services.send_test(actor=request.user, subscription=sub)
    messages.info(request, _("Prueba enviada; su resultado aparece en el registro."))
    return redirect("webhooks:detail", pk=sub.pk)


@staff_required(*EDIT)
@require_POST
def delivery_redeliver(request, pk: int):
    delivery = get_object_or_404(Delivery, pk=pk)
    services.redeliver(actor=request.user, delivery=delivery)
    messages.info(request, _("Evento reenviado."))
    return redirect("webhooks:detail", pk=delivery.subscription_id)
