"""NHS ethnic category and Census 2021 code lists, the crosswalk between them, and normalisation."""

# Sources are sections of reference/ethnicity.md, cited as §n. The two code tables are read at
# import from the CSV files in pcref/analytics/data/ and checked once, here, so later code can
# trust them. Standard library only: this module never imports Django.

import csv
import io
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from importlib.resources import files

# One version for everything below: the 2001-based national list, the an2 roll-up rule, the
# Census 2021 crosswalk, the form list (GOV.UK pattern plus Roma) and the local residuals
# (C for Gypsy or Irish Traveller and Roma, S for Arab). Change it when any of them changes.
MAPPING_VERSION = "nhs-2001/census-2021-crosswalk-v1"

NOT_STATED = "Z"
NOT_KNOWN = "99"

STATUS_VALID = "valid"
STATUS_NOT_STATED = "not_stated"
STATUS_NOT_KNOWN = "not_known"
STATUS_MISSING = "missing"
STATUS_INVALID = "invalid"
STATUSES = (STATUS_VALID, STATUS_NOT_STATED, STATUS_NOT_KNOWN, STATUS_MISSING, STATUS_INVALID)

_NHS_COLUMNS = ["code", "label", "broad_group", "broad_group_code"]
_CENSUS_COLUMNS = [
    "census2021_code",
    "census2021_label",
    "census2021_broad_group",
    "nhs_code",
    "nhs_broad_group_for_statistics",
    "note",
]
# Publication labels used by NHS England statistics for the broad groups (§1).
_BROAD_GROUP_LABELS = {
    "White": "White",
    "Mixed": "Mixed",
    "Asian": "Asian or Asian British",
    "Black": "Black or Black British",
    "Other": "Other Ethnic Groups",
}
# Local decision, not a published rule (§5): one 2001 code for a person in these census groups.
_LOCAL_RESIDUAL_CODES = {15: "C", 16: "C", 18: "S"}
_NOMIS_PREFIX = "Ethnic group: "


def _read_table(filename: str, columns: list[str]) -> list[dict[str, str]]:
    """Rows of a packaged CSV file, refusing one whose header is not exactly `columns`."""
    text = (files(__package__) / "data" / filename).read_text(encoding="utf-8-sig")
    reader = csv.DictReader(io.StringIO(text))
    if reader.fieldnames != columns:
        raise RuntimeError(f"{filename} must have columns {columns}; it has {reader.fieldnames}")
    return list(reader)


def _require(condition: bool, message: str) -> None:
    if not condition:
        raise RuntimeError(f"ethnicity reference data is inconsistent: {message}")


# --- NHS ETHNIC CATEGORY (§1) ----------------------------------------------------------------


@dataclass(frozen=True)
class EthnicCategory:
    """One NHS ETHNIC CATEGORY code (§1): a national code A-S, Z (not stated) or 99 (not known).

    `broad_group` is the NHS England statistics group ("White" … "Other", or "Not stated" /
    "Not known"); `broad_group_code` (W, M, A, B, O, Z, 99) is a project key, not an NHS code.
    """

    code: str
    label: str
    broad_group: str
    broad_group_code: str

    @property
    def is_national(self) -> bool:
        """True for the 16 national codes A-S, False for Z and 99."""
        return self.code not in (NOT_STATED, NOT_KNOWN)


NHS_ETHNIC_CATEGORIES: tuple[EthnicCategory, ...] = tuple(
    EthnicCategory(**row) for row in _read_table("ethnic_category_nhs.csv", _NHS_COLUMNS)
)
_NHS_BY_CODE = {category.code: category for category in NHS_ETHNIC_CATEGORIES}
NATIONAL_CODES: tuple[str, ...] = tuple(c.code for c in NHS_ETHNIC_CATEGORIES if c.is_national)
NHS_CODES: tuple[str, ...] = tuple(category.code for category in NHS_ETHNIC_CATEGORIES)
_FIRST_CHARACTERS = frozenset(NATIONAL_CODES) | {NOT_STATED}
_CODE_BY_LABEL = {category.label.casefold(): category.code for category in NHS_ETHNIC_CATEGORIES}

