"""Evidence: the sentences and table records from the retrieved passages that the model reads.

A 1.5B model on two CPU cores reads about 100 prompt tokens a second, and that reading is almost
all of the time to first token, so the sources block is the one thing per request worth
budgeting. All units (sentences, and table records kept whole) of all retrieved passages compete
for one token budget that includes each passage's label:

1. every part of the question gets its best unit first ("Who signed it, and where?" needs the
   signing sentence *and* the place), in order, before any part gets a second one;
2. then the rest fill the budget by score.

A unit scores by the rarest question terms it shares (IDF over the candidates), plus its share of
the best embedding cosine to the question, plus a small bonus when it holds what the question word
asks for (a date for "when", a figure for "how much"), times its passage's rank discount. A
passage's label is paid for by its first unit, so a passage with nothing useful is dropped instead
of costing a header. A table record ("Australia: mine production 2024 (estimated) = 13,000 t;
reserves = ...") is never cut: a figure without its row and column is a wrong figure waiting to
happen. A sentence ending in ":" keeps the list it introduces, and an agreement's signing line
("Signed at Kuala Lumpur ...") keeps the signatories' lines after it. Kept units stay in their
original order, gaps shown as "...". Passages are numbered [n] in rank order and labelled with title, date
and page; the block is fenced as untrusted data by the prompt.

A document's own reference list ("Sources: MOFCOM announcements ...; The White House, fact sheet
on Section 232 actions ..., 15 April 2025") is left out: it names documents, it states no fact,
and a small model copies it as an answer. Sentences addressed to the assistant never get here:
the engine screens passages first (`rag.quarantine`).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from rag.question import HAS_KIND, answer_kind, question_parts
from rag.records import Cell, is_notes_record, is_record, parse_records, record_line
from rag.retriever import Hit
from ree.text import MONTH_NAMES, YEAR_SPAN_RE, count_tokens, split_sentences, tokenize

Embed = Callable[[list[str]], np.ndarray]
# How much a passage's sentences are worth per rank step down (rank 0 = 1.0, rank 4 = 0.6).
RANK_DISCOUNT = 0.1
# A label longer than this many title words is cut: the label is paid for on every request.
LABEL_TITLE_WORDS = 8
# Tokens between two rendered passages and after a label ("\n\n", "\n").
_SEPARATOR_TOKENS = 2
#: Bonus (in units of the best unit's score) for holding what the question word asks for.
KIND_BONUS = 0.25
#: A record longer than this many tokens, with at least `WIDE_RECORD_CELLS` cells, is shown by
#: the cells that matter to the question, up to this many tokens (see `narrow_records`).
WIDE_RECORD_TOKENS = 120
WIDE_RECORD_CELLS = 6
#: ... and of those cells, only ones scoring at least this share of the row's best cell; a cell
#: whose value is a link (an image URL) only when the question asks for one.
WIDE_CELL_SHARE = 0.5
#: A table's notes record (units and footnotes, 100-220 tokens for a USGS table) is shown by its
#: units and the note closest to the question, then more notes up to this many tokens.
NOTES_RECORD_TOKENS = 90
_LINK = re.compile(r"^\s*(?:https?://|www\.)")
_NOTE_HEADER = re.compile(r"(?i)^notes?\s*\d")
_LINK_WORDS = re.compile(r"(?i)\b(?:url|link|image|photo|picture|website|web page)s?\b")
#: A part shorter than this many words ("where", "and when") is scored with the whole question.
MIN_PART_WORDS = 3

_REFERENCE_LIST = re.compile(r"(?i)^\W*(?:sources?|references|further reading)\s*:")
_LIST_ITEM = re.compile(r"^\s*([-*\u2022]|\d{1,2}[.)])\s")
# How many list items a lead-in sentence ("... in two minerals:") carries with it.
LIST_ITEMS_PER_LEAD = 4
#: "Signed at Kuala Lumpur, on the 26th of October 2025 ...", "Done at Washington ...".
_SIGNED = re.compile(r"^\s*(?:[Ss]igned|[Dd]one)\s+(?:at|in)\s+[A-Z]")
#: A signature block: at most this many short lines of at most this many words after the line.
SIGNATURE_LINES = 6
SIGNATURE_LINE_WORDS = 12


@dataclass
class Passage:
    """One numbered source as shown to the model (and as checked by verification)."""

    n: int
    hit: Hit
    text: str
    same_as: int = 0  # the number of an earlier passage of the same document, if any
    best: str = ""  # its best-scoring unit: the quote shown to the user before the answer

    @property
    def label(self) -> str:
        """`[n] Title | date`, or `[n] same document as [m]` for a document already labelled: a
        full label costs ~30 prompt tokens (digits are one token each for Qwen), a second
        passage of the same document needs only its number (and page)."""
        if not self.same_as:
            return passage_label(self.n, self.hit)
        page = self.hit.metadata.get("page")
        return f"[{self.n}] same document as [{self.same_as}]" + (f", p. {page}" if page else "")

    @property
    def as_seen(self) -> str:
        """Title line and text: what verification checks a claim against. The model read the
        title too, so "MP Materials said ..." is supported by a passage labelled "MP Materials
        ..." even when the kept sentence says only "The company said ..."."""
        return f"{passage_title(self.hit)}\n{self.text}"

    def render(self) -> str:
        return f"{self.label}\n{self.text}"


