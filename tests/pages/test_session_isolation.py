"""Two users' sessions never see each other's cohort or results; shared modules hold no per-user state."""

import ast
import json
from pathlib import Path

import numpy as np
import pandas as pd
from streamlit.testing.v1 import AppTest

from components import state
from tests.pages.conftest import APP, plotly_array

ROOT = Path(__file__).resolve().parents[2]
MUTATORS = {"append", "extend", "insert", "update", "setdefault", "pop", "popitem", "clear", "add", "remove", "discard"}


def _module_level_mutables(path: Path) -> list[str]:
    """Names bound at module level to a list, dict or set (literal, comprehension or constructor call)."""
    names = []
    for node in ast.parse(path.read_text()).body:
        if isinstance(node, ast.Assign | ast.AnnAssign) and node.value is not None:
            value = node.value
            call = getattr(value.func, "id", getattr(value.func, "attr", None)) if isinstance(value, ast.Call) else None
            if isinstance(value, ast.List | ast.Dict | ast.Set | ast.ListComp | ast.DictComp | ast.SetComp) or call in {
                "list",
                "dict",
                "set",
                "defaultdict",
            }:
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                names += [t.id for t in targets if isinstance(t, ast.Name)]
    return names


def test_modules_shared_by_all_sessions_hold_no_mutable_state():
    # analysis/ and components/ are imported once per server and shared by every session (pages are
    # re-run per session, so their top-level names are per run). A module-level container is allowed
    # only as a constant: an UPPER_CASE name that no code anywhere changes; `global` is not used at all.
    shared = [ROOT / "app.py", *sorted((ROOT / "analysis").rglob("*.py")), *sorted((ROOT / "components").glob("*.py"))]
    every = shared + sorted((ROOT / "pages").glob("*.py"))
    trees = {path: ast.parse(path.read_text()) for path in every}
    constants = set()
    for path in shared:
        for name in _module_level_mutables(path):
            assert name.lstrip("_").isupper(), f"{path.name}: module-level mutable '{name}' (per-user state would leak between sessions)"
            constants.add(name)
    for path, tree in trees.items():
        for node in ast.walk(tree):
            assert not isinstance(node, ast.Global), f"{path.name}: 'global' statement"
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in MUTATORS:
                assert getattr(node.func.value, "id", None) not in constants, f"{path.name}: changes the constant {node.func.value.id}"
            if isinstance(node, ast.Assign | ast.AugAssign):
                for target in node.targets if isinstance(node, ast.Assign) else [node.target]:
                    if isinstance(target, ast.Subscript):
                        assert getattr(target.value, "id", None) not in constants, f"{path.name}: changes the constant {target.value.id}"


def _cohort_csv(prefix: str, n: int, seed: int) -> bytes:
    rng = np.random.default_rng(seed)
    centres = rng.normal(0, 4, size=(3, 4))
    labels = np.arange(n) % 3
    x = centres[labels] + rng.normal(0, 0.5, size=(n, 4))
    frame = pd.DataFrame(x.round(3), columns=["pain_intensity", "phq9", "pcs_total", "psqi"])
    frame.insert(0, "participant_id", [f"{prefix}{i:03d}" for i in range(n)])
    return frame.to_csv(index=False).encode()


def _shown_text(at: AppTest) -> str:
    parts = [e.value for kind in (at.markdown, at.caption, at.info, at.error, at.warning, at.success) for e in kind]
    parts += [d.value.to_csv() for d in at.dataframe]
    return "\n".join(str(p) for p in parts)


