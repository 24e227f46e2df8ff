"""Tables as self-describing records: one renderer for PDF, CSV, DOCX and HTML tables.

A table row cut from its header is a list of bare numbers ("Australia | 16,000 | 13,000 |
5,700,000"); a small model then guesses which number is which. Every loader that finds a table
fills one `Table` (caption, column headers, rows of label + cells, unit, footnotes) and this module
renders each row as one record in which every cell carries its row label and column header:

    Australia: mine production 2023 (estimated) = 16,000 t (note 12); ...; reserves = 5,700,000 t (note 13)

- plain numbers get the unit of their column, else of their row, else of the table;
- codes such as "W", "NA", "—" become words ("withheld", "not available"), from the table's own
  legend when it has one, so they are never read as numbers;
- footnote markers are rendered after the value: a marker whose footnote is a short phrase
  ("e" = "Estimated") inline as "(estimated)", others as "(note 12)", with the footnote texts in
  one "Notes" record after the rows;
- a record longer than the embedder's window (256 word pieces, minus the title/caption prefix the
  chunker adds) is split into parts at cell boundaries, each part repeating the row label; a single
  cell too long on its own is cut at sentence boundaries.

What it does not do: find tables in a file or tell header rows from body rows (each loader knows
its format), or guess units beyond `ingest.loaders.units`.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from ingest.chunker import embed_text
from ingest.document import Section
from ingest.loaders.units import Unit, find_unit, split_header
from ree.text import split_sentences

#: Codes that stand for "no number" in statistical tables, unless the table's legend says otherwise.
DEFAULT_LEGEND: dict[str, str] = {
    "W": "withheld",
    "NA": "not available",
    "N/A": "not available",
    "n/a": "not available",
    "n.a.": "not available",
    "XX": "not applicable",
    "—": "not reported",
    "–": "not reported",
    "-": "not reported",
    "--": "not reported",
}
NOTES_LABEL = "Notes"  # a table's notes record is labelled "<caption>, notes"
#: A footnote this short ("Estimated", "Preliminary") is written inline instead of "note e".
SHORT_NOTE_WORDS = 3
_NUMBER = re.compile(r"^[-+]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?$")
_COMPARED = re.compile(r"^(>=|<=|[<>≥≤])\s*(\S.*)$")
_COMPARISONS = {">": "more than", "<": "less than", "≥": "at least", ">=": "at least"}
_COMPARISONS |= {"≤": "at most", "<=": "at most"}
_TITLE_WORD = re.compile(r"^[A-Z][a-z]+$")

Count = Callable[[str], int]


@dataclass
class Text:
    """A piece of table text with the footnote markers printed next to it ("^12 16,000")."""

    text: str
    notes: tuple[str, ...] = ()


@dataclass
class Column:
    """A value column: its header (levels joined, "mine production 2023") and its own unit."""

    name: str
    notes: tuple[str, ...] = ()
    unit: Unit | None = None


@dataclass
class Row:
    """One body row: label path (parent headings first), cells aligned with the columns."""

    label: list[Text]
    cells: list[Text]
    unit: Unit | None = None  # from the label ("Price, dollars per kilogram"); None: inherit


@dataclass
class Table:
    caption: str
    columns: list[Column]
    rows: list[Row]
    unit: Unit | None = None  # the table's unit (caption or document); None: numbers stay bare
    notes: dict[str, str] = field(default_factory=dict)  # footnote marker -> footnote text
    legend: dict[str, str] = field(default_factory=dict)  # cell code -> meaning
    caption_notes: tuple[str, ...] = ()
    page: int | None = None


@dataclass
class Record:
    """A rendered row before splitting: "label: cell; cell"."""

    label: str
    cells: list[str]

    @property
    def text(self) -> str:
        return f"{self.label}: " + "; ".join(self.cells) if self.cells else self.label


# --- rendering ------------------------------------------------------------------------------


def render_records(table: Table) -> list[Record]:
    """One record per row (rows with no cells and no label are dropped), then a Notes record."""
    legend = {**DEFAULT_LEGEND, **table.legend}
    records = []
    table_unit_used = False
    for number, row in enumerate(table.rows, start=1):
        label = ": ".join(_with_notes(part.text, part.notes, table.notes) for part in row.label)
        label = label.strip() or f"row {number}"
        cells = []
        for column, cell in zip(table.columns, row.cells, strict=False):
            unit = _unit(column, row, table)
            value, with_unit = _value(cell, unit, legend, table.notes)
            if value is not None:
                name = _with_notes(column.name, _short(column.notes, table.notes), table.notes)
                cells.append(f"{name} = {value}")
                table_unit_used |= with_unit and unit is table.unit
        if cells or any(part.text.strip() for part in row.label):
            records.append(Record(label, cells))
    notes = notes_record(table, unit=table_unit_used)
    return records + ([notes] if notes else [])


def notes_record(table: Table, *, unit: bool = True) -> Record | None:
    """The table's unit (if its numbers use it and only the document states it, not the caption)
    and its footnotes, as one record labelled "<caption>, notes"."""
    cells = []
    stated = table.unit
    if (
        unit
        and stated is not None
        and stated.symbol
        and stated.text != stated.symbol
        and stated.text not in table.caption
    ):
        cells.append(f"{stated.symbol} = {_tidy(stated.text)}")
    seen: set[str] = set()
    markers = [*table.caption_notes]
    markers += [m for c in table.columns for m in c.notes]
    for row in table.rows:
        markers += [m for part in row.label for m in part.notes]
        markers += [m for cell in row.cells for m in cell.notes]
    for marker in markers:
        text = table.notes.get(marker)
        if marker in seen or not text or _is_short(text):
            continue
        seen.add(marker)
        cells.append(f"note {marker} = {_tidy(text).rstrip('.')}")
    label = f"{table.caption}, {NOTES_LABEL.lower()}" if table.caption else NOTES_LABEL
    return Record(label, cells) if cells else None


def _unit(column: Column, row: Row, table: Table) -> Unit | None:
    if column.unit is not None:
        return column.unit
    if row.unit is not None:
        return row.unit
    return table.unit


def _value(
    cell: Text, unit: Unit | None, legend: dict[str, str], notes: dict[str, str]
) -> tuple[str | None, bool]:
    """The cell as written in a record, and whether a unit was appended to it."""
    raw = _tidy(cell.text)
    if not raw:
        return None, False
    with_unit = False
    if raw in legend:
        value = legend[raw]
    else:
        compared = _COMPARED.match(raw)
        word, number = (
            (_COMPARISONS[compared.group(1)], compared.group(2)) if compared else ("", raw)
        )
        if _NUMBER.match(number):
            with_unit = unit is not None and bool(unit.symbol)
            value = " ".join(filter(None, [word, _with_unit(number, unit)]))
        else:
            value = raw
    return _with_notes(value, cell.notes, notes), with_unit


def _with_unit(number: str, unit: Unit | None) -> str:
    if unit is None or not unit.symbol:
        return number
    return f"{number}{unit.symbol}" if unit.symbol == "%" else f"{number} {unit.symbol}"


def _with_notes(text: str, markers: tuple[str, ...], notes: dict[str, str]) -> str:
    """`text (estimated; notes 7, 8)`: short footnotes by meaning, the others by number."""
    words = []
    numbered = []
    for marker in dict.fromkeys(markers):
        meaning = notes.get(marker, "")
        if meaning and _is_short(meaning):
            words.append(meaning.strip().rstrip(".").lower())
        else:
            numbered.append(marker)
    if numbered:
        words.append(("notes " if len(numbered) > 1 else "note ") + ", ".join(numbered))
    return f"{text} ({'; '.join(words)})" if words else text


def _short(markers: tuple[str, ...], notes: dict[str, str]) -> tuple[str, ...]:
    """Only the markers written inline in a header; numbered header notes go to the Notes record."""
    return tuple(m for m in markers if _is_short(notes.get(m, "")))


def _is_short(text: str) -> bool:
    words = text.strip().rstrip(".").split()
    return 0 < len(words) <= SHORT_NOTE_WORDS and not any(ch.isdigit() for ch in text)


def _tidy(text: str) -> str:
    return " ".join(text.split())


def sentence_case(header: str) -> str:
    """Lower-case a sentence-case header so a record reads as a sentence.

    "Mine production" -> "mine production"; "Normal Trade Relations", "FY 2024" and "U.S. imports"
    keep their capitals.
    """
    words = header.split()
    if not words or not _TITLE_WORD.match(words[0]):
        return header
    if len(words) > 1 and words[1][:1].isupper():
        return header
    return header[0].lower() + header[1:]


# --- fitting records to the embedder's window ------------------------------------------------


def record_budget(title: str, caption: str) -> int:
    """Word pieces a record may use: the embedder's window minus the "title | caption" line the
    chunker puts in front of every chunk (counted, not guessed; at least half the window)."""
    from ree.runtime.wordpieces import count_word_pieces, word_piece_capacity

    capacity = word_piece_capacity()
    prefix = count_word_pieces(embed_text(title, caption, ""))
    return max(capacity - prefix, capacity // 2)


def fit_record(record: Record, budget: int, count: Count) -> list[str]:
    """The record as one text, or as parts of whole cells that each fit `budget` word pieces,
    every part starting with the row label. A cell too long on its own is cut at sentences.

    Counts are summed per cell: WordPiece splits at spaces and punctuation, so the count of
    "a; b" is count(a) + count(";") + count(b) (tests recount every part with the tokenizer).
    """
    whole = record.text
    if not record.cells or count(whole) <= budget:
        return [whole]
    label = record.label
    if count(label) > budget // 2:  # an absurd label: keep its start, never loop on it
        label = _pieces(label, budget // 2, count)[0]
    head = f"{label}: "
    head_n, sep_n = count(head), count(";")
    parts: list[str] = []
    current: list[str] = []
    used = head_n
    for cell in record.cells:
        n = count(cell)
        if current and used + sep_n + n <= budget:
            current.append(cell)
            used += sep_n + n
            continue
        if current:
            parts.append(head + "; ".join(current))
        if head_n + n <= budget:
            current, used = [cell], head_n + n
        else:
            parts += [head + piece for piece in _cut_cell(cell, budget - head_n, count)]
            current, used = [], head_n
    if current:
        parts.append(head + "; ".join(current))
    return parts


def _cut_cell(cell: str, room: int, count: Count) -> list[str]:
    """A "name = long text" cell as pieces of whole sentences, each repeating "name = "."""
    name, sep, value = cell.partition(" = ")
    lead = f"{name} = " if sep and count(name) < room // 2 else ""
    return [lead + piece for piece in _pieces(value if lead else cell, room - count(lead), count)]


def _pieces(text: str, room: int, count: Count) -> list[str]:
    """`text` as runs of whole sentences of at most `room` word pieces; a sentence too long is
    cut at words, and a word too long (a URL, a run with no spaces) at characters."""
    room = max(room, 1)
    units: list[tuple[str, int]] = []
    for sentence in split_sentences(text) or [text]:
        n = count(sentence)
        if n <= room:
            units.append((sentence, n))
            continue
        for word in sentence.split():
            while (k := count(word)) > room:
                cut = _longest_prefix(word, room, count)
                units.append((word[:cut], count(word[:cut])))
                word = word[cut:]
            if word:
                units.append((word, k))
    pieces: list[str] = []
    current: list[str] = []
    used = 0
    for unit, n in units:  # units are joined by a space: counts add up exactly
        if current and used + n > room:
            pieces.append(" ".join(current))
            current, used = [], 0
        current.append(unit)
        used += n
    if current:
        pieces.append(" ".join(current))
    return pieces


def _longest_prefix(word: str, room: int, count: Count) -> int:
    lo, hi = 1, len(word)
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if count(word[:mid]) <= room:
            lo = mid
        else:
            hi = mid - 1
    return lo


def table_sections(table: Table, *, title: str, count: Count | None = None) -> list[Section]:
    """Record Sections for a table: one per row part, `section` = the caption."""
    if count is None:
        from ree.runtime.wordpieces import count_word_pieces as count
    budget = record_budget(title, table.caption)
    sections = []
    for record in render_records(table):
        for part in fit_record(record, budget, count):
            sections.append(
                Section(text=part, page=table.page, section=table.caption, kind="record")
            )
    return sections


# --- tables from a grid of strings (CSV, DOCX, HTML) ------------------------------------------


def table_from_grid(
    header: list[list[str]],
    body: list[list[str]],
    *,
    caption: str,
    label_columns: int = 1,
    group_rows: bool = True,
    page: int | None = None,
) -> Table | None:
    """A Table from header rows and body rows of cell strings; None if it has no value column.

    Header rows are joined per column, top to bottom (a spanning cell repeated over its columns
    by the reader prefixes each of them: "FY 2024" + "acquisitions"); units come out of the
    headers and the caption. The first `label_columns` cells of a body row are its label. With
    `group_rows`, a row with a label and no values heads the rows below it until the next such
    row ("Imports:" over "Compounds"). Ragged rows are padded; nothing here raises on odd input.
    """
    width = max((len(row) for row in [*header, *body]), default=0)
    if width <= label_columns or not body:
        return None
    columns = _grid_columns(header, width, label_columns)
    rows: list[Row] = []
    parent: Text | None = None
    for raw in body:
        cells = [_tidy(c) for c in raw] + [""] * (width - len(raw))
        label = ", ".join(c for c in cells[:label_columns] if c)
        values = [Text(c) for c in cells[label_columns:]]
        if group_rows and label and not any(v.text for v in values):
            parent = Text(label.rstrip(":"))
            continue
        path = [parent, Text(label)] if parent is not None and label else [Text(label)]
        rows.append(Row(label=[p for p in path if p is not None], cells=values))
    if not rows:
        return None
    return Table(caption=caption, columns=columns, rows=rows, unit=find_unit(caption), page=page)


def _grid_columns(header: list[list[str]], width: int, label_columns: int) -> list[Column]:
    parts_by_column: list[list[str]] = [[] for _ in range(width)]
    for row in header:
        for index in range(label_columns, width):
            text = sentence_case(_tidy(row[index])) if index < len(row) else ""
            parts = parts_by_column[index]
            if text and (not parts or parts[-1] != text):
                parts.append(text)
    headers = [split_header(" ".join(parts)) for parts in parts_by_column[label_columns:]]
    names = [h.name for h in headers]
    duplicated = {n for n in names if names.count(n) > 1}
    columns = []
    for index, head in enumerate(headers, start=label_columns + 1):
        name = head.full if head.name in duplicated else head.name
        columns.append(Column(name=name or f"column {index}", unit=head.unit))
    seen: dict[str, int] = {}
    for column in columns:  # still equal after that: number them, never merge two columns
        seen[column.name] = seen.get(column.name, 0) + 1
        if seen[column.name] > 1:
            column.name = f"{column.name} ({seen[column.name]})"
    return columns