def passage_title(hit: Hit) -> str:
    """`Title | date | p. N`: what the model needs to cite and date a passage."""
    meta = hit.metadata
    title = str(meta.get("title") or meta.get("source") or "Untitled")
    words = title.split()
    if len(words) > LABEL_TITLE_WORDS:
        title = " ".join(words[:LABEL_TITLE_WORDS]) + " ..."
    bits = [title]
    if meta.get("published"):
        bits.append(str(meta["published"]))
    if meta.get("page"):
        bits.append(f"p. {meta['page']}")
    table = str(meta.get("table") or "")
    if table:  # records carry their row and column; the caption says what the table is
        words = table.split()
        bits.append(" ".join(words[:LABEL_TITLE_WORDS]) + (" ..." if len(words) > 8 else ""))
    return " | ".join(bits)


def passage_label(n: int, hit: Hit) -> str:
    return f"[{n}] {passage_title(hit)}"


def document_context(hit: Hit) -> str:
    """The passage's document as verification reads it: full title, date (ISO and in words)
    and file name, so "the May 2024 fact sheet" is matched by a passage of that fact sheet."""
    meta = hit.metadata
    bits = [str(meta.get("title") or "")]
    published = str(meta.get("published") or "")
    if published:
        bits.append(published)
        parts = published.split("-")
        if len(parts) >= 2 and parts[1].isdigit() and 1 <= int(parts[1]) <= 12:
            month = MONTH_NAMES[int(parts[1]) - 1]
            if len(parts) == 3 and parts[2].isdigit():
                bits.append(f"{month} {int(parts[2])}, {parts[0]}")
            bits.append(f"{month} {parts[0]}")
    source = str(meta.get("source") or "")
    bits.append(re.sub(r"[_/\\-]+", " ", source.rsplit(".", 1)[0]))
    # a span of years in a name ("statistics 1900-1992") is what the document covers, not the
    # year any one of its passages is about
    return YEAR_SPAN_RE.sub(" ", " | ".join(b for b in bits if b))


def term_weights(texts: list[str], question: str) -> dict[str, float]:
    """IDF of each question term over the candidate units: "Australia" outweighs "rare"."""
    q_terms = set(tokenize(question))
    docs = [set(tokenize(t)) for t in texts]
    n = max(len(docs), 1)
    return {t: math.log(1 + n / (1 + sum(t in d for d in docs))) for t in q_terms}


def _overlap(unit_terms: set[str], weights: dict[str, float]) -> float:
    return sum(w for t, w in weights.items() if t in unit_terms)


