"""Hybrid retrieval: dense (Chroma) + BM25, fused, de-duplicated, diversified, with filters.

`HybridRetriever.search` is the engine's entry point and returns `Hit`s with every score kept for
inspection; as a LangChain `BaseRetriever` it also plugs into any LCEL chain. `mode` selects
"hybrid" (default), "dense" or "bm25", which is how the benchmarks compare like with like.

Fusion: weighted reciprocal rank fusion with a small constant (`rag.fusion.RRF_K` = 5) and a BM25
weight that grows with the share of names and numbers in the query (`rag.fusion.exactness`).
Both were chosen by a grid search on beir-tiny and the two dev suites (bench/tune_retrieval.py;
numbers in the README, "Retrieval").

Filters: resolved once (`rag.filters`), then applied identically to both retrievers. BM25 scores
are multiplied by the filter's 0/1 mask. Dense search takes the cheapest path by how many chunks
the filter keeps (`_dense`): a large share (a one-year window over a decade of documents) -> an
unfiltered HNSW over-fetch, filtered here by the mask; up to `EXACT_MAX_CHUNKS` (a few
documents) -> exact numpy cosine over those chunks' vectors, fetched from Chroma once per filter
and cached; otherwise a Chroma search restricted to the filter's chunk ids; Chroma's `where`
only if a commit landed mid-search (the mask no longer lines up with the ids). `where` costs
35-470 ms per query against ~2 ms unfiltered, hence the last resort. Every path ends in the same
check of each chunk's metadata against the filter, so a path can be fast but never wrong.

A chunk that is only a table's notes record (units and footnotes: "Salient Statistics, notes: t =
metric tons; note 2 = ...") goes after every other candidate: its long generic text matches
most questions about its table, and it took a slot of five from the rows that hold the figures
(the exports row for "how do U.S. exports compare with mine production?"); the footnotes are
also on the page's text, and evidence shows a record's units from its notes when they are hit.

Relevance signal, `RetrievalResult.relevance` (the engine refuses below REE_MIN_RELEVANCE):
    relevance = best cosine(query, returned chunk) * (FLOOR + (1 - FLOOR) * coverage)
with FLOOR = `COVERAGE_FLOOR` = 0.25 and `coverage` the share of the question's exact terms
(names, acronyms, numbers; `rag.fusion.exact_terms`) found in the returned passages: their text,
title, file name, or publication month and year. Best cosine alone says "these passages are about
the same topic", which holds for most unanswerable questions in a focused library: "How much
financing did Lynas receive under the U.S.-Australia framework?" has cosine 0.48 with the framework
text, more than several answerable questions. A name or number in the question that no returned
passage contains is direct evidence that the library does not hold the answer, and answerable
questions almost never have one (1 of 93 on the dev suites, coverage 0.75).

The threshold and the coverage floor were calibrated on the dev suites (`python
bench/tune_retrieval.py --calibrate`; the figures are in the README, "Refusals"). Retrieval
cannot tell an answerable question from a near miss that asks for a year or a figure the library
does not hold; answer verification has to.
"""

from __future__ import annotations

import math
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document
from langchain_core.retrievers import BaseRetriever
from pydantic import ConfigDict, PrivateAttr

from rag.filters import Filters, ResolvedFilter, resolve
from rag.fusion import DEDUP_THRESHOLD, EXACT_BOOST, RRF_K, diversify, exact_terms, exactness, rrf
from rag.records import is_notes_record, record_label
from ree.index import Chunk, Index
from ree.settings import Settings
from ree.text import MONTH_NAMES, split_sentences, tokenize

Mode = Literal["hybrid", "dense", "bm25"]

#: Filters keeping at most this many chunks are searched exactly (numpy over cached vectors).
EXACT_MAX_CHUNKS = 5000
#: Unfiltered over-fetch + post-filter while it needs at most this many HNSW results.
OVERFETCH_MAX = 3000
#: Over-fetch margin over the expected n / kept-share: survivors are binomial around 1.5 n, so
#: fewer than n (and a slower ids-restricted second search) happens in ~0.1% of queries.
OVERFETCH_MARGIN = 1.5
#: Share of the relevance signal that does not depend on exact-term coverage (see docstring).
COVERAGE_FLOOR = 0.25
#: Filtered vector subsets kept in memory (a user usually asks several questions per filter).
_SUBSET_CACHE = 4


@dataclass
class Hit:
    """One retrieved passage with its provenance and scores."""

    chunk: Chunk
    score: float  # fused score (RRF) or the single retriever's score
    cosine: float = 0.0  # query-chunk cosine, the relevance signal
    dense_rank: int | None = None
    bm25_rank: int | None = None
    text: str = ""  # passage text (the chunk, merged with neighbours when expanded)

    @property
    def metadata(self) -> dict[str, Any]:
        return self.chunk.metadata


