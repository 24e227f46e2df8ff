"""Pure ranking steps after the two retrievers: fusion, de-duplication, diversity.

With no packaged cross-encoder available offline, these steps do a reranker's job: reciprocal rank
fusion (Cormack et al. 2009) rewards chunks that both retrievers like without having to calibrate
cosine against BM25 scores; near-duplicates are collapsed so repeated boilerplate cannot take
several slots; a per-document cap keeps one long document from filling every slot.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

RRF_K = 60

_WORD = re.compile(r"\w+")


def rrf(rankings: Sequence[tuple[Sequence[str], float]], k: int = RRF_K) -> dict[str, float]:
    """Weighted reciprocal rank fusion: score(d) = sum_r w_r / (k + rank_r(d)), ranks from 1.

    Example: d1 ranked 1st by dense (w=1) and 3rd by BM25 (w=1) scores 1/61 + 1/63 = 0.03227.
    """
    scores: dict[str, float] = {}
    for ids, weight in rankings:
        if weight <= 0:
            continue
        for rank, cid in enumerate(ids, start=1):
            scores[cid] = scores.get(cid, 0.0) + weight / (k + rank)
    return scores


def shingles(text: str, n: int = 3) -> set[tuple[str, ...]]:
    words = _WORD.findall(text.lower())
    if len(words) < n:
        return {tuple(words)} if words else set()
    return {tuple(words[i : i + n]) for i in range(len(words) - n + 1)}


def jaccard(a: set, b: set) -> float:
    if not a or not b:
        return 0.0
    return len(a & b) / len(a | b)


def drop_near_duplicates(
    ordered: Sequence[str], texts: dict[str, str], threshold: float = 0.8
) -> list[str]:
    """Keep the first of any group of chunks whose word 3-gram Jaccard is >= threshold."""
    kept: list[str] = []
    kept_sh: list[set] = []
    for cid in ordered:
        sh = shingles(texts[cid])
        if any(jaccard(sh, other) >= threshold for other in kept_sh):
            continue
        kept.append(cid)
        kept_sh.append(sh)
    return kept


def cap_per_group(ordered: Sequence[str], group: dict[str, str], cap: int, k: int) -> list[str]:
    """Take up to k ids in order, at most `cap` per group; fill with the rest if short."""
    counts: dict[str, int] = {}
    picked: list[str] = []
    overflow: list[str] = []
    for cid in ordered:
        g = group[cid]
        if counts.get(g, 0) < cap:
            counts[g] = counts.get(g, 0) + 1
            picked.append(cid)
        else:
            overflow.append(cid)
        if len(picked) == k:
            return picked
    return picked + overflow[: k - len(picked)]