def split_units(text: str) -> list[tuple[str, int]]:
    """(unit, line number) pieces of a passage: table records whole, other lines as sentences.

    A sentence that ends with a colon is useless without what follows ("The rare earths occur
    mainly in two minerals:"), so it is one piece with the list items after it (or, if no list
    follows, the next sentence).
    """
    raw: list[tuple[str, int]] = []
    lines = text.split("\n")
    i = 0
    while i < len(lines):
        line, at = lines[i], i
        i += 1
        if not line.strip():
            continue
        if _SIGNED.match(line):
            line, i = _signature_block(lines, line, i)
            raw.append((line, at))
            continue
        pieces = [line] if is_record(line) else (split_sentences(line) or [line])
        raw.extend((s, at) for s in pieces if s.strip())
    units: list[tuple[str, int]] = []
    k = 0
    while k < len(raw):
        sentence, line = raw[k]
        k += 1
        if sentence.rstrip().endswith(":") and k < len(raw):
            items = 0
            while k < len(raw) and items < LIST_ITEMS_PER_LEAD and _LIST_ITEM.match(raw[k][0]):
                sentence, line = f"{sentence}\n{raw[k][0]}", raw[k][1]
                k += 1
                items += 1
            if not items:
                sentence, line = f"{sentence} {raw[k][0]}", raw[k][1]
                k += 1
        units.append((sentence, line))
    return units


def _signature_block(lines: list[str], signed: str, i: int) -> tuple[str, int]:
    """The signing line of an agreement with the short lines after it (for whom, the names and
    offices of the signatories, often in two columns run together), as one unit, and the index
    of the first line after it. Without them "Signed at Kuala Lumpur" says where but not who."""
    block = [signed.strip()]
    while i < len(lines) and len(block) <= SIGNATURE_LINES:
        line = lines[i].strip()
        if line and len(line.split()) > SIGNATURE_LINE_WORDS:
            break
        if line:
            block.append(line)
        i += 1
    return " ".join(block), i


def _join(units: list[tuple[str, int]], keep: set[int]) -> str:
    """Kept units in original order: same line joined by a space, gaps marked "..."."""
    out = ""
    last = -2
    for i in sorted(keep):
        if out:
            joiner = "\n" if units[i][1] != units[last][1] else " "
            out += joiner + ("... " if i != last + 1 else "")
        out += units[i][0]
        last = i
    return out


