"""PDF loader: one Section per page, text in reading order, footnote markers kept apart.

The layout work (superscripts, table cells, two-column pages) lives in pdf_layout; this module
deals with the file: opening it (empty-password encryption is fine, a real password is not),
turning pdfminer's failures into one-line reasons, and reading title and date.
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path
from typing import Any

import pdfplumber
from pdfminer.pdfdocument import PDFEncryptionError, PDFPasswordIncorrect
from pdfplumber.utils.exceptions import PdfminerException

from ingest.document import LoadedDocument, LoadError, Section
from ingest.loaders.pdf_layout import SUPERSCRIPT_PREFIX, group_lines, page_text, render_line
from ree.text.dates import normalize_date

NO_TEXT = "no extractable text (scanned PDF?)"
TITLE_MIN_SCALE = 1.15  # a title line is at least this much larger than the body text
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
            sections, failures, first_page_chars = _read_pages(pdf)
            page_count = len(pdf.pages)
    except PdfminerException as exc:
        raise _load_error(exc.args[0] if exc.args else exc) from exc
    except (PDFPasswordIncorrect, PDFEncryptionError) as exc:
        raise _load_error(exc) from exc

    if not sections:
        if failures:
            raise LoadError(f"corrupt or unreadable PDF: {failures[0]}")
        raise LoadError(NO_TEXT)
    extra = _extra(metadata, page_count, failures)
    title = _metadata_title(metadata.get("Title"), path) or _title_from_fonts(first_page_chars)
    return LoadedDocument(
        path=path,
        doc_type="pdf",
        title=title or path.stem,
        sections=sections,
        published=_published(metadata, sections[0].text if sections[0].page == 1 else ""),
        extra=extra,
    )


def _read_pages(pdf: Any) -> tuple[list[Section], list[str], list[dict[str, Any]]]:
    """Text of every page; a page that fails is skipped and its reason kept."""
    sections: list[Section] = []
    failures: list[str] = []
    first_chars: list[dict[str, Any]] = []
    for number, page in enumerate(pdf.pages, start=1):
        try:
            chars = page.dedupe_chars().chars
            text = page_text(chars, float(page.width))
        except Exception as exc:  # pdfminer raises many types on damaged content streams
            failures.append(f"page {number}: {_short(exc)}")
            continue
        finally:
            page.close()
        if number == 1:
            first_chars = chars
        if text.strip():
            sections.append(Section(text=text, page=number))
    return sections, failures, first_chars


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
