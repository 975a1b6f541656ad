"""Do the biotypes matter beyond one dimension? Outcomes predicted by biotype against a dimensional summary.

For each outcome column (dictionary role ``outcome`` or ``validator``; never clustered) two models are
compared on the clustered participants with the outcome recorded:

- **baseline**: the covariates (numeric ones as they are, text ones with up to 20 levels one-hot)
  plus a dimensional summary of the clustered features: their first ``k`` principal components,
  ``k`` = the number of biotype levels minus one (noise counts as a level), so that the summary has
  as many degrees of freedom as the biotype indicators; or, when the run names one
  (``RunConfig.severity_score``), that composite severity score;
- **with biotypes**: the baseline plus the biotype indicators.

L2-penalised logistic regression (C = 1) for a two-valued outcome (metric: AUC), a Cox
proportional-hazards model (scikit-survival; L2 penalty of the same strength) for a time-to-event outcome
(a duration and an event column; metric: Harrell's C-index), ridge regression (penalty chosen by
leave-one-out) otherwise (metric: R²), on standardised columns. The gain is the
difference of the pooled out-of-fold metrics, both models cross-validated on the same folds
(grouped by site when the cohort has two or more sites, so that a site is never in its own training
folds; otherwise 5 folds, stratified for two-valued outcomes), with every step, principal
components included, fitted on the training folds only. Its 95% interval comes from 200
out-of-bootstrap refits (both models fitted on a draw of participants with replacement, scored on
those left out), so it holds the variation from refitting as well as from sampling; participants,
not sites, are resampled. The p-value is the likelihood-ratio test of the biotype indicators in the
nested unpenalised models fitted on everyone (statsmodels): valid because the outcome took no part
in forming the biotypes, which are then fixed columns of the design.

"The biotypes add nothing beyond the dimensional summary" is then a result: a gain whose interval
includes 0 and a large p-value.
"""

from __future__ import annotations

import time
import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd

from analysis.cohort.roles import is_integer_code

#: At least this many participants with the outcome recorded, and for a two-valued outcome at least
#: this many of each value, or the outcome is not assessed (the reason is recorded).
MIN_PARTICIPANTS = 30
MIN_PER_CLASS = 10
#: Out-of-bootstrap refits of the gain's interval.
BOOTSTRAP_REFITS = 200
#: Refits of a time-to-event outcome's interval: a Cox fit costs about ten times a logistic one.
COX_REFITS = 100
#: Above this many participants, each Cox refit draws this many (an m-out-of-n bootstrap): the
#: interval is then wider than the cohort's own, i.e. conservative; run.json records the size.
COX_REFIT_SIZE = 5_000
#: Most processes the refits of an interval are spread over (they change no result, only the time).
MAX_REFIT_WORKERS = 8
#: Ridge penalties searched (by leave-one-out) for numeric outcomes.
RIDGE_PENALTIES = np.logspace(-3, 3, 13)
#: Folds of the cross-validation without sites.
N_FOLDS = 5
#: Text covariates with more levels than this are left out of the baseline.
MAX_COVARIATE_LEVELS = 20
#: How each metric is written.
METRIC_NAMES = {"auc": "AUC", "r2": "R²", "c_index": "C-index"}


