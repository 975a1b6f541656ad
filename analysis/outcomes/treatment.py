"""Does the treatment work differently in different biotypes? The biotype × treatment interaction.

With a randomised treatment-arm column (data dictionary modality ``treatment``), two questions are
kept apart, as they are in trials of biomarkers (a *prognostic* marker says how a patient will do
whatever the treatment; a *predictive* one says who benefits from it):

- **prognosis**: does the biotype predict the outcome? That is the clinical-value comparison of
  :mod:`analysis.outcomes.clinical_value`, with the arm among the baseline's covariates;
- **prediction of treatment response**: does the treatment's effect differ between biotypes? The
  likelihood-ratio test of the biotype × arm terms in a model that already holds the covariates,
  the dimensional summary, the arm and the summary × arm terms, so that a biotype difference in
  treatment effect is one the dimensional summary does not explain. Linear, logistic or Cox
  model, as the outcome is numeric, two-valued or time-to-event; unpenalised, fitted on everyone.

Both tests are valid because the biotypes were formed without the outcome; the interaction's
reading as "the treatment works differently" needs the arm to have been randomised (otherwise
who got which treatment may itself differ by biotype for reasons that also drive the outcome).
"""

from __future__ import annotations

import re
import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd

#: Each biotype needs at least this many participants in each arm to enter the interaction model.
MIN_PER_ARM = 5
#: Arm names taken as the reference (comparison) arm.
_CONTROL_ARM = re.compile(r"control|placebo|sham|usual|standard|waitlist|wait-list|as usual|no treatment|untreated|soc\b", re.IGNORECASE)
#: How each outcome's treatment effect is expressed.
EFFECT_NAMES = {"r2": "mean difference", "auc": "odds ratio", "c_index": "hazard ratio"}


@dataclass(frozen=True)
class Arms:
    """A two-arm treatment column as 0/1.

    Attributes
    ----------
    values : ndarray of shape (n,)
        1 for the treated arm, 0 for the reference arm, NaN where not recorded.
    reference, treated : str
        The arms' values as written. The reference is the arm whose name says it is the comparison
        (control, placebo, sham, usual care, standard care, waitlist), else the smaller number or
        the first in alphabetical order.
    """

    values: np.ndarray
    reference: str
    treated: str

    def __getitem__(self, rows) -> Arms:
        return Arms(self.values[rows], self.reference, self.treated)


def treatment_arms(values: pd.Series) -> tuple[Arms | None, str]:
    """The arms of a treatment column, or (None, why not) when it does not hold exactly two.

    Parameters
    ----------
    values : Series

    Returns
    -------
    (Arms or None, str)
    """
    recorded = values.dropna()
    levels = sorted(
        recorded.unique().tolist(), key=lambda v: (not _is_control(v), not isinstance(v, int | float), str(v) if isinstance(v, str) else v)
    )
    if len(levels) != 2:
        return None, f"{len(levels)} arms recorded (the interaction is assessed for two-arm comparisons)"
    coded = values.map({levels[0]: 0.0, levels[1]: 1.0})
    return Arms(pd.to_numeric(coded).to_numpy(dtype=float, na_value=np.nan), _arm_text(levels[0]), _arm_text(levels[1])), ""


def _is_control(value) -> bool:
    """Whether an arm's name says it is the comparison arm (control, placebo, sham, usual care, waitlist, ...)."""
    return isinstance(value, str) and bool(_CONTROL_ARM.search(value))


def _arm_text(value) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


