"""Site harmonisation of imaging features with ComBat (neuroCombat, Fortin et al. 2017/2018).

ComBat is fitted on the reference cohort with :func:`combat`, which also returns the fitted
estimates as a :class:`ComBatModel`. :func:`apply_combat` harmonises new participants with those
estimates and each participant's own protected covariates. (neuroCombat's own
``neuroCombatFromTraining`` replaces every new participant's covariate effect by the reference
cohort's average one, which would erase the age or sex differences the user asked to protect.)
"""

from __future__ import annotations

import contextlib
import io
from dataclasses import dataclass

import numpy as np
import pandas as pd

from analysis.errors import CohortError

#: A site new to the reference needs this many participants for its effects to be estimated.
MIN_UNSEEN_SITE = 10


@dataclass(frozen=True)
class ComBatModel:
    """ComBat estimates fitted on a reference cohort.

    Attributes
    ----------
    features : tuple of str
        Harmonised feature columns, in order (p of them).
    batches : tuple of str
        Sites seen in the reference cohort (sorted, as neuroCombat orders them).
    stand_mean : ndarray, shape (p,)
        Grand mean of each feature (site effects averaged by site size).
    var_pooled : ndarray, shape (p,)
        Pooled residual variance of each feature.
    gamma : ndarray, shape (n_sites, p)
        Empirical-Bayes additive site effects, in standardised units.
    delta : ndarray, shape (n_sites, p)
        Empirical-Bayes multiplicative site effects.
    covariates : tuple of (str, tuple of str or None)
        Protected covariates in design order; the tuple lists a categorical covariate's levels
        (the first is the reference), None marks a continuous one.
    beta : ndarray, shape (n_design_columns, p)
        Effects of the protected covariates' design columns on each feature.
    unseen_sites : {"refuse", "estimate"}
        What :func:`apply_combat` does with a site the reference cohort did not have: refuse it
        (placing new participants), or estimate its effects from its own participants (replication
        in a held-out site or an external cohort, where every site is new).
    """

    features: tuple[str, ...]
    batches: tuple[str, ...]
    stand_mean: np.ndarray
    var_pooled: np.ndarray
    gamma: np.ndarray
    delta: np.ndarray
    covariates: tuple[tuple[str, tuple[str, ...] | None], ...]
    beta: np.ndarray
    unseen_sites: str = "refuse"


def combat(features: pd.DataFrame, site: pd.Series, protect: pd.DataFrame) -> tuple[pd.DataFrame, ComBatModel | None]:
    """Remove additive and multiplicative site effects from features, keeping the protected covariates' effects.

    Parameters
    ----------
    features : DataFrame indexed by participant, shape (n, n_features)
        Imaging features without missing values.
    site : Series of str indexed by participant
        Site or scanner of each participant (the batch).
    protect : DataFrame indexed by participant
        Covariates whose effects are preserved (numeric columns continuous, text columns categorical).

    Returns
    -------
    harmonised : DataFrame, same shape, index and columns as ``features``
    model : ComBatModel or None
        The fitted estimates, for :func:`apply_combat`; None when there is a single site (nothing to do).

    Raises
    ------
    CohortError
        Missing site or protected covariate, or a site with fewer than two participants.
    """
    from neuroCombat import neuroCombat

    batch = site.reindex(features.index)
    if batch.isna().any():
        raise CohortError(
            f"site is missing for {int(batch.isna().sum())} participant(s) with imaging, so ComBat cannot harmonise them",
            "the site column",
            "fill in their site, or turn site harmonisation off",
        )
    counts = batch.value_counts()
    if (counts < 2).any():
        raise CohortError(
            f"site(s) {', '.join(map(str, counts.index[counts < 2]))} have a single participant with imaging; ComBat needs at least two per site",
            "the site column",
            "merge that site with a similar one, or turn site harmonisation off",
        )
    covars = pd.DataFrame({"batch": batch.astype(str).to_numpy()}, index=features.index)
    continuous, categorical = [], []
    for column in protect.columns:
        values = _protected_values(protect, column, features.index)
        if values.dtype == np.float64:
            continuous.append(column)
            covars[column] = values.to_numpy()
        else:
            categorical.append(column)
            covars[column] = values.astype(str).to_numpy()
    if counts.size < 2:
        return features, None
    with contextlib.redirect_stdout(io.StringIO()):
        try:
            out = neuroCombat(
                dat=features.to_numpy(dtype=np.float64).T,
                covars=covars.reset_index(drop=True),
                batch_col="batch",
                categorical_cols=categorical or None,
                continuous_cols=continuous or None,
            )
        except np.linalg.LinAlgError:
            raise CohortError(
                "ComBat cannot separate site from the protected covariates (they are confounded, e.g. one sex per site)",
                "the covariates protected during harmonisation",
                "stop protecting the covariate that is confounded with site, or turn site harmonisation off",
            ) from None
    estimates = out["estimates"]
    covariates = tuple((c, tuple(np.unique(covars[c]))) for c in categorical) + tuple((c, None) for c in continuous)
    design = _covariate_design(covars, covariates)
    # neuroCombat keeps only the fitted covariate effect per participant (mod.mean); its coefficients
    # are recovered exactly by least squares on the same design columns.
    beta = (
        np.linalg.lstsq(design, np.asarray(estimates["mod.mean"]).T, rcond=None)[0] if design.shape[1] else np.zeros((0, features.shape[1]))
    )
    model = ComBatModel(
        features=tuple(features.columns),
        batches=tuple(str(b) for b in estimates["batches"]),
        stand_mean=np.asarray(estimates["stand.mean"])[:, 0].copy(),
        var_pooled=np.asarray(estimates["var.pooled"]).ravel().copy(),
        gamma=np.asarray(estimates["gamma.star"], dtype=np.float64),
        delta=np.asarray(estimates["delta.star"], dtype=np.float64),
        covariates=covariates,
        beta=beta,
    )
    return pd.DataFrame(out["data"].T, index=features.index, columns=features.columns), model


