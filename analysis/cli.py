"""The command line: ``python -m analysis generate|validate ...``.

Exit codes: 0 success, 2 user error (one ``error: ...`` line on stderr, no traceback), 1 only for bugs.
"""

from __future__ import annotations

import argparse
import math
import os
import sys
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

from analysis.cohort.atlas import BUNDLED_ATLASES
from analysis.errors import CohortError
from analysis.io.bids import PARTICIPANTS_SIDECAR
from analysis.io.inputs import MAX_INPUT_BYTES, InputFile


class _Parser(argparse.ArgumentParser):
    """ArgumentParser whose usage errors are one ``error:`` line and exit code 2."""

    def error(self, message: str) -> None:  # type: ignore[override]
        raise CohortError(f"{message} ({self.prog})", "", f"see '{self.prog} --help'")


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with its sub-commands."""
    parser = _Parser(prog="python -m analysis", description="Pain Biotype Explorer: cohort tools from the command line.")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    generate = commands.add_parser("generate", help="write a synthetic multimodal cohort with planted biotypes")
    generate.add_argument("--out", required=True, type=Path, help="folder to write the files into")
    generate.add_argument("--n", type=int, default=1000, help="number of participants (default 1000)")
    generate.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    validate = commands.add_parser("validate", help="load a cohort and print its validation report")
    add_cohort_arguments(validate)
    cluster = commands.add_parser("cluster", help="find biotypes and write assignments.csv, profile.csv, audit.csv and run.json")
    add_cohort_arguments(cluster)
    cluster.add_argument("--modalities", help="comma-separated modalities to cluster on (default: every modality the inputs provide)")
    cluster.add_argument("--config", type=Path, help="run.json (or a configuration JSON) whose parameters to use")
    cluster.add_argument("--seed", type=int, help="random seed (overrides the configuration's)")
    cluster.add_argument(
        "--null-cohorts",
        type=int,
        help="null cohorts of the structure test: are the biotypes distinct subgroups? (default 19, 0 = not tested; "
        "overrides the configuration's)",
    )
    cluster.add_argument(
        "--replication-splits",
        type=int,
        help="random splits of the split-half replication: are the biotypes found again in other people? (default 5, 0 = off; "
        "overrides the configuration's)",
    )
    cluster.add_argument(
        "--severity-score",
        help="a numeric column (a composite severity score) that clinical value compares the biotypes with "
        "(default: the first principal components of the clustered features)",
    )
    cluster.add_argument(
        "--sweep", action="store_true", help="also write sweep.csv: biotypes, noise, DBCV, stability over n_neighbors x min_cluster_size"
    )
    cluster.add_argument(
        "--scheduler",
        default=os.environ.get("BIOTYPES_DASK_SCHEDULER") or None,
        help="a Dask scheduler address (tcp://host:8786) to run the embeddings, stability resamples and sweep on "
        "(default: this machine, or $BIOTYPES_DASK_SCHEDULER); results are identical",
    )
    cluster.add_argument("--out", required=True, type=Path, help="folder to write the results into")
    cluster.add_argument(
        "--format",
        default="",
        help="extra formats to write besides today's files, comma-separated: bids (biotypes.tsv, biotypes.json and "
        "dataset_description.json, a BIDS derivative keyed by participant_id), h5ad (biotypes.h5ad for scanpy, ehrapy, muon)",
    )
    assign = commands.add_parser("assign", help="place new participants into the biotypes of an earlier run")
    assign.add_argument("--model", required=True, type=Path, help="the model/ folder an earlier 'cluster' wrote")
    add_cohort_arguments(assign)
    assign.add_argument("--out", required=True, type=Path, help="folder to write assignments.csv into")
    replicate = commands.add_parser(
        "replicate", help="are an earlier run's biotypes found again in another cohort? (replication.json, replication.csv)"
    )
    replicate.add_argument("--model", required=True, type=Path, help="the model/ folder an earlier 'cluster' wrote")
    add_cohort_arguments(replicate)
    replicate.add_argument("--seed", type=int, help="seed of the new cohort's own run (default: the reference run's)")
    replicate.add_argument("--out", required=True, type=Path, help="folder to write replication.json and replication.csv into")
    return parser


def add_cohort_arguments(parser: argparse.ArgumentParser) -> None:
    """The input-file options shared by every command that reads a cohort."""
    parser.add_argument("--participants", required=True, type=Path, help="participants table (CSV/TSV, .xlsx or .parquet)")
    parser.add_argument("--participants-sheet", default="", help="the sheet of an .xlsx participants table (default: the first)")
    parser.add_argument("--event", default="", help="for a longitudinal REDCap export, the redcap_event_name whose rows to read")
    parser.add_argument("--prs", type=Path, help="PRS score file (PLINK 2 .sscore, PRSice-2, pgsc_calc)")
    parser.add_argument("--connectivity", type=Path, help="connectivity matrices (.npz, .npy or .zip of *_relmat.tsv)")
    parser.add_argument("--connectivity-ids", type=Path, help="CSV of participant_id in matrix order (for .npy)")
    parser.add_argument("--atlas", help=f"bundled atlas ({', '.join(BUNDLED_ATLASES)}) or a coordinates CSV")
    parser.add_argument("--wearables", type=Path, help="daily wearable export (long CSV)")
    parser.add_argument(
        "--dictionary",
        type=Path,
        help="data dictionary: CSV or .xlsx (column, modality, description, unit, min, max), a REDCap data dictionary or a BIDS .json sidecar (participants.json beside participants.tsv is read without it)",
    )
    parser.add_argument("--dictionary-sheet", default="", help="the sheet of an .xlsx data dictionary (default: the first)")
    parser.add_argument(
        "--phenotype",
        type=Path,
        action="append",
        default=[],
        help="an extra clinical table joined on participant id (BIDS phenotype/*.tsv; its .json sidecar beside it is read); repeatable",
    )
    parser.add_argument("--max-file-mb", type=float, default=MAX_INPUT_BYTES / 2**20, help="largest input file accepted, in MB")


def cohort_files_from_args(args: argparse.Namespace):
    """Read the files named on the command line into a CohortFiles."""
    from analysis.cohort.cohort import CohortFiles

    if not (math.isfinite(args.max_file_mb) and args.max_file_mb > 0):
        raise CohortError(
            f"--max-file-mb must be a positive number of megabytes, got {args.max_file_mb}",
            "--max-file-mb",
            f"give a size such as 100 or 2048 (default {MAX_INPUT_BYTES / 2**20:.0f})",
        )
    limit = int(args.max_file_mb * 2**20)

    def read(path: Path | None, sheet: str = "", event: str = "") -> InputFile | None:
        if path is None:
            return None
        file = InputFile.from_path(path, limit)
        return replace(file, sheet=sheet, event=event) if sheet or event else file

    atlas = args.atlas
    if atlas and atlas not in BUNDLED_ATLASES:
        if not Path(atlas).is_file():
            raise CohortError(
                f"unknown atlas '{atlas}'", "--atlas", f"give one of {', '.join(BUNDLED_ATLASES)} or the path of a coordinates CSV"
            )
        atlas = read(Path(atlas))
    dictionary = args.dictionary
    beside = args.participants.with_name(PARTICIPANTS_SIDECAR) if args.participants.name.lower().startswith("participants.") else None
    if dictionary is None and beside is not None and beside.is_file():
        dictionary = beside  # BIDS: participants.json describes participants.tsv (the report says it was read)
    return CohortFiles(
        participants=read(args.participants, args.participants_sheet, args.event),
        prs=read(args.prs),
        connectivity=read(args.connectivity),
        connectivity_ids=read(args.connectivity_ids),
        atlas=atlas,
        wearables=read(args.wearables),
        dictionary=read(dictionary, args.dictionary_sheet),
        phenotypes=tuple((read(path), read(sidecar_of(path))) for path in args.phenotype),
    )


def sidecar_of(path: Path) -> Path | None:
    """The JSON sidecar beside a BIDS table (``phenotype/pain.tsv`` → ``phenotype/pain.json``), or None."""
    sidecar = path.with_name(path.name.split(".")[0] + ".json")
    return sidecar if sidecar.is_file() else None


def run_generate(args: argparse.Namespace) -> int:
    """Write a synthetic cohort and say where."""
    from analysis.cohort.synthetic import generate_cohort
    from analysis.reporting.run_files import write_synthetic_cohort

    if args.n < 10:
        raise CohortError(f"--n must be at least 10, got {args.n}", "--n", "ask for 10 participants or more")
    paths = write_synthetic_cohort(generate_cohort(args.n, args.seed), args.out)
    for path in paths:
        print(f"wrote {path} ({path.stat().st_size / 2**20:.2f} MB)")
    return 0


def run_validate(args: argparse.Namespace) -> int:
    """Load the cohort and print its report."""
    from analysis.cohort.cohort import load_cohort
    from analysis.cohort.validation import validation_report

    print(validation_report(load_cohort(cohort_files_from_args(args))).to_text())
    return 0


def config_from_args(args: argparse.Namespace):
    """The run configuration: --config's, then --modalities and --seed on top."""
    from analysis.config import RunConfig

    config = RunConfig()
    if args.config is not None:
        config = RunConfig.from_json(InputFile.from_path(args.config).data.decode("utf-8", errors="replace"), args.config.name)
    if args.modalities:
        config = config.with_(modalities=tuple(m.strip() for m in args.modalities.split(",") if m.strip()))
    if args.seed is not None:
        config = config.with_(seed=args.seed)
    if args.null_cohorts is not None:
        config = config.with_(null_cohorts=args.null_cohorts)
    if args.replication_splits is not None:
        config = config.with_(replication_splits=args.replication_splits)
    if args.severity_score is not None:
        config = config.with_(severity_score=args.severity_score)
    return config