@dataclass(frozen=True)
class TreatmentInteraction:
    """The biotype × treatment interaction of one outcome.

    Attributes
    ----------
    outcome, event : str
        The outcome column (and the event column of a time-to-event outcome).
    treatment : str
        The arm column; ``reference`` and ``treated`` name its arms.
    reference, treated : str
    effect : {"mean difference", "odds ratio", "hazard ratio"}
        How the treatment effect is expressed (treated against reference arm).
    effects : DataFrame
        One row per biotype: ``biotype`` (1-based, -1 noise), ``n``, ``treated`` (participants in the
        treated arm), ``effect``, ``ci_low``, ``ci_high`` (Wald 95%), the treatment effect in that
        biotype at the biotype's mean dimensional summary; all three NaN where the interval is unbounded
        (quasi-separation: the arm's effect in that biotype is not identified; the likelihood-ratio
        test, which stays valid then, still counts it).
    statistic, p_value : float
        Likelihood-ratio test of the biotype × arm terms.
    df : int
    left_out : tuple of int
        Biotypes left out of the model (fewer than :data:`MIN_PER_ARM` participants in an arm, or an
        arm with one outcome value only (AUC) or no event (C-index): its effect is not estimable).
    note : str
        Why it was not assessed ("" when it was).
    """

    outcome: str
    event: str
    treatment: str
    reference: str
    treated: str
    effect: str
    effects: pd.DataFrame
    statistic: float
    df: int
    p_value: float
    left_out: tuple[int, ...] = ()
    note: str = ""

    @property
    def modifies_effect(self) -> bool:
        """The interaction test is significant at 0.05."""
        return bool(np.isfinite(self.p_value) and self.p_value <= 0.05)

    def reading(self) -> str:
        """One sentence: whether the treatment's effect differs between biotypes (predictive), in words."""
        from analysis.outcomes.clinical_value import _p_text

        head = f"{self.treatment} ({self.treated} vs {self.reference}) on {self.outcome}"
        if self.note:
            return f"{head}: not assessed ({self.note})"
        test = f"biotype × treatment LR χ² = {self.statistic:.1f}, df = {self.df}, p {_p_text(self.p_value)}"
        if self.modifies_effect:
            return f"{head}: the treatment effect differs between biotypes ({test}): the biotypes are predictive of response"
        return f"{head}: no difference in treatment effect between biotypes was demonstrated ({test})"

    def to_dict(self) -> dict:
        """Plain JSON-ready values, as run.json records them."""
        from analysis.outcomes.clinical_value import _finite, _significant

        return {
            "outcome": self.outcome,
            "event": self.event,
            "treatment": self.treatment,
            "reference_arm": self.reference,
            "treated_arm": self.treated,
            "effect": self.effect,
            "statistic": _finite(self.statistic),
            "df": self.df,
            "p_value": _significant(self.p_value),
            "biotypes": [
                {
                    "biotype": int(r.biotype),
                    "n": int(r.n),
                    "treated": int(r.treated),
                    "effect": _finite(r.effect),
                    "ci_low": _finite(r.ci_low),
                    "ci_high": _finite(r.ci_high),
                }
                for r in self.effects.itertuples()
            ],
            "left_out": list(self.left_out),
            "note": self.note,
        }


