"""Time-to-event outcomes by biotype: Kaplan-Meier curves, the log-rank test and Cox models (scikit-survival, statsmodels).

A time-to-event outcome is a pair of columns of the participants table: a **duration** (time from
baseline to the event or to the end of follow-up, in the unit the data dictionary gives it) and an
**event** indicator (1 = the event happened at that time, 0 = censored then). The data dictionary
declares them (modalities ``duration`` and ``event``); a duration row names its event column in the
dictionary's ``event`` column, or, when the cohort has a single event column, pairs with it.

The biotypes are fixed before the outcome is looked at (it is never clustered), so the log-rank
test across biotypes and the likelihood-ratio test of the biotype terms in a Cox model are valid
tests of association with the outcome.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd

#: Yes/no texts read as an event indicator (compared ignoring case).
_EVENT_TEXT = {"1": 1.0, "0": 0.0, "yes": 1.0, "no": 0.0, "true": 1.0, "false": 0.0, "y": 1.0, "n": 0.0}


@dataclass(frozen=True)
class TimeToEvent:
    """A duration column and the event column that says whether each duration ended in the event."""

    duration: str
    event: str


def event_indicator(values: pd.Series) -> np.ndarray | None:
    """The event column as floats (1 event, 0 censored, NaN missing), or None when it is not 0/1 or yes/no.

    Parameters
    ----------
    values : Series
        The column as loaded (float64, or text).

    Returns
    -------
    ndarray of shape (n,) or None
    """
    if pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
        numbers = values.astype(float)
        return numbers.to_numpy() if set(numbers.dropna().unique().tolist()) <= {0.0, 1.0} else None
    text = values.astype("string").str.strip().str.lower()
    mapped = text.map(_EVENT_TEXT)
    if (text.notna() & mapped.isna()).any():
        return None
    return mapped.astype(float).to_numpy()


def time_to_event_pairs(modality: dict[str, str], named_events: dict[str, str]) -> tuple[list[TimeToEvent], list[str]]:
    """Pair each duration column with its event column.

    Parameters
    ----------
    modality : dict of str to str
        Column → modality of the participants table.
    named_events : dict of str to str
        Duration column → event column, as the data dictionary's ``event`` column names them.

    Returns
    -------
    pairs : list of TimeToEvent
    unpaired : list of str
        One sentence per duration column that could not be paired (it is then not analysed).
    """
    durations = [c for c, kind in modality.items() if kind == "duration"]
    events = [c for c, kind in modality.items() if kind == "event"]
    pairs, unpaired = [], []
    for duration in durations:
        event = named_events.get(duration) or (events[0] if len(events) == 1 else "")
        if event:
            pairs.append(TimeToEvent(duration, event))
        else:
            unpaired.append(
                f"duration column '{duration}' has no event column "
                f"({len(events)} event columns in the cohort): name it in the data dictionary's 'event' column"
            )
    return pairs, unpaired


@dataclass(frozen=True)
class SurvivalByBiotype:
    """Kaplan-Meier curves of one time-to-event outcome per biotype, and the log-rank test across them.

    Attributes
    ----------
    outcome, event : str
        The duration and event columns.
    n, events : int
        Clustered participants with both recorded, and how many of them had the event.
    curves : DataFrame
        One row per biotype and time at which the estimate changes: ``biotype`` (1-based, -1 noise),
        ``time`` (the duration's unit, starting at 0), ``survival`` (the Kaplan-Meier estimate of the
        share still event-free), ``ci_low``, ``ci_high`` (95% exponential Greenwood interval), ``at_risk``.
    medians : DataFrame
        One row per biotype: ``biotype``, ``n``, ``events``, ``median`` (time at which half have had
        the event; NaN when the curve never reaches 0.5), ``median_low``, ``median_high``.
    logrank_statistic, logrank_p : float
        Log-rank test that the biotypes (noise as its own group) share one survival curve.
    logrank_df : int
    note : str
        Why the outcome was not assessed ("" when it was).
    """

    outcome: str
    event: str
    n: int
    events: int
    curves: pd.DataFrame
    medians: pd.DataFrame
    logrank_statistic: float
    logrank_df: int
    logrank_p: float
    note: str = ""

    def reading(self) -> str:
        """One sentence: the log-rank test, in words."""
        from analysis.outcomes.clinical_value import _p_text

        if self.note:
            return f"{self.outcome}: not assessed ({self.note})"
        return (
            f"{self.outcome} ({self.events} events among {self.n}): log-rank χ² = {self.logrank_statistic:.1f}, "
            f"df = {self.logrank_df}, p {_p_text(self.logrank_p)}"
        )

    def to_dict(self) -> dict:
        """Plain JSON-ready values, as run.json records them."""
        from analysis.outcomes.clinical_value import _finite, _significant

        medians = [
            {
                "biotype": int(row.biotype),
                "n": int(row.n),
                "events": int(row.events),
                "median": _finite(row.median),
                "median_low": _finite(row.median_low),
                "median_high": _finite(row.median_high),
            }
            for row in self.medians.itertuples()
        ]
        return {
            "outcome": self.outcome,
            "event": self.event,
            "n": self.n,
            "events": self.events,
            "logrank_statistic": _finite(self.logrank_statistic),
            "logrank_df": self.logrank_df,
            "logrank_p": _significant(self.logrank_p),
            "medians": medians,
            "note": self.note,
        }


def survival_by_biotype(outcome: str, event: str, durations: np.ndarray, events: np.ndarray, numbers: np.ndarray) -> SurvivalByBiotype:
    """Kaplan-Meier curves per biotype and the log-rank test across biotypes (scikit-survival).

    Parameters
    ----------
    outcome, event : str
        Column names (for the result).
    durations, events : ndarray of shape (n,)
        Recorded durations (≥ 0) and 0/1 event indicators of the participants to compare.
    numbers : ndarray of int, shape (n,)
        Biotype numbers (1-based, -1 noise).

    Returns
    -------
    SurvivalByBiotype
        The median's interval is where the pointwise 95% band crosses 0.5.
    """
    from sksurv.compare import compare_survival
    from sksurv.nonparametric import kaplan_meier_estimator

    durations, happened = np.asarray(durations, dtype=float), np.asarray(events, dtype=float) == 1
    curves, medians = [], []
    for biotype in sorted(set(numbers.tolist())):
        chosen = numbers == biotype
        times, survival, band = kaplan_meier_estimator(happened[chosen], durations[chosen], conf_type="log-log")
        if times[0] > 0:
            times, survival, band = np.r_[0.0, times], np.r_[1.0, survival], np.column_stack([[1.0, 1.0], band])
        ordered = np.sort(durations[chosen])
        at_risk = len(ordered) - np.searchsorted(ordered, times, side="left")
        curves.append(
            pd.DataFrame(
                {"biotype": biotype, "time": times, "survival": survival, "ci_low": band[0], "ci_high": band[1], "at_risk": at_risk}
            )
        )
        medians.append(
            {
                "biotype": biotype,
                "n": int(chosen.sum()),
                "events": int(happened[chosen].sum()),
                "median": _time_reaching_half(times, survival),
                "median_low": _time_reaching_half(times, band[0]),
                "median_high": _time_reaching_half(times, band[1]),
            }
        )
    structured = np.array(list(zip(happened, durations, strict=True)), dtype=[("event", bool), ("time", float)])
    statistic, p_value = compare_survival(structured, numbers)
    return SurvivalByBiotype(
        outcome, event, len(durations), int(happened.sum()), pd.concat(curves, ignore_index=True), pd.DataFrame(medians),
        float(statistic), len(set(numbers.tolist())) - 1, float(p_value),
    )  # fmt: skip


def _time_reaching_half(times: np.ndarray, curve: np.ndarray) -> float:
    """First time at which a (step) curve is at or below 0.5; NaN when it never is."""
    below = np.flatnonzero(np.nan_to_num(curve, nan=1.0) <= 0.5)
    return float(times[below[0]]) if len(below) else float("nan")


def unassessed_survival(outcome: str, event: str, n: int, events: int, note: str) -> SurvivalByBiotype:
    """A time-to-event outcome that could not be assessed, with the reason."""
    empty = pd.DataFrame(columns=["biotype", "time", "survival", "ci_low", "ci_high", "at_risk"])
    medians = pd.DataFrame(columns=["biotype", "n", "events", "median", "median_low", "median_high"])
    return SurvivalByBiotype(outcome, event, n, events, empty, medians, float("nan"), 0, float("nan"), note)


def surv_array(y: np.ndarray) -> np.ndarray:
    """(duration, event) pairs of shape (n, 2) as scikit-survival's structured array (fields event, time)."""
    return np.array(list(zip(y[:, 1] == 1, y[:, 0], strict=True)), dtype=[("event", bool), ("time", float)])


