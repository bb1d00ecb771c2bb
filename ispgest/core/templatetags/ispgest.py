from django import template
from django.urls import NoReverseMatch, reverse

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
