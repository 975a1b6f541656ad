"""The layers run one way: pages -> components -> analysis; analysis/ stays pure Python."""

import ast
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
FORBIDDEN_IN_ANALYSIS = ("streamlit", "plotly", "matplotlib", "nilearn.plotting", "components", "pages")


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


ANALYSIS_MODULES = sorted((ROOT / "analysis").rglob("*.py"))


def test_every_analysis_module_is_checked_subpackages_included():
    subpackages = {p.parent.name for p in ANALYSIS_MODULES if p.parent != ROOT / "analysis"}
    assert {"io", "cohort", "features", "engine", "validity", "outcomes", "describe", "reporting"} <= subpackages
    assert all((p.parent / "__init__.py").exists() for p in ANALYSIS_MODULES)


@pytest.mark.parametrize("path", ANALYSIS_MODULES, ids=lambda p: str(p.relative_to(ROOT)))
def test_analysis_imports_no_ui_or_plotting(path):
    bad = {m for m in imported_modules(path) if any(m == f or m.startswith(f + ".") for f in FORBIDDEN_IN_ANALYSIS)}
    assert not bad, f"{path.relative_to(ROOT)} imports {bad}"


def test_importing_analysis_has_no_side_effect(tmp_path):
    """Importing the package (and its subpackages) sets no environment variable and makes no folder."""
    code = (
        "import os, tempfile; before = set(os.listdir(tempfile.gettempdir())); "
        "import analysis, analysis.engine.clustering, analysis.cohort.cohort; "
        "print(os.environ.get('NUMBA_CACHE_DIR'), sorted(set(os.listdir(tempfile.gettempdir())) - before))"
    )
    env = {k: v for k, v in os.environ.items() if k != "NUMBA_CACHE_DIR"} | {"TMPDIR": str(tmp_path)}
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True, env=env)
    assert result.stdout.strip() == "None []"


def test_components_do_not_import_pages_and_pages_do_not_import_algorithms():
    for path in (ROOT / "components").glob("*.py"):
        assert not any(m.startswith("pages") for m in imported_modules(path)), path
    for path in (ROOT / "pages").glob("*.py"):
        assert not any(m.split(".")[0] in {"umap", "hdbscan", "sklearn", "fast_hdbscan"} for m in imported_modules(path)), path


def test_loading_a_cohort_pulls_in_no_ui_library_transitively():
    code = (
        "import sys; from analysis.cohort.cohort import load_cohort, sample_cohort_files; from analysis.cli import main; "
        "load_cohort(sample_cohort_files()); "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('streamlit', 'plotly', 'matplotlib')))"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"
