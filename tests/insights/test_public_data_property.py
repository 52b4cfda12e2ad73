"""The acceptance property of published data (issue #6): on the public page, its CSV and its
JSON, no count below 5 is shown (0 is shown as "*") and every count is a multiple of 5; no
rate, ratio or interval is shown where its counts are hidden. Checked on arbitrary results
tables through the real path: results.parquet on disk, publish, then the public addresses.

The checks are independent of the implementation: they compare what is shown with the counts
that went in. Two tests show the checks fail on a leak."""

import csv
import io
import json
import math
from html.parser import HTMLParser

import pyarrow as pa
import pytest
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pcref.analytics.engine import RESULT_SCHEMA, write_results
from pcref.analytics.metrics.catalogue import is_proportion
from pcref.insights import files, publication
from pcref.insights.models import MetricRun
from pcref.insights.views_public import SCHEMA_PATH

pytestmark = pytest.mark.django_db

GROUPS = ["White", "Mixed", "Asian", "Black", "Other"]
PUBLIC = list(publication.PUBLIC_METRICS)
STAR, NO_FIGURE = "*", "–"
PERIODS = [
    ("financial_year", "2023/24"),
    ("financial_year", "2024/25"),
    ("extract", "all"),
    ("quarter", "2024/25 Q1"),  # never published
]


# --- Arbitrary results tables ------------------------------------------------------------------

counts = st.one_of(
    st.integers(0, 12), st.integers(13, 2_000), st.integers(2_001, 10**7), st.just(None)
).map(lambda n: math.nan if n is None else float(n))
figures = st.one_of(
    st.floats(-1e6, 1e6, allow_nan=False), st.just(math.nan), st.just(math.inf), st.none()
)


def result_row(metric, period_type, period, scheme, group, **values):
    row = dict.fromkeys(RESULT_SCHEMA.names)
    row.update(
        metric=metric,
        period_type=period_type,
        period=period,
        organisation="all",
        service="all",
        group_scheme=scheme,
        group=group,
        method="Exact",
    )
    row.update(values)
    return row


@st.composite
def results_tables(draw):
    """Rows of whole-trust results for public and other metrics, with every combination of
    small, zero, large and missing counts, missing broad groups, two comparison groups, and
    rows that must never be published (teams, quarters, detailed groups)."""
    rows = []
    metrics = draw(st.lists(st.sampled_from([*PUBLIC, "DQ3.invalid"]), min_size=1, max_size=4))
    for metric in dict.fromkeys(metrics):
        periods = draw(st.lists(st.sampled_from(PERIODS), min_size=1, max_size=3, unique=True))
        for period_type, period in periods:
            key = (metric, period_type, period)
            if draw(st.booleans()):  # the all-people row, mostly there
                rows.append(
                    result_row(
                        *key,
                        "all",
                        "all",
                        numerator=draw(counts),
                        denominator=draw(counts),
                        value=draw(figures),
                        lower=draw(figures),
                        upper=draw(figures),
                    )
                )
            compared = draw(st.booleans())
            for group in draw(st.lists(st.sampled_from(GROUPS), unique=True, max_size=5)):
                shared = {
                    "numerator": draw(counts),
                    "denominator": draw(counts),
                    "value": draw(figures),
                    "lower": draw(figures),
                    "upper": draw(figures),
                }
                for comparison in ("White", "White British") if compared else (None,):
                    ratios = {
                        "ratio": draw(figures),
                        "ratio_lower": draw(figures),
                        "ratio_upper": draw(figures),
                        "ratio_method": "log",
                    }
                    rows.append(
                        result_row(
                            *key, "broad", group, comparison_group=comparison, **shared, **ratios
                        )
                    )
            leak = {"numerator": 3.0, "denominator": 7.0, "value": 42.0}
            rows.append(result_row(*key, "all", "all", **leak) | {"service": "T1"})
            rows.append(result_row(*key, "detailed", "A", **leak))
    return rows


def publish_table(organisation, rows, by):
    run = MetricRun.objects.create(
        organisation=organisation,
        dataset_number=MetricRun.objects.count() + 1,
        status=MetricRun.Status.DONE,
        started_by_system="import",
        finished_at=timezone.now(),
    )
    write_results(pa.Table.from_pylist(rows, schema=RESULT_SCHEMA), files.results_dir(run))
    run.results_path = str(files.results_dir(run))
    run.save()
    return publication.publish(run, by=by)


# --- The checks ------------------------------------------------------------------------------------


