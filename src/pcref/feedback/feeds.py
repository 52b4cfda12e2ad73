"""The Atom feed of published "You said, we did" entries."""

from django.contrib.syndication.views import Feed
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed
from django.utils.translation import gettext as _

from pcref.core import queries as core_queries
from pcref.feedback.models import YouSaidWeDidEntry


class YouSaidWeDidFeed(Feed):
    feed_type = Atom1Feed
    login_required = False  # public, like the page it mirrors

    def title(self):
        trust = core_queries.public_trust()
        return _("You said, we did: %(trust)s") % {"trust": trust.name if trust else ""}

    def link(self):
        return reverse("feedback:you_said_we_did")

    def subtitle(self):
        return _("Changes we made because of what patients, carers and communities told us.")

    def items(self):
        trust = core_queries.public_trust()
        return (
            YouSaidWeDidEntry.objects.published()
            .filter(organisation=trust)
            .select_related("theme", "service_team")[:50]
        )

    def item_title(self, item):
        where = item.service_team.name if item.service_team_id else _("The whole trust")
        return f"{item.theme.name}: {where}"

    def item_description(self, item):
        return _("You said: %(said)s\nWe did: %(did)s") % {
            "said": item.you_said,
            "did": item.we_did,
        }

    def item_link(self, item):
        return f"{reverse('feedback:you_said_we_did')}#entry-{item.pk}"

    def item_guid(self, item):
        return f"urn:uuid:{item.pk}"

    item_guid_is_permalink = False

    def item_pubdate(self, item):
        return item.published_at

    def item_updateddate(self, item):
        return item.updated_at
