"""Where an organisation's extract files live, and taking uploaded files in safely.

Everything of an organisation sits under `INSIGHTS_DIR/<ODS code>/` (ADR 0007):
`uploads/<upload id>/extract/` (the files, deleted once checked), `uploads/<upload id>/report/`
(report.csv and report.json, kept), `datasets/vNNNN/` (dataset versions) and
`results/<run id>/` (results.parquet and results.csv). Organisations never share a folder.
"""

from __future__ import annotations

import re
import shutil
import stat
import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from django.conf import settings
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _

from pcref.analytics.extract import schema

TABLE_NAMES = tuple(table.name for table in schema.TABLES)
TABLE_FILE = re.compile(rf"^({'|'.join(TABLE_NAMES)})\.(csv|parquet)$")
_CHUNK = 1 << 20
# Zip tools add these; they are skipped, not refused.
_ZIP_NOISE = re.compile(r"(^|/)(__MACOSX/|\.DS_Store$|Thumbs\.db$)")


class UploadRefused(ValueError):
    """The files cannot be taken in; the message names the file or zip member."""


@dataclass(frozen=True)
class ReceivedFile:
    name: str
    bytes: int


def organisation_dir(organisation) -> Path:
    """The folder of one organisation: by ODS code, else by its id."""
    return Path(settings.INSIGHTS_DIR) / (organisation.ods_code or organisation.pk.hex)


def datasets_dir(organisation) -> Path:
    return organisation_dir(organisation) / "datasets"


def upload_dir(upload) -> Path:
    return organisation_dir(upload.organisation) / "uploads" / str(upload.pk)


def results_dir(run) -> Path:
    return organisation_dir(run.organisation) / "results" / str(run.pk)


def is_table_file(name: str) -> bool:
    return bool(TABLE_FILE.match(name))


def table_of(name: str) -> str:
    """The table a file is named after: `population.csv` -> `population`."""
    return name.rsplit(".", 1)[0]


