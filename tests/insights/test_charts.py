"""Charts: SPC, intervals by group and funnel plots as static SVG, Vega spec, table and words."""

import json
import math
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.template import engines

from pcref.analytics import spc, stats
from pcref.analytics.metrics.catalogue import CATALOGUE
from pcref.insights import charts
from pcref.insights.dashboard import VARIATIONS, figure

MONTHS = [f"2024-{month:02d}" for month in range(4, 13)] + [
    f"2025-{month:02d}" for month in range(1, 4)
]
VALUES = [12.0, 14.0, 13.0, 15.0, 12.0, 13.0, 14.0, 12.0, 13.0, 15.0, 14.0, 31.0]


def points(values=VALUES):
    return [(key, f"Month {key}", value) for key, value in zip(MONTHS, values, strict=True)]


def assert_accessible_svg(chart):
    svg = str(chart.svg)
    assert svg.startswith("<svg ")
    root = svg[: svg.index(">")]
    assert 'role="img"' in root
    assert f'aria-labelledby="{chart.id}-svg-title {chart.id}-svg-desc"' in root
    assert f'<title id="{chart.id}-svg-title">' in svg
    assert "<script" not in svg.lower()
    assert "<foreignobject" not in svg.lower()
    assert re.search(r"\son[a-z]+=", svg) is None  # no event handler attributes
    assert "<text" in svg  # labels are real text, not paths


def test_spc_chart_uses_the_engines_xmr_rules_and_marks_special_causes():
    chart = charts.spc_chart(
        id="spc-test",
        title="Detentions",
        unit="per 100,000",
        points=points(),
        improvement="decrease",
    )
    expected = spc.xmr(VALUES, improvement="decrease")
    assert chart.table.headers[:2] == ["Month", "per 100,000"]
    assert [row[0] for row in chart.table.rows] == [f"Month {key}" for key in MONTHS]
    assert [row[1] for row in chart.table.rows] == [figure(value) for value in VALUES]
    assert [row[2] for row in chart.table.rows] == [figure(m) for m in expected.mean]
    assert [row[3] for row in chart.table.rows] == [figure(m) for m in expected.lower]
    assert [row[4] for row in chart.table.rows] == [figure(m) for m in expected.upper]
    # the last month is far above the upper limit: a concern when lower is better
    assert expected.special_cause[-1] == "concern"
    assert chart.table.rows[-1][5] == "Special cause: concern"
    assert chart.table.rows[0][5] == "Common cause"
    assert str(VARIATIONS[expected.variation][0]) in chart.summary
    assert "31.0 per 100,000 in Month 2025-03" in chart.summary
    assert_accessible_svg(chart)
    # the interactive view gets a compiled Vega spec, not Vega-Lite
    assert chart.spec["$schema"].startswith("https://vega.github.io/schema/vega/")
    assert chart.spec["marks"]


def test_spc_chart_agrees_with_the_results_table(results_table):
    """The engine's own special-cause flags for a real monthly series are the chart's."""
    rows = [
        row
        for row in results_table.to_pylist()
        if row["metric"] == "ACC1.referrals"
        and row["period_type"] == "month"
        and row["organisation"] == "all"
        and row["service"] == "all"
        and row["group_scheme"] == "all"
    ]
    rows.sort(key=lambda row: row["period"])
    assert len(rows) >= 12 and all(row["spc_variation"] for row in rows)
    chart = charts.spc_chart(
        id="acc1",
        title=CATALOGUE["ACC1.referrals"].title,
        unit=CATALOGUE["ACC1.referrals"].unit,
        points=[(row["period"], row["period"], row["value"]) for row in rows],
        improvement=CATALOGUE["ACC1.referrals"].improvement,
    )
    words = {
        None: "Common cause",
        "improvement": "Special cause: improvement",
        "concern": "Special cause: concern",
        "neutral_high": "Special cause: neither better nor worse",
        "neutral_low": "Special cause: neither better nor worse",
    }
    assert [row[5] for row in chart.table.rows] == [words[r["spc_special_cause"]] for r in rows]
    assert [row[1] for row in chart.table.rows] == [figure(r["value"]) for r in rows]
    latest = str(VARIATIONS[rows[-1]["spc_variation"]][0])
    assert f"Latest month: {latest}." in chart.summary