#: Formats ``cluster --format`` can add to the run folder.
EXTRA_FORMATS = ("bids", "h5ad")


def run_cluster(args: argparse.Namespace) -> int:
    """Load, cluster, write the record, print a summary."""
    from analysis.cohort.cohort import load_cohort
    from analysis.engine.parallel import compute_on
    from analysis.engine.run import run_biotypes
    from analysis.io.spreadsheet import csv_bytes
    from analysis.reporting.run_files import write_run

    def progress(fraction: float, message: str) -> None:
        print(f"[{fraction:4.0%}] {message}", flush=True)

    formats = [f.strip().lower() for f in args.format.split(",") if f.strip()]
    unknown = [f for f in formats if f not in EXTRA_FORMATS]
    if unknown:
        raise CohortError(
            f"unknown output format '{unknown[0]}'", "--format", f"give one or more of {', '.join(EXTRA_FORMATS)}, comma-separated"
        )
    config = config_from_args(args)
    progress(0.0, "reading the files")
    cohort = load_cohort(cohort_files_from_args(args))
    with compute_on(args.scheduler):
        result = run_biotypes(cohort, config, progress, for_saving=True)
        progress(1.0, f"writing the files to {args.out}")
        paths = write_run(result, cohort, args.out)
        if "bids" in formats:
            from analysis.reporting.run_files import bids_derivative_files

            for name, content in bids_derivative_files(result, cohort).items():
                paths.append(args.out / name)
                paths[-1].write_bytes(content)
        if "h5ad" in formats:
            from analysis.reporting.h5ad import h5ad_bytes
            from analysis.reporting.run_files import run_record

            paths.append(args.out / "biotypes.h5ad")
            paths[-1].write_bytes(h5ad_bytes(result, cohort, run_record(result, cohort)))
        if args.sweep:
            from analysis.engine.sweep import run_sweep

            table = run_sweep(result, progress)
            paths.append(args.out / "sweep.csv")
            paths[-1].write_bytes(csv_bytes(table))
    labels = result.clusters.labels
    print(
        f"{result.clusters.n_biotypes} biotype(s) among {len(labels)} clustered participant(s) of {cohort.n_participants}; "
        f"noise {(labels < 0).mean():.1%}; min_cluster_size {result.config.min_cluster_size}, n_neighbors {result.config.n_neighbors}"
    )
    print(f"structure: {result.structure.headline}")
    print(f"replication: {result.split_half.headline() if result.split_half else result.replication_note}")
    value = result.clinical_value
    for outcome in value.outcomes if value else ():
        print(f"clinical value of {outcome.outcome}: {outcome.reading()}")
    for curves in value.survival if value else ():
        print(f"survival by biotype: {curves.reading()}")
    for interaction in value.interactions if value else ():
        print(f"treatment interaction: {interaction.reading()}")
    for note in value.notes if value else ():
        print(f"clinical value: {note}")
    for issue in result.issues:
        if issue.severity == "warning":
            print(f"warning: {issue.message}")
    state = [p for p in paths if p.parent.name == "arrays" or p.name == "state.json"]
    for path in paths:
        if path not in state:
            print(f"wrote {path}")
    if state:
        folder = next(p.parent for p in state if p.name == "state.json")
        print(f"wrote {folder}/ ({len(state)} files: the run's saved state, from which the dashboard opens it without computing again)")
    return 0


