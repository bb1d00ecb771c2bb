from django import template
from django.urls import NoReverseMatch, reverse
from django.utils.html import format_html

from ispgest.core.country import format_tax_id, get_profile

register = template.Library()


@register.simple_tag
def maybe_url(name: str, *args) -> str:
    """The URL of `name`, or "" while the page does not exist yet (menus hide such items)."""
    try:
        return reverse(name, args=args)
    except NoReverseMatch:
        return ""


@register.filter
def money(value) -> str:
    return get_profile().format_money(value)


@register.filter
def taxid(value: str, kind: str = "") -> str:
    return format_tax_id(value, kind or get_profile().default_tax_id_kind)


@register.simple_tag(takes_context=True)
def querystring_with(context, **kwargs) -> str:
    """The current query string with some keys replaced (pagination, sorting)."""
    params = context["request"].GET.copy()
    for key, value in kwargs.items():
        if value in (None, ""):
            params.pop(key, None)
        else:
            params[key] = value
    encoded = params.urlencode()
    return f"?{encoded}" if encoded else "?"


@register.simple_tag(takes_context=True)
def ws_swap(context, url: str) -> str:
    """htmx attributes of a link inside the client's workspace: it loads `url` and swaps
    only the navigation and main area, keeping the client header (the href still works
    without JavaScript and on reload). Outside the workspace it adds nothing."""
    if not context.get("in_workspace"):
        return ""
    return format_html(
        'hx-get="{}" hx-target="#client-body" hx-select="#client-body" hx-swap="outerHTML" '
        'hx-push-url="true"',
        url,
    )


@register.simple_tag(takes_context=True)
def ws_href(context, name: str, *args) -> str:
    """`href` plus, inside the workspace, its htmx attributes (see ws_swap)."""
    url = reverse(name, args=args)
    return format_html('href="{}" {}', url, ws_swap(context, url))


@register.filter
def iban_for(value: str, user) -> str:
    """`{{ mandate.iban|iban_for:user }}`: whole for direct-debit roles, masked otherwise."""
    from ispgest.core.country import iban_for as shown

    return shown(user, value)
