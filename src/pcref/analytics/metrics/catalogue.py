"""The metric catalogue of pcref.md §9 as definitions: data quality, access, MHA, restraint,
length of stay, outcomes and experience."""

# Code lists come from the extract schema, never typed here, so the catalogue follows it. A trust
# adds a metric by building one more MetricDefinition (docs/metrics.md); nothing here is special
# to the engine.

from types import MappingProxyType

from pcref.analytics.extract.schema import (
    CRIMINAL_JUSTICE_REFERRAL_SOURCES,
    DETENTION_LEGAL_STATUSES,
    OUTCOME_MEASURES,
    RESTRICTIVE_INTERVENTION_GROUPS,
    SECTION_136,
)
from pcref.analytics.metrics.definitions import Condition, MetricDefinition

BOTH = ("White", "White British")
ETHNIC = frozenset({"broad", "detailed"})
PEOPLE_GROUPS = ETHNIC | {"age_band", "sex"}
EVERYWHERE = PEOPLE_GROUPS | {"organisation", "service"}
PER_100K_YEAR = "per 100,000 population per year"
PERCENT = "%"

# Every extract table whose rows carry a person, for the data-quality metrics.
DQ_TABLES = (
    "mhs001_patients",
    "mhs101_referrals",
    "mhs201_care_contacts",
    "mhs501_hospital_spells",
    "mhs401_mha_episodes",
    "mhs404_cto",
    "mhs505_restrictive_interventions",
    "mhs606_outcome_measures",
)
_RI_LABELS = {
    "physical_restraint": "physical restraint",
    "prone_restraint": "prone restraint",
    "seclusion": "seclusion",
    "rapid_tranquillisation": "rapid tranquillisation",
    "any": "any restrictive intervention",
}


def _status(*statuses: str) -> tuple[Condition, ...]:
    return (Condition("ethnicity_status", "in", statuses),)


def _data_quality() -> list[MetricDefinition]:
    common = {
        "tables": DQ_TABLES,
        "statistic": "proportion",
        "denominator": "records",
        "unit": PERCENT,
        "multiplier": 100,
        "breakdowns": frozenset({"organisation", "service"}),
    }
    parts = [
        ("DQ1", "Ethnicity recorded with a valid national code", ("valid",), "increase"),
        ("DQ2", "Ethnicity not stated (Z)", ("not_stated",), "decrease"),
        (
            "DQ3",
            "Ethnicity not known, missing or invalid",
            ("not_known", "missing", "invalid"),
            "decrease",
        ),
        ("DQ3.not_known", "Ethnicity not known (99)", ("not_known",), "decrease"),
        ("DQ3.missing", "Ethnicity missing (blank)", ("missing",), "decrease"),
        ("DQ3.invalid", "Ethnicity invalid (not a code)", ("invalid",), "decrease"),
    ]
    return [
        MetricDefinition(
            id=metric_id,
            title=title,
            description=(
                f"Records whose person's ethnicity status is {' or '.join(statuses)}, as a share "
                "of all records in scope, for each dataset (pcref.md §9 DQ1-DQ3). Records whose "
                "person is not in mhs001_patients count as missing."
            ),
            numerator=_status(*statuses),
            improvement=improvement,
            **common,
        )
        for metric_id, title, statuses, improvement in parts
    ]


def _population_rate(
    metric_id, title, description, table, numerator, count, *, repeat, date_column=None
):
    """A crude rate and its age-standardised twin (`<id>.standardised`)."""
    common = {
        "tables": (table,),
        "denominator": "population",
        "count": count,
        "numerator": numerator,
        "date_column": date_column,
        "unit": PER_100K_YEAR,
        "multiplier": 100_000,
        "breakdowns": PEOPLE_GROUPS,
        "comparison_groups": BOTH,
        "improvement": "neutral" if metric_id.startswith("ACC1") else "decrease",
        "repeat_events": repeat,
    }
    crude = MetricDefinition(
        id=metric_id, title=title, description=description, statistic="rate", **common
    )
    standardised = MetricDefinition(
        id=f"{metric_id}.standardised",
        title=f"{title}, age-standardised (ESP2013)",
        description=f"{description} Directly age-standardised to ESP2013 collapsed into the "
        "extract's age bands (docs/metrics.md).",
        statistic="dsr",
        **common,
    )
    return [crude, standardised]


