"""Turn a PDF page's characters into reading-order text with footnote markers kept apart.

Why not `page.extract_text()`: it glues a superscript footnote marker to the number after it.
In USGS tables "Australia ¹²16,000" comes out as "1216,000", which reads as 1.2 million tonnes.
Here every character's font size and baseline are compared with its line's dominant text: a run
of smaller, raised characters is a superscript and is written as "^12" followed by a space, so
the marker can never merge with a number ("Australia | ^12 16,000"). Subscripts (lowered) are
left inline, so chemical formulas such as "Nd2Fe14B" read as usual.

Layout rules, in order:
- characters are grouped into lines by vertical overlap with the line's largest characters;
- inside a line, a gap of >= 0.15 em is a space and a gap of >= 1 em is a table cell break,
  written " | " so table rows stay on one line with visible cell boundaries;
- a run of lines with a clear vertical gutter whose two sides both look like prose (>= 4 words
  per line, densely set) is a two-column block and is read left column first, then right;
- a vertical gap of more than 0.8 em between two lines starts a new paragraph (blank line).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cached_property
from statistics import median
from typing import Any

Char = dict[str, Any]

SPACE_GAP_EM = 0.15
CELL_GAP_EM = 1.0
SUPERSCRIPT_MAX_SIZE = 0.85  # of the line's dominant size
SUPERSCRIPT_MIN_RAISE = 0.18  # of the dominant size, measured at the characters' bottoms
LINE_OVERLAP = 0.6
PARAGRAPH_GAP = 0.8
MIN_COLUMN_LINES = 4
GUTTER_EM = 0.8  # clear band a column gutter needs on every line (word gaps are ~0.3 em)
MIN_COLUMN_WORDS = 4
MIN_COLUMN_DENSITY = 0.6
SUPERSCRIPT_PREFIX = "^"
_BOLD = re.compile(r"bold|black|heavy|semibold|demi", re.I)


@dataclass
class Line:
    """Characters that share a baseline, with the statistics used to spot superscripts."""

    chars: list[Char] = field(default_factory=list)
    top: float = 0.0
    bottom: float = 0.0

    @cached_property
    def size(self) -> float:
        """Dominant font size (most characters; ties go to the larger size)."""
        counts = Counter(round(c["size"], 1) for c in self.chars)
        return max(counts, key=lambda s: (counts[s], s))

    @cached_property
    def baseline(self) -> float:
        size = self.size
        return median(c["bottom"] for c in self.chars if round(c["size"], 1) == size)


def page_text(chars: list[Char], page_width: float) -> str:
    """Reading-order text of one page (see module docstring for the rules)."""
    return join_blocks(render_lines(block) for block in page_blocks(chars, page_width))


def page_blocks(chars: list[Char], page_width: float) -> list[list[Line]]:
    """The page's lines in reading order, in blocks (a two-column run gives one block per side)."""
    visible = [c for c in chars if c.get("upright", True) and c["text"].strip()]
    return _blocks(group_lines(visible), page_width)


def render_lines(lines: list[Line]) -> str:
    """Text of consecutive lines, a blank line where the vertical gap says "new paragraph"."""
    out: list[str] = []
    previous: Line | None = None
    for line in lines:
        text = render_line(line)
        if not text:
            continue
        if previous is not None and _paragraph_break(previous, line):
            out.append("")
        out.append(text)
        previous = line
    return "\n".join(out).strip()


def join_blocks(texts: Iterable[str]) -> str:
    """Blocks (columns, runs around them) as paragraphs of one text."""
    return "\n\n".join(t for t in texts if t)


def group_lines(chars: list[Char]) -> list[Line]:
    """Cluster characters into lines, top to bottom, each sorted left to right."""
    lines: list[Line] = []
    for char in sorted(chars, key=lambda c: (c["top"], c["x0"])):
        for line in reversed(lines[-4:]):
            if _overlap(line, char) >= LINE_OVERLAP:
                line.chars.append(char)
                if char["bottom"] - char["top"] > line.bottom - line.top:
                    line.top, line.bottom = char["top"], char["bottom"]
                break
        else:
            lines.append(Line([char], char["top"], char["bottom"]))
    for line in lines:
        line.chars.sort(key=lambda c: c["x0"])
    lines.sort(key=lambda ln: ln.top)
    return lines


@dataclass
class Cell:
    """The characters of a line between two cell gaps (>= 1 em), in runs of normal text and
    superscript, with the spaces the gap rules put between words."""

    chars: list[Char] = field(default_factory=list)
    pieces: list[list[Any]] = field(default_factory=list)  # [text, is_superscript]

    @property
    def x0(self) -> float:
        return self.chars[0]["x0"]

    @property
    def x1(self) -> float:
        return max(c["x1"] for c in self.chars)

    @property
    def rendered(self) -> str:
        """As in page text: superscripts written "^12"."""
        return "".join(SUPERSCRIPT_PREFIX + t if sup else t for t, sup in self.pieces)

    @property
    def text(self) -> str:
        """Without superscripts (a removed marker leaves a word gap, never glues words)."""
        return " ".join(" ".join(t for t, sup in self.pieces if not sup).split())

    @property
    def markers(self) -> tuple[str, ...]:
        """The superscript runs, split at commas and spaces: "^e, 4" -> ("e", "4")."""
        runs = (t for t, sup in self.pieces if sup)
        return tuple(m for run in runs for m in re.split(r"[,\s]+", run) if m)

    @property
    def bold(self) -> float:
        """Share of the cell's characters set in a bold face."""
        return sum(is_bold(c) for c in self.chars) / max(len(self.chars), 1)


def is_bold(char: Char) -> bool:
    """Set in a bold face, going by the font name ("Arial-BoldMT", "Helvetica-Bold")."""
    return bool(_BOLD.search(str(char.get("fontname", ""))))