def treatment_interaction(
    outcome: str,
    event: str,
    metric: str,
    y: np.ndarray,
    group: np.ndarray,
    arms: Arms,
    treatment: str,
    covariates: np.ndarray,
    summary: np.ndarray,
) -> TreatmentInteraction:
    """The biotype × arm interaction of one outcome and the treatment effect within each biotype.

    Parameters
    ----------
    outcome, event : str
    metric : {"r2", "auc", "c_index"}
        Linear, logistic or Cox model.
    y : ndarray of shape (n,), or (n, 2) (duration, event)
    group : ndarray of int, shape (n,)
        Biotype numbers.
    arms : Arms
        The arm of each of the ``n`` participants.
    treatment : str
        The arm column's name.
    covariates : ndarray of shape (n, c)
    summary : ndarray of shape (n, k)
        The dimensional summary (principal components or severity score); it interacts with the arm too.

    Returns
    -------
    TreatmentInteraction
    """
    from scipy.stats import chi2

    from analysis.outcomes.clinical_value import nested_log_likelihoods

    effect_name = EFFECT_NAMES[metric]
    recorded = np.isfinite(arms.values)
    y, group, t = y[recorded], group[recorded], arms.values[recorded]
    covariates, summary = covariates[recorded], summary[recorded]
    counts = pd.crosstab(group, t).reindex(columns=[0.0, 1.0], fill_value=0)
    kept = [int(b) for b in counts.index if counts.loc[b].min() >= MIN_PER_ARM and _both_outcomes_in_each_arm(metric, y, group == b, t)]
    left_out = tuple(int(b) for b in counts.index if int(b) not in kept)

    def unassessed(note: str) -> TreatmentInteraction:
        empty = pd.DataFrame(columns=["biotype", "n", "treated", "effect", "ci_low", "ci_high"])
        nan = float("nan")
        return TreatmentInteraction(
            outcome, event, treatment, arms.reference, arms.treated, effect_name, empty, nan, 0, nan, left_out, note
        )

    if len(kept) < 2:
        return unassessed(
            f"fewer than two biotypes have {MIN_PER_ARM} participants in each arm"
            + ("" if metric == "r2" else " and both outcomes (events) in each")
        )
    chosen = np.isin(group, kept)
    y, group, t, covariates, summary = y[chosen], group[chosen], t[chosen], covariates[chosen], summary[chosen]
    summary = summary - summary.mean(axis=0)
    indicators = (group[:, None] == np.array(kept[1:])[None, :]).astype(float)
    main = np.column_stack([covariates, summary, t, summary * t[:, None], indicators])
    interaction = indicators * t[:, None]
    try:
        small, large = nested_log_likelihoods(metric, y, main, interaction)
        params, covariance = _coefficients(metric, y, np.column_stack([main, interaction]))
    except Exception:  # separation or a singular design: no valid test
        return unassessed("the models could not be fitted (perfect separation or too few participants)")
    statistic = max(0.0, 2 * (large - small))
    df = interaction.shape[1]
    arm_at = covariates.shape[1] + summary.shape[1]
    rows = []
    for position, biotype in enumerate(kept):
        contrast = np.zeros(len(params))
        contrast[arm_at] = 1.0
        in_biotype = group == biotype
        contrast[arm_at + 1 : arm_at + 1 + summary.shape[1]] = summary[in_biotype].mean(axis=0)
        if position:
            contrast[main.shape[1] + position - 1] = 1.0
        estimate = float(contrast @ params)
        se = float(np.sqrt(max(contrast @ covariance @ contrast, 0.0)))
        low, high = estimate - 1.959964 * se, estimate + 1.959964 * se
        if metric != "r2":
            with np.errstate(over="ignore"):
                estimate, low, high = np.exp(estimate), np.exp(low), np.exp(high)
        if not np.isfinite([estimate, low, high]).all():
            estimate = low = high = float("nan")
        rows.append(
            {
                "biotype": biotype,
                "n": int(in_biotype.sum()),
                "treated": int(t[in_biotype].sum()),
                "effect": estimate,
                "ci_low": low,
                "ci_high": high,
            }
        )
    return TreatmentInteraction(
        outcome, event, treatment, arms.reference, arms.treated, effect_name, pd.DataFrame(rows), statistic, df,
        float(chi2.sf(statistic, df)), left_out,
    )  # fmt: skip


def _both_outcomes_in_each_arm(metric: str, y: np.ndarray, rows: np.ndarray, t: np.ndarray) -> bool:
    """Whether a biotype's treatment effect is estimable: each arm has both outcome values (AUC) or an event (C-index).

    Without them the arm's coefficient in that biotype runs off to infinity (separation) and neither its
    interval nor the likelihood-ratio test is valid.
    """
    if metric == "r2":
        return True
    for arm in (0.0, 1.0):
        cell = rows & (t == arm)
        outcome = y[cell] if metric == "auc" else y[cell, 1]
        if metric == "auc" and len(set(outcome.tolist())) < 2:
            return False
        if metric == "c_index" and outcome.sum() == 0:
            return False
    return True


def _coefficients(metric: str, y: np.ndarray, design: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Coefficients of ``design``'s columns (no intercept among them) and their covariance, from the unpenalised model."""
    import statsmodels.api as sm

    from analysis.outcomes.survival import unpenalised_cox

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if metric == "c_index":
            params, covariance, _ = unpenalised_cox(design, y)
            return params, covariance
        family = sm.Logit if metric == "auc" else sm.OLS
        fitted = family(y, sm.add_constant(design, has_constant="add"))
        fitted = fitted.fit(disp=0) if metric == "auc" else fitted.fit()
    params, covariance = np.asarray(fitted.params), np.asarray(fitted.cov_params())
    return params[1:], covariance[1:, 1:]
