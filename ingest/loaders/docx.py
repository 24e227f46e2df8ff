"""DOCX loader: paragraphs and tables in body order, "Heading N" styles as section paths.

Word files from ministries and consultancies put key figures in tables. A table's header rows
(rows marked "repeat as header row", else the first row) name its columns, its first column labels
its rows, and each body row goes through the shared table renderer as one record, "Dy oxide:
2023 = 330; 2024 = 260", the same way CSV rows do, so a retrieved row still says what its numbers
are. Its caption is a "Caption"-styled or "Table N ..." paragraph just before it, else the heading
path. A table with a single row or a single column has no header to add: its rows stay plain
"a | b" lines in the text, as do the rows of a table the renderer cannot make sense of.
"""

from __future__ import annotations

import re
import zipfile
from datetime import datetime, timezone
from pathlib import Path

import docx
from docx.opc.exceptions import PackageNotFoundError
from docx.oxml.ns import qn
from docx.table import Table
from docx.text.paragraph import Paragraph

from ingest.document import LoadedDocument, LoadError
from ingest.loaders import tables
from ingest.loaders.sections import SectionBuilder, tidy
from ree.text.dates import normalize_date

_HEADING_STYLE = re.compile(r"^heading\s*(\d)$", re.I)
_DATE_PARAGRAPH = re.compile(r"^\s*(?:date|dated|published)\s*[:\-\u2013]\s*(.+)$", re.I)
_DATE_SCAN_PARAGRAPHS = 15
_CAPTION = re.compile(r"^(?:table|tab\.)\s*\d+\b", re.I)
# python-docx's built-in template stamps every new file with this creation time.
_TEMPLATE_CREATED = datetime(2013, 12, 23, 23, 15, tzinfo=timezone.utc)


def load(path: Path) -> LoadedDocument:
    """Read a .docx file; a file that is not a valid package raises LoadError("corrupt DOCX: ...")."""
    try:
        document = docx.Document(str(path))
    except (PackageNotFoundError, zipfile.BadZipFile, KeyError, ValueError) as exc:
        raise LoadError(f"corrupt DOCX: {_short(exc)}") from exc

    builder = SectionBuilder()
    title_style: str | None = None
    first_heading: str | None = None
    date_line: str | None = None
    paragraphs_seen = 0
    caption: str | None = None  # a caption paragraph right before the next table
    for block in document.iter_inner_content():
        if isinstance(block, Table):
            name = caption or builder.path or f"Table {builder.tables + 1}"
            table = table_records(block, caption=name)
            if table is not None:
                builder.table(table)
            else:
                for row in render_table(block):
                    builder.add(row)
            caption = None
            continue
        text = tidy(block.text)
        if not text:
            continue
        paragraphs_seen += 1
        style = _style_name(block)
        caption = text if style.lower() == "caption" or _CAPTION.match(text) else None
        level = _heading_level(style)
        if style.lower() == "title":
            title_style = title_style or text
        elif level:
            first_heading = first_heading or text
            builder.heading(level, text)
        else:
            if date_line is None and paragraphs_seen <= _DATE_SCAN_PARAGRAPHS:
                match = _DATE_PARAGRAPH.match(text)
                date_line = normalize_date(match.group(1)) if match else None
            builder.add(text)

    core = document.core_properties
    title = (core.title or "").strip() or title_style or first_heading or path.stem
    return LoadedDocument(
        path=path,
        doc_type="docx",
        title=title,
        sections=builder.finish(title),
        published=date_line or _created(core.created),
        extra={k: v for k, v in {"author": (core.author or "").strip()}.items() if v},
    )


def table_records(table: Table, *, caption: str) -> tables.Table | None:
    """The table for the record renderer, or None when it has no header to add (one row, one
    column) or cannot be read; the caller then keeps its rows as plain lines."""
    try:
        rows = [row for row in table.rows if any(c.text.strip() for c in row.cells)]
        flagged = 0
        while flagged < len(rows) - 1 and _is_header_row(rows[flagged]):
            flagged += 1
        count = flagged or 1
        header = [_grid_cells(row, repeat=True) for row in rows[:count]]
        body = [_grid_cells(row, repeat=False) for row in rows[count:]]
        return tables.table_from_grid(header, body, caption=caption)
    except (ValueError, IndexError, KeyError, AttributeError):  # malformed table XML
        return None


def render_table(table: Table) -> list[str]:
    """Fallback: one "a | b" line per row, merged cells once."""
    try:
        rows = [_grid_cells(row, repeat=False) for row in table.rows]
    except (ValueError, IndexError, KeyError, AttributeError):
        return []
    return [" | ".join(cell for cell in row if cell) for row in rows if any(row)]


def _is_header_row(row) -> bool:
    """Word's "Repeat as header row at the top of each page" flag (w:trPr/w:tblHeader)."""
    props = row._tr.trPr
    if props is None:
        return False
    flag = props.find(qn("w:tblHeader"))
    return flag is not None and flag.get(qn("w:val"), "true") not in ("0", "false", "off")


def _grid_cells(row, *, repeat: bool) -> list[str]:
    """Cell texts per grid column. python-docx repeats a horizontally merged cell over every
    column it spans: header rows keep the repeats ("FY 2024" heads both its columns), body rows
    keep the text once so a value is not rendered twice."""
    cells: list[str] = []
    previous = None
    for cell in row.cells:
        same = previous is not None and cell._tc is previous
        previous = cell._tc
        text = " ".join(cell.text.split())
        cells.append(text if repeat or not same else "")
    return cells


def _style_name(paragraph: Paragraph) -> str:
    try:
        return paragraph.style.name if paragraph.style is not None else ""
    except (KeyError, ValueError):
        return ""


def _heading_level(style: str) -> int | None:
    match = _HEADING_STYLE.match(style)
    return int(match.group(1)) if match else None


def _created(created: datetime | None) -> str | None:
    """Core-properties creation date, unless it is python-docx's template placeholder."""
    if created is None:
        return None
    if created.replace(tzinfo=created.tzinfo or timezone.utc) == _TEMPLATE_CREATED:
        return None
    return normalize_date(created)


def _short(exc: Exception) -> str:
    text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return text[:120]
