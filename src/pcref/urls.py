"""Root addresses: public pages under every language prefix, staff pages under /staff/."""

from django.conf import settings
from django.conf.urls.i18n import i18n_patterns
from django.urls import include, path

from pcref.core import urls as core_urls
from pcref.feedback import urls as feedback_urls
from pcref.governance import urls as governance_urls
from pcref.insights import urls as insights_urls
from pcref.involvement import urls as involvement_urls

urlpatterns = [
    path("staff/feedback/", include(feedback_urls.staff_urlpatterns)),
    path("staff/insights/", include(insights_urls.staff_urlpatterns)),
    path("staff/involvement/", include(involvement_urls.staff_urlpatterns)),
    path("staff/governance/", include(governance_urls.staff_urlpatterns)),
    path("staff/", include(core_urls.staff_urlpatterns)),
]
if settings.OIDC_ENABLED:
    urlpatterns.append(path("staff/oidc/", include("mozilla_django_oidc.urls")))

urlpatterns += i18n_patterns(
    path("", include(core_urls.public_urlpatterns)),
    path("", include(feedback_urls.public_urlpatterns)),
    path("", include(insights_urls.public_urlpatterns)),
    path("", include(involvement_urls.public_urlpatterns)),
    path("", include(governance_urls.public_urlpatterns)),
    prefix_default_language=False,
)

handler400 = "pcref.core.views.errors.bad_request"
handler403 = "pcref.core.views.errors.forbidden"
handler404 = "pcref.core.views.errors.not_found"
handler500 = "pcref.core.views.errors.server_error"
