"""The whole demo: core organisations and staff, then each app's demo content."""

from pcref.core.demo import DemoUser, load_demo
from pcref.feedback.demo import load_feedback_demo
from pcref.governance.demo import load_governance_demo
from pcref.governance.demo_meetings import load_meetings_demo
from pcref.governance.demo_resources import load_resources_demo
from pcref.insights.demo import load_insights_demo
from pcref.involvement.demo import load_engagement_demo, load_involvement_demo


def load_everything(*, insights: bool = True) -> list[DemoUser]:
    """Everything, or all but the insights (a synthetic extract measured and reported on:
    seconds of work that tests of other pages can skip)."""
    people = load_demo()
    load_feedback_demo()
    load_involvement_demo()
    load_governance_demo()
    load_meetings_demo()
    load_engagement_demo()  # after the plan: events link to its actions
    load_resources_demo()
    if insights:
        load_insights_demo()  # after the feedback: its answers are the extract's feedback table
    return people
