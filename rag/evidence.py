"""Evidence: the few sentences from the retrieved passages that the small model actually reads.

A 1.5B model on two CPU cores reads about 90 prompt tokens a second, so six full 300-token
passages would cost 20 s before the first word. We keep, per passage, the sentences that share the
most content words (and numbers) with the question, in their original order, within a token
budget split by rank (better passages get more room). Each passage is numbered [n] and labelled
with its title, date and page so the model can cite it, and the block is fenced as untrusted data.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from ingest.chunker import split_sentences
from rag.retriever import Hit
from ree.index import tokenize
from ree.runtime import count_tokens

_NUMERIC_Q = re.compile(
    r"\b(how (much|many)|what (share|percent|percentage|price)|when|which year)\b", re.I
)


@dataclass
class Passage:
    """One numbered source as shown to the model (and as checked by verification)."""

    n: int
    hit: Hit
    text: str

    @property
    def label(self) -> str:
        meta = self.hit.metadata
        bits = [str(meta.get("title") or meta.get("source") or "Untitled")]
        if meta.get("published"):
            bits.append(str(meta["published"]))
        if meta.get("page"):
            bits.append(f"p. {meta['page']}")
        return " | ".join(bits)

    def render(self) -> str:
        return f"[{self.n}] {self.label}\n{self.text}"


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


def _units(text: str) -> list[tuple[str, int]]:
    """(sentence, line number) pieces of a passage."""
    return [
        (s, i)
        for i, block in enumerate(text.split("\n"))
        for s in (split_sentences(block) or [block])
        if s.strip()
    ]


def select_sentences(
    text: str, question: str, budget: int, weights: dict[str, float] | None = None
) -> str:
    """The best sentences of one passage (original order) that fit in `budget` tokens."""
    if count_tokens(text) <= budget:
        return text.strip()
    units = _units(text)
    lines = [u[0] for u in units]
    weights = weights or term_weights(lines, question)
    numeric = bool(_NUMERIC_Q.search(question))
    ranked = sorted(
        range(len(lines)), key=lambda i: (-_sentence_score(lines[i], weights, numeric), i)
    )
    keep: set[int] = set()
    used = 0
    for i in ranked:
        cost = count_tokens(lines[i])
        if used + cost > budget:
            continue
        keep.add(i)
        used += cost
    if not keep:  # one very long sentence: cut it
        words = lines[ranked[0]].split()
        return " ".join(words[: max(budget // 2, 10)]) + " ..."
    out = ""
    last = -2
    for i in sorted(keep):
        if out:
            joiner = "\n" if units[i][1] != units[last][1] else " "
            out += joiner + ("... " if i != last + 1 else "")
        out += lines[i]
        last = i
    return out


def _strip_record_titles(text: str, title: str) -> str:
    """CSV records repeat the file title on every row; the passage label already shows it."""
    prefix = f"{title} | "
    if not title or prefix not in text:
        return text
    return "\n".join(line.removeprefix(prefix) for line in text.split("\n"))


def build_evidence(hits: list[Hit], question: str, budget: int) -> list[Passage]:
    """Number the hits [1..n] and fit their most relevant sentences into `budget` tokens."""
    if not hits:
        return []
    # rank-weighted shares: weights n, n-1, ..., 1
    weights = list(range(len(hits), 0, -1))
    total = sum(weights)
    idf = term_weights([u[0] for h in hits for u in _units(h.text)], question)
    passages = []
    for i, (hit, w) in enumerate(zip(hits, weights), start=1):
        share = max(40, budget * w // total)
        text = _strip_record_titles(hit.text, str(hit.metadata.get("title", "")))
        passages.append(Passage(i, hit, select_sentences(text, question, share, idf)))
    return passages


def render_sources(passages: list[Passage]) -> str:
    return "\n\n".join(p.render() for p in passages)
