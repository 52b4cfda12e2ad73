"""The synthetic extract: schema-exact files, valid codes and keys, and a ground truth that the
files themselves confirm, recounted here from the written files with ethnicity.normalise only."""

import datetime as dt
import json
import re
from collections import Counter, defaultdict

import numpy as np
import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq
import pytest

from pcref.analytics.ethnicity import STATUSES, broad_group, normalise
from pcref.analytics.extract.schema import (
    CENSUS_2021_CODES,
    CRIMINAL_JUSTICE_REFERRAL_SOURCES,
    DATE,
    DETENTION_LEGAL_STATUSES,
    EXTRACT_TABLES,
    INTEGER,
    NUMBER,
    OUTCOME_MEASURES,
    RESTRICTIVE_INTERVENTION_GROUPS,
    SECTION_136,
    STRING,
    TABLES_BY_NAME,
)
from pcref.analytics.synth import (
    AREAS,
    COMMUNITY_TEAMS,
    TRUTH_GROUPS,
    WARDS,
    Disparities,
    GroundTruth,
    RecordingQuality,
    generate,
)

SMALL = 5_000
MODERATE = 60_000
TYPES = {STRING: pa.string(), INTEGER: pa.int64(), NUMBER: pa.float64(), DATE: pa.date32()}
TEAM_COLUMNS = {"service_team_code": COMMUNITY_TEAMS, "ward_code": WARDS}


def read(folder, name, file_format):
    """One table as a dict of Python lists, read with the schema's types."""
    table = TABLES_BY_NAME[name]
    path = folder / f"{name}.{file_format}"
    if file_format == "csv":
        types = {c.name: TYPES[c.type] for c in table.columns}
        data = pa_csv.read_csv(
            path,
            convert_options=pa_csv.ConvertOptions(column_types=types, strings_can_be_null=True),
        )
    else:
        data = pq.read_table(path)
    return {column: data.column(column).to_pylist() for column in data.column_names}


@pytest.fixture(scope="module")
def small(tmp_path_factory):
    folder = tmp_path_factory.mktemp("synth_csv")
    truth = generate(folder, people=SMALL, seed=7, file_format="csv")
    return folder, truth, {t.name: read(folder, t.name, "csv") for t in EXTRACT_TABLES}


@pytest.fixture(scope="module")
def moderate(tmp_path_factory):
    folder = tmp_path_factory.mktemp("synth_parquet")
    truth = generate(folder, people=MODERATE, seed=11, file_format="parquet")
    return folder, truth, {t.name: read(folder, t.name, "parquet") for t in EXTRACT_TABLES}


def status_by_person(tables):
    patients = tables["mhs001_patients"]
    return {
        person: normalise(raw)
        for person, raw in zip(patients["person_id"], patients["ethnic_category"], strict=True)
    }


def truth_group(result):
    """The groups a validly recorded person counts in: broad group, and White British for A."""
    if result.status != "valid":
        return []
    return [broad_group(result.code)] + (["White British"] if result.code == "A" else [])


# --- Shape: columns, codes, keys, dates -------------------------------------------------------


@pytest.mark.parametrize("fixture", ["small", "moderate"])
def test_every_file_has_exactly_the_schema_columns(fixture, request):
    folder, truth, tables = request.getfixturevalue(fixture)
    file_format = truth.parameters["file_format"]
    names = sorted(p.name for p in folder.iterdir())
    assert names == sorted(
        [f"{t.name}.{file_format}" for t in EXTRACT_TABLES] + ["ground_truth.json"]
    )
    for table in EXTRACT_TABLES:
        assert tuple(tables[table.name]) == table.column_names, table.name
        assert (
            len(
                tables[table.name][
                    "population" if table.name == "population" else table.primary_key[0]
                ]
            )
            == truth.rows[table.name]
        )
    if file_format == "parquet":
        schema = pq.read_schema(folder / "mhs001_patients.parquet")
        assert schema.field("year_of_birth").type == pa.int64()
        assert schema.field("ethnic_category").type == pa.string()


