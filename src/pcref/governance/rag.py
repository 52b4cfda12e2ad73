"""The RAG rating of a delivery action, computed from its dates and progress (docs/governance.md)."""

from __future__ import annotations

from datetime import date, timedelta

from pcref.governance.models import RAG, DeliveryAction


def compute_rag(
    *,
    status: str,
    due_on: date,
    last_progress_on: date,
    today: date,
    stale_weeks: int,
) -> RAG:
    """The rating the rules give, first rule that applies wins:

    1. complete: blue;
    2. due date before today (and not complete): red; an action due today is not yet late;
    3. no progress recorded for more than `stale_weeks` weeks (an update exactly that many
       weeks ago still counts): amber;
    4. otherwise: green.

    `last_progress_on` is the date of the latest progress update, or the day the action was
    added when it has none yet.
    """
    if stale_weeks < 1:
        raise ValueError(f"stale_weeks must be 1 or more; got {stale_weeks}")
    if status == DeliveryAction.Status.COMPLETE:
        return RAG.BLUE
    if due_on < today:
        return RAG.RED
    if today - last_progress_on > timedelta(weeks=stale_weeks):
        return RAG.AMBER
    return RAG.GREEN