@dataclass
class RetrievalResult:
    hits: list[Hit]
    relevance: float
    timings: dict[str, float] = field(default_factory=dict)
    cosine: float = 0.0  # best query-chunk cosine among the hits
    coverage: float = 1.0  # share of the question's exact terms found in the hits


def merge_texts(first: str, second: str) -> str:
    """Join two neighbouring chunks, dropping the sentences the second repeats from the first."""
    tail = first[-2000:]
    sentences = split_sentences(second)
    i = 0
    while i < len(sentences) and sentences[i] in tail:
        i += 1
    rest = " ".join(sentences[i:]) if i else second
    return f"{first}\n{rest}".strip() if rest else first


def coverage_of(query: str, chunks: list[Chunk]) -> float:
    """Share of the query's exact terms present in the chunks' text, title, source or date.

    Example: "How much financing did Lynas receive under the U.S.-Australia framework?" has the
    exact terms [lyna, australia]; passages that mention Australia but never Lynas cover 1/2.
    A query without exact terms is fully covered (1.0).
    """
    terms = exact_terms(query)
    if not terms:
        return 1.0
    seen: set[str] = set()
    for c in chunks:
        meta = c.metadata
        published = str(meta.get("published") or "")
        date_words = ""
        if len(published) >= 7 and published[5:7].isdigit() and 1 <= int(published[5:7]) <= 12:
            date_words = f"{published[:4]} {MONTH_NAMES[int(published[5:7]) - 1]}"
        source = str(meta.get("source", "")).replace("_", " ").replace("-", " ").replace("/", " ")
        seen.update(
            tokenize(f"{c.embed_text}\n{c.text}\n{meta.get('title', '')}\n{source}\n{date_words}")
        )
    return sum(t in seen for t in terms) / len(terms)


def is_notes_chunk(chunk: Chunk) -> bool:
    """Whether a chunk holds nothing but a table's notes record (units and footnotes)."""
    lines = [line for line in chunk.text.split("\n") if line.strip()]
    return bool(lines) and all(is_notes_record(line) for line in lines)


