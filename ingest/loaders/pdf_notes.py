"""What a PDF's tables refer to elsewhere in the document: footnote texts, code legend, stated unit.

A USGS table prints "^12 16,000" and explains marker 12 at the foot of a later page; it writes "NA"
or "—" and defines the codes in one legend footnote ("^e Estimated. E Net exporter. NA Not
available. — Zero."); and it states the unit once for the whole chapter ("[Data in metric tons,
rare-earth-oxide (REO) equivalent, unless otherwise specified]"). This module reads those from
the rendered page texts (superscripts written "^12", see pdf_layout) so every table of the
document can carry them into its records.

Not handled: footnotes keyed by plain symbols (*, †) rather than superscripts, endnote sections,
and unit statements in other wordings than "data (are) in ...".
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ingest.loaders.pdf_layout import SUPERSCRIPT_PREFIX
from ingest.loaders.units import Unit, find_unit

_FOOTNOTE = re.compile(r"^" + re.escape(SUPERSCRIPT_PREFIX) + r"([0-9]{1,3}|[a-z]{1,2}) (\S.*)$")
_CODE = re.compile(r"^([A-Z]{1,3}|N/A|[—–-]{1,2})\s+([A-Z][^.]*?)\.?$")
_SENTENCE = re.compile(r"(?<=\.)\s+")
_STATED_UNIT = re.compile(
    r"\bdata\s+(?:are\s+|is\s+)?(?:given\s+|reported\s+)?in\s+([^\]\n]+?)"
    r"(?:,?\s*unless\s+otherwise\s+(?:specified|noted|stated|indicated))?\s*[\].]?\s*$",
    re.I,
)


@dataclass
class DocumentNotes:
    """Footnotes per page, the code legend and the unit the document states for its data."""

    pages: dict[int, dict[str, str]] = field(default_factory=dict)
    legend: dict[str, str] = field(default_factory=dict)
    unit: Unit | None = None

    def notes_for(self, page: int | None) -> dict[str, str]:
        """Footnotes as seen from a table on `page`: its own page's first, then any page's."""
        merged: dict[str, str] = {}
        for number in sorted(self.pages):
            for marker, text in self.pages[number].items():
                merged.setdefault(marker, text)
        return {**merged, **self.pages.get(page or 0, {})}


def read_notes(page_texts: dict[int, str]) -> DocumentNotes:
    """Footnotes, legend and stated unit from the rendered text of each page (page -> text)."""
    out = DocumentNotes()
    for page, text in sorted(page_texts.items()):
        notes = _footnotes(text)
        for marker, note in list(notes.items()):
            first, legend = _legend(note)
            if legend:
                notes[marker] = first
                for code, meaning in legend.items():
                    out.legend.setdefault(code, meaning)
        out.pages[page] = notes
        if out.unit is None:
            out.unit = _stated_unit(text)
    return out


def _footnotes(text: str) -> dict[str, str]:
    """Marker -> text of lines starting with a superscript marker, continuation lines joined."""
    notes: dict[str, str] = {}
    current: str | None = None
    for line in text.split("\n"):
        line = line.strip()
        match = _FOOTNOTE.match(line)
        if match:
            current = match.group(1)
            notes[current] = match.group(2).strip()
        elif current is not None and line and not line.startswith(SUPERSCRIPT_PREFIX):
            notes[current] += " " + line
        else:
            current = None
    return notes


def _legend(note: str) -> tuple[str, dict[str, str]]:
    """Split "Estimated. E Net exporter. NA Not available. — Zero." into the note's own first
    sentence and its code definitions; no definitions unless every later sentence is one."""
    sentences = [s.strip() for s in _SENTENCE.split(note) if s.strip()]
    codes = [_CODE.match(s) for s in sentences[1:]]
    if not codes or not all(codes):
        return note, {}
    legend = {m.group(1): m.group(2)[0].lower() + m.group(2)[1:] for m in codes if m}
    return sentences[0].rstrip("."), legend


def _stated_unit(text: str) -> Unit | None:
    for line in text.split("\n"):
        match = _STATED_UNIT.search(line.strip())
        if match:
            return find_unit(match.group(1).strip())
    return None
