"""A synthetic multimodal chronic-pain cohort with planted biotypes (no real person's data).

The generator plants four biotypes of different size and separability plus participants who
belong to none, on top of covariates that are not biotypes (site, sex, age, ancestry). Figures
are chosen to resemble published ones; docs/synthetic_cohort.md gives the sources and choices.

* Clinical: ICD-11 chronic pain severity ratings (intensity, interference, distress, 0-10),
  PHQ-9 (0-27), GAD-7 (0-21), Pain Catastrophizing Scale (0-52), painDETECT (-1-38),
  widespread pain index (0-19), PSQI (0-21), fatigue (0-10).
* PRS: small biotype effects (a few tenths of an SD) on multisite chronic pain, depression,
  insomnia and neuroticism scores, with ancestry shifts in the raw scores, in PLINK 2 .sscore form.
* Connectivity (Dosenbach 2010 atlas, imaging for a subset of sites): salience (insula, ACC) to
  default-mode coupling, prefrontal-cingulate and sensorimotor-insula changes, a scanner offset per site.
* Wearables: 28 daily values of resting heart rate, HRV (RMSSD, ms), steps, sleep, pain NRS and
  wear time, with reduced HRV and sleep on high-pain days and non-wear and dropout that rise with severity.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

#: Planted biotypes: name and share of the cohort (the rest, 8%, belongs to none).
BIOTYPES = (
    ("High-impact nociplastic", 0.30),
    ("Low-impact nociceptive", 0.32),
    ("Neuropathic-like", 0.16),
    ("Sleep-disturbed fatigue", 0.14),
)
UNASSIGNED_SHARE = 0.08
#: Imaging is capped so that the largest cohorts stay in memory (5,000 x 12,720 float32 edges = 254 MB).
MAX_IMAGING = 5000
ATLAS = "dosenbach_2010"
N_DAYS = 28

# Clinical measures: (column, description, unit, min, max, integer, per-biotype means, within-biotype SD).
CLINICAL = (
    (
        "pain_intensity",
        "ICD-11 chronic pain severity: average pain intensity, past week",
        "NRS 0-10",
        0,
        10,
        True,
        (7.2, 4.0, 6.8, 5.2),
        1.0,
    ),
    (
        "pain_interference",
        "ICD-11 chronic pain severity: pain-related interference, past week",
        "NRS 0-10",
        0,
        10,
        True,
        (7.5, 3.0, 5.5, 5.5),
        1.1,
    ),
    ("pain_distress", "ICD-11 chronic pain severity: pain-related distress, past week", "NRS 0-10", 0, 10, True, (7.8, 2.8, 5.0, 5.0), 1.1),
    ("phq9", "Patient Health Questionnaire-9 depression score", "points", 0, 27, True, (16.0, 5.0, 9.0, 12.0), 3.5),
    ("gad7", "Generalized Anxiety Disorder-7 score", "points", 0, 21, True, (13.0, 4.0, 7.0, 8.0), 3.0),
    ("pcs_total", "Pain Catastrophizing Scale total", "points", 0, 52, True, (34.0, 12.0, 20.0, 20.0), 7.0),
    ("paindetect", "painDETECT neuropathic component score", "points", -1, 38, True, (14.0, 8.0, 24.0, 10.0), 4.0),
    ("widespread_pain_index", "Widespread pain index (painful body regions)", "regions", 0, 19, True, (11.0, 3.0, 4.0, 6.0), 2.0),
    ("psqi", "Pittsburgh Sleep Quality Index global score", "points", 0, 21, True, (12.0, 5.0, 8.0, 15.0), 2.5),
    ("fatigue_nrs", "Fatigue, past week", "NRS 0-10", 0, 10, True, (7.0, 3.0, 5.0, 8.0), 1.2),
)
# PRS: (score name, biotype shifts in SD of the latent score).
PRS_SHIFTS = (
    ("MCP", (0.35, -0.10, 0.15, 0.10)),
    ("MDD", (0.40, -0.15, 0.0, 0.20)),
    ("INSOMNIA", (0.10, -0.10, 0.0, 0.45)),
    ("NEUROTICISM", (0.30, -0.10, 0.0, 0.10)),
)
ANCESTRY = (("EUR", 0.70, 0.0, 1.0), ("AFR", 0.10, -1.2, 0.8), ("EAS", 0.08, 0.6, 0.9), ("SAS", 0.07, 0.3, 0.95), ("AMR", 0.05, -0.3, 1.0))
SITES = (("site-A", 0.35, 0.00, 0.55), ("site-B", 0.30, 0.06, 0.45), ("site-C", 0.20, -0.04, 0.40), ("site-D", 0.15, 0.0, 0.0))
# Wearables per biotype: resting HR (bpm), RMSSD (ms), steps, sleep (min), chance of a missing day, of a non-wear day, of dropping out.
WEARABLE_PROFILE = {
    "resting_hr": (72.0, 64.0, 68.0, 70.0),
    "rmssd": (24.0, 42.0, 32.0, 28.0),
    "steps": (4200.0, 8200.0, 5200.0, 3600.0),
    "sleep": (360.0, 440.0, 400.0, 320.0),
    "p_missing": (0.15, 0.05, 0.10, 0.12),
    "p_nonwear": (0.12, 0.04, 0.08, 0.10),
    "p_dropout": (0.25, 0.08, 0.15, 0.20),
}
WEARABLE_SHARE = 0.70
GENOTYPED_SHARE = 0.95


@dataclass(frozen=True)
class SyntheticCohort:
    """The generated files, in memory.

    Attributes
    ----------
    participants : DataFrame, one row per participant (the participants.csv content)
    prs : DataFrame in PLINK 2 .sscore layout (``#FID, IID, ALLELE_CT, NAMED_ALLELE_DOSAGE_SUM, <SCORE>_AVG...``)
    connectivity_ids : ndarray of str, shape (n_imaging,)
    connectivity_edges : ndarray of float32, shape (n_imaging, 12720)
        Lower triangles without diagonal (nilearn's vectorised order) of Dosenbach-160 correlation matrices.
    wearables : DataFrame, one row per recorded day
    dictionary : DataFrame (column, modality, description, unit, min, max, event)
    truth : DataFrame (participant_id, true_biotype, site); -1 marks participants of no biotype
    """

    participants: pd.DataFrame
    prs: pd.DataFrame
    connectivity_ids: np.ndarray
    connectivity_edges: np.ndarray
    wearables: pd.DataFrame
    dictionary: pd.DataFrame
    truth: pd.DataFrame


def generate_cohort(n: int = 1000, seed: int = 0, id_prefix: str = "sub-", complete: bool = False) -> SyntheticCohort:
    """Generate a synthetic cohort.

    Parameters
    ----------
    n : int
        Number of participants (10 to 500,000 tested).
    seed : int
        Seed of the one random generator used; equal seeds give equal files.
    id_prefix : str
        Participant ids are ``id_prefix`` + a zero-padded number (``sub-0001``, ...). Another prefix
        (``sub-new``) gives new participants ids that no participant of a default cohort has.
    complete : bool
        False (default): the sample's design, in which 95% are genotyped, 70% wear a device and only
        sites A-C scan (a share of their participants). True: a cohort recruited with the full protocol,
        as one would be to place into existing biotypes: everyone is genotyped, scanned and given a
        device, and participants come from the three scanning sites only (shares renormalised). Biotypes,
        measures, site effects and the wearables' missing days, non-wear and dropout are drawn as in the
        default design.

    Returns
    -------
    SyntheticCohort
    """
    if n < 10:
        raise ValueError(f"n must be at least 10, got {n}")
    rng = np.random.default_rng(seed)
    biotype = _draw_biotypes(rng, n)
    ids = np.array([f"{id_prefix}{i:0{max(4, len(str(n)))}d}" for i in range(1, n + 1)])
    covariates = _covariates(rng, n, scanning_sites_only=complete)
    clinical = _clinical(rng, biotype)
    participants = pd.concat(
        [pd.DataFrame({"participant_id": ids}), covariates, clinical, _outcomes(rng, biotype, clinical), _trial(seed, biotype)], axis=1
    )
    imaging = _imaging_rows(rng, covariates["site"].to_numpy(), everyone=complete)
    edges = _connectivity(rng, biotype[imaging], covariates["site"].to_numpy()[imaging])
    truth = pd.DataFrame({"participant_id": ids, "true_biotype": biotype, "site": covariates["site"]})
    return SyntheticCohort(
        participants=participants,
        prs=_prs(rng, ids, biotype, covariates["ancestry"].to_numpy(), genotyped_share=1.0 if complete else GENOTYPED_SHARE),
        connectivity_ids=ids[imaging],
        connectivity_edges=edges,
        wearables=_wearables(rng, ids, biotype, clinical["pain_intensity"].to_numpy(), share=1.0 if complete else WEARABLE_SHARE),
        dictionary=_dictionary(),
        truth=truth,
    )


def _draw_biotypes(rng: np.random.Generator, n: int) -> np.ndarray:
    """Biotype per participant (-1 for none), in random order."""
    shares = np.array([s for _, s in BIOTYPES] + [UNASSIGNED_SHARE])
    counts = np.floor(shares / shares.sum() * n).astype(int)
    counts[1] += n - counts.sum()
    labels = np.repeat(np.array([0, 1, 2, 3, -1]), counts)
    return rng.permutation(labels)


def _covariates(rng: np.random.Generator, n: int, scanning_sites_only: bool = False) -> pd.DataFrame:
    """Site, sex, age, ancestry and four genetic principal components, independent of biotype."""
    shares = np.array([s[1] for s in SITES])
    if scanning_sites_only:
        shares = np.where([s[3] > 0 for s in SITES], shares, 0.0)
        shares /= shares.sum()
    site = rng.choice([s[0] for s in SITES], size=n, p=shares)
    sex = rng.choice(["F", "M"], size=n, p=[0.62, 0.38])
    age = np.clip(rng.normal(48, 13, n), 18, 85).round()
    ancestry = rng.choice([a[0] for a in ANCESTRY], size=n, p=[a[1] for a in ANCESTRY])
    centres = {name: rng.normal(0, 0.05, 4) for name, *_ in ANCESTRY}
    pcs = np.stack([centres[a] for a in ancestry]) + rng.normal(0, 0.004, (n, 4))
    frame = pd.DataFrame({"site": site, "sex": sex, "age": age, "ancestry": ancestry})
    for k in range(4):
        frame[f"pc{k + 1}"] = pcs[:, k].round(5)
    return frame


def _clinical(rng: np.random.Generator, biotype: np.ndarray) -> pd.DataFrame:
    """Questionnaire scores: biotype means plus noise; participants of no biotype mix biotypes per measure."""
    n = len(biotype)
    out = {}
    for column, _, _, low, high, integer, means, sd in CLINICAL:
        source = np.where(biotype >= 0, biotype, rng.integers(0, 4, n))
        noise_sd = np.where(biotype >= 0, sd, 1.6 * sd)
        values = np.asarray(means)[source] + rng.normal(0, 1, n) * noise_sd
        values = np.clip(values, low, high)
        out[column] = values.round() if integer else values.round(1)
    frame = pd.DataFrame(out)
    frame["pain_duration_months"] = np.clip(rng.lognormal(np.log(40), 0.8, n), 3, 480).round()
    for column, rate in (("pcs_total", 0.08), ("phq9", 0.03), ("gad7", 0.03), ("psqi", 0.04), ("paindetect", 0.03)):
        frame.loc[rng.random(n) < rate, column] = np.nan
    return frame


def _outcomes(rng: np.random.Generator, biotype: np.ndarray, clinical: pd.DataFrame) -> pd.DataFrame:
    """Twelve-month pain and opioid use: outcomes that differ by biotype but are never clustered."""
    n = len(biotype)
    change = np.array([0.2, -1.0, -0.3, -0.5, 0.0])[biotype]
    pain = np.clip(clinical["pain_intensity"].to_numpy() + change + rng.normal(0, 1.2, n), 0, 10).round()
    opioid = rng.random(n) < np.array([0.35, 0.08, 0.25, 0.15, 0.2])[biotype]
    followed = rng.random(n) > 0.12
    return pd.DataFrame(
        {"outcome_pain_12m": np.where(followed, pain, np.nan), "outcome_opioid_use": np.where(followed, opioid.astype(float), np.nan)}
    )


#: Monthly hazard of treatment escalation per biotype (the last entry: participants of no biotype).
ESCALATION_HAZARD = (0.045, 0.012, 0.030, 0.022, 0.025)
#: Hazard ratio of graded activity against usual care per biotype: it helps the sleep-disturbed fatigue biotype only.
ARM_HAZARD_RATIO = (1.0, 1.0, 1.0, 0.35, 1.0)
#: Months of follow-up of the trial (administrative censoring).
FOLLOW_UP_MONTHS = 24
TRIAL_ARMS = ("usual care", "graded activity")


def _trial(seed: int, biotype: np.ndarray) -> pd.DataFrame:
    """A randomised two-arm trial: months to treatment escalation (censored), whether it happened, the arm.

    Escalation hazards differ by biotype (prognosis); graded activity lowers the hazard in one biotype
    only (:data:`ARM_HAZARD_RATIO`, a biotype × treatment interaction). Drawn from a generator of its own
    (seeded by ``[seed, 7]``) so that every other column is the same as without the trial.
    """
    rng = np.random.default_rng([seed, 7])
    n = len(biotype)
    arm = rng.integers(0, 2, n)
    hazard = np.asarray(ESCALATION_HAZARD)[biotype] * np.where(arm == 1, np.asarray(ARM_HAZARD_RATIO)[biotype], 1.0)
    time = rng.exponential(1.0 / hazard)
    dropout = rng.exponential(120.0, n)
    end = np.minimum(FOLLOW_UP_MONTHS, dropout)
    escalated = time <= end
    months = np.maximum(np.where(escalated, time, end), 0.1).round(1)
    return pd.DataFrame({"months_to_escalation": months, "escalation_event": escalated.astype(float), "arm": np.asarray(TRIAL_ARMS)[arm]})


def _prs(rng: np.random.Generator, ids: np.ndarray, biotype: np.ndarray, ancestry: np.ndarray, genotyped_share: float) -> pd.DataFrame:
    """PLINK 2 .sscore table: a share genotyped, ancestry-shifted raw scores, three ids with no participant."""
    n = len(ids)
    genotyped = rng.random(n) < genotyped_share
    offsets = {a: (shift, scale) for a, _, shift, scale in ANCESTRY}
    shift = np.array([offsets[a][0] for a in ancestry])
    scale = np.array([offsets[a][1] for a in ancestry])
    iid = np.array([i.removeprefix("sub-") for i in ids])
    frame = pd.DataFrame({"#FID": iid, "IID": iid})
    frame["ALLELE_CT"] = 2 * rng.integers(1_080_000, 1_090_000, n)
    frame["NAMED_ALLELE_DOSAGE_SUM"] = rng.normal(540_000, 900, n).round(1)
    for name, shifts in PRS_SHIFTS:
        latent = np.append(shifts, 0.0)[biotype] + rng.normal(0, 1, n)
        frame[f"{name}_AVG"] = (0.0021 + 0.00035 * (shift + scale * latent)).round(8)
    frame = frame[genotyped]
    extra = pd.DataFrame({"#FID": ["W001", "W002", "W003"], "IID": ["W001", "W002", "W003"]})
    for column in frame.columns[2:]:
        extra[column] = frame[column].iloc[:3].to_numpy()
    return pd.concat([frame, extra], ignore_index=True)


def _imaging_rows(rng: np.random.Generator, site: np.ndarray, everyone: bool = False) -> np.ndarray:
    """Indices of participants scanned: a share per site, or ``everyone`` at a site with a scanner (site-D has none); at most MAX_IMAGING."""
    scanned_share = {name: (1.0 if everyone and share > 0 else share) for name, _, _, share in SITES}
    share = np.array([scanned_share[x] for x in site])
    rows = np.flatnonzero(rng.random(len(site)) < share)
    if len(rows) > MAX_IMAGING:
        rows = np.sort(rng.choice(rows, MAX_IMAGING, replace=False))
    return rows


def _connectivity(rng: np.random.Generator, biotype: np.ndarray, site: np.ndarray) -> np.ndarray:
    """Vectorised correlation matrices: network template + biotype circuit effects + site offset + noise."""
    from analysis.cohort.atlas import bundled_atlas

    atlas = bundled_atlas(ATLAS)
    lower = np.tril_indices(atlas.n_rois, k=-1)
    networks = np.array(atlas.networks)
    labels = np.array(atlas.labels)
    same_network = networks[lower[0]] == networks[lower[1]]
    template = np.where(same_network, 0.35, 0.05) + rng.normal(0, 0.08, len(lower[0]))

    def edge(a: np.ndarray, b: np.ndarray) -> np.ndarray:
        return (a[lower[0]] & b[lower[1]]) | (b[lower[0]] & a[lower[1]])

    salience = np.char.find(labels.astype(str), "insula") >= 0
    salience |= np.isin([label.split(" ")[0] for label in labels], ["ACC", "dACC"])
    default = networks == "default"
    prefrontal = np.char.find(labels.astype(str), "PFC") >= 0
    cingulate = np.isin([label.split(" ")[0] for label in labels], ["ACC", "dACC"])
    sensorimotor = networks == "sensorimotor"
    effects = np.zeros((5, len(lower[0])))
    effects[0] = 0.15 * edge(salience, default)
    effects[2] = 0.12 * edge(sensorimotor, salience) - 0.15 * edge(prefrontal, cingulate)
    effects[3] = -0.10 * edge(default, default)
    offsets = np.array([dict((s[0], s[2]) for s in SITES)[x] for x in site])
    noise = rng.normal(0, 0.12, (len(biotype), len(lower[0])))
    values = template + effects[biotype] + offsets[:, None] + noise
    return np.clip(values, -0.95, 0.95).round(3).astype(np.float32)


def _wearables(rng: np.random.Generator, ids: np.ndarray, biotype: np.ndarray, pain_intensity: np.ndarray, share: float) -> pd.DataFrame:
    """Long daily table for a share of participants; missing days, non-wear and dropout rise with severity."""
    worn = np.flatnonzero(rng.random(len(ids)) < share)
    b = np.where(biotype[worn] >= 0, biotype[worn], rng.integers(0, 4, len(worn)))
    m, d = len(worn), N_DAYS
    p = {k: np.asarray(v)[b] for k, v in WEARABLE_PROFILE.items()}
    pain = np.empty((m, d))
    deviation = np.zeros(m)
    for day in range(d):
        deviation = 0.6 * deviation + rng.normal(0, 0.8, m)
        pain[:, day] = pain_intensity[worn] + deviation
    excess = pain - pain_intensity[worn][:, None]
    hr = p["resting_hr"][:, None] + rng.normal(0, 5, (m, 1)) + rng.normal(0, 2.5, (m, d)) + 0.4 * excess
    rmssd = p["rmssd"][:, None] * np.exp(rng.normal(0, 0.25, (m, 1)) + rng.normal(0, 0.15, (m, d)) - 0.05 * excess)
    steps = p["steps"][:, None] * np.exp(rng.normal(0, 0.3, (m, 1)) + rng.normal(0, 0.35, (m, d)) - 0.06 * excess)
    trend = np.where(b == 3, -0.8, 0.0)[:, None] * np.arange(d)
    sleep = p["sleep"][:, None] + rng.normal(0, 25, (m, 1)) + rng.normal(0, 45, (m, d)) - 8 * excess + trend
    wear = np.clip(rng.normal(1320, 60, (m, d)), 900, 1440)
    nonwear = rng.random((m, d)) < p["p_nonwear"][:, None]
    wear[nonwear] = rng.uniform(60, 500, nonwear.sum())
    recorded = rng.random((m, d)) >= p["p_missing"][:, None]
    stop = np.where(rng.random(m) < p["p_dropout"], rng.integers(10, d, m), d)
    recorded &= np.arange(d)[None, :] < stop[:, None]
    recorded[:, 0] = True
    start = np.datetime64("2025-01-06") + rng.integers(0, 300, m).astype("timedelta64[D]")
    rows, days = np.nonzero(recorded)
    frame = pd.DataFrame(
        {
            "participant_id": ids[worn][rows],
            "date": (start[rows] + days.astype("timedelta64[D]")).astype("datetime64[D]").astype(str),
            "resting_hr_bpm": hr[rows, days].round(1),
            "hrv_rmssd_ms": rmssd[rows, days].round(1),
            "steps": steps[rows, days].round(),
            "sleep_minutes": np.clip(sleep[rows, days], 120, 720).round(),
            "pain_nrs": np.clip(pain[rows, days], 0, 10).round(),
            "wear_minutes": wear[rows, days].round(),
        }
    )
    off = nonwear[rows, days]
    frame.loc[off, "hrv_rmssd_ms"] = np.nan
    frame.loc[off, "resting_hr_bpm"] = np.nan
    frame.loc[off, "steps"] = (frame.loc[off, "steps"] * 0.3).round()
    return frame


def _dictionary() -> pd.DataFrame:
    """The data dictionary of participants.csv and of the PRS scores."""
    rows = [
        ("site", "covariate", "Recruiting site (scanner differs by site; site-D has no MRI)", "", np.nan, np.nan),
        ("sex", "covariate", "Sex recorded at recruitment", "F/M", np.nan, np.nan),
        ("age", "covariate", "Age at baseline", "years", 18, 85),
        ("ancestry", "covariate", "Genetically inferred ancestry group", "", np.nan, np.nan),
    ]
    rows += [(f"pc{k}", "covariate", f"Genetic principal component {k}", "", np.nan, np.nan) for k in range(1, 5)]
    rows += [(c, "clinical", desc, unit, low, high) for c, desc, unit, low, high, *_ in CLINICAL]
    rows += [("pain_duration_months", "clinical", "Duration of the chronic pain condition", "months", 3, 480)]
    rows += [
        ("outcome_pain_12m", "outcome", "Average pain intensity at 12-month follow-up", "NRS 0-10", 0, 10),
        ("outcome_opioid_use", "outcome", "Any opioid prescription during follow-up", "0/1", 0, 1),
        (
            "months_to_escalation",
            "duration",
            "Months from randomisation to treatment escalation, or to the end of follow-up",
            "months",
            0,
            FOLLOW_UP_MONTHS,
        ),
        ("escalation_event", "event", "Treatment escalated during follow-up (1) or censored (0)", "0/1", 0, 1),
        ("arm", "treatment", "Randomised arm: usual care or graded activity", "", np.nan, np.nan),
    ]
    names = {"MCP": "multisite chronic pain", "MDD": "major depression", "INSOMNIA": "insomnia", "NEUROTICISM": "neuroticism"}
    rows += [
        (f"prs_{k.lower()}", "prs", f"Polygenic risk score for {v} (PLINK 2 SCORE_AVG)", "score", np.nan, np.nan) for k, v in names.items()
    ]
    frame = pd.DataFrame(rows, columns=["column", "modality", "description", "unit", "min", "max"])
    frame["event"] = np.where(frame["column"] == "months_to_escalation", "escalation_event", "")
    return frame
