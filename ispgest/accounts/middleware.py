from django.conf import settings
from django.utils import translation

SESSION_KEY = "ispgest_language"


class UserLanguageMiddleware:
    """Activate the language the user chose (stored in the session at login); Spanish otherwise.

    Runs before LocaleMiddleware and puts the choice where LocaleMiddleware looks first: the
    language cookie of the request. Without a choice the product speaks Spanish whatever the
    browser's Accept-Language says: English is a per-user setting, not a browser accident.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        lang = request.session.get(SESSION_KEY)
        if lang and translation.check_for_language(lang):
            request.COOKIES[settings.LANGUAGE_COOKIE_NAME] = lang
        elif settings.LANGUAGE_COOKIE_NAME not in request.COOKIES:
            request.COOKIES[settings.LANGUAGE_COOKIE_NAME] = settings.LANGUAGE_CODE
        return self.get_response(request)