def _access_and_mha() -> list[MetricDefinition]:
    detention = (Condition("legal_status_code", "in", DETENTION_LEGAL_STATUSES),)
    metrics = []
    metrics += _population_rate(
        "ACC1.referrals",
        "Referral rate",
        "Referrals received in the period per 100,000 residents of the group per year (ACC1).",
        "mhs101_referrals",
        (),
        "rows",
        repeat=True,
    )
    metrics += _population_rate(
        "ACC1.people",
        "People referred",
        "Distinct people with a referral received in the period per 100,000 residents (ACC1).",
        "mhs101_referrals",
        (),
        "people",
        repeat=False,
    )
    metrics.append(
        MetricDefinition(
            id="ACC2",
            title="Referrals from police or criminal-justice routes",
            description="Referrals whose source is a justice-system route (E1-E6) as a share of "
            "all referrals received in the period (ACC2).",
            tables=("mhs101_referrals",),
            statistic="proportion",
            denominator="records",
            numerator=(Condition("source_of_referral", "in", CRIMINAL_JUSTICE_REFERRAL_SOURCES),),
            unit=PERCENT,
            multiplier=100,
            breakdowns=EVERYWHERE,
            comparison_groups=BOTH,
            improvement="decrease",
        )
    )
    metrics += _population_rate(
        "MHA1.people",
        "People detained under the Mental Health Act",
        "Distinct people with a detention (a legal status that holds a person in hospital) "
        "starting in the period, per 100,000 residents per year (MHA1 a).",
        "mhs401_mha_episodes",
        detention,
        "people",
        repeat=False,
    )
    metrics += _population_rate(
        "MHA1.episodes",
        "Mental Health Act detentions",
        "Detention episodes starting in the period per 100,000 residents per year (MHA1 b); "
        "ratios use the repeat-events adjustment.",
        "mhs401_mha_episodes",
        detention,
        "rows",
        repeat=True,
    )
    metrics += _population_rate(
        "MHA2.ctos",
        "Community treatment orders",
        "Community treatment orders starting in the period per 100,000 residents per year (MHA2).",
        "mhs404_cto",
        (),
        "rows",
        repeat=True,
    )
    metrics.append(
        MetricDefinition(
            id="MHA2.people",
            title="People on a community treatment order",
            description="Distinct people on a community treatment order at any time in the "
            "period (start to end, or still open), per 100,000 residents per year (MHA2).",
            tables=("mhs404_cto",),
            statistic="rate",
            denominator="population",
            count="people",
            overlap=("start_date", "end_date"),
            unit=PER_100K_YEAR,
            multiplier=100_000,
            breakdowns=PEOPLE_GROUPS,
            comparison_groups=BOTH,
            improvement="decrease",
        )
    )
    metrics += _population_rate(
        "MHA3",
        "Section 136 uses",
        "Uses of section 136 starting in the period per 100,000 residents per year (MHA3).",
        "mhs401_mha_episodes",
        (Condition("legal_status_code", "eq", SECTION_136),),
        "rows",
        repeat=True,
    )
    return metrics


def _restrictive_interventions() -> list[MetricDefinition]:
    metrics = []
    for group, codes in RESTRICTIVE_INTERVENTION_GROUPS.items():
        label = _RI_LABELS[group]
        numerator = (Condition("intervention_type", "in", codes),)
        metrics.append(
            MetricDefinition(
                id=f"RI1.{group}",
                title=f"Restrictive interventions per 1,000 occupied bed days: {label}",
                description=f"Interventions of type {label} in the period per 1,000 occupied "
                "bed days of the group's inpatients in the period (RI1).",
                tables=("mhs505_restrictive_interventions",),
                statistic="rate",
                denominator="bed_days",
                numerator=numerator,
                unit="per 1,000 occupied bed days",
                multiplier=1_000,
                breakdowns=EVERYWHERE,
                comparison_groups=BOTH,
                improvement="decrease",
                repeat_events=True,
            )
        )
        metrics.append(
            MetricDefinition(
                id=f"RI2.{group}",
                title=f"People subject to {label} per 1,000 inpatients",
                description=f"Distinct inpatients subject to at least one {label} in the period "
                "per 1,000 distinct inpatients (people with a spell overlapping the period) "
                "(RI2).",
                tables=("mhs505_restrictive_interventions",),
                statistic="proportion",
                denominator="inpatients",
                count="people",
                numerator=numerator,
                unit="per 1,000 inpatients",
                multiplier=1_000,
                breakdowns=EVERYWHERE,
                comparison_groups=BOTH,
                improvement="decrease",
            )
        )
    return metrics


