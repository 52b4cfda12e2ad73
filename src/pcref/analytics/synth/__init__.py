"""Synthetic extracts for a Leicester, Leicestershire and Rutland-like catchment, with known truth.

`generate` writes one file per extract table (`extract.schema.TABLES`, the `population` table
included) and `ground_truth.json`: the parameters, the rate ratios that were injected, what each
metric is expected to show and the exact ethnicity recording-quality counts written. The metric
engine's recovery tests and the demo both read it. docs/synthetic-data.md explains the model.

The model in one paragraph: a resident population by area, Census 2021 ethnic group, sex and age
band; people in contact with services drawn from it at group-specific access rates; every event
(detention, CTO, section 136, referral source, restraint, reliable improvement) a Bernoulli or
Poisson draw whose rate is a White reference level times an age/sex (or ward, legal status,
measure) factor times the injected ratio for the person's NHS broad group. Ethnicity recording
gaps depend only on the team and month of the person's first referral, normalised so that they are
independent of group and of every outcome: the ratio among recorded people is unbiased.

numpy and pyarrow only; never imports Django. Fully vectorised: no Python loop per person or event.

Modules: `model` (the simulated trust: catchment, services, code choices, rate factors),
`parameters` (`Disparities`, `RecordingQuality`, `GroundTruth`), `generator` (`generate`) and
`truth` (ground_truth.json). `pcref synth --out OUT_DIR --people N` writes one from the command line.
"""

from pcref.analytics.synth.generator import generate
from pcref.analytics.synth.model import (
    AREAS,
    BROAD_GROUPS,
    COMMUNITY_TEAMS,
    FILE_FORMATS,
    GENERATOR_VERSION,
    JUNK_VALUES,
    ORGANISATION_CODE,
    POPULATION_PER_PERSON,
    SERVICE_TEAMS,
    TRUTH_GROUPS,
    WARDS,
    WHITE_BRITISH,
)
from pcref.analytics.synth.parameters import Disparities, GroundTruth, RecordingQuality

__all__ = [
    "AREAS",
    "BROAD_GROUPS",
    "COMMUNITY_TEAMS",
    "FILE_FORMATS",
    "GENERATOR_VERSION",
    "JUNK_VALUES",
    "ORGANISATION_CODE",
    "POPULATION_PER_PERSON",
    "SERVICE_TEAMS",
    "TRUTH_GROUPS",
    "WARDS",
    "WHITE_BRITISH",
    "Disparities",
    "GroundTruth",
    "RecordingQuality",
    "generate",
]