_require(
    len(NHS_ETHNIC_CATEGORIES) == 18, f"expected 18 NHS rows, got {len(NHS_ETHNIC_CATEGORIES)}"
)
_require(
    NATIONAL_CODES == tuple("ABCDEFGHJKLMNPRS"),
    f"national codes must be A-S without I, O, Q; got {NATIONAL_CODES}",
)
_require(NHS_CODES[-2:] == (NOT_STATED, NOT_KNOWN), f"Z and 99 must come last; got {NHS_CODES}")


def nhs_category(code: str) -> EthnicCategory:
    """The NHS ETHNIC CATEGORY row for an exact code (§1).

    Args:
        code: one of the 18 codes exactly as in the standard ("A" … "S", "Z", "99"). Not trimmed
            or upper-cased: use `normalise` for raw values.

    Returns:
        The `EthnicCategory` with its label and broad group.

    Raises:
        KeyError: naming the value, when it is not one of the 18 codes.
    """
    try:
        return _NHS_BY_CODE[code]
    except (KeyError, TypeError):
        raise KeyError(
            f"{code!r} is not an NHS ethnic category code; expected one of {', '.join(NHS_CODES)}"
        ) from None


# --- Broad groups (§1) -----------------------------------------------------------------------


@dataclass(frozen=True)
class BroadGroup:
    """An NHS England statistics broad group (§1): name, publication label, project key, codes."""

    name: str
    label: str
    broad_group_code: str
    codes: tuple[str, ...]


def _broad_groups() -> tuple[BroadGroup, ...]:
    names: list[str] = []
    for category in NHS_ETHNIC_CATEGORIES:
        if category.is_national and category.broad_group not in names:
            names.append(category.broad_group)
    _require(
        names == list(_BROAD_GROUP_LABELS),
        f"broad groups must be {list(_BROAD_GROUP_LABELS)} in that order; got {names}",
    )
    groups = []
    for name in names:
        members = [c for c in NHS_ETHNIC_CATEGORIES if c.is_national and c.broad_group == name]
        keys = {c.broad_group_code for c in members}
        _require(len(keys) == 1, f"broad group {name!r} has several keys {sorted(keys)}")
        groups.append(
            BroadGroup(name, _BROAD_GROUP_LABELS[name], keys.pop(), tuple(c.code for c in members))
        )
    return tuple(groups)


BROAD_GROUPS: tuple[BroadGroup, ...] = _broad_groups()
_BROAD_GROUP_BY_NAME = {group.name: group for group in BROAD_GROUPS}


def broad_group(code: str | None) -> str | None:
    """The broad group name of an NHS code, e.g. "White" for "C" (§1).

    Args:
        code: one of the 18 NHS codes exactly, or None (a missing or invalid value, as in
            `Normalised.code`).

    Returns:
        "White", "Mixed", "Asian", "Black" or "Other" for a national code; "Not stated" for Z and
        "Not known" for 99 (so breakdowns can show them separately, never inside a group); None
        for None: missing in, missing out.

    Raises:
        KeyError: naming the value, for anything that is not an NHS code (normalise raw values
            first; a raw "CP" or "x" is refused here rather than quietly dropped).
    """
    if code is None:
        return None
    return nhs_category(code).broad_group


def broad_group_label(code: str | None) -> str | None:
    """The publication label of a national code's broad group, e.g. "Black or Black British" (§1).

    Args:
        code: one of the 18 NHS codes exactly, or None.

    Returns:
        The label NHS England statistics use for the group; None for Z, 99 and None, which belong
        to no group.

    Raises:
        KeyError: naming the value, for anything that is not an NHS code.
    """
    if code is None:
        return None
    group = _BROAD_GROUP_BY_NAME.get(nhs_category(code).broad_group)
    return group.label if group else None


# --- Census 2021 (§5) ------------------------------------------------------------------------


