"""Find tables among a PDF page's lines from the positions of their cells, and read them as `Table`s.

Statistical PDFs such as the USGS Mineral Commodity Summaries set tables without rulings: only
alignment says what is a column. pdfplumber's own finder with text alignment
(`page.find_tables({"vertical_strategy": "text", "horizontal_strategy": "text"})`) was measured
on those pages: it takes the whole page for one table and cuts words in half ("Salient
Statistics—U" | "nited States:"), and glues footnote markers to numbers ("1216,000"). This module
works instead on the lines and cells `pdf_layout` already builds (cells are separated by gaps of
at least 1 em, superscript markers kept apart):

- a table is a run of lines with two or more cells, allowing short one-cell lines between them
  (row headings such as "Imports:"), plus a one-cell group header just above it;
- header lines are the leading bold lines (else the leading lines that hold no data values:
  words and years only); the rest is the body;
- value columns are the x-bands where body cells overlap (right-aligned numbers of one column all
  overlap); a row with two cells in one band means the guess is wrong, and the run stays text;
- each header cell heads the columns nearest to it, so a cell centred over two columns
  ("Mine production" over "2023" and "2024") prefixes both, and stacked header lines join
  top to bottom ("Potential" + "acquisitions");
- header text left of the value columns is the label column's header; text before a colon there
  ("Salient Statistics—United States:", "Tariff: Item") is the caption, else the bold lead-in of
  the paragraph just above ("World Mine Production and Reserves: ...") or a short line above;
- a label-only line heads the more indented rows below it ("Production:" > "Mineral
  concentrates"), so their labels read "Production: Mineral concentrates".

Units, footnote texts and the code legend are document-wide facts that `pdf_notes` reads and the
PDF loader fills in. Not handled: ruled tables' cell borders, rotated tables, cells spanning rows,
wrapped multi-line cells (a wrapped label is joined only when its second line starts lower-case).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from statistics import median

from ingest.loaders.pdf_layout import (
    PARAGRAPH_GAP,
    SPACE_GAP_EM,
    Cell,
    Char,
    Line,
    is_bold,
    line_cells,
)
from ingest.loaders.tables import DEFAULT_LEGEND, Column, Row, Table, Text, sentence_case
from ingest.loaders.units import Unit, find_unit, split_header

MAX_HEADING_WORDS = 14  # a one-cell line inside a table (a row heading) is at most this long
MAX_HEADING_RUN = 3  # one-cell lines in a row between two table rows
MAX_VALUE_WORDS = 5  # median words per value cell; more and the "table" is prose with gaps
MAX_HEADER_WORDS = 8  # words per header cell
MAX_ROW_GAP_EM = 3.0  # a larger vertical gap ends the table
CAPTION_GAP_EM = 3.0  # the caption paragraph ends at most this far above the table
CAPTION_LINE_WORDS = 20
HEADER_BOLD = 0.6
INDENT_EM = 0.3
CLAIM_EM = 2.0  # a header cell heads a column at most max(its width, 2 em) away
WIDE_GAP = 1.5  # a gap this many times the usual word gap separates two headers
_NUMBER = re.compile(r"^[<>≥≤]?\s*[-+]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?%?$")
_YEAR = re.compile(r"^(?:FY\s*)?(1[89]\d\d|20\d\d)(?:\s*[–-]\s*\d{2,4})?[a-z]?$")


@dataclass
class FoundTable:
    """A table and the lines it came from: lines[start:end] are not page text any more."""

    start: int
    end: int
    table: Table
    has_header: bool


def find_tables(lines: list[Line]) -> list[FoundTable]:
    """Tables among consecutive lines of one block, in order; lines of no table are left alone."""
    cells = [line_cells(line) for line in lines]
    found: list[FoundTable] = []
    index = 0
    while index < len(lines):
        if len(cells[index]) < 2:
            index += 1
            continue
        end = _run_end(lines, cells, index)
        low = found[-1].end if found else 0
        table = _read(lines, cells, index, end, low)
        if table is not None:
            found.append(table)
        index = end
    return found


# --- where a table starts and ends -------------------------------------------------------------


def _run_end(lines: list[Line], cells: list[list[Cell]], start: int) -> int:
    """One past the last multi-cell line of the run starting at `start`."""
    last = start
    index = start + 1
    while index < len(lines):
        if _gap_em(lines[index - 1], lines[index]) > MAX_ROW_GAP_EM:
            break
        if len(cells[index]) >= 2:
            last = index
            index += 1
            continue
        ahead = index
        while ahead < len(lines) and len(cells[ahead]) == 1 and ahead - index < MAX_HEADING_RUN:
            if len(cells[ahead][0].text.split()) > MAX_HEADING_WORDS:
                break
            ahead += 1
        if ahead < len(lines) and len(cells[ahead]) >= 2 and ahead > index:
            index = ahead
            continue
        break
    return last + 1


def _gap_em(upper: Line, lower: Line) -> float:
    return (lower.top - upper.bottom) / max(min(upper.size, lower.size), 1.0)


# --- reading one run --------------------------------------------------------------------------


def _read(
    lines: list[Line], cells: list[list[Cell]], start: int, end: int, low: int
) -> FoundTable | None:
    run = cells[start:end]
    heads = _header_count(run)
    body = list(range(start + heads, end))
    bands = _bands([cells[i] for i in body if len(cells[i]) >= 2])
    if not bands or not _looks_tabular(cells, body, bands):
        return None
    if any(len(c.text.split()) > MAX_HEADER_WORDS for line in run[:heads] for c in line[1:]):
        return None
    size = median(line.size for line in lines[start:end])
    top = start
    while top - 1 >= low and _group_header_above(lines, cells, top, bands, size):
        top -= 1
    header_lines = [cells[i] for i in range(top, start + heads)]
    labels = [cells[i][0] for i in body if _band_of(cells[i][0], bands) is None]
    label_x1 = max((c.x1 for c in labels), default=bands[0][0])
    label_header, names = _columns(header_lines, bands, min(label_x1, bands[0][0]), size)
    caption, caption_notes = _caption(label_header, lines, cells, top, low)
    rows = _rows(lines, cells, body, bands, size)
    if not rows:
        return None
    columns = [_column(parts, number) for number, parts in enumerate(names, start=1)]
    table = Table(caption=caption, columns=columns, rows=rows, caption_notes=caption_notes)
    return FoundTable(top, end, table, has_header=any(names))


def _header_count(run: list[list[Cell]]) -> int:
    """Leading header lines: bold ones if the first line is bold and the body is not, else the
    leading lines without data values; at least one body line always remains."""
    bold = [_bold(line) >= HEADER_BOLD for line in run]
    if bold[0] and not all(bold):
        count = next(i for i, b in enumerate(bold) if not b)
    else:
        count = 0
        while count < len(run) - 1 and _header_like(run[count]):
            count += 1
    return count


def _bold(line: list[Cell]) -> float:
    chars = sum(len(c.chars) for c in line)
    return sum(c.bold * len(c.chars) for c in line) / max(chars, 1)


def _header_like(line: list[Cell]) -> bool:
    return not any(_is_data(c.text) for c in line[1:] or line)


def _is_data(text: str) -> bool:
    text = text.strip()
    if _YEAR.match(text):
        return False
    return bool(_NUMBER.match(text)) or text in DEFAULT_LEGEND


def _bands(rows: list[list[Cell]]) -> list[tuple[float, float]]:
    """x-intervals of the value columns: merged extents of every body cell but the label."""
    spans = sorted((c.x0, c.x1) for row in rows for c in row[1:])
    bands: list[list[float]] = []
    for x0, x1 in spans:
        if bands and x0 <= bands[-1][1]:
            bands[-1][1] = max(bands[-1][1], x1)
        else:
            bands.append([x0, x1])
    # a first cell that reaches into a value band is a value, not a label
    for row in rows:
        first = row[0]
        for band in bands:
            if first.x1 > band[0] and first.x0 < band[1]:
                band[0], band[1] = min(band[0], first.x0), max(band[1], first.x1)
    return [(a, b) for a, b in bands]


def _band_of(cell: Cell, bands: list[tuple[float, float]]) -> int | None:
    best, best_overlap = None, 0.0
    for index, (a, b) in enumerate(bands):
        overlap = min(b, cell.x1) - max(a, cell.x0)
        if overlap > best_overlap:
            best, best_overlap = index, overlap
    return best


def _looks_tabular(
    cells: list[list[Cell]], body: list[int], bands: list[tuple[float, float]]
) -> bool:
    """Every value cell in exactly one band, never two in one band, and short values."""
    words = []
    rows_with_values = 0
    for index in body:
        row = cells[index]
        taken: set[int] = set()
        values = row[1:] if len(row) >= 2 and _band_of(row[0], bands) is None else row
        if len(row) == 1 and _band_of(row[0], bands) is None:
            continue  # a row heading
        for cell in values:
            band = _band_of(cell, bands)
            if band is None or band in taken:
                return False
            taken.add(band)
            words.append(len(cell.text.split()))
        rows_with_values += 1
    return rows_with_values >= 1 and bool(words) and median(words) <= MAX_VALUE_WORDS


def _group_header_above(
    lines: list[Line],
    cells: list[list[Cell]],
    top: int,
    bands: list[tuple[float, float]],
    size: float,
) -> bool:
    """A one-cell line just above the table that sits over the value columns ("Mine production")."""
    line = cells[top - 1]
    if len(line) != 1 or _gap_em(lines[top - 1], lines[top]) > PARAGRAPH_GAP:
        return False
    cell = line[0]
    return (
        cell.x0 >= bands[0][0] - CLAIM_EM * size
        and len(cell.text.split()) <= MAX_VALUE_WORDS
        and _header_like(line)
    )


# --- header -----------------------------------------------------------------------------------


def _columns(
    header: list[list[Cell]], bands: list[tuple[float, float]], label_x1: float, size: float
) -> tuple[list[Cell], list[list[Text]]]:
    """Cells of the label column's header, and the header parts of every value column.

    A header cell starting inside the label column (left of where the body's labels end) and
    reaching no value column heads the labels ("Material", "Tariff: Item").
    The bottom header line names one column per cell when it has as many cells as there are
    columns (in order: a left-aligned header over right-aligned numbers is nearer the next
    column's numbers); any other line's cells head the columns nearest to them.
    """
    label: list[Cell] = []
    names: list[list[Text]] = [[] for _ in bands]
    for depth, line in enumerate(header):
        values = []
        for cell in line:
            if cell.x0 < label_x1 and _band_of(cell, bands) is None:
                label.append(cell)
            else:
                values.append(cell)
        pieces = [(c.text, c.markers, c.x0, c.x1) for c in values]
        if depth == len(header) - 1 and len(pieces) < len(bands):
            pieces = [p for c in values for p in _split_by_bands(c, bands, size)]
        if depth == len(header) - 1 and len(pieces) == len(bands):
            claims = dict(enumerate(sorted(pieces, key=lambda p: p[2])))
        else:
            claims = _claims(pieces, bands, size)
        for band, (text, markers, _, _) in claims.items():
            if text:
                names[band].append(Text(sentence_case(text), markers))
    return label, names


def _claims(
    pieces: list[tuple[str, tuple[str, ...], float, float]],
    bands: list[tuple[float, float]],
    size: float,
) -> dict[int, tuple[str, tuple[str, ...], float, float]]:
    """Each band takes the nearest header piece of the line, if it is near enough."""
    out = {}
    for index, (a, b) in enumerate(bands):
        best, best_key = None, None
        for piece in pieces:
            x0, x1 = piece[2], piece[3]
            distance = max(x0 - b, a - x1, 0.0)
            overlap = min(b, x1) - max(a, x0)
            key = (distance, -overlap)
            if distance <= max(x1 - x0, CLAIM_EM * size) and (best_key is None or key < best_key):
                best, best_key = piece, key
        if best is not None and best[0]:
            out[index] = best
    return out


def _split_by_bands(
    cell: Cell, bands: list[tuple[float, float]], size: float
) -> list[tuple[str, tuple[str, ...], float, float]]:
    """A bottom header cell over k columns whose gap was under 1 em ("Share of 2024 world
    Reserves"): cut it at its k-1 widest word gaps, if those are clearly wider than the rest."""
    whole = [(cell.text, cell.markers, cell.x0, cell.x1)]
    covered = sum(1 for a, b in bands if min(b, cell.x1) > max(a, cell.x0))
    words = _words(cell.chars, size)
    if covered < 2 or len(words) < covered:
        return whole
    gaps = [words[i + 1][0]["x0"] - words[i][-1]["x1"] for i in range(len(words) - 1)]
    widest = sorted(range(len(gaps)), key=lambda i: gaps[i], reverse=True)[: covered - 1]
    others = [g for i, g in enumerate(gaps) if i not in widest]
    if others and min(gaps[i] for i in widest) < WIDE_GAP * median(others):
        return whole
    out = []
    start = 0
    for cut in [*sorted(widest), len(words) - 1]:
        group = words[start : cut + 1]
        text = " ".join("".join(c["text"] for c in word) for word in group)
        out.append((text, (), group[0][0]["x0"], group[-1][-1]["x1"]))
        start = cut + 1
    return out


def _words(chars: list[Char], size: float) -> list[list[Char]]:
    """Characters grouped into words by the same gap rule as pdf_layout's spaces."""
    words: list[list[Char]] = []
    for char in chars:
        if words and char["x0"] - words[-1][-1]["x1"] < SPACE_GAP_EM * size:
            words[-1].append(char)
        else:
            words.append([char])
    return words


def _column(parts: list[Text], number: int) -> Column:
    head = split_header(" ".join(p.text for p in parts))
    notes = tuple(dict.fromkeys(m for p in parts for m in p.notes))
    return Column(name=head.name or f"column {number}", notes=notes, unit=head.unit)


# --- caption ----------------------------------------------------------------------------------


def _caption(
    label_header: list[Cell], lines: list[Line], cells: list[list[Cell]], top: int, low: int
) -> tuple[str, tuple[str, ...]]:
    """(caption, its footnote markers): the label header's text before a colon ("Tariff: Item"
    -> "Tariff"), else what stands above the table. The rest of the label header ("Item",
    "Material") names the label column, which records do not repeat."""
    text = " ".join(c.text for c in label_header)
    if ":" in text:
        markers = next((c.markers for c in label_header if ":" in c.text), ())
        return text.partition(":")[0].strip(), markers
    return _caption_above(lines, cells, top, low)


def _caption_above(
    lines: list[Line], cells: list[list[Cell]], top: int, low: int
) -> tuple[str, tuple[str, ...]]:
    """The bold lead-in ("Government Stockpile:") of the paragraph just above, or a short
    one-line paragraph above ("Table 1. Mine production ... (tonnes REO)")."""
    last = top - 1
    if last < low or _gap_em(lines[last], lines[top]) > CAPTION_GAP_EM:
        return "", ()
    first = last
    while first - 1 >= low and _gap_em(lines[first - 1], lines[first]) <= PARAGRAPH_GAP:
        first -= 1
    lead = _lead_in(cells[first][0]) if cells[first] else None
    if lead is not None:
        return lead
    if first == last and len(cells[first]) == 1:
        text = cells[first][0].text
        if len(text.split()) <= CAPTION_LINE_WORDS and not text.endswith("."):
            return text, cells[first][0].markers
    return "", ()


def _lead_in(cell: Cell) -> tuple[str, tuple[str, ...]] | None:
    """ "Heading: text ..." whose heading is set bold: the heading and the markers after it."""
    colon = next((i for i, c in enumerate(cell.chars) if c["text"] == ":"), None)
    if colon is None:
        return None
    lead = cell.chars[: colon + 1]
    if sum(is_bold(c) for c in lead) < HEADER_BOLD * len(lead):
        return None
    head = cell.text.split(":", 1)[0].strip()
    markers: tuple[str, ...] = ()
    for index, (text, sup) in enumerate(cell.pieces):
        if not sup and ":" in text:
            after = cell.pieces[index + 1] if index + 1 < len(cell.pieces) else None
            if after is not None and after[1] and not text.split(":", 1)[1].strip():
                markers = tuple(after[0].replace(",", " ").split())
            break
    if not head or len(head.split()) > MAX_HEADING_WORDS:
        return None
    return head, markers


# --- body rows --------------------------------------------------------------------------------


def _rows(
    lines: list[Line],
    cells: list[list[Cell]],
    body: list[int],
    bands: list[tuple[float, float]],
    size: float,
) -> list[Row]:
    """Body lines as rows; a label-only line heads the more indented rows below it."""
    rows: list[Row] = []
    stack: list[_Heading] = []

    def pop_to(x0: float) -> None:
        while stack and stack[-1].indent >= x0 - INDENT_EM * size:
            heading = stack.pop()
            if not heading.used:  # a heading with no rows under it is a row of its own
                rows.append(Row(label=[*(h.text for h in stack), heading.text], cells=[]))

    for index in body:
        line = cells[index]
        label_cell = line[0] if _band_of(line[0], bands) is None else None
        values = line[1:] if label_cell is not None else line
        slots = [Text("") for _ in bands]
        for cell in values:
            band = _band_of(cell, bands)
            if band is not None:
                slots[band] = Text(cell.text, cell.markers)
        x0 = label_cell.x0 if label_cell is not None else bands[0][0]
        label = Text(label_cell.text, label_cell.markers) if label_cell is not None else None
        if label is not None and stack and _wraps(stack[-1], label):
            heading = stack.pop()  # a label wrapped over two lines
            label = Text(f"{heading.text.text} {label.text}", heading.text.notes + label.notes)
            x0 = heading.indent
        if label is not None and not values:
            pop_to(x0)
            stack.append(_Heading(x0, _strip_colon(label), label.text.endswith(":")))
            continue
        pop_to(x0)
        for heading in stack:
            heading.used = True
        path = [h.text for h in stack] + ([label] if label is not None else [])
        rows.append(Row(label=path, cells=slots, unit=_row_unit(path)))
    pop_to(float("-inf"))
    return rows


@dataclass
class _Heading:
    indent: float
    text: Text
    colon: bool
    used: bool = False


def _wraps(heading: _Heading, label: Text) -> bool:
    """A heading without a colon or rows, followed by a lower-case line: one label wrapped."""
    return not heading.used and not heading.colon and label.text[:1].islower()


def _strip_colon(label: Text) -> Text:
    return Text(label.text.rstrip(":").strip(), label.notes)


def _row_unit(path: list[Text]) -> Unit | None:
    for part in reversed(path):
        unit = find_unit(part.text)
        if unit is not None:
            return unit
    return None
