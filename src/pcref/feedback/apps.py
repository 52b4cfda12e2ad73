"""Django app configuration for feedback."""

from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class FeedbackConfig(AppConfig):
    name = "pcref.feedback"
    label = "feedback"
    verbose_name = _("Feedback")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        post_migrate.connect(_sync_themes, sender=self)


def _sync_themes(sender, using="default", **kwargs):
    """The theme framework is reference data: kept in step with the code after every migrate."""
    from pcref.feedback.services import sync_themes

    sync_themes(using=using)
