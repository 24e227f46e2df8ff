"""Group text blocks under their heading path, the way Markdown, HTML and DOCX loaders need.

Each of those formats is a stream of "heading", "paragraph" and "table" events; the chunker wants
one Section per heading block with `section="H1 > H2 > H3"`, and one record Section per table row.
Sharing the bookkeeping keeps the three loaders consistent (same path format, same handling of
skipped levels, tables rendered by the one table renderer once the document title is known).
"""

from __future__ import annotations

import re

from ingest.document import Section
from ingest.loaders.tables import Table, table_sections

_SPACES = re.compile(r"[ \t\u00a0]+")
# Invisible characters (zero-width space, word joiner, BOM, soft hyphen) split words for search.
_INVISIBLE = re.compile("[\u200b\u2060\ufeff\u00ad]")


def tidy(text: str) -> str:
    """Collapse runs of spaces, strip every line and drop blank-line runs longer than one."""
    text = _INVISIBLE.sub("", text)
    lines = [_SPACES.sub(" ", line).strip() for line in text.split("\n")]
    out: list[str] = []
    for line in lines:
        if line or (out and out[-1]):
            out.append(line)
    return "\n".join(out).strip()


# What starts a line of its own (matched right after a line's indentation).
_STARTS_LINE = re.compile(
    r"(?:[-*+\u2022]\s|\d{1,2}[.)]\s|\||[-=_]{3,}[ \t]*$|#|[A-Z][\w ]{0,24}:\s)", re.MULTILINE
)
# A line break after a non-space character (a line ending in two spaces is a hard break), with
# the next line's indentation, before a non-blank line.
_BREAK = re.compile(r"(?<=\S)\n[ \t]*(?=\S)")
_UNDERLINE = re.compile(r"[ \t]*[-=_]{3,}[ \t]*")
#: Longer texts are not unwrapped (see `unwrap`): about 500 pages of prose.
UNWRAP_MAX_CHARS = 2_000_000


def unwrap(text: str) -> str:
    """Re-join hard-wrapped lines into the paragraphs and list items they belong to.

    Plain text and Markdown are often wrapped at ~72 columns ("... a commercial-scale\nmagnet
    plant"), and a sentence cut at a line end is useless as a quote or as evidence. A line
    continues the one before unless it starts a list item, a table row, a heading, an
    underline or a "Label: value" line ("Date: 2025-01-20"), the one before is an underline,
    or the one before ends with a Markdown hard break (two spaces). Blank lines (paragraph
    breaks) are kept. Texts over `UNWRAP_MAX_CHARS` (logs and dumps, not articles) are left as
    they are, so that loading a 50 MB file stays one copy of its text.
    """
    if len(text) > UNWRAP_MAX_CHARS:
        return text

    def join(m: re.Match[str]) -> str:
        if _STARTS_LINE.match(text, m.end()):
            return m.group(0)
        line_start = text.rfind("\n", 0, m.start()) + 1
        if _UNDERLINE.fullmatch(text, line_start, m.start()):
            return m.group(0)
        return " "

    return _BREAK.sub(join, text)


class SectionBuilder:
    """Collect blocks; `heading()` closes the current block group and moves the path."""

    def __init__(self) -> None:
        self._levels: dict[int, str] = {}
        self._blocks: list[str] = []
        self._sections: list[Section | Table] = []
        self.tables = 0

    @property
    def path(self) -> str:
        """The current heading path, e.g. "Prices > Neodymium oxide"."""
        return " > ".join(self._levels[level] for level in sorted(self._levels))

    def heading(self, level: int, text: str) -> None:
        """Start a new block group under `text` at `level` (1 = top), forgetting deeper levels."""
        text = " ".join(text.split())
        if not text:
            return
        self.flush()
        self._levels = {k: v for k, v in self._levels.items() if k < level}
        self._levels[level] = text

    def add(self, text: str) -> None:
        """Append one paragraph (ignored if blank)."""
        text = text.strip()
        if text:
            self._blocks.append(text)

    def table(self, table: Table) -> None:
        """Place a table here; it becomes record Sections in `finish` (they need the title)."""
        self.flush()
        self.tables += 1
        self._sections.append(table)

    def flush(self) -> None:
        """Turn the pending paragraphs into one Section."""
        if self._blocks:
            self._sections.append(Section(text="\n\n".join(self._blocks), section=self.path))
            self._blocks = []

    def finish(self, title: str = "") -> list[Section]:
        """Flush and return all sections in document order, tables rendered as records."""
        self.flush()
        out: list[Section] = []
        for item in self._sections:
            out += table_sections(item, title=title) if isinstance(item, Table) else [item]
        return out
