"""`generate`: draws people and events, vectorised, and writes the extract table by table."""

from __future__ import annotations

import calendar
import datetime as dt
import json
import time
from collections.abc import Callable, Mapping
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq

from pcref.analytics.ethnicity import MAPPING_VERSION, STATUSES
from pcref.analytics.extract.schema import (
    AGE_BANDS,
    DATE,
    EXTRACT_TABLES,
    INTEGER,
    NUMBER,
    OUTCOME_MEASURES,
    SCHEMA_VERSION,
    STRING,
    Table,
)
from pcref.analytics.synth.model import (
    ACCESS_AGE,
    ACCESS_SEX,
    ACUTE_WARDS,
    AGE_RANGES,
    AREAS,
    ATTENDED,
    BROAD_GROUPS,
    CITY_AREA,
    COMMUNITY_TEAMS,
    CONTACT_WEIGHT,
    CTO_DAYS,
    DETENTION_AGE,
    DETENTION_PATHS,
    DETENTION_SEX,
    EXTRA_REFERRALS,
    FILE_FORMATS,
    GAP_DAYS,
    GENERATOR_VERSION,
    INFORMAL_ADMISSION,
    INFORMAL_EPISODE,
    JUNK_VALUES,
    JUSTICE_ADULT,
    JUSTICE_CHILD,
    LAPSING,
    LENGTH_OF_STAY,
    LOCAL_SUBCODES,
    MAX_PEOPLE,
    MEASURE_SCALE,
    MEASURES_BY_TEAM,
    MIN_PEOPLE,
    ORGANISATION_CODE,
    PART_III,
    POPULATION_PER_PERSON,
    REFERRAL_DAYS,
    REPEAT_DETENTION,
    RESTRAINT_INFORMAL,
    RESTRAINT_TYPES,
    RESTRAINT_WARD,
    S136_AGE,
    S136_BEFORE_DETENTION,
    S136_REPEAT,
    S136_SEX,
    SOURCES_ADULT,
    SOURCES_CHILD,
    STATUS_DAYS,
    TEAM_BY_AGE,
    TRUTH_GROUPS,
    WARDS,
    WHITE_BRITISH,
    Catchment,
    build_catchment,
    recorded_code,
)
from pcref.analytics.synth.parameters import (
    Disparities,
    GroundTruth,
    RecordingQuality,
    check_number,
)
from pcref.analytics.synth.truth import DATA_QUALITY_DEFINITION, Metrics, QualityCounts

_CHUNK_REFERRALS = 250_000  # care contacts are made and written this many referrals at a time


# --- Small vectorised helpers -------------------------------------------------------------------


def _rng(seed: int, *stage: int) -> np.random.Generator:
    """An independent random stream per stage (and chunk), so stages never shift each other."""
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence(seed, spawn_key=stage)))


