"""Files kept as evidence and meeting papers: checked on the way in, stored under
settings.GOVERNANCE_DIR with a name the server chooses, and served only as downloads to staff who
may see the record they belong to."""

from __future__ import annotations

import contextlib
import hashlib
import mimetypes
import os
import unicodedata
import uuid
from pathlib import PurePath

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.storage import FileSystemStorage
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.http import FileResponse
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _

from pcref.core import storage

# Documents and images a committee works with; nothing a browser would run.
ALLOWED_SUFFIXES = frozenset(
    {
        ".pdf",
        ".docx",
        ".xlsx",
        ".pptx",
        ".odt",
        ".ods",
        ".odp",
        ".csv",
        ".txt",
        ".png",
        ".jpg",
        ".jpeg",
    }
)


class GovernanceStorage(FileSystemStorage):
    """A folder read from settings.GOVERNANCE_DIR on every use, not once when the models load,
    so a deployment or a test that moves the folder moves every file field with it."""

    @property
    def base_location(self):
        return settings.GOVERNANCE_DIR

    @property
    def location(self):
        return os.path.abspath(self.base_location)

    def _save(self, name, content):
        """Save as Django does, but a disk that fills part way leaves no half-written file."""
        path = self.path(name)
        existed = os.path.lexists(path)  # then Django picks another name and ours is untouched
        try:
            return super()._save(name, content)
        except OSError as error:
            if storage.is_disk_full(error) and not existed:
                with contextlib.suppress(OSError):
                    os.unlink(path)
            raise


def governance_storage() -> FileSystemStorage:
    return GovernanceStorage(file_permissions_mode=0o600)


def stored_name(instance, filename: str) -> str:
    """The server's own name for a file: never the uploader's, which may hold a path."""
    suffix = PurePath(filename).suffix.lower()
    return f"{instance._meta.model_name}/{uuid.uuid4().hex}{suffix}"


def display_name(filename: str) -> str:
    """The uploader's file name without folders or control characters, for showing and for the
    download's Content-Disposition."""
    name = PurePath(filename.replace("\\", "/")).name
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C").strip()
    if len(name) > 200:  # cut the stem, not the kind of file
        suffix = PurePath(name).suffix[:20]
        name = name[: 200 - len(suffix)] + suffix
    return name or "file"


def check_upload(uploaded: UploadedFile, field: str) -> None:
    """Refuse an empty, too large or wrong kind of file, naming the field and the file."""
    name = display_name(uploaded.name or "")
    suffix = PurePath(name).suffix.lower()
    if suffix not in ALLOWED_SUFFIXES:
        raise ValidationError(
            {
                field: _("%(name)s is not a kind of file we keep; choose one of: %(kinds)s")
                % {"name": name, "kinds": ", ".join(sorted(ALLOWED_SUFFIXES))}
            }
        )
    if uploaded.size == 0:
        raise ValidationError({field: _("%(name)s is empty") % {"name": name}})
    if uploaded.size > settings.GOVERNANCE_MAX_FILE_BYTES:
        raise ValidationError(
            {
                field: _("%(name)s is larger than %(limit)s")
                % {"name": name, "limit": filesizeformat(settings.GOVERNANCE_MAX_FILE_BYTES)}
            }
        )


def save_file(stored, uploaded: UploadedFile, what: str, field: str = "file") -> None:
    """Store an upload in a StoredFile's file field (the record itself is not saved here).

    Raises:
        ValidationError: on the field, when the disk is full (`what` names the file, as in
            "this evidence file"); nothing of the file is kept.
    """
    try:
        stored.file.save(uploaded.name or field, uploaded, save=False)
    except OSError as error:
        if not storage.is_disk_full(error):
            raise
        raise ValidationError({field: storage.no_room(what, error)}) from error


def file_fields(uploaded: UploadedFile) -> dict:
    """What a StoredFile records about an upload besides the file itself."""
    digest = hashlib.sha256()
    for chunk in uploaded.chunks():
        digest.update(chunk)
    uploaded.seek(0)
    name = display_name(uploaded.name or "")
    content_type = mimetypes.guess_type(name)[0] or "application/octet-stream"
    return {
        "name": name,
        "content_type": content_type,
        "size": uploaded.size,
        "sha256": digest.hexdigest(),
    }


def delete_after_commit(stored) -> None:
    """Delete a StoredFile's file once the transaction that deletes its record commits: a
    rolled-back removal keeps both."""
    storage, name = stored.file.storage, stored.file.name
    transaction.on_commit(lambda: storage.delete(name))


def download(stored) -> FileResponse:
    """A StoredFile as an attachment, never shown inline (a PDF or image cannot run as a page)."""
    response = FileResponse(
        stored.file.open("rb"),
        as_attachment=True,
        filename=stored.name,
        content_type=stored.content_type,
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response
