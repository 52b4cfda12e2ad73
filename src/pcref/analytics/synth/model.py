"""The simulated trust: its catchment population, services, code choices and rate factors.

Every number here is a plausible, documented choice, not a published figure (see
docs/synthetic-data.md). Code lists come from `extract.schema` and are checked against it once,
at import.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from pcref.analytics.ethnicity import CENSUS_2021_GROUPS
from pcref.analytics.extract.schema import (
    AGE_BANDS,
    CRIMINAL_JUSTICE_REFERRAL_SOURCES,
    DETENTION_LEGAL_STATUSES,
    LEGAL_STATUS,
    OUTCOME_MEASURES,
    RESTRICTIVE_INTERVENTION_TYPE,
    SOURCE_OF_REFERRAL,
)

GENERATOR_VERSION = "pcref-synth-v1"
ORGANISATION_CODE = "RT5"
FILE_FORMATS = ("csv", "parquet")
MIN_PEOPLE = 100  # fewer leave most groups and teams empty
MAX_PEOPLE = 99_999_999  # person ids have 8 digits
BROAD_GROUPS = ("White", "Mixed", "Asian", "Black", "Other")
WHITE_BRITISH = "White British"  # NHS code A, Census 2021 group 13
TRUTH_GROUPS = (*BROAD_GROUPS, WHITE_BRITISH)
COMPARED_GROUPS = ("Mixed", "Asian", "Black", "Other")  # the groups a ratio can be set for
POPULATION_PER_PERSON = 5.5  # residents per person in contact: 200,000 people ≈ 1.1M residents

# --- The catchment ------------------------------------------------------------------------------

# LTLA code, name, Census 2021 usual residents (rounded), diversity: the weight of the city mix
# against the county mix below (Leicester 1; Oadby and Wigston, with a large Indian community, 0.55).
AREAS = (
    ("E06000016", "Leicester", 368_600, 1.0),
    ("E06000017", "Rutland", 41_000, 0.03),
    ("E07000129", "Blaby", 102_900, 0.17),
    ("E07000130", "Charnwood", 183_900, 0.20),
    ("E07000131", "Harborough", 97_600, 0.08),
    ("E07000132", "Hinckley and Bosworth", 113_700, 0.05),
    ("E07000133", "Melton", 51_800, 0.03),
    ("E07000134", "North West Leicestershire", 104_700, 0.04),
    ("E07000135", "Oadby and Wigston", 57_700, 0.55),
)
CITY_AREA = "E06000016"

# Shares by Census 2021 code 1-19 (Leicester-like city; mostly White British county). Not census
# counts: a plausible mix. City: White British 41%, Asian 35% (Indian 27%), Black 8% (African
# 6.4%, Somali people among them), Mixed 4%, Other 5%.
CITY_MIX = {
    1: 1.5, 2: 0.8, 3: 27.0, 4: 2.5, 5: 3.5,  # Bangladeshi, Chinese, Indian, Pakistani, Other Asian
    6: 6.4, 7: 1.0, 8: 0.6,  # African, Caribbean, Other Black
    9: 1.3, 10: 0.6, 11: 1.3, 12: 0.9,  # Mixed
    13: 41.0, 14: 0.6, 15: 0.1, 16: 0.4, 17: 5.4,  # White
    18: 1.5, 19: 3.6,  # Arab, any other
}  # fmt: skip
COUNTY_MIX = {
    1: 0.1, 2: 0.4, 3: 2.0, 4: 0.2, 5: 0.4,
    6: 0.3, 7: 0.2, 8: 0.1,
    9: 0.5, 10: 0.2, 11: 0.5, 12: 0.4,
    13: 90.4, 14: 0.5, 15: 0.1, 16: 0.1, 17: 3.0,
    18: 0.2, 19: 0.4,
}  # fmt: skip
# Age-band shares (0-17, 18-34, 35-49, 50-64, 65+) by census group: minority groups are younger.
AGE_PROFILE = {
    1: (0.33, 0.30, 0.20, 0.11, 0.06), 2: (0.15, 0.50, 0.18, 0.10, 0.07),
    3: (0.22, 0.25, 0.23, 0.17, 0.13), 4: (0.33, 0.30, 0.20, 0.11, 0.06),
    5: (0.27, 0.33, 0.23, 0.11, 0.06), 6: (0.35, 0.28, 0.24, 0.09, 0.04),
    7: (0.18, 0.22, 0.20, 0.24, 0.16), 8: (0.38, 0.30, 0.18, 0.10, 0.04),
    9: (0.45, 0.30, 0.13, 0.08, 0.04), 10: (0.45, 0.30, 0.13, 0.08, 0.04),
    11: (0.45, 0.30, 0.13, 0.08, 0.04), 12: (0.45, 0.30, 0.13, 0.08, 0.04),
    14: (0.08, 0.12, 0.18, 0.25, 0.37), 15: (0.35, 0.30, 0.18, 0.12, 0.05),
    16: (0.35, 0.30, 0.18, 0.12, 0.05), 17: (0.20, 0.35, 0.27, 0.12, 0.06),
    18: (0.33, 0.32, 0.22, 0.09, 0.04), 19: (0.27, 0.33, 0.24, 0.11, 0.05),
}  # fmt: skip
WHITE_BRITISH_AGE = {
    "city": (0.20, 0.27, 0.17, 0.18, 0.18),
    "county": (0.19, 0.18, 0.18, 0.22, 0.23),
}
MALE_SHARE = (0.512, 0.50, 0.49, 0.49, 0.45)  # by age band
AGE_RANGES = ((0, 17), (18, 34), (35, 49), (50, 64), (65, 95))  # whole years, inclusive

# --- Services -----------------------------------------------------------------------------------

# Service teams of the trust: code, kind, name. Ward codes are service teams too.
SERVICE_TEAMS = (
    ("CRHT", "crisis", "Crisis Resolution and Home Treatment Team"),
    ("CMHT-CE", "community_team", "City East Community Mental Health Team"),
    ("CMHT-CW", "community_team", "City West Community Mental Health Team"),
    ("CMHT-CO", "community_team", "County Community Mental Health Team"),
    ("CAMHS", "camhs", "Children and Young People's Mental Health Service"),
    ("LD-COM", "learning_disability", "Learning Disability Community Team"),
    ("TT", "talking_therapies", "NHS Talking Therapies Leicestershire"),
    ("PERI", "perinatal", "Perinatal Mental Health Service"),
    ("MHSOP", "older_people", "Mental Health Services for Older People Community Team"),
    ("ASHBY", "inpatient_ward", "Bradgate Mental Health Unit: Ashby Ward"),
    ("BELVOIR", "inpatient_ward", "Bradgate Mental Health Unit: Belvoir Ward"),
    ("ASTON", "inpatient_ward", "Bradgate Mental Health Unit: Aston Ward"),
    ("BOSWORTH", "inpatient_ward", "Bradgate Mental Health Unit: Bosworth Ward"),
    ("WATERMEAD", "inpatient_ward", "Bradgate Mental Health Unit: Watermead Ward"),
    ("KIRBY", "inpatient_ward", "Older people's ward: Kirby Ward"),
    ("BEACON", "inpatient_ward", "The Beacon Unit (young people's inpatient unit)"),
    ("HPC", "forensic", "Herschel Prins Low Secure Unit"),
)
COMMUNITY_TEAMS = tuple(code for code, kind, _ in SERVICE_TEAMS[:9])
WARDS = tuple(code for code, kind, _ in SERVICE_TEAMS[9:])
ACUTE_WARDS = ("ASHBY", "BELVOIR", "ASTON", "BOSWORTH", "WATERMEAD")

# First and later referrals: team by age band (CMHT means CMHT-CE/-CW in the city, -CO outside).
TEAM_BY_AGE = (
    {"CAMHS": 0.80, "LD-COM": 0.06, "CRHT": 0.04, "TT": 0.08, "PERI": 0.02},
    {"TT": 0.45, "CMHT": 0.25, "CRHT": 0.15, "PERI": 0.10, "LD-COM": 0.05},
    {"TT": 0.45, "CMHT": 0.30, "CRHT": 0.15, "PERI": 0.04, "LD-COM": 0.06},
    {"TT": 0.42, "CMHT": 0.33, "CRHT": 0.15, "LD-COM": 0.05, "MHSOP": 0.05},
    {"MHSOP": 0.60, "TT": 0.15, "CMHT": 0.10, "CRHT": 0.12, "LD-COM": 0.03},
)
# Referral length (median days, log-sd) and relative number of care contacts, by team.
REFERRAL_DAYS = {
    "CRHT": (21, 0.5), "CMHT-CE": (240, 0.7), "CMHT-CW": (240, 0.7), "CMHT-CO": (240, 0.7),
    "CAMHS": (200, 0.7), "LD-COM": (300, 0.7), "TT": (100, 0.6), "PERI": (200, 0.5),
    "MHSOP": (250, 0.7),
}  # fmt: skip
CONTACT_WEIGHT = {
    "CRHT": 1.0, "CMHT-CE": 1.3, "CMHT-CW": 1.3, "CMHT-CO": 1.3, "CAMHS": 1.0,
    "LD-COM": 0.8, "TT": 0.6, "PERI": 1.0, "MHSOP": 0.9,
}  # fmt: skip
EXTRA_REFERRALS = 0.25  # later referrals per person, Poisson mean, in the period after the first
ATTENDED = {"5": 0.80, "6": 0.03, "7": 0.01, "2": 0.05, "3": 0.08, "4": 0.03}
SOURCES_ADULT = {
    "A1": 0.45, "A3": 0.03, "B1": 0.10, "B2": 0.02, "C1": 0.04, "G1": 0.02, "H1": 0.10,
    "H2": 0.05, "I1": 0.01, "M1": 0.005, "N3": 0.03, "P1": 0.12, "Q1": 0.015,
}  # fmt: skip
SOURCES_CHILD = {
    "A1": 0.40, "A2": 0.03, "B2": 0.10, "C1": 0.08, "D1": 0.15, "F1": 0.08, "H1": 0.06,
    "H2": 0.04, "P1": 0.06,
}  # fmt: skip
JUSTICE_ADULT = {"E1": 0.45, "E2": 0.12, "E3": 0.13, "E4": 0.10, "E5": 0.20}
JUSTICE_CHILD = {"E6": 0.55, "E1": 0.30, "E5": 0.15}

# Mental Health Act: detention paths (legal status episodes in order) and their weights. "01"
# first means an informal stay ended by a holding power. Part III paths go to the secure unit.
DETENTION_PATHS = (
    (("02",), 0.36), (("02", "03"), 0.16), (("03",), 0.20), (("05",), 0.03),
    (("05", "02"), 0.04), (("05", "03"), 0.02), (("01", "05", "02"), 0.03),
    (("01", "05", "03"), 0.02), (("04", "02"), 0.02), (("06", "05", "02"), 0.01),
    (("07", "10"), 0.01), (("12", "10"), 0.005), (("10",), 0.03), (("09",), 0.025),
    (("16",), 0.005), (("15",), 0.005), (("18",), 0.003), (("17",), 0.002), (("31",), 0.002),
    (("08",), 0.003),
)  # fmt: skip
PART_III = frozenset({"07", "08", "09", "10", "12", "15", "16", "17", "18", "31"})
# Days a status lasts before the next one starts (uniform, inclusive); a last "02" or "05" lapses
# after these days too; every other last status lasts until discharge.
STATUS_DAYS = {
    "01": (1, 20),
    "02": (7, 28),
    "04": (0, 3),
    "05": (0, 3),
    "06": (0, 0),
    "07": (28, 84),
    "12": (28, 84),
}
LAPSING = frozenset({"02", "05"})
REPEAT_DETENTION = 0.12  # each of two possible further detentions in the period
GAP_DAYS = 3  # days at least between one admission and the next
LENGTH_OF_STAY = {
    "acute": (28, 0.8),
    "KIRBY": (55, 0.7),
    "BEACON": (45, 0.7),
    "HPC": (250, 0.7),
    "informal": (14, 0.8),
}
INFORMAL_ADMISSION = 0.008  # per patient never detained in the period
INFORMAL_EPISODE = 0.6  # informal spells with a recorded "01" legal status episode
S136_REPEAT = 0.10
S136_BEFORE_DETENTION = 0.5  # people detained and taken under s136: first use the day before
CTO_DAYS = (300, 0.6)

RESTRAINT_TYPES = {
    "01": 0.08, "02": 0.20, "03": 0.10, "08": 0.10, "09": 0.05, "10": 0.15, "11": 0.02,
    "04": 0.10, "12": 0.04, "13": 0.01, "05": 0.01, "06": 0.12, "07": 0.02,
}  # fmt: skip
RESTRAINT_WARD = {"BEACON": 2.5, "HPC": 1.5, "KIRBY": 0.5}  # others 1 (gradients only)
RESTRAINT_INFORMAL = 0.4  # informal spells against detained ones (gradients only)

# Outcome measures: chance a referral has a paired episode of each measure, by team.
MEASURES_BY_TEAM = {
    "TT": {"CORE10": 0.55}, "CMHT-CE": {"HONOS": 0.35, "REQOL10": 0.15},
    "CMHT-CW": {"HONOS": 0.35, "REQOL10": 0.15}, "CMHT-CO": {"HONOS": 0.35, "REQOL10": 0.15},
    "CRHT": {"HONOS": 0.25}, "CAMHS": {"SDQ": 0.45, "REQOL10": 0.05}, "LD-COM": {"HONOS": 0.2},
    "PERI": {"CORE10": 0.3, "HONOS": 0.15}, "MHSOP": {"HONOS": 0.4},
}  # fmt: skip
# Maximum score, first-score range, and relative chance of reliable improvement (gradients only).
MEASURE_SCALE = {
    "HONOS": (48, 10, 30, 0.85),
    "CORE10": (40, 12, 35, 1.15),
    "REQOL10": (40, 5, 25, 1.0),
    "SDQ": (40, 12, 32, 0.9),
}

# Age and sex factors (gradients): 0-17, 18-34, 35-49, 50-64, 65+; male, female.
ACCESS_AGE, ACCESS_SEX = (0.8, 1.3, 1.1, 0.9, 0.9), (1.0, 1.1)
DETENTION_AGE, DETENTION_SEX = (0.08, 1.7, 1.3, 0.8, 0.5), (1.15, 0.85)
S136_AGE, S136_SEX = (0.3, 1.8, 1.2, 0.6, 0.2), (1.2, 0.8)

# Recorded forms: local two-character sub-codes (first character the national code, §3 of
# ethnicity.md) and values that are not codes at all.
LOCAL_SUBCODES = {
    "A": ("A1", "AS", "AW"), "B": ("B1",), "C": ("CP", "CA", "CG"), "D": ("D1",), "E": ("E1",),
    "F": ("F1",), "G": ("G1",), "H": ("H1", "HG"), "J": ("J1",), "K": ("K1",), "L": ("LB", "LK"),
    "M": ("M1",), "N": ("NS", "N1"), "P": ("PC", "P1"), "R": ("R1",), "S": ("SA", "SB"),
}  # fmt: skip
JUNK_VALUES = ("X", "9", "0", "T", "O", "UNK", "XX")


def check_code_lists() -> None:
    """The generator's code choices against the schema, once at import."""
    problems = []
    justice = set(JUSTICE_ADULT) | set(JUSTICE_CHILD)
    if justice != set(CRIMINAL_JUSTICE_REFERRAL_SOURCES):
        problems.append(f"justice routes {sorted(justice)}")
    if (set(SOURCES_ADULT) | set(SOURCES_CHILD)) & set(CRIMINAL_JUSTICE_REFERRAL_SOURCES):
        problems.append("a usual referral source is a justice route")
    if not (set(SOURCES_ADULT) | set(SOURCES_CHILD) | justice) <= set(SOURCE_OF_REFERRAL):
        problems.append("a referral source is not in SOURCE_OF_REFERRAL")
    path_codes = {code for path, _ in DETENTION_PATHS for code in path}
    if not path_codes <= set(LEGAL_STATUS):
        problems.append(f"legal statuses {sorted(path_codes - set(LEGAL_STATUS))}")
    if {path[-1] for path, _ in DETENTION_PATHS} - set(DETENTION_LEGAL_STATUSES):
        problems.append("a detention path ends in a status that is not a detention")
    if set(RESTRAINT_TYPES) != set(RESTRICTIVE_INTERVENTION_TYPE):
        problems.append("restraint types differ from RESTRICTIVE_INTERVENTION_TYPE")
    if set(MEASURE_SCALE) != set(OUTCOME_MEASURES):
        problems.append("outcome measures differ from OUTCOME_MEASURES")
    if problems:
        raise RuntimeError("synth code lists disagree with the schema: " + "; ".join(problems))


