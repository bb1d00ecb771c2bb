from ispgest.core.country import get_profile


def country(request):
    return {"country": get_profile()}
