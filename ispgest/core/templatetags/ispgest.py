from django import template
from django.urls import NoReverseMatch, reverse
from django.utils.html import format_html
from django.utils.safestring import mark_safe

from ispgest.core import formats
from ispgest.core.country import format_tax_id, get_profile

register = template.Library()


_SVG = (
    '<svg xmlns="http://www.w3.org/2000/svg" width="16" height="16" viewBox="0 0 16 16" '
    'fill="currentColor" aria-hidden="true" focusable="false" class="icon">{}</svg>'
)
# Small icons drawn inline, so they show without an icon font or an emoji font.
ICONS = {
    "search": '<path d="M6.5 1a5.5 5.5 0 0 1 4.38 8.83l3.65 3.65-1.06 1.06-3.65-3.65A5.5 5.5 0 1 1 '
    '6.5 1Zm0 1.5a4 4 0 1 0 0 8 4 4 0 0 0 0-8Z"/>',
    "pencil": '<path d="M11.8 1.2a1 1 0 0 1 1.4 0l1.6 1.6a1 1 0 0 1 0 1.4L5.6 13.4 2 14l.6-3.6 '
    '9.2-9.2Zm-.7 2.1L3.9 10.5l-.3 1.9 1.9-.3 7.2-7.2-1.6-1.6Z"/>',
    "key": '<path d="M10.5 1a4.5 4.5 0 1 1-1.3 8.8L8 11H6.5v1.5H5V14H1.5v-2.6l5.2-5.2A4.5 4.5 0 0 '
    '1 10.5 1Zm1 2.2a1.3 1.3 0 1 0 0 2.6 1.3 1.3 0 0 0 0-2.6Z"/>',
}
_ICON_ALIASES = {"🔍": "search", "✎": "pencil", "🔑": "key"}


@register.simple_tag
def icon(name: str) -> str:
    """An inline SVG icon by name ("search", "pencil", "key"); other text is shown as it is."""
    key = _ICON_ALIASES.get(name, name)
    if key in ICONS:
        return mark_safe(_SVG.format(ICONS[key]))  # noqa: S308 (constant markup)
    return format_html('<span aria-hidden="true">{}</span>', name)


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
def number(value, places=None) -> str:
    """A quantity as the country writes it; `places` fixes the decimals ("|number:2")."""
    return formats.number(value, None if places in (None, "") else int(places))


@register.filter
def percent(value) -> str:
    return formats.percent(value)


@register.filter
def fdate(value) -> str:
    return formats.fdate(value)


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
    from ispgest.core.visibility import iban_for as shown

    return shown(user, value)


@register.filter
def sees_money(user) -> bool:
    """`{% if user|sees_money %}`: amounts, debt and prices (core.visibility)."""
    from ispgest.core.visibility import can_view_money

    return can_view_money(user)


@register.filter
def sees_bank_details(user) -> bool:
    """`{% if user|sees_bank_details %}`: whole IBAN, BIC and account holder (core.visibility)."""
    from ispgest.core.visibility import can_view_bank_details

    return can_view_bank_details(user)