@pytest.mark.parametrize("missing", [None, math.nan], ids=["None", "NaN"])
def test_a_missing_month_is_a_gap_with_no_limits(missing):
    values = [*VALUES[:5], missing, *VALUES[6:]]
    chart = charts.spc_chart(id="gap", title="Gappy", unit="%", points=points(values))
    assert chart.table.headers == ["Month", "%"]  # no limits to show
    assert chart.table.rows[5] == ["Month 2024-09", "–"]
    assert "No process limits: 1 of 12 months have no value." in chart.summary
    data = {
        entry["name"]: entry.get("values") for entry in chart.spec["data"] if entry.get("values")
    }
    plotted = next(rows for rows in data.values() if rows and "value_text" in rows[0])
    assert plotted[5]["value"] is None  # a gap, not 0
    assert [row["value"] for row in plotted if row["value"] is not None] == [
        v for v in values if v is not None and not (isinstance(v, float) and math.isnan(v))
    ]
    # the line breaks at the gap: two sub-paths in the line mark
    line = re.search(r'<path[^>]*d="(M[^"]*)"[^>]*stroke="#005eb8"', str(chart.svg))
    assert line and line.group(1).count("M") == 2
    assert_accessible_svg(chart)


def test_a_series_that_does_not_vary_has_no_limits_and_says_so():
    chart = charts.spc_chart(id="flat", title="Flat", unit="%", points=points([5.0] * 12))
    assert "no process limits (the values do not vary)" in chart.summary
    assert chart.table.rows[0][3:5] == ["–", "–"]


def test_interval_chart_table_summary_and_reference():
    chart = charts.interval_chart(
        id="by-group",
        title="Rate by ethnic group",
        unit="per 100,000",
        rows=[
            ("White", 10.0, 8.0, 12.0),
            ("Black", 30.0, 25.0, 36.0),
            ("Asian", None, None, None),
            ("Mixed", 12.0, 6.0, 20.0),
            ("Other", 4.0, 2.0, 7.5),
        ],
        reference=10.0,
        reference_label="White",
    )
    assert chart.table.headers == ["Group", "per 100,000", "Lower limit", "Upper limit"]
    assert chart.table.rows == [
        ["White", "10.0", "8.0", "12.0"],
        ["Black", "30.0", "25.0", "36.0"],
        ["Asian", "–", "–", "–"],
        ["Mixed", "12.0", "6.0", "20.0"],
        ["Other", "4.0", "2.0", "7.5"],
    ]
    assert "highest for Black (30.0 per 100,000), lowest for Other (4.0 per 100,000)" in (
        chart.summary
    )
    assert "interval wholly above for Black; wholly below for Other" in chart.summary
    assert "No value for Asian." in chart.summary
    svg = str(chart.svg)
    for group in ("White", "Black", "Asian", "Mixed", "Other"):
        assert f">{group}</text>" in svg  # every group keeps its place, with or without a value
    assert_accessible_svg(chart)


def test_labels_from_data_are_escaped_in_the_svg():
    chart = charts.interval_chart(
        id="hostile",
        title='Team <script>alert("t")</script>',
        unit="%",
        rows=[('<script>alert("x")</script>', 1.0, 0.5, 1.5), ("B & C", 2.0, 1.0, 3.0)],
    )
    svg = str(chart.svg)
    assert "<script" not in svg
    assert "&lt;script&gt;" in svg
    assert "B &amp; C" in svg
    assert_accessible_svg(chart)


