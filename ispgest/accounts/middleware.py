from django.utils import translation

SESSION_KEY = "ispgest_language"


class UserLanguageMiddleware:
    """Activate the language the user chose (stored in the session at login); Spanish otherwise.

    Runs before LocaleMiddleware, which honours request.session via the language cookie only,
    so we put the choice where LocaleMiddleware looks: the language cookie of the request.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        lang = request.session.get(SESSION_KEY)
        if lang and translation.check_for_language(lang):
            request.COOKIES["django_language"] = lang
        return self.get_response(request)
