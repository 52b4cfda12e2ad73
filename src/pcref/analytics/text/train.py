"""Train theme suggestions on a trust's own coded feedback, from a CSV file."""

# The CSV has one text column and one 0/1 column per theme (blank counts as 0), the shape of
# the NHS v6 coded data and of an export of confirmed triage decisions. Every problem names
# its row and column (the header is row 1, as a spreadsheet shows it); nothing is written
# unless the whole file is good.

import csv
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from pcref.analytics.text.suggest import KINDS, ThemeSuggester
from pcref.analytics.text.themes import key_for_column

FEW_EXAMPLES = 10  # below this many positives a theme's suggestions are weak; the report says so
_ONES = {"1", "1.0"}
_ZEROS = {"0", "0.0", ""}


class TrainingDataError(ValueError):
    """The coded CSV cannot be trained on; the message names the row, column or value."""


@dataclass(frozen=True)
class TrainReport:
    """What `train_from_csv` trained and where it wrote the model.

    Attributes:
        out_path: the model file written.
        kind: "light" or "nlp".
        model_version: stored with every suggestion the model makes.
        text_column: the column read as the text.
        rows_used: rows with text, trained on.
        rows_without_text: rows skipped because their text was blank.
        positives: theme key -> number of rows labelled 1.
        columns: theme key -> the CSV column it came from.
        few_examples: theme keys with fewer than 10 positives (weak suggestions).
        fit_seconds: time to train.
    """

    out_path: Path
    kind: str
    model_version: str
    text_column: str
    rows_used: int
    rows_without_text: int
    positives: dict[str, int]
    columns: dict[str, str]
    few_examples: tuple[str, ...] = field(default=())
    fit_seconds: float = 0.0


@dataclass(frozen=True)
class CodedFeedback:
    """Texts and their 0/1 theme labels, read from a coded CSV."""

    texts: list[str]
    labels: np.ndarray  # rows by themes, int8
    theme_keys: tuple[str, ...]
    columns: dict[str, str]  # theme key -> CSV column
    text_column: str
    rows_without_text: int


def train_from_csv(
    labels_csv, out_path, *, text_column: str | None = None, kind: str = "light"
) -> TrainReport:
    """Train a `ThemeSuggester` on a coded CSV and save it to `out_path` (.npz).

    Args:
        labels_csv: path of a UTF-8 CSV: one text column, one 0/1 column per theme (blank
            means 0). Column names are theme labels or keys ("Staff manner & personal
            attributes", "racism_or_discrimination") or a trust's own theme names.
        out_path: where to write the model; must end in .npz.
        text_column: the text column's name. By default it is found as the only column
            whose values are mostly not 0 or 1.
        kind: "light" (default) or "nlp" (needs the nlp extra).

    Raises:
        TrainingDataError: no text column or more than one candidate, a value other than
            0/1 in a theme column (naming row and column), a theme with no positives, two
            columns for one theme, or no rows with text.
    """
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {KINDS}; got {kind!r}")
    out_path = Path(out_path)
    if out_path.suffix != ".npz":
        raise ValueError(f"the model file must end in .npz; got {out_path.name!r}")
    coded = read_coded_csv(labels_csv, text_column=text_column)
    started = time.perf_counter()
    suggester = ThemeSuggester(kind).fit(coded.texts, coded.labels, coded.theme_keys)
    fit_seconds = time.perf_counter() - started
    suggester.save(out_path)
    positives = dict(zip(coded.theme_keys, coded.labels.sum(axis=0).tolist(), strict=True))
    return TrainReport(
        out_path=out_path,
        kind=kind,
        model_version=suggester.model_version,
        text_column=coded.text_column,
        rows_used=len(coded.texts),
        rows_without_text=coded.rows_without_text,
        positives=positives,
        columns=coded.columns,
        few_examples=tuple(k for k, n in positives.items() if n < FEW_EXAMPLES),
        fit_seconds=round(fit_seconds, 3),
    )


