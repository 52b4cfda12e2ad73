"""What every page needs: the trust's name and the language switcher."""

from django.conf import settings
from django.urls import translate_url
from django.utils.translation import get_language, get_language_bidi, get_language_info


def site(request) -> dict:
    current = get_language() or settings.LANGUAGE_CODE
    languages = []
    for code, _name in settings.LANGUAGES:
        info = get_language_info(code)
        languages.append(
            {
                "code": code,
                "name": info["name_local"],
                "href": translate_url(request.path, code),
                "current": code == current,
                "dir": "rtl" if code in settings.LANGUAGES_BIDI else "ltr",
            }
        )
    return {
        "trust_name": settings.TRUST_NAME,
        "service_name": settings.SERVICE_NAME,
        "language_links": languages,
        "html_dir": "rtl" if get_language_bidi() else "ltr",
        "html_lang": current,
        "idle_minutes": settings.SESSION_IDLE_MINUTES,
    }