@dataclass(frozen=True)
class OutcomeValue:
    """What knowing the biotype adds to the prediction of one outcome.

    Attributes
    ----------
    outcome : str
        The column (the duration column of a time-to-event outcome).
    metric : {"auc", "r2", "c_index"}
    n : int
        Participants with the outcome recorded (clustered ones, noise included).
    baseline_score, with_biotypes_score : float
        Cross-validated metric of each model (pooled out-of-fold predictions).
    gain, ci_low, ci_high : float
        ``with_biotypes_score - baseline_score`` and its 95% out-of-bootstrap interval.
    p_value : float
        Likelihood-ratio test of the biotype indicators (NaN where the models could not be fitted).
    lr_statistic : float
    df : int
        Degrees of freedom of the test (biotype levels minus one).
    baseline : str
        What the biotypes were compared with, in words.
    folds : str
        How the cross-validation was split, in words.
    note : str
        Why the outcome was not assessed ("" when it was; then every number is NaN).
    event : str
        The event column of a time-to-event outcome ("" otherwise).
    resamples : int
        Out-of-bootstrap refits the interval comes from.
    resample_size : int
        Participants drawn per refit (``n``, or :data:`COX_REFIT_SIZE` for a larger time-to-event outcome).
    """

    outcome: str
    metric: str
    n: int
    baseline_score: float
    with_biotypes_score: float
    gain: float
    ci_low: float
    ci_high: float
    p_value: float
    lr_statistic: float
    df: int
    baseline: str
    folds: str
    note: str = ""
    event: str = ""
    resamples: int = 0
    resample_size: int = 0

    @property
    def adds_value(self) -> bool:
        """The gain's interval lies above 0 and the likelihood-ratio test is significant at 0.05."""
        return bool(self.ci_low > 0 and self.p_value <= 0.05)

    def reading(self) -> str:
        """One sentence for tables and the report."""
        if self.note:
            return f"not assessed: {self.note}"
        name = METRIC_NAMES[self.metric]
        gain = f"{name} {self.baseline_score:.3f} → {self.with_biotypes_score:.3f} (gain {self.gain:+.3f}, 95% CI {self.ci_low:+.3f} to {self.ci_high:+.3f}; LR test p {_p_text(self.p_value)})"
        if self.adds_value:
            return f"the biotypes add to {self.baseline}: {gain}"
        return f"the biotypes add nothing demonstrable beyond {self.baseline}: {gain}"

    def to_dict(self) -> dict:
        """Plain JSON-ready values, as run.json records them."""
        return {
            "outcome": self.outcome,
            "event": self.event,
            "metric": self.metric,
            "n": self.n,
            "baseline_score": _finite(self.baseline_score),
            "with_biotypes_score": _finite(self.with_biotypes_score),
            "gain": _finite(self.gain),
            "ci_low": _finite(self.ci_low),
            "ci_high": _finite(self.ci_high),
            "p_value": _significant(self.p_value),
            "lr_statistic": _finite(self.lr_statistic),
            "df": self.df,
            "baseline": self.baseline,
            "folds": self.folds,
            "adds_value": self.adds_value,
            "resamples": self.resamples,
            "resample_size": self.resample_size,
            "note": self.note,
        }


@dataclass(frozen=True)
class ClinicalValue:
    """Clinical value of a run's biotypes, one entry per outcome.

    Attributes
    ----------
    outcomes : tuple of OutcomeValue
        Prognostic value: what the biotypes add to each outcome (time-to-event ones included).
    survival : tuple of SurvivalByBiotype
        Kaplan-Meier curves and log-rank test of each time-to-event outcome.
    interactions : tuple of TreatmentInteraction
        Predictive value: the biotype × treatment interaction of each outcome, when the cohort has a
        randomised treatment-arm column.
    notes : tuple of str
        Outcomes that could not be set up (an unpaired duration column, a treatment column with
        other than two arms).
    seconds : float
    """

    outcomes: tuple[OutcomeValue, ...]
    survival: tuple = ()
    interactions: tuple = ()
    notes: tuple[str, ...] = ()
    seconds: float = 0.0

    def table(self) -> pd.DataFrame:
        """One row per outcome (the :meth:`OutcomeValue.to_dict` keys)."""
        return pd.DataFrame([o.to_dict() for o in self.outcomes])

    def to_dict(self) -> dict:
        """Plain JSON-ready values, as run.json records them."""
        return {
            "outcomes": [o.to_dict() for o in self.outcomes],
            "survival": [s.to_dict() for s in self.survival],
            "treatment_interactions": [i.to_dict() for i in self.interactions],
            "notes": list(self.notes),
            "seconds": round(self.seconds, 1),
        }


def _p_text(p: float) -> str:
    """The p-value as written: "= 0.0071", "< 0.001", or "not computed" where the models could not be fitted."""
    from analysis.validity.structure import p_text

    return p_text(p) if np.isfinite(p) else "not computed"