class CoxModel:
    """An L2-penalised Cox proportional-hazards model with the fit/predict shape of a scikit-learn regressor.

    Parameters
    ----------
    penalty : float
        scikit-survival's ``alpha``: the penalty is ``penalty × ||β||² / 2`` on the log partial likelihood
        (Breslow's handling of tied times).

    Notes
    -----
    ``fit(x, y)`` takes ``y`` of shape (n, 2): duration, event. ``predict(x)`` returns the linear
    predictor ``x @ β`` (a log relative hazard: higher means earlier events).
    """

    def __init__(self, penalty: float = 1.0):
        self.penalty = penalty

    def fit(self, x: np.ndarray, y: np.ndarray) -> CoxModel:
        """Fit on ``x`` (n, p) and ``y`` (n, 2: duration, event); returns self."""
        from sksurv.linear_model import CoxPHSurvivalAnalysis

        x = np.asarray(x, dtype=float)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            self.model_ = CoxPHSurvivalAnalysis(alpha=self.penalty, ties="breslow").fit(x, surv_array(y))
        self.coef_ = self.model_.coef_
        return self

    def predict(self, x: np.ndarray) -> np.ndarray:
        """The linear predictor (log relative hazard) of each row of ``x``, shape (n,)."""
        return np.asarray(x, dtype=float) @ self.coef_


