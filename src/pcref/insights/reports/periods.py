"""Financial years as the metric results write them ("2024/25") and as addresses do ("2024-25")."""

from __future__ import annotations

import datetime as dt
import re

from django.utils.formats import date_format
from django.utils.translation import gettext as _

from pcref.insights.reports.errors import ReportRefused

_FINANCIAL_YEAR = re.compile(r"^(\d{4})/(\d{2})$")
_PERIOD_SLUG = re.compile(r"^(\d{4})-(\d{2})$")


def financial_year_dates(period: str) -> tuple[dt.date, dt.date]:
    """1 April and 31 March of a financial year written as the results write it, "2024/25".

    Raises:
        ReportRefused: naming the value, when it is not a financial year written that way.
    """
    match = _FINANCIAL_YEAR.match(period or "")
    if not match or (int(match[1]) + 1) % 100 != int(match[2]):
        raise ReportRefused(
            _("%(period)s is not a financial year: write it like 2024/25") % {"period": period},
            "period",
        )
    first = int(match[1])
    return dt.date(first, 4, 1), dt.date(first + 1, 3, 31)


def period_slug(period: str) -> str:
    """A financial year as it appears in an address: "2024/25" becomes "2024-25"."""
    return period.replace("/", "-")


def period_from_slug(slug: str) -> str | None:
    """The financial year an address names, or None when it names none."""
    return f"{slug[:4]}/{slug[5:]}" if _PERIOD_SLUG.match(slug or "") else None


def period_words(period: str) -> str:
    """A financial year in words, with its first and last days."""
    start, end = financial_year_dates(period)
    return _("Financial year %(period)s (%(start)s to %(end)s)") % {
        "period": period,
        "start": date_format(start, "j F Y"),
        "end": date_format(end, "j F Y"),
    }
