"""Table 1's HTML and Word files and the flow diagram's SVG, read back and checked against what they were made from."""

import io
import xml.etree.ElementTree as ET

import numpy as np
import pandas as pd
from docx import Document

from analysis.describe.flow import ParticipantFlow
from analysis.describe.table_one import TableGroup, table_one
from analysis.reporting.flow_svg import flow_svg
from analysis.reporting.table_one_files import table_layout, table_one_docx, table_one_html

SVG = "{http://www.w3.org/2000/svg}"


def small_table(clustered=()):
    rng = np.random.default_rng(1)
    frame = pd.DataFrame(
        {"age": rng.normal(50, 10, 40), "sex": rng.choice(["F", "M"], 40), "pain": rng.normal(5, 2, 40)},
        index=[f"p{i}" for i in range(40)],
    )
    frame.loc["p0", "age"] = np.nan
    labels = pd.Series(np.repeat([1, 2], 20), index=frame.index)
    groups = [TableGroup(1, "B1 · <high> & pain", 20, True), TableGroup(2, "B2", 20, True), TableGroup(0, "All clustered", 40, False)]
    variables = [("Covariates", "age"), ("Covariates", "sex"), ("Clinical", "pain")]
    return table_one(frame, variables, labels, groups, clustered=clustered)


def test_the_layout_has_a_section_row_a_row_per_variable_and_level_and_a_missing_row():
    table = small_table(clustered=("pain",))
    layout = table_layout(table)
    assert [(r.kind, r.label) for r in layout] == [
        ("section", "Covariates"),
        ("variable", "age, mean ± SD"),
        ("missing", "missing, n"),
        ("variable", "sex, n (%)"),
        ("level", "F"),
        ("level", "M"),
        ("section", "Clinical"),
        ("variable", "pain, mean ± SD"),
    ]
    age = table.rows[table.rows["variable"] == "age"].iloc[0]
    assert layout[1].cells == tuple(age[f"{g.name}: summary"] for g in table.groups)
    assert layout[2].cells == ("1", "0", "1")
    assert layout[1].test == "Welch's ANOVA" and layout[7].test == "descriptive" and layout[7].p == ""


def test_the_word_file_holds_the_same_cells_as_the_layout():
    table = small_table(clustered=("pain",))
    document = Document(io.BytesIO(table_one_docx(table, "Table 1. By biotype", "biotypes")))
    grid = document.tables[0]
    heading = [c.text for c in grid.rows[0].cells]
    assert heading == ["Characteristic", "B1 · <high> & pain (n = 20)", "B2 (n = 20)", "All clustered (n = 40)", "Test", "p", "q"]
    layout = table_layout(table)
    assert len(grid.rows) == 1 + len(layout)
    for docx_row, entry in zip(grid.rows[1:], layout, strict=True):
        texts = [c.text for c in docx_row.cells]
        if entry.kind == "section":
            assert texts[0] == entry.label
        else:
            assert texts == [texts[0], *entry.cells, entry.test, entry.p, entry.q] and texts[0].strip() == entry.label
    assert document.paragraphs[0].text == "Table 1. By biotype"
    assert any("circular" in p.text for p in document.paragraphs)  # the footnote for the clustered variable


def test_the_html_table_escapes_names_and_says_what_was_tested():
    html = table_one_html(small_table(), "Table 1", "biotypes")
    assert "B1 · &lt;high&gt; &amp; pain (n = 20)" in html and "<high>" not in html
    assert "Tests compare the 2 biotypes (All clustered: not tested)" in html
    assert "circular" not in html  # nothing was clustered on


def flow(**changes):
    base = {
        "loaded": 1000,
        "lacking": (("clinical", 0), ("connectivity", 585)),
        "too_few_valid_days": None,
        "excluded": (("no connectivity", 585), ("no prs", 127)),
        "clustered": 288,
        "noise": 14,
        "biotypes": ((1, "B1 · low <fatigue>", 104), (2, "B2", 170)),
    }
    return ParticipantFlow(**{**base, **changes})


def svg_texts(svg: str) -> list[str]:
    root = ET.fromstring(svg)
    return [t.text for t in root.iter(f"{SVG}text")]


def test_the_flow_svg_is_valid_and_holds_every_count():
    svg = flow_svg(flow())
    texts = svg_texts(svg)
    for line in (
        "Participants loaded",
        "n = 1,000",
        "Not clustered: n = 712",
        "no connectivity: 585",
        "no prs: 127",
        "Clustered",
        "n = 288",
    ):
        assert line in texts
    assert "Noise (in no biotype)" in texts and "n = 14" in texts
    assert texts.index("low <fatigue>") < texts.index("n = 104")  # the name, escaped in the file, read back as written
    assert "connectivity: 585" in texts and "Lacking each modality (one may lack several):" in texts
    rects = [r for r in ET.fromstring(svg).iter(f"{SVG}rect")]
    assert len(rects) == 1 + 4 + 2  # the background, four boxes and one per biotype


def test_many_biotypes_wrap_onto_rows_and_many_reasons_are_summed():
    reasons = tuple((f"reason {i}", 20 - i) for i in range(12))
    biotypes = tuple((b, f"B{b}", 10) for b in range(1, 10))
    svg = flow_svg(flow(excluded=reasons, clustered=1000 - sum(n for _, n in reasons), biotypes=biotypes))
    texts = svg_texts(svg)
    assert "4 other reasons: 42" in texts and "reason 7: 13" in texts and "reason 8: 12" not in texts
    root = ET.fromstring(svg)
    boxes = [r for r in root.iter(f"{SVG}rect") if r.get("rx")]
    rows = sorted({float(r.get("y")) for r in boxes[4:]})
    assert len(rows) == 3  # nine biotypes, four per row
    width = float(root.get("width"))
    assert all(float(r.get("x")) + float(r.get("width")) <= width for r in boxes)


def test_an_imputing_run_says_the_lacking_were_imputed():
    texts = svg_texts(flow_svg(flow(imputed=True)))
    assert "Lacking each modality (imputed from the others):" in texts


def test_a_run_with_no_biotypes_still_draws_its_flow():
    texts = svg_texts(flow_svg(flow(noise=288, biotypes=())))
    assert "Noise (in no biotype)" in texts and "n = 288" in texts
