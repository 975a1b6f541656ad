"""The participant flow diagram (CONSORT-style) as an SVG document.

Written as plain SVG text so that the command line (``flow.svg`` in ``--out``), the dashboard and
the HTML report show the same figure without a plotting library or a browser to render it. Boxes run
top to bottom: loaded, clustered, the biotypes; to the right, those not clustered (by exclusion
reason, and per modality lacking) and the noise.
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass
from xml.sax.saxutils import escape

from analysis.describe.flow import ParticipantFlow

FONT_SIZE = 13
LINE_HEIGHT = 18
#: Width of a character of the 13 px sans-serif font, generously (boxes are sized from it).
CHAR_WIDTH = 6.9
PADDING = 10
#: Biotype boxes per row at the bottom of the diagram.
BIOTYPES_PER_ROW = 4
#: Exclusion reasons listed one by one; the rest are summed into one line.
MAX_REASONS = 8
#: Characters per line of a biotype's name.
NAME_WIDTH = 30


@dataclass(frozen=True)
class _Box:
    x: float
    y: float
    lines: tuple[str, ...]
    width: float
    bold_first: bool = True

    @property
    def height(self) -> float:
        return len(self.lines) * LINE_HEIGHT + 2 * PADDING

    @property
    def centre(self) -> float:
        return self.x + self.width / 2

    @property
    def bottom(self) -> float:
        return self.y + self.height


def _width(lines: tuple[str, ...], least: float = 160) -> float:
    return max(least, max(len(line) for line in lines) * CHAR_WIDTH + 2 * PADDING)


def flow_lines(flow: ParticipantFlow) -> dict[str, tuple[str, ...]]:
    """The text of each box of the diagram: ``loaded``, ``excluded``, ``clustered``, ``noise``, and ``biotype <k>`` per biotype."""
    not_clustered = flow.loaded - flow.clustered
    excluded = [f"Not clustered: n = {not_clustered:,}"]
    if flow.excluded:
        excluded.append("By reason:")
        shown = flow.excluded[:MAX_REASONS]
        excluded += [f"  {reason}: {n:,}" for reason, n in shown]
        rest = sum(n for _, n in flow.excluded[MAX_REASONS:])
        if rest:
            excluded.append(f"  {len(flow.excluded) - MAX_REASONS} other reasons: {rest:,}")
    if any(n for _, n in flow.lacking):
        excluded.append(
            "Lacking each modality (imputed from the others):" if flow.imputed else "Lacking each modality (one may lack several):"
        )
        for modality, n in flow.lacking:
            extra = ""
            if modality == "wearables" and flow.too_few_valid_days:
                extra = f" (of whom {flow.too_few_valid_days:,} with too few valid days)"
            excluded.append(f"  {modality}: {n:,}{extra}")
    lines = {
        "loaded": ("Participants loaded", f"n = {flow.loaded:,}"),
        "excluded": tuple(excluded),
        "clustered": ("Clustered", f"n = {flow.clustered:,}"),
        "noise": ("Noise (in no biotype)", f"n = {flow.noise:,}"),
    }
    for number, name, n in flow.biotypes:
        wrapped = [
            line for part in name.split(" · ") for line in textwrap.wrap(part, NAME_WIDTH, break_long_words=False, break_on_hyphens=False)
        ] or [f"B{number}"]
        lines[f"biotype {number}"] = (*wrapped, f"n = {n:,}")
    return lines


def flow_svg(flow: ParticipantFlow, title: str = "Participant flow") -> str:
    """The diagram as a standalone SVG document (UTF-8 text).

    Parameters
    ----------
    flow : ParticipantFlow
    title : str
        The SVG's ``<title>`` (read by screen readers and shown as a tooltip).

    Returns
    -------
    str
    """
    text = flow_lines(flow)
    gap = 34
    main_width = max(_width(text["loaded"]), _width(text["clustered"]))
    side_x = main_width + 2 * gap + 20
    loaded = _Box(20, 20, text["loaded"], main_width)
    side = _Box(side_x, loaded.bottom + gap / 2, text["excluded"], _width(text["excluded"]))
    clustered = _Box(20, max(side.bottom + gap / 2, loaded.bottom + 2 * gap), text["clustered"], main_width)
    noise = _Box(side_x, clustered.bottom + gap / 2, text["noise"], _width(text["noise"]))
    top = noise.bottom + gap
    biotype_keys = [k for k in text if k.startswith("biotype ")]
    biotype_width = max((_width(text[k], 140) for k in biotype_keys), default=140)
    biotypes, row_height = [], max((len(text[k]) for k in biotype_keys), default=0) * LINE_HEIGHT + 2 * PADDING
    for i, key in enumerate(biotype_keys):
        row, column = divmod(i, BIOTYPES_PER_ROW)
        biotypes.append(_Box(20 + column * (biotype_width + 16), top + row * (row_height + gap), text[key], biotype_width))
    width = max(side.x + side.width, noise.x + noise.width, *(b.x + b.width for b in biotypes)) + 20
    height = max([noise.bottom, *(b.bottom for b in biotypes)]) + 20
    trunk = loaded.centre
    parts = [
        f"<svg xmlns='http://www.w3.org/2000/svg' width='{width:.0f}' height='{height:.0f}' viewBox='0 0 {width:.0f} {height:.0f}' "
        f"font-family='Helvetica, Arial, sans-serif' font-size='{FONT_SIZE}' role='img'>",
        f"<title>{escape(title)}</title>",
        "<defs><marker id='arrow' viewBox='0 0 10 10' refX='9' refY='5' markerWidth='7' markerHeight='7' orient='auto-start-reverse'>"
        "<path d='M 0 0 L 10 5 L 0 10 z' fill='#444'/></marker></defs>",
        f"<rect width='{width:.0f}' height='{height:.0f}' fill='white'/>",
        _arrow(trunk, loaded.bottom, trunk, clustered.y),
        _arrow(trunk, side.y + side.height / 2, side.x, side.y + side.height / 2),
        _arrow(trunk, noise.y + noise.height / 2, noise.x, noise.y + noise.height / 2, start=(clustered.centre, clustered.bottom)),
    ]
    if biotypes:
        bus = top - gap / 2
        parts.append(_line(trunk, noise.y + noise.height / 2, trunk, bus))
        left = 10 if len(biotypes) > BIOTYPES_PER_ROW else min(trunk, biotypes[0].centre)
        parts.append(_line(left, bus, max(trunk, *(b.centre for b in biotypes[:BIOTYPES_PER_ROW])), bus))
        for box in biotypes:
            parts.append(_arrow(box.centre, bus if box.y == top else box.y - gap / 2, box.centre, box.y))
        for row_start in range(BIOTYPES_PER_ROW, len(biotypes), BIOTYPES_PER_ROW):
            row = biotypes[row_start : row_start + BIOTYPES_PER_ROW]
            y = row[0].y - gap / 2
            parts.append(_line(10, bus, 10, y))
            parts.append(_line(10, y, row[-1].centre, y))
    for box in (loaded, side, clustered, noise, *biotypes):
        parts.append(_box(box))
    parts.append("</svg>")
    return "\n".join(parts) + "\n"


def _line(x1: float, y1: float, x2: float, y2: float) -> str:
    return f"<line x1='{x1:.1f}' y1='{y1:.1f}' x2='{x2:.1f}' y2='{y2:.1f}' stroke='#444' stroke-width='1.2'/>"


def _arrow(x1: float, y1: float, x2: float, y2: float, start: tuple[float, float] | None = None) -> str:
    """A line ending in an arrowhead (from ``start`` down to the line's own start first, when given)."""
    lead = _line(start[0], start[1], x1, y1) if start else ""
    return (
        lead + f"<line x1='{x1:.1f}' y1='{y1:.1f}' x2='{x2:.1f}' y2='{y2:.1f}' stroke='#444' stroke-width='1.2' marker-end='url(#arrow)'/>"
    )


def _box(box: _Box) -> str:
    rect = f"<rect x='{box.x:.1f}' y='{box.y:.1f}' width='{box.width:.1f}' height='{box.height:.1f}' rx='4' fill='#f7f7f7' stroke='#444'/>"
    lines = []
    for i, line in enumerate(box.lines):
        y = box.y + PADDING + (i + 0.75) * LINE_HEIGHT
        weight = " font-weight='bold'" if i == 0 and box.bold_first else ""
        indent = len(line) - len(line.lstrip(" "))
        x = box.x + PADDING + indent * CHAR_WIDTH
        lines.append(f"<text x='{x:.1f}' y='{y:.1f}'{weight} xml:space='preserve'>{escape(line.lstrip(' '))}</text>")
    return rect + "".join(lines)
