"""A report's files: HTML from its Jinja template, the PDF from WeasyPrint, stored as a version."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext as _
from markupsafe import Markup

from pcref.insights import files
from pcref.insights.models import Report
from pcref.insights.reports.errors import ReportFailed
from pcref.insights.reports.periods import period_slug


def css_string(text: str) -> Markup:
    """Text as a quoted CSS string, every character but ASCII letters and digits escaped (a
    space too: CSS eats one space after an escape), so translated words are safe in the
    page-margin boxes of the print style sheet."""
    escaped = "".join(
        character if character.isascii() and character.isalnum() else f"\\{ord(character):06x}"
        for character in str(text)
    )
    return Markup(f'"{escaped}"')


TEMPLATES = {
    Report.Kind.BOARD: "insights/reports/board.jinja",
    Report.Kind.PUBLIC: "insights/reports/public.jinja",
}


def render_documents(report: Report, content: dict) -> dict[str, str]:
    """report.html (the whole document the PDF is made from) and, for a public report,
    body.html (its content alone, for the public web page)."""
    title = (
        _("PCREF board report, %(period)s") % {"period": report.period}
        if report.kind == Report.Kind.BOARD
        else _("Our Patient and Carer Race Equality Framework report, %(period)s")
        % {"period": report.period}
    )
    marking = _("Official – for board") if report.kind == Report.Kind.BOARD else ""
    context = {
        **content,
        "title": title,
        "language": translation.get_language() or settings.LANGUAGE_CODE,
        "direction": "rtl" if translation.get_language_bidi() else "ltr",
        "marking": marking,
        "css": {
            "marking": css_string(marking),
            "trust": css_string(report.organisation.name),
            "footer": css_string(f"{title} · v{report.version}"),
            "page": css_string(_("Page")),
            "of": css_string(_("of")),
        },
    }
    documents = {"report.html": render_to_string(TEMPLATES[report.kind], context)}
    if report.kind == Report.Kind.PUBLIC:
        documents["body.html"] = render_to_string("insights/reports/_public-body.jinja", context)
    return documents


def make_pdf(html: str) -> tuple[bytes, int]:
    """The PDF of a report's HTML (WeasyPrint) and its number of pages. Nothing is fetched from
    elsewhere: the HTML carries its style sheet and charts inline, and only data: addresses may
    be read."""
    from weasyprint import HTML
    from weasyprint.urls import URLFetcher

    document = HTML(string=html, url_fetcher=URLFetcher(allowed_protocols=("data",))).render()
    return document.write_pdf(), len(document.pages)


def report_dir(report: Report) -> Path:
    """The folder of one version: never reused, as versions are unique per kind and period."""
    name = f"{report.kind}-{period_slug(report.period)}-v{report.version:03d}"
    return files.organisation_dir(report.organisation) / "reports" / name


def scratch_dir(report: Report) -> Path:
    """Where a version's files are written before they are moved into place."""
    return files.organisation_dir(report.organisation) / "reports" / f".making-{report.pk}"


def store(scratch: Path, final: Path, documents: dict[str, str | bytes]) -> Path:
    """Write the files into a scratch folder, then move it into place whole: a version's
    folder either holds every file or does not exist, and an existing one is never touched."""
    if final.exists():
        raise ReportFailed(
            _("%(folder)s already exists; a report version is never overwritten")
            % {"folder": final.name}
        )
    shutil.rmtree(scratch, ignore_errors=True)
    scratch.mkdir(parents=True)
    for name, content in documents.items():
        data = content.encode("utf-8") if isinstance(content, str) else content
        with (scratch / name).open("xb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
    os.rename(scratch, final)  # refuses a non-empty target; the check above covers an empty one
    return final