@dataclass(frozen=True)
class Census2021Group:
    """One of the 19 Census 2021 ethnic groups and how NHS England statistics count it (§5).

    `nhs_code` is None for Gypsy or Irish Traveller, Roma and Arab, which have no lower-level NHS
    code and count only in their broad group (`nhs_broad_group_for_statistics`). For those three,
    `local_residual_code` is the project's local decision for storing one 2001 code for a person
    (C, C and S); it is None for every other group. `note` is "" when the table has none.
    """

    census2021_code: int
    label: str
    census_broad_group: str
    nhs_code: str | None
    nhs_broad_group_for_statistics: str
    note: str
    local_residual_code: str | None = None


def _census_groups() -> tuple[Census2021Group, ...]:
    groups = []
    for row in _read_table("census2021_ethnic_groups.csv", _CENSUS_COLUMNS):
        code = int(row["census2021_code"])
        groups.append(
            Census2021Group(
                census2021_code=code,
                label=row["census2021_label"],
                census_broad_group=row["census2021_broad_group"],
                nhs_code=row["nhs_code"] or None,
                nhs_broad_group_for_statistics=row["nhs_broad_group_for_statistics"],
                note=row["note"],
                local_residual_code=_LOCAL_RESIDUAL_CODES.get(code),
            )
        )
    groups.sort(key=lambda group: group.census2021_code)
    _require(
        [g.census2021_code for g in groups] == list(range(1, 20)),
        f"census codes must be 1 to 19 once each; got {[g.census2021_code for g in groups]}",
    )
    for group in groups:
        where = f"census group {group.census2021_code} ({group.label!r})"
        _require(
            group.nhs_broad_group_for_statistics in _BROAD_GROUP_BY_NAME,
            f"{where} has unknown NHS broad group {group.nhs_broad_group_for_statistics!r}",
        )
        # Exactly one of the published code and the local residual is set.
        _require(
            (group.nhs_code is None) == (group.local_residual_code is not None),
            f"{where} needs either an NHS code or a local residual, not both or neither",
        )
        code = group.nhs_code or group.local_residual_code
        _require(code in NATIONAL_CODES, f"{where} maps to {code!r}, not a national code")
        _require(
            _NHS_BY_CODE[code].broad_group == group.nhs_broad_group_for_statistics,
            f"{where} maps to {code!r} outside its NHS broad group",
        )
    return tuple(groups)


CENSUS_2021_GROUPS: tuple[Census2021Group, ...] = _census_groups()
_CENSUS_BY_CODE = {group.census2021_code: group for group in CENSUS_2021_GROUPS}
_CENSUS_BY_LABEL = {group.label: group for group in CENSUS_2021_GROUPS}


def census2021_group(census2021_code: int) -> Census2021Group:
    """The Census 2021 group for an ONS "Ethnic group (20 categories)" code 1-19 (§5).

    Args:
        census2021_code: the ONS code as an int. -8 ("Does not apply") is not a group.

    Returns:
        The `Census2021Group`.

    Raises:
        KeyError: naming the value, for anything other than the ints 1 to 19.
    """
    group = None
    if isinstance(census2021_code, int) and not isinstance(census2021_code, bool):
        group = _CENSUS_BY_CODE.get(census2021_code)
    if group is None:
        raise KeyError(f"{census2021_code!r} is not a Census 2021 ethnic group code; expected 1-19")
    return group


def census2021_group_by_label(label: str) -> Census2021Group:
    """The Census 2021 group for its ONS label, as in nomis TS021 outputs (§5).

    Args:
        label: the label exactly, e.g. "White: Roma"; the nomis column prefix "Ethnic group: " and
            surrounding spaces are allowed, so TS021 headers can be matched directly.

    Returns:
        The `Census2021Group`.

    Raises:
        KeyError: naming the value, when no group has that label (case and wording must match:
            joining by label must never guess).
    """
    text = label.strip() if isinstance(label, str) else label
    if isinstance(text, str) and text.startswith(_NOMIS_PREFIX):
        text = text[len(_NOMIS_PREFIX) :]
    group = _CENSUS_BY_LABEL.get(text) if isinstance(text, str) else None
    if group is None:
        raise KeyError(f"{label!r} is not a Census 2021 ethnic group label")
    return group


