"""Charts of metric results: one Vega-Lite spec per chart, compiled on the server to a Vega spec
for the interactive view and to a static SVG that works without JavaScript (ADR 0008)."""

from __future__ import annotations

import functools
import json
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass

import markupsafe
import numpy as np
import vl_convert as vlc
from django.utils.translation import gettext as _

from pcref.analytics import spc, stats
from pcref.insights.dashboard import ICON_COLOURS, VARIATIONS, figure

# NHS.UK colours (service-manual/design-system/styles/colour) that reach 4.5:1 on white, so
# marks as well as text pass WCAG 1.4.3 and 1.4.11. The Making Data Count colours do not all
# reach 3:1 (orange is 1.9:1), so special-cause points carry a dark outline and a legend.
TEXT = "#212b32"
SECONDARY = "#4c6272"
BLUE = "#005eb8"
RED = "#d5281b"
PLUM = "#7c2855"
GRID = "#d8dde0"
FONT = "Frutiger W01, Arial, sans-serif"
WIDTH = 640
SPC_HEIGHT = 300
FUNNEL_HEIGHT = 340
ROW_HEIGHT = 28
NO_VALUE = "–"
VEGA_LITE_VERSION = "6.4"  # of vl-convert's bundled compilers; Vega 6 runs its output

_CONFIG = {
    "font": FONT,
    "background": "#ffffff",
    "view": {"stroke": None},
    "axis": {
        "labelColor": TEXT,
        "titleColor": TEXT,
        "domainColor": SECONDARY,
        "tickColor": SECONDARY,
        "gridColor": GRID,
        "labelFontSize": 12,
        "titleFontSize": 13,
        "titleFontWeight": "normal",
        "labelLimit": 220,
    },
    "legend": {
        "labelColor": TEXT,
        "titleColor": TEXT,
        "labelFontSize": 12,
        "titleFontSize": 13,
        "orient": "bottom",
        "direction": "vertical",
        "labelLimit": 400,
    },
    "text": {"color": TEXT, "fontSize": 12},
}


@dataclass(frozen=True)
class ChartTable:
    caption: str
    headers: list[str]
    rows: list[list[str]]  # cells already formatted for display


@dataclass(frozen=True)
class Chart:
    id: str  # unique, HTML-id-safe
    title: str
    summary: str  # the chart in words (a sentence or two)
    svg: markupsafe.Markup  # static SVG: role="img", <title>, aria-labelledby; no script
    spec: dict  # the Vega spec (compiled from Vega-Lite) for the interactive view
    table: ChartTable


def _number(value) -> float | None:
    """A finite float, or None for a gap (None, NaN or infinity)."""
    if value is None:
        return None
    number = float(value)
    return number if math.isfinite(number) else None


def _checked_id(id: str) -> str:
    if not re.fullmatch(r"[A-Za-z][A-Za-z0-9_-]*", id or ""):
        raise ValueError(
            f"chart id must start with a letter and hold only letters, digits, - and _; got {id!r}"
        )
    return id


@functools.lru_cache(maxsize=256)
def _compiled(vega_lite: str) -> tuple[str, str]:
    """The Vega spec (as JSON) and the SVG of a Vega-Lite spec (as JSON text). Cached: the
    SVG costs tens of milliseconds, and a page shows several charts of the same run."""
    vega = vlc.vegalite_to_vega(json.loads(vega_lite), vl_version=VEGA_LITE_VERSION)
    return json.dumps(vega), vlc.vega_to_svg(vega)


_ROOT = re.compile(r"<svg\b[^>]*>")
_VIEWBOX = re.compile(r'viewBox="([^"]*)"')
# Attributes the static image does without: ARIA of the marks (an image's children are
# presentational), Vega's class names and pointer events (no script runs on it).
_MARK_ATTRIBUTES = re.compile(
    r'\s(?:(?:role|aria-[a-z]+|class|pointer-events)="[^"]*"|opacity="1")'
)
_IDS = re.compile(r'\bid="([^"]+)"')


