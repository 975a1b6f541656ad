"""Table 1 as a manuscript shows it: an HTML table and a Word (.docx) table, from the same layout.

The layout is the usual one: a heading per group with its size, one row per numeric variable
("age, mean ± SD"), a categorical variable's row followed by one indented row per level, a
"missing" row under a variable that some participant lacks, and the test, p and q on the
variable's row. The CSV (:attr:`analysis.describe.table_one.TableOne.rows`) keeps every number
unformatted beside these.
"""

from __future__ import annotations

import html
import io
from dataclasses import dataclass

import numpy as np

from analysis.describe.table_one import CLUSTERED_ON, COUNT_PERCENT, TableOne


@dataclass(frozen=True)
class LayoutRow:
    """One row of the manuscript layout.

    Attributes
    ----------
    kind : str
        ``section``, ``variable``, ``level`` or ``missing``.
    label : str
    cells : tuple of str
        One per group (empty on a section row, and on a categorical variable's own row).
    test, p, q : str
        On a variable's row: the test ("descriptive" for a clustered variable), p and q as shown.
    """

    kind: str
    label: str
    cells: tuple[str, ...]
    test: str = ""
    p: str = ""
    q: str = ""


def table_layout(table: TableOne) -> list[LayoutRow]:
    """The rows of ``table`` as a manuscript lays them out (see the module's docstring)."""
    rows, section = [], None
    empty = tuple("" for _ in table.groups)
    for variable, part in table.rows.groupby("variable", sort=False):
        first = part.iloc[0]
        if first["section"] != section:
            section = first["section"]
            rows.append(LayoutRow("section", section, empty))
        marks = {"test": test_shown(first["test"]), "p": p_text(first["p_value"]), "q": p_text(first["q_value"])}
        label = f"{variable}, {first['statistic']}"
        if first["statistic"] == COUNT_PERCENT:
            rows.append(LayoutRow("variable", label, empty, **marks))
            rows += [LayoutRow("level", str(r["level"]), _cells(table, r, "summary")) for _, r in part.iterrows()]
        else:
            rows.append(LayoutRow("variable", label, _cells(table, first, "summary"), **marks))
        if any(first[f"{g.name}: missing"] for g in table.groups):
            rows.append(LayoutRow("missing", "missing, n", _cells(table, first, "missing")))
    return rows


def _cells(table: TableOne, row, part: str) -> tuple[str, ...]:
    return tuple(f"{row[f'{g.name}: {part}']:,}" if part == "missing" else str(row[f"{g.name}: {part}"]) for g in table.groups)


def test_shown(test: str) -> str:
    """The test column as a table shows it: "descriptive" for a clustered variable, "none (why)" where no test was made."""
    if test == CLUSTERED_ON:
        return "descriptive"
    return f"none ({test.removeprefix('none: ')})" if test.startswith("none: ") else test


def p_text(p: float) -> str:
    """A p- or q-value as a table shows it: "<0.001", three decimals, "" when none."""
    if not np.isfinite(p):
        return ""
    return "<0.001" if p < 0.001 else f"{p:.3f}"


def group_headings(table: TableOne) -> list[str]:
    """Each group's column heading: its name and size."""
    return [f"{g.name} (n = {g.n:,})" for g in table.groups]


def table_footnotes(table: TableOne, grouped_by: str) -> list[str]:
    """What the table's statistics and tests are, in words (printed under it)."""
    tested = [g.name for g in table.groups if g.tested]
    n_tested = int(table.rows.drop_duplicates("variable")["p_value"].notna().sum())
    untested = [g.name for g in table.groups if not g.tested]
    notes = [
        "Numeric variables: mean ± SD when their distribution is roughly symmetric (|skewness| ≤ 1), otherwise median "
        "[Q1, Q3]; categories: n (% of the participants with a value); missing: participants without a value.",
        f"Tests compare the {len(tested)} {grouped_by}"
        + (f" ({', '.join(untested)}: not tested)" if untested else "")
        + ": Welch's ANOVA (symmetric), Kruskal-Wallis (skewed) and the chi-square test (categories); where a group has "
        "fewer than 5 values or expected counts are small, by up to 1,999 label permutations of the same statistic, "
        "stopped once 10 permuted statistics reach the observed one (Besag & Clifford 1991).",
        f"p unadjusted; q: Benjamini-Hochberg across the {n_tested} tested variables.",
    ]
    if (table.rows["test"] == CLUSTERED_ON).any():
        notes.append(
            "Descriptive: the biotypes were clustered on this variable, so they differ on it by construction and a test "
            "of that difference would be circular."
        )
    return notes


