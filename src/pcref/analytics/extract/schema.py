"""The extract schema: one table per file, columns named after the MHSDS tables they come from.

This module is the single source of truth for the extract: the validator, the loader, the
synthetic generator, the metric catalogue and docs/data-specification.md all read it.
Person identifiers are pseudonymised by the trust before extraction: `person_id` is an
opaque key, never an NHS number, and no table carries names, addresses or dates of birth.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from types import MappingProxyType

from pcref.analytics.ethnicity import CENSUS_2021_GROUPS

SCHEMA_VERSION = "pcref-extract-v1"

# Column types: how a value is parsed and checked.
STRING, INTEGER, NUMBER, DATE = "string", "integer", "number", "date"
COLUMN_TYPES = (STRING, INTEGER, NUMBER, DATE)

SEX_CODES = MappingProxyType(  # MHSDS PERSON STATED GENDER CODE / Census sex
    {"1": "Male", "2": "Female", "9": "Indeterminate", "X": "Not known"}
)

# MHSDS SOURCE OF REFERRAL FOR MENTAL HEALTH (subset in use), with the justice-system routes.
SOURCE_OF_REFERRAL = MappingProxyType(
    {
        "A1": "General medical practitioner",
        "A2": "Health visitor",
        "A3": "Other primary health care",
        "B1": "Self",
        "B2": "Carer",
        "C1": "Local authority social services",
        "D1": "Education service",
        "E1": "Justice system: police",
        "E2": "Justice system: courts",
        "E3": "Justice system: probation service",
        "E4": "Justice system: prison",
        "E5": "Justice system: court liaison and diversion service",
        "E6": "Justice system: youth offending team",
        "F1": "Child health: school nurse",
        "G1": "Independent or voluntary sector",
        "H1": "Accident and emergency department",
        "H2": "Other secondary care specialty",
        "I1": "Temporary transfer from another mental health NHS trust",
        "M1": "Asylum services",
        "N3": "Improving access to psychological therapies service",
        "P1": "Internal referral",
        "Q1": "Mental health drop-in service",
    }
)
CRIMINAL_JUSTICE_REFERRAL_SOURCES = frozenset({"E1", "E2", "E3", "E4", "E5", "E6"})

# MHSDS MENTAL HEALTH ACT LEGAL STATUS CLASSIFICATION CODE (the codes a trust records).
LEGAL_STATUS = MappingProxyType(
    {
        "01": "Informal",
        "02": "Section 2",
        "03": "Section 3",
        "04": "Section 4",
        "05": "Section 5(2)",
        "06": "Section 5(4)",
        "07": "Section 35",
        "08": "Section 36",
        "09": "Section 37 with section 41 restrictions",
        "10": "Section 37",
        "12": "Section 38",
        "15": "Section 47 with section 49 restrictions",
        "16": "Section 47",
        "17": "Section 48 with section 49 restrictions",
        "18": "Section 48",
        "19": "Section 135",
        "20": "Section 136",
        "31": "Section 45A",
        "98": "Not applicable",
        "99": "Not known",
    }
)
# A detention: every status that holds a person in hospital (not informal, not a place-of-safety
# order, not the not-applicable/not-known codes). Section 136 is counted separately (MHA3).
DETENTION_LEGAL_STATUSES = frozenset(LEGAL_STATUS) - {"01", "19", "20", "98", "99"}
SECTION_136 = "20"

# MHSDS RESTRICTIVE INTERVENTION TYPE (v5), grouped as the PCREF metrics need.
RESTRICTIVE_INTERVENTION_TYPE = MappingProxyType(
    {
        "01": "Physical restraint: prone",
        "02": "Physical restraint: standing",
        "03": "Physical restraint: restrictive escort",
        "04": "Chemical restraint: injection (rapid tranquillisation)",
        "05": "Mechanical restraint",
        "06": "Seclusion",
        "07": "Segregation",
        "08": "Physical restraint: supine",
        "09": "Physical restraint: side",
        "10": "Physical restraint: seated",
        "11": "Physical restraint: kneeling",
        "12": "Chemical restraint: oral",
        "13": "Chemical restraint: other",
    }
)
RESTRICTIVE_INTERVENTION_GROUPS = MappingProxyType(
    {
        "physical_restraint": frozenset({"01", "02", "03", "08", "09", "10", "11"}),
        "prone_restraint": frozenset({"01"}),
        "seclusion": frozenset({"06"}),
        "rapid_tranquillisation": frozenset({"04"}),
        "any": frozenset(RESTRICTIVE_INTERVENTION_TYPE),
    }
)

# Outcome measures with their reliable-change threshold (points) and better direction.
# Thresholds are local configuration (pcref.md §9 OUT1): these are the trust's defaults.
OUTCOME_MEASURES = MappingProxyType(
    {
        "HONOS": {"label": "HoNOS", "reliable_change": 8.0, "better": "lower"},
        "CORE10": {"label": "CORE-10", "reliable_change": 6.0, "better": "lower"},
        "REQOL10": {"label": "ReQoL-10", "reliable_change": 5.0, "better": "higher"},
        "SDQ": {"label": "SDQ total difficulties", "reliable_change": 8.0, "better": "lower"},
    }
)

AGE_BANDS = (  # population and metric age bands (NHS England MHA statistics' bands plus children)
    "0-17",
    "18-34",
    "35-49",
    "50-64",
    "65+",
)
#: Who gave feedback (the feedback module's respondent types, grouped).
FEEDBACK_RESPONDENT_TYPES = {
    "patient": "Patient or service user",
    "carer": "Carer",
    "family_friend": "Family member or friend",
    "other": "Community member, or someone writing for another person",
}
#: An answer's category: positive (very good, good), neutral (neither), negative (poor, very
#: poor) or no_answer (don't know, or not answered).
FEEDBACK_ANSWER_CATEGORIES = {
    "positive": "Very good or good",
    "neutral": "Neither good nor poor",
    "negative": "Poor or very poor",
    "no_answer": "Don't know, or not answered",
}
CENSUS_2021_CODES = frozenset(str(group.census2021_code) for group in CENSUS_2021_GROUPS)


# An ONS (GSS) geography code: a letter for the nation, then 8 digits, like E06000016.
GSS_CODE = "[EWSNL][0-9]{8}"


@dataclass(frozen=True)
class Column:
    """One column of an extract table."""

    name: str
    type: str
    description: str
    mhsds: str = ""  # the MHSDS data item it follows
    required: bool = True  # the column must be present
    nullable: bool = False  # cells may be blank
    codes: frozenset[str] | None = None  # allowed values, if a code list applies
    normalise_ethnicity: bool = False  # raw ethnicity: kept as given, normalised, quality recorded
    pattern: str | None = None  # a regular expression every value matches, if a format applies
    pattern_example: str = ""  # a value that matches it, for the report's message

    def __post_init__(self):
        if self.type not in COLUMN_TYPES:
            raise ValueError(
                f"column {self.name!r}: type must be one of {COLUMN_TYPES}; got {self.type!r}"
            )


@dataclass(frozen=True)
class ForeignKey:
    column: str
    table: str
    target_column: str


@dataclass(frozen=True)
class Table:
    """One extract table: the file `<name>.csv` or `<name>.parquet`."""

    name: str
    mhsds_table: str
    description: str
    columns: tuple[Column, ...]
    primary_key: tuple[str, ...]
    foreign_keys: tuple[ForeignKey, ...] = ()
    required: bool = True  # the extract must include this table
    date_columns_in_period: tuple[str, ...] = field(default=())

    def column(self, name: str) -> Column:
        for column in self.columns:
            if column.name == name:
                return column
        raise KeyError(f"table {self.name!r} has no column {name!r}")

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(column.name for column in self.columns)


def _codes(mapping) -> frozenset[str]:
    return frozenset(mapping)


PERSON_ID = Column(
    "person_id",
    STRING,
    "Pseudonymised person key, the same in every table",
    "LocalPatientId (pseudonymised)",
)
ORGANISATION = Column("organisation_code", STRING, "ODS code of the provider", "OrgIDProv")
TEAM = Column(
    "service_team_code",
    STRING,
    "Local code of the service or team",
    "ServTeamTypeRefToMH / local team id",
)

TABLES: tuple[Table, ...] = (
    Table(
        name="mhs001_patients",
        mhsds_table="MHS001MPI",
        description="One row per person: ethnicity as recorded, sex, year of birth and area.",
        columns=(
            PERSON_ID,
            ORGANISATION,
            Column(
                "ethnic_category",
                STRING,
                "Ethnic category as recorded, any local sub-code (normalised on load; Z and 99 kept apart)",
                "EthnicCategory",
                nullable=True,
                normalise_ethnicity=True,
            ),
            Column("sex", STRING, "Stated sex or gender code", "Gender", codes=_codes(SEX_CODES)),
            Column(
                "year_of_birth",
                INTEGER,
                "Year of birth (no day or month)",
                "derived from PersonBirthDate",
            ),
            Column(
                "area_code",
                STRING,
                "Local authority district (LTLA) of residence, ONS code",
                "LADistrictAuth",
            ),
        ),
        primary_key=("person_id",),
    ),
    Table(
        name="mhs101_referrals",
        mhsds_table="MHS101Referral",
        description="One row per referral to a service or team.",
        columns=(
            Column("referral_id", STRING, "Referral key", "ServiceRequestId"),
            PERSON_ID,
            ORGANISATION,
            TEAM,
            Column(
                "referral_received_date",
                DATE,
                "Date the referral was received",
                "ReferralRequestReceivedDate",
            ),
            Column(
                "source_of_referral",
                STRING,
                "Where the referral came from (E1–E6: justice system)",
                "SourceOfReferralMH",
                codes=_codes(SOURCE_OF_REFERRAL),
            ),
            Column(
                "discharge_date",
                DATE,
                "Date the referral was closed",
                "ServDischDate",
                nullable=True,
            ),
        ),
        primary_key=("referral_id",),
        foreign_keys=(ForeignKey("person_id", "mhs001_patients", "person_id"),),
    ),
    Table(
        name="mhs201_care_contacts",
        mhsds_table="MHS201CareContact",
        description="One row per care contact.",
        columns=(
            Column("contact_id", STRING, "Care contact key", "CareContactId"),
            Column(
                "referral_id", STRING, "The referral the contact belongs to", "ServiceRequestId"
            ),
            PERSON_ID,
            TEAM,
            Column("contact_date", DATE, "Date of the contact", "CareContDate"),
            Column(
                "attended",
                STRING,
                "Attended or did not attend: 5 attended on time, 6 late but seen, 7 late not seen, 2/3/4 not attended",
                "AttendOrDNACode",
                codes=frozenset({"2", "3", "4", "5", "6", "7"}),
            ),
        ),
        primary_key=("contact_id",),
        foreign_keys=(
            ForeignKey("referral_id", "mhs101_referrals", "referral_id"),
            ForeignKey("person_id", "mhs001_patients", "person_id"),
        ),
    ),
    Table(
        name="mhs501_hospital_spells",
        mhsds_table="MHS501HospProvSpell / MHS502WardStay",
        description="One row per hospital spell on a ward, for occupied bed days and length of stay.",
        columns=(
            Column("spell_id", STRING, "Hospital spell key", "HospProvSpellID"),
            PERSON_ID,
            ORGANISATION,
            Column("ward_code", STRING, "Local code of the ward (a service team)", "WardCode"),
            Column("admission_date", DATE, "Start of the spell", "StartDateHospProvSpell"),
            Column(
                "discharge_date",
                DATE,
                "End of the spell; blank while the person is still in hospital",
                "DischDateHospProvSpell",
                nullable=True,
            ),
        ),
        primary_key=("spell_id",),
        foreign_keys=(ForeignKey("person_id", "mhs001_patients", "person_id"),),
    ),
    Table(
        name="mhs401_mha_episodes",
        mhsds_table="MHS401MHActPeriod",
        description="One row per Mental Health Act legal status episode.",
        columns=(
            Column("mha_episode_id", STRING, "Legal status episode key", "UniqMHActEpisodeID"),
            PERSON_ID,
            ORGANISATION,
            Column(
                "legal_status_code",
                STRING,
                "Legal status (section)",
                "LegalStatusCode",
                codes=_codes(LEGAL_STATUS),
            ),
            Column(
                "start_date", DATE, "Start of the legal status", "StartDateMHActLegalStatusClass"
            ),
            Column(
                "end_date",
                DATE,
                "End of the legal status; blank if it continues",
                "EndDateMHActLegalStatusClass",
                nullable=True,
            ),
        ),
        primary_key=("mha_episode_id",),
        foreign_keys=(ForeignKey("person_id", "mhs001_patients", "person_id"),),
    ),
    Table(
        name="mhs404_cto",
        mhsds_table="MHS404CommTreatOrder",
        description="One row per community treatment order.",
        columns=(
            Column("cto_id", STRING, "Community treatment order key", "CommTreatOrderID"),
            PERSON_ID,
            ORGANISATION,
            Column("start_date", DATE, "Start of the order", "StartDateCommTreatOrd"),
            Column(
                "end_date",
                DATE,
                "End of the order; blank if it continues",
                "EndDateCommTreatOrd",
                nullable=True,
            ),
        ),
        primary_key=("cto_id",),
        foreign_keys=(ForeignKey("person_id", "mhs001_patients", "person_id"),),
    ),
    Table(
        name="mhs505_restrictive_interventions",
        mhsds_table="MHS505RestrictiveInterventInc / MHS515RestrictiveInterventType",
        description="One row per restrictive intervention during a hospital spell.",
        columns=(
            Column(
                "intervention_id", STRING, "Restrictive intervention key", "RestrictiveIntTypeID"
            ),
            PERSON_ID,
            Column("spell_id", STRING, "The hospital spell it happened in", "HospProvSpellID"),
            Column("ward_code", STRING, "Ward where it happened", "WardCode"),
            Column("intervention_date", DATE, "Date it started", "StartDateRestrictiveIntType"),
            Column(
                "intervention_type",
                STRING,
                "Type of intervention",
                "RestrictiveIntType",
                codes=_codes(RESTRICTIVE_INTERVENTION_TYPE),
            ),
        ),
        primary_key=("intervention_id",),
        foreign_keys=(
            ForeignKey("person_id", "mhs001_patients", "person_id"),
            ForeignKey("spell_id", "mhs501_hospital_spells", "spell_id"),
        ),
    ),
    Table(
        name="mhs606_outcome_measures",
        mhsds_table="MHS606CodedScoreAssessmentRefer (paired)",
        description="One row per closed episode of an outcome measure with its first and last scores.",
        columns=(
            Column("outcome_episode_id", STRING, "Key of the paired assessment", "local"),
            PERSON_ID,
            Column("referral_id", STRING, "The referral it belongs to", "ServiceRequestId"),
            TEAM,
            Column(
                "measure_code",
                STRING,
                "The outcome measure",
                "CodedAssToolType",
                codes=_codes(OUTCOME_MEASURES),
            ),
            Column("first_score", NUMBER, "Score at the first assessment", "PersScore"),
            Column("first_date", DATE, "Date of the first assessment", "AssToolCompDate"),
            Column("last_score", NUMBER, "Score at the last assessment", "PersScore"),
            Column("last_date", DATE, "Date of the last assessment", "AssToolCompDate"),
        ),
        primary_key=("outcome_episode_id",),
        foreign_keys=(
            ForeignKey("person_id", "mhs001_patients", "person_id"),
            ForeignKey("referral_id", "mhs101_referrals", "referral_id"),
        ),
        required=False,
    ),
    # From PCREF Hub's own feedback module (`pcref feedback responses`), not from MHSDS:
    # ethnicity is what the person said of themselves, so it is on the row, not joined.
    Table(
        name="feedback_responses",
        mhsds_table="PCREF Hub feedback module",
        description="One row per answer to a feedback question, with the respondent's own ethnicity.",
        columns=(
            Column("response_id", STRING, "Answer key (the feedback reference and question)"),
            ORGANISATION,
            Column(
                "service_team_code",
                STRING,
                "Local code of the service or team the feedback is about",
                nullable=True,
            ),
            Column("response_date", DATE, "Date the feedback was given"),
            Column(
                "respondent_type",
                STRING,
                "Who answered",
                codes=_codes(FEEDBACK_RESPONDENT_TYPES),
            ),
            Column("topic", STRING, "Experience topic, e.g. overall"),
            Column("question_code", STRING, "The question answered, e.g. overall_experience"),
            Column(
                "answer_category",
                STRING,
                "The answer's category",
                codes=_codes(FEEDBACK_ANSWER_CATEGORIES),
            ),
            Column(
                "ethnic_category",
                STRING,
                "Self-identified NHS ethnic category code; blank when not answered",
                nullable=True,
                normalise_ethnicity=True,
            ),
        ),
        primary_key=("response_id",),
        required=False,
    ),
    Table(
        name="population",
        mhsds_table="Census 2021 TS021 (with age and sex)",
        description="Resident population by area, Census 2021 ethnic group, sex and age band: the denominators.",
        columns=(
            Column(
                "area_code",
                STRING,
                "Local authority district (LTLA), ONS code",
                "geography code",
                pattern=GSS_CODE,
                pattern_example="E06000016",
            ),
            Column(
                "census2021_ethnic_group",
                STRING,
                "Census 2021 ethnic group code, 1–19",
                "Ethnic group (20 categories)",
                codes=CENSUS_2021_CODES,
            ),
            Column("sex", STRING, "1 male, 2 female", "Sex", codes=frozenset({"1", "2"})),
            Column("age_band", STRING, "Age band", "Age", codes=frozenset(AGE_BANDS)),
            Column("population", INTEGER, "Number of residents", "Observation"),
        ),
        primary_key=("area_code", "census2021_ethnic_group", "sex", "age_band"),
    ),
)

TABLES_BY_NAME = MappingProxyType({table.name: table for table in TABLES})
#: The tables that come from the trust's own systems: every table but the Hub's feedback.
EXTRACT_TABLES: tuple[Table, ...] = tuple(t for t in TABLES if t.name != "feedback_responses")


def table(name: str) -> Table:
    try:
        return TABLES_BY_NAME[name]
    except KeyError:
        raise KeyError(f"no extract table {name!r}; tables: {', '.join(TABLES_BY_NAME)}") from None


def age_band(age: int) -> str:
    """The age band of an age in whole years."""
    if age < 0:
        raise ValueError(f"age must be 0 or more; got {age}")
    if age < 18:
        return "0-17"
    if age < 35:
        return "18-34"
    if age < 50:
        return "35-49"
    if age < 65:
        return "50-64"
    return "65+"


# --- Validation and storage helpers (used by extract.validate and extract.load) ---------------

EARLIEST_DATE = date(1900, 1, 1)  # no date in an extract is earlier; none is after the extract date

# Pairs of date columns in one row: the second, when given, may not be before the first.
DATE_ORDER = MappingProxyType(
    {
        "mhs101_referrals": (("referral_received_date", "discharge_date"),),
        "mhs501_hospital_spells": (("admission_date", "discharge_date"),),
        "mhs401_mha_episodes": (("start_date", "end_date"),),
        "mhs404_cto": (("start_date", "end_date"),),
        "mhs606_outcome_measures": (("first_date", "last_date"),),
    }
)

# The date that places each event in a period; the extract period is their minimum and maximum.
EVENT_DATE_COLUMNS = MappingProxyType(
    {
        "mhs101_referrals": "referral_received_date",
        "mhs201_care_contacts": "contact_date",
        "mhs501_hospital_spells": "admission_date",
        "mhs401_mha_episodes": "start_date",
        "mhs404_cto": "start_date",
        "mhs505_restrictive_interventions": "intervention_date",
        "mhs606_outcome_measures": "last_date",
        "feedback_responses": "response_date",
    }
)

# Integer columns holding a calendar year: from EARLIEST_DATE's year to the extract date's year.
YEAR_COLUMNS = MappingProxyType({"mhs001_patients": ("year_of_birth",)})

# Number columns that may not be negative.
NON_NEGATIVE_COLUMNS = MappingProxyType({"population": ("population",)})

# Column names that identify a person. An extract holding one is refused, in any table, whether
# or not the column is in the schema (docs/data-specification.md, "Pseudonymisation").
IDENTIFYING_COLUMN_NAMES = frozenset(
    {
        "name",
        "names",
        "forename",
        "forenames",
        "surname",
        "first_name",
        "last_name",
        "full_name",
        "given_name",
        "family_name",
        "middle_name",
        "patient_name",
        "person_name",
        "address",
        "postcode",
        "post_code",
        "date_of_birth",
        "birth_date",
        "dob",
        "nhs_number",
        "nhs_no",
    }
)
# Words that identify a person wherever they appear in a column name (e.g. home_address).
_IDENTIFYING_WORDS = frozenset({"forename", "surname", "address", "postcode", "dob"})


def looks_identifying(column_name: str) -> bool:
    """True when a column name says it holds a name, address, postcode, birth date or NHS number.

    Case, spaces and punctuation are ignored ("NHS Number", "nhs-number" and "NHSNumber" all
    match); a word such as "address" or "postcode" matches anywhere in the name.

    >>> [looks_identifying(name) for name in ("Surname", "NHS Number", "home_address")]
    [True, True, True]
    >>> [looks_identifying(name) for name in ("person_id", "ward_code", "year_of_birth")]
    [False, False, False]
    """
    words = re.findall(r"[a-z0-9]+", re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", column_name).lower())
    joined = "_".join(words)
    compact = "".join(words)
    return (
        joined in IDENTIFYING_COLUMN_NAMES
        or compact in {name.replace("_", "") for name in IDENTIFYING_COLUMN_NAMES}
        or any(word in _IDENTIFYING_WORDS for word in words)
    )


# How each column type is stored in a dataset version's Parquet files (DuckDB type names).
STORAGE_TYPES = MappingProxyType(
    {STRING: "VARCHAR", INTEGER: "BIGINT", NUMBER: "DOUBLE", DATE: "DATE"}
)

# Columns a dataset version adds after a raw ethnicity column (`normalise_ethnicity=True`); the
# raw column is kept exactly as given.
ETHNICITY_STATUS_COLUMN = "ethnicity_status"
ETHNICITY_MAPPING_VERSION_COLUMN = "ethnicity_mapping_version"


def ethnicity_code_column(column_name: str) -> str:
    """The name of the national-code column derived from a raw ethnicity column.

    >>> ethnicity_code_column("ethnic_category")
    'ethnic_category_code'
    """
    return f"{column_name}_code"


def stored_columns(table: Table) -> tuple[tuple[str, str], ...]:
    """(name, DuckDB type) of every column in the table's Parquet file in a dataset version.

    The schema's columns in order, each ethnicity column followed by its national code
    (A-S, "Z", "99" or null), status (valid, not_stated, not_known, missing, invalid) and the
    mapping version that derived them. Dates are DATE (Parquet date32), codes are strings.

    >>> [name for name, _ in stored_columns(TABLES_BY_NAME["mhs001_patients"])][:5]
    ['person_id', 'organisation_code', 'ethnic_category', 'ethnic_category_code', 'ethnicity_status']
    """
    stored: list[tuple[str, str]] = []
    for column in table.columns:
        stored.append((column.name, STORAGE_TYPES[column.type]))
        if column.normalise_ethnicity:
            stored.append((ethnicity_code_column(column.name), "VARCHAR"))
            stored.append((ETHNICITY_STATUS_COLUMN, "VARCHAR"))
            stored.append((ETHNICITY_MAPPING_VERSION_COLUMN, "VARCHAR"))
    return tuple(stored)
