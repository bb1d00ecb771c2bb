from django.utils.functional import SimpleLazyObject

from ispgest.core.country import get_profile


def country(request):
    from ispgest.core.identity import isp_identity

    # `isp` is read only by the templates that show it (portal pages, e-mails).
    return {"country": get_profile(), "isp": SimpleLazyObject(isp_identity)}