def test_codes_are_valid_and_required_cells_filled(small):
    _, _, tables = small
    for table in EXTRACT_TABLES:
        for column in table.columns:
            values = tables[table.name][column.name]
            if not column.nullable:
                blank = [v for v in values if v is None or v == ""]
                assert not blank, f"{table.name}.{column.name} has {len(blank)} blank cells"
            if column.codes is not None:
                bad = {v for v in values if v is not None} - column.codes
                assert not bad, f"{table.name}.{column.name} has codes {sorted(bad)}"
    areas = {a[0] for a in AREAS}
    assert set(tables["mhs001_patients"]["area_code"]) <= areas
    assert set(tables["population"]["area_code"]) == areas
    assert set(tables["population"]["census2021_ethnic_group"]) == CENSUS_2021_CODES
    for name in ("mhs001_patients", "mhs101_referrals", "mhs501_hospital_spells"):
        assert set(tables[name]["organisation_code"]) == {"RT5"}
    for table in EXTRACT_TABLES:
        for column, allowed in TEAM_COLUMNS.items():
            if column in tables[table.name]:
                assert set(tables[table.name][column]) <= set(allowed), (table.name, column)
    assert set(tables["mhs001_patients"]["sex"]) == {"1", "2"}
    assert set(tables["mhs401_mha_episodes"]["legal_status_code"]) >= {"01", "02", "03", "20"}


def test_keys_are_unique_and_foreign_keys_resolve(small):
    _, _, tables = small
    for table in EXTRACT_TABLES:
        columns = [tables[table.name][c] for c in table.primary_key]
        keys = list(zip(*columns, strict=True))
        assert len(keys) == len(set(keys)), f"{table.name} has duplicate keys"
        for key in table.foreign_keys:
            targets = set(tables[key.table][key.target_column])
            missing = set(tables[table.name][key.column]) - targets
            assert not missing, f"{table.name}.{key.column}: {sorted(missing)[:3]}"
    # Rows that name a referral or a spell name its person too.
    referral_person = dict(
        zip(
            tables["mhs101_referrals"]["referral_id"],
            tables["mhs101_referrals"]["person_id"],
            strict=True,
        )
    )
    for name in ("mhs201_care_contacts", "mhs606_outcome_measures"):
        rows = tables[name]
        assert all(
            referral_person[r] == p
            for r, p in zip(rows["referral_id"], rows["person_id"], strict=True)
        ), name
    spells = tables["mhs501_hospital_spells"]
    spell = {
        s: (p, w)
        for s, p, w in zip(
            spells["spell_id"], spells["person_id"], spells["ward_code"], strict=True
        )
    }
    ri = tables["mhs505_restrictive_interventions"]
    assert all(
        spell[s] == (p, w)
        for s, p, w in zip(ri["spell_id"], ri["person_id"], ri["ward_code"], strict=True)
    )


def test_keys_are_pseudonyms_never_nhs_number_like(small):
    _, _, tables = small
    assert all(re.fullmatch(r"P\d{8}", i) for i in tables["mhs001_patients"]["person_id"])
    ten_digits = re.compile(r"(?<!\d)\d{10}(?!\d)")
    for table in EXTRACT_TABLES:
        for column in table.columns:
            if column.name.endswith("_id"):
                values = tables[table.name][column.name]
                assert not any(ten_digits.search(v) for v in values), (table.name, column.name)


