"""The evidence pack as files: a PDF made by WeasyPrint from one self-contained HTML document (as
the board report is: inline style sheet, nothing fetched), and a zip with that PDF, an index of
every item (CSV, spreadsheet-safe), the items as JSON and the evidence files and meeting papers
of its items."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import PurePath

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext as _

from pcref.analytics.text.safe_export import write_csv
from pcref.governance.evidence_pack import EvidencePack, PackItem
from pcref.governance.files import display_name
from pcref.insights.reports.render import css_string, make_pdf

INDEX_HEADER = [
    "component",
    "kind",
    "title",
    "date",
    "summary",
    "source record",
    "source URL",
    "file",
]


def absolute(base_url: str, url: str) -> str:
    """An address of the site made whole with `base_url` ("https://host"); others as given."""
    return f"{base_url.rstrip('/')}{url}" if url.startswith("/") else url


def file_name(item: PackItem) -> str:
    """Where an item's stored file goes in the zip: its own folder-free name, made unique by
    the record's id."""
    name = display_name(getattr(item.file, "name", "") or "file")
    stem, suffix = PurePath(name).stem, PurePath(name).suffix
    return f"files/{stem}-{item.source_pk[:8]}{suffix}"


def pack_title(pack: EvidencePack) -> str:
    return _("PCREF evidence pack, %(period)s") % {"period": pack.period}


def render_html(pack: EvidencePack, base_url: str) -> str:
    title = pack_title(pack)
    marking = _("Official – for the CQC")
    context = {
        "pack": pack,
        "title": title,
        "marking": marking,
        "base_url": base_url,
        "absolute": absolute,
        "language": translation.get_language() or settings.LANGUAGE_CODE,
        "direction": "rtl" if translation.get_language_bidi() else "ltr",
        "css": {
            "marking": css_string(marking),
            "trust": css_string(pack.organisation.name),
            "footer": css_string(title),
            "page": css_string(_("Page")),
            "of": css_string(_("of")),
        },
    }
    return render_to_string("governance/staff/evidence-pack-pdf.jinja", context)


def make_pack_pdf(pack: EvidencePack, base_url: str) -> bytes:
    pdf, _pages = make_pdf(render_html(pack, base_url))
    return pdf


def index_rows(pack: EvidencePack, base_url: str) -> list[list]:
    return [
        [
            item.component_label,
            item.kind_label,
            item.title,
            item.date.isoformat() if item.date else "",
            item.summary,
            item.source,
            absolute(base_url, item.url),
            file_name(item) if item.file is not None else "",
        ]
        for item in pack.items
    ]


def items_json(pack: EvidencePack, base_url: str) -> str:
    return json.dumps(
        {
            "organisation": pack.organisation.name,
            "start": pack.start.isoformat(),
            "end": pack.end.isoformat(),
            "made_at": pack.made_at.isoformat(),
            "items": [
                {
                    "component": item.component,
                    "kind": item.kind,
                    "title": item.title,
                    "date": item.date.isoformat() if item.date else None,
                    "summary": item.summary,
                    "details": item.details,
                    "links": [
                        {"text": text, "url": absolute(base_url, url)} for text, url in item.links
                    ],
                    "source": {"model": item.source_model, "pk": item.source_pk},
                    "url": absolute(base_url, item.url),
                    "file": file_name(item) if item.file is not None else None,
                }
                for item in pack.items
            ],
        },
        ensure_ascii=False,
        indent=2,
    )


def make_pack_zip(pack: EvidencePack, base_url: str) -> bytes:
    """pack.pdf, index.csv, items.json and files/ with each item's stored file."""
    text = io.StringIO(newline="")
    write_csv(index_rows(pack, base_url), INDEX_HEADER, text)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("pack.pdf", make_pack_pdf(pack, base_url))
        archive.writestr("index.csv", "\ufeff" + text.getvalue())  # a BOM: Excel reads UTF-8
        archive.writestr("items.json", items_json(pack, base_url))
        for item in pack.items:
            if item.file is None:
                continue
            with item.file.file.open("rb") as stored:
                archive.writestr(file_name(item), stored.read())
    return buffer.getvalue()
