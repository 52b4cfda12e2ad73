"""The RAG rules at their edges (docs/governance.md): due today, overdue, stale updates."""

from datetime import date, timedelta

import pytest

from pcref.governance.models import RAG
from pcref.governance.rag import compute_rag

TODAY = date(2026, 11, 27)


def rag(status="on_track", due_on=TODAY + timedelta(days=30), last=TODAY, weeks=6):
    return compute_rag(
        status=status, due_on=due_on, last_progress_on=last, today=TODAY, stale_weeks=weeks
    )


def test_an_action_due_today_is_not_red():
    assert rag(due_on=TODAY) == RAG.GREEN


def test_an_action_due_yesterday_and_not_complete_is_red():
    assert rag(due_on=TODAY - timedelta(days=1)) == RAG.RED
    assert rag(status="not_started", due_on=TODAY - timedelta(days=1)) == RAG.RED


def test_a_complete_action_is_blue_even_when_its_due_date_has_passed():
    assert rag(status="complete", due_on=TODAY - timedelta(days=100), last=TODAY) == RAG.BLUE
    assert rag(status="complete", last=TODAY - timedelta(weeks=52)) == RAG.BLUE


def test_an_update_exactly_n_weeks_ago_is_still_green():
    assert rag(last=TODAY - timedelta(weeks=6)) == RAG.GREEN


def test_no_update_for_n_weeks_and_a_day_is_amber():
    assert rag(last=TODAY - timedelta(weeks=6, days=1)) == RAG.AMBER


def test_the_number_of_weeks_is_a_setting():
    last = TODAY - timedelta(weeks=3, days=1)
    assert rag(last=last, weeks=3) == RAG.AMBER
    assert rag(last=last, weeks=4) == RAG.GREEN


def test_overdue_beats_stale():
    assert rag(due_on=TODAY - timedelta(days=1), last=TODAY - timedelta(weeks=20)) == RAG.RED


def test_a_stale_action_due_today_is_amber_not_red():
    assert rag(due_on=TODAY, last=TODAY - timedelta(weeks=7)) == RAG.AMBER


def test_a_period_of_no_weeks_is_refused():
    with pytest.raises(ValueError, match="stale_weeks must be 1 or more; got 0"):
        rag(weeks=0)
