"""CSV loader: every row becomes a self-describing record, split to fit the embedder.

A bare row such as "1985,13400,3390,..." is useless to a retriever or an LLM once cut from its
header. Each row goes through the shared table renderer (`ingest.loaders.tables`):
"1985: production = 13400 t; imports = 3390 t; ...". The row label is the key column (the first
column, or the first two when only together they tell rows apart, e.g. year + country); column
names are kept as the file gives them, with units taken out of the header ("Production (metric
tons (t) ...)" -> "production", values in t). A wide row is cut into parts that each fit the
embedder's 256 word pieces, every part repeating the row label, and `kind="record"` tells the
chunker never to split a part.

Not handled: type inference, multi-line headers, or CSVs that are not tables (free text in one
column still loads, one record per line).
"""

from __future__ import annotations

import csv
import io
import re
import sys
from pathlib import Path

from ingest.document import LoadedDocument, Section
from ingest.loaders.tables import table_from_grid, table_sections

_SNIFF_CHARS = 32 * 1024
_DELIMITERS = ",;\t|"
_WHITESPACE = re.compile(r"\s+")
_WORD_HYPHEN = re.compile(r"(?<=[A-Za-z])-|-(?=[A-Za-z])")
_NUMBER = re.compile(r"^[-+]?(?:\d[\d,]*)?\.?\d+(?:[eE][-+]?\d+)?%?$")
MAX_KEY_COLUMNS = 2

# Long text cells (encyclopedia summaries, descriptions) exceed the 128 KB default.
csv.field_size_limit(min(sys.maxsize, 2**31 - 1))


def parse(text: str, path: Path) -> LoadedDocument:
    """Build a document of record Sections from decoded CSV text."""
    title = humanize_stem(path)
    delimiter = sniff_delimiter(text)
    rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    extra = {"delimiter": delimiter}
    header = rows[0] if rows else []
    body = [row for row in rows[1:] if any(_clean(c) for c in row)]
    if header and all(_NUMBER.match(c.strip()) for c in header if c.strip()):
        body = [header, *body]
        header = [f"column_{i}" for i in range(1, len(header) + 1)]
        extra["warning"] = "no header row; columns named column_1..N"
    columns = [_clean(name) or f"column_{i}" for i, name in enumerate(header, start=1)]
    width = max([len(columns), *(len(row) for row in body)]) if body else len(columns)
    columns += [f"column_{i}" for i in range(len(columns) + 1, width + 1)]

    sections = _record_sections(title, columns, body)
    extra["columns"] = str(len(columns))
    extra["rows"] = str(len(body))
    return LoadedDocument(path=path, doc_type="csv", title=title, sections=sections, extra=extra)


def _record_sections(title: str, columns: list[str], body: list[list[str]]) -> list[Section]:
    if len(columns) < 2:  # a single column: each line is its own record, there is no header to add
        lines = (_clean(row[0]) for row in body if row)
        return [Section(text=line, section=title, kind="record") for line in lines if line]
    keys = key_columns(body, len(columns))
    table = table_from_grid([columns], body, caption=title, label_columns=keys, group_rows=False)
    return table_sections(table, title=title) if table is not None else []


def key_columns(body: list[list[str]], width: int) -> int:
    """How many leading columns label a row: the first if its values are filled and unique,
    else the first two if together they are (a "year,country,..." table); else just the first."""
    for n in range(1, min(MAX_KEY_COLUMNS, width - 1) + 1):
        keys = [tuple(_clean(c) for c in row[:n]) for row in body]
        if all(all(k) and len(k) == n for k in keys) and len(set(keys)) == len(keys):
            return n
    return 1


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