class HybridRetriever(BaseRetriever):
    """Dense + BM25 over one `Index`, fused by weighted RRF. See the module docstring."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    index: Any
    embedder: Any
    k: int = 6
    candidates: int = 40
    dense_weight: float = 1.0
    bm25_weight: float = 1.0
    max_per_doc: int = 3
    expand: int = 0  # neighbouring chunks to add on each side of a hit
    mode: Mode = "hybrid"
    filters: Filters | None = None
    rrf_k: int = RRF_K
    exact_boost: float = EXACT_BOOST  # 0 = fixed weights
    dedup_threshold: float | None = DEDUP_THRESHOLD  # None keeps near-duplicates (BEIR runs)

    _positions: tuple[Any, dict[str, int]] | None = PrivateAttr(default=None)
    _subsets: OrderedDict = PrivateAttr(default_factory=OrderedDict)
    _lock: Any = PrivateAttr(default_factory=threading.Lock)

    @classmethod
    def from_settings(
        cls, index: Index, embedder: Any, settings: Settings, **kw: Any
    ) -> HybridRetriever:
        params: dict[str, Any] = dict(
            k=settings.top_k,
            candidates=settings.candidates,
            dense_weight=settings.dense_weight,
            bm25_weight=settings.bm25_weight,
            max_per_doc=settings.max_per_doc,
            rrf_k=settings.rrf_k,
            exact_boost=settings.exact_boost,
        )
        params.update(kw)
        return cls(index=index, embedder=embedder, **params)

    # --- filters ---------------------------------------------------------------------------
    def _resolve(self, filters: Filters | dict | None) -> ResolvedFilter:
        flt = Filters.coerce(filters if filters is not None else self.filters)
        # Listing the manifest costs ~10 ms at 2k documents: only source/type filters need it.
        documents = self.index.documents() if (flt.sources or flt.doc_types) else []
        return resolve(flt, documents)

    def _mask(self, flt: ResolvedFilter) -> np.ndarray | None:
        """The filter as a 0/1 float mask aligned with the BM25 ids (None: no filter)."""
        if not flt.restricts:
            return None
        return self.index.keyword.filter_mask(flt.doc_ids, flt.since_int, flt.until_int)

    def _id_positions(self) -> tuple[list[str], dict[str, int]]:
        """Chunk id -> position in the BM25 id list (the order of every filter mask).

        Rebuilt when the keyword index swaps its id list (any commit), checked by identity.
        """
        ids = self.index.keyword.ids
        cached = self._positions
        if cached is None or cached[0] is not ids:
            cached = (ids, {cid: i for i, cid in enumerate(ids)})
            self._positions = cached
        return cached[0], cached[1]

    # --- the two retrievers ---------------------------------------------------------------
    def _dense(
        self, qvec: np.ndarray, n: int, flt: ResolvedFilter, mask: np.ndarray | None
    ) -> list[tuple[str, float]]:
        """Dense candidates inside the filter, by the cheapest path (see the module docstring)."""
        if mask is None:
            return self.index.vectors.query(qvec, n)
        kept = int(np.count_nonzero(mask))
        if kept == 0:
            return []
        total = len(mask)
        ids, pos = self._id_positions()
        aligned = len(ids) == total  # False only if a commit landed since the mask was made
        fetch = min(total, math.ceil(n * total / kept * OVERFETCH_MARGIN) + n)
        if aligned and fetch <= OVERFETCH_MAX:
            raw = self.index.vectors.query(qvec, fetch)
            out = [(cid, s) for cid, s in raw if (p := pos.get(cid)) is not None and mask[p] > 0]
            if len(out) >= min(n, kept):
                return out[:n]
        if aligned and kept <= EXACT_MAX_CHUNKS:
            return self._exact(qvec, n, flt, mask)
        if aligned:
            return self.index.vectors.query(qvec, n, ids=[ids[i] for i in np.flatnonzero(mask > 0)])
        return self.index.vectors.query(qvec, n, where=flt.chroma_where())

    def _exact(
        self, qvec: np.ndarray, n: int, flt: ResolvedFilter, mask: np.ndarray
    ) -> list[tuple[str, float]]:
        """Brute-force cosine over the filter's chunks: exact, and ~1 ms for 5k vectors."""
        ids, _ = self._id_positions()
        key = (
            id(ids),
            frozenset(flt.doc_ids) if flt.doc_ids is not None else None,
            flt.since_int,
            flt.until_int,
        )
        with self._lock:
            hit = self._subsets.get(key)
            if hit is not None:
                self._subsets.move_to_end(key)
        if hit is None or hit[0] is not ids:
            wanted = [ids[i] for i in np.flatnonzero(mask > 0)]
            got_ids, matrix = self.index.vectors.embeddings(wanted)
            hit = (ids, got_ids, matrix if len(got_ids) else np.zeros((0, len(qvec))))
            with self._lock:
                self._subsets[key] = hit
                while len(self._subsets) > _SUBSET_CACHE:
                    self._subsets.popitem(last=False)
        _, sub_ids, matrix = hit
        if not sub_ids:
            return []
        sims = matrix @ np.asarray(qvec, dtype=np.float32)
        top = np.argsort(-sims, kind="stable")[:n]
        return [(sub_ids[i], float(sims[i])) for i in top]

    # --- search ----------------------------------------------------------------------------
    def search(
        self, query: str, *, k: int | None = None, filters: Filters | dict | None = None
    ) -> RetrievalResult:
        k = k or self.k
        t0 = time.perf_counter()
        flt = self._resolve(filters)
        mask = self._mask(flt)
        t_filter = time.perf_counter()
        qvec = self.embedder.embed([query])[0]
        t_embed = time.perf_counter()
        n = max(self.candidates, k)
        dense = self._dense(qvec, n, flt, mask) if self.mode != "bm25" else []
        t_dense = time.perf_counter()
        bm25 = self.index.keyword.search(query, n, mask=mask) if self.mode != "dense" else []
        t_bm25 = time.perf_counter()

        dense_ids = [cid for cid, _ in dense]
        bm25_ids = [cid for cid, _ in bm25]
        if self.mode == "dense":
            scores = dict(dense)
        elif self.mode == "bm25":
            scores = dict(bm25)
        else:
            w_bm25 = self.bm25_weight * (1.0 + self.exact_boost * exactness(query))
            scores = rrf([(dense_ids, self.dense_weight), (bm25_ids, w_bm25)], self.rrf_k)
        ordered = sorted(scores, key=lambda c: -scores[c])
        chunks = self.index.docstore.get_chunks(ordered)  # only live chunks survive
        ordered = [cid for cid in ordered if cid in chunks and flt.accepts(chunks[cid].metadata)]
        ordered.sort(key=lambda c: is_notes_chunk(chunks[c]))  # stable: rank kept otherwise
        picked = diversify(
            ordered,
            {c: chunks[c].text for c in ordered},
            {c: chunks[c].doc_id for c in ordered},
            self.max_per_doc,
            k,
            self.dedup_threshold,
        )
        t_fuse = time.perf_counter()

        dense_rank = {cid: i + 1 for i, cid in enumerate(dense_ids)}
        bm25_rank = {cid: i + 1 for i, cid in enumerate(bm25_ids)}
        cos = self._cosines(qvec, picked, dict(dense))
        hits = [
            Hit(
                chunks[c],
                scores[c],
                cos.get(c, 0.0),
                dense_rank.get(c),
                bm25_rank.get(c),
                chunks[c].text,
            )
            for c in picked
        ]
        best = max((h.cosine for h in hits), default=0.0)
        coverage = coverage_of(query, [chunks[c] for c in picked]) if hits else 0.0
        hits = self._merge_adjacent(hits)
        self._complete_records(hits)
        if self.expand:
            self._expand(hits)
        t_end = time.perf_counter()
        return RetrievalResult(
            hits=hits,
            relevance=best * (COVERAGE_FLOOR + (1.0 - COVERAGE_FLOOR) * coverage),
            timings={
                "filter": t_filter - t0,
                "embed": t_embed - t_filter,
                "dense": t_dense - t_embed,
                "bm25": t_bm25 - t_dense,
                "fuse": t_fuse - t_bm25,
                "total": t_end - t0,
            },
            cosine=best,
            coverage=coverage,
        )

    def _cosines(
        self, qvec: np.ndarray, ids: list[str], known: dict[str, float]
    ) -> dict[str, float]:
        """Query-chunk cosine for every picked chunk (BM25-only hits get theirs from Chroma)."""
        out = {c: known[c] for c in ids if c in known}
        missing = [c for c in ids if c not in out]
        if missing:
            got_ids, matrix = self.index.vectors.embeddings(missing)
            for cid, vec in zip(got_ids, matrix, strict=True):
                out[cid] = float(np.dot(qvec, vec))
        return out

    @staticmethod
    def _merge_adjacent(hits: list[Hit]) -> list[Hit]:
        """Collapse hits that are neighbouring chunks of one document into one passage."""
        out: list[Hit] = []
        for hit in hits:
            idx = int(hit.metadata.get("chunk_index", -99))
            partner = next(
                (
                    h
                    for h in out
                    if h.chunk.doc_id == hit.chunk.doc_id
                    and abs(int(h.metadata.get("chunk_index", -99)) - idx) == 1
                    and "+" not in str(h.metadata.get("merged", ""))
                ),
                None,
            )
            if partner is None:
                out.append(hit)
                continue
            first, second = sorted([partner, hit], key=lambda h: int(h.metadata["chunk_index"]))
            partner.text = merge_texts(first.text, second.text)
            partner.cosine = max(partner.cosine, hit.cosine)
            partner.chunk.metadata = dict(
                partner.chunk.metadata, merged=f"{first.chunk.id}+{second.chunk.id}"
            )
        return out

    def _complete_records(self, hits: list[Hit]) -> None:
        """Give each table-record hit the rest of its rows from the neighbouring chunks.

        A wide row is cut into groups of columns that fit the embedder, and a chunk boundary can
        fall inside a row: "Europium: summary = ..." is retrieved, its "Europium: ...;
        discovered_by = ..." group sits in the chunk before. Evidence selection keeps a record
        whole only if it has the whole record."""
        for hit in hits:
            if hit.metadata.get("content") != "records":
                continue
            lines = hit.text.split("\n")
            labels = {record_label(line) for line in lines} - {""}
            idx = int(hit.metadata.get("chunk_index", 0))
            before: list[str] = []
            after: list[str] = []
            for chunk in self.index.docstore.neighbours(hit.chunk.doc_id, idx, 1):
                index = int(chunk.metadata.get("chunk_index", idx))
                if index == idx:
                    continue
                rest = [
                    line
                    for line in chunk.text.split("\n")
                    if record_label(line) in labels and line not in lines
                ]
                (before if index < idx else after).extend(rest)
            if before or after:
                hit.text = "\n".join([*before, *lines, *after])

    def _expand(self, hits: list[Hit]) -> None:
        for hit in hits:
            idx = int(hit.metadata.get("chunk_index", 0))
            around = self.index.docstore.neighbours(hit.chunk.doc_id, idx, self.expand)
            text = ""
            for c in around:
                text = merge_texts(text, c.text) if text else c.text
            hit.text = text or hit.text

    # --- LangChain -------------------------------------------------------------------------
    def _get_relevant_documents(
        self, query: str, *, run_manager: CallbackManagerForRetrieverRun
    ) -> list[Document]:
        result = self.search(query)
        return [
            Document(
                page_content=h.text,
                id=h.chunk.id,
                metadata={**h.metadata, "score": h.score, "cosine": h.cosine},
            )
            for h in result.hits
        ]
