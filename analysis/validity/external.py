"""Are a run's biotypes found again in another cohort, or in a site left out of the fit?

:func:`replicate_in_cohort` takes a reference run's model and a new cohort. The new cohort is
clustered on its own with the reference run's configuration (what the reference chose from the data
is chosen again, as for split halves) and placed into the reference biotypes through the model path
(:func:`analysis.engine.model.place_participants`; a site new to the reference has its ComBat effects
estimated from its own participants). The two labellings of the same new participants are then
compared as one direction of the split-half replication (:func:`analysis.validity.replication.direction_scores`,
the reference as the training half): per reference biotype, whether it is found (a cluster of the new
cohort's own with Jaccard at least 0.5 over the participants placed into it), its prediction strength,
its in-group proportion with its p-value, and its profile correlation; the ARI between the two
labellings; and which of the new cohort's own biotypes match no reference biotype (new).

:func:`leave_one_site_out` does the same for each site of a cohort in turn: the whole pipeline, site
harmonisation included, is fitted on the other sites only (ComBat fitted on everyone would leak the
held-out site into the training features), and the held-out site is placed and clustered alone.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.metrics import adjusted_rand_score

from analysis.validity.replication import (
    ALPHA,
    PREDICTION_STRENGTH_THRESHOLD,
    Direction,
    counterparts,
    direction_scores,
    pooled_p_value,
    site_column,
)

#: A held-out site is clustered alone only with at least this many clustered participants.
MIN_SITE_PARTICIPANTS = 50
#: Columns of replication.csv.
REPLICATION_COLUMNS = ("participant_id", "included", "own_biotype", "reference_biotype", "confidence", "exclusion_reason")


@dataclass(frozen=True)
class ReferenceBiotype:
    """How one reference biotype fares in a new cohort (or a held-out site).

    Attributes
    ----------
    biotype : int
        The reference biotype's number (1-based, as in the reference's assignments.csv).
    found : bool
        One of the new cohort's own biotypes matches the participants placed into it (Jaccard >= 0.5).
    counterpart : int or None
        That own biotype's number.
    jaccard : float
        The best Jaccard index between the placed participants and an own biotype.
    n_placed : int
        New participants placed into it.
    prediction_strength : float
        Share of the counterpart's pairs placed together into one reference biotype (0 when not found).
    in_group_proportion : float
        Kapp & Tibshirani's in-group proportion of the reference biotype's centroid in the new cohort.
    p_value : float
        The in-group proportion against null cohorts drawn from one Gaussian with the new cohort's
        mean and covariance (smallest ``1 / (IGP_NULL_HALVES + 1)``).
    profile_correlation : float
        Correlation of the biotype's standardised mean differences in both cohorts (NaN when not found).
    smallest_own : int
        The smallest biotype the new cohort's own clustering could form (its min_cluster_size).
    expected : float
        Participants it would hold in the new cohort at its share of the reference cohort.
    """

    biotype: int
    found: bool
    counterpart: int | None
    jaccard: float
    n_placed: int
    prediction_strength: float
    in_group_proportion: float
    p_value: float
    profile_correlation: float
    smallest_own: int = 0
    expected: float = 0.0

    @property
    def reading(self) -> str:
        """One of "found"; "too few to tell" (at its reference share it would be smaller than the new cohort's own clustering can form); "not found"."""
        if self.found:
            return "found"
        return "too few to tell" if self.expected < self.smallest_own else "not found"

    @property
    def replicates(self) -> bool:
        """Found, prediction strength at least 0.8 and the in-group proportion above its null."""
        return self.found and self.prediction_strength >= PREDICTION_STRENGTH_THRESHOLD and self.p_value <= ALPHA

    def to_dict(self) -> dict:
        """Plain JSON-ready values, as run.json records them."""
        return {
            "biotype": self.biotype,
            "found": self.found,
            "counterpart": self.counterpart,
            "jaccard": _rounded(self.jaccard),
            "n_placed": self.n_placed,
            "expected": round(float(self.expected), 1),
            "prediction_strength": _rounded(self.prediction_strength),
            "in_group_proportion": _rounded(self.in_group_proportion),
            "p_value": _rounded(self.p_value),
            "profile_correlation": _rounded(self.profile_correlation),
            "reading": self.reading,
            "replicates": self.replicates,
        }


@dataclass(frozen=True)
class CohortReplication:
    """A new cohort (or held-out site) clustered on its own and placed into the reference biotypes.

    Attributes
    ----------
    n_participants : int
        Rows of the new cohort.
    n_compared : int
        Participants both clustered on their own and placed (included in both).
    own_biotypes : int
        Biotypes the new cohort has on its own.
    ari : float
        Between its own biotypes and the reference biotypes it is placed into (noise as a label).
    biotypes : tuple of ReferenceBiotype
        One per reference biotype, in order.
    new_biotypes : tuple of int
        The new cohort's own biotypes that match no reference biotype.
    assignments : DataFrame
        :data:`REPLICATION_COLUMNS`, one row per new participant.
    seconds : float
    """

    n_participants: int
    n_compared: int
    own_biotypes: int
    ari: float
    biotypes: tuple[ReferenceBiotype, ...]
    new_biotypes: tuple[int, ...]
    assignments: pd.DataFrame
    seconds: float = 0.0

    @property
    def missing(self) -> tuple[int, ...]:
        """Reference biotypes not found in the new cohort (with enough participants placed into them to tell)."""
        return tuple(b.biotype for b in self.biotypes if b.reading == "not found")

    @property
    def too_few(self) -> tuple[int, ...]:
        """Reference biotypes that, at their reference share, the new cohort is too small to form on its own."""
        return tuple(b.biotype for b in self.biotypes if b.reading == "too few to tell")

    @property
    def replicated(self) -> bool:
        """Every reference biotype replicates and the new cohort has no biotype of its own beyond them."""
        return all(b.replicates for b in self.biotypes) and not self.new_biotypes

    def headline(self) -> str:
        """One sentence: replicated, or which biotypes are missing, weak or new."""
        parts = []
        if self.missing:
            parts.append("not found: " + ", ".join(f"B{b}" for b in self.missing))
        if self.too_few:
            parts.append("too few expected to tell: " + ", ".join(f"B{b}" for b in self.too_few))
        weak = [b.biotype for b in self.biotypes if b.found and not b.replicates]
        if weak:
            parts.append(
                "found but not replicated (prediction strength below 0.8 or in-group proportion not above its null): "
                + ", ".join(f"B{b}" for b in weak)
            )
        if self.new_biotypes:
            parts.append(
                "new in this cohort (own biotypes matching no reference biotype): " + ", ".join(f"own B{b}" for b in self.new_biotypes)
            )
        found = sum(b.replicates for b in self.biotypes)
        head = f"{found} of {len(self.biotypes)} reference biotypes replicate (ARI {self.ari:.2f} between the cohort's own biotypes and its placement)"
        return head + ("; " + "; ".join(parts) if parts else "")

    def to_dict(self) -> dict:
        """Plain JSON-ready values, as run.json records them."""
        return {
            "replicated": self.replicated,
            "headline": self.headline(),
            "n_participants": self.n_participants,
            "n_compared": self.n_compared,
            "own_biotypes": self.own_biotypes,
            "ari": _rounded(self.ari),
            "biotypes": [b.to_dict() for b in self.biotypes],
            "missing": list(self.missing),
            "too_few_to_tell": list(self.too_few),
            "new_biotypes": list(self.new_biotypes),
            "seconds": round(self.seconds, 1),
        }


def _rounded(value: float | None) -> float | None:
    return None if value is None or not np.isfinite(value) else round(float(value), 4)


def own_pipeline_config(config):
    """The reference's configuration as a new cohort runs it alone: automatic choices made again, nothing extra measured."""
    from analysis.validity.structure import null_pipeline_config

    return null_pipeline_config(config).with_(null_cohorts=0, replication_splits=0, site_replication=False, stability_resamples=0)


def replicate_in_cohort(model, cohort, seed: int | None = None, progress: Callable[[float, str], None] | None = None) -> CohortReplication:
    """Cluster a new cohort on its own, place it into a reference model's biotypes and compare (see the module docstring).

    Parameters
    ----------
    model : analysis.engine.model.BiotypeModel
        The reference run.
    cohort : analysis.cohort.cohort.Cohort
        The new participants, with every modality the reference clustered on.
    seed : int, optional
        Seed of the new cohort's own run and of the null draws; the reference's by default.
    progress : callable(fraction, message), optional

    Returns
    -------
    CohortReplication
    """
    from analysis.engine.model import place_participants, with_unseen_sites_estimated
    from analysis.engine.run import run_biotypes

    say = progress or (lambda fraction, message: None)
    started = time.perf_counter()
    seed = model.config.seed if seed is None else seed
    say(0.0, "placing the new cohort into the reference biotypes")
    placement = place_participants(with_unseen_sites_estimated(model), cohort)
    say(0.2, "clustering the new cohort on its own")
    own = run_biotypes(
        cohort,
        own_pipeline_config(model.config).with_(seed=seed),
        lambda f, m: say(0.2 + 0.7 * f, m),
        structure=False,
        replication=False,
        outcomes=False,
    )
    placed = pd.Series(placement.clusters.labels, index=placement.fused.included)
    own_labels = pd.Series(own.clusters.labels, index=own.fused.included)
    both = placed.index.intersection(own_labels.index)
    x_new = placement.fused.matrix.loc[both].to_numpy(dtype=np.float64)
    placed_both, own_both = placed.loc[both].to_numpy(), own_labels.loc[both].to_numpy()
    reference = np.asarray(model.reference_labels)
    biotypes = sorted(set(reference.tolist()) - {-1})
    say(0.9, "comparing the two labellings")
    d = Direction(np.asarray(model.reference_features, dtype=np.float64), x_new, reference, placed_both, reference, own_both, placed_both)
    scores = direction_scores(d, biotypes, np.random.default_rng([seed, 8]))
    matched = counterparts(placed_both, own_both)
    rows = []
    for b in biotypes:
        counterpart, jaccard = matched.get(b, (None, 0.0))
        rows.append(
            ReferenceBiotype(
                b + 1,
                counterpart is not None,
                None if counterpart is None else int(counterpart) + 1,
                float(jaccard),
                int((placed_both == b).sum()),
                float(scores.prediction_strength[b]),
                float(scores.in_group_proportion[b]),
                pooled_p_value(np.array([scores.in_group_proportion[b]]), scores.null_in_group_proportion[b][None, :]),
                float(scores.profile_correlation[b]),
                int(own.config.min_cluster_size or 0),
                float((reference == b).mean() * len(both)),
            )
        )
    back = counterparts(own_both, placed_both)
    new = tuple(int(c) + 1 for c, (match, _) in back.items() if match is None)
    say(1.0, "done")
    return CohortReplication(
        cohort.n_participants,
        len(both),
        own.clusters.n_biotypes,
        float(adjusted_rand_score(own_both, placed_both)) if len(both) else float("nan"),
        tuple(rows),
        new,
        replication_table(cohort, placement, own),
        time.perf_counter() - started,
    )


def replication_table(cohort, placement, own) -> pd.DataFrame:
    """replication.csv: every new participant, own and reference biotype (1-based, -1 noise, empty when not clustered) and the placement's confidence.

    ``confidence`` is HDBSCAN's membership strength of the placement (0 outside every biotype);
    ``exclusion_reason`` says why a participant could not be placed or clustered.
    """
    index = cohort.participants.index
    placed = pd.Series(placement.clusters.labels + 1, index=placement.fused.included).where(lambda v: v > 0, -1)
    strength = pd.Series(placement.clusters.probabilities, index=placement.fused.included)
    own_numbers = pd.Series(own.clusters.numbers, index=own.fused.included)
    reasons = placement.fused.exclusion_reason.reindex(index).fillna("")
    own_reasons = own.fused.exclusion_reason.reindex(index).fillna("")
    reason = reasons.where(reasons != "", own_reasons)
    return pd.DataFrame(
        {
            "participant_id": cohort.participants["participant_id"].to_numpy(),
            "included": (index.isin(placement.fused.included) & index.isin(own.fused.included)),
            "own_biotype": own_numbers.reindex(index).astype("Int64").to_numpy(),
            "reference_biotype": placed.reindex(index).astype("Int64").to_numpy(),
            "confidence": strength.reindex(index).round(4).to_numpy(),
            "exclusion_reason": reason.to_numpy(),
        },
        columns=list(REPLICATION_COLUMNS),
    )


@dataclass(frozen=True)
class SiteReplication:
    """One site held out: the pipeline fitted on the other sites, the site placed and clustered alone.

    Attributes
    ----------
    site : str
    n_training : int
        Clustered participants of the other sites.
    n_site : int
        The site's participants.
    ari : float
        The site's own biotypes against its placement (NaN when not assessed).
    found : dict of int to str
        Per biotype of the full run (1-based): the :attr:`ReferenceBiotype.reading` of its
        counterpart among the training run's biotypes at this site ("found", "too few to tell",
        "not found"); "not found in the training sites" when the training run has no counterpart.
    prediction_strength : dict of int to float
    note : str
        Why the site was not assessed ("" when it was).
    """

    site: str
    n_training: int
    n_site: int
    ari: float
    found: dict[int, str]
    prediction_strength: dict[int, float]
    note: str = ""

    def to_dict(self) -> dict:
        """Plain JSON-ready values, as run.json records them."""
        return {
            "site": self.site,
            "n_training": self.n_training,
            "n_site": self.n_site,
            "ari": _rounded(self.ari),
            "found": {str(b): v for b, v in self.found.items()},
            "prediction_strength": {str(b): _rounded(v) for b, v in self.prediction_strength.items()},
            "note": self.note,
        }


def leave_one_site_out(result, cohort, progress: Callable[[float, str], None] | None = None) -> tuple[SiteReplication, ...]:
    """Each site held out in turn (see the module docstring).

    Parameters
    ----------
    result : analysis.engine.run.RunResult
        The full run (its configuration and biotypes).
    cohort : analysis.cohort.cohort.Cohort
        The cohort it ran on, with a site column of two or more sites.

    Returns
    -------
    tuple of SiteReplication
        One per site, in sorted order; a site with fewer than :data:`MIN_SITE_PARTICIPANTS`
        clustered participants, or whose training sites give no biotype, carries a note instead.
    """
    from analysis.cohort.cohort import cohort_subset
    from analysis.engine.model import biotype_model
    from analysis.engine.run import run_biotypes

    say = progress or (lambda fraction, message: None)
    column = site_column(cohort.participants)
    clustered = result.fused.included
    sites = cohort.participants[column].astype("string").fillna("missing")
    full = pd.Series(result.clusters.labels, index=clustered)
    names = sorted(set(sites.loc[clustered].tolist()))
    out = []
    for k, site in enumerate(names):
        frac = k / len(names)
        held = sites.index[sites == site]
        n_site = int(held.isin(clustered).sum())
        biotypes = sorted(set(full.tolist()) - {-1})
        if n_site < MIN_SITE_PARTICIPANTS:
            out.append(
                SiteReplication(
                    site, 0, n_site, float("nan"), {}, {}, f"{n_site} clustered participants (at least {MIN_SITE_PARTICIPANTS} needed)"
                )
            )
            continue
        say(frac, f"leave-one-site-out: fitting on every site but {site}")
        training = cohort_subset(cohort, sites.index[sites != site], f"without {column} {site}")
        config = own_pipeline_config(result.config).with_(seed=result.config.seed)
        fit = run_biotypes(
            training,
            config,
            lambda f, m, frac=frac: say(frac + 0.5 * f / len(names), m),
            for_saving=True,
            structure=False,
            replication=False,
            outcomes=False,
        )
        if not fit.clusters.n_biotypes:
            out.append(SiteReplication(site, len(fit.clusters.labels), n_site, float("nan"), {}, {}, "the other sites give no biotype"))
            continue
        model = biotype_model(fit, training)
        say(frac + 0.5 / len(names), f"leave-one-site-out: placing and clustering {site} alone")
        replicated = replicate_in_cohort(model, cohort_subset(cohort, held, f"{column} {site}"), seed=result.config.seed)
        to_training = counterparts(full.loc[fit.fused.included].to_numpy(), fit.clusters.labels)
        found, strength = {}, {}
        for b in biotypes:
            counterpart = to_training.get(b, (None, 0.0))[0]
            row = replicated.biotypes[counterpart] if counterpart is not None else None
            found[b + 1] = row.reading if row is not None else "not found in the training sites"
            strength[b + 1] = row.prediction_strength if row is not None else 0.0
        out.append(SiteReplication(site, len(fit.clusters.labels), n_site, replicated.ari, found, strength))
    say(1.0, "leave-one-site-out: done")
    return tuple(out)