def check_count(count):
    """A published count: "*", no figure, or a whole multiple of 5 of at least 5."""
    if count in (STAR, None):
        return
    assert isinstance(count, int) and not isinstance(count, bool), count
    assert count >= 5 and count % 5 == 0, f"count {count} shown"


def is_shown(figure) -> bool:
    return figure not in (STAR, None)


def inputs_by_key(rows):
    """The counts that went in, by (metric, period type, period, group): the row compared with
    White or with nothing (the engine writes one row per comparison, counts shared)."""
    found = {}
    for row in rows:
        if row["service"] != "all" or row["group_scheme"] not in ("all", "broad"):
            continue
        if row["comparison_group"] not in (None, "White"):
            continue
        found[(row["metric"], row["period_type"], row["period"], row["group"])] = row
    return found


def _at_least(count, threshold) -> bool:
    return count is not None and not math.isnan(count) and count >= threshold


def check_document(document, rows):
    """The JSON against its schema and the inputs: the acceptance property and D1-D4."""
    validate(document, json.loads(SCHEMA_PATH.read_text()))
    given = inputs_by_key(rows)
    published = {
        (r["metric"], r["period_type"], r["period"], r["group"]): r for r in document["rows"]
    }
    for key, row in published.items():
        metric, period_type, _period, group = key
        assert metric in publication.PUBLIC_METRICS and period_type != "quarter", key
        for name in ("numerator", "denominator"):
            check_count(row[name])
            source = given.get(key, {}).get(name, 0.0)  # a missing broad group is a zero
            if source is not None and not math.isnan(source) and source < 5:
                assert row[name] == STAR, f"{key} {name} {source} shown as {row[name]!r}"
            if isinstance(row[name], int):
                assert abs(row[name] - source) <= 2.5, f"{key} {name} {source} → {row[name]}"
        stays = given.get(key, {}).get("denominator", 0.0)
        if metric == "LOS1.mean" and stays is not None and stays < 5:  # days over < 5 stays
            assert row["numerator"] in (STAR, None), f"{key}: days over {stays} stays shown"
        hidden = STAR in (row["numerator"], row["denominator"])
        figures = [row["value"], row["lower"], row["upper"]]
        ratios = [row["ratio"], row["ratio_lower"], row["ratio_upper"]]
        if hidden:
            assert figures == [STAR] * 3, f"{key}: figures {figures} shown with hidden counts"
        if hidden or row["value"] == STAR:
            assert not any(map(is_shown, ratios)), f"{key}: ratio {ratios} of hidden figures"
        if is_shown(row["value"]):
            source = given[key]
            assert _at_least(source["numerator"], 5) and _at_least(source["denominator"], 5), key
            if metric == "RI1.any":  # D4
                people = given.get(("RI2.any", *key[1:3], group), {}).get("numerator")
                assert _at_least(source["denominator"], 100) and _at_least(people, 5), key
            if is_proportion(metric):  # the rest of the whole is a count: 10 of 11 says 1
                rest = source["denominator"] - source["numerator"]
                assert _at_least(rest, 5), f"{key}: a proportion shown with {rest} left"
        if any(map(is_shown, ratios)):  # §3: a ratio goes with both its rates and four counts
            white = published[(*key[:3], "White")]
            assert STAR not in (white["value"], row["value"]), key
            for source in (given[key], given[(*key[:3], "White")]):
                assert _at_least(source["numerator"], 5) and _at_least(source["denominator"], 5)
    for metric, period_type, period in {key[:3] for key in published}:
        for name in ("numerator", "denominator"):  # secondary suppression
            cells = [
                published[(metric, period_type, period, g)][name]
                for g in GROUPS
                if (metric, period_type, period, g) in published
            ]
            present = [cell for cell in cells if cell is not None]
            if present.count(STAR) == 1:
                assert len(present) == 1, f"{metric} {period}: one hidden {name} among {cells}"


def check_csv(text, document):
    table = list(csv.DictReader(io.StringIO(text)))
    assert len(table) == len(document["rows"])
    for line, row in zip(table, document["rows"], strict=True):
        assert line["rule_set"] == document["disclosure_control"]["rule_set"]
        for name in ("numerator", "denominator"):
            check_count(
                None if line[name] == "" else STAR if line[name] == STAR else int(line[name])
            )
        for name in ("numerator", "denominator", "value", "lower", "upper", "ratio"):
            expected = "" if row[name] is None else str(row[name])
            assert line[name] == expected, (line, row)


