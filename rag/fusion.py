"""Pure ranking steps after the two retrievers: fusion, de-duplication, diversity.

With no packaged cross-encoder available offline, these steps do a reranker's job: reciprocal rank
fusion (Cormack et al. 2009) rewards chunks that both retrievers like without having to calibrate
cosine against BM25 scores; near-duplicates are collapsed so repeated boilerplate cannot take
several slots; a per-document cap keeps one long document from filling every slot.

Two tuned choices (bench/tune_retrieval.py, README "Retrieval"):

- `RRF_K = 5`, not the customary 60. With only two lists of 40 candidates a small constant lets
  the first few ranks of either retriever decide, which is where the evidence is; k in 3..7 is a
  plateau on beir-tiny and on both dev suites, k = 60 is worse on all three.
- The BM25 weight grows with the query's *exactness* (`exactness`): the share of its terms that
  are names, acronyms or numbers. Analysts ask "What did the April 15, 2025 Section 232 fact sheet
  say" as often as "why do magnets need dysprosium"; names, numbers and dates are where dense
  embeddings blur and BM25 is right, paraphrases are where BM25 fails. `EXACT_BOOST = 3` gives
  a query whose terms are one third names/numbers twice the BM25 weight, and a plain paraphrase
  question (exactness 0) the configured weights unchanged.
"""

from __future__ import annotations

import re
import string
from collections.abc import Sequence

from ree.text import tokenize

#: Reciprocal rank fusion constant (see the module docstring for why it is small).
RRF_K = 5
#: BM25 weight multiplier per unit of query exactness: w_bm25 * (1 + EXACT_BOOST * exactness).
EXACT_BOOST = 3.0
#: Word 3-gram Jaccard at or above which two chunks count as near-duplicates.
DEDUP_THRESHOLD = 0.8

_WORD = re.compile(r"\w+")
_STRIP = string.punctuation + "“”‘’«»"


def rrf(rankings: Sequence[tuple[Sequence[str], float]], k: int = RRF_K) -> dict[str, float]:
    """Weighted reciprocal rank fusion: score(d) = sum_r w_r / (k + rank_r(d)), ranks from 1.

    Example (k=5): d1 ranked 1st by dense (w=1) and 3rd by BM25 (w=1) scores 1/6 + 1/8 = 0.29167.
    """
    scores: dict[str, float] = {}
    for ids, weight in rankings:
        if weight <= 0:
            continue
        for rank, cid in enumerate(ids, start=1):
            scores[cid] = scores.get(cid, 0.0) + weight / (k + rank)
    return scores


def exact_terms(query: str) -> list[str]:
    """BM25 tokens of the query's names, acronyms and numbers, in order, without repeats.

    A word counts when it holds a digit ("2025", "390,000", "N52"), an upper-case letter after its
    first ("NdFeB", "USGS", "U.S.-Japan"), or starts with a capital and is not the first word (a
    question's first word is capitalised anyway). Tokens are `tokenize`'s, so "390,000" and
    "390000" are the same term, as in the index.
    Example: "Which forecast puts magnet demand at 390,000 tonnes in the EU?" -> ["390000", "eu"].
    """
    out: list[str] = []
    for i, raw in enumerate(query.split()):
        word = raw.strip(_STRIP)
        if not word:
            continue
        if (
            any(ch.isdigit() for ch in word)
            or any(ch.isupper() for ch in word[1:])
            or (i > 0 and word[0].isupper())
        ):
            out.extend(t for t in tokenize(word) if t not in out)
    return out


def exactness(query: str) -> float:
    """Share of the query's distinct BM25 terms that are exact terms, in [0, 1].

    Example: "Which forecast puts magnet demand at 390,000 tonnes in the EU?" has the terms
    {forecast, put, magnet, demand, 390000, tonne, eu} of which 2 are exact: 2/7 = 0.2857.
    """
    terms = set(tokenize(query))
    if not terms:
        return 0.0
    return min(1.0, len(set(exact_terms(query)) & terms) / len(terms))


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
    ordered: Sequence[str], texts: dict[str, str], threshold: float = DEDUP_THRESHOLD
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


def _shingle_hashes(text: str, n: int = 3) -> set[int]:
    """`shingles` as ints: CPython does not cache tuple hashes, so set algebra on tuples rehashes
    every element each time, which made the Jaccard loop the slowest step of a search."""
    return {hash(s) for s in shingles(text, n)}


def diversify(
    ordered: Sequence[str],
    texts: dict[str, str],
    group: dict[str, str],
    cap: int,
    k: int,
    threshold: float | None = DEDUP_THRESHOLD,
) -> list[str]:
    """`cap_per_group(drop_near_duplicates(ordered))`, doing only the work that can matter.

    Same result as the two steps in sequence, but it stops as soon as k ids are picked, or as
    soon as k ids are picked-or-waiting and every remaining candidate belongs to a group already
    at its cap (those could only queue behind the ones waiting). With a one-document filter every
    candidate is in the same group: the eager version compared all 80 candidates pairwise and
    spent 60 ms per search on Jaccard. `threshold=None` keeps near-duplicates.
    """
    remaining: dict[str, int] = {}
    for cid in ordered:
        remaining[group[cid]] = remaining.get(group[cid], 0) + 1
    uncapped_left = len(ordered)  # candidates still ahead whose group is below its cap
    counts: dict[str, int] = {}
    picked: list[str] = []
    overflow: list[str] = []
    kept_sh: list[set[int]] = []
    for cid in ordered:
        g = group[cid]
        remaining[g] -= 1
        if counts.get(g, 0) < cap:
            uncapped_left -= 1
        if threshold is not None:
            sh = _shingle_hashes(texts[cid])
            if any(jaccard(sh, other) >= threshold for other in kept_sh):
                continue
            kept_sh.append(sh)
        if counts.get(g, 0) < cap:
            counts[g] = counts.get(g, 0) + 1
            picked.append(cid)
            if len(picked) == k:
                return picked
            if counts[g] == cap:
                uncapped_left -= remaining[g]
        else:
            overflow.append(cid)
        if len(picked) + len(overflow) >= k and uncapped_left == 0:
            break
    return picked + overflow[: k - len(picked)]
