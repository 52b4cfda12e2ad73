"""The delivery plan section of a report, read from governance for the report's organisation and
financial year: the board report shows the plan's roll-ups, overdue and at-risk actions and the
decisions of the year; the public report only a published plan, as the public plan page does."""

from __future__ import annotations

from pcref.governance import board_summary
from pcref.insights.models import Report


def board_plan(report: Report) -> board_summary.BoardPlan | None:
    """The organisation's plan for the report's year, or None when it has none."""
    return board_summary.board_plan(
        report.organisation, report.period, report.period_start, report.period_end
    )


def public_plan(report: Report) -> board_summary.PublicPlan | None:
    """The organisation's published plan for the report's year, or None."""
    return board_summary.public_plan(report.organisation, report.period)