class FigureCells(HTMLParser):
    """The cells of each row of the page's figures tables, by class."""

    def __init__(self):
        super().__init__()
        self.rows, self.cell = [], None

    def handle_starttag(self, tag, attrs):
        classes = (dict(attrs).get("class") or "").split()
        if tag == "tr" and "pcref-figures__row" in classes:
            self.rows.append({"count": []})
        elif tag == "td" and self.rows:
            kind = next((c[6:] for c in classes if c.startswith("pcref-")), None)
            self.cell = (kind, [])

    def handle_data(self, data):
        if self.cell:
            self.cell[1].append(data)

    def handle_endtag(self, tag):
        if tag == "td" and self.cell:
            kind, text = self.cell
            text = "".join(text).strip()
            if kind == "count":
                self.rows[-1]["count"].append(text)
            else:
                self.rows[-1][kind] = text
            self.cell = None


def check_page(html, document):
    parser = FigureCells()
    parser.feed(html)
    assert len(parser.rows) == len(document["rows"])
    for row in parser.rows:
        for count in row["count"]:
            if count not in (STAR, NO_FIGURE):
                check_count(int(count.replace(",", "")))
        if STAR in row["count"]:
            assert row["value"] == STAR, row
            assert row.get("ratio", STAR) in (STAR, NO_FIGURE, "Comparison group", "Not applicable")


# --- The property --------------------------------------------------------------------------------


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(rows=results_tables())
def test_no_published_count_is_below_5_or_off_a_multiple_of_5(rows, trust, analyst, client):
    run = publish_table(trust, rows, analyst)
    try:
        document = client.get("/data/data.json").json()
        check_document(document, rows)
        check_csv(client.get("/data/data.csv").content.decode("utf-8-sig"), document)
        check_page(client.get("/data/").content.decode(), document)
    finally:
        publication.unpublish(run, by=analyst)


# --- The checks fail on a leak -------------------------------------------------------------------


def small_table():
    rows = [
        result_row(
            "ACC2",
            "financial_year",
            "2024/25",
            "all",
            "all",
            numerator=203.0,
            denominator=2000.0,
            value=10.2,
        )
    ]
    for group, numerator in zip(GROUPS, [150.0, 3.0, 20.0, 0.0, 30.0], strict=True):
        rows.append(
            result_row(
                "ACC2",
                "financial_year",
                "2024/25",
                "broad",
                group,
                numerator=numerator,
                denominator=400.0,
                value=numerator / 4,
                lower=0.0,
                upper=50.0,
                comparison_group="White",
                ratio=numerator / 150,
                ratio_lower=0.1,
                ratio_upper=9.0,
            )
        )
    return rows


def test_a_proportion_that_gives_away_a_small_rest_is_hidden(trust, analyst, client):
    # 10 of 11 Black inpatients restrained: 909.1 per 1,000 says 1 was not (and 40 of 40,
    # that none was not); 10 of 15 leaves 5, which may be shown
    rows = [
        result_row("RI2.any", "financial_year", "2025/26", "broad", group, **counts)
        for group, counts in {
            "Black": {"numerator": 10.0, "denominator": 11.0, "value": 909.1},
            "Asian": {"numerator": 40.0, "denominator": 40.0, "value": 1000.0},
            "White": {"numerator": 10.0, "denominator": 15.0, "value": 666.7},
        }.items()
    ]
    publish_table(trust, rows, analyst)
    document = client.get("/data/data.json").json()
    check_document(document, rows)
    shown = {row["group"]: row["value"] for row in document["rows"]}
    assert (shown["Black"], shown["Asian"], shown["White"]) == (STAR, STAR, 666.7)
    assert "909" not in client.get("/data/data.csv").content.decode()


def test_a_count_of_3_or_0_is_never_shown(trust, analyst, client):
    rows = small_table()
    publish_table(trust, rows, analyst)
    document = client.get("/data/data.json").json()
    check_document(document, rows)
    shown = {row["group"]: row for row in document["rows"]}
    assert shown["Mixed"]["numerator"] == STAR and shown["Black"]["numerator"] == STAR
    assert shown["Mixed"]["value"] == STAR and shown["Mixed"]["ratio"] == STAR
    assert shown["all"]["numerator"] == 205 and shown["White"]["numerator"] == 150
    page = client.get("/data/").content.decode()
    check_page(page, document)
    assert ">3<" not in page and ">0<" not in page