def _accessible_svg(svg: str, id: str, title: str, summary: str) -> markupsafe.Markup:
    """vl-convert's SVG as one image with a name and description: role="img" with <title> and
    <desc> (the marks' own ARIA roles removed, as an image's children are presentational), ids
    prefixed so that several charts can share a page, and width 100% to fit its column."""
    view_box = _VIEWBOX.search(svg).group(1)
    body = _MARK_ATTRIBUTES.sub("", svg[_ROOT.search(svg).end() :])
    for inner_id in set(_IDS.findall(body)):
        body = body.replace(f'id="{inner_id}"', f'id="{id}-{inner_id}"').replace(
            f"url(#{inner_id})", f"url(#{id}-{inner_id})"
        )
    title_id, desc_id = f"{id}-svg-title", f"{id}-svg-desc"
    head = markupsafe.Markup(
        '<svg xmlns="http://www.w3.org/2000/svg" class="pcref-chart__svg" width="100%" '
        'viewBox="{view_box}" role="img" aria-labelledby="{title_id} {desc_id}" '
        'focusable="false"><title id="{title_id}">{title}</title><desc id="{desc_id}">{summary}</desc>'
    ).format(view_box=view_box, title_id=title_id, desc_id=desc_id, title=title, summary=summary)
    return head + markupsafe.Markup(body)