def apply_combat(model: ComBatModel, features: pd.DataFrame, site: pd.Series, protect: pd.DataFrame) -> pd.DataFrame:
    """Harmonise new participants with a reference cohort's ComBat estimates.

    Parameters
    ----------
    model : ComBatModel
    features : DataFrame indexed by participant, with ``model.features`` among its columns
    site : Series of str indexed by participant
        Every participant's site must be one of ``model.batches``, unless ``model.unseen_sites`` is
        "estimate": then a new site's additive and multiplicative effects are estimated from its own
        participants (ComBat's location-scale step, without the empirical-Bayes shrinkage), relative
        to the reference's grand mean, pooled variance and covariate effects; it needs at least
        :data:`MIN_UNSEEN_SITE` participants.
    protect : DataFrame indexed by participant
        The protected covariates (``model.covariates``), for each participant's own covariate effect.

    Returns
    -------
    DataFrame, same index as ``features``, columns ``model.features``
    """
    data = features.reindex(columns=list(model.features)).to_numpy(dtype=np.float64)
    batch = site.reindex(features.index)
    if batch.isna().any():
        raise CohortError(
            f"site is missing for {int(batch.isna().sum())} participant(s) with imaging, so they cannot be harmonised",
            "the site column",
            "fill in their site",
        )
    batch = batch.astype(str)
    unknown = sorted(set(batch) - set(model.batches))
    if unknown and model.unseen_sites != "estimate":
        raise CohortError(
            f"site(s) {', '.join(unknown)} were not in the reference run, so their site effect is unknown",
            "the site column of the new cohort",
            "assign only participants from the reference run's sites ("
            + ", ".join(model.batches)
            + "), or re-run the clustering with the new site included",
        )
    covars = pd.DataFrame(index=features.index)
    for column, levels in model.covariates:
        values = _protected_values(protect, column, features.index)
        if levels is None:
            covars[column] = pd.to_numeric(values, errors="coerce").to_numpy(dtype=np.float64)
            continue
        text = values.astype(str)
        new = sorted(set(text) - set(levels))
        if new:
            raise CohortError(
                f"'{column}' value(s) {', '.join(new)} were not in the reference run",
                "the covariates protected during harmonisation",
                f"use the reference run's values of '{column}' ({', '.join(levels)})",
            )
        covars[column] = text.to_numpy()
    covariate_effect = _covariate_design(covars, model.covariates) @ model.beta
    scale = np.sqrt(model.var_pooled)
    standardised = (data - model.stand_mean - covariate_effect) / scale
    batches, gamma, delta = list(model.batches), model.gamma, model.delta
    for site_name in unknown:
        rows = standardised[(batch == site_name).to_numpy()]
        if len(rows) < MIN_UNSEEN_SITE:
            raise CohortError(
                f"site {site_name} has {len(rows)} participant(s) with imaging, too few to estimate its site effect",
                "the site column",
                f"harmonise only sites with at least {MIN_UNSEEN_SITE} participants, or turn site harmonisation off",
            )
        batches.append(site_name)
        gamma = np.vstack([gamma, rows.mean(axis=0)])
        delta = np.vstack([delta, np.maximum(rows.var(axis=0, ddof=1), np.finfo(float).eps)])
    which = pd.Index(batches).get_indexer(batch.to_numpy())
    adjusted = (standardised - gamma[which]) / np.sqrt(delta[which])
    return pd.DataFrame(adjusted * scale + model.stand_mean + covariate_effect, index=features.index, columns=list(model.features))


def _protected_values(protect: pd.DataFrame, column: str, index: pd.Index) -> pd.Series:
    """One protected covariate for the participants in ``index``; an error if any is missing."""
    if column not in protect.columns:
        raise CohortError(
            f"covariate '{column}' protected during harmonisation is not in the table",
            "the participants table",
            f"add a '{column}' column",
        )
    values = protect[column].reindex(index)
    if values.isna().any():
        raise CohortError(
            f"'{column}' is missing for {int(values.isna().sum())} participant(s) with imaging",
            "the covariates protected during harmonisation",
            f"fill in '{column}' or stop protecting it",
        )
    return values


def _covariate_design(covars: pd.DataFrame, covariates: tuple) -> np.ndarray:
    """Design columns of the protected covariates as neuroCombat builds them.

    Categorical covariates are one-hot coded without their first (sorted) level; continuous ones
    enter as float32 values, as in neuroCombat's ``make_design_matrix``.
    """
    columns = []
    for column, levels in covariates:
        if levels is None:
            columns.append(covars[column].to_numpy(dtype=np.float32).astype(np.float64)[:, None])
        else:
            values = covars[column].astype(str).to_numpy()
            columns.append(
                np.stack([(values == level).astype(np.float64) for level in levels[1:]], axis=1)
                if len(levels) > 1
                else np.zeros((len(values), 0))
            )
    return np.hstack(columns) if columns else np.zeros((len(covars), 0))
