"""The whole demo: core organisations and staff, then each app's demo content."""

from pcref.core.demo import DemoUser, load_demo
from pcref.feedback.demo import load_feedback_demo


def load_everything() -> list[DemoUser]:
    people = load_demo()
    load_feedback_demo()
    return people