def line_cells(line: Line, chars: list[Char] | None = None) -> list[Cell]:
    """A line (or a subset of its chars) cut into cells at gaps of >= 1 em, superscripts apart."""
    chars = line.chars if chars is None else chars
    size, baseline = line.size, line.baseline
    cells: list[Cell] = []
    previous: Char | None = None
    in_super = False
    for char in chars:
        is_super = _is_superscript(char, size, baseline)
        if previous is None or char["x0"] - previous["x1"] >= CELL_GAP_EM * size:
            cells.append(Cell())
        else:
            gap = char["x0"] - previous["x1"]
            word_gap = gap >= SPACE_GAP_EM * min(size, max(char["size"], previous["size"]))
            leaves_super = in_super and not is_super and char["text"][:1].isalnum()
            if word_gap or leaves_super:
                cells[-1].pieces[-1][0] += " "
        cell = cells[-1]
        if cell.pieces and cell.pieces[-1][1] == is_super:
            cell.pieces[-1][0] += char["text"]
        else:
            cell.pieces.append([char["text"], is_super])
        cell.chars.append(char)
        in_super = is_super
        previous = char
    return cells


def render_line(line: Line, chars: list[Char] | None = None) -> str:
    """Text of a line (or of a subset of its chars), superscripts written as "^12 ", cells
    separated by " | "."""
    return " | ".join(cell.rendered for cell in line_cells(line, chars)).strip(" |")


def _is_superscript(char: Char, size: float, baseline: float) -> bool:
    return (
        char["size"] <= SUPERSCRIPT_MAX_SIZE * size
        and char["bottom"] <= baseline - SUPERSCRIPT_MIN_RAISE * size
    )


def _overlap(line: Line, char: Char) -> float:
    """Vertical overlap as a share of the smaller height."""
    low = max(line.top, char["top"])
    high = min(line.bottom, char["bottom"])
    smaller = min(line.bottom - line.top, char["bottom"] - char["top"]) or 1.0
    return (high - low) / smaller


def _paragraph_break(previous: Line, line: Line) -> bool:
    return line.top - previous.bottom > PARAGRAPH_GAP * min(previous.size, line.size)


# --- two-column detection ---------------------------------------------------------------


def _words(line: Line) -> list[tuple[float, float]]:
    """(x0, x1) spans of the line's words."""
    spans: list[tuple[float, float]] = []
    size = line.size
    for char in line.chars:
        if spans and char["x0"] - spans[-1][1] < SPACE_GAP_EM * size:
            spans[-1] = (spans[-1][0], max(spans[-1][1], char["x1"]))
        else:
            spans.append((char["x0"], char["x1"]))
    return spans


def _blocks(lines: list[Line], page_width: float) -> list[list[Line]]:
    """Lines in reading order, grouped into blocks; two-column runs are unrolled column-wise."""
    words = [_words(line) for line in lines]
    pads = [GUTTER_EM * line.size / 2 for line in lines]
    gutter, runs = _best_gutter(words, pads, page_width)
    if gutter is None:
        return [lines]
    blocks: list[list[Line]] = []
    cursor = 0
    for start, end in runs:
        if cursor < start:
            blocks.append(lines[cursor:start])
        run = lines[start:end]
        blocks.append(_side(run, gutter, left=True))
        blocks.append(_side(run, gutter, left=False))
        cursor = end
    if cursor < len(lines):
        blocks.append(lines[cursor:])
    return blocks


def _side(run: list[Line], gutter: float, left: bool) -> list[Line]:
    """The part of each line on one side of the gutter, as new Line objects."""
    out = []
    for line in run:
        chars = [c for c in line.chars if ((c["x0"] + c["x1"]) / 2 < gutter) == left]
        if chars:
            top = min(c["top"] for c in chars)
            bottom = max(c["bottom"] for c in chars)
            out.append(Line(chars, top, bottom))
    return out


def _best_gutter(
    words: list[list[tuple[float, float]]], pads: list[float], page_width: float
) -> tuple[float | None, list[tuple[int, int]]]:
    """The x (middle 30-70% of the page) whose two-column runs cover the most lines."""
    best: tuple[int, float | None, list[tuple[int, int]]] = (0, None, [])
    x = page_width * 0.3
    while x <= page_width * 0.7:
        runs = _column_runs(words, pads, x)
        covered = sum(end - start for start, end in runs)
        if covered > best[0]:
            best = (covered, x, runs)
        x += 2.0
    return best[1], best[2]


def _column_runs(
    words: list[list[tuple[float, float]]], pads: list[float], x: float
) -> list[tuple[int, int]]:
    """Maximal runs of lines with a clear band at x whose two sides look like prose columns."""
    runs: list[tuple[int, int]] = []
    start = None
    for index in range(len(words) + 1):  # the extra index closes the last run
        crossed = index == len(words) or any(
            a - pads[index] < x < b + pads[index] for a, b in words[index]
        )
        if not crossed and start is None:
            start = index
        elif crossed and start is not None:
            if _is_prose_columns(words[start:index], x):
                runs.append((start, index))
            start = None
    return runs


def _is_prose_columns(run: list[list[tuple[float, float]]], x: float) -> bool:
    for left in (True, False):
        sides = [[s for s in spans if (s[1] <= x) == left] for spans in run]
        sides = [s for s in sides if s]
        if len(sides) < MIN_COLUMN_LINES:
            return False
        if median(len(s) for s in sides) < MIN_COLUMN_WORDS:
            return False
        density = median(sum(b - a for a, b in s) / max(s[-1][1] - s[0][0], 1e-6) for s in sides)
        if density < MIN_COLUMN_DENSITY:
            return False
    return True
