"""CSV loader: every row becomes one self-describing record Section.

A bare row such as "1985,14000,,,5600" is useless to a retriever or an LLM once cut from its
header. Rendering each row as "<file title> | year: 1985; Production (...): 14000" makes every
chunk answerable on its own, and `kind="record"` tells the chunker never to split a row.
"""

from __future__ import annotations

import csv
import io
import re
import sys
from pathlib import Path

from ingest.document import LoadedDocument, Section

ROWS_SECTION = "rows"
_SNIFF_CHARS = 32 * 1024
_DELIMITERS = ",;\t|"
_WHITESPACE = re.compile(r"\s+")
_WORD_HYPHEN = re.compile(r"(?<=[A-Za-z])-|-(?=[A-Za-z])")
_NUMBER = re.compile(r"^[-+]?(?:\d[\d,]*)?\.?\d+(?:[eE][-+]?\d+)?%?$")

# Long text cells (encyclopedia summaries, descriptions) exceed the 128 KB default.
csv.field_size_limit(min(sys.maxsize, 2**31 - 1))


def parse(text: str, path: Path) -> LoadedDocument:
    """Build a document of record Sections from decoded CSV text."""
    title = humanize_stem(path)
    delimiter = sniff_delimiter(text)
    rows = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    extra = {"delimiter": delimiter}
    header = next(rows, [])
    first_data: list[list[str]] = []
    if header and all(_NUMBER.match(c.strip()) for c in header if c.strip()):
        first_data = [header]
        header = [f"column_{i}" for i in range(1, len(header) + 1)]
        extra["warning"] = "no header row; columns named column_1..N"
    columns = [_clean(name) or f"column_{i}" for i, name in enumerate(header, start=1)]

    sections: list[Section] = []
    for row in [*first_data, *rows]:
        record = render_row(title, columns, row)
        if record:
            sections.append(Section(text=record, section=ROWS_SECTION, kind="record"))
    extra["columns"] = str(len(columns))
    extra["rows"] = str(len(sections))
    return LoadedDocument(path=path, doc_type="csv", title=title, sections=sections, extra=extra)


def render_row(title: str, columns: list[str], row: list[str]) -> str | None:
    """Render "<title> | col: value; col: value", skipping empty cells; None for an empty row."""
    pairs = []
    for index, cell in enumerate(row):
        value = _clean(cell)
        if value:
            name = columns[index] if index < len(columns) else f"column_{index + 1}"
            pairs.append(f"{name}: {value}")
    return f"{title} | " + "; ".join(pairs) if pairs else None


def sniff_delimiter(text: str) -> str:
    """The delimiter csv.Sniffer finds in the first lines, if it splits the header; else ","."""
    sample = text[:_SNIFF_CHARS]
    first_line = sample.split("\n", 1)[0]
    try:
        delimiter = csv.Sniffer().sniff(sample, delimiters=_DELIMITERS).delimiter
    except csv.Error:
        return ","
    if delimiter != "," and first_line.count(",") > first_line.count(delimiter):
        return ","
    return delimiter


def humanize_stem(path: Path) -> str:
    """File stem as words: underscores and hyphens next to letters become spaces.

    "usgs_ds140_rare_earths_statistics_1900-1992" -> "usgs ds140 rare earths statistics 1900-1992"
    (the hyphen between two numbers is a range and stays).
    """
    stem = _WORD_HYPHEN.sub(" ", path.stem.replace("_", " "))
    return " ".join(stem.split())


def _clean(cell: str) -> str:
    return _WHITESPACE.sub(" ", cell).strip()