def test_the_checks_catch_a_leaked_count_or_figure(trust, analyst, client):
    rows = small_table()
    publish_table(trust, rows, analyst)
    document = client.get("/data/data.json").json()
    check_document(document, rows)
    mixed = next(row for row in document["rows"] if row["group"] == "Mixed")
    for leak in ({"numerator": 3}, {"numerator": 0}, {"value": 0.75}, {"ratio": 0.02}):
        leaked = json.loads(json.dumps(document))
        next(row for row in leaked["rows"] if row["group"] == "Mixed").update(leak)
        with pytest.raises(AssertionError):
            check_document(leaked, rows)
    assert mixed["numerator"] == STAR


def test_the_property_fails_on_an_implementation_without_suppression(
    trust, analyst, client, monkeypatch
):
    """A mutant that publishes counts unsuppressed is caught by the same checks."""
    from pcref.analytics import disclosure

    def no_suppression(counts, *, total=None, national=False):
        return [None if c is None else int(c) for c in counts], total

    monkeypatch.setattr(disclosure, "suppress_table_row", no_suppression)
    publication._controlled_rows.cache_clear()
    rows = small_table()
    publish_table(trust, rows, analyst)
    document = client.get("/data/data.json").json()
    with pytest.raises(AssertionError):
        check_document(document, rows)
    publication._controlled_rows.cache_clear()


# --- A small JSON Schema validator (jsonschema is not a dependency) -------------------------------

_TYPES = {
    "object": dict,
    "array": list,
    "string": str,
    "null": type(None),
    "integer": int,
    "number": (int, float),
    "boolean": bool,
}
_IGNORED = {"$schema", "$id", "$defs", "title", "description", "format"}


def validate(instance, schema, root=None, where="$"):
    """Check an instance against the JSON Schema keywords our schema uses; raise
    AssertionError naming the place. Refuses keywords it does not know, so the schema cannot
    quietly outgrow it."""
    root = root or schema
    if "$ref" in schema:
        name = schema["$ref"].removeprefix("#/$defs/")
        return validate(instance, root["$defs"][name], root, where)
    known = {
        "type",
        "const",
        "enum",
        "required",
        "properties",
        "additionalProperties",
        "items",
        "oneOf",
        "minimum",
        "multipleOf",
    }
    unknown = set(schema) - known - _IGNORED
    assert not unknown, f"validator does not know {unknown} at {where}"
    if "type" in schema:
        expected = _TYPES[schema["type"]]
        assert isinstance(instance, expected) and (
            schema["type"] == "boolean" or not isinstance(instance, bool)
        ), f"{where}: {instance!r} is not {schema['type']}"
    if "const" in schema:
        assert instance == schema["const"], f"{where}: {instance!r} is not {schema['const']!r}"
    if "enum" in schema:
        assert instance in schema["enum"], f"{where}: {instance!r} not in {schema['enum']}"
    if "minimum" in schema:
        assert instance >= schema["minimum"], f"{where}: {instance} below {schema['minimum']}"
    if "multipleOf" in schema:
        assert instance % schema["multipleOf"] == 0, f"{where}: {instance} not a multiple"
    if "oneOf" in schema:
        matches = 0
        for option in schema["oneOf"]:
            try:
                validate(instance, option, root, where)
                matches += 1
            except AssertionError:
                pass
        assert matches == 1, f"{where}: {instance!r} matches {matches} of oneOf"
    if isinstance(instance, dict):
        for name in schema.get("required", []):
            assert name in instance, f"{where}: {name} missing"
        properties = schema.get("properties", {})
        if schema.get("additionalProperties") is False:
            extra = set(instance) - set(properties)
            assert not extra, f"{where}: unexpected {extra}"
        for name, value in instance.items():
            if name in properties:
                validate(value, properties[name], root, f"{where}.{name}")
    if isinstance(instance, list) and "items" in schema:
        for position, item in enumerate(instance):
            validate(item, schema["items"], root, f"{where}[{position}]")


def test_the_real_results_match_the_schema(client, analyst, finished_run, results_table):
    publication.publish(finished_run, by=analyst)
    document = client.get("/data/data.json").json()
    check_document(document, results_table.to_pylist())
    check_csv(client.get("/data/data.csv").content.decode("utf-8-sig"), document)
    check_page(client.get("/data/").content.decode(), document)
    schema = json.loads(SCHEMA_PATH.read_text())
    with pytest.raises(AssertionError, match="matches 0 of oneOf"):
        validate({"numerator": 7}, {"properties": {"numerator": schema["$defs"]["count"]}}, schema)
