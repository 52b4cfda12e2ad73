"""`pcref manage subject_access_export --reference FB-XXXX-XXXX [--out FILE]`: one person's
feedback (or involvement register entry, IR-XXXXXXXX) as JSON, for a subject access request
(docs/operations.md). Each export is written to the audit log as made by the command line."""

import json
import os

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from pcref.feedback.subject_access import UnknownReference, export_feedback
from pcref.involvement.subject_access import export_registration


class Command(BaseCommand):
    help = (
        "Export everything held about one person's feedback (FB-XXXX-XXXX) or involvement "
        "register entry (IR-XXXXXXXX) as JSON, for a subject access request."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--reference",
            required=True,
            help="the feedback reference (FB-7KQ2-M9XD) or register reference (IR-1A2B3C4D)",
        )
        parser.add_argument(
            "--out",
            help="write to this new file (readable by its owner only); default: standard output",
        )

    def handle(self, *args, reference, out=None, **options):
        reference = reference.strip().upper()
        if out and os.path.exists(out):
            raise CommandError(f"{out} exists already; choose a new file name")
        exporter = export_registration if reference.startswith("IR-") else export_feedback
        # The audit entry and the file stand or fall together.
        with transaction.atomic():
            try:
                data = exporter(reference, by="command-line")
            except UnknownReference as error:
                raise CommandError(str(error)) from None
            text = json.dumps(data, ensure_ascii=False, indent=2, sort_keys=True) + "\n"
            if out:
                descriptor = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
                with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
                    handle.write(text)
        if out:
            self.stderr.write(f"Wrote the subject access export of {data['reference']} to {out}")
        else:
            self.stdout.write(text, ending="")