check_code_lists()

# --- The catchment population -------------------------------------------------------------------


@dataclass(frozen=True)
class Catchment:
    area: np.ndarray  # cell -> area index
    census: np.ndarray  # cell -> census code 1-19
    sex: np.ndarray  # cell -> 0 male, 1 female
    age: np.ndarray  # cell -> age band index
    population: np.ndarray  # cell -> residents
    broad: np.ndarray  # cell -> index into BROAD_GROUPS (NHS statistics grouping)
    white_british: np.ndarray  # cell -> census group 13


CENSUS = {group.census2021_code: group for group in CENSUS_2021_GROUPS}


def recorded_code(census_code: int) -> str:
    group = CENSUS[census_code]
    return group.nhs_code or group.local_residual_code


def build_catchment(people: int) -> Catchment:
    """Residents by area, census group, sex and age band; the total is round(people × 5.5)."""
    codes = np.arange(1, 20)
    scale = people * POPULATION_PER_PERSON / sum(area[2] for area in AREAS)
    city = np.array([CITY_MIX[c] for c in codes]) / sum(CITY_MIX.values())
    county = np.array([COUNTY_MIX[c] for c in codes]) / sum(COUNTY_MIX.values())
    keys, values = [], []
    for area_index, (code, _, residents, diversity) in enumerate(AREAS):
        mix = diversity * city + (1 - diversity) * county
        for census_index, census in enumerate(codes):
            if census == 13:
                profile = WHITE_BRITISH_AGE["city" if code == CITY_AREA else "county"]
            else:
                profile = AGE_PROFILE[census]
            for sex in (0, 1):
                for age in range(len(AGE_BANDS)):
                    share = MALE_SHARE[age] if sex == 0 else 1 - MALE_SHARE[age]
                    keys.append((area_index, census, sex, age))
                    values.append(residents * scale * mix[census_index] * profile[age] * share)
    values = np.array(values)
    counts = np.floor(values).astype(np.int64)
    extra = round(people * POPULATION_PER_PERSON) - counts.sum()
    counts[np.argsort(counts - values, kind="stable")[:extra]] += 1  # largest remainders
    cells = [(*key, count) for key, count in zip(keys, counts, strict=True)]
    array = np.array(cells, dtype=np.int64)
    broad_of = {
        g.census2021_code: BROAD_GROUPS.index(g.nhs_broad_group_for_statistics)
        for g in CENSUS_2021_GROUPS
    }
    census = array[:, 1]
    return Catchment(
        area=array[:, 0],
        census=census,
        sex=array[:, 2],
        age=array[:, 3],
        population=array[:, 4],
        broad=np.array([broad_of[c] for c in census]),
        white_british=census == 13,
    )