def census2021_groups_for_nhs_code(code: str) -> tuple[Census2021Group, ...]:
    """The Census 2021 groups NHS England counts under a national code, for denominators (§5).

    Follows NHS England: Gypsy or Irish Traveller and Roma are not under C and Arab is not under
    S (their local residuals are for storing a person's code, not for populations).

    Args:
        code: one of the 18 NHS codes exactly.

    Returns:
        The groups in census-code order; empty for Z and 99.

    Raises:
        KeyError: naming the value, for anything that is not an NHS code.
    """
    nhs_category(code)
    return tuple(group for group in CENSUS_2021_GROUPS if group.nhs_code == code)


# --- Normalisation (§2, §3) ------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class Normalised:
    """An ethnicity value as given and what it means under the mapping (§2, §3, §4).

    Attributes:
        as_given: the raw value, unchanged (may be None); store it, never overwrite it.
        code: a national code A-S, "Z", "99", or None (missing or invalid).
        status: "valid", "not_stated" (Z), "not_known" (99), "missing" or "invalid"; the four
            non-valid states stay distinct (§2).
        guessed: True when the code was inferred: a local 2-character sub-code rolled up to its
            first letter, or a label matched to its code.
        note: a plain-English reason for the result, naming the value.
        mapping_version: `MAPPING_VERSION` at the time of mapping.
        local_mapping: True when the code comes from a local decision, not the national standard:
            a trust's `local_mappings` entry or a form option's local residual (§3, §5).
        question_left_blank: True when a form question was shown but left blank (coded 99).
    """

    as_given: object
    code: str | None
    status: str
    guessed: bool
    note: str
    mapping_version: str = MAPPING_VERSION
    local_mapping: bool = False
    question_left_blank: bool = False


def _status_of(code: str) -> str:
    if code == NOT_STATED:
        return STATUS_NOT_STATED
    if code == NOT_KNOWN:
        return STATUS_NOT_KNOWN
    return STATUS_VALID


def _describe(code: str) -> str:
    return f"{code!r} ({_NHS_BY_CODE[code].label})"


def _as_text(raw: object) -> str | None:
    """Raw value as text; None and float NaN (a missing cell in a data frame) are missing."""
    if raw is None or (isinstance(raw, float) and math.isnan(raw)):
        return None
    return raw if isinstance(raw, str) else str(raw)


def _standard_result(raw: object) -> Normalised:
    """Normalise by the national rules alone, without local mappings (§3)."""
    text = _as_text(raw)
    value = text.strip().upper() if text is not None else ""
    if value == NOT_KNOWN:  # checked first: "9" alone is not a code
        return Normalised(
            as_given=raw,
            code=NOT_KNOWN,
            status=STATUS_NOT_KNOWN,
            guessed=False,
            note="'99' means not known: not asked, or could not be obtained",
        )
    if not value:
        return Normalised(
            as_given=raw,
            code=None,
            status=STATUS_MISSING,
            guessed=False,
            note="no value given: missing (not 99, not Z)",
        )
    # ASCII only: "ß".upper() is "SS", which must not roll up to S.
    if len(value) <= 2 and text.strip().isascii() and value[0] in _FIRST_CHARACTERS:
        code = value[0]
        if len(value) == 1:
            note = f"national code {_describe(code)}"
        else:
            note = f"rolled up local sub-code {value!r} to {_describe(code)}"
        return Normalised(
            as_given=raw, code=code, status=_status_of(code), guessed=len(value) == 2, note=note
        )
    label_code = _CODE_BY_LABEL.get(text.strip().casefold())
    if label_code is not None:
        return Normalised(
            as_given=raw,
            code=label_code,
            status=_status_of(label_code),
            guessed=True,
            note=f"matched label {text.strip()!r} to code {label_code!r}",
        )
    if len(text.strip()) > 2:
        reason = "codes are at most 2 characters"
    elif value[0] in "IOQ":
        reason = "the letters I, O and Q are not used"
    elif value[0].isdigit():
        reason = "the only numeric code is 99"
    else:
        reason = "the first character must be one of A-H, J-N, P, R, S or Z"
    return Normalised(
        as_given=raw,
        code=None,
        status=STATUS_INVALID,
        guessed=False,
        note=f"{text!r} is not an NHS ethnic category code ({reason})",
    )


