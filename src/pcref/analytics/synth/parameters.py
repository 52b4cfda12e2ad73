"""The generator's parameters (`Disparities`, `RecordingQuality`) and result (`GroundTruth`)."""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from types import MappingProxyType
from typing import Any

from pcref.analytics.synth.model import COMMUNITY_TEAMS, COMPARED_GROUPS, WHITE_BRITISH


def frozen(mapping: Mapping) -> Mapping:
    return MappingProxyType(dict(mapping))


# --- Parameters ---------------------------------------------------------------------------------


def _default_ratios(**values: float) -> Callable[[], Mapping[str, float]]:
    return lambda: frozen(values)


def _check_ratios(name: str, ratios: Mapping[str, float]) -> Mapping[str, float]:
    if not isinstance(ratios, Mapping):
        raise TypeError(f"{name} must be a dict of group -> ratio; got {type(ratios).__name__}")
    cleaned = {}
    for group, value in ratios.items():
        if group not in COMPARED_GROUPS:
            raise ValueError(
                f"{name}: {group!r} is not a group a ratio can be set for; expected one of "
                f"{', '.join(COMPARED_GROUPS)} (ratios are against White, which is 1)"
            )
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise TypeError(f"{name}[{group!r}] must be a number; got {value!r}")
        if not math.isfinite(value) or value <= 0:
            raise ValueError(f"{name}[{group!r}] must be more than 0 and finite; got {value!r}")
        cleaned[group] = float(value)
    return frozen({group: cleaned.get(group, 1.0) for group in COMPARED_GROUPS})


def check_number(name: str, value: float, low: float, high: float) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"{name} must be a number; got {value!r}")
    if not (math.isfinite(value) and low <= value <= high):
        raise ValueError(f"{name} must be between {low} and {high}; got {value!r}")


@dataclass(frozen=True)
class Disparities:
    """The true disparities the generator injects, and the White reference levels.

    Every ratio is against White (NHS broad group: A, B, C, and the Census's Gypsy or Irish
    Traveller and Roma) and applies to the NHS broad group (Chinese in Other, as NHS statistics
    count them). Groups not given are 1. Every detailed group has its broad group's rate, so White
    British has exactly the White rate and each ratio against White British equals the one against
    White. With `gradients`, each rate also varies by age band and sex (and restraint by ward and
    legal status, improvement by measure) by the same factors in every group, so the ratio holds
    within every stratum and between directly standardised rates; crude ratios then also depend on
    each group's age mix, and ground_truth.json gives their expected values. With
    `gradients=False` crude ratios equal these ratios in expectation.

    Attributes:
        access: people in contact with services (referred in the period) per resident.
        detention: people detained at least once in the period per resident (MHA1).
        cto: people starting a community treatment order per resident (MHA2).
        section_136: people subject to section 136 per resident (MHA3).
        justice_referral: share of referrals from the justice system, E1-E6 (ACC2).
        restraint: restrictive interventions per occupied bed day, every type alike (RI1).
        reliable_improvement: chance of reliable improvement on a paired outcome measure (OUT1).
        white_detention_per_100k_per_year: White crude rate of people detained; default 55.
        white_cto_per_100k_per_year: White crude rate of people starting a CTO; default 6.
        white_section_136_per_100k_per_year: White crude rate of people under s136; default 45.
        white_justice_referral_share: White share of referrals from E1-E6; default 0.03.
        white_restraint_per_1000_bed_days: White crude rate, every type; default 25.
        white_reliable_improvement: White share of episodes reliably improved; default 0.45.
        gradients: age/sex, ward, legal-status and measure effects on; default True.
    """

    access: Mapping[str, float] = field(
        default_factory=_default_ratios(Mixed=1.2, Asian=0.75, Black=1.1, Other=1.0)
    )
    detention: Mapping[str, float] = field(
        default_factory=_default_ratios(Mixed=2.0, Asian=1.3, Black=3.5, Other=2.0)
    )
    cto: Mapping[str, float] = field(
        default_factory=_default_ratios(Mixed=2.5, Asian=1.5, Black=7.0, Other=2.5)
    )
    section_136: Mapping[str, float] = field(
        default_factory=_default_ratios(Mixed=2.0, Asian=1.2, Black=3.0, Other=1.8)
    )
    justice_referral: Mapping[str, float] = field(
        default_factory=_default_ratios(Mixed=1.5, Asian=1.1, Black=2.0, Other=1.3)
    )
    restraint: Mapping[str, float] = field(
        default_factory=_default_ratios(Mixed=1.3, Asian=1.1, Black=1.6, Other=1.2)
    )
    reliable_improvement: Mapping[str, float] = field(
        default_factory=_default_ratios(Mixed=0.95, Asian=0.9, Black=0.85, Other=0.9)
    )
    white_detention_per_100k_per_year: float = 55.0
    white_cto_per_100k_per_year: float = 6.0
    white_section_136_per_100k_per_year: float = 45.0
    white_justice_referral_share: float = 0.03
    white_restraint_per_1000_bed_days: float = 25.0
    white_reliable_improvement: float = 0.45
    gradients: bool = True

    RATIO_FIELDS = (
        "access",
        "detention",
        "cto",
        "section_136",
        "justice_referral",
        "restraint",
        "reliable_improvement",
    )

    def __post_init__(self):
        for name in self.RATIO_FIELDS:
            object.__setattr__(self, name, _check_ratios(name, getattr(self, name)))
        check_number(
            "white_detention_per_100k_per_year", self.white_detention_per_100k_per_year, 0, 10_000
        )
        check_number("white_cto_per_100k_per_year", self.white_cto_per_100k_per_year, 0, 10_000)
        check_number(
            "white_section_136_per_100k_per_year",
            self.white_section_136_per_100k_per_year,
            0,
            10_000,
        )
        check_number("white_justice_referral_share", self.white_justice_referral_share, 0, 1)
        check_number(
            "white_restraint_per_1000_bed_days", self.white_restraint_per_1000_bed_days, 0, 1000
        )
        check_number("white_reliable_improvement", self.white_reliable_improvement, 0, 1)
        if not isinstance(self.gradients, bool):
            raise TypeError(f"gradients must be True or False; got {self.gradients!r}")

    def ratio(self, metric: str, group: str) -> float:
        """The injected ratio against White for a metric and a group of `TRUTH_GROUPS`."""
        if group in ("White", WHITE_BRITISH):
            return 1.0
        return getattr(self, metric)[group]

    def to_dict(self) -> dict[str, Any]:
        values = {f.name: getattr(self, f.name) for f in fields(self)}
        for name in self.RATIO_FIELDS:
            values[name] = {"White": 1.0, **getattr(self, name)}
        return values

    @classmethod
    def from_dict(cls, values: Mapping[str, Any]) -> Disparities:
        values = dict(values)
        for name in cls.RATIO_FIELDS:
            values[name] = {k: v for k, v in values[name].items() if k != "White"}
        return cls(**values)