def test_dates_are_ordered_inside_the_period_and_never_in_the_future(small):
    _, truth, tables = small
    first = dt.date.fromisoformat(truth.parameters["start"])
    last = dt.date.fromisoformat(truth.parameters["end"])
    assert last < dt.date.today()
    for table in EXTRACT_TABLES:
        for column in table.columns:
            if column.type == DATE:
                values = [v for v in tables[table.name][column.name] if v is not None]
                assert all(first <= v <= last for v in values), (table.name, column.name)
    pairs = {
        "mhs101_referrals": ("referral_received_date", "discharge_date"),
        "mhs501_hospital_spells": ("admission_date", "discharge_date"),
        "mhs401_mha_episodes": ("start_date", "end_date"),
        "mhs404_cto": ("start_date", "end_date"),
        "mhs606_outcome_measures": ("first_date", "last_date"),
    }
    for name, (begin, end) in pairs.items():
        rows = tables[name]
        assert all(e is None or e >= b for b, e in zip(rows[begin], rows[end], strict=True)), name
    referrals = tables["mhs101_referrals"]
    window = {
        r: (b, e)
        for r, b, e in zip(
            referrals["referral_id"],
            referrals["referral_received_date"],
            referrals["discharge_date"],
            strict=True,
        )
    }
    for name, column in (
        ("mhs201_care_contacts", "contact_date"),
        ("mhs606_outcome_measures", "last_date"),
    ):
        rows = tables[name]
        for referral, day in zip(rows["referral_id"], rows[column], strict=True):
            begin, end = window[referral]
            assert begin <= day and (end is None or day <= end), (name, referral)
    spells = tables["mhs501_hospital_spells"]
    stay = {
        s: (a, d)
        for s, a, d in zip(
            spells["spell_id"], spells["admission_date"], spells["discharge_date"], strict=True
        )
    }
    ri = tables["mhs505_restrictive_interventions"]
    for spell, day in zip(ri["spell_id"], ri["intervention_date"], strict=True):
        admission, discharge = stay[spell]
        assert admission <= day and (discharge is None or day < discharge)


def test_spells_of_a_person_never_overlap(small):
    _, truth, tables = small
    spells = tables["mhs501_hospital_spells"]
    by_person = defaultdict(list)
    never = dt.date.fromisoformat(truth.parameters["end"]) + dt.timedelta(days=1)
    for p, a, d in zip(
        spells["person_id"], spells["admission_date"], spells["discharge_date"], strict=True
    ):
        by_person[p].append((a, d or never))
    for stays in by_person.values():
        stays.sort()
        assert all(b[0] > a[1] for a, b in zip(stays, stays[1:], strict=False))


def test_year_of_birth_is_plausible(small):
    _, truth, tables = small
    year = dt.date.fromisoformat(truth.parameters["start"]).year
    ages = [year - y for y in tables["mhs001_patients"]["year_of_birth"]]
    assert min(ages) >= 0 and max(ages) <= 95
    assert 0.05 < np.mean(np.array(ages) < 18) < 0.4


# --- Determinism ------------------------------------------------------------------------------


@pytest.mark.parametrize("file_format", ["csv", "parquet"])
def test_same_seed_gives_byte_identical_files(tmp_path, file_format):
    for name in ("a", "b", "c"):
        generate(
            tmp_path / name, people=1_000, seed=3 if name != "c" else 4, file_format=file_format
        )
    files = sorted(p.name for p in (tmp_path / "a").iterdir())
    for file in files:
        assert (tmp_path / "a" / file).read_bytes() == (tmp_path / "b" / file).read_bytes(), file
    differs = [
        f for f in files if (tmp_path / "a" / f).read_bytes() != (tmp_path / "c" / f).read_bytes()
    ]
    assert "mhs001_patients." + file_format in differs


def test_csv_and_parquet_hold_the_same_data(tmp_path):
    generate(tmp_path / "csv", people=1_000, seed=5, file_format="csv")
    generate(tmp_path / "parquet", people=1_000, seed=5, file_format="parquet")
    for table in EXTRACT_TABLES:
        assert read(tmp_path / "csv", table.name, "csv") == read(
            tmp_path / "parquet", table.name, "parquet"
        ), table.name


# --- Ground truth: recording quality recounted from the files ---------------------------------


