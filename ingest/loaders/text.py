"""Plain-text loader: keep the text whole, find a title and a date near the top.

Plain text has no structure to recover, so the loader only guesses metadata cheaply (it looks at
the first lines, never the whole file: a 50 MB log must not be split into millions of objects)
and leaves paragraph splitting to the chunker; hard-wrapped lines are re-joined (`unwrap`).
"""

from __future__ import annotations

import re
from pathlib import Path

from ingest.document import LoadedDocument, Section
from ingest.loaders.sections import unwrap
from ree.text.dates import normalize_date

MAX_TITLE_CHARS = 120
_HEAD_CHARS = 8192
_HEAD_LINES = 10
_DATE_LINE = re.compile(
    r"^\s*(?:date|dated|published(?:\s+on)?|publication\s+date|posted(?:\s+on)?)\s*[:\-\u2013]\s*(.+)$",
    re.I,
)


def parse(text: str, path: Path) -> LoadedDocument:
    """Build a one-Section document from already-decoded text."""
    head = text[:_HEAD_CHARS].split("\n")[:_HEAD_LINES]
    return LoadedDocument(
        path=path,
        doc_type="text",
        title=_title(head, path),
        sections=[Section(text=unwrap(text.strip()))],
        published=_date(head),
    )


def _title(head: list[str], path: Path) -> str:
    """First non-empty line if it is short enough to be a title, else the file stem."""
    for line in head:
        line = line.strip()
        if line:
            return line if len(line) < MAX_TITLE_CHARS else path.stem
    return path.stem


def _date(head: list[str]) -> str | None:
    """Date from a "Date: ..." / "Published: ..." line among the first lines."""
    for line in head:
        match = _DATE_LINE.match(line)
        if match:
            found = normalize_date(match.group(1).strip())
            if found:
                return found
    return None
