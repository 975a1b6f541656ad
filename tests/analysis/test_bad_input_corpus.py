"""The bad-input corpus through the command line: one `error:` line and exit 2, or read correctly."""

import pytest

from analysis.cli import main
from analysis.cohort.cohort import CohortFiles, load_cohort
from analysis.io.inputs import InputFile
from tests.bad_inputs import cases

CASES = cases()


def test_the_corpus_has_at_least_40_cases_across_every_input_kind():
    assert len(CASES) >= 40 and len({c.name for c in CASES}) == len(CASES)
    assert {"participants", "prs", "connectivity", "wearables", "dictionary"} <= {role for case in CASES for role in case.files}


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_the_command_line_refuses_with_one_line_or_reads_correctly(case, tmp_path, capsys):
    argv = ["validate"]
    for role, (name, data) in case.files.items():
        (tmp_path / role).mkdir()
        (tmp_path / role / name).write_bytes(data)
        argv += [f"--{role.replace('_', '-')}", str(tmp_path / role / name)]
    if case.atlas:
        argv += ["--atlas", case.atlas]
    if case.max_file_mb:
        argv += ["--max-file-mb", str(case.max_file_mb)]
    code = main(argv)
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    if case.outcome == "refused":
        assert code == 2
        lines = err.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("error: ") and case.expect in lines[0], err
        assert ": " in lines[0][len("error: ") :]  # what, then how to fix
    else:
        assert code == 0 and err == "", err
        case.check(load_cohort(files_of(case)))


def files_of(case) -> CohortFiles:
    """The case's files as the loaders get them (a coordinates CSV in ``files`` is the atlas, else the bundled name)."""
    files = {r: InputFile(n, d) for r, (n, d) in case.files.items()}
    files.setdefault("atlas", case.atlas)
    return CohortFiles(**files)
