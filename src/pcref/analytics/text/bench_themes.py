"""Benchmark of theme suggestions on the NHS patient experience v6 coded comments."""

# Run: `python -m pcref.analytics.text.bench_themes [--data PATH] [--kinds baseline,light,nlp]`.
# The data set (7,908 NHS Friends and Family Test comments, MIT licence) lives in the shared
# folder beside the repository and is never copied into it: this module and a test that skips
# without it are its only readers. The protocol is fixed so figures compare across versions:
#   1. read the CSV; keep rows whose `FFT answer` is not blank;
#   2. themes = framework columns with at least 10 positive rows (after step 1);
#   3. train_test_split(texts, labels, test_size=0.2, random_state=42);
#   4. macro- and micro-F1 on the 20% for (a) the baseline: TfidfVectorizer() and
#      OneVsRestClassifier(LinearSVC()) with default settings, as pxtextmining does;
#      (b) the light default; (c) the nlp extra, when installed.

import argparse
import csv
import os
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from pcref.analytics.text.suggest import NLP_INSTALL_HELP, ThemeSuggester, nlp_available
from pcref.analytics.text.themes import NHS_V6, theme_for_column

DATA_FILE = "patient-experience-comments-v6framework.csv"
TEXT_COLUMN = "FFT answer"
SENTIMENT_COLUMN = "Comment sentiment"
MIN_POSITIVES = 10
TEST_SIZE = 0.2
RANDOM_STATE = 42
KIND_NAMES = ("baseline", "light", "nlp")


@dataclass(frozen=True)
class ProtocolData:
    """The comments with text and the labels of the themes the protocol keeps."""

    texts: list[str]
    labels: np.ndarray  # rows by themes, int8
    theme_keys: tuple[str, ...]
    columns: tuple[str, ...]
    rows_in_file: int
    sentiment: list[str]  # the coder's 1-5 score as written ("" when blank)


@dataclass(frozen=True)
class BenchRow:
    """One line of the results table."""

    kind: str
    macro_f1: float
    micro_f1: float
    fit_seconds: float
    predict_seconds: float
    note: str = ""


def repo_root() -> Path:
    return Path(__file__).resolve().parents[4]


def default_data_path() -> Path:
    """`$PCREF_SHARED_DIR/data/<file>`, else `../shared/data/<file>` beside the repository."""
    shared = os.environ.get("PCREF_SHARED_DIR")
    shared_dir = Path(shared) if shared else repo_root().parent / "shared"
    return shared_dir / "data" / DATA_FILE


def load_protocol_data(path) -> ProtocolData:
    """Steps 1 and 2 of the protocol: comments with text, themes with >= 10 positives."""
    with Path(path).open(newline="", encoding="utf-8-sig") as handle:
        reader = csv.DictReader(handle)
        header = reader.fieldnames or []
        rows = list(reader)
    if TEXT_COLUMN not in header:
        raise ValueError(f"{path} has no {TEXT_COLUMN!r} column")
    framework = [c for c in header if (t := theme_for_column(c)) and t.group == NHS_V6]
    kept = [row for row in rows if (row[TEXT_COLUMN] or "").strip()]
    matrix = np.array(
        [[(row[c] or "").strip() in ("1", "1.0") for c in framework] for row in kept],
        dtype=np.int8,
    )
    chosen = [i for i, total in enumerate(matrix.sum(axis=0)) if total >= MIN_POSITIVES]
    columns = tuple(framework[i] for i in chosen)
    return ProtocolData(
        texts=[row[TEXT_COLUMN] for row in kept],
        labels=matrix[:, chosen],
        theme_keys=tuple(theme_for_column(c).key for c in columns),
        columns=columns,
        rows_in_file=len(rows),
        sentiment=[(row.get(SENTIMENT_COLUMN) or "").strip() for row in kept],
    )


def split(data: ProtocolData):
    """Step 3: the fixed 80/20 split."""
    from sklearn.model_selection import train_test_split

    return train_test_split(data.texts, data.labels, test_size=TEST_SIZE, random_state=RANDOM_STATE)


def f1_scores(truth: np.ndarray, predicted: np.ndarray) -> tuple[float, float]:
    """Macro- and micro-F1 over the themes (a theme with no positives and no predictions in
    the test set scores 0, sklearn's zero_division=0)."""
    from sklearn.metrics import f1_score

    return (
        float(f1_score(truth, predicted, average="macro", zero_division=0)),
        float(f1_score(truth, predicted, average="micro", zero_division=0)),
    )


def _timed(work: Callable):
    started = time.perf_counter()
    result = work()
    return result, time.perf_counter() - started


def run_baseline(train_texts, train_labels, test_texts):
    """(a) TF-IDF + one-vs-rest linear SVM, default settings. Returns (predictions, fit s,
    predict s)."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.multiclass import OneVsRestClassifier
    from sklearn.pipeline import make_pipeline
    from sklearn.svm import LinearSVC

    model = make_pipeline(TfidfVectorizer(), OneVsRestClassifier(LinearSVC(random_state=0)))
    _, fit_seconds = _timed(lambda: model.fit(train_texts, train_labels))
    predicted, predict_seconds = _timed(lambda: model.predict(test_texts))
    return np.asarray(predicted), fit_seconds, predict_seconds


def run_suggester(kind, train_texts, train_labels, theme_keys, test_texts):
    """(b) and (c): our ThemeSuggester, deciding at each theme's tuned threshold."""
    suggester = ThemeSuggester(kind)
    _, fit_seconds = _timed(lambda: suggester.fit(train_texts, train_labels, theme_keys))
    predicted, predict_seconds = _timed(lambda: suggester.predict(test_texts))
    return predicted, fit_seconds, predict_seconds, suggester


