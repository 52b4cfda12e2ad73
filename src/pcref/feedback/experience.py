"""Feedback counts for the analytics engine's experience metrics (EXP1, EXP2).

The engine never reads the web app's database: the feedback module writes the
`feedback_responses` table of the extract specification (docs/data-specification.md), which
`pcref ingest` validates and stores with the trust's MHSDS tables. One row per answer, with
no free text, names or contact details: only codes, a date and the person's own ethnicity.
"""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

from django.db.models import QuerySet

from pcref.analytics.extract.schema import table
from pcref.core.models import Organisation
from pcref.feedback.models import FeedbackSubmission

TABLE = table("feedback_responses")
FILE_NAME = f"{TABLE.name}.csv"
Respondent, Experience = FeedbackSubmission.RespondentType, FeedbackSubmission.Experience

RESPONDENT_TYPES = {
    Respondent.PATIENT: "patient",
    Respondent.CARER: "carer",
    Respondent.FAMILY: "family_friend",
    Respondent.FRIEND: "family_friend",
    Respondent.COMMUNITY: "other",
    Respondent.ON_BEHALF: "other",
}
ANSWER_CATEGORIES = {
    Experience.VERY_GOOD: "positive",
    Experience.GOOD: "positive",
    Experience.NEITHER: "neutral",
    Experience.POOR: "negative",
    Experience.VERY_POOR: "negative",
    Experience.DONT_KNOW: "no_answer",
    "": "no_answer",
}


def response_rows(submissions: QuerySet[FeedbackSubmission]) -> list[list[str]]:
    """One row per answer to "how did it feel overall", in the table's column order."""
    rows = []
    for submission in submissions.select_related("organisation", "service_team"):
        team = submission.service_team
        rows.append(
            [
                f"{submission.reference}-overall",
                submission.organisation.ods_code,
                team.local_code if team else "",
                submission.created_at.date().isoformat(),
                RESPONDENT_TYPES[submission.respondent_type],
                "overall",
                "overall_experience",
                ANSWER_CATEGORIES[submission.overall_experience],
                submission.ethnic_category_code,  # "Z" when they preferred not to say
            ]
        )
    return rows


def write_responses(
    out_dir: str | Path,
    organisation: Organisation,
    *,
    since: dt.date | None = None,
    until: dt.date | None = None,
) -> tuple[Path, int]:
    """Write `feedback_responses.csv` into an extract folder, replacing any there.

    Args:
        out_dir: the extract folder `pcref ingest` will read (made if missing).
        organisation: the trust whose feedback it is; it must have an ODS code.
        since, until: the first and last days of feedback to include (default: all).

    Returns:
        The file written and its number of rows.

    Raises:
        ValueError: naming the organisation when it has no ODS code.
    """
    if not organisation.ods_code:
        raise ValueError(
            f"organisation {organisation.name!r} has no ODS code: the extract needs one"
        )
    submissions = FeedbackSubmission.objects.filter(organisation=organisation)
    if since:
        submissions = submissions.filter(created_at__date__gte=since)
    if until:
        submissions = submissions.filter(created_at__date__lte=until)
    rows = response_rows(submissions.order_by("created_at", "reference"))
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / FILE_NAME
    staged = out_dir / f".{FILE_NAME}.part"  # a reader never sees half a file
    with staged.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(TABLE.column_names)
        writer.writerows(rows)
    staged.replace(path)
    return path, len(rows)