def _significant(p: float) -> float | None:
    """A p-value to 3 significant digits; one that underflowed to 0 is written as the smallest positive double, never 0."""
    if p is None or not np.isfinite(p):
        return None
    return float(f"{max(float(p), np.finfo(float).tiny):.3g}")


def _finite(value: float) -> float | None:
    return round(float(value), 4) if value is not None and np.isfinite(value) else None


def covariate_matrix(frame: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    """The covariates as numbers: numeric columns median-imputed, text columns (2 to 20 levels) one-hot with the first level dropped.

    An integer code with 3 to 12 values (:func:`analysis.cohort.roles.is_integer_code`: a race code, a year)
    is one-hot too, its missing values a level of their own: its codes are not distances.

    Parameters
    ----------
    frame : DataFrame
        Participants (rows) by columns.
    columns : list of str
        Covariate columns.

    Returns
    -------
    DataFrame
        Same index; constant columns dropped.
    """
    parts = []
    for c in columns:
        values = frame[c]
        if is_integer_code(c, values) and values.nunique() > 2:
            text = values.map(lambda v: f"{v:g}", na_action="ignore").astype("string").fillna("missing")
            parts.append(pd.get_dummies(text, prefix=c, drop_first=True, dtype=float))
        elif pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
            parts.append(values.astype(float).fillna(values.median()).rename(c))
        else:
            text = values.astype("string").fillna("missing")
            if 2 <= text.nunique() <= MAX_COVARIATE_LEVELS:
                parts.append(pd.get_dummies(text, prefix=c, drop_first=True, dtype=float))
    if not parts:
        return pd.DataFrame(index=frame.index)
    out = pd.concat(parts, axis=1)
    return out.loc[:, out.std() > 0]


def outcome_kind(values: pd.Series) -> tuple[str, np.ndarray | None]:
    """``("auc", 0/1 array)`` for a two-valued outcome, ``("r2", floats)`` for a numeric one, ``("", None)`` otherwise.

    Missing values stay NaN; a two-valued outcome's larger (or later, for text) value is 1.
    """
    recorded = values.dropna()
    levels = sorted(recorded.unique().tolist(), key=str)
    if len(levels) == 2:
        return "auc", pd.to_numeric(values.map({levels[0]: 0.0, levels[1]: 1.0})).to_numpy(dtype=float, na_value=np.nan)
    if pd.api.types.is_numeric_dtype(values) and len(levels) > 2:
        return "r2", values.astype("Float64").to_numpy(dtype=float, na_value=np.nan)
    return "", None


def cv_folds(y: np.ndarray, metric: str, sites: np.ndarray | None, seed: int) -> tuple[list[tuple[np.ndarray, np.ndarray]], str]:
    """Train/test index pairs: one per site when there are two or more sites, else 5 (stratified for AUC and by event for C-index); and their description."""
    from sklearn.model_selection import GroupKFold, KFold, StratifiedKFold

    strata = _strata(metric, y)
    if sites is not None and len(set(sites.tolist())) >= 2:
        n_sites = len(set(sites.tolist()))
        folds = list(GroupKFold(n_splits=min(N_FOLDS, n_sites)).split(np.zeros(len(y)), groups=sites))
        if strata is None or all(len(set(strata[test].tolist())) == 2 for _, test in folds):
            return folds, f"{len(folds)} folds grouped by site (no site in its own training folds)"
    if strata is None:
        return list(KFold(N_FOLDS, shuffle=True, random_state=seed).split(y)), f"{N_FOLDS} folds"
    folds = list(StratifiedKFold(N_FOLDS, shuffle=True, random_state=seed).split(strata, strata))
    return folds, f"{N_FOLDS} folds, stratified by " + ("outcome" if metric == "auc" else "event")


def _strata(metric: str, y: np.ndarray) -> np.ndarray | None:
    """What folds and resamples must hold both values of: the outcome (AUC), the event indicator (C-index), nothing (R²)."""
    return y if metric == "auc" else y[:, 1] if metric == "c_index" else None


def _model(metric: str, n: int):
    """Lightly penalised models: L2 logistic regression (C = 1), Cox with the same total L2 penalty, ridge with its penalty chosen by leave-one-out.

    The biotype indicators are often nearly collinear with the principal components; unpenalised,
    that collinearity alone costs out-of-sample accuracy, which would read as negative value.
    Logistic regression's C = 1 is a penalty of ||β||² / 2 on the log-likelihood, as is the Cox
    model's ``alpha = 1``.
    """
    from sklearn.linear_model import LogisticRegression, RidgeCV

    from analysis.outcomes.survival import CoxModel

    if metric == "auc":
        return LogisticRegression(C=1.0, max_iter=2000)
    if metric == "c_index":
        return CoxModel(penalty=1.0)
    return RidgeCV(alphas=RIDGE_PENALTIES)


def _design(covariates: np.ndarray, summary: np.ndarray, indicators: np.ndarray | None) -> np.ndarray:
    parts = [covariates, summary] + ([indicators] if indicators is not None else [])
    return np.column_stack([p for p in parts if p.shape[1]]) if any(p.shape[1] for p in parts) else np.zeros((len(summary), 0))


@dataclass(frozen=True)
class Designs:
    """What the two models are built from, for the participants with the outcome recorded.

    Attributes
    ----------
    metric : {"auc", "r2", "c_index"}
    y : ndarray of shape (n,), or (n, 2) (duration, event) for C-index
    covariates : ndarray of shape (n, c)
    features : ndarray of shape (n, p)
        The clustered features (their principal components are fitted on each training set).
    indicators : ndarray of shape (n, levels - 1)
        Biotype indicators (the first level is the reference).
    k : int
        Principal components of the dimensional summary.
    severity : ndarray of shape (n,), optional
        The named severity score, used instead of the components.
    """

    metric: str
    y: np.ndarray
    covariates: np.ndarray
    features: np.ndarray
    indicators: np.ndarray
    k: int
    severity: np.ndarray | None

    def predictions(self, train: np.ndarray, test: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Both models fitted on ``train`` (scaling and components included) and predicting ``test``: (baseline, with biotypes)."""
        from sklearn.decomposition import PCA
        from sklearn.preprocessing import StandardScaler

        if self.severity is not None:
            summary_train, summary_test = self.severity[train][:, None], self.severity[test][:, None]
        else:
            pca = PCA(n_components=self.k, random_state=0).fit(self.features[train])
            summary_train, summary_test = pca.transform(self.features[train]), pca.transform(self.features[test])
        out = []
        for extra in (None, self.indicators):
            x_train = _design(self.covariates[train], summary_train, None if extra is None else extra[train])
            x_test = _design(self.covariates[test], summary_test, None if extra is None else extra[test])
            scaler = StandardScaler().fit(x_train)
            model = _model(self.metric, len(train)).fit(scaler.transform(x_train), self.y[train])
            x_test = scaler.transform(x_test)
            out.append(model.predict_proba(x_test)[:, 1] if self.metric == "auc" else model.predict(x_test))
        return out[0], out[1]


def out_of_fold(designs: Designs, folds: list[tuple[np.ndarray, np.ndarray]]) -> tuple[np.ndarray, np.ndarray]:
    """Out-of-fold predictions of the baseline and of the model with biotypes (probabilities for AUC, log relative hazards for C-index), each shape (n,)."""
    base, full = np.full(len(designs.y), np.nan), np.full(len(designs.y), np.nan)
    for train, test in folds:
        base[test], full[test] = designs.predictions(train, test)
    return base, full


def score(metric: str, y: np.ndarray, predicted: np.ndarray) -> float:
    """AUC, R² or C-index of predictions; NaN for AUC when ``y`` holds one value, for C-index when no event."""
    from sklearn.metrics import r2_score, roc_auc_score

    from analysis.outcomes.survival import concordance

    if metric == "c_index":
        return concordance(y, predicted)
    if metric == "auc":
        return float(roc_auc_score(y, predicted)) if len(set(y.tolist())) == 2 else float("nan")
    return float(r2_score(y, predicted))


def refit_gain_interval(designs: Designs, seed: int, resamples: int = BOOTSTRAP_REFITS, size: int | None = None) -> tuple[float, float]:
    """95% percentile interval of the gain over out-of-bootstrap refits.

    Each resample draws the participants with replacement, fits both models on the draw (principal
    components included) and scores them on the participants left out of it (about 37%), so the
    interval holds the variation from refitting as well as from sampling (the .632 bootstrap's
    out-of-bag estimate; Efron & Tibshirani 1997). ``size`` smaller than the cohort draws that many
    per resample (m-out-of-n) and scores at most that many of those left out, which widens the interval.
    The draws are made here, in order, from the seed; the refits then run in :func:`refit_workers`
    processes, which changes no gain.

    Returns
    -------
    (low, high) : tuple of float
    """
    from joblib import Parallel, delayed

    draws = resample_draws(designs, seed, resamples, size)
    workers = min(refit_workers(), len(draws))
    if workers > 1:
        chunks = [draws[k::workers] for k in range(workers)]
        parts = Parallel(n_jobs=workers, backend="loky", max_nbytes=None)(delayed(refit_gains)(designs, chunk) for chunk in chunks)
        gains = [g for part in parts for g in part]
    else:
        gains = refit_gains(designs, draws)
    if not gains:
        return float("nan"), float("nan")
    low, high = np.percentile(gains, [2.5, 97.5])
    return float(low), float(high)


def refit_workers() -> int:
    """Processes the out-of-bootstrap refits run in: every core of this machine, at most :data:`MAX_REFIT_WORKERS`."""
    import os

    return max(1, min(MAX_REFIT_WORKERS, os.cpu_count() or 1))


def resample_draws(designs: Designs, seed: int, resamples: int, size: int | None) -> list[tuple[np.ndarray, np.ndarray]]:
    """The out-of-bootstrap draws of :func:`refit_gain_interval`: (drawn, left out) index arrays, in order.

    A draw whose drawn or left-out participants hold a single stratum (one outcome value, or no
    event) cannot be scored and is left out.
    """
    rng = np.random.default_rng([seed, 6])
    n = len(designs.y)
    size = n if size is None else min(size, n)
    strata = _strata(designs.metric, designs.y)
    draws = []
    for _ in range(resamples):
        drawn = rng.integers(0, n, size)
        left_out = np.setdiff1d(np.arange(n), drawn)
        if len(left_out) > size:  # an m-out-of-n draw is scored on as many of those left out
            left_out = np.sort(rng.choice(left_out, size, replace=False))
        if strata is not None and (len(set(strata[drawn].tolist())) < 2 or len(set(strata[left_out].tolist())) < 2):
            continue
        draws.append((drawn, left_out))
    return draws


def refit_gains(designs: Designs, draws: list[tuple[np.ndarray, np.ndarray]]) -> list[float]:
    """The gain of each draw: both models fitted on the drawn participants and scored on those left out.

    A Cox fit that does not converge on a draw skips that draw; any other failure is raised.
    """
    gains = []
    for drawn, left_out in draws:
        try:
            base, full = designs.predictions(drawn, left_out)
        except Exception:  # a Cox fit that does not converge on this draw; the draw is skipped
            if designs.metric != "c_index":
                raise
            continue
        gains.append(score(designs.metric, designs.y[left_out], full) - score(designs.metric, designs.y[left_out], base))
    return gains


def likelihood_ratio(metric: str, y: np.ndarray, baseline: np.ndarray, indicators: np.ndarray) -> tuple[float, float]:
    """Likelihood-ratio statistic and chi-squared p of the indicators added to the baseline design (statsmodels, fitted on everyone, unpenalised)."""
    from scipy.stats import chi2

    try:
        small, large = nested_log_likelihoods(metric, y, baseline, indicators)
    except Exception:  # perfect separation or a singular design: no valid test
        return float("nan"), float("nan")
    statistic = max(0.0, 2 * (large - small))
    df = indicators.shape[1]
    return float(statistic), float(chi2.sf(statistic, df))


def nested_log_likelihoods(metric: str, y: np.ndarray, small: np.ndarray, extra: np.ndarray) -> tuple[float, float]:
    """Log-likelihoods of the unpenalised model on ``small`` and on ``small`` plus ``extra`` (logistic, Cox or linear).

    Raises whatever the fit raises (perfect separation, a singular design).
    """
    import statsmodels.api as sm

    from analysis.outcomes.survival import unpenalised_cox

    large = np.column_stack([small, extra])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if metric == "c_index":
            return unpenalised_cox(small, y)[2], unpenalised_cox(large, y)[2]
        family = sm.Logit if metric == "auc" else sm.OLS
        fits = []
        for d in (small, large):
            model = family(y, sm.add_constant(d, has_constant="add"))
            fits.append(model.fit(disp=0) if metric == "auc" else model.fit())
    return float(fits[0].llf), float(fits[1].llf)


def clinical_value(
    frame: pd.DataFrame,
    outcomes: list[str],
    covariates: list[str],
    features: np.ndarray,
    numbers: np.ndarray,
    sites: np.ndarray | None,
    seed: int,
    severity_score: str = "",
    time_to_event: tuple = (),
    treatment: str = "",
    notes: tuple[str, ...] = (),
) -> ClinicalValue:
    """What the biotypes add to the prediction of each outcome (see the module docstring).

    Parameters
    ----------
    frame : DataFrame
        The clustered participants' rows of the participants table (outcome, covariate, severity,
        duration, event and treatment columns), in the order of ``features``.
    outcomes : list of str
        Outcome and validator columns.
    covariates : list of str
        Covariate columns of the baseline.
    features : ndarray of shape (n, p)
        The run's fused features (what was clustered).
    numbers : ndarray of int, shape (n,)
        Biotype numbers (1-based, -1 noise).
    sites : ndarray of shape (n,), optional
        Site per participant; folds are grouped by it.
    seed : int
    severity_score : str
        A column of ``frame`` to use as the dimensional summary instead of principal components.
    time_to_event : sequence of analysis.outcomes.survival.TimeToEvent
        Duration and event columns of time-to-event outcomes.
    treatment : str
        A randomised treatment-arm column: it joins the baseline's covariates (prognosis), and the
        biotype × treatment interaction of every outcome is reported apart
        (:func:`analysis.outcomes.treatment.treatment_interaction`).
    notes : tuple of str
        Set-up problems found before (unpaired duration columns), carried into the result.

    Returns
    -------
    ClinicalValue
    """
    from analysis.outcomes.survival import event_indicator, survival_by_biotype, unassessed_survival
    from analysis.outcomes.treatment import treatment_arms, treatment_interaction

    started = time.perf_counter()
    numbers = np.asarray(numbers)
    levels = sorted(set(numbers.tolist()))
    # as many components as biotype indicators, but never more than the clustered features have
    k = max(1, min(len(levels) - 1, np.asarray(features).shape[1]))
    notes = list(notes)
    arms, arm_note = treatment_arms(frame[treatment]) if treatment else (None, "")
    if arm_note:
        notes.append(f"treatment column '{treatment}': {arm_note}; its interaction with the biotypes is not assessed")
    baseline_columns = [c for c in covariates if c not in outcomes and c != severity_score] + ([treatment] if treatment else [])
    covariate_frame = covariate_matrix(frame, baseline_columns)
    named = ", ".join(baseline_columns)
    if severity_score:
        baseline = (f"covariates ({named}) and " if named else "") + f"the severity score {severity_score}"
    else:
        pcs = f"the first {k} principal component{'s' if k > 1 else ''} of the clustered features"
        baseline = (f"covariates ({named}) and " if named else "") + pcs
    targets = [(outcome, "", *outcome_kind(frame[outcome])) for outcome in outcomes]
    for pair in time_to_event:
        duration = frame[pair.duration].to_numpy(dtype=float)
        event = event_indicator(frame[pair.event])
        if event is None:
            event = np.full(len(frame), np.nan)
        targets.append((pair.duration, pair.event, "c_index", np.column_stack([duration, event])))
    results, survival, interactions = [], [], []
    for outcome, event, metric, values in targets:
        recorded = np.isfinite(values).all(axis=1) if metric == "c_index" else np.isfinite(values) if values is not None else None
        if recorded is None:
            recorded = np.zeros(len(frame), dtype=bool)
        if severity_score:
            recorded &= frame[severity_score].notna().to_numpy()
        note = _not_assessable(metric, values, recorded, len(levels))
        if metric == "c_index":
            events = int(values[recorded, 1].sum())
            survival.append(
                unassessed_survival(outcome, event, int(recorded.sum()), events, note)
                if note
                else survival_by_biotype(outcome, event, values[recorded, 0], values[recorded, 1], numbers[recorded])
            )
        if note:
            results.append(_unassessed(outcome, metric, int(recorded.sum()), baseline, note, event))
            continue
        y = values[recorded]
        group = numbers[recorded]
        present = sorted(set(group.tolist()))
        indicators = (group[:, None] == np.array(present[1:])[None, :]).astype(float)
        cov = covariate_frame.to_numpy(dtype=float)[recorded]
        severity = frame[severity_score].to_numpy(dtype=float)[recorded] if severity_score else None
        x = np.asarray(features, dtype=float)[recorded]
        designs = Designs(metric, y, cov, x, indicators, k, severity)
        folds, described = cv_folds(y, metric, None if sites is None else np.asarray(sites)[recorded], seed)
        base, full = out_of_fold(designs, folds)
        base_score, full_score = score(metric, y, base), score(metric, y, full)
        resamples, size = (COX_REFITS, min(len(y), COX_REFIT_SIZE)) if metric == "c_index" else (BOOTSTRAP_REFITS, len(y))
        low, high = refit_gain_interval(designs, seed, resamples, size)
        summary = severity[:, None] if severity is not None else _components(x, k)
        statistic, p = likelihood_ratio(metric, y, _design(cov, summary, None), indicators)
        results.append(
            OutcomeValue(
                outcome, metric, len(y), base_score, full_score, full_score - base_score, low, high, p, statistic,
                indicators.shape[1], baseline, described, "", event, resamples, size,
            )
        )  # fmt: skip
        if arms is not None:
            others = covariate_matrix(frame, [c for c in baseline_columns if c != treatment]).to_numpy(dtype=float)[recorded]
            interactions.append(treatment_interaction(outcome, event, metric, y, group, arms[recorded], treatment, others, summary))
    return ClinicalValue(tuple(results), tuple(survival), tuple(interactions), tuple(notes), time.perf_counter() - started)


def _components(x: np.ndarray, k: int) -> np.ndarray:
    from sklearn.decomposition import PCA

    return PCA(n_components=k, random_state=0).fit_transform(x)


def _not_assessable(metric: str, values: np.ndarray | None, recorded: np.ndarray, n_levels: int) -> str:
    if not metric:
        return "neither two-valued nor numeric"
    if n_levels < 2:
        return "fewer than two biotype levels"
    n = int(recorded.sum())
    if n < MIN_PARTICIPANTS:
        return f"recorded for {n} clustered participants (at least {MIN_PARTICIPANTS} needed)"
    if metric == "auc":
        ones = int(values[recorded].sum())
        if min(ones, n - ones) < MIN_PER_CLASS:
            return f"{min(ones, n - ones)} participants have the rarer value (at least {MIN_PER_CLASS} needed)"
    if metric == "c_index":
        events = int(values[recorded, 1].sum())
        if events < MIN_PER_CLASS:
            return f"{events} events among them (at least {MIN_PER_CLASS} needed)"
    return ""


def _unassessed(outcome: str, metric: str, n: int, baseline: str, note: str, event: str = "") -> OutcomeValue:
    nan = float("nan")
    return OutcomeValue(outcome, metric or "r2", n, nan, nan, nan, nan, nan, nan, nan, 0, baseline, "", note, event)