def check_local_mappings(local_mappings: Mapping[str, str] | None) -> dict[str, str]:
    """Check a trust's explicit local code mappings once and return them cleaned (§3).

    Args:
        local_mappings: local code -> NHS code, e.g. {"T": "C"} for the GDPPR Traveller code.
            Keys and values are trimmed and upper-cased. None means no local mappings.

    Returns:
        A new dict of cleaned keys to NHS codes.

    Raises:
        TypeError: if it is not a mapping, or a key or value is not a string.
        ValueError: naming the entry, for a blank key (a missing value must stay missing), a
            value that is not one of the 18 NHS codes, or a key the national rules already read
            as a different code (e.g. "CP" -> "L": a sub-code must group into its own letter).
    """
    if local_mappings is None:
        return {}
    if not isinstance(local_mappings, Mapping):
        raise TypeError(f"local_mappings must be a dict; got {type(local_mappings).__name__}")
    cleaned: dict[str, str] = {}
    for key, value in local_mappings.items():
        if not isinstance(key, str) or not isinstance(value, str):
            raise TypeError(f"local mapping {key!r} -> {value!r}: keys and values must be strings")
        local, national = key.strip().upper(), value.strip().upper()
        if not local:
            raise ValueError(f"local mapping {key!r} -> {value!r}: a blank value stays missing")
        if national not in _NHS_BY_CODE:
            raise ValueError(
                f"local mapping {key!r} -> {value!r}: {value!r} is not an NHS ethnic category code"
            )
        standard = _standard_result(local)
        if standard.code is not None and standard.code != national:
            raise ValueError(
                f"local mapping {key!r} -> {value!r}: national rules already read {key!r} as "
                f"{standard.code!r}"
            )
        cleaned[local] = national
    return cleaned


def normalise(raw: object, local_mappings: Mapping[str, str] | None = None) -> Normalised:
    """Read one raw ethnicity value as an NHS code, keeping the raw value (§2, §3).

    Method (§3): trim whitespace and upper-case; a trust's explicit local mapping wins; exactly
    "99" is not known (checked before anything else, since "9" is not a code); blank or None is
    missing (never 99, never Z); a value of 1 or 2 characters whose first character is one of
    A-H, J-N, P, R, S, Z is that code (guessed when a second, local character was rolled up); an
    NHS label in full, any case (e.g. "white - british"), is its code, marked guessed; anything
    else is invalid, with no code, and the note names it. Values of 3 or more characters that are
    not a label are invalid, not rolled up: the format is an2.

    Args:
        raw: the value as held, usually a string or None. Other types are read with str() (so the
            int 99 is not known); a float NaN, as a data frame holds a blank cell, is missing.
        local_mappings: optional explicit local code -> NHS code, e.g. {"T": "C"} for the GDPPR
            Traveller code; checked by `check_local_mappings`. The result's note records it and
            `local_mapping` is True.

    Returns:
        A `Normalised` carrying `as_given`, `code`, `status`, `guessed`, `note` and
        `mapping_version`. Never raises for a bad raw value: that is an "invalid" result.

    Raises:
        TypeError, ValueError: only for bad `local_mappings` (see `check_local_mappings`).

    >>> result = normalise(" cp ")
    >>> result.code, result.status, result.guessed
    ('C', 'valid', True)
    >>> result.note
    "rolled up local sub-code 'CP' to 'C' (White - Any other White background)"
    >>> [normalise(value).status for value in ("z", " 99 ", "", None, "X")]
    ['not_stated', 'not_known', 'missing', 'missing', 'invalid']
    >>> normalise("T", local_mappings={"T": "C"}).code
    'C'
    """
    mappings = check_local_mappings(local_mappings)
    return _normalise_checked(raw, mappings)


def _normalise_checked(raw: object, mappings: dict[str, str]) -> Normalised:
    if mappings:
        text = _as_text(raw)
        value = text.strip().upper() if text is not None else ""
        if value in mappings:
            code = mappings[value]
            return Normalised(
                as_given=raw,
                code=code,
                status=_status_of(code),
                guessed=False,
                note=f"local mapping {value!r} to {_describe(code)}, set by the trust",
                local_mapping=True,
            )
    return _standard_result(raw)