def test_recording_quality_counts_match_a_recount_from_the_files(small):
    folder, truth, tables = small
    status = {p: r.status for p, r in status_by_person(tables).items()}
    written = json.loads((folder / "ground_truth.json").read_text())["data_quality"]["tables"]
    assert written == truth.data_quality["tables"]
    patients = tables["mhs001_patients"]
    block = written["mhs001_patients"]
    assert block["total"] == {s: Counter(status.values())[s] for s in STATUSES}
    raw = Counter("" if v is None else v for v in patients["ethnic_category"])
    assert block["raw_values"] == dict(raw)
    for name, block in written.items():
        if name == "mhs001_patients":
            continue
        rows = tables[name]
        team_column, date_column = block["team_column"], block["date_column"]
        teams = rows[team_column] if team_column else [None] * len(rows[date_column])
        counts = Counter(
            (team, day.strftime("%Y-%m"), status[person])
            for team, day, person in zip(teams, rows[date_column], rows["person_id"], strict=True)
        )
        by_team_month = defaultdict(lambda: defaultdict(lambda: dict.fromkeys(STATUSES, 0)))
        by_month = defaultdict(lambda: dict.fromkeys(STATUSES, 0))
        by_team = defaultdict(lambda: dict.fromkeys(STATUSES, 0))
        total = dict.fromkeys(STATUSES, 0)
        for (team, month, state), n in counts.items():
            by_team_month[team][month][state] += n
            by_month[month][state] += n
            by_team[team][state] += n
            total[state] += n
        assert block["total"] == total, name
        assert block["by_month"] == dict(by_month), name
        if team_column:
            assert block["by_team"] == dict(by_team), name
            assert block["by_team_month"] == {t: dict(m) for t, m in by_team_month.items()}, name


def test_recording_gaps_use_every_form_and_concentrate_in_the_poor_team(moderate):
    _, truth, tables = moderate
    raw = set(tables["mhs001_patients"]["ethnic_category"])
    assert {None, "Z", "99"} <= raw
    assert any(v and v.islower() for v in raw)
    assert any(v and len(v) == 2 and v != "99" and normalise(v).status == "valid" for v in raw)
    assert any(v and normalise(v).status == "invalid" for v in raw)
    referrals = truth.data_quality["tables"]["mhs101_referrals"]["by_team"]

    def gap_share(team):
        counts = referrals[team]
        return 1 - counts["valid"] / sum(counts.values())

    assert gap_share("CRHT") > 1.3 * gap_share("TT")
    by_month = truth.data_quality["tables"]["mhs101_referrals"]["by_month"]
    months = list(by_month)
    share = [1 - by_month[m]["valid"] / sum(by_month[m].values()) for m in months]
    assert share[9] > 1.5 * np.median(share)


# --- Ground truth: metrics ----------------------------------------------------------------------


