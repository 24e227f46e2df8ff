"""Evidence: the few sentences from the retrieved passages that the small model actually reads.

A 1.5B model on two CPU cores reads about 100 prompt tokens a second, and that reading is almost
all of the time to first token, so the sources block is the one thing per request worth
budgeting. All sentences of all retrieved passages compete for one token budget that includes
each passage's label: a sentence scores by the rarest question terms it shares (IDF over the
candidate sentences; figures favoured for how-much questions), discounted by its passage's rank.
The best sentences are taken greedily; a passage's label is paid for by its first sentence, so a
passage with nothing useful is dropped instead of costing a header. Kept sentences stay in their
original order, gaps shown as "...". Passages are numbered [n] in rank order and labelled with
title, date and page so the model can cite them; the block is fenced as untrusted data by the
prompt.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from rag.retriever import Hit
from ree.text import count_tokens, split_sentences, tokenize

_NUMERIC_Q = re.compile(
    r"\b(how (much|many)|what (share|percent|percentage|price)|when|which year)\b", re.I
)
Embed = Callable[[list[str]], np.ndarray]
# How much a passage's sentences are worth per rank step down (rank 0 = 1.0, rank 4 = 0.6).
RANK_DISCOUNT = 0.1
# A label longer than this many title words is cut: the label is paid for on every request.
LABEL_TITLE_WORDS = 8
# Tokens between two rendered passages and after a label ("\n\n", "\n").
_SEPARATOR_TOKENS = 2


@dataclass
class Passage:
    """One numbered source as shown to the model (and as checked by verification)."""

    n: int
    hit: Hit
    text: str
    same_as: int = 0  # the number of an earlier passage of the same document, if any

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
    return " | ".join(bits)


def passage_label(n: int, hit: Hit) -> str:
    return f"[{n}] {passage_title(hit)}"


def term_weights(texts: list[str], question: str) -> dict[str, float]:
    """IDF of each question term over the candidate sentences: "Australia" outweighs "rare"."""
    q_terms = set(tokenize(question))
    docs = [set(tokenize(t)) for t in texts]
    n = max(len(docs), 1)
    return {t: math.log(1 + n / (1 + sum(t in d for d in docs))) for t in q_terms}


def _sentence_score(sentence: str, weights: dict[str, float], numeric: bool) -> float:
    terms = set(tokenize(sentence))
    score = sum(w for t, w in weights.items() if t in terms)
    if numeric and any(ch.isdigit() for ch in sentence):
        score += 0.3
    return score


_LIST_ITEM = re.compile(r"^\s*([-*\u2022]|\d{1,2}[.)])\s")
# How many list items a lead-in sentence ("... in two minerals:") carries with it.
LIST_ITEMS_PER_LEAD = 4


def _units(text: str) -> list[tuple[str, int]]:
    """(sentence, line number) pieces of a passage.

    A sentence that ends with a colon is useless without what follows ("The rare earths occur
    mainly in two minerals:"), so it is one piece with the list items after it (or, if no list
    follows, the next sentence).
    """
    raw = [
        (s, i)
        for i, block in enumerate(text.split("\n"))
        for s in (split_sentences(block) or [block])
        if s.strip()
    ]
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


def _join(units: list[tuple[str, int]], keep: set[int]) -> str:
    """Kept sentences in original order: same line joined by a space, gaps marked "..."."""
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
    """A sentence longer than the whole budget (a table row, a run-on line), shortened."""
    words = sentence.split()
    return " ".join(words[: max(budget // 2, 10)]) + " ..."


def _strip_record_titles(text: str, title: str) -> str:
    """CSV records repeat the file title on every row; the passage label already shows it."""
    prefix = f"{title} | "
    if not title or prefix not in text:
        return text
    return "\n".join(line.removeprefix(prefix) for line in text.split("\n"))


def _meaning_scores(question: str, sentences: list[str], embed: Embed | None) -> list[float]:
    """Cosine of each sentence to the question (0 without an embedder).

    Word overlap misses answers worded differently from the question ("What chemical is used to
    leach ...?" / "... pour in an ammonium sulfate solution ..."); the embedding catches many.
    The engine passes its per-answer embedding memo, so verification re-uses these vectors.
    """
    if embed is None or not sentences:
        return [0.0] * len(sentences)
    vectors = embed([question, *sentences])
    return [max(float(v @ vectors[0]), 0.0) for v in vectors[1:]]


def build_evidence(
    hits: list[Hit],
    question: str,
    budget: int,
    embed: Embed | None = None,
) -> list[Passage]:
    """The best sentences of `hits` within `budget` tokens (labels included), numbered [1..n].

    A sentence's score is its share of the best word-overlap score plus, with `embed`, its share
    of the best cosine to the question, times its passage's rank discount.
    """
    if not hits:
        return []
    texts = [_strip_record_titles(h.text, str(h.metadata.get("title", ""))) for h in hits]
    units = [_units(t) for t in texts]
    flat = [(rank, j, u[0]) for rank, us in enumerate(units) for j, u in enumerate(us)]
    idf = term_weights([f[2] for f in flat], question)
    numeric = bool(_NUMERIC_Q.search(question))
    lexical = [_sentence_score(f[2], idf, numeric) for f in flat]
    meaning = _meaning_scores(question, [f[2] for f in flat], embed)
    top_lex, top_cos = max(lexical, default=0.0) or 1.0, max(meaning, default=0.0) or 1.0
    label_cost = [
        count_tokens(passage_label(i + 1, h)) + _SEPARATOR_TOKENS for i, h in enumerate(hits)
    ]
    candidates = []
    for (rank, j, sentence), lex, cos in zip(flat, lexical, meaning, strict=True):
        prior = max(1.0 - RANK_DISCOUNT * rank, 0.1)
        score = (lex / top_lex + cos / top_cos) * prior
        candidates.append((-score, rank, j, count_tokens(sentence) + 1))
    candidates.sort()

    docs = [h.chunk.doc_id for h in hits]
    short_label = count_tokens("[10] same document as [10], p. 100") + _SEPARATOR_TOKENS
    keep: dict[int, set[int]] = {}
    opened_docs: set[str] = set()
    used = 0
    for _neg, rank, j, cost in candidates:
        if rank not in keep:  # opening a passage pays its label; a document's second one less
            cost += short_label if docs[rank] in opened_docs else label_cost[rank]
        if used + cost <= budget:
            keep.setdefault(rank, set()).add(j)
            opened_docs.add(docs[rank])
            used += cost
    cut = -1
    if not keep:  # even the best sentence is longer than the budget: show it cut
        _neg, cut, j, _cost = candidates[0]
        units[cut][j] = (_cut(units[cut][j][0], budget - label_cost[cut]), units[cut][j][1])
        keep[cut] = {j}

    passages: list[Passage] = []
    first_of_doc: dict[str, int] = {}
    for rank in sorted(keep):
        whole = len(keep[rank]) == len(units[rank]) and rank != cut
        body = texts[rank].strip() if whole else _join(units[rank], keep[rank])
        n = len(passages) + 1
        doc = hits[rank].chunk.doc_id
        first = first_of_doc.setdefault(doc, n)
        passages.append(Passage(n, hits[rank], body, same_as=first if first != n else 0))
    return passages


def render_sources(passages: list[Passage]) -> str:
    return "\n\n".join(p.render() for p in passages)