def normalise_many(
    values: Iterable[object], local_mappings: Mapping[str, str] | None = None
) -> list[Normalised]:
    """`normalise` each value in order, checking `local_mappings` once (§3).

    Args:
        values: raw values, as for `normalise`.
        local_mappings: as for `normalise`.

    Returns:
        One `Normalised` per value, in the same order.

    Raises:
        TypeError, ValueError: only for bad `local_mappings`.
    """
    mappings = check_local_mappings(local_mappings)
    cache: dict[tuple[type, object], Normalised] = {}
    results = []
    for raw in values:
        try:
            # Extracts repeat a handful of values; the type is in the key as 1 == 1.0 == True.
            key = (type(raw), raw)
            result = cache.get(key)
            if result is None:
                result = cache[key] = _normalise_checked(raw, mappings)
        except TypeError:  # unhashable raw value
            result = _normalise_checked(raw, mappings)
        results.append(result)
    return results


@dataclass(frozen=True)
class QualitySummary:
    """Counts of normalised values by status, for data-quality metrics DQ1-DQ3 (§2)."""

    valid: int
    not_stated: int
    not_known: int
    missing: int
    invalid: int
    guessed: int
    local_mapping: int

    @property
    def total(self) -> int:
        """All values counted."""
        return self.valid + self.not_stated + self.not_known + self.missing + self.invalid

    @property
    def not_known_missing_or_invalid(self) -> int:
        """The DQ3 numerator: 99, missing and invalid combined (each is also kept separately)."""
        return self.not_known + self.missing + self.invalid

    def by_status(self) -> dict[str, int]:
        """Counts keyed by status, in the order of `STATUSES`."""
        return {status: getattr(self, status) for status in STATUSES}


def quality_summary(results: Iterable[Normalised]) -> QualitySummary:
    """Count normalised values by status, with how many were guessed or locally mapped (§2).

    Args:
        results: `Normalised` values, e.g. from `normalise_many`.

    Returns:
        A `QualitySummary`: one count per status, `guessed`, `local_mapping`, `total`, and the
        DQ3 combined count `not_known_missing_or_invalid`.

    Raises:
        TypeError: naming the position and type of anything that is not a `Normalised`.
    """
    counts = dict.fromkeys(STATUSES, 0)
    guessed = local = 0
    for position, result in enumerate(results):
        if not isinstance(result, Normalised):
            raise TypeError(
                f"quality_summary needs Normalised values; item {position} is a "
                f"{type(result).__name__} ({result!r})"
            )
        counts[result.status] += 1
        guessed += result.guessed
        local += result.local_mapping
    return QualitySummary(**counts, guessed=guessed, local_mapping=local)


# --- Forms: the GOV.UK self-identification list, with Roma (§4) -------------------------------

PREFER_NOT_TO_SAY = "prefer-not-to-say"

# Option ids are stored with every answer: changing one needs a data migration.
_FORM_SPEC = (
    (
        "white",
        "White",
        (
            ("white-british", "English, Welsh, Scottish, Northern Irish or British", 13),
            ("white-irish", "Irish", 14),
            ("white-gypsy-or-irish-traveller", "Gypsy or Irish Traveller", 15),
            ("white-roma", "Roma", 16),
            ("white-any-other", "Any other White background", 17),
        ),
    ),
    (
        "mixed",
        "Mixed or multiple ethnic groups",
        (
            ("mixed-white-and-black-caribbean", "White and Black Caribbean", 11),
            ("mixed-white-and-black-african", "White and Black African", 10),
            ("mixed-white-and-asian", "White and Asian", 9),
            ("mixed-any-other", "Any other Mixed or multiple ethnic background", 12),
        ),
    ),
    (
        "asian",
        "Asian or Asian British",
        (
            ("asian-indian", "Indian", 3),
            ("asian-pakistani", "Pakistani", 4),
            ("asian-bangladeshi", "Bangladeshi", 1),
            ("asian-chinese", "Chinese", 2),
            ("asian-any-other", "Any other Asian background", 5),
        ),
    ),
    (
        "black",
        "Black, African, Caribbean or Black British",
        (
            ("black-african", "African", 6),
            ("black-caribbean", "Caribbean", 7),
            ("black-any-other", "Any other Black, African or Caribbean background", 8),
        ),
    ),
    (
        "other",
        "Other ethnic group",
        (
            ("other-arab", "Arab", 18),
            ("other-any-other", "Any other ethnic group", 19),
        ),
    ),
)


