"""Token-aware chunking that prefers heading, paragraph and sentence boundaries.

Sizes are counted in cl100k tokens (tiktoken), the unit the LLM budget uses too. A chunk never
crosses a page (so its page number is exact) and starts a new chunk at a heading change once the
current one is at least half full. Paragraphs too long for a chunk are split into sentences, and
sentences too long into token windows. Neighbouring chunks of the same section share up to
`overlap` tokens of whole sentences, so a fact at a boundary is retrievable from either side.
Records (CSV rows) are packed whole and never split or overlapped.

What it does not do: semantic chunking or table-aware splitting inside one text section.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from ingest.document import LoadedDocument, Section

_SENTENCE_END = re.compile(r"(?<=[.!?;])[\"')\]]*\s+(?=[\"'(\[]?[A-Z0-9])")
_ABBREV = re.compile(r"(?:\b(?:U\.S|U\.K|e\.g|i\.e|Mr|Ms|Dr|No|St|Inc|Ltd|Co|vs|approx|Fig|Jan|Feb|"
                     r"Mar|Apr|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)\.)$")


@dataclass
class TextChunk:
    """A chunk before ids and embeddings: its text and where it came from."""

    text: str
    tokens: int
    page: int | None
    section: str


def split_sentences(text: str) -> list[str]:
    """Sentence split that keeps "U.S.", "e.g." and decimals intact."""
    parts: list[str] = []
    start = 0
    for m in _SENTENCE_END.finditer(text):
        candidate = text[start : m.start()].rstrip()
        if _ABBREV.search(candidate):
            continue
        parts.append(text[start : m.end()].strip())
        start = m.end()
    tail = text[start:].strip()
    if tail:
        parts.append(tail)
    return [p for p in parts if p]


class Chunker:
    """Split a loaded document into chunks of about `size` tokens with `overlap` tokens shared."""

    def __init__(self, size: int, overlap: int, count: Callable[[str], int]) -> None:
        if overlap >= size:
            raise ValueError("overlap must be smaller than size")
        self.size = size
        self.overlap = overlap
        self.count = count

    # --- units -----------------------------------------------------------------------------
    def _units(self, section: Section) -> list[tuple[str, int, bool]]:
        """(text, tokens, starts_paragraph) pieces no larger than `size`."""
        out: list[tuple[str, int, bool]] = []
        for para in re.split(r"\n\s*\n", section.text):
            para = para.strip()
            if not para:
                continue
            n = self.count(para)
            if n <= self.size:
                out.append((para, n, True))
                continue
            first = True
            for sent in split_sentences(para) or [para]:
                m = self.count(sent)
                if m <= self.size:
                    out.append((sent, m, first))
                else:
                    out.extend((w, self.count(w), first and i == 0)
                               for i, w in enumerate(self._windows(sent)))
                first = False
        return out

    def _windows(self, text: str) -> list[str]:
        """Hard split of one over-long sentence at word boundaries."""
        words, out, cur = text.split(), [], []
        for word in words:
            cur.append(word)
            if self.count(" ".join(cur)) >= self.size:
                out.append(" ".join(cur[:-1]) if len(cur) > 1 else cur[0])
                cur = cur[-1:] if len(cur) > 1 else []
        if cur:
            out.append(" ".join(cur))
        return out

    # --- packing ---------------------------------------------------------------------------
    def chunk(self, doc: LoadedDocument) -> list[TextChunk]:
        chunks: list[TextChunk] = []
        cur: list[tuple[str, int, bool]] = []
        cur_tokens = 0
        cur_page: int | None = None
        cur_section = ""
        cur_kind = "text"

        def flush(keep_overlap: bool) -> None:
            nonlocal cur, cur_tokens
            if not cur:
                return
            sep = "\n" if cur_kind == "record" else " "
            text = ""
            for i, (piece, _, para) in enumerate(cur):
                text += (("\n\n" if para and cur_kind == "text" else sep) if i else "") + piece
            chunks.append(TextChunk(text, cur_tokens, cur_page, cur_section))
            carried: list[tuple[str, int, bool]] = []
            if keep_overlap and self.overlap and cur_kind == "text":
                total = 0
                for piece in reversed(cur):
                    if total + piece[1] > self.overlap:
                        break
                    carried.insert(0, (piece[0], piece[1], False))
                    total += piece[1]
                if len(carried) == len(cur):  # never repeat a whole chunk
                    carried = carried[1:]
            cur = carried
            cur_tokens = sum(p[1] for p in carried)

        for section in doc.sections:
            new_page = section.page != cur_page
            new_heading = section.section != cur_section
            if cur and (
                new_page
                or section.kind != cur_kind
                or (new_heading and cur_tokens >= self.size // 2)
            ):
                flush(keep_overlap=False)
                cur = []
                cur_tokens = 0
            if not cur:
                cur_page, cur_section, cur_kind = section.page, section.section, section.kind
            units = (
                [(section.text.strip(), self.count(section.text), False)]
                if section.kind == "record"
                else self._units(section)
            )
            for unit in units:
                if cur and cur_tokens + unit[1] > self.size:
                    flush(keep_overlap=True)
                    if not cur:
                        cur_section = section.section
                cur.append(unit)
                cur_tokens += unit[1]
        flush(keep_overlap=False)
        return [c for c in chunks if c.text.strip()]


def embed_text(title: str, section: str, text: str) -> str:
    """What gets embedded and keyword-indexed: the chunk with its document title and section."""
    head = title.strip()
    if section and section.strip() and section.strip() != head:
        head = f"{head} | {section.strip()}" if head else section.strip()
    return f"{head}\n{text}" if head else text
