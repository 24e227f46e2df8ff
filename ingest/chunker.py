"""Token-aware chunking that prefers heading, paragraph and sentence boundaries.

Sizes are counted in cl100k tokens (tiktoken), the unit the LLM budget uses too. A chunk never
crosses a page (so its page number is exact) and starts a new chunk at a heading change once the
current one is at least half full. Paragraphs too long for a chunk are split into sentences, and
sentences too long into word windows (a "word" longer than a chunk, such as a run of data with no
spaces, is cut by characters). Neighbouring chunks of the same section share up to `overlap` tokens
of whole sentences, so a fact at a boundary is retrievable from either side. Records (table rows,
one per line) are packed whole and never split or overlapped, and a chunk of records never mixes
two tables; loaders keep every record within the embedder's window (see ingest.loaders.tables).

`size` is a hard limit on the token count of every chunk's text as tiktoken counts the joined
string (joining pieces can add tokens, so each chunk is recounted and trimmed if needed); the one
exception is a single record longer than `size`, which is kept whole.

What it does not do: semantic chunking, or finding tables in a text section (loaders do).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from ingest.document import LoadedDocument, Section
from ree.text import YEAR_SPAN_RE, split_sentences

#: Bumped whenever chunk boundaries or the indexed text (`embed_text`) change for the same input,
#: so existing indexes re-chunk and re-embed.
CHUNKER_VERSION = "7"
#: Characters per token never exceed this for the text we cut by characters; bounds the search.
_MAX_CHARS_PER_TOKEN = 8


@dataclass
class TextChunk:
    """A chunk before ids and embeddings: its text and where it came from."""

    text: str
    tokens: int
    page: int | None
    section: str
    kind: str = "text"  # "record" when the chunk is table records, one per line


@dataclass(frozen=True)
class _Unit:
    """An unsplittable piece: a paragraph, a sentence, a word window or a record."""

    text: str
    tokens: int  # counted on its own
    para: bool  # starts a paragraph (joined with a blank line, not a space)
    section: str


class Chunker:
    """Split a loaded document into chunks of at most `size` tokens with `overlap` tokens shared."""

    def __init__(
        self,
        size: int,
        overlap: int,
        count: Callable[[str], int],
        *,
        word_pieces: Callable[[str], int] | None = None,
        word_piece_limit: int = 0,
    ) -> None:
        """`word_pieces` (with `word_piece_limit`, the embedder's window) also caps record chunks:
        records are packed only while the embedded chunk (title, section and rows) fits the
        window, so dense retrieval sees every row of every record chunk."""
        if overlap >= size:
            raise ValueError("overlap must be smaller than size")
        self.size = size
        self.overlap = overlap
        self.count = count
        self.word_pieces = word_pieces
        self.word_piece_limit = word_piece_limit

    # --- units -----------------------------------------------------------------------------
    def _units(self, section: Section) -> list[_Unit]:
        """Pieces of a text section, each no larger than `size` tokens."""
        if section.kind == "record":
            text = section.text.strip()
            return [_Unit(text, self.count(text), False, section.section)]
        out: list[_Unit] = []
        for para in re.split(r"\n\s*\n", section.text):
            para = para.strip()
            if not para:
                continue
            n = self.count(para)
            if n <= self.size:
                out.append(_Unit(para, n, True, section.section))
                continue
            first = True
            for sent in split_sentences(para) or [para]:
                m = self.count(sent)
                pieces = [(sent, m)] if m <= self.size else self._windows(sent)
                for text, k in pieces:
                    out.append(_Unit(text, k, first, section.section))
                    first = False
        return out

    def _windows(self, text: str) -> list[tuple[str, int]]:
        """Split one over-long sentence at word boundaries, in linear time.

        Word costs are summed (counted with their leading space, as tiktoken sees them in running
        text), then every window is recounted and halved until it fits, so the result is exact.
        """
        groups: list[list[str]] = []
        cur: list[str] = []
        cur_n = 0
        for word in text.split():
            n = self.count(" " + word)
            if n > self.size:  # no spaces to split at: cut the word itself
                if cur:
                    groups.append(cur)
                    cur, cur_n = [], 0
                groups.extend([piece] for piece in self._cut(word))
                continue
            if cur and cur_n + n > self.size:
                groups.append(cur)
                cur, cur_n = [], 0
            cur.append(word)
            cur_n += n
        if cur:
            groups.append(cur)
        out: list[tuple[str, int]] = []
        for words in groups:
            out += self._fit(words)
        return out

    def _fit(self, words: list[str]) -> list[tuple[str, int]]:
        text = " ".join(words)
        n = self.count(text)
        if n <= self.size or len(words) == 1:
            return [(text, n)]
        mid = len(words) // 2
        return self._fit(words[:mid]) + self._fit(words[mid:])

    def _cut(self, word: str) -> list[str]:
        """Cut a string without spaces into the longest pieces of at most `size` tokens."""
        pieces: list[str] = []
        start = 0
        while start < len(word):
            hi = min(len(word), start + self.size * _MAX_CHARS_PER_TOKEN)
            if self.count(word[start:hi]) > self.size:
                lo = start + 1  # invariant: word[start:lo] fits (one character always does)
                while lo < hi:
                    mid = (lo + hi + 1) // 2
                    if self.count(word[start:mid]) <= self.size:
                        lo = mid
                    else:
                        hi = mid - 1
                hi = lo
            pieces.append(word[start:hi])
            start = hi
        return pieces

    # --- packing ---------------------------------------------------------------------------
    @staticmethod
    def _join(units: list[_Unit], kind: str) -> str:
        if kind == "record":
            return "\n".join(u.text for u in units)
        text = ""
        for i, unit in enumerate(units):
            text += (("\n\n" if unit.para else " ") if i else "") + unit.text
        return text

    @staticmethod
    def _estimate(units: list[_Unit]) -> int:
        """Token count of the joined units, allowing one token per separator."""
        return sum(u.tokens for u in units) + max(len(units) - 1, 0)

    def _overlap(self, done: list[_Unit]) -> list[_Unit]:
        """The trailing units of a chunk (at most `overlap` tokens, never all) to repeat next."""
        carried: list[_Unit] = []
        total = 0
        for unit in reversed(done[1:]):
            if total + unit.tokens > self.overlap:
                break
            carried.insert(0, _Unit(unit.text, unit.tokens, False, unit.section))
            total += unit.tokens
        return carried

    def _too_big(self, units: list[_Unit], kind: str, title: str) -> bool:
        """Whether `units` overflow one chunk: its token size, or (records) the embedder's window."""
        if self._estimate(units) > self.size:
            return True
        if kind != "record" or self.word_pieces is None or len(units) < 2:
            return False
        embedded = embed_text(title, units[0].section, self._join(units, kind))
        return self.word_pieces(embedded) > self.word_piece_limit

    def chunk(self, doc: LoadedDocument) -> list[TextChunk]:
        chunks: list[TextChunk] = []
        cur: list[_Unit] = []
        carried = 0  # how many leading units of `cur` repeat the end of the previous chunk
        cur_page: int | None = None
        cur_kind = "text"

        def emit(final: bool) -> None:
            """Turn `cur` into chunks: one chunk, or (final) all of it. Each chunk is recounted."""
            nonlocal cur, carried
            while len(cur) > carried:
                take = len(cur)
                text = self._join(cur, cur_kind)
                n = self.count(text)
                while n > self.size:
                    if take > carried + 1:  # spill the last unit into the next chunk
                        take -= 1
                    elif carried:  # the overlap leaves no room: drop it rather than split
                        cur, take, carried = cur[carried:], take - carried, 0
                    else:  # one unit over the limit: only a record can be
                        break
                    text = self._join(cur[:take], cur_kind)
                    n = self.count(text)
                section = cur[carried].section
                chunks.append(TextChunk(text, n, cur_page, section, cur_kind))
                done, rest = cur[:take], cur[take:]
                keep = self._overlap(done) if cur_kind == "text" and (rest or not final) else []
                cur, carried = keep + rest, len(keep)
                if not final:
                    return
            cur, carried = [], 0

        for section in doc.sections:
            if cur and (
                section.page != cur_page
                or section.kind != cur_kind
                or (section.kind == "record" and section.section != cur[-1].section)
                or (
                    section.section != cur[-1].section
                    and (len(cur) == carried or self._estimate(cur[carried:]) >= self.size // 2)
                )
            ):
                emit(final=True)
            if not cur:
                cur_page, cur_kind = section.page, section.kind
            for unit in self._units(section):
                while cur and self._too_big([*cur, unit], cur_kind, doc.title):
                    if len(cur) == carried:  # only overlap left and it does not fit: drop it
                        cur, carried = [], 0
                    else:
                        emit(final=False)
                cur.append(unit)
        emit(final=True)
        return [c for c in chunks if c.text.strip()]


def embed_text(title: str, section: str, text: str) -> str:
    """What gets embedded and keyword-indexed: the chunk with its document title and section.

    A span of years in the title or section ("statistics 1900-1992") is left out: indexed in
    every chunk, it would make "1992" a word of every passage, and the 1992 row unfindable by its
    year."""
    head, section = (" ".join(YEAR_SPAN_RE.sub(" ", t or "").split()) for t in (title, section))
    if section and section != head:
        head = f"{head} | {section}" if head else section
    return f"{head}\n{text}" if head else text