@dataclass(frozen=True)
class RecordingQuality:
    """How ethnicity is recorded on `mhs001_patients`: forms, gaps and where gaps concentrate.

    A person's recorded value is set when they are registered, by the team of their first referral
    in its month. The chance of each gap is its base share here times the team factor and the month
    factor, each divided by its mean (the team factor's mean over the teams a person of that
    area, census group, sex and age band is referred to; the month factor's mean over the days of
    the period), so the overall chance of each gap is exactly its base share, for every group and
    every outcome. Not stated (Z) is a person's answer, not a recording failure: team and month
    factors leave it alone.

    Attributes:
        not_stated: share recorded "Z" (a few "z"); default 0.03.
        not_known: share recorded "99"; default 0.04.
        missing: share left blank (null); default 0.03.
        invalid: share recorded as a value that is no code (`JUNK_VALUES`); default 0.005.
        lower_case: share of valid values written in lower case, e.g. "h"; default 0.04.
        local_subcode: share of valid values written as a 2-character local sub-code ("CP",
            "LB", "A1"): the first character is the national code; default 0.06.
        team_factors: relative gap rate by referral team code; others 1; default CRHT 2, TT 0.6,
            CMHT-CO 1.5.
        month_factors: relative gap rate by month of the period, 0 = the start month; others 1;
            default months 9 and 10 (a records-system change) 3 and 2.
    """

    not_stated: float = 0.03
    not_known: float = 0.04
    missing: float = 0.03
    invalid: float = 0.005
    lower_case: float = 0.04
    local_subcode: float = 0.06
    team_factors: Mapping[str, float] = field(
        default_factory=lambda: frozen({"CRHT": 2.0, "TT": 0.6, "CMHT-CO": 1.5})
    )
    month_factors: Mapping[int, float] = field(default_factory=lambda: frozen({9: 3.0, 10: 2.0}))

    SHARES = ("not_stated", "not_known", "missing", "invalid", "lower_case", "local_subcode")

    def __post_init__(self):
        for name in self.SHARES:
            check_number(name, getattr(self, name), 0, 1)
        if self.not_stated + self.not_known + self.missing + self.invalid >= 1:
            raise ValueError(
                "not_stated + not_known + missing + invalid must be below 1; got "
                f"{self.not_stated + self.not_known + self.missing + self.invalid!r}"
            )
        if self.lower_case + self.local_subcode > 1:
            raise ValueError(
                f"lower_case + local_subcode must be 1 or less; got "
                f"{self.lower_case!r} + {self.local_subcode!r}"
            )
        teams = {}
        for team, value in dict(self.team_factors).items():
            if team not in COMMUNITY_TEAMS:
                raise ValueError(
                    f"team_factors: {team!r} is not a referral team; expected one of "
                    f"{', '.join(COMMUNITY_TEAMS)}"
                )
            check_number(f"team_factors[{team!r}]", value, 0, 1000)
            teams[team] = float(value)
        months = {}
        for month, value in dict(self.month_factors).items():
            month_number = int(month) if isinstance(month, str) and month.isdigit() else month
            if (
                isinstance(month_number, bool)
                or not isinstance(month_number, int)
                or month_number < 0
            ):
                raise ValueError(
                    f"month_factors: keys are months of the period, 0 or more; got {month!r}"
                )
            check_number(f"month_factors[{month!r}]", value, 0, 1000)
            months[month_number] = float(value)
        object.__setattr__(self, "team_factors", frozen(teams))
        object.__setattr__(self, "month_factors", frozen(dict(sorted(months.items()))))

    @property
    def gap_shares(self) -> dict[str, float]:
        """Base share of each non-valid status, in `STATUSES` order."""
        return {
            "not_stated": self.not_stated,
            "not_known": self.not_known,
            "missing": self.missing,
            "invalid": self.invalid,
        }

    @property
    def valid_share(self) -> float:
        """The chance a person's recorded ethnicity is valid: the same for every group."""
        return 1 - sum(self.gap_shares.values())

    def to_dict(self) -> dict[str, Any]:
        values = {f.name: getattr(self, f.name) for f in fields(self)}
        values["team_factors"] = dict(self.team_factors)
        values["month_factors"] = {str(k): v for k, v in self.month_factors.items()}
        return values

    @classmethod
    def from_dict(cls, values: Mapping[str, Any]) -> RecordingQuality:
        values = dict(values)
        values["month_factors"] = {int(k): v for k, v in values["month_factors"].items()}
        return cls(**values)