def unpenalised_cox(design: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray, float]:
    """The unpenalised Cox model of ``design`` (no intercept) fitted on everyone (statsmodels PHReg, Breslow ties).

    Parameters
    ----------
    design : ndarray of shape (n, p)
    y : ndarray of shape (n, 2)
        Duration, event.

    Returns
    -------
    params : ndarray of shape (p,)
    covariance : ndarray of shape (p, p)
    log_likelihood : float
        The log partial likelihood. A column constant in ``design`` carries no information: its
        coefficient and covariance are 0.

    Raises
    ------
    ValueError
        When the fit does not converge to finite coefficients (an indicator with no event, say).
    """
    from statsmodels.duration.hazard_regression import PHReg

    design = np.asarray(design, dtype=float)
    varying = np.flatnonzero(design.std(axis=0) > 0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = PHReg(y[:, 0], design[:, varying], status=y[:, 1], ties="breslow").fit(disp=False)
    params, covariance = np.zeros(design.shape[1]), np.zeros((design.shape[1],) * 2)
    params[varying] = result.params
    covariance[np.ix_(varying, varying)] = result.cov_params()
    if not (np.isfinite(params).all() and np.isfinite(covariance).all() and np.isfinite(result.llf)):
        raise ValueError("the Cox model did not converge")
    return params, covariance, float(result.llf)


def concordance(y: np.ndarray, risk: np.ndarray) -> float:
    """Harrell's C of risk scores against (duration, event) pairs ``y`` of shape (n, 2): 0.5 is chance, 1 perfect (scikit-survival)."""
    from sksurv.metrics import concordance_index_censored

    if y[:, 1].sum() == 0:
        return float("nan")
    return float(concordance_index_censored(y[:, 1] == 1, y[:, 0], np.asarray(risk, dtype=float))[0])
