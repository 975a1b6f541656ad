"""The command-line contract: exit codes 0 and 2, one `error:` line, never a traceback."""

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from analysis.cli import main
from tests.conftest import participants_frame

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    out = tmp_path_factory.mktemp("gen")
    result = subprocess.run(
        [sys.executable, "-m", "analysis", "generate", "--out", str(out), "--n", "60", "--seed", "2"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    return out


def run_cli(*args):
    return subprocess.run([sys.executable, "-m", "analysis", *args], cwd=ROOT, capture_output=True, text=True)


def test_generate_writes_the_contract_files(generated):
    names = sorted(p.name for p in generated.iterdir())
    assert names == sorted(["participants.csv", "prs.sscore", "connectivity.npz", "wearables.csv", "data_dictionary.csv", "truth.csv"])
    with np.load(generated / "connectivity.npz") as npz:
        assert set(npz.files) == {"matrices", "participant_id", "atlas"}


def test_validate_real_process_exit_0_with_report(generated):
    result = run_cli(
        "validate",
        "--participants",
        str(generated / "participants.csv"),
        "--prs",
        str(generated / "prs.sscore"),
        "--connectivity",
        str(generated / "connectivity.npz"),
        "--atlas",
        "dosenbach_2010",
        "--wearables",
        str(generated / "wearables.csv"),
    )
    assert result.returncode == 0, result.stderr
    assert "Cohort: 60 participants" in result.stdout
    assert "Brain connectivity" in result.stdout
    assert "Usable: yes" in result.stdout


def test_validate_real_process_user_error_exit_2_one_line(tmp_path):
    bad = tmp_path / "p.csv"
    frame = participants_frame()
    frame.loc[3, "participant_id"] = frame.loc[2, "participant_id"]
    frame.to_csv(bad, index=False)
    result = run_cli("validate", "--participants", str(bad))
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("error: duplicate participant_id '03'")
    assert "p.csv lines 4 and 5" in lines[0]
    assert "Traceback" not in result.stderr


BAD_CASES = {
    "empty": b"",
    "header_only": b"participant_id,pain\n",
    "wrong_delimiter": b"participant_id:pain\n01:3\n",
    "latin1": "participant_id,pain\n01,caf\xe9\n".encode("latin-1"),
    "duplicate_column": b"participant_id,pain,pain\n01,1,2\n",
    "no_id_column": b"name,pain\n01,1\n",
    "text_in_number": ("participant_id,pain\n" + "".join(f"{i},{i}\n" for i in range(12)) + "12,high\n").encode(),
    "single_row": b"participant_id,pain\n01,3\n",
    "ragged": b"participant_id,pain\n01,3,4\n02,3\n",
    "infinite": ("participant_id,pain\n" + "".join(f"{i},{i}\n" for i in range(12)) + "12,inf\n").encode(),
    "binary": b"\x00\x01\x02PK\x03\x04",
}


@pytest.mark.parametrize("case", sorted(BAD_CASES))
def test_every_bad_participants_file_gives_exit_2_and_one_error_line(case, tmp_path, capsys):
    path = tmp_path / f"{case}.csv"
    path.write_bytes(BAD_CASES[case])
    code = main(["validate", "--participants", str(path)])
    captured = capsys.readouterr()
    assert code == 2
    assert captured.err.count("\n") == 1
    assert captured.err.startswith("error: ")
    assert f"{case}.csv" in captured.err
    assert captured.out == ""


def test_bad_modality_files_exit_2(generated, tmp_path, capsys):
    fc = tmp_path / "fc.npz"
    rng = np.random.default_rng(0)
    m = rng.normal(size=(2, 5, 5))
    np.savez(fc, matrices=m, participant_id=np.array(["sub-0001", "sub-0002"]))
    code = main(["validate", "--participants", str(generated / "participants.csv"), "--connectivity", str(fc)])
    assert code == 2
    assert "is not symmetric" in capsys.readouterr().err
    code = main(
        [
            "validate",
            "--participants",
            str(generated / "participants.csv"),
            "--connectivity",
            str(generated / "connectivity.npz"),
            "--atlas",
            "power_2011",
        ]
    )
    assert code == 2
    assert "the matrices have 160 regions but the atlas 'power_2011' has 264" in capsys.readouterr().err


def test_usage_errors_are_one_error_line(capsys):
    assert main(["validate"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: the following arguments are required: --participants")
    assert main(["validate", "--participants", "missing.csv"]) == 2
    assert "file 'missing.csv' does not exist" in capsys.readouterr().err
    assert main(["generate", "--out", "x", "--n", "3"]) == 2
    assert "--n must be at least 10" in capsys.readouterr().err


def test_unknown_atlas_is_named(generated, capsys):
    assert main(["validate", "--participants", str(generated / "participants.csv"), "--atlas", "aal"]) == 2
    assert "unknown atlas 'aal'" in capsys.readouterr().err


def write(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


def modality_bad_cases(generated: Path, tmp: Path) -> dict[str, tuple[list[str], str]]:
    """Each bad case of the foundation issue beyond the participants table: CLI arguments and the expected message."""
    import zipfile

    participants = str(generated / "participants.csv")
    dictionary = write(tmp / "dd.csv", "column,modality,min,max\npain_intensity,clinical,0,5\n")
    prs = write(tmp / "other.sscore", "#IID\tMCP_AVG\nX1\t0.1\nX2\t0.2\n")
    wear = write(tmp / "w.csv", "participant_id,date,steps\nnobody,2025-01-01,10\n")
    archive = tmp / "fc.zip"
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("sub-0001_relmat.tsv", "1\t0\n0\t1\n")
        z.writestr("run.sh", "echo hi")
    npy = tmp / "fc.npy"
    np.save(npy, np.ones((2, 3, 3)))
    return {
        "out_of_range": (
            ["--participants", participants, "--dictionary", str(dictionary)],
            "lie outside the data dictionary's range [0, 5]",
        ),
        "prs_ids_unmatched": (["--participants", participants, "--prs", str(prs)], "no id in the PRS file matches a participant"),
        "wearable_ids_unmatched": (
            ["--participants", participants, "--wearables", str(wear)],
            "no id in the wearables file matches a participant",
        ),
        "zip_unexpected_member": (
            ["--participants", participants, "--connectivity", str(archive)],
            "unexpected member 'run.sh' in the connectivity zip",
        ),
        "npy_without_ids": (["--participants", participants, "--connectivity", str(npy)], "'fc.npy' has no participant ids"),
        "over_size_limit": (["--participants", participants, "--max-file-mb", "0.001"], "over the 1.02 kB limit"),
    }


@pytest.mark.parametrize(
    "case", ["out_of_range", "prs_ids_unmatched", "wearable_ids_unmatched", "zip_unexpected_member", "npy_without_ids", "over_size_limit"]
)
def test_every_bad_modality_case_gives_exit_2_and_one_error_line(case, generated, tmp_path, capsys):
    args, expected = modality_bad_cases(generated, tmp_path)[case]
    assert main(["validate", *args]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ")
    assert err.count("\n") == 1
    assert expected in err


def test_an_unreachable_dask_scheduler_is_one_error_line(generated, tmp_path, capsys, monkeypatch):
    from analysis.engine import parallel

    monkeypatch.setattr(parallel, "SCHEDULER_TIMEOUT_S", 2)
    code = main(
        ["cluster", "--participants", str(generated / "participants.csv"), "--scheduler", "tcp://127.0.0.1:9", "--out", str(tmp_path)]
    )
    assert code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == ["error: no Dask scheduler answers at tcp://127.0.0.1:9 in --scheduler: start the cluster or fix the address"]
    assert not (tmp_path / "assignments.csv").exists()


def _one_error_line(capsys) -> str:
    out, err = capsys.readouterr()
    lines = err.strip().splitlines()
    assert "Traceback" not in out + err and len(lines) == 1 and lines[0].startswith("error: "), err
    return lines[0]


def test_paths_that_are_not_files_are_named_for_what_they_are(generated, tmp_path, capsys):
    import os

    assert main(["validate", "--participants", str(tmp_path)]) == 2
    assert "is a folder, not a file" in _one_error_line(capsys)
    fifo = tmp_path / "pipe.csv"
    os.mkfifo(fifo)
    assert main(["validate", "--participants", str(fifo)]) == 2
    assert "not a regular file" in _one_error_line(capsys)
    assert main(["validate", "--participants", str(tmp_path / ("x" * 300 + ".csv"))]) == 2
    assert "cannot open" in _one_error_line(capsys)


@pytest.mark.parametrize("value", ["nan", "inf", "0", "-5"])
def test_an_impossible_size_limit_is_one_error_line(generated, capsys, value):
    assert main(["validate", "--participants", str(generated / "participants.csv"), "--max-file-mb", value]) == 2
    assert "--max-file-mb must be a positive number" in _one_error_line(capsys)


def test_a_seed_beyond_32_bits_is_one_error_line(generated, tmp_path, capsys):
    args = ["cluster", "--participants", str(generated / "participants.csv"), "--out", str(tmp_path / "out")]
    assert main([*args, "--seed", str(2**32)]) == 2
    assert "seed" in _one_error_line(capsys) and not (tmp_path / "out").exists()