@dataclass(frozen=True)
class GroundTruth:
    """What was generated and what it should show: the contents of ground_truth.json.

    Attributes:
        parameters: people, seed, years, start, end (last day), file_format,
            contacts_per_referral, organisation_code, population_per_person, generator_version,
            schema_version, ethnicity_mapping_version.
        disparities: the `Disparities` used.
        quality: the `RecordingQuality` used.
        population: residents in total, by truth group and by area.
        rows: rows written per table.
        metrics: per metric, the injected ratios, expected and observed values (see the docs).
        data_quality: exact ethnicity recording-quality counts per table, team and month.
        files: table name -> file name in the output folder.
    """

    parameters: Mapping[str, Any]
    disparities: Disparities
    quality: RecordingQuality
    population: Mapping[str, Any]
    rows: Mapping[str, int]
    metrics: Mapping[str, Any]
    data_quality: Mapping[str, Any]
    files: Mapping[str, str]

    def to_dict(self) -> dict[str, Any]:
        return {
            "parameters": dict(self.parameters),
            "disparities": self.disparities.to_dict(),
            "recording_quality": self.quality.to_dict(),
            "population": self.population,
            "rows": dict(self.rows),
            "metrics": self.metrics,
            "data_quality": self.data_quality,
            "files": dict(self.files),
        }

    @classmethod
    def from_dict(cls, values: Mapping[str, Any]) -> GroundTruth:
        return cls(
            parameters=values["parameters"],
            disparities=Disparities.from_dict(values["disparities"]),
            quality=RecordingQuality.from_dict(values["recording_quality"]),
            population=values["population"],
            rows=values["rows"],
            metrics=values["metrics"],
            data_quality=values["data_quality"],
            files=values["files"],
        )

    @classmethod
    def load(cls, path: str | Path) -> GroundTruth:
        """Read a ground_truth.json (or the folder holding one)."""
        path = Path(path)
        if path.is_dir():
            path = path / "ground_truth.json"
        return cls.from_dict(json.loads(path.read_text(encoding="utf-8")))
