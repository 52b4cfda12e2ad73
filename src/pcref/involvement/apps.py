"""Django app configuration for involvement."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class InvolvementConfig(AppConfig):
    name = "pcref.involvement"
    label = "involvement"
    verbose_name = _("Involvement")
    default_auto_field = "django.db.models.BigAutoField"
