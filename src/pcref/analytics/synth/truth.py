"""The contents of ground_truth.json: recording-quality counts and per-metric truth."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from pcref.analytics.ethnicity import STATUSES
from pcref.analytics.extract.schema import (
    DETENTION_LEGAL_STATUSES,
    RESTRICTIVE_INTERVENTION_GROUPS,
)
from pcref.analytics.synth.model import (
    EXTRA_REFERRALS,
    RESTRAINT_TYPES,
    TRUTH_GROUPS,
    WHITE_BRITISH,
)

if TYPE_CHECKING:
    from pcref.analytics.synth.generator import Period, Run


class QualityCounts:
    """Counts of recording status by table, team and month, accumulated as rows are written."""

    def __init__(self, period: Period):
        self.period = period
        self.tables: dict[str, dict[str, Any]] = {}

    def add(
        self, table, status, team=None, team_names=(), days=None, date_column=None, team_column=None
    ):
        months = len(self.period.month_labels)
        entry = self.tables.setdefault(
            table,
            {
                "team_column": team_column,
                "date_column": date_column,
                "team_names": tuple(team_names),
                "counts": np.zeros(
                    (max(len(team_names), 1), months if days is not None else 1, len(STATUSES)),
                    dtype=np.int64,
                ),
            },
        )
        counts = entry["counts"]
        team_index = np.zeros(len(status), dtype=np.int64) if team is None else team
        month_index = (
            np.zeros(len(status), dtype=np.int64) if days is None else self.period.month_of(days)
        )
        key = (team_index * counts.shape[1] + month_index) * len(STATUSES) + status
        counts += np.bincount(key, minlength=counts.size).reshape(counts.shape)

    def report(self) -> dict[str, Any]:
        out = {}
        for table, entry in self.tables.items():
            counts = entry["counts"]
            block: dict[str, Any] = {
                "team_column": entry["team_column"],
                "date_column": entry["date_column"],
                "total": dict(zip(STATUSES, counts.sum(axis=(0, 1)).tolist(), strict=True)),
            }
            if entry["date_column"]:
                labels = self.period.month_labels
                block["by_month"] = {
                    labels[m]: dict(zip(STATUSES, counts[:, m].sum(axis=0).tolist(), strict=True))
                    for m in range(counts.shape[1])
                    if counts[:, m].sum()
                }
            if entry["team_column"]:
                block["by_team"] = {
                    name: dict(zip(STATUSES, counts[t].sum(axis=0).tolist(), strict=True))
                    for t, name in enumerate(entry["team_names"])
                    if counts[t].sum()
                }
                if entry["date_column"]:
                    block["by_team_month"] = {
                        name: {
                            self.period.month_labels[m]: dict(
                                zip(STATUSES, counts[t, m].tolist(), strict=True)
                            )
                            for m in range(counts.shape[1])
                            if counts[t, m].sum()
                        }
                        for t, name in enumerate(entry["team_names"])
                        if counts[t].sum()
                    }
            out[table] = block
        return out


DATA_QUALITY_DEFINITION = (
    "Counts of records by the status of the person's ethnic_category in mhs001_patients, as "
    "ethnicity.normalise reads it (valid, not_stated, not_known, missing, invalid). One record is "
    "one row of the table; its team is the table's team_column and its month the calendar month "
    "(YYYY-MM) of its date_column. Tables: mhs001_patients (one row per person; total and raw "
    "values only), mhs101_referrals (service_team_code, referral_received_date), "
    "mhs201_care_contacts (service_team_code, contact_date), mhs501_hospital_spells (ward_code, "
    "admission_date), mhs401_mha_episodes (no team; start_date), mhs404_cto (no team; "
    "start_date), mhs505_restrictive_interventions (ward_code, intervention_date), "
    "mhs606_outcome_measures (service_team_code, last_date). by_team_month lists only team and "
    "month pairs with records; raw_values counts each value exactly as written ('' = blank)."
)


class Metrics:
    """The metrics block of ground_truth.json: injected, expected and observed, per group."""

    def __init__(self, run: Run):
        self.run = run
        self.valid_share = run.quality.valid_share

    def build(self) -> dict[str, Any]:
        return {
            "access": self.access(),
            "detention": self.population_metric(
                "detention",
                "MHA1",
                self.detention_observed(),
                "people with at least one MHA episode with a DETENTION_LEGAL_STATUSES code "
                "starting in the period (also: those episodes)",
            ),
            "cto": self.population_metric(
                "cto",
                "MHA2",
                self.cto_observed(),
                "people with a community treatment order starting in the period (one each)",
            ),
            "section_136": self.population_metric(
                "section_136",
                "MHA3",
                self.s136_observed(),
                "people with at least one legal status '20' episode starting in the period "
                "(also: uses)",
            ),
            "justice_referral": self.justice(),
            "restraint": self.restraint(),
            "reliable_improvement": self.improvement(),
        }

    def _ratios(self, metric: str) -> dict[str, Any]:
        d = self.run.disparities
        ratios = {g: d.ratio(metric, g) for g in TRUTH_GROUPS}
        return {"rate_ratio_vs_white": ratios, "rate_ratio_vs_white_british": dict(ratios)}

    @staticmethod
    def _crude_ratios(expected: dict[str, dict[str, float]], key: str) -> dict[str, Any]:
        out = {}
        for reference, name in (("White", "vs_white"), (WHITE_BRITISH, "vs_white_british")):
            base = expected[reference][key]
            out[f"expected_crude_ratio_{name}"] = {
                g: (v[key] / base if base and v[key] is not None else None)
                for g, v in expected.items()
            }
        return out

    def population_metric(self, metric, code, observed, definition) -> dict[str, Any]:
        run = self.run
        c = run.catchment
        chance = run.chance[metric]
        expected = {}
        for g in TRUTH_GROUPS:
            mask = run._group_mask(g)
            residents = int(c.population[mask].sum())
            people = float((c.population * chance)[mask].sum())
            expected[g] = {
                "population": residents,
                "people": people,
                "people_recorded": people * self.valid_share,
                "rate_per_100k": people / residents * 1e5 if residents else None,
                "rate_per_100k_recorded": (
                    people * self.valid_share / residents * 1e5 if residents else None
                ),
            }
        return {
            "pcref_metric": code,
            "numerator": definition,
            "denominator": "residents of the group (population file)",
            "unit": "per 100,000 residents, over the whole period",
            **self._ratios(metric),
            "expected": expected,
            **self._crude_ratios(expected, "rate_per_100k"),
            "observed": observed,
        }

    def _observed_people(self, person: np.ndarray, extra: dict[str, np.ndarray] | None = None):
        """Counts of distinct people (and rows) by recorded group, plus the excluded statuses."""
        run = self.run
        unique = np.unique(person)
        out: dict[str, Any] = {}
        for g in TRUTH_GROUPS:
            counts = {
                "people": int(run.recorded_in(g, unique).sum()),
                "population": int(run._population_of(g)),
            }
            for name, rows in (extra or {}).items():
                counts[name] = int(run.recorded_in(g, rows).sum())
            out[g] = counts
        out["excluded"] = {
            status: int((run.status[unique] == i).sum()) for i, status in enumerate(STATUSES) if i
        }
        return out

    def access(self) -> dict[str, Any]:
        run = self.run
        metric = self.population_metric(
            "access",
            "ACC1",
            self._observed_people(run.ref_person, {"referrals": run.ref_person}),
            "people with at least one referral received in the period (all of mhs001_patients); "
            "referrals are also counted",
        )
        per_person = 1 + EXTRA_REFERRALS
        for values in metric["expected"].values():
            values["referrals"] = values["people"] * per_person
            values["referrals_recorded"] = values["people_recorded"] * per_person
        return metric

    def detention_observed(self):
        e = self.run.episodes
        rows = np.isin(e["status"], sorted(DETENTION_LEGAL_STATUSES))
        return self._observed_people(e["person"][rows], {"episodes": e["person"][rows]})

    def cto_observed(self):
        return self._observed_people(self.run.ctos["person"], {"ctos": self.run.ctos["person"]})

    def s136_observed(self):
        e = self.run.episodes
        rows = e["status"] == "20"
        return self._observed_people(e["person"][rows], {"uses": e["person"][rows]})

    def justice(self) -> dict[str, Any]:
        run = self.run
        expected, observed = {}, {}
        for g in TRUTH_GROUPS:
            everyone = run._group_mask(g, run.cell[run.ref_person])
            recorded = run.recorded_in(g, run.ref_person)
            expected[g] = {
                "referrals": int(everyone.sum()),
                "justice_referrals": float(run.ref_p_justice[everyone].sum()),
                "share": run.disparities.white_justice_referral_share
                * run.disparities.ratio("justice_referral", g),
                "referrals_recorded": int(recorded.sum()),
                "justice_referrals_recorded": float(run.ref_p_justice[recorded].sum()),
            }
            observed[g] = {
                "referrals": int(recorded.sum()),
                "justice_referrals": int((recorded & run.ref_justice).sum()),
            }
        return {
            "pcref_metric": "ACC2",
            "numerator": "referrals whose source_of_referral is E1-E6",
            "denominator": "referrals received in the period",
            "unit": "share of referrals",
            **self._ratios("justice_referral"),
            "expected": expected,
            **self._crude_ratios(expected, "share"),
            "observed": observed,
        }

    def restraint(self) -> dict[str, Any]:
        run = self.run
        s = run.spells
        person = s["person"]
        kinds = np.array(run.restraint_types)[run.restraint_kind]
        groups = {
            name: np.isin(kinds, sorted(codes))
            for name, codes in RESTRICTIVE_INTERVENTION_GROUPS.items()
        }
        type_share = {
            name: sum(v for k, v in RESTRAINT_TYPES.items() if k in codes)
            / sum(RESTRAINT_TYPES.values())
            for name, codes in RESTRICTIVE_INTERVENTION_GROUPS.items()
        }
        expected, observed = {}, {}
        for g in TRUTH_GROUPS:
            everyone = run._group_mask(g, run.cell[person])
            recorded = run.recorded_in(g, person)
            expected[g] = {
                "bed_days": int(run.bed_days[everyone].sum()),
                "interventions": float(run.restraint_expected[everyone].sum()),
                "bed_days_recorded": int(run.bed_days[recorded].sum()),
                "interventions_recorded": float(run.restraint_expected[recorded].sum()),
            }
            bed_days = expected[g]["bed_days_recorded"]
            expected[g]["per_1000_bed_days_recorded"] = (
                expected[g]["interventions_recorded"] / bed_days * 1000 if bed_days else None
            )
            spell_recorded = recorded[run.restraint_spell]
            observed[g] = {
                "bed_days": bed_days,
                "inpatients": int(len(np.unique(person[recorded]))),
                **{name: int((spell_recorded & rows).sum()) for name, rows in groups.items()},
            }
        return {
            "pcref_metric": "RI1",
            "numerator": "restrictive interventions in spells of the group, by type group "
            "(RESTRICTIVE_INTERVENTION_GROUPS)",
            "denominator": "occupied bed days: (discharge_date, or the day after the period's "
            "last day for open spells) minus admission_date, in days, summed over spells",
            "unit": "per 1,000 occupied bed days",
            **self._ratios("restraint"),
            "type_share": type_share,
            "expected": expected,
            **self._crude_ratios(expected, "per_1000_bed_days_recorded"),
            "observed": observed,
        }

    def improvement(self) -> dict[str, Any]:
        run = self.run
        person = run.ref_person[run.outcome_ref]
        expected, observed = {}, {}
        for g in TRUTH_GROUPS:
            everyone = run._group_mask(g, run.cell[person])
            recorded = run.recorded_in(g, person)
            n = int(recorded.sum())
            expected[g] = {
                "episodes": int(everyone.sum()),
                "improved": float(run.improvement_expected[everyone].sum()),
                "episodes_recorded": n,
                "improved_recorded": float(run.improvement_expected[recorded].sum()),
            }
            expected[g]["share_recorded"] = expected[g]["improved_recorded"] / n if n else None
            observed[g] = {"episodes": n, "improved": int((recorded & run.improved).sum())}
        return {
            "pcref_metric": "OUT1",
            "numerator": "episodes whose change from first_score to last_score in the better "
            "direction is at least the measure's reliable_change (never exactly equal)",
            "denominator": "paired episodes in mhs606_outcome_measures",
            "unit": "share of episodes",
            **self._ratios("reliable_improvement"),
            "expected": expected,
            **self._crude_ratios(expected, "share_recorded"),
            "observed": observed,
        }