def _cut(sentence: str, budget: int) -> str:
    """A sentence longer than the whole budget (a run-on line), shortened."""
    words = sentence.split()
    return " ".join(words[: max(budget // 2, 10)]) + " ..."


def narrow_records(texts: list[str], question: str, embed: Embed | None) -> list[str]:
    """Passages whose wide records keep only the cells closest to the question.

    A row of the element table has twenty columns (coordinates, shells, image URLs) and costs
    about 200 tokens: two such rows fill the budget, and the row whose `discovered_by` cell
    answers "who discovered europium?" loses to the row with the summary. Each cell already
    carries its row label and column header, so a row cut to its relevant cells still says
    which row and which column every figure belongs to. Narrow tables (the USGS rows, 3-8
    cells, 50-80 tokens) are left whole. A table's notes record keeps its units and the notes
    closest to the question (`NOTES_RECORD_TOKENS`)."""
    wide: list[tuple[int, int, list[Cell], bool]] = []  # (passage, line, cells, notes record?)
    split = [t.split("\n") for t in texts]
    for i, lines in enumerate(split):
        for j, line in enumerate(lines):
            if not is_record(line):
                continue
            cells = parse_records(line)
            notes = is_notes_record(line)
            if (notes and count_tokens(line) > NOTES_RECORD_TOKENS) or (
                len(cells) >= WIDE_RECORD_CELLS and count_tokens(line) > WIDE_RECORD_TOKENS
            ):
                wide.append((i, j, cells, notes))
    if not wide:
        return texts
    pieces = [c.line for _, _, cells, _ in wide for c in cells]
    cos = _cosines([question], pieces, embed)[0]
    asked = set(tokenize(question))
    links_asked = bool(_LINK_WORDS.search(question))
    at = 0
    for i, j, cells, notes in wide:
        scores = [
            0.0
            if _LINK.match(c.value) and not links_asked
            else float(cos[at + k]) + len(asked & set(tokenize(f"{c.header} {c.value}"))) / 4
            for k, c in enumerate(cells)
        ]
        at += len(cells)
        if notes:
            units = {k for k, c in enumerate(cells) if not _NOTE_HEADER.match(c.header)}
            split[i][j] = _record_of(cells, scores, NOTES_RECORD_TOKENS, always=units)
        else:
            split[i][j] = _record_of(cells, scores, WIDE_RECORD_TOKENS)
    return ["\n".join(lines) for lines in split]


def _record_of(
    cells: list[Cell], scores: list[float], budget: int, always: set[int] | None = None
) -> str:
    """The record line of the best-scoring cells that fit `budget` tokens, in table order: the
    cells `always` (a notes record's units) and the best other cell whatever their cost."""
    always = always or set()
    keep = set(always)
    used = count_tokens(f"{cells[0].label}: ") + sum(
        count_tokens(f"{cells[k].entry}; ") for k in always
    )
    rest = set(range(len(cells))) - always
    floor = WIDE_CELL_SHARE * max((scores[k] for k in rest), default=0.0)
    for k in sorted(rest, key=lambda k: -scores[k]):
        cost = count_tokens(f"{cells[k].entry}; ")
        if keep - always and (used + cost > budget or scores[k] < floor):
            continue
        keep.add(k)
        used += cost
    return record_line([c for k, c in enumerate(cells) if k in keep])


def _strip_record_titles(text: str, title: str) -> str:
    """Records that repeat the file title on every row: the passage label already shows it."""
    prefix = f"{title} | "
    if not title or prefix not in text:
        return text
    return "\n".join(line.removeprefix(prefix) for line in text.split("\n"))


def _cosines(queries: list[str], units: list[str], embed: Embed | None) -> np.ndarray:
    """Cosine of each unit to each query text, floored at 0 (zeros without an embedder).

    Word overlap misses answers worded differently from the question ("What chemical is used to
    leach ...?" / "... pour in an ammonium sulfate solution ..."); the embedding catches many.
    The engine passes its embedding memo, so verification re-uses these vectors.
    """
    if embed is None or not units:
        return np.zeros((len(queries), len(units)), dtype=np.float32)
    vectors = np.asarray(embed([*queries, *units]), dtype=np.float32)
    q, u = vectors[: len(queries)], vectors[len(queries) :]
    return np.maximum(q @ u.T, 0.0)


@dataclass
class _Scored:
    rank: int  # passage rank
    j: int  # unit index in its passage
    text: str
    cost: int  # tokens, with its joiner


def _normalised(values: list[float]) -> list[float]:
    top = max(values, default=0.0) or 1.0
    return [v / top for v in values]


class _Scorer:
    """Scores every unit for the whole question and for each of its parts."""

    def __init__(self, units: list[_Scored], question: str, embed: Embed | None) -> None:
        texts = [u.text for u in units]
        self.parts = question_parts(question)
        queries = [question] + [p for p in self.parts if len(p.split()) >= MIN_PART_WORDS]
        cos = _cosines(queries, texts, embed)
        terms = [set(tokenize(t)) for t in texts]
        whole_idf = term_weights(texts, question)
        priors = [max(1.0 - RANK_DISCOUNT * u.rank, 0.1) for u in units]
        kind = answer_kind(question)
        self.whole = self._scores(terms, whole_idf, cos[0], texts, kind, priors)
        self.by_part: list[list[float]] = []
        row = 1
        for part in self.parts if len(self.parts) > 1 else []:
            part_cos = cos[0]
            if len(part.split()) >= MIN_PART_WORDS:
                part_cos, row = cos[row], row + 1
            idf = term_weights(texts, part)
            # a part's own terms first, the rest of the question as its context
            lexical = [_overlap(t, idf) + 0.5 * _overlap(t, whole_idf) for t in terms]
            kind_bonus = self._kind_bonus(texts, answer_kind(part) or kind)
            scores = [
                (lex + c + bonus) * prior
                for lex, c, bonus, prior in zip(
                    _normalised(lexical),
                    _normalised(list(part_cos)),
                    kind_bonus,
                    priors,
                    strict=True,
                )
            ]
            self.by_part.append(scores)

    def _scores(
        self,
        terms: list[set[str]],
        idf: dict[str, float],
        cos: np.ndarray,
        texts: list[str],
        kind: str,
        priors: list[float],
    ) -> list[float]:
        lexical = _normalised([_overlap(t, idf) for t in terms])
        meaning = _normalised([float(c) for c in cos])
        bonus = self._kind_bonus(texts, kind)
        return [(a + b + c) * p for a, b, c, p in zip(lexical, meaning, bonus, priors, strict=True)]

    @staticmethod
    def _kind_bonus(texts: list[str], kind: str) -> list[float]:
        pattern = HAS_KIND.get(kind)
        return [KIND_BONUS if pattern and pattern.search(t) else 0.0 for t in texts]


def _order(scorer: _Scorer, n: int) -> list[int]:
    """Unit indices in the order they are offered the budget: each part's best first (round
    robin over the parts, skipping units already offered), then by the whole-question score."""
    order: list[int] = []
    seen: set[int] = set()
    rankings = [sorted(range(n), key=lambda i, s=s: -s[i]) for s in scorer.by_part]
    for ranking in rankings:  # each part's best unit, in the order the parts are asked
        best = next((i for i in ranking if i not in seen), None)
        if best is not None:
            order.append(best)
            seen.add(best)
    for i in sorted(range(n), key=lambda i: -scorer.whole[i]):
        if i not in seen:
            order.append(i)
            seen.add(i)
    return order


def is_reference_list(unit: str) -> bool:
    """A document's list of its sources ("Sources: ...", "References: ..."), not a statement."""
    return bool(_REFERENCE_LIST.match(unit))


def build_evidence(
    hits: list[Hit],
    question: str,
    budget: int,
    embed: Embed | None = None,
) -> list[Passage]:
    """The best units of `hits` within `budget` tokens (labels included), numbered [1..n].

    See the module docstring for the order in which units are offered the budget.
    """
    if not hits:
        return []
    titled = [_strip_record_titles(h.text, str(h.metadata.get("title", ""))) for h in hits]
    texts = narrow_records(titled, question, embed)
    split = [split_units(t) for t in texts]
    units = [[u for u in us if not is_reference_list(u[0])] for us in split]
    flat = [
        _Scored(rank, j, u[0], count_tokens(u[0]) + 1)
        for rank, us in enumerate(units)
        for j, u in enumerate(us)
    ]
    if not flat:
        return []
    scorer = _Scorer(flat, question, embed)
    label_cost = [
        count_tokens(passage_label(i + 1, h)) + _SEPARATOR_TOKENS for i, h in enumerate(hits)
    ]
    docs = [h.chunk.doc_id for h in hits]
    short_label = count_tokens("[10] same document as [10], p. 100") + _SEPARATOR_TOKENS
    keep: dict[int, set[int]] = {}
    best: dict[int, tuple[float, int]] = {}
    opened_docs: set[str] = set()
    used = 0
    shown: set[str] = set()  # overlapping chunks and completed records repeat units
    for i in _order(scorer, len(flat)):
        unit = flat[i]
        if unit.text in shown:
            continue
        cost = unit.cost
        if unit.rank not in keep:  # opening a passage pays its label; a document's second less
            cost += short_label if docs[unit.rank] in opened_docs else label_cost[unit.rank]
        if used + cost <= budget:
            keep.setdefault(unit.rank, set()).add(unit.j)
            shown.add(unit.text)
            opened_docs.add(docs[unit.rank])
            used += cost
            if unit.rank not in best or scorer.whole[i] > best[unit.rank][0]:
                best[unit.rank] = (scorer.whole[i], unit.j)
    cut = -1
    if not keep:  # even the best unit is longer than the budget: show it cut
        top = max(range(len(flat)), key=lambda i: scorer.whole[i])
        cut, j = flat[top].rank, flat[top].j
        units[cut][j] = (_cut(units[cut][j][0], budget - label_cost[cut]), units[cut][j][1])
        keep[cut] = {j}
        best[cut] = (0.0, j)

    passages: list[Passage] = []
    first_of_doc: dict[str, int] = {}
    for rank in sorted(keep):
        whole = len(keep[rank]) == len(split[rank]) and rank != cut
        body = texts[rank].strip() if whole else _join(units[rank], keep[rank])
        n = len(passages) + 1
        first = first_of_doc.setdefault(docs[rank], n)
        passages.append(
            Passage(
                n,
                hits[rank],
                body,
                same_as=first if first != n else 0,
                best=units[rank][best[rank][1]][0],
            )
        )
    return passages


def render_sources(passages: list[Passage]) -> str:
    return "\n\n".join(p.render() for p in passages)