def _length_of_stay() -> list[MetricDefinition]:
    common = {
        "tables": ("mhs501_hospital_spells",),
        "denominator": "records",
        "date_column": "discharge_date",
        "scope": (Condition("discharge_date", "not_null"),),
        "value_column": "length_of_stay",
        "unit": "days",
        "breakdowns": EVERYWHERE,
    }
    return [
        MetricDefinition(
            id="LOS1.mean",
            title="Mean length of stay",
            description="Mean days from admission to discharge of spells completed in the "
            "period (LOS1); numerator: their bed days, denominator: completed spells.",
            statistic="mean",
            **common,
        ),
        MetricDefinition(
            id="LOS1.median",
            title="Median length of stay",
            description="Median days from admission to discharge of spells completed in the "
            "period (LOS1).",
            statistic="median",
            **common,
        ),
    ]


def _outcomes() -> list[MetricDefinition]:
    common = {
        "tables": ("mhs606_outcome_measures",),
        "statistic": "proportion",
        "denominator": "records",
        "numerator": (Condition("reliable_improvement", "eq", True),),
        "unit": PERCENT,
        "multiplier": 100,
        "breakdowns": EVERYWHERE,
        "comparison_groups": BOTH,
        "improvement": "increase",
    }
    metrics = [
        MetricDefinition(
            id="OUT1",
            title="Reliable improvement on an outcome measure",
            description="Paired outcome episodes closed in the period whose change is a reliable "
            "improvement (at least the measure's reliable-change threshold in its better "
            "direction), as a share of paired episodes closed (OUT1), all measures together.",
            **common,
        )
    ]
    for code, measure in OUTCOME_MEASURES.items():
        metrics.append(
            MetricDefinition(
                id=f"OUT1.{code}",
                title=f"Reliable improvement on {measure['label']}",
                description=f"As OUT1, for {measure['label']} only (reliable change "
                f"{measure['reliable_change']:g} points, {measure['better']} is better).",
                scope=(Condition("measure_code", "eq", code),),
                **common,
            )
        )
    return metrics


def _experience() -> list[MetricDefinition]:
    answered = Condition("answer_category", "in", {"positive", "neutral", "negative"})
    return [
        MetricDefinition(
            id="EXP1",
            title="Positive patient and carer experience",
            description="Answers in the positive categories as a share of answers to the "
            "question, non-answers excluded (EXP1). Read from the feedback module's "
            "feedback_responses table; skipped when a dataset has none.",
            tables=("feedback_responses",),
            statistic="proportion",
            denominator="records",
            scope=(answered,),
            numerator=(Condition("answer_category", "eq", "positive"),),
            unit=PERCENT,
            multiplier=100,
            breakdowns=frozenset({"broad", "detailed", "organisation", "service"}),
            comparison_groups=BOTH,
            improvement="increase",
        ),
        MetricDefinition(
            id="EXP2",
            title="Feedback reach",
            description="Feedback answers from people in the group per answer given, by group "
            "(EXP2): the shares of items with a known ethnicity are compared across groups "
            "through the ratios to White and White British. The caseload-share view needs "
            "the feedback module's caseload figures; skipped when a dataset has no feedback.",
            tables=("feedback_responses",),
            statistic="proportion",
            denominator="records",
            numerator=(Condition("answer_category", "not_in", {"no_answer"}),),
            unit=PERCENT,
            multiplier=100,
            breakdowns=frozenset({"broad", "detailed", "organisation", "service"}),
            comparison_groups=BOTH,
            improvement="neutral",
        ),
    ]


def _catalogue() -> MappingProxyType:
    metrics = [
        *_data_quality(),
        *_access_and_mha(),
        *_restrictive_interventions(),
        *_length_of_stay(),
        *_outcomes(),
        *_experience(),
    ]
    ids = [metric.id for metric in metrics]
    repeated = sorted({metric_id for metric_id in ids if ids.count(metric_id) > 1})
    if repeated:
        raise RuntimeError(f"metric ids must be unique; repeated: {', '.join(repeated)}")
    return MappingProxyType({metric.id: metric for metric in metrics})


#: Every catalogue metric by id, in catalogue order.
CATALOGUE = _catalogue()


def is_proportion(metric_id: str) -> bool:
    """Whether a catalogue metric is a part of a whole (records, referrals, inpatients): its
    rest (whole − part) is a count too, which public outputs hide when small."""
    definition = CATALOGUE.get(metric_id)
    return definition is not None and definition.statistic == "proportion"