def run_protocol(
    path, kinds: Sequence[str] = KIND_NAMES, *, echo: Callable[[str], None] = print
) -> tuple[ProtocolData, list[BenchRow]]:
    """Run the protocol for `kinds`; an unavailable nlp extra gives a row with a note."""
    unknown = set(kinds) - set(KIND_NAMES)
    if unknown:
        raise ValueError(f"unknown kinds {sorted(unknown)}; choose from {KIND_NAMES}")
    data = load_protocol_data(path)
    train_texts, test_texts, train_labels, test_labels = split(data)
    echo(
        f"{len(data.texts)} of {data.rows_in_file} comments have text; "
        f"{len(data.theme_keys)} themes have >= {MIN_POSITIVES} positives; "
        f"train {len(train_texts)}, test {len(test_texts)}"
    )
    rows = []
    for kind in kinds:
        if kind == "baseline":
            predicted, fit_s, predict_s = run_baseline(train_texts, train_labels, test_texts)
            note = "TfidfVectorizer() + OneVsRest(LinearSVC())"
        elif kind == "nlp" and not nlp_available():
            echo(f"nlp: skipped, the nlp extra is not installed. {NLP_INSTALL_HELP}")
            rows.append(BenchRow("nlp", float("nan"), float("nan"), 0.0, 0.0, "not installed"))
            continue
        else:
            if kind == "nlp":
                from pcref.analytics.text.suggest import encode_sentences

                _, load_s = _timed(lambda: encode_sentences(["warm up"]))
                note = f"model load {load_s:.1f}s, not in fit"
            else:
                note = "TF-IDF word+char, SVM, tuned thresholds"
            predicted, fit_s, predict_s, _ = run_suggester(
                kind, train_texts, train_labels, data.theme_keys, test_texts
            )
        macro, micro = f1_scores(test_labels, predicted)
        rows.append(BenchRow(kind, macro, micro, fit_s, predict_s, note))
    return data, rows


def sentiment_agreement(data: ProtocolData) -> tuple[float, int, str]:
    """Agreement of the suggested sentiment with the coders' 1-5 score (1-2 positive,
    3 neutral, 4-5 negative; "mixed" counts as neutral), over comments with a score."""
    from pcref.analytics.text.sentiment import suggest_sentiment

    coder = {"1": "positive", "2": "positive", "3": "neutral", "4": "negative", "5": "negative"}
    pairs = [
        (coder[score.split(".")[0]], text)
        for text, score in zip(data.texts, data.sentiment, strict=True)
        if score.split(".")[0] in coder
    ]
    agree, version = 0, ""
    for expected, text in pairs:
        suggestion = suggest_sentiment(text)
        version = suggestion.model_version
        label = "neutral" if suggestion.label == "mixed" else suggestion.label
        agree += label == expected
    return (agree / len(pairs) if pairs else float("nan")), len(pairs), version


def format_table(rows: Sequence[BenchRow]) -> str:
    lines = [
        f"{'kind':<9} {'macro-F1':>8} {'micro-F1':>8} {'fit s':>7} {'predict s':>9}  note",
        "-" * 78,
    ]
    for row in rows:
        lines.append(
            f"{row.kind:<9} {row.macro_f1:>8.3f} {row.micro_f1:>8.3f} "
            f"{row.fit_seconds:>7.1f} {row.predict_seconds:>9.2f}  {row.note}"
        )
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m pcref.analytics.text.bench_themes", description=__doc__
    )
    parser.add_argument(
        "--data",
        type=Path,
        help=f"the CSV, or the shared folder holding data/{DATA_FILE} "
        "(default: $PCREF_SHARED_DIR, else ../shared beside the repository)",
    )
    parser.add_argument(
        "--kinds", default=",".join(KIND_NAMES), help="comma-separated: baseline,light,nlp"
    )
    parser.add_argument("--no-sentiment", action="store_true", help="skip the sentiment check")
    args = parser.parse_args(argv)

    path = args.data or default_data_path()
    if path.is_dir():
        path = path / "data" / DATA_FILE if (path / "data").is_dir() else path / DATA_FILE
    if not path.is_file():
        print(f"Skipped: the benchmark data {path} is not here (set PCREF_SHARED_DIR or --data).")
        return 0
    kinds = [kind.strip() for kind in args.kinds.split(",") if kind.strip()]
    data, rows = run_protocol(path, kinds)
    print(format_table(rows))
    if not args.no_sentiment:
        (agreement, scored, version), seconds = _timed(lambda: sentiment_agreement(data))
        print(
            f"sentiment ({version}): agrees with the coders on {agreement:.1%} of {scored} "
            f"scored comments ({seconds:.1f}s)"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
