"""What a loader hands to the chunker: a document's text in located pieces plus its metadata.

Loaders know file formats; the chunker knows tokens. This module is the contract between them, so
neither has to know about the other.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

SectionKind = Literal["text", "record"]


@dataclass
class Section:
    """A run of text from one place in a document.

    `kind="text"` may be split by the chunker at heading, paragraph or sentence boundaries;
    `kind="record"` (one CSV row rendered as "column: value; ...") is never split, only packed
    together with neighbouring records into one chunk.
    """

    text: str
    page: int | None = None
    section: str = ""  # heading path, e.g. "Prices > Neodymium oxide"
    kind: SectionKind = "text"


@dataclass
class LoadedDocument:
    """A whole file after loading: ordered sections and document-level metadata."""

    path: Path
    doc_type: str  # "pdf" | "html" | "markdown" | "text" | "docx" | "csv"
    title: str
    sections: list[Section]
    published: str | None = None  # ISO date "YYYY-MM-DD" (or "YYYY-MM" / "YYYY") when known
    source_url: str | None = None
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def text(self) -> str:
        return "\n\n".join(s.text for s in self.sections)


class LoadError(Exception):
    """A file could not be read. The message is a one-line reason meant for the user."""


class UnsupportedFile(LoadError):
    """The file's type is not one we ingest (skipped, not failed)."""