def test_two_sessions_never_see_each_others_cohort_or_results(warm_umap):
    alice, bob = (AppTest.from_file(APP, default_timeout=300) for _ in range(2))
    alice.run()
    bob.run()
    alice.file_uploader(key=state.DATA_PARTICIPANTS).set_value(("alice.csv", _cohort_csv("alice", 90, 1), "text/csv"))
    alice.run()
    alice.switch_page("pages/biotypes.py").run()
    alice.number_input(key=state.BIOTYPES_NULL_COHORTS).set_value(0)  # the structure test has its own tests
    alice.number_input(key=state.BIOTYPES_REPLICATION_SPLITS).set_value(0)  # replication has its own tests
    alice.checkbox(key=state.BIOTYPES_SITE_REPLICATION).uncheck()
    alice.button(key=state.BIOTYPES_COMPUTE).click().run()
    assert not alice.exception and not alice.error
    alice_cohort = alice.session_state[state.COHORT]
    alice_run = alice.session_state[state.RUNS][alice.session_state[state.CURRENT_RUN]]
    assert alice_run.clusters.n_biotypes >= 2

    bob.file_uploader(key=state.DATA_PARTICIPANTS).set_value(("bob.csv", _cohort_csv("bob", 60, 2), "text/csv"))
    bob.run()
    assert not bob.exception and not bob.error
    assert bob.session_state[state.COHORT].fingerprint != alice_cohort.fingerprint
    assert set(bob.session_state[state.COHORT].participants.index) == {f"bob{i:03d}" for i in range(60)}
    assert "alice" not in _shown_text(bob)
    bob.switch_page("pages/biotypes.py").run()
    assert not bob.exception
    assert state.RUNS not in bob.session_state or not bob.session_state[state.RUNS]  # Alice's run is not Bob's
    assert "alice" not in _shown_text(bob)
    charts = [json.loads(c.proto.spec) for c in bob.get("plotly_chart")]  # no run map: only who has which modality, of Bob's cohort
    assert len(charts) == 1 and charts[0]["layout"]["title"]["text"].startswith("Participants per combination of modalities")
    assert sum(plotly_array(charts[0]["data"][0]["y"])) == 60
    for page in ("pages/profiles.py", "pages/export.py"):
        bob.switch_page(page).run()
        assert not bob.exception and "alice" not in _shown_text(bob)

    alice.run()  # Alice's session still holds exactly what she loaded and computed
    assert alice.session_state[state.COHORT] is alice_cohort
    assert alice.session_state[state.RUNS][alice.session_state[state.CURRENT_RUN]] is alice_run
    assert "bob" not in _shown_text(alice)


def _files_changed_since(folder: Path, since: float) -> list[Path]:
    """Plain files under ``folder`` (virtual environments left out) modified at or after ``since``."""
    changed = []
    for path in folder.rglob("*"):
        if any(part.startswith(".venv") for part in path.parts):
            continue
        try:
            if path.is_file() and not path.is_symlink() and path.stat().st_mtime >= since:
                changed.append(path)
        except OSError:  # a file another process removed meanwhile
            continue
    return changed


def test_an_upload_and_its_run_write_no_file_holding_the_data(warm_umap):
    import tempfile
    import time

    marker = "zqxuploadmarker"  # in every participant id of the upload: any file holding the data holds it
    started = time.time() - 1
    at = AppTest.from_file(APP, default_timeout=300)
    at.run()
    at.file_uploader(key=state.DATA_PARTICIPANTS).set_value(("cohort.csv", _cohort_csv(marker, 90, 3), "text/csv"))
    at.run()
    at.switch_page("pages/biotypes.py").run()
    at.number_input(key=state.BIOTYPES_NULL_COHORTS).set_value(0)  # the structure test has its own tests
    at.number_input(key=state.BIOTYPES_REPLICATION_SPLITS).set_value(0)  # replication has its own tests
    at.checkbox(key=state.BIOTYPES_SITE_REPLICATION).uncheck()
    at.button(key=state.BIOTYPES_COMPUTE).click().run()
    for page in ("pages/profiles.py", "pages/export.py"):
        at.switch_page(page).run()
    assert not at.exception and not at.error
    assert at.session_state[state.COHORT].participants.index[0].startswith(marker)
    written = _files_changed_since(Path(tempfile.gettempdir()), started) + _files_changed_since(ROOT, started)
    holding = [p for p in written if p.stat().st_size < 200_000_000 and marker.encode() in p.read_bytes()]
    assert holding == []
