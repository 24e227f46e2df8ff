"""Search the hybrid retriever's knobs on beir-tiny and the two dev suites (no LLM involved).

Why this script exists: the defaults in `rag/retriever.py` / `rag/fusion.py` (RRF constant,
weights, candidate depth, fusion function) were chosen from the table it prints, and anyone
changing the retriever should be able to re-run the same search.

Metrics: beir-tiny nDCG@10 (and MRR@10) per mode; on the dev suites (`eval/datasets/*.jsonl`)
source recall@5 and source MRR: the first 5 distinct source files of `search(question, k=20)`
against the gold `sources` by basename, unanswerable questions skipped.

Indexes are built once under REE_TUNE_HOME (default /tmp/ree-tune-home) with the real ingest
pipeline (dev corpora) and `eval.beir_run.build_index` (beir-tiny). Query vectors are cached per
text: the embedder is deterministic, and the search is over fusion knobs, not the encoder.

    python bench/tune_retrieval.py            # the grid, as a Markdown table + JSON
"""

from __future__ import annotations

import itertools
import json
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from eval.beir import evaluate_run, load_beir  # noqa: E402
from eval.beir_run import COLLECTION, build_index, corpus_hash, isolated_settings  # noqa: E402
from eval.metrics import aggregate, source_mrr, source_recall_at_k  # noqa: E402
from rag.retriever import HybridRetriever  # noqa: E402
from ree.index import Index  # noqa: E402
from ree.settings import Settings  # noqa: E402

HOME = Path(os.environ.get("REE_TUNE_HOME", "/tmp/ree-tune-home"))
#: Folder prefix of the dev indexes under HOME ("dev200" = indexes built with other chunk sizes).
DEV_PREFIX = os.environ.get("REE_TUNE_DEV", "dev")
BEIR = ROOT / "tests" / "fixtures" / "beir-tiny"
DEV = {
    "sample": (ROOT / "data" / "sample", ROOT / "eval" / "datasets" / "sample.jsonl"),
    "shared": (ROOT.parent / "shared" / "corpus", ROOT / "eval" / "datasets" / "shared-corpus.jsonl"),
}


class CachedEmbedder:
    """The real embedder with a per-text cache (a grid repeats the same queries many times)."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.name = inner.name
        self._cache: dict[str, np.ndarray] = {}

    def embed(self, texts: list[str]) -> np.ndarray:
        missing = [t for t in texts if t not in self._cache]
        if missing:
            for t, v in zip(missing, self.inner.embed(missing), strict=True):
                self._cache[t] = v
        return np.stack([self._cache[t] for t in texts]) if texts else self.inner.embed([])


@dataclass
class Suite:
    name: str
    index: Index
    kind: str  # "beir" | "dev"
    queries: dict[str, str]
    gold: dict[str, Any]  # beir: qrels; dev: gold sources
    types: dict[str, str]


def open_suites(embedder: Any) -> list[Suite]:
    from ingest.pipeline import ingest_paths

    suites = []
    data = load_beir(BEIR)
    iso = isolated_settings(Settings(home=HOME), corpus_hash(BEIR, embedder.name))
    index = Index(iso, COLLECTION)
    if index.count() != len(data.corpus):
        build_index(index, data, embedder, progress=False)
    suites.append(Suite("beir-tiny", index, "beir", data.queries, data.qrels, {}))
    for name, (corpus, questions) in DEV.items():
        settings = Settings(home=HOME / f"{DEV_PREFIX}-{name}")
        index = Index(settings, name)
        if index.count() == 0:
            ingest_paths([corpus], settings=settings, index=index, progress=False)
        rows = [json.loads(line) for line in questions.read_text().splitlines() if line.strip()]
        suites.append(Suite(
            name, index, "dev", {r["id"]: r["question"] for r in rows},
            {r["id"]: r["sources"] for r in rows}, {r["id"]: r["type"] for r in rows},
        ))
    return suites


def score(suite: Suite, retriever: HybridRetriever) -> dict[str, float]:
    if suite.kind == "beir":
        run = {q: [h.chunk.id for h in retriever.search(t, k=100).hits]
               for q, t in suite.queries.items()}
        m = evaluate_run(run, suite.gold)
        return {"ndcg@10": m["ndcg@10"], "mrr@10": m["mrr@10"], "recall@10": m["recall@10"]}
    rows = []
    for qid, text in suite.queries.items():
        if suite.types[qid] == "unanswerable":
            continue
        sources = [h.chunk.source for h in retriever.search(text, k=20).hits]
        rows.append({"r@5": source_recall_at_k(sources, suite.gold[qid], 5),
                     "mrr": source_mrr(sources, suite.gold[qid], 5)})
    return dict(aggregate(rows, ["r@5", "mrr"]))


def evaluate(suites: list[Suite], embedder: Any, **kw: Any) -> dict[str, dict[str, float]]:
    """Score one configuration (HybridRetriever keyword arguments) on every suite."""
    kw = dict(kw)
    cand = kw.pop("candidates", 40)
    out = {}
    for suite in suites:
        if suite.kind == "beir":  # as eval.beir_run: k=100, no dedup, no per-doc cap
            params = dict(k=100, candidates=max(cand, 100), max_per_doc=100, dedup_threshold=None)
        else:
            params = dict(k=20, candidates=cand, max_per_doc=3)
        params.update(kw)
        out[suite.name] = score(suite, HybridRetriever(index=suite.index, embedder=embedder,
                                                       **params))
    return out


def main() -> None:
    from ree.runtime.embeddings import get_embedder

    embedder = CachedEmbedder(get_embedder())
    suites = open_suites(embedder)
    grid: list[dict[str, Any]] = [{"mode": "dense"}, {"mode": "bm25"}]
    for rrf_k, wd, cand in itertools.product([5, 10, 20, 40, 60], [0.5, 1.0, 1.5, 2.0], [20, 40]):
        grid.append({"mode": "hybrid", "rrf_k": rrf_k, "dense_weight": wd, "candidates": cand})
    results = []
    for cfg in grid:
        res = evaluate(suites, embedder, **dict(cfg))
        results.append({"config": cfg, **res})
        print(json.dumps({"config": cfg, **{s: {k: round(v, 4) for k, v in m.items()}
                                             for s, m in res.items()}}), flush=True)
    (HOME / "tune.json").write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