def observed_recount(tables, last_day):
    """The metrics' observed counts, recounted from the files by recorded group."""
    result = status_by_person(tables)
    groups = {p: truth_group(r) for p, r in result.items()}
    out = defaultdict(lambda: defaultdict(Counter))

    def count(metric, key, persons, distinct=False):
        for person in set(persons) if distinct else persons:
            for g in groups[person]:
                out[metric][g][key] += 1

    referrals = tables["mhs101_referrals"]
    count("access", "people", referrals["person_id"], distinct=True)
    count("access", "referrals", referrals["person_id"])
    justice = [
        p
        for p, s in zip(referrals["person_id"], referrals["source_of_referral"], strict=True)
        if s in CRIMINAL_JUSTICE_REFERRAL_SOURCES
    ]
    count("justice_referral", "referrals", referrals["person_id"])
    count("justice_referral", "justice_referrals", justice)
    mha = tables["mhs401_mha_episodes"]
    detained = [
        p
        for p, s in zip(mha["person_id"], mha["legal_status_code"], strict=True)
        if s in DETENTION_LEGAL_STATUSES
    ]
    count("detention", "people", detained, distinct=True)
    count("detention", "episodes", detained)
    s136 = [
        p
        for p, s in zip(mha["person_id"], mha["legal_status_code"], strict=True)
        if s == SECTION_136
    ]
    count("section_136", "people", s136, distinct=True)
    count("section_136", "uses", s136)
    count("cto", "people", tables["mhs404_cto"]["person_id"], distinct=True)
    count("cto", "ctos", tables["mhs404_cto"]["person_id"])
    spells = tables["mhs501_hospital_spells"]
    end = last_day + dt.timedelta(days=1)  # open spells count to the end of the period
    for person, a, d in zip(
        spells["person_id"], spells["admission_date"], spells["discharge_date"], strict=True
    ):
        for g in groups[person]:
            out["restraint"][g]["bed_days"] += ((d or end) - a).days
    count("restraint", "inpatients", spells["person_id"], distinct=True)
    ri = tables["mhs505_restrictive_interventions"]
    for name, codes in RESTRICTIVE_INTERVENTION_GROUPS.items():
        count(
            "restraint",
            name,
            [
                p
                for p, t in zip(ri["person_id"], ri["intervention_type"], strict=True)
                if t in codes
            ],
        )
    om = tables["mhs606_outcome_measures"]
    improved = []
    for person, measure, first, last in zip(
        om["person_id"], om["measure_code"], om["first_score"], om["last_score"], strict=True
    ):
        spec = OUTCOME_MEASURES[measure]
        gain = last - first if spec["better"] == "higher" else first - last
        if gain >= spec["reliable_change"]:
            improved.append(person)
        assert abs(gain) != spec["reliable_change"]  # never on the threshold
    count("reliable_improvement", "episodes", om["person_id"])
    count("reliable_improvement", "improved", improved)
    return out, result


def test_observed_metric_counts_match_a_recount_from_the_files(small):
    _, truth, tables = small
    last_day = dt.date.fromisoformat(truth.parameters["end"])
    recount, result = observed_recount(tables, last_day)
    for metric, block in truth.metrics.items():
        for group in TRUTH_GROUPS:
            observed = {k: v for k, v in block["observed"][group].items() if k != "population"}
            assert observed == {k: recount[metric][group][k] for k in observed}, (metric, group)
            if "population" in block["observed"][group]:
                assert block["observed"][group]["population"] == truth.population["by_group"][group]
    assert sum(tables["population"]["population"]) == truth.population["total"]
    mha = tables["mhs401_mha_episodes"]
    detained = {
        p
        for p, s in zip(mha["person_id"], mha["legal_status_code"], strict=True)
        if s in DETENTION_LEGAL_STATUSES
    }
    excluded = Counter(result[p].status for p in detained)
    assert truth.metrics["detention"]["observed"]["excluded"] == {
        s: excluded[s] for s in STATUSES[1:]
    }


def test_injected_disparities_are_visible_in_a_moderate_extract(moderate):
    _, truth, _ = moderate
    m = truth.metrics

    def rate(metric, group, key="people"):
        observed = m[metric]["observed"][group]
        return observed[key] / observed["population"]

    for metric in ("detention", "cto", "section_136"):
        assert rate(metric, "Black") > 1.5 * rate(metric, "White"), metric
        assert rate(metric, "Black") > 1.5 * rate(metric, "White British"), metric
    detention_ratio = rate("detention", "Black") / rate("detention", "White")
    expected = m["detention"]["expected_crude_ratio_vs_white"]["Black"]
    assert expected / 1.5 < detention_ratio < expected * 1.5
    justice = m["justice_referral"]["observed"]
    share = {
        g: justice[g]["justice_referrals"] / justice[g]["referrals"] for g in ("White", "Black")
    }
    assert share["Black"] > 1.3 * share["White"]
    restraint = m["restraint"]["observed"]
    per_day = {g: restraint[g]["any"] / restraint[g]["bed_days"] for g in ("White", "Black")}
    assert per_day["Black"] > per_day["White"]