@dataclass(frozen=True)
class FormEthnicOption:
    """One answer on the self-identification form (§4).

    Attributes:
        id: stable string id stored with the answer, e.g. "white-roma"; never change it without a
            data migration.
        label: the text shown, GOV.UK wording.
        group_id: the id of its `FormEthnicGroup`, or "" for "Prefer not to say".
        takes_details: True for the "Any other …" options, which take free-text details.
        census2021_code: the matching Census 2021 group (1-19); None for "Prefer not to say".
        nhs_code: the NHS code it maps to; "Z" for "Prefer not to say".
        local_residual: True when `nhs_code` is the project's local residual (C for Gypsy or
            Irish Traveller and Roma, S for Arab), not a published mapping (§5).
    """

    id: str
    label: str
    group_id: str
    takes_details: bool
    census2021_code: int | None
    nhs_code: str
    local_residual: bool


@dataclass(frozen=True)
class FormEthnicGroup:
    """A group of answers on the self-identification form, e.g. "White" (§4)."""

    id: str
    label: str
    options: tuple[FormEthnicOption, ...]


def _form_groups() -> tuple[FormEthnicGroup, ...]:
    groups = []
    for group_id, group_label, options in _FORM_SPEC:
        built = []
        for option_id, label, census_code in options:
            census = _CENSUS_BY_CODE[census_code]
            # Join by label, not by position: a mistyped census code fails here at import.
            where = f"form option {option_id!r} (census group {census_code}, {census.label!r})"
            _require(
                census.census_broad_group.split()[0].rstrip(",").lower() == group_id,
                f"{where} is outside form group {group_id!r}",
            )
            _require(
                census.label.endswith(": " + label)
                or (label.startswith("Any other") and ": Other" in census.label),
                f"{where} does not match label {label!r}",
            )
            built.append(
                FormEthnicOption(
                    id=option_id,
                    label=label,
                    group_id=group_id,
                    takes_details=label.startswith("Any other"),
                    census2021_code=census_code,
                    nhs_code=census.nhs_code or census.local_residual_code,
                    local_residual=census.nhs_code is None,
                )
            )
        groups.append(FormEthnicGroup(group_id, group_label, tuple(built)))
    return tuple(groups)


FORM_ETHNIC_GROUPS: tuple[FormEthnicGroup, ...] = _form_groups()
FORM_PREFER_NOT_TO_SAY = FormEthnicOption(
    id=PREFER_NOT_TO_SAY,
    label="Prefer not to say",
    group_id="",
    takes_details=False,
    census2021_code=None,
    nhs_code=NOT_STATED,
    local_residual=False,
)
FORM_OPTIONS: tuple[FormEthnicOption, ...] = (
    *(option for group in FORM_ETHNIC_GROUPS for option in group.options),
    FORM_PREFER_NOT_TO_SAY,
)
_FORM_OPTION_BY_ID = {option.id: option for option in FORM_OPTIONS}

_require(len(_FORM_OPTION_BY_ID) == len(FORM_OPTIONS), "form option ids must be unique")
_require(
    sorted(o.census2021_code for o in FORM_OPTIONS if o.census2021_code) == list(range(1, 20)),
    "each Census 2021 group must have exactly one form option",
)


def form_option(option_id: str) -> FormEthnicOption:
    """The form option with this id (§4).

    Args:
        option_id: a `FORM_OPTIONS` id exactly, e.g. "white-roma".

    Returns:
        The `FormEthnicOption`.

    Raises:
        KeyError: naming the value, when no option has that id.
    """
    try:
        return _FORM_OPTION_BY_ID[option_id]
    except (KeyError, TypeError):
        raise KeyError(f"{option_id!r} is not a form ethnic group option id") from None


