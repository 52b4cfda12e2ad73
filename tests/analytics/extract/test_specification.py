"""docs/data-specification.md matches the schema: generated blocks are current, nothing is left out.

The tables of columns, the code lists and the list of report rules in the specification are
generated from `extract.schema` and `extract.report.RULES` by `render_blocks()` below. When the
schema changes, regenerate them with:

    .venv/bin/python tests/analytics/extract/test_specification.py

which rewrites the text between each `<!-- generated:NAME -->` and `<!-- /generated:NAME -->`.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

from pcref.analytics.ethnicity import CENSUS_2021_GROUPS, MAPPING_VERSION
from pcref.analytics.extract import schema
from pcref.analytics.extract.report import REPORT_COLUMNS, RULES

SPECIFICATION = Path(__file__).resolve().parents[3] / "docs" / "data-specification.md"
BLOCK = re.compile(
    r"(<!-- generated:(?P<name>[\w-]+) -->\n)(?P<body>.*?)(<!-- /generated:(?P=name) -->)", re.S
)

TYPE_WORDS = {
    schema.STRING: "text",
    schema.INTEGER: "integer",
    schema.NUMBER: "number",
    schema.DATE: "date",
}

# Code lists with labels, by the set of codes a column allows.
CODE_LISTS = {
    frozenset(schema.SEX_CODES): ("Sex", dict(schema.SEX_CODES)),
    frozenset(schema.SOURCE_OF_REFERRAL): (
        "Source of referral",
        dict(schema.SOURCE_OF_REFERRAL),
    ),
    frozenset(schema.LEGAL_STATUS): (
        "Legal status",
        dict(schema.LEGAL_STATUS),
    ),
    frozenset(schema.RESTRICTIVE_INTERVENTION_TYPE): (
        "Restrictive intervention type",
        dict(schema.RESTRICTIVE_INTERVENTION_TYPE),
    ),
    frozenset(schema.OUTCOME_MEASURES): (
        "Outcome measure",
        {code: spec["label"] for code, spec in schema.OUTCOME_MEASURES.items()},
    ),
    schema.CENSUS_2021_CODES: (
        "Census 2021 ethnic group",
        {str(g.census2021_code): g.label for g in CENSUS_2021_GROUPS},
    ),
    frozenset({"2", "3", "4", "5", "6", "7"}): (
        "Attended or did not attend",
        {
            "2": "Appointment cancelled by, or on behalf of, the patient",
            "3": "Did not attend, no advance warning given",
            "4": "Appointment cancelled or postponed by the health care provider",
            "5": "Attended on time, or late but seen",
            "6": "Arrived late, after the expected time, and was seen",
            "7": "Arrived late and could not be seen",
        },
    ),
    frozenset({"1", "2"}): (
        "Sex (population)",
        {"1": "Male", "2": "Female"},
    ),
    frozenset(schema.AGE_BANDS): (
        "Age band",
        {
            band: (
                f"{band[:-1]} years and over"
                if band.endswith("+")
                else "{} to {} years".format(*band.split("-"))
            )
            for band in schema.AGE_BANDS
        },
    ),
    frozenset(schema.FEEDBACK_RESPONDENT_TYPES): (
        "Feedback respondent type",
        dict(schema.FEEDBACK_RESPONDENT_TYPES),
    ),
    frozenset(schema.FEEDBACK_ANSWER_CATEGORIES): (
        "Feedback answer category",
        dict(schema.FEEDBACK_ANSWER_CATEGORIES),
    ),
}


def _anchor(heading: str) -> str:
    """The anchor GitHub gives a Markdown heading."""
    return re.sub(r"[^a-z0-9 -]", "", heading.lower()).replace(" ", "-")


def _order(code: str) -> tuple[int, str]:
    return (0, f"{int(code):08d}") if code.isdigit() else (1, code)


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def render_table(table: schema.Table) -> str:
    keys = ", ".join(f"`{c}`" for c in table.primary_key)
    foreign = "; ".join(
        f"`{fk.column}` → `{fk.table}.{fk.target_column}`" for fk in table.foreign_keys
    )
    lines = [
        f"File `{table.name}.csv` or `{table.name}.parquet`, "
        f"{'required' if table.required else 'optional'}. From MHSDS {table.mhsds_table}. "
        f"{table.description}",
        "",
        f"- Primary key: {keys}.",
    ]
    if foreign:
        lines.append(f"- Foreign keys: {foreign}.")
    orders = schema.DATE_ORDER.get(table.name, ())
    if orders:
        lines.append(
            "- Date order: "
            + "; ".join(f"`{end}` is not before `{start}`" for start, end in orders)
            + "."
        )
    if table.name in schema.EVENT_DATE_COLUMNS:
        event = schema.EVENT_DATE_COLUMNS[table.name]
        lines.append(f"- Event date, for the extract period: `{event}`.")
    lines += [
        "",
        "| Column | Type | Required | Blank allowed | MHSDS data item | Description and codes |",
        "|---|---|---|---|---|---|",
    ]
    for column in table.columns:
        text = column.description
        if column.codes is not None:
            title, _ = CODE_LISTS[column.codes]
            anchor = _anchor(f"{title} codes")
            codes = sorted(column.codes, key=_order)
            shown = ", ".join(f"`{c}`" for c in codes) if len(codes) <= 8 else f"{len(codes)} codes"
            text += f". Codes: {shown} ([{title}](#{anchor}))"
        if column.normalise_ethnicity:
            text += ". Kept as given; see [Ethnicity](#7-ethnicity)"
        lines.append(
            f"| `{column.name}` | {TYPE_WORDS[column.type]} | {'yes' if column.required else 'no'} "
            f"| {'yes' if column.nullable else 'no'} | {_cell(column.mhsds)} | {_cell(text)} |"
        )
    return "\n".join(lines) + "\n"


def render_code_lists() -> str:
    lines = []
    used = {column.codes for table in schema.TABLES for column in table.columns if column.codes}
    for codes, (title, labels) in CODE_LISTS.items():
        if codes not in used:
            continue
        lines += [f"### {title} codes", "", "| Code | Meaning |", "|---|---|"]
        lines += [f"| `{code}` | {_cell(labels[code])} |" for code in sorted(codes, key=_order)]
        lines.append("")
    return "\n".join(lines)


def render_rules() -> str:
    lines = ["| Rule | Severity | Meaning |", "|---|---|---|"]
    lines += [
        f"| `{rule}` | {severity} | {meaning} |" for rule, (severity, meaning) in RULES.items()
    ]
    return "\n".join(lines) + "\n"


def render_stored(table: schema.Table) -> str:
    return ", ".join(f"`{name}` {kind}" for name, kind in schema.stored_columns(table))


def render_blocks() -> dict[str, str]:
    blocks = {f"table-{table.name}": render_table(table) for table in schema.TABLES}
    blocks["code-lists"] = render_code_lists()
    blocks["rules"] = render_rules()
    blocks["report-columns"] = ", ".join(f"`{c}`" for c in REPORT_COLUMNS) + "\n"
    blocks["stored-columns"] = (
        "\n".join(f"- `{t.name}.parquet`: {render_stored(t)}" for t in schema.TABLES) + "\n"
    )
    blocks["identifying-names"] = (
        ", ".join(f"`{name}`" for name in sorted(schema.IDENTIFYING_COLUMN_NAMES)) + "\n"
    )
    return blocks


def regenerate(text: str) -> str:
    blocks = render_blocks()

    def replace(match: re.Match) -> str:
        name = match.group("name")
        if name not in blocks:
            raise KeyError(f"the specification has a block {name!r} that nothing generates")
        return match.group(1) + blocks[name] + match.group(4)

    return BLOCK.sub(replace, text)


def test_generated_blocks_are_current():
    text = SPECIFICATION.read_text("utf-8")
    assert regenerate(text) == text, (
        "docs/data-specification.md is out of date with the schema; run "
        ".venv/bin/python tests/analytics/extract/test_specification.py"
    )


def test_every_block_is_in_the_specification():
    found = {match.group("name") for match in BLOCK.finditer(SPECIFICATION.read_text("utf-8"))}
    assert found == set(render_blocks())


def test_the_specification_names_every_table_column_and_rule():
    text = SPECIFICATION.read_text("utf-8")
    for table in schema.TABLES:
        assert f"### `{table.name}`" in text
        for column in table.columns:
            assert f"| `{column.name}` |" in text
    for rule in RULES:
        assert f"`{rule}`" in text
    assert schema.SCHEMA_VERSION in text and MAPPING_VERSION in text


def test_every_code_list_in_the_schema_has_labels():
    for table in schema.TABLES:
        for column in table.columns:
            if column.codes is not None:
                assert column.codes in CODE_LISTS, f"{table.name}.{column.name}"
                assert set(CODE_LISTS[column.codes][1]) == set(column.codes)


if __name__ == "__main__":
    current = SPECIFICATION.read_text("utf-8")
    updated = regenerate(current)
    if updated != current:
        SPECIFICATION.write_text(updated, "utf-8")
        print(f"updated {SPECIFICATION}")
    else:
        print(f"{SPECIFICATION} is current")
    sys.exit(0)