def test_expected_counts_agree_with_what_was_drawn(moderate):
    _, truth, _ = moderate
    for metric in ("access", "detention", "section_136"):
        for group in ("White", "Asian", "Black"):
            expected = truth.metrics[metric]["expected"][group]["people_recorded"]
            observed = truth.metrics[metric]["observed"][group]["people"]
            assert abs(observed - expected) < 4 * np.sqrt(expected) + 2, (metric, group)
    white = truth.metrics["access"]["observed"]["White"]["people"]
    valid = truth.data_quality["tables"]["mhs001_patients"]["total"]["valid"]
    assert abs(valid / MODERATE - truth.quality.valid_share) < 0.01
    assert white < valid


def test_without_gradients_crude_ratios_equal_the_injected_ones(tmp_path):
    disparities = Disparities(gradients=False, detention={"Black": 4.0, "Asian": 0.8})
    truth = generate(tmp_path, people=2_000, seed=1, disparities=disparities)
    for metric in ("access", "detention", "cto", "section_136", "justice_referral"):
        block = truth.metrics[metric]
        for group in TRUTH_GROUPS:
            injected = block["rate_ratio_vs_white"][group]
            assert block["expected_crude_ratio_vs_white"][group] == pytest.approx(injected)
            assert block["rate_ratio_vs_white_british"][group] == injected
    assert truth.metrics["detention"]["rate_ratio_vs_white"]["Black"] == 4.0
    assert truth.metrics["detention"]["rate_ratio_vs_white"]["Mixed"] == 1.0


def test_ground_truth_json_round_trips(small):
    folder, truth, _ = small
    loaded = GroundTruth.load(folder)
    assert loaded == truth
    assert loaded.parameters["seed"] == 7 and loaded.parameters["people"] == SMALL


# --- Population --------------------------------------------------------------------------------


def test_population_is_leicester_like_and_scales_with_people(small):
    _, truth, tables = small
    population = tables["population"]
    assert len(population["population"]) == 9 * 19 * 2 * 5
    assert sum(population["population"]) == round(SMALL * 5.5)
    shares = defaultdict(Counter)
    for area, group, count in zip(
        population["area_code"],
        population["census2021_ethnic_group"],
        population["population"],
        strict=True,
    ):
        shares["city" if area == "E06000016" else "county"][int(group)] += count
    city, county = shares["city"], shares["county"]
    city_total, county_total = sum(city.values()), sum(county.values())
    assert 0.38 < city[13] / city_total < 0.44  # White British
    asian = sum(city[c] for c in (1, 3, 4, 5))
    assert 0.30 < asian / city_total < 0.38 and city[3] > asian / 2  # mostly Indian
    black = sum(city[c] for c in (6, 7, 8))
    assert 0.06 < black / city_total < 0.10 and city[6] > black / 2  # mostly African
    assert county[13] / county_total > 0.8
    assert truth.population["by_area"]["E06000016"] == city_total


# --- Arguments ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"people": 10}, ValueError, "people must be between 100"),
        ({"file_format": "xlsx"}, ValueError, "file_format must be one of"),
        ({"start": "2026-01-01"}, ValueError, "ends after today"),
        ({"start": "01/04/2023"}, ValueError, "YYYY-MM-DD"),
        ({"years": 0}, ValueError, "years must be"),
        ({"disparities": Disparities(detention={"Black": 400})}, ValueError, "above 1"),
    ],
)
def test_bad_arguments_are_refused_naming_the_value(tmp_path, kwargs, error, message):
    with pytest.raises(error, match=message):
        generate(tmp_path, **{"people": 1_000, **kwargs})


def test_bad_parameters_are_refused_when_built():
    with pytest.raises(ValueError, match="'White' is not a group"):
        Disparities(detention={"White": 2})
    with pytest.raises(ValueError, match=r"cto\['Black'\] must be more than 0"):
        Disparities(cto={"Black": -1})
    with pytest.raises(ValueError, match="'WARD9' is not a referral team"):
        RecordingQuality(team_factors={"WARD9": 2})
    with pytest.raises(ValueError, match="must be below 1"):
        RecordingQuality(not_known=0.5, missing=0.5)