def test_funnel_chart_places_each_team_against_the_stats_limits():
    units = [("T1", 10, 100), ("T2", 40, 120), ("T3", 5, 80), ("T4", 20, 0), ("T5", 30, 200)]
    chart = charts.funnel_chart(id="funnel", title="Teams", unit="%", units=units, multiplier=100)
    plotted = [unit for unit in units if unit[2] > 0]
    limits = stats.funnel_limits(
        [u[1] for u in plotted], [u[2] for u in plotted], "proportion", 100
    )
    assert round(limits.baseline, 6) == round(85 / 500 * 100, 6)
    expected = []
    for i, (team, numerator, denominator) in enumerate(plotted):
        value = numerator / denominator * 100
        if not limits.lower_99_8[i] <= value <= limits.upper_99_8[i]:
            where = "Outside the 99.8% limits"
        elif not limits.lower_95[i] <= value <= limits.upper_95[i]:
            where = "Outside the 95% limits"
        else:
            where = "Within the 95% limits"
        expected.append([team, figure(value), str(numerator), str(denominator), where])
    expected.append(["T4", "–", "20", "0", "Not plotted: no denominator"])
    assert chart.table.rows == expected
    assert {row[4] for row in expected} == {
        "Within the 95% limits",
        "Outside the 95% limits",
        "Outside the 99.8% limits",
        "Not plotted: no denominator",
    }
    assert "4 of 5 teams plotted around the overall value of 17.0 %" in chart.summary
    assert "T2 (33.3, outside the 99.8% limits)" in chart.summary
    assert_accessible_svg(chart)


def test_funnel_chart_of_rates_uses_poisson_limits():
    units = [("Ward A", 30, 9_000), ("Ward B", 12, 8_000), ("Ward C", 80, 10_000)]
    chart = charts.funnel_chart(
        id="rates",
        title="Restraint",
        unit="per 1,000 bed days",
        units=units,
        multiplier=1_000,
        statistic="rate",
    )
    limits = stats.funnel_limits([30, 12, 80], [9_000, 8_000, 10_000], "rate", 1_000)
    assert limits.method == "Poisson"
    assert [row[1] for row in chart.table.rows] == ["3.3", "1.5", "8.0"]
    assert chart.table.rows[2][4] != "Within the 95% limits"  # 8.0 against an average of 4.4


def test_a_funnel_with_no_denominators_says_so():
    chart = charts.funnel_chart(id="empty", title="Teams", unit="%", units=[("T1", 0, 0)])
    assert chart.summary == "Teams: no team has a value to plot."
    assert chart.table.rows == [["T1", "–", "0", "0", "Not plotted: no denominator"]]


@pytest.mark.parametrize("bad", ["", "1chart", "a b", 'x"onload="y', "<svg>"])
def test_a_chart_id_must_be_safe_in_html(bad):
    with pytest.raises(ValueError, match="chart id must start with a letter"):
        charts.spc_chart(id=bad, title="T", unit="%", points=points())


def test_repeated_period_keys_are_refused():
    with pytest.raises(ValueError, match="period keys repeat"):
        charts.spc_chart(id="dup", title="T", unit="%", points=[("a", "A", 1), ("a", "A", 2)])


def test_the_same_spec_is_compiled_once():
    charts.spc_chart(id="once", title="Cached", unit="%", points=points())
    before = charts._compiled.cache_info().hits
    again = charts.spc_chart(id="once", title="Cached", unit="%", points=points())
    assert charts._compiled.cache_info().hits == before + 1
    again.spec["marks"].clear()  # a caller changing its spec does not change the cache
    assert charts.spc_chart(id="once", title="Cached", unit="%", points=points()).spec["marks"]


def test_ids_inside_an_svg_are_prefixed_by_the_chart_id():
    chart = charts.funnel_chart(
        id="prefixed", title="T", unit="%", units=[("A", 1, 10), ("B", 3, 12)]
    )
    ids = re.findall(r'\bid="([^"]+)"', str(chart.svg))
    assert ids and all(found.startswith("prefixed-") for found in ids)