def run_assign(args: argparse.Namespace) -> int:
    """Load a model and a new cohort, assign, write assignments.csv."""
    from analysis.cohort.cohort import load_cohort
    from analysis.engine.model import assign_participants, load_model
    from analysis.reporting.run_files import write_assignments

    model = load_model(args.model)
    cohort = load_cohort(cohort_files_from_args(args))
    print(f"placing {cohort.n_participants} participant(s) into {len(model.label_order)} biotype(s)", flush=True)
    assignments, issues = assign_participants(model, cohort)
    for issue in issues:
        if issue.severity == "warning":
            print(f"warning: {issue.message}")
    biotype = assignments["biotype"].astype("Float64").fillna(0).astype(int)
    counts = biotype.value_counts().sort_index()
    print(
        "biotypes: "
        + ", ".join(f"{'not placed (see exclusion_reason)' if k == 0 else 'noise' if k == -1 else f'B{k}'}: {v}" for k, v in counts.items())
    )
    for path in write_assignments(assignments, cohort, args.model, args.out):
        print(f"wrote {path}")
    return 0


def run_replicate(args: argparse.Namespace) -> int:
    """Load a model and a new cohort, cluster it alone and place it, write replication.json and replication.csv."""
    from analysis.cohort.cohort import load_cohort
    from analysis.engine.model import load_model
    from analysis.reporting.run_files import write_replication
    from analysis.validity.external import replicate_in_cohort

    def progress(fraction: float, message: str) -> None:
        print(f"[{fraction:4.0%}] {message}", flush=True)

    model = load_model(args.model)
    cohort = load_cohort(cohort_files_from_args(args))
    print(f"replicating {len(model.label_order)} reference biotype(s) in {cohort.n_participants} participant(s)", flush=True)
    replication = replicate_in_cohort(model, cohort, args.seed, progress)
    print(f"replication: {replication.headline()}")
    for b in replication.biotypes:
        print(
            f"  B{b.biotype}: {b.reading}; {b.n_placed} placed, prediction strength {b.prediction_strength:.2f}, "
            f"in-group proportion {b.in_group_proportion:.2f} (p = {b.p_value:.2g})"
        )
    for path in write_replication(replication, cohort, args.model, args.out):
        print(f"wrote {path}")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit code."""
    try:
        args = build_parser().parse_args(argv)
        commands = {
            "generate": run_generate,
            "validate": run_validate,
            "cluster": run_cluster,
            "assign": run_assign,
            "replicate": run_replicate,
        }
        return commands[args.command](args)
    except CohortError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
