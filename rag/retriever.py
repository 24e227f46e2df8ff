"""Hybrid retrieval: dense (Chroma) + BM25, fused, de-duplicated, diversified, with filters.

`HybridRetriever.search` is the engine's entry point and returns `Hit`s with every score kept for
inspection; as a LangChain `BaseRetriever` it also plugs into any LCEL chain. `mode` selects
"hybrid" (default), "dense" or "bm25", which is how the benchmarks compare like with like.

Relevance signal: each returned hit gets the cosine between the query and the chunk vector (also
for hits found only by BM25); `RetrievalResult.relevance` is the best of these. Below
REE_MIN_RELEVANCE the answer engine says the documents do not cover the question. The threshold
was set on the dev suites (answerable vs unanswerable questions), see README "Refusals".
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document
from langchain_core.retrievers import BaseRetriever
from pydantic import ConfigDict

from rag.filters import Filters, ResolvedFilter, resolve
from rag.fusion import RRF_K, cap_per_group, drop_near_duplicates, rrf
from ree.index import Chunk, Index
from ree.settings import Settings

Mode = Literal["hybrid", "dense", "bm25"]

#: Share of the corpus a filter must keep for over-fetch + post-filter to beat Chroma's `where`.
_POSTFILTER_SHARE = 0.3


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


def merge_texts(first: str, second: str) -> str:
    """Join two neighbouring chunks, dropping the sentences the second repeats from the first."""
    from ingest.chunker import split_sentences

    tail = first[-2000:]
    sentences = split_sentences(second)
    i = 0
    while i < len(sentences) and sentences[i] in tail:
        i += 1
    rest = " ".join(sentences[i:]) if i else second
    return f"{first}\n{rest}".strip() if rest else first


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
    dedup_threshold: float | None = 0.8  # None: keep near-duplicates (BEIR judges every doc id)
    mode: Mode = "hybrid"
    rrf_k: int = RRF_K
    filters: Filters | None = None

    @classmethod
    def from_settings(cls, index: Index, embedder: Any, settings: Settings, **kw: Any) -> HybridRetriever:
        params = dict(
            k=settings.top_k,
            candidates=settings.candidates,
            dense_weight=settings.dense_weight,
            bm25_weight=settings.bm25_weight,
            max_per_doc=settings.max_per_doc,
        )
        params.update(kw)
        return cls(index=index, embedder=embedder, **params)

    # --- the two retrievers ---------------------------------------------------------------
    def _dense(self, qvec: np.ndarray, n: int, flt: ResolvedFilter) -> list[tuple[str, float]]:
        if not flt.restricts:
            return self.index.vectors.query(qvec, n)
        total = max(self.index.count(), 1)
        kept = self._kept_share(flt, total)
        if kept >= _POSTFILTER_SHARE:
            # cheap path: over-fetch unfiltered, filter here (Chroma's where costs far more)
            raw = self.index.vectors.query(qvec, min(total, int(n / kept) + n))
            meta = self.index.docstore.get_chunks([cid for cid, _ in raw])
            out = [(cid, s) for cid, s in raw if cid in meta and flt.accepts(meta[cid].metadata)]
            if len(out) >= min(n, int(total * kept)):
                return out[:n]
        return self.index.vectors.query(qvec, n, where=flt.chroma_where())

    def _kept_share(self, flt: ResolvedFilter, total: int) -> float:
        mask = self._mask(flt)
        return float(mask.sum()) / total if mask is not None else 1.0

    def _mask(self, flt: ResolvedFilter) -> np.ndarray | None:
        if not flt.restricts:
            return None
        return self.index.keyword.filter_mask(flt.doc_ids, flt.since_int, flt.until_int)

    # --- search ----------------------------------------------------------------------------
    def search(
        self, query: str, *, k: int | None = None, filters: Filters | dict | None = None
    ) -> RetrievalResult:
        k = k or self.k
        t0 = time.perf_counter()
        flt = resolve(Filters.coerce(filters or self.filters), self.index.documents())
        qvec = self.embedder.embed([query])[0]
        t_embed = time.perf_counter()
        n = max(self.candidates, k)
        dense = self._dense(qvec, n, flt) if self.mode != "bm25" else []
        t_dense = time.perf_counter()
        bm25 = self.index.keyword.search(query, n, mask=self._mask(flt)) if self.mode != "dense" else []
        t_bm25 = time.perf_counter()

        dense_ids = [cid for cid, _ in dense]
        bm25_ids = [cid for cid, _ in bm25]
        if self.mode == "dense":
            scores = {cid: s for cid, s in dense}
        elif self.mode == "bm25":
            scores = {cid: s for cid, s in bm25}
        else:
            scores = rrf([(dense_ids, self.dense_weight), (bm25_ids, self.bm25_weight)], self.rrf_k)
        ordered = sorted(scores, key=lambda c: -scores[c])
        chunks = self.index.docstore.get_chunks(ordered)  # only live chunks survive
        ordered = [cid for cid in ordered if cid in chunks and flt.accepts(chunks[cid].metadata)]
        if self.dedup_threshold is not None:
            ordered = drop_near_duplicates(
                ordered, {c: chunks[c].text for c in ordered}, self.dedup_threshold
            )
        picked = cap_per_group(ordered, {c: chunks[c].doc_id for c in ordered}, self.max_per_doc, k)

        dense_rank = {cid: i + 1 for i, cid in enumerate(dense_ids)}
        bm25_rank = {cid: i + 1 for i, cid in enumerate(bm25_ids)}
        cos = self._cosines(qvec, picked, dict(dense))
        hits = [
            Hit(chunks[c], scores[c], cos.get(c, 0.0), dense_rank.get(c), bm25_rank.get(c), chunks[c].text)
            for c in picked
        ]
        hits = self._merge_adjacent(hits)
        if self.expand:
            self._expand(hits)
        t_end = time.perf_counter()
        return RetrievalResult(
            hits=hits,
            relevance=max((h.cosine for h in hits), default=0.0),
            timings={
                "embed": t_embed - t0,
                "dense": t_dense - t_embed,
                "bm25": t_bm25 - t_dense,
                "total": t_end - t0,
            },
        )

    def _cosines(self, qvec: np.ndarray, ids: list[str], known: dict[str, float]) -> dict[str, float]:
        out = {c: known[c] for c in ids if c in known}
        missing = [c for c in ids if c not in out]
        if missing:
            got = self.index.vectors.collection.get(ids=missing, include=["embeddings"])
            for cid, vec in zip(got["ids"], got["embeddings"]):
                out[cid] = float(np.dot(qvec, np.asarray(vec, dtype=np.float32)))
        return out

    @staticmethod
    def _merge_adjacent(hits: list[Hit]) -> list[Hit]:
        """Collapse hits that are neighbouring chunks of one document into one passage."""
        out: list[Hit] = []
        for hit in hits:
            idx = int(hit.metadata.get("chunk_index", -99))
            partner = next(
                (h for h in out if h.chunk.doc_id == hit.chunk.doc_id
                 and abs(int(h.metadata.get("chunk_index", -99)) - idx) == 1
                 and "+" not in str(h.metadata.get("merged", ""))),
                None,
            )
            if partner is None:
                out.append(hit)
                continue
            first, second = sorted([partner, hit], key=lambda h: int(h.metadata["chunk_index"]))
            partner.text = merge_texts(first.text, second.text)
            partner.cosine = max(partner.cosine, hit.cosine)
            partner.chunk.metadata = dict(partner.chunk.metadata, merged=f"{first.chunk.id}+{second.chunk.id}")
        return out

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
