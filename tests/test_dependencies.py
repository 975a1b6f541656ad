"""pyproject.toml declares exactly the pinned requirements of requirements.txt (the README's install command)."""

import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def pinned(lines: list[str]) -> dict[str, str]:
    """Name (lower case) → pinned version of ``name==version`` lines; any other requirement fails the test."""
    out = {}
    for line in lines:
        match = re.fullmatch(r"([A-Za-z0-9_.-]+)==([A-Za-z0-9_.+-]+)", line.strip())
        assert match, f"not pinned with ==: {line!r}"
        out[match[1].lower()] = match[2]
    return out


def test_pyproject_declares_every_pin_of_requirements_txt_and_nothing_else():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    declared = [*project["dependencies"], *(r for extra in project["optional-dependencies"].values() for r in extra)]
    required = [
        line for line in (ROOT / "requirements.txt").read_text(encoding="utf-8").splitlines() if line.strip() and not line.startswith("#")
    ]
    assert pinned(declared) == pinned(required)
    assert len(declared) == len(required)