def table_one_html(table: TableOne, title: str, grouped_by: str) -> str:
    """The table as an HTML ``<table>`` with its title and footnotes (a fragment; the report embeds it).

    Parameters
    ----------
    table : TableOne
    title : str
        Caption, e.g. "Table 1. Participant characteristics by biotype".
    grouped_by : str
        What the groups are, plural ("biotypes", "custom groups"), for the footnotes.
    """
    head = "".join(f"<th>{html.escape(h)}</th>" for h in ["Characteristic", *group_headings(table), "Test", "p", "q"])
    body = []
    span = len(table.groups) + 4
    for row in table_layout(table):
        if row.kind == "section":
            body.append(f"<tr class='t1-section'><th colspan='{span}'>{html.escape(row.label)}</th></tr>")
            continue
        style = " style='padding-left:1.5em'" if row.kind in ("level", "missing") else ""
        cells = "".join(f"<td>{html.escape(c)}</td>" for c in row.cells)
        marks = "".join(f"<td>{html.escape(v)}</td>" for v in (row.test, row.p, row.q))
        body.append(f"<tr><td{style}>{html.escape(row.label)}</td>{cells}{marks}</tr>")
    notes = "".join(f"<li>{html.escape(n)}</li>" for n in table_footnotes(table, grouped_by))
    return (
        f"<table class='table-one'><caption>{html.escape(title)}</caption><thead><tr>{head}</tr></thead>"
        f"<tbody>{''.join(body)}</tbody></table><ul class='note'>{notes}</ul>"
    )


def table_one_html_document(table: TableOne, title: str, grouped_by: str) -> str:
    """The table as a complete HTML page (the download), styled for reading and for pasting into a manuscript."""
    style = (
        "body{font-family:system-ui,sans-serif;margin:2rem;color:#222} table{border-collapse:collapse;font-size:0.85rem}"
        "caption{text-align:left;font-weight:600;margin-bottom:0.4rem} th,td{border-bottom:1px solid #ddd;padding:0.2rem 0.6rem;"
        "text-align:left} .t1-section th{background:#f4f4f4} .note{color:#555;font-size:0.85rem}"
    )
    return (
        f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{html.escape(title)}</title><style>{style}</style></head>"
        f"<body>{table_one_html(table, title, grouped_by)}</body></html>"
    )


def table_one_docx(table: TableOne, title: str, grouped_by: str) -> bytes:
    """The table as a Word document (.docx, python-docx): a caption, the table and its footnotes, landscape.

    Returns
    -------
    bytes
        The .docx file.
    """
    from docx import Document
    from docx.enum.section import WD_ORIENT
    from docx.shared import Pt

    document = Document()
    section = document.sections[0]
    section.orientation = WD_ORIENT.LANDSCAPE
    section.page_width, section.page_height = section.page_height, section.page_width
    document.add_paragraph().add_run(title).bold = True
    headings = ["Characteristic", *group_headings(table), "Test", "p", "q"]
    layout = table_layout(table)
    grid = document.add_table(rows=1 + len(layout), cols=len(headings))
    grid.style = "Table Grid"
    for cell, text in zip(grid.rows[0].cells, headings, strict=True):
        cell.text = text
        cell.paragraphs[0].runs[0].bold = True
    for row, entry in zip(grid.rows[1:], layout, strict=True):
        label = ("    " if entry.kind in ("level", "missing") else "") + entry.label
        texts = [label, *entry.cells, entry.test, entry.p, entry.q]
        for cell, text in zip(row.cells, texts, strict=True):
            cell.text = text
        if entry.kind == "section":
            row.cells[0].paragraphs[0].runs[0].bold = True
    for row in grid.rows:
        for cell in row.cells:
            for paragraph in cell.paragraphs:
                for run in paragraph.runs:
                    run.font.size = Pt(8)
    for note in table_footnotes(table, grouped_by):
        document.add_paragraph(note).runs[0].font.size = Pt(8)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()
