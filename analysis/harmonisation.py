"""Site harmonisation of imaging features with ComBat (neuroCombat, Fortin et al. 2017/2018)."""

from __future__ import annotations

import contextlib
import io

import numpy as np
import pandas as pd

from analysis.errors import CohortError


def combat(features: pd.DataFrame, site: pd.Series, protect: pd.DataFrame) -> pd.DataFrame:
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
    DataFrame, same shape, index and columns as ``features``

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
        values = protect[column].reindex(features.index)
        if values.isna().any():
            raise CohortError(
                f"'{column}' is missing for {int(values.isna().sum())} participant(s) with imaging",
                "the covariates protected during harmonisation",
                f"fill in '{column}' or stop protecting it",
            )
        if values.dtype == np.float64:
            continuous.append(column)
            covars[column] = values.to_numpy()
        else:
            categorical.append(column)
            covars[column] = values.astype(str).to_numpy()
    if counts.size < 2:
        return features
    with contextlib.redirect_stdout(io.StringIO()):
        out = neuroCombat(
            dat=features.to_numpy(dtype=np.float64).T,
            covars=covars.reset_index(drop=True),
            batch_col="batch",
            categorical_cols=categorical or None,
            continuous_cols=continuous or None,
        )
    return pd.DataFrame(out["data"].T, index=features.index, columns=features.columns)
