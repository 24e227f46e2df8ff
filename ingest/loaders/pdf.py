"""PDF loader: page text in reading order, tables as records, footnote markers kept apart.

The layout work (superscripts, cells, two-column pages) lives in pdf_layout, finding tables in
pdf_tables, their footnotes, legend and unit in pdf_notes, and rendering rows in tables. This
module deals with the file: opening it (empty-password encryption is fine, a real password is
not), turning pdfminer's failures into one-line reasons, reading title and date, and putting each
page together: its text Sections around the record Sections of its tables (a table's lines are
not also page text). A table that cannot be read as one stays text, as " | " lines; a table
continued on the next page without its header takes the header of the part before it.
"""

from __future__ import annotations

import logging
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pdfplumber
from pdfminer.pdfdocument import PDFEncryptionError, PDFPasswordIncorrect
from pdfplumber.utils.exceptions import PdfminerException

from ingest.document import LoadedDocument, LoadError, Section
from ingest.loaders.pdf_layout import (
    SUPERSCRIPT_PREFIX,
    Line,
    group_lines,
    join_blocks,
    page_blocks,
    render_line,
    render_lines,
)
from ingest.loaders.pdf_notes import DocumentNotes, read_notes
from ingest.loaders.pdf_tables import FoundTable, find_tables
from ingest.loaders.sections import unwrap
from ingest.loaders.tables import Table, table_sections
from ingest.loaders.units import find_unit
from ree.text.dates import normalize_date

log = logging.getLogger(__name__)

NO_TEXT = "no extractable text (scanned PDF?)"
TITLE_MIN_SCALE = 1.15  # a title line is at least this much larger than the body text
RUNNING_HEAD_CHARS = 120  # text above a table continued from the previous page (page number, head)
_FILE_NAME = re.compile(r"\.(?:pdf|docx?|pptx?|xlsx?|rtf|odt|indd|tex|dvi|ps|txt)\b", re.I)
_OFFICE_PREFIX = re.compile(r"^microsoft (?:word|powerpoint|excel)\b", re.I)
_PLACEHOLDER_TITLES = {"untitled", "title", "document", "presentation", "slide 1", "none"}
_MARKER = re.compile(re.escape(SUPERSCRIPT_PREFIX) + r"\S+")
# ReportLab's reproducible ("invariant") mode stamps every file with this creation date.
_REPORTLAB_PLACEHOLDER_DATE = "D:20000101000000"
_STATED_DATE = re.compile(r"\b(?:published|publication date|date)\s*:\s*(.{4,40})", re.I)
_STATED_DATE_CHARS = 2000


def load(path: Path) -> LoadedDocument:
    """Read a PDF. Raises LoadError for encrypted, corrupt or text-less files."""
    try:
        with pdfplumber.open(path) as pdf:
            metadata = dict(pdf.metadata or {})
            pages, failures, first_page_chars = _read_pages(pdf)
            page_count = len(pdf.pages)
    except PdfminerException as exc:
        raise _load_error(exc.args[0] if exc.args else exc) from exc
    except (PDFPasswordIncorrect, PDFEncryptionError) as exc:
        raise _load_error(exc) from exc

    if not pages:
        if failures:
            raise LoadError(f"corrupt or unreadable PDF: {failures[0]}")
        raise LoadError(NO_TEXT)
    extra = _extra(metadata, page_count, failures)
    title = _metadata_title(metadata.get("Title"), path) or _title_from_fonts(first_page_chars)
    title = title or path.stem
    first_text = pages[0].text if pages[0].number == 1 else ""
    return LoadedDocument(
        path=path,
        doc_type="pdf",
        title=title,
        sections=_sections(pages, title),
        published=_published(metadata, first_text),
        extra=extra,
    )


@dataclass
class _Page:
    """One page after layout: its whole text, and its items in reading order (a text run or a
    table found among the lines of a block)."""

    number: int
    text: str
    items: list[str | tuple[FoundTable, list[Line]]] = field(default_factory=list)


def _read_pages(pdf: Any) -> tuple[list[_Page], list[str], list[dict[str, Any]]]:
    """Layout of every page with text; a page that fails is skipped and its reason kept."""
    pages: list[_Page] = []
    failures: list[str] = []
    first_chars: list[dict[str, Any]] = []
    for number, page in enumerate(pdf.pages, start=1):
        try:
            chars = page.dedupe_chars().chars
            blocks = page_blocks(chars, float(page.width))
        except Exception as exc:  # pdfminer raises many types on damaged content streams
            failures.append(f"page {number}: {_short(exc)}")
            continue
        finally:
            page.close()
        if number == 1:
            first_chars = chars
        text = join_blocks(render_lines(block) for block in blocks)
        if text.strip():
            pages.append(_Page(number, text, [item for b in blocks for item in _items(b)]))
    return pages, failures, first_chars


def _items(lines: list[Line]) -> list[str | tuple[FoundTable, list[Line]]]:
    """A block as text runs and tables; a block whose tables cannot be read stays text."""
    try:
        found = find_tables(lines)
    except Exception:  # odd layouts must degrade to plain text, never fail the file
        log.warning("table detection failed; keeping the lines as text", exc_info=True)
        found = []
    items: list[str | tuple[FoundTable, list[Line]]] = []
    cursor = 0
    for table in found:
        items.append(render_lines(lines[cursor : table.start]))
        items.append((table, lines[table.start : table.end]))
        cursor = table.end
    items.append(render_lines(lines[cursor:]))
    return [item for item in items if item]


