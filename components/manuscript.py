"""Table 1 and the participant flow diagram on the page, with their downloads."""

from __future__ import annotations

import streamlit as st

from analysis.describe.table_one import TableOne
from analysis.io.spreadsheet import csv_bytes
from analysis.reporting.table_one_files import table_one_docx, table_one_html, table_one_html_document

#: Styles of the table on the page (the page's own theme colours; the report and the download carry their own).
_TABLE_STYLE = """<style>
.table-one { border-collapse: collapse; font-size: 0.82rem; margin-bottom: 0.4rem; }
.table-one caption { caption-side: top; text-align: left; font-weight: 600; padding-bottom: 0.4rem; }
.table-one th, .table-one td { border-bottom: 1px solid rgba(128,128,128,0.3); padding: 0.15rem 0.55rem; text-align: left; vertical-align: top; }
.table-one td { white-space: nowrap; }
.table-one .t1-section th { background: rgba(128,128,128,0.12); }
ul.note { font-size: 0.8rem; opacity: 0.8; }
</style>"""

DOCX_MIME = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def render_table_one(table: TableOne, title: str, grouped_by: str, file_stem: str, key_prefix: str) -> None:
    """Table 1 laid out as a manuscript's, then its CSV, HTML and Word downloads (the Word file is made on click).

    Parameters
    ----------
    table : TableOne
    title : str
        The table's caption.
    grouped_by : str
        What the groups are, plural, for the footnotes ("biotypes", "custom groups").
    file_stem : str
        Downloads are ``<file_stem>.csv``, ``.html`` and ``.docx``.
    key_prefix : str
        Prefix of the download buttons' widget keys.
    """
    st.html(_TABLE_STYLE + f"<div style='overflow-x:auto'>{table_one_html(table, title, grouped_by)}</div>")
    columns = st.columns(3)
    downloads = (
        ("csv", "CSV (every cell, for analysis)", lambda: csv_bytes(table.rows), "text/csv"),
        ("html", "HTML", lambda: table_one_html_document(table, title, grouped_by).encode(), "text/html"),
        ("docx", "Word (.docx)", lambda: table_one_docx(table, title, grouped_by), DOCX_MIME),
    )
    for column, (extension, label, make, mime) in zip(columns, downloads, strict=True):
        column.download_button(
            label,
            make,
            file_name=f"{file_stem}.{extension}",
            mime=mime,
            on_click="ignore",
            icon=":material/download:",
            key=f"{key_prefix}{file_stem}_{extension}",
        )


def render_flow(svg: str, key_prefix: str) -> None:
    """The participant flow diagram and its SVG download."""
    st.image(svg)
    st.download_button(
        "flow.svg",
        svg.encode(),
        file_name="flow.svg",
        mime="image/svg+xml",
        on_click="ignore",
        icon=":material/download:",
        key=f"{key_prefix}flow_svg",
    )