def _compact(value):
    """Floats to 6 significant figures, all a chart can show: the page carries less."""
    if isinstance(value, float):
        return float(f"{value:.6g}")
    if isinstance(value, dict):
        return {key: _compact(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_compact(item) for item in value]
    return value


def _chart(id: str, title: str, summary: str, vega_lite: dict, table: ChartTable) -> Chart:
    spec = {
        "$schema": "https://vega.github.io/schema/vega-lite/v6.json",
        "width": WIDTH,
        "config": _CONFIG,
        "description": summary,
        **_compact(vega_lite),
    }
    vega, svg = _compiled(json.dumps(spec, sort_keys=True, ensure_ascii=False))
    return Chart(
        id=id,
        title=title,
        summary=summary,
        svg=_accessible_svg(svg, id, title, summary),
        spec=json.loads(vega),
        table=table,
    )


def _tooltip(*fields: tuple[str, str]) -> list[dict]:
    return [{"field": field, "type": "nominal", "title": title} for field, title in fields]


def _reference_lines(x, rows, names, dashes, y_title=None) -> dict:
    """Lines told apart by their dash, with a legend (mean and limits, funnel limits)."""
    return {
        "data": {"values": rows},
        "mark": {
            "type": "line",
            "color": SECONDARY,
            "strokeWidth": 1.5,
            "invalid": "break-paths-show-domains",
            "aria": False,
        },
        "encoding": {
            "x": x,
            "y": {"field": "y", "type": "quantitative", "title": y_title},
            "detail": {"field": "part", "type": "nominal"},
            "strokeDash": {
                "field": "line",
                "type": "nominal",
                "title": None,
                "scale": {"domain": names, "range": dashes},
            },
        },
    }


# --- SPC -------------------------------------------------------------------------------------

_CAUSE_KIND = {
    "improvement": "improvement",
    "concern": "concern",
    "neutral_high": "neutral",
    "neutral_low": "neutral",
}


def _cause_words() -> dict[str, str]:
    return {
        "improvement": _("Special cause: improvement"),
        "concern": _("Special cause: concern"),
        "neutral": _("Special cause: neither better nor worse"),
    }


def spc_chart(
    *,
    id: str,
    title: str,
    unit: str,
    points: Sequence[tuple[str, str, float | None]],
    improvement: str = "neutral",
    bounds: tuple[float | None, float | None] | None = None,
) -> Chart:
    """An XmR chart of a series in time order, with its mean and process limits
    (`pcref.analytics.spc.xmr`, the engine's own rules) and special-cause points in the Making
    Data Count colours. A series with a gap has no limits, as the engine gives it no SPC:
    a missing month would join the moving ranges either side of it.

    Args:
        id: the chart's HTML id.
        title, unit: the chart's title and the values' unit (the y axis title).
        points: (period key, e.g. "2024-04"; display label, e.g. "April 2024"; value or None).
        improvement: "increase", "decrease" or "neutral" (the metric's direction).
        bounds: (lowest, highest) value the measure can take, None for no bound: (0, 100) for a
            percentage, (0, None) for a rate. The mean and process limits are drawn clipped to
            them, so the y axis stays within them; the table and summary keep the computed
            limits. By default (0, 100) when the unit is "%", otherwise no bounds.
    """
    _checked_id(id)
    if bounds is None:
        bounds = (0.0, 100.0) if unit == "%" else (None, None)
    keys = [key for key, _label, _value in points]
    if len(set(keys)) != len(keys):
        raise ValueError(f"spc_chart {id!r}: period keys repeat in {keys!r}")
    values = [_number(value) for _key, _label, value in points]
    labels = [str(label) for _key, label, _value in points]
    complete = len(values) >= 2 and all(value is not None for value in values)
    chart = spc.xmr(values, improvement=improvement) if complete else None
    words = _cause_words()
    data = []
    for position, (key, label, value) in enumerate(zip(keys, labels, values, strict=True)):
        row = {"key": key, "label": label, "value": value, "value_text": figure(value)}
        row["description"] = f"{label}: {row['value_text']} {unit}"
        if chart is not None:
            cause = chart.special_cause[position]
            row.update(
                mean=_number(chart.mean[position]),
                lower=_number(chart.lower[position]),
                upper=_number(chart.upper[position]),
                cause=words[_CAUSE_KIND[cause]] if cause else None,
            )
            if cause:
                row["description"] += f"; {row['cause']}"
        data.append(row)

    x = {
        "field": "label",
        "type": "ordinal",
        "sort": labels,
        "scale": {"domain": labels},
        "title": _("Month"),
        "axis": {"labelAngle": -45 if len(labels) > 8 else 0},
    }
    y_title = unit
    line = {
        "mark": {
            "type": "line",
            "color": BLUE,
            "strokeWidth": 2,
            "invalid": "break-paths-show-domains",
            "aria": False,  # each point says its value
        },
        "encoding": {"x": x, "y": {"field": "value", "type": "quantitative", "title": y_title}},
    }
    dots = {
        "mark": {"type": "point", "filled": True, "color": BLUE, "size": 36, "opacity": 1},
        "encoding": {
            "x": x,
            "y": {"field": "value", "type": "quantitative"},
            "tooltip": _tooltip(("label", _("Month")), ("value_text", unit)),
            "description": {"field": "description"},
        },
    }
    layers = []
    if chart is not None:
        mean_words, limit_words = _("Mean"), _("Process limits")
        reference_lines = [
            {"label": row["label"], "line": words_, "part": part, "y": _clipped(row[part], bounds)}
            for row in data
            for part, words_ in (
                ("mean", mean_words),
                ("lower", limit_words),
                ("upper", limit_words),
            )
        ]
        layers.append(
            _reference_lines(
                x, reference_lines, [mean_words, limit_words], [[1, 0], [6, 4]], y_title
            )
        )
    layers += [line, dots]
    if chart is not None and any(row.get("cause") for row in data):
        kinds = ["improvement", "concern", "neutral"]
        layers.append(
            {
                "transform": [{"filter": "datum.cause != null"}],
                "mark": {
                    "type": "point",
                    "filled": True,
                    "size": 120,
                    "stroke": TEXT,
                    "strokeWidth": 1.5,
                    "opacity": 1,
                },
                "encoding": {
                    "x": x,
                    "y": {"field": "value", "type": "quantitative"},
                    "color": {
                        "field": "cause",
                        "type": "nominal",
                        "title": None,
                        "scale": {
                            "domain": [words[kind] for kind in kinds],
                            "range": [ICON_COLOURS[kind] for kind in kinds],
                        },
                    },
                    "tooltip": _tooltip(
                        ("label", _("Month")), ("value_text", unit), ("cause", _("Variation"))
                    ),
                    "description": {"field": "description"},
                },
            }
        )
    vega_lite = {"height": SPC_HEIGHT, "data": {"values": data}, "layer": layers}

    headers = [_("Month"), unit]
    if chart is not None:
        headers += [_("Mean"), _("Lower process limit"), _("Upper process limit"), _("Variation")]
    rows = []
    for row in data:
        cells = [row["label"], row["value_text"]]
        if chart is not None:
            cells += [
                figure(row["mean"]),
                figure(row["lower"]),
                figure(row["upper"]),
                row["cause"] or _("Common cause"),
            ]
        rows.append(cells)
    table = ChartTable(
        caption=_("%(title)s: values by month") % {"title": title}, headers=headers, rows=rows
    )
    return _chart(id, title, _spc_summary(title, unit, labels, values, chart), vega_lite, table)


def _clipped(value: float | None, bounds: tuple[float | None, float | None]) -> float | None:
    """The value moved into [lowest, highest] to draw it (a gap stays a gap)."""
    lowest, highest = bounds
    if value is None:
        return None
    if lowest is not None:
        value = max(value, float(lowest))
    if highest is not None:
        value = min(value, float(highest))
    return value


def _spc_summary(title, unit, labels, values, chart) -> str:
    present = [
        (label, value) for label, value in zip(labels, values, strict=True) if value is not None
    ]
    if not present:
        return _("%(title)s: no values to chart.") % {"title": title}
    latest_label, latest = present[-1]
    words = _("%(title)s, %(start)s to %(end)s: %(value)s %(unit)s in %(latest)s.") % {
        "title": title,
        "start": labels[0],
        "end": labels[-1],
        "value": figure(latest),
        "unit": unit,
        "latest": latest_label,
    }
    if chart is None:
        missing = len(values) - len(present)
        return (
            words
            + " "
            + (
                _("No process limits: %(missing)s of %(months)s months have no value.")
                % {"missing": missing, "months": len(values)}
                if missing
                else _("No process limits: fewer than 2 months.")
            )
        )
    special = sum(cause is not None for cause in chart.special_cause)
    label = VARIATIONS.get(chart.variation, (chart.variation,))[0]
    limits = (
        _("mean %(mean)s, process limits %(lower)s to %(upper)s")
        % {
            "mean": figure(chart.mean[-1]),
            "lower": figure(chart.lower[-1]),
            "upper": figure(chart.upper[-1]),
        }
        if math.isfinite(chart.lower[-1])
        else _("mean %(mean)s, no process limits (the values do not vary)")
        % {"mean": figure(chart.mean[-1])}
    )
    return (
        words
        + " "
        + _(
            "The %(limits)s; %(special)s of %(months)s months show special cause variation. "
            "Latest month: %(variation)s."
        )
        % {"limits": limits, "special": special, "months": len(values), "variation": label}
    )


# --- Intervals by group ----------------------------------------------------------------------


def interval_chart(
    *,
    id: str,
    title: str,
    unit: str,
    rows: Sequence[tuple[str, float | None, float | None, float | None]],
    reference: float | None = None,
    reference_label: str = "",
    places: int = 1,
) -> Chart:
    """A dot for each group's value with a whisker for its interval, and optionally a
    reference line (e.g. the comparison group's value). A group without a value keeps its
    place on the axis, with no dot.

    Args:
        rows: (group label, value, lower limit, upper limit), in the order to show them.
        reference, reference_label: the line's value and its name, e.g. "White".
        places: decimal places of the figures in the points' labels, tooltips, table and
            summary: 1 by default, 2 for ratios (as `dashboard.ratio_figure`).
    """
    _checked_id(id)
    groups = [str(label) for label, *_rest in rows]
    data = []
    for label, value, lower, upper in rows:
        value, lower, upper = _number(value), _number(lower), _number(upper)
        data.append(
            {
                "group": str(label),
                "value": value,
                "lower": lower,
                "upper": upper,
                "value_text": figure(value, places),
                "interval_text": _("%(start)s to %(end)s")
                % {"start": figure(lower, places), "end": figure(upper, places)},
            }
        )
        data[-1]["description"] = _(
            "%(group)s: %(value)s %(unit)s (95%% interval %(interval)s)"
        ) % {
            "group": label,
            "value": data[-1]["value_text"],
            "unit": unit,
            "interval": data[-1]["interval_text"],
        }
    reference = _number(reference)
    y = {
        "field": "group",
        "type": "nominal",
        "sort": groups,
        "scale": {"domain": groups},
        "title": None,
    }
    tooltip = _tooltip(
        ("group", _("Group")), ("value_text", unit), ("interval_text", _("95%% interval") % {})
    )
    layers = []
    if reference is not None:  # first, so that the groups' points lie above it
        layers.append(
            {
                "data": {"values": [{"reference": reference, "name": reference_label}]},
                "layer": [
                    {
                        "mark": {
                            "type": "rule",
                            "color": PLUM,
                            "strokeDash": [6, 4],
                            "strokeWidth": 1.5,
                            "aria": False,
                        },
                        "encoding": {"x": {"field": "reference", "type": "quantitative"}},
                    },
                    {
                        "mark": {
                            "type": "text",
                            "color": PLUM,
                            "align": "left",
                            "dx": 4,
                            "dy": -6,
                            "y": 0,
                            "aria": False,
                        },
                        "encoding": {
                            "x": {"field": "reference", "type": "quantitative"},
                            "text": {"field": "name"},
                        },
                    },
                ],
            }
        )
    layers += [
        {
            "transform": [{"filter": "isValid(datum.lower) && isValid(datum.upper)"}],
            "mark": {"type": "rule", "color": TEXT, "strokeWidth": 2, "aria": False},
            "encoding": {
                "y": y,
                "x": {"field": "lower", "type": "quantitative", "title": unit},
                "x2": {"field": "upper"},
                "tooltip": tooltip,
            },
        },
        {
            "transform": [{"filter": "isValid(datum.value)"}],
            "mark": {"type": "point", "filled": True, "color": BLUE, "size": 90, "opacity": 1},
            "encoding": {
                "y": y,
                "x": {"field": "value", "type": "quantitative", "title": unit},
                "tooltip": tooltip,
                "description": {"field": "description"},
            },
        },
    ]
    vega_lite = {
        "height": max(ROW_HEIGHT * len(groups), ROW_HEIGHT * 2),
        "data": {"values": data},
        "layer": layers,
    }
    table = ChartTable(
        caption=_("%(title)s: values with 95%% intervals") % {"title": title},
        headers=[_("Group"), unit, _("Lower limit"), _("Upper limit")],
        rows=[
            [
                row["group"],
                row["value_text"],
                figure(row["lower"], places),
                figure(row["upper"], places),
            ]
            for row in data
        ],
    )
    return _chart(
        id,
        title,
        _interval_summary(title, unit, data, reference, reference_label, places),
        vega_lite,
        table,
    )


def _interval_summary(title, unit, data, reference, reference_label, places) -> str:
    valued = [row for row in data if row["value"] is not None]
    if not valued:
        return _("%(title)s: no group has a value.") % {"title": title}
    highest = max(valued, key=lambda row: row["value"])
    lowest = min(valued, key=lambda row: row["value"])
    words = _(
        "%(title)s: highest for %(high)s (%(high_value)s %(unit)s), lowest for %(low)s "
        "(%(low_value)s %(unit)s)."
    ) % {
        "title": title,
        "high": highest["group"],
        "high_value": highest["value_text"],
        "low": lowest["group"],
        "low_value": lowest["value_text"],
        "unit": unit,
    }
    if reference is not None:
        above = [r["group"] for r in valued if r["lower"] is not None and r["lower"] > reference]
        below = [r["group"] for r in valued if r["upper"] is not None and r["upper"] < reference]
        words += " " + _(
            "Against %(name)s (%(value)s): interval wholly above for %(above)s; wholly below for "
            "%(below)s."
        ) % {
            "name": reference_label or _("the reference"),
            "value": figure(reference, places),
            "above": ", ".join(above) or _("no group"),
            "below": ", ".join(below) or _("no group"),
        }
    missing = [row["group"] for row in data if row["value"] is None]
    if missing:
        words += " " + _("No value for %(groups)s.") % {"groups": ", ".join(missing)}
    return words


# --- Funnel plot -----------------------------------------------------------------------------

_FUNNEL_POINTS = 60


def _funnel_words() -> dict[str, str]:
    return {
        "within": _("Within the 95%% limits") % {},
        "beyond_95": _("Outside the 95%% limits") % {},
        "beyond_99_8": _("Outside the 99.8%% limits") % {},
    }


def funnel_chart(
    *,
    id: str,
    title: str,
    unit: str,
    units: Sequence[tuple[str, float, float]],
    multiplier: float = 1.0,
    statistic: str = "proportion",
    x_title: str | None = None,
) -> Chart:
    """A funnel plot: each team's value against its denominator, with 95% and 99.8% limits
    around the overall value (`pcref.analytics.stats.funnel_limits`: Wilson-based for
    proportions, exact Poisson for rates; docs/methods.md §10). A team without a positive
    denominator is listed in the table with no value, and left off the plot.

    Args:
        units: (team label, numerator, denominator).
        multiplier: the scale of the values (100 for a percentage, 1,000 per 1,000 bed days).
        statistic: "proportion" (default) or "rate".
        x_title: what the denominators are, e.g. "Records": the x axis title and the
            denominators' name in tooltips and the table ("Denominator" by default).
    """
    _checked_id(id)
    x_title = x_title or _("Denominator")
    words = _funnel_words()
    plotted = [
        (str(label), float(numerator), float(denominator))
        for label, numerator, denominator in units
        if _number(numerator) is not None and _number(denominator) is not None and denominator > 0
    ]
    data, lines, baseline = [], [], None
    if plotted:
        numerators = np.array([numerator for _label, numerator, _den in plotted])
        denominators = np.array([den for _label, _num, den in plotted])
        at = np.unique(
            np.concatenate(
                [
                    np.linspace(
                        denominators.min() * 0.9, denominators.max() * 1.05, _FUNNEL_POINTS
                    ),
                    denominators,
                ]
            )
        )
        at = at[at > 0]
        curve = stats.funnel_limits(numerators, denominators, statistic, multiplier, at=at)
        own = stats.funnel_limits(numerators, denominators, statistic, multiplier)
        baseline = float(curve.baseline)
        lines = [
            {
                "denominator": float(den),
                "lower_95": float(curve.lower_95[i]),
                "upper_95": float(curve.upper_95[i]),
                "lower_99_8": float(curve.lower_99_8[i]),
                "upper_99_8": float(curve.upper_99_8[i]),
            }
            for i, den in enumerate(curve.denominator)
        ]
        for i, (label, numerator, denominator) in enumerate(plotted):
            value = numerator / denominator * multiplier
            if value < own.lower_99_8[i] or value > own.upper_99_8[i]:
                where = "beyond_99_8"
            elif value < own.lower_95[i] or value > own.upper_95[i]:
                where = "beyond_95"
            else:
                where = "within"
            data.append(
                {
                    "team": label,
                    "numerator": numerator,
                    "denominator": denominator,
                    "value": value,
                    "value_text": figure(value),
                    "numerator_text": figure(numerator, 0),
                    "denominator_text": figure(denominator, 0),
                    "where": words[where],
                    "description": _(
                        "%(team)s: %(value)s %(unit)s (%(numerator)s of %(denominator)s); %(where)s"
                    )
                    % {
                        "team": label,
                        "value": figure(value),
                        "unit": unit,
                        "numerator": figure(numerator, 0),
                        "denominator": figure(denominator, 0),
                        "where": words[where].lower(),
                    },
                    "lower_95": float(own.lower_95[i]),
                    "upper_95": float(own.upper_95[i]),
                    "lower_99_8": float(own.lower_99_8[i]),
                    "upper_99_8": float(own.upper_99_8[i]),
                }
            )
    x = {"field": "denominator", "type": "quantitative", "title": x_title}
    overall, limits_95, limits_99_8 = (
        _("Overall value"),
        _("95%% limits") % {},
        _("99.8%% limits") % {},
    )
    funnel_lines = [
        {"denominator": row["denominator"], "line": name, "part": part, "y": row[part]}
        for row in lines
        for part, name in (
            ("lower_95", limits_95),
            ("upper_95", limits_95),
            ("lower_99_8", limits_99_8),
            ("upper_99_8", limits_99_8),
        )
    ]
    if lines:
        funnel_lines += [
            {
                "denominator": lines[end]["denominator"],
                "line": overall,
                "part": "overall",
                "y": baseline,
            }
            for end in (0, -1)
        ]
    layers = [
        _reference_lines(
            x,
            funnel_lines,
            [overall, limits_95, limits_99_8],
            [[1, 0], [6, 4], [2, 3]],
            y_title=unit,
        )
    ]
    kinds = ["within", "beyond_95", "beyond_99_8"]
    layers.append(
        {
            "data": {"values": data},
            "mark": {
                "type": "point",
                "filled": True,
                "size": 90,
                "opacity": 1,
                "stroke": TEXT,
                "strokeWidth": 1,
            },
            "encoding": {
                "x": x,
                "y": {"field": "value", "type": "quantitative", "title": unit},
                "color": {
                    "field": "where",
                    "type": "nominal",
                    "title": None,
                    "scale": {"domain": [words[k] for k in kinds], "range": [BLUE, PLUM, RED]},
                },
                "shape": {
                    "field": "where",
                    "type": "nominal",
                    "title": None,
                    "scale": {
                        "domain": [words[k] for k in kinds],
                        "range": ["circle", "square", "diamond"],
                    },
                },
                "tooltip": _tooltip(
                    ("team", _("Team")),
                    ("value_text", unit),
                    ("numerator_text", _("Numerator")),
                    ("denominator_text", x_title),
                    ("where", _("Position")),
                ),
                "description": {"field": "description"},
            },
        }
    )
    vega_lite = {"height": FUNNEL_HEIGHT, "layer": layers}
    rows = [
        [
            row["team"],
            row["value_text"],
            row["numerator_text"],
            row["denominator_text"],
            row["where"],
        ]
        for row in data
    ]
    shown = {label for label, *_rest in plotted}
    rows += [
        [
            str(label),
            NO_VALUE,
            figure(_number(num), 0),
            figure(_number(den), 0),
            _("Not plotted: no denominator"),
        ]
        for label, num, den in units
        if str(label) not in shown
    ]
    table = ChartTable(
        caption=_("%(title)s: each team's value and where it lies on the funnel")
        % {"title": title},
        headers=[_("Team"), unit, _("Numerator"), x_title, _("Position")],
        rows=rows,
    )
    return _chart(
        id, title, _funnel_summary(title, unit, data, baseline, len(units)), vega_lite, table
    )


def _funnel_summary(title, unit, data, baseline, count) -> str:
    if not data:
        return _("%(title)s: no team has a value to plot.") % {"title": title}
    words = _funnel_words()
    outside = [row for row in data if row["where"] != words["within"]]
    text = _(
        "%(title)s: %(plotted)s of %(count)s teams plotted around the overall value of "
        "%(baseline)s %(unit)s."
    ) % {
        "title": title,
        "plotted": len(data),
        "count": count,
        "baseline": figure(baseline),
        "unit": unit,
    }
    if not outside:
        return text + " " + _("Every team is within the 95%% limits.") % {}
    return (
        text
        + " "
        + _("Outside the 95%% limits: %(teams)s.")
        % {
            "teams": "; ".join(
                f"{row['team']} ({row['value_text']}, {row['where'].lower()})" for row in outside
            )
        }
    )