def test_the_macro_renders_figure_summary_table_spec_and_one_external_script():
    chart = charts.interval_chart(
        id="macro",
        title="By group",
        unit="%",
        rows=[("White", 1.0, 0.5, 1.5), ("Black", 2.0, 1.0, 3.0)],
    )
    template = engines["jinja2"].from_string(
        '{% from "insights/_chart.jinja" import chart %}{{ chart(c) }}'
    )
    html = template.render({"c": chart})
    assert '<figure class="pcref-chart__figure' in html and 'id="macro"' in html
    assert "<figcaption" in html and "By group</figcaption>" in html
    assert str(chart.svg) in html
    assert f'<p class="pcref-chart__summary" id="macro-summary">{chart.summary}</p>' in html
    assert '<table class="nhsuk-table" id="macro-table">' in html
    assert (
        '<th scope="row" class="nhsuk-table__header nhsuk-u-font-weight-normal">Black</th>' in html
    )
    scripts = re.findall(r"<script([^>]*)>(.*?)</script>", html, re.S)
    assert len(scripts) == 2
    (data_attributes, data), (module_attributes, code) = scripts
    assert 'type="application/json" data-pcref-chart="macro"' in data_attributes
    assert '"$schema": "https://vega.github.io/schema/vega/' in data
    assert 'type="module" src="/static/insights/charts.mjs"' in module_attributes
    assert code == ""  # no inline code: a Content-Security-Policy can forbid it


def test_the_vendored_vega_interpreter_is_the_npm_package_with_its_import_changed():
    """If the npm package is updated, copy it again (see the file's first lines)."""
    npm = (
        Path(settings.NODE_MODULES_DIR) / "vega-interpreter" / "build" / "vega-interpreter.js"
    ).read_text()
    vendored = (
        Path(charts.__file__).parent / "static" / "insights" / "vendor" / "vega-interpreter.mjs"
    ).read_text()
    import_line = "import { ascending, isString, DisallowedObjectProperties } from 'vega-util';\n"
    assert npm.startswith(import_line)
    expected_body = npm.removeprefix(import_line).replace(
        "//# sourceMappingURL=vega-interpreter.js.map\n", ""
    )
    header, body = vendored.split(
        "const { ascending, isString, DisallowedObjectProperties } = globalThis.vega;\n", 1
    )
    assert 'import "../../vega/vega.min.js";' in header
    assert body == expected_body


# --- Decimal places, the funnel's x title, and SPC limits within the values' bounds ------------


def axis_numbers(chart) -> list[float]:
    """The numbers written in a chart's static SVG (its axes' tick labels): d3 writes a minus
    as U+2212 and groups thousands with commas."""
    found = re.findall(r">([\u2212-]?[\d,]*\.?\d+)</text>", str(chart.svg))
    return [float(text.replace("\u2212", "-").replace(",", "")) for text in found]


def test_interval_chart_shows_ratios_to_two_places_in_labels_tooltips_table_and_words():
    rows = [("White", 1.0, 0.9, 1.1), ("Black", 1.234, 0.987, 1.567), ("Asian", 0.456, 0.3, 0.7)]
    chart = charts.interval_chart(
        id="ratios",
        title="Ratios",
        unit="times",
        rows=rows,
        reference=1.0,
        reference_label="White",
        places=2,
    )
    assert chart.table.rows == [
        ["White", "1.00", "0.90", "1.10"],
        ["Black", "1.23", "0.99", "1.57"],
        ["Asian", "0.46", "0.30", "0.70"],
    ]
    data = next(d["values"] for d in chart.spec["data"] if d.get("values") and "group" in str(d))
    black = next(row for row in data if row["group"] == "Black")
    assert black["value_text"] == "1.23"  # the tooltip's value
    assert black["interval_text"] == "0.99 to 1.57"  # the tooltip's interval
    assert black["description"] == "Black: 1.23 times (95% interval 0.99 to 1.57)"  # aria-label
    assert "highest for Black (1.23 times), lowest for Asian (0.46 times)" in chart.summary
    assert "Against White (1.00)" in chart.summary
    # the default stays one place
    default = charts.interval_chart(id="ratios", title="Ratios", unit="times", rows=rows)
    assert default.table.rows[1] == ["Black", "1.2", "1.0", "1.6"]