def form_choices() -> tuple[tuple[str, object], ...]:
    """(value, label) choices for a select or radios, grouped as Django `choices` expects (§4).

    Returns:
        One (group label, ((option id, option label), …)) pair per group, in form order, then
        ("prefer-not-to-say", "Prefer not to say") on its own, as the GOV.UK pattern shows it.
    """
    grouped = tuple(
        (group.label, tuple((option.id, option.label) for option in group.options))
        for group in FORM_ETHNIC_GROUPS
    )
    return (*grouped, (FORM_PREFER_NOT_TO_SAY.id, FORM_PREFER_NOT_TO_SAY.label))


def form_answer_to_code(
    option_id: str | None, details: str | None = None, *, asked: bool = True
) -> Normalised:
    """The NHS code for an answer to the self-identification form question (§4, §5).

    "Prefer not to say" is Z (asked and declined). A question shown but left blank is 99 with
    `question_left_blank` True: we cannot tell whether the person declined or skipped it. With
    `asked=False` (staff entered feedback without asking) it is 99. An ethnic group option maps as
    in the Census 2021 crosswalk; Gypsy or Irish Traveller and Roma get C and Arab gets S as a
    local residual (`local_mapping` True), a local decision, not a published rule.

    Args:
        option_id: a `FORM_OPTIONS` id exactly, or None / blank when the question was left blank.
        details: free text from an "Any other …" option, or None. It is stored by the caller as
            given and never changes the code.
        asked: False when the question was not asked; option_id must then be None or blank.

    Returns:
        A `Normalised` whose `as_given` is the option id as given. `guessed` is always False.

    Raises:
        TypeError: if option_id or details is neither a string nor None.
        ValueError: naming the value, for an unknown option id, details given with an option that
            takes none (or with no option), or an answer given when `asked` is False.

    >>> form_answer_to_code("other-arab").code
    'S'
    >>> result = form_answer_to_code(None)
    >>> result.code, result.status, result.question_left_blank
    ('99', 'not_known', True)
    """
    for name, value in (("option_id", option_id), ("details", details)):
        if value is not None and not isinstance(value, str):
            raise TypeError(f"{name} must be a string or None; got {type(value).__name__}")
    has_details = bool(details and details.strip())
    blank = option_id is None or not option_id.strip()
    if not asked:
        if not blank or has_details:
            raise ValueError(f"the question was not asked, but an answer was given: {option_id!r}")
        return Normalised(
            as_given=option_id,
            code=NOT_KNOWN,
            status=STATUS_NOT_KNOWN,
            guessed=False,
            note="the question was not asked: 99 (not known)",
        )
    if blank:
        if has_details:
            raise ValueError("details were given but no ethnic group option was chosen")
        return Normalised(
            as_given=option_id,
            code=NOT_KNOWN,
            status=STATUS_NOT_KNOWN,
            guessed=False,
            note="the question was left blank: 99 (not known), as we cannot tell declined "
            "from skipped",
            question_left_blank=True,
        )
    option = _FORM_OPTION_BY_ID.get(option_id)
    if option is None:
        raise ValueError(
            f"{option_id!r} is not a form ethnic group option id; expected one of FORM_OPTIONS, "
            "e.g. 'white-british' or 'prefer-not-to-say'"
        )
    if has_details and not option.takes_details:
        raise ValueError(
            f"details were given for {option_id!r}, which takes none; only the "
            "'Any other ...' options take details"
        )
    if option is FORM_PREFER_NOT_TO_SAY:
        note = "the person chose 'Prefer not to say': Z (not stated)"
    elif option.local_residual:
        note = (
            f"form answer {option_id!r} ({option.label}) has no NHS code of its own; "
            f"{_describe(option.nhs_code)} is a local residual, not a published rule"
        )
    else:
        note = f"form answer {option_id!r} ({option.label}) maps to {_describe(option.nhs_code)}"
    return Normalised(
        as_given=option_id,
        code=option.nhs_code,
        status=_status_of(option.nhs_code),
        guessed=False,
        note=note,
        local_mapping=option.local_residual,
    )