def carry_over_tables(version, target: Path, *, uploaded: set[str]) -> list[str]:
    """Put the tables of dataset `version` that were not uploaded into `target`, as Parquet, so
    that one ingest checks them again with the new files (a population-only upload).

    A stored file holding only the specification's columns is hard-linked (copied when a link
    cannot be made, as across disks). One that also holds the columns ingest derives (an
    ethnicity column's code, status and mapping version) is rewritten without them, a row group
    at a time: ingest derives them again and would warn about columns it does not know. Tables
    the version had no source file for stay out. Returns the names of the tables put in.
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    sources = version.manifest.get("sources", {})
    carried = []
    for name, entry in version.manifest["tables"].items():
        if name in uploaded or (sources.get(name) is None and not entry["rows"]):
            continue
        stored, destination = version.path / entry["file"], target / f"{name}.parquet"
        specified = schema.TABLES_BY_NAME[name].column_names
        with pq.ParquetFile(stored) as parquet:
            names = parquet.schema_arrow.names
            wanted = [column for column in names if column in specified]
            if wanted == names:
                _link_or_copy(stored, destination)
            else:
                kept = pa.schema([parquet.schema_arrow.field(column) for column in wanted])
                with pq.ParquetWriter(destination, kept, compression="zstd") as out:
                    for group in range(parquet.num_row_groups):
                        out.write_table(parquet.read_row_group(group, columns=wanted))
        carried.append(name)
    return carried


def _link_or_copy(source: Path, destination: Path) -> None:
    try:
        destination.hardlink_to(source)
    except OSError:
        shutil.copyfile(source, destination)  # streamed, never whole in memory


def check_names(names: list[str]) -> None:
    """Refuse file names that are not `<table>.csv|.parquet`, or the same name twice."""
    unknown = sorted(name for name in names if not is_table_file(name))
    if unknown:
        raise UploadRefused(
            _(
                "%(names)s: not an extract table. Name each file after its table, "
                "like mhs001_patients.csv or population.parquet"
            )
            % {"names": ", ".join(unknown)}
        )
    repeated = sorted({name for name in names if names.count(name) > 1})
    if repeated:
        raise UploadRefused(
            _("%(names)s: the same file was given twice") % {"names": ", ".join(repeated)}
        )


def save_files(uploaded_files, target: Path) -> list[ReceivedFile]:
    """Write uploaded table files (or one zip, unpacked safely) into `target`, in chunks."""
    target.mkdir(parents=True, exist_ok=True)
    names = [uploaded.name for uploaded in uploaded_files]
    zips = [name for name in names if name.lower().endswith(".zip")]
    if zips:
        if len(names) > 1:
            raise UploadRefused(
                _("Upload one zip file on its own, or table files without a zip; got %(names)s")
                % {"names": ", ".join(names)}
            )
        zip_file = uploaded_files[0]
        return extract_zip(_path_of(zip_file, target), target, name=zip_file.name)
    check_names(names)
    received = []
    for uploaded in uploaded_files:
        destination = target / uploaded.name
        _store(uploaded, destination)
        received.append(ReceivedFile(uploaded.name, destination.stat().st_size))
    return received


def _store(uploaded, destination: Path) -> None:
    """Move a temporary upload into place, or copy it in 1 MiB chunks; never whole in memory."""
    temporary = getattr(uploaded, "temporary_file_path", None)
    if temporary is not None:
        shutil.move(temporary(), destination)
        return
    with destination.open("wb") as handle:
        for chunk in uploaded.chunks(_CHUNK):
            handle.write(chunk)


def _path_of(uploaded, target: Path) -> Path:
    """The zip on disk, outside the folder the tables go into."""
    holding = target.parent / "upload.zip"
    _store(uploaded, holding)
    return holding


def extract_zip(zip_path: Path, target: Path, name: str = "") -> list[ReceivedFile]:
    """Unpack the table files of a zip into `target`; refuse anything unsafe by name. `name`
    is the file's name as the person gave it, for messages (the zip is kept under another).

    Refused: paths that are absolute or climb out (`..`), links, encrypted members, names that
    are not `<table>.csv|.parquet` (in the top folder or one folder down), a table given twice,
    a total declared size over INSIGHTS_MAX_UPLOAD_BYTES, and a member that expands more than
    INSIGHTS_MAX_ZIP_RATIO times (a zip bomb). Sizes are checked again while writing, since a
    zip may declare less than it holds. Nothing is left in `target` when a zip is refused.
    """
    target.mkdir(parents=True, exist_ok=True)
    try:
        with zipfile.ZipFile(zip_path) as archive:
            members = _checked_members(archive)
            try:
                for info, name in members:
                    _unpack(archive, info, target / name)
            except UploadRefused:
                shutil.rmtree(target, ignore_errors=True)
                target.mkdir(parents=True, exist_ok=True)
                raise
    except zipfile.BadZipFile:
        raise UploadRefused(
            _("%(name)s is not a zip file that can be opened") % {"name": name or zip_path.name}
        ) from None
    finally:
        zip_path.unlink(missing_ok=True)
    return [ReceivedFile(name, (target / name).stat().st_size) for _info, name in members]


def _checked_members(archive: zipfile.ZipFile) -> list[tuple[zipfile.ZipInfo, str]]:
    limit, ratio = settings.INSIGHTS_MAX_UPLOAD_BYTES, settings.INSIGHTS_MAX_ZIP_RATIO
    members, total = [], 0
    for info in archive.infolist():
        raw = info.filename
        if _ZIP_NOISE.search(raw):
            continue
        path = PurePosixPath(raw.replace("\\", "/"))
        if raw.startswith(("/", "\\")) or re.match(r"^[A-Za-z]:", raw) or ".." in path.parts:
            raise UploadRefused(
                _("%(member)s in the zip points outside the extract; it was refused")
                % {"member": raw}
            )
        if info.is_dir():
            continue
        if stat.S_ISLNK(info.external_attr >> 16):
            raise UploadRefused(
                _("%(member)s in the zip is a link; it was refused") % {"member": raw}
            )
        if info.flag_bits & 0x1:
            raise UploadRefused(
                _("%(member)s in the zip is encrypted; upload it without a password")
                % {"member": raw}
            )
        if len(path.parts) > 2 or not is_table_file(path.name):
            raise UploadRefused(
                _(
                    "%(member)s in the zip is not an extract table. Name each file after its "
                    "table, like mhs001_patients.csv or population.parquet"
                )
                % {"member": raw}
            )
        if info.file_size > ratio * max(info.compress_size, 1) and info.file_size > _CHUNK:
            raise UploadRefused(
                _(
                    "%(member)s in the zip expands %(ratio)s times, more than %(limit)s: it "
                    "looks like a zip bomb and was refused"
                )
                % {
                    "member": raw,
                    "ratio": info.file_size // max(info.compress_size, 1),
                    "limit": ratio,
                }
            )
        total += info.file_size
        members.append((info, path.name))
    if total > limit:
        raise UploadRefused(
            _("The zip would unpack to %(size)s, more than the %(limit)s allowed")
            % {"size": filesizeformat(total), "limit": filesizeformat(limit)}
        )
    if not members:
        raise UploadRefused(_("The zip holds no extract tables"))
    check_names([name for _info, name in members])
    return members


def _unpack(archive: zipfile.ZipFile, info: zipfile.ZipInfo, destination: Path) -> None:
    written = 0
    with archive.open(info) as source, destination.open("wb") as handle:
        while chunk := source.read(_CHUNK):
            written += len(chunk)
            if written > info.file_size:
                raise UploadRefused(
                    _("%(member)s in the zip holds more than it declares; it was refused")
                    % {"member": info.filename}
                )
            handle.write(chunk)