def _sections(pages: list[_Page], title: str) -> list[Section]:
    """Page text and table records in reading order; tables get the document's notes."""
    notes = read_notes({page.number: page.text for page in pages})
    sections: list[Section] = []
    carried: Table | None = None  # the previous page's last table, which one here may continue
    count = 0
    for page in pages:
        texts: list[str] = []
        lead = 0  # characters of text above the page's first table (a running head is short)
        last: Table | None = None
        for item in page.items:
            if isinstance(item, str):  # prose: hard-wrapped lines re-joined into sentences
                texts.append(unwrap(item))
                lead += len(item) if last is None else 0
                continue
            found, lines = item
            continues = carried if last is None and lead <= RUNNING_HEAD_CHARS else None
            table = _complete(found, continues, page.number, notes)
            records = _records(table, title, count + 1) if table is not None else None
            if records is None:
                texts.append(render_lines(lines))
                continue
            if texts:
                sections.append(Section(text=join_blocks(texts), page=page.number))
                texts = []
            sections += records
            last = table
            count += 1
        if texts:
            sections.append(Section(text=join_blocks(texts), page=page.number))
        carried = last
    return sections


def _complete(
    found: FoundTable, previous: Table | None, page: int, notes: DocumentNotes
) -> Table | None:
    """The found table with caption, columns (inherited if continued), notes, legend, unit."""
    table = found.table
    if not found.has_header:
        if previous is None or len(previous.columns) != len(table.columns):
            return None
        table.columns, table.caption = previous.columns, previous.caption
        table.caption_notes, table.unit = previous.caption_notes, previous.unit
    else:
        table.unit = find_unit(table.caption) or notes.unit
    table.notes = notes.notes_for(page)
    table.legend = dict(notes.legend)
    table.page = page
    return table


def _records(table: Table, title: str, number: int) -> list[Section] | None:
    """Record Sections of a table, or None (the caller keeps its lines as text) if rendering fails."""
    if not table.caption:
        table.caption = f"Table {number} (page {table.page})"
    try:
        return table_sections(table, title=title) or None
    except Exception:  # a table we misread must not cost the page its text
        log.warning(
            "could not render the table on page %s; kept as text", table.page, exc_info=True
        )
        return None


def _published(metadata: dict[str, Any], first_page: str) -> str | None:
    """CreationDate, unless missing or a generator's placeholder; then a "Published: ..." line."""
    created = _text(metadata.get("CreationDate"))
    placeholder = created.startswith(_REPORTLAB_PLACEHOLDER_DATE) and "reportlab" in (
        _text(metadata.get("Producer")).lower()
    )
    found = None if placeholder else normalize_date(created)
    if found:
        return found
    for match in _STATED_DATE.finditer(first_page[:_STATED_DATE_CHARS]):
        found = normalize_date(match.group(1))
        if found:
            return found
    return None


def _load_error(exc: BaseException) -> LoadError:
    if isinstance(exc, (PDFPasswordIncorrect, PDFEncryptionError)):
        return LoadError("encrypted PDF (password required)")
    return LoadError(f"corrupt or unreadable PDF: {_short(exc)}")


def _metadata_title(raw: Any, path: Path) -> str | None:
    """The metadata Title unless it is empty, a placeholder or a file name."""
    title = " ".join(_text(raw).split())
    if len(title) < 3 or not any(ch.isalpha() for ch in title):
        return None
    if title.lower() in _PLACEHOLDER_TITLES or title.lower().startswith("untitled"):
        return None
    if _FILE_NAME.search(title) or title == path.stem or _OFFICE_PREFIX.match(title):
        return None
    return title


def _title_from_fonts(chars: list[dict[str, Any]]) -> str | None:
    """The first-page line(s) set in the largest font, if clearly larger than the body."""
    chars = [c for c in chars if c.get("upright", True) and c["text"].strip()]
    if not chars:
        return None
    body = Counter(round(c["size"], 1) for c in chars).most_common(1)[0][0]
    lines = [ln for ln in group_lines(chars) if any(ch.isalpha() for ch in render_line(ln))]
    big = [ln for ln in lines if ln.size >= TITLE_MIN_SCALE * body]
    if not big:
        return None
    largest = max(ln.size for ln in big)
    picked: list[str] = []
    for line in lines:
        if abs(line.size - largest) < 0.5:
            picked.append(render_line(line))
        elif picked:
            break
    title = " ".join(_MARKER.sub("", " ".join(picked)).split())
    if title.isupper():
        title = title.title()
    return title[:200] or None


def _extra(metadata: dict[str, Any], pages: int, failures: list[str]) -> dict[str, str]:
    extra = {"pages": str(pages)}
    for key in ("Title", "Author", "Subject"):
        value = " ".join(_text(metadata.get(key)).split())
        if value:
            extra[f"pdf_{key.lower()}"] = value
    if failures:
        extra["warning"] = "unreadable pages skipped: " + "; ".join(failures)[:300]
    return extra


def _text(value: Any) -> str:
    """Metadata values may be str, bytes or pdfminer objects; return plain text."""
    if value is None:
        return ""
    if isinstance(value, bytes):
        if value.startswith((b"\xfe\xff", b"\xff\xfe")):
            return value.decode("utf-16", errors="replace")
        try:
            return value.decode("utf-8")
        except UnicodeDecodeError:
            return value.decode("latin-1")
    return str(value)


def _short(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return text[:120]