def read_coded_csv(path, *, text_column: str | None = None) -> CodedFeedback:
    """Read and check a coded CSV (see `train_from_csv`); raises TrainingDataError."""
    path = Path(path)
    try:
        with path.open(newline="", encoding="utf-8-sig") as handle:
            reader = csv.reader(handle)
            header = next(reader, None)
            rows = list(reader)
    except UnicodeDecodeError as error:
        raise TrainingDataError(f"{path.name} is not UTF-8 text ({error.reason})") from None
    except csv.Error as error:
        raise TrainingDataError(f"{path.name} is not a readable CSV file: {error}") from None
    if not header:
        raise TrainingDataError(f"{path.name} is empty: it needs a header row")
    header = [name.strip() for name in header]
    _check_header(path, header)
    for number, row in enumerate(rows, start=2):
        if len(row) != len(header) and any(cell.strip() for cell in row):
            raise TrainingDataError(
                f"row {number} has {len(row)} cells but the header has {len(header)}"
            )
    rows = [row for row in rows if any(cell.strip() for cell in row)]
    text_index = _text_column_index(path, header, rows, text_column)

    theme_columns = [i for i in range(len(header)) if i != text_index]
    if not theme_columns:
        raise TrainingDataError(f"{path.name} has a text column but no theme columns")
    keys = [key_for_column(header[i]) for i in theme_columns]
    _check_keys(header, theme_columns, keys)

    texts, label_rows, without_text = [], [], 0
    for number, row in enumerate(rows, start=2):
        labels = []
        for index in theme_columns:
            cell = row[index].strip()
            if cell in _ONES:
                labels.append(1)
            elif cell in _ZEROS:
                labels.append(0)
            else:
                raise TrainingDataError(
                    f"row {number}, column {header[index]!r}: {row[index]!r} is not 0 or 1 "
                    "(a blank cell counts as 0)"
                )
        if not row[text_index].strip():
            without_text += 1
            continue
        texts.append(row[text_index])
        label_rows.append(labels)
    if not texts:
        raise TrainingDataError(f"column {header[text_index]!r} has no text in any row")

    labels = np.array(label_rows, dtype=np.int8).reshape(len(texts), len(keys))
    for column, index in enumerate(theme_columns):
        positives = int(labels[:, column].sum())
        if positives == 0:
            raise TrainingDataError(
                f"column {header[index]!r} has no rows marked 1 (among rows with text): "
                "remove the column or code some examples"
            )
        if positives == len(texts):
            raise TrainingDataError(
                f"column {header[index]!r} is 1 in every row: there is nothing to tell apart"
            )
    return CodedFeedback(
        texts=texts,
        labels=labels,
        theme_keys=tuple(keys),
        columns={key: header[i] for key, i in zip(keys, theme_columns, strict=True)},
        text_column=header[text_index],
        rows_without_text=without_text,
    )


def _check_header(path: Path, header: list[str]) -> None:
    for number, name in enumerate(header, start=1):
        if not name:
            raise TrainingDataError(f"{path.name}: column {number} of the header has no name")
    repeated = sorted({name for name in header if header.count(name) > 1})
    if repeated:
        raise TrainingDataError(f"{path.name}: the header repeats {repeated}")


def _text_column_index(path, header, rows, text_column) -> int:
    if text_column is not None:
        if text_column.strip() not in header:
            raise TrainingDataError(
                f"{path.name} has no column {text_column!r}; its columns are {header}"
            )
        return header.index(text_column.strip())
    candidates = []
    for index, name in enumerate(header):
        values = [row[index].strip() for row in rows if row[index].strip()]
        binary = sum(value in _ONES or value in _ZEROS for value in values)
        if values and binary < len(values) / 2:  # mostly not 0/1: text, not a theme
            candidates.append(name)
    if len(candidates) == 1:
        return header.index(candidates[0])
    if not candidates:
        raise TrainingDataError(
            f"{path.name} has no text column: every column holds only 0/1 values. "
            "Add the feedback text as a column, or name it with text_column"
        )
    raise TrainingDataError(
        f"{path.name} has more than one column that is not 0/1: {candidates}. Name the text "
        "column with text_column, and remove the other columns"
    )


def _check_keys(header, theme_columns, keys) -> None:
    seen: dict[str, str] = {}
    for index, key in zip(theme_columns, keys, strict=True):
        if not key:
            raise TrainingDataError(f"column {header[index]!r} does not name a theme")
        if key in seen:
            raise TrainingDataError(
                f"columns {seen[key]!r} and {header[index]!r} are the same theme ({key})"
            )
        seen[key] = header[index]
