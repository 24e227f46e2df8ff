"""DOCX loader: paragraphs and tables in body order, "Heading N" styles as section paths.

Word files from ministries and consultancies put key figures in tables; rendering each row as
"column: value; column: value" keeps the header next to every number, the same way the CSV
loader does, so a retrieved row still says what its numbers are.
"""

from __future__ import annotations

import re
import zipfile
from datetime import datetime, timezone
from pathlib import Path

import docx
from docx.opc.exceptions import PackageNotFoundError
from docx.table import Table
from docx.text.paragraph import Paragraph

from ingest.document import LoadedDocument, LoadError
from ingest.loaders.sections import SectionBuilder, tidy
from ree.text.dates import normalize_date

_HEADING_STYLE = re.compile(r"^heading\s*(\d)$", re.I)
_DATE_PARAGRAPH = re.compile(r"^\s*(?:date|dated|published)\s*[:\-\u2013]\s*(.+)$", re.I)
_DATE_SCAN_PARAGRAPHS = 15
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
    for block in document.iter_inner_content():
        if isinstance(block, Table):
            for row in render_table(block):
                builder.add(row)
            continue
        text = tidy(block.text)
        if not text:
            continue
        paragraphs_seen += 1
        style = _style_name(block)
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
        sections=builder.finish(),
        published=date_line or _created(core.created),
        extra={k: v for k, v in {"author": (core.author or "").strip()}.items() if v},
    )


def render_table(table: Table) -> list[str]:
    """One line per data row: "header: value; header: value" (plain "a | b" without header)."""
    rows = [_row_cells(row) for row in table.rows]
    rows = [row for row in rows if any(row)]
    if not rows:
        return []
    if len(rows) == 1:
        return [" | ".join(cell for cell in rows[0] if cell)]
    header, body = rows[0], rows[1:]
    lines = []
    for row in body:
        pairs = []
        for index, cell in enumerate(row):
            if not cell:
                continue
            name = header[index] if index < len(header) and header[index] else ""
            pairs.append(f"{name}: {cell}" if name else cell)
        if pairs:
            lines.append("; ".join(pairs))
    return lines


def _row_cells(row) -> list[str]:
    """Cell texts of a row, with horizontally merged cells (repeated by python-docx) once."""
    cells: list[str] = []
    previous = None
    for cell in row.cells:
        if previous is not None and cell._tc is previous:
            continue
        previous = cell._tc
        cells.append(" ".join(cell.text.split()))
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