def _categorical(rng: np.random.Generator, cumulative: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """One draw per element from row `rows[i]` of a table of cumulative probabilities."""
    u = rng.random(len(rows))
    picks = (cumulative[rows] <= u[:, None]).sum(axis=1)
    return np.minimum(picks, cumulative.shape[1] - 1)


def _choice(rng: np.random.Generator, weights: Mapping[str, float], size: int) -> np.ndarray:
    p = np.array(list(weights.values()), dtype=float)
    return rng.choice(len(p), size=size, p=p / p.sum())


def _lognormal_days(rng, median: np.ndarray | float, sigma: np.ndarray | float, size: int):
    days = np.rint(median * np.exp(sigma * rng.standard_normal(size)))
    return np.maximum(days, 1).astype(np.int64)


def _ids(prefix: str, numbers: np.ndarray, width: int) -> pa.Array:
    """Zero-padded string keys, e.g. P00000042, built straight into an Arrow buffer."""
    numbers = np.asarray(numbers, dtype=np.int64)
    n, head = len(numbers), len(prefix)
    size = head + width
    text = np.empty((n, size), dtype=np.uint8)
    text[:, :head] = np.frombuffer(prefix.encode("ascii"), dtype=np.uint8)
    rest = numbers.copy()
    for column in range(size - 1, head - 1, -1):
        text[:, column] = 48 + rest % 10
        rest //= 10
    if (n + 1) * size < 2**31:
        offsets = np.arange(0, (n + 1) * size, size, dtype=np.int32)
        return pa.StringArray.from_buffers(n, pa.py_buffer(offsets), pa.py_buffer(text))
    offsets = np.arange(0, (n + 1) * size, size, dtype=np.int64)
    return pa.LargeStringArray.from_buffers(n, pa.py_buffer(offsets), pa.py_buffer(text))


def _codes(vocabulary, indices: np.ndarray, null: np.ndarray | None = None) -> pa.Array:
    """Strings from a small vocabulary by index; `null` marks blank cells."""
    mask = None if null is None or not null.any() else np.asarray(null, dtype=bool)
    positions = pa.array(np.asarray(indices, dtype=np.int32), type=pa.int32(), mask=mask)
    return pa.array(list(vocabulary), type=pa.string()).take(positions)


def _index_of(values: np.ndarray, vocabulary) -> np.ndarray:
    """Position of each value in `vocabulary` (every value must be in it)."""
    vocabulary = np.asarray(vocabulary)
    sorter = np.argsort(vocabulary)
    return sorter[np.searchsorted(vocabulary, values, sorter=sorter)]


def _dates(days: np.ndarray, epoch_day: int, null: np.ndarray | None = None) -> pa.Array:
    """Dates from day numbers counted from the period start."""
    values = (np.asarray(days, dtype=np.int64) + epoch_day).astype(np.int32)
    mask = None if null is None or not null.any() else np.asarray(null, dtype=bool)
    return pa.array(values, type=pa.date32(), mask=mask)


def _add_months(day: dt.date, months: int) -> dt.date:
    """The same day `months` later (the month's last day when it is shorter)."""
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


# --- The generator ------------------------------------------------------------------------------


class Period:
    """The extract period: days counted from `start` (day 0) to `end` (exclusive), and months."""

    def __init__(self, start: dt.date, years: int):
        self.start = start
        self.end = _add_months(start, 12 * years)  # exclusive
        self.days = (self.end - start).days
        self.epoch_day = (start - dt.date(1970, 1, 1)).days
        first_days, labels = [], []
        month_start = dt.date(start.year, start.month, 1)
        while month_start < self.end:
            first_days.append(max((month_start - start).days, 0))
            labels.append(month_start.strftime("%Y-%m"))
            month_start = _add_months(month_start, 1)
        self.month_labels = tuple(labels)
        self.month_first_day = np.array(first_days, dtype=np.int64)
        self.month_days = np.diff(np.append(self.month_first_day, self.days))

    def month_of(self, days: np.ndarray) -> np.ndarray:
        return np.searchsorted(self.month_first_day, days, side="right") - 1


class _Writer:
    """Writes one table as CSV or Parquet, whole or in chunks, with the schema's exact columns."""

    _TYPES = {STRING: pa.string(), INTEGER: pa.int64(), NUMBER: pa.float64(), DATE: pa.date32()}

    def __init__(self, out_dir: Path, table: Table, file_format: str):
        self.table = table
        self.schema = pa.schema(
            [pa.field(c.name, self._TYPES[c.type], nullable=c.nullable) for c in table.columns]
        )
        self.path = out_dir / f"{table.name}.{file_format}"
        self.rows = 0
        if file_format == "csv":
            self._writer = pa_csv.CSVWriter(
                self.path,
                self.schema,
                write_options=pa_csv.WriteOptions(
                    batch_size=65_536, quoting_style="none", quoting_header="none"
                ),
            )
        else:
            self._writer = pq.ParquetWriter(self.path, self.schema, compression="zstd")

    def write(self, columns: Mapping[str, pa.Array]) -> None:
        if set(columns) != set(self.schema.names):
            raise RuntimeError(f"{self.table.name}: columns {sorted(columns)} do not match schema")
        arrays = [columns[name].cast(self.schema.field(name).type) for name in self.schema.names]
        batch = pa.Table.from_arrays(arrays, schema=self.schema)
        self._writer.write_table(batch)
        self.rows += batch.num_rows

    def close(self) -> None:
        self._writer.close()


def _check_arguments(people, seed, years, start, file_format, disparities, quality, cpr):
    if isinstance(people, bool) or not isinstance(people, int):
        raise TypeError(f"people must be a whole number; got {people!r}")
    if not MIN_PEOPLE <= people <= MAX_PEOPLE:
        raise ValueError(f"people must be between {MIN_PEOPLE} and {MAX_PEOPLE:,}; got {people:,}")
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise ValueError(f"seed must be a whole number, 0 or more; got {seed!r}")
    if isinstance(years, bool) or not isinstance(years, int) or not 1 <= years <= 10:
        raise ValueError(f"years must be a whole number from 1 to 10; got {years!r}")
    if isinstance(start, str):
        try:
            start = dt.date.fromisoformat(start)
        except ValueError:
            raise ValueError(f"start must be a date as YYYY-MM-DD; got {start!r}") from None
    if not isinstance(start, dt.date) or isinstance(start, dt.datetime):
        raise TypeError(f"start must be a date or 'YYYY-MM-DD'; got {start!r}")
    last_day = _add_months(start, 12 * years) - dt.timedelta(days=1)
    if last_day > dt.date.today():
        raise ValueError(
            f"the period {start} to {last_day} ends after today ({dt.date.today()}); an extract "
            "cannot hold future dates: choose an earlier start or fewer years"
        )
    if file_format not in FILE_FORMATS:
        raise ValueError(f"file_format must be one of {FILE_FORMATS}; got {file_format!r}")
    if disparities is not None and not isinstance(disparities, Disparities):
        raise TypeError(f"disparities must be a Disparities; got {type(disparities).__name__}")
    if quality is not None and not isinstance(quality, RecordingQuality):
        raise TypeError(f"quality must be a RecordingQuality; got {type(quality).__name__}")
    check_number("contacts_per_referral", cpr, 0, 1000)
    return start


def _check_probability(name: str, values: np.ndarray, catchment: Catchment, cells: np.ndarray):
    if values.size and values.max() > 1:
        worst = int(np.argmax(values))
        cell = cells[worst]
        raise ValueError(
            f"{name} would be {values[worst]:.3f} for {BROAD_GROUPS[catchment.broad[cell]]} "
            f"people aged {AGE_BANDS[catchment.age[cell]]} (above 1): lower the ratio or the "
            "White reference level"
        )


def generate(
    out_dir: str | Path,
    *,
    people: int = 200_000,
    seed: int = 0,
    years: int = 3,
    start: str | dt.date = "2023-04-01",
    file_format: str = "csv",
    disparities: Disparities | None = None,
    quality: RecordingQuality | None = None,
    progress: Callable[[str], None] | None = None,
    contacts_per_referral: float = 18.0,
) -> GroundTruth:
    """Write a synthetic extract with known disparities and recording quality, and its truth.

    Args:
        out_dir: folder to write to, created if needed; existing files of the same names are
            replaced.
        people: people in contact with services: the rows of `mhs001_patients`, exactly. The
            resident population is `people` × 5.5 (200,000 people ≈ 1.1M residents, as LLR).
        seed: the random seed; the same seed and arguments give byte-identical files.
        years: length of the period in years, from `start`; 1 to 10.
        start: first day of the period, a date or "YYYY-MM-DD"; the period must end by today.
        file_format: "csv" or "parquet".
        disparities: the injected disparities; default `Disparities()`.
        quality: the ethnicity recording model; default `RecordingQuality()`.
        progress: called with one line of text per table written, if given.
        contacts_per_referral: mean care contacts per referral before the period end cuts some
            off; default 18 (about 15 written per referral).

    Returns:
        The `GroundTruth`, also written as ground_truth.json.

    Raises:
        TypeError, ValueError: naming the argument and value, for any argument out of range or a
            ratio that would make a probability above 1.
    """
    started = time.perf_counter()
    start = _check_arguments(
        people, seed, years, start, file_format, disparities, quality, contacts_per_referral
    )
    disparities = disparities or Disparities()
    quality = quality or RecordingQuality()
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    period = Period(start, years)
    say = progress or (lambda message: None)
    run = Run(
        out, file_format, period, people, seed, years, disparities, quality, contacts_per_referral
    )
    truth = run.execute(say)
    say(
        f"ground_truth.json written; {sum(truth.rows.values()):,} rows in "
        f"{time.perf_counter() - started:.1f} s"
    )
    return truth


# Random streams, one per stage.
_PATIENTS, _REFERRALS, _RECORDING, _CONTACTS, _DETENTIONS, _INFORMAL, _S136, _CTO = range(8)
_RESTRAINT, _OUTCOMES = 8, 9


class Run:
    """One generation: the steps share the period, the catchment and the people drawn."""

    def __init__(self, out, file_format, period, people, seed, years, disparities, quality, cpr):
        self.out, self.file_format, self.period = out, file_format, period
        self.people, self.seed, self.years = people, seed, years
        self.disparities, self.quality, self.cpr = disparities, quality, cpr
        self.catchment = build_catchment(people)
        self.quality_counts = QualityCounts(period)
        self.rows: dict[str, int] = {}
        self.schema = {t.name: t for t in EXTRACT_TABLES}

    # -- helpers --

    def _write(self, name: str, columns: Mapping[str, pa.Array], say) -> None:
        writer = _Writer(self.out, self.schema[name], self.file_format)
        writer.write(columns)
        writer.close()
        self.rows[name] = writer.rows
        say(f"{name}: {writer.rows:,} rows")

    def _ratio_by_cell(self, metric: str) -> np.ndarray:
        ratios = np.array([self.disparities.ratio(metric, g) for g in BROAD_GROUPS])
        return ratios[self.catchment.broad]

    def _factors(self, age: tuple, sex: tuple) -> np.ndarray:
        c = self.catchment
        if not self.disparities.gradients:
            return np.ones(len(c.population))
        return np.asarray(age)[c.age] * np.asarray(sex)[c.sex]

    def _population_rate(self, metric: str, white_per_100k_per_year: float, age, sex):
        """Chance per resident, by cell, of the event at least once in the period: the White
        crude rate is the reference level exactly, the others scale by the ratio."""
        c = self.catchment
        factor = self._factors(age, sex)
        white = c.broad == 0
        mean_white = (factor * c.population)[white].sum() / c.population[white].sum()
        period_chance = white_per_100k_per_year * self.period.days / 365.25 / 100_000
        return period_chance / mean_white * factor * self._ratio_by_cell(metric)

    # -- steps --

    def execute(self, say) -> GroundTruth:
        self.write_population(say)
        self.draw_patients()
        self.draw_referrals()
        self.record_ethnicity()
        self.write_patients(say)
        self.write_referrals(say)
        self.write_contacts(say)
        self.draw_hospital_and_mha()
        self.write_hospital_and_mha(say)
        self.write_restraint(say)
        self.write_outcomes(say)
        return self.finish()

    def write_population(self, say) -> None:
        c = self.catchment
        self._write(
            "population",
            {
                "area_code": _codes([a[0] for a in AREAS], c.area),
                "census2021_ethnic_group": _codes([str(k) for k in range(20)], c.census),
                "sex": _codes(["1", "2"], c.sex),
                "age_band": _codes(AGE_BANDS, c.age),
                "population": pa.array(c.population, type=pa.int64()),
            },
            say,
        )

    def draw_patients(self) -> None:
        c, rng = self.catchment, _rng(self.seed, _PATIENTS)
        access_factor = self._factors(ACCESS_AGE, ACCESS_SEX) * self._ratio_by_cell("access")
        weight = c.population * access_factor
        self.access = self.people * access_factor / weight.sum()  # chance per resident, by cell
        cells = np.arange(len(weight))
        _check_probability("the chance of being in contact", self.access, c, cells)
        counts = rng.multinomial(self.people, weight / weight.sum())
        while True:  # never more patients than residents in a cell (binds only in tiny cells)
            excess = np.maximum(counts - c.population, 0)
            if not excess.any():
                break
            counts -= excess
            room = np.where(counts < c.population, weight, 0.0)
            counts += rng.multinomial(excess.sum(), room / room.sum())
        cell = np.repeat(cells, counts)
        self.cell = cell[rng.permutation(len(cell))]  # person number order is random
        self.person_ids = _ids("P", np.arange(1, self.people + 1), 8)
        # Year of birth: start year minus an age within the band (uniform; 65+ thins out).
        low = np.array([r[0] for r in AGE_RANGES])[c.age[self.cell]]
        high = np.array([r[1] for r in AGE_RANGES])[c.age[self.cell]]
        span = high - low + 1
        offset = np.floor(rng.random(self.people) ** np.where(low >= 65, 1.8, 1.0) * span)
        self.year_of_birth = self.period.start.year - (low + offset.astype(np.int64))

    def draw_referrals(self) -> None:
        c, rng, days = self.catchment, _rng(self.seed, _REFERRALS), self.period.days
        people = self.people
        extra = rng.poisson(EXTRA_REFERRALS, people)
        first_day = rng.integers(0, days, people)
        person = np.repeat(np.arange(people), 1 + extra)
        is_first = np.ones(len(person), dtype=bool)
        is_first[1:] = person[1:] != person[:-1]
        day = np.where(is_first, first_day[person], 0)
        later = ~is_first
        day[later] = first_day[person[later]] + np.floor(
            rng.random(later.sum()) * (days - first_day[person[later]])
        ).astype(np.int64)
        # Team by age band, sex (perinatal: women) and area (city or county CMHT).
        city = np.array([a[0] == CITY_AREA for a in AREAS])
        table = np.zeros((len(c.population), len(COMMUNITY_TEAMS)))
        for age, weights in enumerate(TEAM_BY_AGE):
            for team, share in weights.items():
                rows = c.age == age
                if team == "CMHT":
                    in_city = rows & city[c.area]
                    table[in_city, COMMUNITY_TEAMS.index("CMHT-CE")] += share * 0.55
                    table[in_city, COMMUNITY_TEAMS.index("CMHT-CW")] += share * 0.45
                    table[rows & ~city[c.area], COMMUNITY_TEAMS.index("CMHT-CO")] += share
                elif team == "PERI":
                    table[rows & (c.sex == 1), COMMUNITY_TEAMS.index(team)] += share
                else:
                    table[rows, COMMUNITY_TEAMS.index(team)] += share
        self.team_table = table / table.sum(axis=1, keepdims=True)
        team = _categorical(rng, np.cumsum(self.team_table, axis=1), self.cell[person])
        median = np.array([REFERRAL_DAYS[t][0] for t in COMMUNITY_TEAMS])[team]
        sigma = np.array([REFERRAL_DAYS[t][1] for t in COMMUNITY_TEAMS])[team]
        length = _lognormal_days(rng, median, sigma, len(person))
        # Source: justice share by group only (never by team, so recording stays independent).
        p_justice = self.disparities.white_justice_referral_share * self._ratio_by_cell(
            "justice_referral"
        )
        _check_probability(
            "the justice-system referral share", p_justice, c, np.arange(len(p_justice))
        )
        child = c.age[self.cell[person]] == 0
        justice = rng.random(len(person)) < p_justice[self.cell[person]]
        source_codes = sorted(
            set(SOURCES_ADULT) | set(SOURCES_CHILD) | set(JUSTICE_ADULT) | set(JUSTICE_CHILD)
        )
        source = np.empty(len(person), dtype=np.int64)
        for is_child, usual, routes in (
            (False, SOURCES_ADULT, JUSTICE_ADULT),
            (True, SOURCES_CHILD, JUSTICE_CHILD),
        ):
            for is_justice, weights in ((False, usual), (True, routes)):
                rows = (child == is_child) & (justice == is_justice)
                picks = _choice(rng, weights, rows.sum())
                source[rows] = np.searchsorted(source_codes, np.array(list(weights))[picks])
        # Referral ids in date order, as a system numbers them.
        order = np.lexsort((person, day))
        self.ref_person, self.ref_day = person[order], day[order]
        self.ref_team, self.ref_length = team[order], length[order]
        self.ref_first, self.ref_p_justice = is_first[order], p_justice[self.cell[person]][order]
        self.ref_source, self.source_codes = source[order], source_codes
        self.ref_justice = justice[order]
        self.ref_ids = _ids("REF", np.arange(1, len(order) + 1), 9)
        end = self.ref_day + self.ref_length
        self.ref_open = end >= days
        self.ref_end = np.minimum(end, days - 1)  # last day a contact can fall on

    def record_ethnicity(self) -> None:
        """Each person's status and raw value, from the team and month of their first referral."""
        c, q, rng = self.catchment, self.quality, _rng(self.seed, _RECORDING)
        first = self.ref_first
        person = self.ref_person[first]
        team = np.empty(self.people, dtype=np.int64)
        team[person] = self.ref_team[first]
        month = np.empty(self.people, dtype=np.int64)
        month[person] = self.period.month_of(self.ref_day[first])
        team_factor = np.array([q.team_factors.get(t, 1.0) for t in COMMUNITY_TEAMS])
        mean_team = self.team_table @ team_factor  # by cell
        if (mean_team <= 0).any():
            raise ValueError("team_factors are 0 for every team some people are referred to")
        month_factor = np.array(
            [q.month_factors.get(m, 1.0) for m in range(len(self.period.month_labels))]
        )
        mean_month = (month_factor * self.period.month_days).sum() / self.period.days
        lift = (team_factor[team] / mean_team[self.cell]) * (month_factor[month] / mean_month)
        worst = (team_factor[:, None] / mean_team[None, :]).max() * month_factor.max() / mean_month
        gaps = q.not_known + q.missing + q.invalid
        if q.not_stated + gaps * worst > 1:
            raise ValueError(
                f"recording gaps would pass 100% in the worst team and month (x{worst:.2f}); "
                "lower the team or month factors or the gap shares"
            )
        shares = np.stack(
            [
                np.full(self.people, q.not_stated),
                q.not_known * lift,
                q.missing * lift,
                q.invalid * lift,
            ],
            axis=1,
        )
        cumulative = np.cumsum(shares, axis=1)
        u = rng.random(self.people)
        gap = (cumulative <= u[:, None]).sum(axis=1)  # 0..3 a gap, 4 valid
        status = np.where(gap == 4, 0, gap + 1)  # index into STATUSES
        # Raw values: a vocabulary of every form, then an index per person.
        national = list("ABCDEFGHJKLMNPRS")
        vocabulary = list(national) + [code.lower() for code in national]
        subcode_start = {}
        for code in national:
            subcode_start[code] = len(vocabulary)
            vocabulary.extend(LOCAL_SUBCODES[code])
        z_upper, z_lower, not_known = len(vocabulary), len(vocabulary) + 1, len(vocabulary) + 2
        vocabulary.extend(["Z", "z", "99"])
        junk_start = len(vocabulary)
        vocabulary.extend(JUNK_VALUES)
        vocabulary.append("")  # placeholder for missing: written as null
        code_index = np.array([national.index(recorded_code(k)) for k in range(1, 20)])
        nhs = code_index[c.census[self.cell] - 1]
        form = rng.random(self.people)
        raw = nhs.copy()
        lower = form < q.lower_case
        raw[lower] = nhs[lower] + len(national)
        local = (form >= q.lower_case) & (form < q.lower_case + q.local_subcode)
        starts = np.array([subcode_start[code] for code in national])
        sizes = np.array([len(LOCAL_SUBCODES[code]) for code in national])
        pick = np.floor(rng.random(self.people) * sizes[nhs]).astype(np.int64)
        raw[local] = (starts[nhs] + pick)[local]
        raw[status == 1] = np.where(rng.random((status == 1).sum()) < 0.1, z_lower, z_upper)
        raw[status == 2] = not_known
        raw[status == 3] = len(vocabulary) - 1
        junk = rng.integers(0, len(JUNK_VALUES), (status == 4).sum())
        raw[status == 4] = junk_start + junk
        self.status, self.raw, self.vocabulary = status, raw, vocabulary

    def write_patients(self, say) -> None:
        c = self.catchment
        self._write(
            "mhs001_patients",
            {
                "person_id": self.person_ids,
                "organisation_code": _codes([ORGANISATION_CODE], np.zeros(self.people, int)),
                "ethnic_category": _codes(self.vocabulary, self.raw, self.status == 3),
                "sex": _codes(["1", "2"], c.sex[self.cell]),
                "year_of_birth": pa.array(self.year_of_birth, type=pa.int64()),
                "area_code": _codes([a[0] for a in AREAS], c.area[self.cell]),
            },
            say,
        )
        self.quality_counts.add("mhs001_patients", self.status)
        values, counts = np.unique(self.raw, return_counts=True)
        self.raw_value_counts = {
            ("" if v == len(self.vocabulary) - 1 else self.vocabulary[v]): int(n)
            for v, n in zip(values, counts, strict=True)
        }

    def write_referrals(self, say) -> None:
        n = len(self.ref_person)
        self._write(
            "mhs101_referrals",
            {
                "referral_id": self.ref_ids,
                "person_id": self.person_ids.take(pa.array(self.ref_person)),
                "organisation_code": _codes([ORGANISATION_CODE], np.zeros(n, int)),
                "service_team_code": _codes(COMMUNITY_TEAMS, self.ref_team),
                "referral_received_date": _dates(self.ref_day, self.period.epoch_day),
                "source_of_referral": _codes(self.source_codes, self.ref_source),
                "discharge_date": _dates(
                    self.ref_day + self.ref_length, self.period.epoch_day, self.ref_open
                ),
            },
            say,
        )
        self.quality_counts.add(
            "mhs101_referrals",
            self.status[self.ref_person],
            self.ref_team,
            COMMUNITY_TEAMS,
            self.ref_day,
            "referral_received_date",
            "service_team_code",
        )

    def write_contacts(self, say) -> None:
        weight = np.array([CONTACT_WEIGHT[t] for t in COMMUNITY_TEAMS])
        mean = self.cpr * weight / weight[self.ref_team].mean()  # by team
        writer = _Writer(self.out, self.schema["mhs201_care_contacts"], self.file_format)
        attended_codes = list(ATTENDED)
        next_id = 1
        total = len(self.ref_person)
        for chunk, low in enumerate(range(0, total, _CHUNK_REFERRALS)):
            rng = _rng(self.seed, _CONTACTS, chunk)
            ref = np.arange(low, min(low + _CHUNK_REFERRALS, total))
            lam = mean[self.ref_team[ref]] * rng.gamma(2.0, 0.5, len(ref))
            count = rng.poisson(lam)
            contact_ref = np.repeat(ref, count)
            offset = np.floor(rng.random(len(contact_ref)) * (self.ref_length[contact_ref] + 1))
            day = self.ref_day[contact_ref] + offset.astype(np.int64)
            keep = day <= self.ref_end[contact_ref]
            contact_ref, day = contact_ref[keep], day[keep]
            order = np.lexsort((day, contact_ref))
            contact_ref, day = contact_ref[order], day[order]
            n = len(contact_ref)
            person = self.ref_person[contact_ref]
            writer.write(
                {
                    "contact_id": _ids("CC", np.arange(next_id, next_id + n), 11),
                    "referral_id": self.ref_ids.take(pa.array(contact_ref)),
                    "person_id": self.person_ids.take(pa.array(person)),
                    "service_team_code": _codes(COMMUNITY_TEAMS, self.ref_team[contact_ref]),
                    "contact_date": _dates(day, self.period.epoch_day),
                    "attended": _codes(attended_codes, _choice(rng, ATTENDED, n)),
                }
            )
            next_id += n
            self.quality_counts.add(
                "mhs201_care_contacts",
                self.status[person],
                self.ref_team[contact_ref],
                COMMUNITY_TEAMS,
                day,
                "contact_date",
                "service_team_code",
            )
        writer.close()
        self.rows["mhs201_care_contacts"] = writer.rows
        say(f"mhs201_care_contacts: {writer.rows:,} rows")

    # -- hospital spells and the Mental Health Act --

    def draw_hospital_and_mha(self) -> None:
        c, days, d = self.catchment, self.period.days, self.disparities
        cells = np.arange(len(c.population))
        detention = self._population_rate(
            "detention", d.white_detention_per_100k_per_year, DETENTION_AGE, DETENTION_SEX
        )
        cto = self._population_rate(
            "cto", d.white_cto_per_100k_per_year, DETENTION_AGE, DETENTION_SEX
        )
        s136 = self._population_rate(
            "section_136", d.white_section_136_per_100k_per_year, S136_AGE, S136_SEX
        )
        self.chance = {
            "access": self.access,
            "detention": detention,
            "cto": cto,
            "section_136": s136,
        }
        _check_probability(
            "the chance of detention among people in contact", detention / self.access, c, cells
        )
        _check_probability("the chance of a CTO among people detained", cto / detention, c, cells)
        _check_probability(
            "the chance of section 136 among people in contact", s136 / self.access, c, cells
        )
        rng = _rng(self.seed, _DETENTIONS)
        detained = rng.random(self.people) < (detention / self.access)[self.cell]
        spells_det, episodes_det = self._detentions(rng, np.flatnonzero(detained))
        rng = _rng(self.seed, _INFORMAL)
        informal = ~detained & (rng.random(self.people) < INFORMAL_ADMISSION)
        spells_inf, episodes_inf = self._informal(rng, np.flatnonzero(informal))
        # Spells: detention then informal, numbered by admission date.
        spells = {k: np.concatenate([spells_det[k], spells_inf[k]]) for k in spells_det}
        order = np.lexsort((spells["person"], spells["admission"]))
        spells = {k: v[order] for k, v in spells.items()}
        self.spells = spells
        # Section 136: people, uses; the first use the day before a detention for some.
        rng = _rng(self.seed, _S136)
        s136_people = np.flatnonzero(rng.random(self.people) < (s136 / self.access)[self.cell])
        uses = 1 + rng.binomial(2, S136_REPEAT, len(s136_people))
        person = np.repeat(s136_people, uses)
        start = rng.integers(0, days, len(person))
        first_use = np.ones(len(person), dtype=bool)
        first_use[1:] = person[1:] != person[:-1]
        first_admission = np.full(self.people, -1)
        det_first = spells_det["first_of_person"]
        first_admission[spells_det["person"][det_first]] = spells_det["admission"][det_first]
        link = (
            first_use
            & (first_admission[person] >= 1)
            & (rng.random(len(person)) < S136_BEFORE_DETENTION)
        )
        start[link] = first_admission[person[link]] - 1
        end = start + np.where(link, 1, rng.random(len(person)) < 0.35)
        episodes_136 = {
            "person": person,
            "status": np.full(len(person), "20"),
            "start": start,
            "end": end,
            "open": end >= days,
        }
        # MHA episodes: every kind, numbered by start date.
        parts = [episodes_det, episodes_inf, episodes_136]
        episodes = {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}
        order = np.lexsort((episodes["status"], episodes["person"], episodes["start"]))
        self.episodes = {k: v[order] for k, v in episodes.items()}
        # CTOs: among people detained; start at the first detention's discharge if in the period,
        # else on a day before the first admission (an order from an earlier detention).
        rng = _rng(self.seed, _CTO)
        first = np.flatnonzero(spells_det["first_of_person"])
        det_person = spells_det["person"][first]
        has_cto = rng.random(len(first)) < (cto / detention)[self.cell[det_person]]
        first, det_person = first[has_cto], det_person[has_cto]
        discharge = spells_det["discharge"][first]
        admission = spells_det["admission"][first]
        before = np.floor(rng.random(len(first)) * (admission + 1)).astype(np.int64)
        cto_start = np.where(discharge < days, discharge, before)
        cto_end = cto_start + _lognormal_days(rng, *CTO_DAYS, len(first))
        order = np.lexsort((det_person, cto_start))
        self.ctos = {
            "person": det_person[order],
            "start": cto_start[order],
            "end": cto_end[order],
            "open": cto_end[order] >= days,
        }

    def _admission_days(self, rng, person_count: int, repeat: float, lead: Callable):
        """Admissions per person (1 to 3), sorted, at least `GAP_DAYS` apart after any informal
        lead-in; later admissions past the period end are dropped. Returns person index per
        admission, the anchor day (first detention status, or admission) and lead-in days."""
        days = self.period.days
        count = 1 + rng.binomial(2, repeat, person_count)
        anchor = np.where(
            np.arange(3)[None, :] < count[:, None],
            rng.integers(0, days, (person_count, 3)),
            np.iinfo(np.int64).max // 4,
        )
        anchor.sort(axis=1)
        lead_in = lead((person_count, 3))
        for j in (1, 2):
            anchor[:, j] = np.maximum(anchor[:, j], anchor[:, j - 1] + lead_in[:, j] + GAP_DAYS)
        present = anchor < days
        person = np.repeat(np.arange(person_count), present.sum(axis=1))
        return person, anchor[present], lead_in[present], present

    def _detentions(self, rng, people: np.ndarray):
        days = self.period.days
        paths = [p for p, _ in DETENTION_PATHS]
        weights = np.array([w for _, w in DETENTION_PATHS])
        n_people = len(people)
        path_all = rng.choice(len(paths), size=(n_people, 3), p=weights / weights.sum())
        informal_first = np.array([p[0] == "01" for p in paths])
        lo, hi = STATUS_DAYS["01"]

        def lead(shape):
            return np.where(informal_first[path_all], rng.integers(lo, hi + 1, shape), 0)

        index, anchor, lead_in, present = self._admission_days(
            rng, n_people, REPEAT_DETENTION, lead
        )
        path = path_all[present]
        admission = np.maximum(anchor - lead_in, 0)
        n = len(index)
        # Status offsets from admission: up to three statuses per path.
        status = np.full((n, 3), "", dtype="<U2")
        length = np.zeros((n, 3), dtype=np.int64)
        for k, statuses in enumerate(paths):
            rows = path == k
            for j, code in enumerate(statuses):
                status[rows, j] = code
                low, high = STATUS_DAYS.get(code, (0, 0))
                length[rows, j] = rng.integers(low, high + 1, rows.sum())
        status_count = (status != "").sum(axis=1)
        length[:, 0] = np.where(status[:, 0] == "01", anchor - admission, length[:, 0])
        begin = np.zeros((n, 3), dtype=np.int64)
        begin[:, 1] = length[:, 0]
        begin[:, 2] = length[:, 0] + length[:, 1]
        last = status_count - 1
        rows = np.arange(n)
        last_begin = begin[rows, last]
        last_code = status[rows, last]
        lapses = np.isin(last_code, list(LAPSING))
        natural_end = last_begin + np.where(lapses, length[rows, last], 0)
        # Ward by path and age; length of stay by ward; never shorter than the legal path.
        age = self.catchment.age[self.cell[people[index]]]
        part3 = np.array([any(s in PART_III for s in p) for p in paths])[path]
        ward = self._ward(rng, age, part3)
        stay = self._stay(rng, ward, informal=False)
        discharge = np.maximum(stay, natural_end + 1)
        # The next admission of the same person caps this spell (kept episodes never depend on
        # the stay, so episode counts per person do not depend on age or group).
        same_next = np.zeros(n, dtype=bool)
        same_next[:-1] = index[1:] == index[:-1]
        cap = np.full(n, np.iinfo(np.int64).max // 4)
        cap[:-1] = np.where(same_next[:-1], admission[1:] - admission[:-1] - 1, cap[:-1])
        discharge = np.minimum(discharge, cap)
        kept = (np.arange(3)[None, :] < status_count[:, None]) & (begin <= discharge[:, None])
        kept &= admission[:, None] + begin < days
        # Episode ends: the next status's start; a lapsing last status after its days; else the
        # discharge; every end at or before the discharge.
        end = np.empty((n, 3), dtype=np.int64)
        end[:, :2] = np.where(kept[:, 1:], begin[:, 1:], begin[:, :2] + length[:, :2])
        end[:, 2] = begin[:, 2] + length[:, 2]
        final = (np.arange(3)[None, :] == last[:, None]) & ~lapses[:, None]
        end = np.where(final, discharge[:, None], np.minimum(end, discharge[:, None]))
        spell_of = np.repeat(np.arange(n), kept.sum(axis=1))
        start_day = (admission[:, None] + begin)[kept]
        end_day = (admission[:, None] + end)[kept]
        first_of_person = np.ones(n, dtype=bool)
        first_of_person[1:] = index[1:] != index[:-1]
        spells = {
            "person": people[index],
            "admission": admission,
            "discharge": admission + discharge,
            "ward": ward,
            "detained": np.ones(n, dtype=bool),
            "first_of_person": first_of_person,
        }
        episodes = {
            "person": people[index][spell_of],
            "status": status[kept],
            "start": start_day,
            "end": end_day,
            "open": end_day >= days,
        }
        return spells, episodes

    def _ward(self, rng, age: np.ndarray, part3: np.ndarray) -> np.ndarray:
        ward = np.array(ACUTE_WARDS)[rng.integers(0, len(ACUTE_WARDS), len(age))]
        ward = np.where(age == 0, "BEACON", ward)
        ward = np.where((age == 4) & (rng.random(len(age)) < 0.85), "KIRBY", ward)
        return np.where(part3, "HPC", ward)

    def _stay(self, rng, ward: np.ndarray, informal: bool) -> np.ndarray:
        kind = np.where(np.isin(ward, ACUTE_WARDS), "acute", ward)
        if informal:
            kind = np.full(len(ward), "informal")
        median = np.array([LENGTH_OF_STAY[k][0] for k in kind], dtype=float)
        sigma = np.array([LENGTH_OF_STAY[k][1] for k in kind], dtype=float)
        return _lognormal_days(rng, median, sigma, len(ward))

    def _informal(self, rng, people: np.ndarray):
        days = self.period.days
        index, admission, _, _ = self._admission_days(
            rng, len(people), 0.08, lambda shape: np.zeros(shape, dtype=np.int64)
        )
        n = len(index)
        age = self.catchment.age[self.cell[people[index]]]
        ward = self._ward(rng, age, np.zeros(n, dtype=bool))
        stay = self._stay(rng, ward, informal=True)
        same_next = np.zeros(n, dtype=bool)
        same_next[:-1] = index[1:] == index[:-1]
        cap = np.full(n, np.iinfo(np.int64).max // 4)
        cap[:-1] = np.where(same_next[:-1], admission[1:] - admission[:-1] - 1, cap[:-1])
        discharge = admission + np.minimum(stay, cap)
        first_of_person = np.ones(n, dtype=bool)
        first_of_person[1:] = index[1:] != index[:-1]
        spells = {
            "person": people[index],
            "admission": admission,
            "discharge": discharge,
            "ward": ward,
            "detained": np.zeros(n, dtype=bool),
            "first_of_person": first_of_person,
        }
        recorded = rng.random(n) < INFORMAL_EPISODE
        episodes = {
            "person": people[index][recorded],
            "status": np.full(recorded.sum(), "01"),
            "start": admission[recorded],
            "end": discharge[recorded],
            "open": discharge[recorded] >= days,
        }
        return spells, episodes

    def write_hospital_and_mha(self, say) -> None:
        days, epoch = self.period.days, self.period.epoch_day
        s = self.spells
        n = len(s["person"])
        self.spell_ids = _ids("HS", np.arange(1, n + 1), 8)
        self.spell_open = s["discharge"] >= days
        self.spell_ward = _index_of(s["ward"], WARDS)
        self._write(
            "mhs501_hospital_spells",
            {
                "spell_id": self.spell_ids,
                "person_id": self.person_ids.take(pa.array(s["person"])),
                "organisation_code": _codes([ORGANISATION_CODE], np.zeros(n, int)),
                "ward_code": _codes(WARDS, self.spell_ward),
                "admission_date": _dates(s["admission"], epoch),
                "discharge_date": _dates(s["discharge"], epoch, self.spell_open),
            },
            say,
        )
        self.quality_counts.add(
            "mhs501_hospital_spells",
            self.status[s["person"]],
            self.spell_ward,
            WARDS,
            s["admission"],
            "admission_date",
            "ward_code",
        )
        e = self.episodes
        n = len(e["person"])
        self._write(
            "mhs401_mha_episodes",
            {
                "mha_episode_id": _ids("MHA", np.arange(1, n + 1), 9),
                "person_id": self.person_ids.take(pa.array(e["person"])),
                "organisation_code": _codes([ORGANISATION_CODE], np.zeros(n, int)),
                "legal_status_code": pa.array(e["status"].tolist(), type=pa.string()),
                "start_date": _dates(e["start"], epoch),
                "end_date": _dates(e["end"], epoch, e["open"]),
            },
            say,
        )
        self.quality_counts.add(
            "mhs401_mha_episodes",
            self.status[e["person"]],
            days=e["start"],
            date_column="start_date",
        )
        t = self.ctos
        n = len(t["person"])
        self._write(
            "mhs404_cto",
            {
                "cto_id": _ids("CTO", np.arange(1, n + 1), 8),
                "person_id": self.person_ids.take(pa.array(t["person"])),
                "organisation_code": _codes([ORGANISATION_CODE], np.zeros(n, int)),
                "start_date": _dates(t["start"], epoch),
                "end_date": _dates(t["end"], epoch, t["open"]),
            },
            say,
        )
        self.quality_counts.add(
            "mhs404_cto", self.status[t["person"]], days=t["start"], date_column="start_date"
        )

    def write_restraint(self, say) -> None:
        d, s, days = self.disparities, self.spells, self.period.days
        rng = _rng(self.seed, _RESTRAINT)
        bed_days = np.minimum(s["discharge"], days) - s["admission"]
        factor = np.ones(len(bed_days))
        if d.gradients:
            factor = np.array([RESTRAINT_WARD.get(w, 1.0) for w in WARDS])[self.spell_ward]
            factor = factor * np.where(s["detained"], 1.0, RESTRAINT_INFORMAL)
        cell = self.cell[s["person"]]
        white = self.catchment.broad[cell] == 0
        mean_white = (factor * bed_days)[white].sum() / max(bed_days[white].sum(), 1)
        ratio = self._ratio_by_cell("restraint")[cell]
        rate = d.white_restraint_per_1000_bed_days / 1000 / max(mean_white, 1e-12) * factor * ratio
        self.restraint_expected = rate * bed_days  # per spell, every type
        self.bed_days = bed_days
        count = rng.poisson(self.restraint_expected)
        spell = np.repeat(np.arange(len(bed_days)), count)
        day = s["admission"][spell] + np.floor(rng.random(len(spell)) * bed_days[spell]).astype(
            np.int64
        )
        types = list(RESTRAINT_TYPES)
        kind = _choice(rng, RESTRAINT_TYPES, len(spell))
        order = np.lexsort((spell, day))
        spell, day, kind = spell[order], day[order], kind[order]
        n = len(spell)
        self.restraint_spell, self.restraint_kind, self.restraint_types = spell, kind, types
        person = s["person"][spell]
        self._write(
            "mhs505_restrictive_interventions",
            {
                "intervention_id": _ids("RI", np.arange(1, n + 1), 9),
                "person_id": self.person_ids.take(pa.array(person)),
                "spell_id": self.spell_ids.take(pa.array(spell)),
                "ward_code": _codes(WARDS, self.spell_ward[spell]),
                "intervention_date": _dates(day, self.period.epoch_day),
                "intervention_type": _codes(types, kind),
            },
            say,
        )
        self.quality_counts.add(
            "mhs505_restrictive_interventions",
            self.status[person],
            self.spell_ward[spell],
            WARDS,
            day,
            "intervention_date",
            "ward_code",
        )

    def write_outcomes(self, say) -> None:
        d, days = self.disparities, self.period.days
        rng = _rng(self.seed, _OUTCOMES)
        measures = list(OUTCOME_MEASURES)
        table = np.zeros((len(COMMUNITY_TEAMS), len(measures) + 1))
        for t, team in enumerate(COMMUNITY_TEAMS):
            for measure, chance in MEASURES_BY_TEAM[team].items():
                table[t, measures.index(measure)] = chance
            table[t, -1] = 1 - table[t, :-1].sum()
        pick = _categorical(rng, np.cumsum(table, axis=1), self.ref_team)
        first = self.ref_day + rng.integers(0, 22, len(pick))
        last = first + rng.integers(28, 241, len(pick))
        limit = np.minimum(self.ref_day + self.ref_length, days - 1)
        keep = (pick < len(measures)) & (last <= limit)
        ref = np.flatnonzero(keep)
        measure, first, last = pick[keep], first[keep], last[keep]
        order = np.lexsort((ref, last))  # numbered in order of closing
        ref, measure, first, last = ref[order], measure[order], first[order], last[order]
        scale = [MEASURE_SCALE[m] for m in measures]
        top = np.array([s[0] for s in scale])[measure]
        low = np.array([s[1] for s in scale])[measure]
        high = np.array([s[2] for s in scale])[measure]
        factor = np.array([s[3] for s in scale])[measure] if d.gradients else np.ones(len(ref))
        threshold = np.array([OUTCOME_MEASURES[m]["reliable_change"] for m in measures])[measure]
        higher = np.array([OUTCOME_MEASURES[m]["better"] == "higher" for m in measures])[measure]
        cell = self.cell[self.ref_person[ref]]
        white = self.catchment.broad[cell] == 0
        mean_white = factor[white].mean() if white.any() else 1.0
        chance = d.white_reliable_improvement / mean_white * factor
        chance = chance * self._ratio_by_cell("reliable_improvement")[cell]
        _check_probability("the chance of reliable improvement", chance, self.catchment, cell)
        self.improvement_expected, self.outcome_ref = chance, ref
        improved = rng.random(len(ref)) < chance
        first_score = low + np.floor(rng.random(len(ref)) * (high - low + 1))
        # Improvement: at least the threshold + 1 in the better direction; otherwise at most the
        # threshold - 1 (never exactly the threshold, so >= and > agree).
        gain = threshold + 1 + np.floor(rng.random(len(ref)) * 9)
        room = np.where(higher, top - first_score, first_score)
        gain = np.minimum(gain, room)
        change = np.floor(rng.random(len(ref)) * (2 * threshold + 3)) - (threshold + 3)
        change = np.minimum(change, threshold - 1)  # from -(threshold + 3) to threshold - 1
        better = np.where(improved, gain, change)
        last_score = np.clip(np.where(higher, first_score + better, first_score - better), 0, top)
        gain = np.where(higher, last_score - first_score, first_score - last_score)
        on_edge = gain == -threshold  # a deterioration cut to exactly the threshold by the scale
        last_score = np.where(on_edge, last_score + np.where(higher, 1, -1), last_score)
        gain = np.where(on_edge, gain + 1, gain)
        self.improved = gain >= threshold
        self.outcome_measure = measure
        n = len(ref)
        person = self.ref_person[ref]
        self._write(
            "mhs606_outcome_measures",
            {
                "outcome_episode_id": _ids("OM", np.arange(1, n + 1), 9),
                "person_id": self.person_ids.take(pa.array(person)),
                "referral_id": self.ref_ids.take(pa.array(ref)),
                "service_team_code": _codes(COMMUNITY_TEAMS, self.ref_team[ref]),
                "measure_code": _codes(measures, measure),
                "first_score": pa.array(first_score, type=pa.float64()),
                "first_date": _dates(first, self.period.epoch_day),
                "last_score": pa.array(last_score, type=pa.float64()),
                "last_date": _dates(last, self.period.epoch_day),
            },
            say,
        )
        self.quality_counts.add(
            "mhs606_outcome_measures",
            self.status[person],
            self.ref_team[ref],
            COMMUNITY_TEAMS,
            last,
            "last_date",
            "service_team_code",
        )

    # -- ground truth --

    def finish(self) -> GroundTruth:
        c = self.catchment
        population = {
            "total": int(c.population.sum()),
            "by_group": {g: int(self._population_of(g)) for g in TRUTH_GROUPS},
            "by_area": {a[0]: int(c.population[c.area == i].sum()) for i, a in enumerate(AREAS)},
        }
        metrics = Metrics(self).build()
        data_quality = self.quality_counts.report()
        data_quality["mhs001_patients"]["raw_values"] = dict(sorted(self.raw_value_counts.items()))
        data_quality = {
            "definition": DATA_QUALITY_DEFINITION,
            "statuses": list(STATUSES),
            "tables": data_quality,
        }
        parameters = {
            "people": self.people,
            "seed": self.seed,
            "years": self.years,
            "start": self.period.start.isoformat(),
            "end": (self.period.end - dt.timedelta(days=1)).isoformat(),
            "days": self.period.days,
            "file_format": self.file_format,
            "contacts_per_referral": self.cpr,
            "organisation_code": ORGANISATION_CODE,
            "population_per_person": POPULATION_PER_PERSON,
            "generator_version": GENERATOR_VERSION,
            "schema_version": SCHEMA_VERSION,
            "ethnicity_mapping_version": MAPPING_VERSION,
        }
        files = {t.name: f"{t.name}.{self.file_format}" for t in EXTRACT_TABLES}
        truth = GroundTruth(
            parameters=parameters,
            disparities=self.disparities,
            quality=self.quality,
            population=population,
            rows={t.name: self.rows[t.name] for t in EXTRACT_TABLES},
            metrics=metrics,
            data_quality=data_quality,
            files=files,
        )
        text = json.dumps(truth.to_dict(), indent=1, ensure_ascii=False)
        (self.out / "ground_truth.json").write_text(text + "\n", encoding="utf-8")
        return truth

    def _group_mask(self, group: str, cells: np.ndarray | None = None) -> np.ndarray:
        c = self.catchment
        if group == WHITE_BRITISH:
            mask = c.white_british
        else:
            mask = c.broad == BROAD_GROUPS.index(group)
        return mask if cells is None else mask[cells]

    def _population_of(self, group: str) -> int:
        return self.catchment.population[self._group_mask(group)].sum()

    def recorded_in(self, group: str, person: np.ndarray) -> np.ndarray:
        """Rows whose person is validly recorded in the group (White British: code A)."""
        valid = self.status[person] == 0
        return valid & self._group_mask(group, self.cell[person])