def test_funnel_chart_names_its_denominators_as_the_caller_says():
    units = [("A", 8, 10), ("B", 30, 40)]
    default = charts.funnel_chart(id="fd", title="T", unit="%", units=units, multiplier=100)
    assert ">Denominator</text>" in str(default.svg)
    assert default.table.headers[3] == "Denominator"
    chart = charts.funnel_chart(
        id="fr", title="T", unit="%", units=units, multiplier=100, x_title="Records"
    )
    svg = str(chart.svg)
    assert ">Records</text>" in svg and "Denominator" not in svg  # the x axis title
    assert chart.table.headers == ["Team", "%", "Numerator", "Records", "Position"]
    assert '"title": "Records"' in json.dumps(chart.spec)  # the axis and the tooltip
    assert "Denominator" not in json.dumps(chart.spec)


NEAR_100 = [92.0, 99.0, 95.0, 100.0, 90.0, 98.0, 96.0, 99.5, 91.0, 97.0, 100.0, 94.0]


def test_a_percentage_spc_chart_stays_within_0_to_100_but_its_table_keeps_the_limits():
    expected = spc.xmr(NEAR_100, improvement="increase")
    assert max(expected.upper) > 100  # the computed limit lies past 100%
    chart = charts.spc_chart(
        id="pct", title="Complete", unit="%", points=points(NEAR_100), improvement="increase"
    )
    ticks = axis_numbers(chart)
    assert ticks and max(ticks) <= 100 and min(ticks) >= 0  # the y axis runs 0 to 100
    drawn = [
        row["y"]
        for d in chart.spec["data"]
        for row in d.get("values", [])
        if isinstance(row, dict) and row.get("part") == "upper"
    ]
    assert drawn and max(drawn) == 100  # the limit is drawn along the top of the axis
    assert [row[4] for row in chart.table.rows] == [figure(u) for u in expected.upper]
    assert figure(expected.upper[-1]) in chart.summary
    # an explicit range does the same for a proportion per 1,000
    per_1000 = charts.spc_chart(
        id="per1000",
        title="Complete",
        unit="per 1,000 inpatients",
        points=points([value * 10 for value in NEAR_100]),
        bounds=(0, 1000),
    )
    assert max(axis_numbers(per_1000)) <= 1000


LOW_RATES = [0.5, 3.0, 0.2, 4.0, 1.0, 0.1, 2.5, 0.3, 3.5, 0.4, 1.2, 0.2]


@pytest.mark.parametrize(
    ("unit", "extra"),
    [("%", {}), ("per 1,000 bed days", {"bounds": (0, None)})],
    ids=["percent by default", "rate"],
)
def test_a_lower_limit_below_0_is_drawn_at_0_for_proportions_and_rates(unit, extra):
    expected = spc.xmr(LOW_RATES)
    assert min(expected.lower) < 0
    chart = charts.spc_chart(id="low", title="Low", unit=unit, points=points(LOW_RATES), **extra)
    assert min(axis_numbers(chart)) == 0  # the axis starts at 0, not below
    assert [row[3] for row in chart.table.rows] == [figure(v) for v in expected.lower]
    # with no bounds (a unit that is not a percentage), the limits are drawn as computed
    unbounded = charts.spc_chart(id="low", title="Low", unit="points", points=points(LOW_RATES))
    assert min(axis_numbers(unbounded)) < 0
