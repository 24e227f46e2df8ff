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

import argparse
import itertools
import json
import os
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from eval.beir import evaluate_run, load_beir  # noqa: E402
from eval.beir_run import COLLECTION, build_index, corpus_hash, isolated_settings  # noqa: E402
from eval.metrics import aggregate, ndcg_at_k, source_mrr, source_recall_at_k  # noqa: E402
from rag.retriever import HybridRetriever  # noqa: E402
from ree.index import Index  # noqa: E402
from ree.settings import Settings  # noqa: E402

HOME = Path(os.environ.get("REE_TUNE_HOME", "/tmp/ree-tune-home"))
#: Folder prefix of the dev indexes under HOME ("dev200" = indexes built with other chunk sizes).
DEV_PREFIX = os.environ.get("REE_TUNE_DEV", "dev")
BEIR = ROOT / "tests" / "fixtures" / "beir-tiny"
DEV = {
    "sample": (ROOT / "data" / "sample", ROOT / "eval" / "datasets" / "sample.jsonl"),
    "shared": (
        ROOT.parent / "shared" / "corpus",
        ROOT / "eval" / "datasets" / "shared-corpus.jsonl",
    ),
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


def _norm(text: str) -> str:
    """Lower-case alphanumeric words only: evidence quotes drop Markdown and table punctuation."""
    return " ".join(re.findall(r"[a-z0-9]+", text.lower()))


def evidence_qrels(index: Index, rows: list[dict]) -> dict[str, dict[str, int]]:
    """Chunk-level judgments for a dev suite: a chunk is relevant if it quotes an evidence line."""
    chunks = {c.id: _norm(c.text) for c in index.docstore.iter_chunks()}
    out: dict[str, dict[str, int]] = {}
    for r in rows:
        quotes = [_norm(e) for e in r.get("evidence", []) if _norm(e)]
        rel = {cid: 1 for cid, text in chunks.items() if any(q in text for q in quotes)}
        if rel and r["type"] != "unanswerable":
            out[r["id"]] = rel
    return out


@dataclass
class Suite:
    name: str
    index: Index
    kind: str  # "beir" | "dev"
    queries: dict[str, str]
    gold: dict[str, Any]  # beir: qrels; dev: gold sources
    types: dict[str, str]
    evidence: dict[str, dict[str, int]] | None = None  # dev: chunk-level qrels from `evidence`


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
        suites.append(
            Suite(
                name,
                index,
                "dev",
                {r["id"]: r["question"] for r in rows},
                {r["id"]: r["sources"] for r in rows},
                {r["id"]: r["type"] for r in rows},
                evidence_qrels(index, rows),
            )
        )
    return suites


def score(suite: Suite, retriever: HybridRetriever) -> dict[str, float]:
    if suite.kind == "beir":
        run = {
            q: [h.chunk.id for h in retriever.search(t, k=100).hits]
            for q, t in suite.queries.items()
        }
        m = evaluate_run(run, suite.gold)
        return {"ndcg@10": m["ndcg@10"], "mrr@10": m["mrr@10"], "recall@10": m["recall@10"]}
    rows = []
    for qid, text in suite.queries.items():
        if suite.types[qid] == "unanswerable":
            continue
        hits = retriever.search(text, k=20).hits
        sources = [h.chunk.source for h in hits]
        ids = [i for h in hits for i in str(h.metadata.get("merged") or h.chunk.id).split("+")]
        ev = suite.evidence.get(qid) if suite.evidence else None
        rows.append(
            {
                "r@5": source_recall_at_k(sources, suite.gold[qid], 5),
                "mrr": source_mrr(sources, suite.gold[qid], 5),
                "ev_ndcg@10": ndcg_at_k(ids, ev, 10) if ev else None,
            }
        )
    return dict(aggregate(rows, ["r@5", "mrr", "ev_ndcg@10"]))


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
        out[suite.name] = score(
            suite, HybridRetriever(index=suite.index, embedder=embedder, **params)
        )
    return out


#: Questions no rare-earth library answers: the refusal threshold must turn all of them away.
OFF_TOPIC = [
    "What is the capital of France?",
    "How do I bake sourdough bread at home?",
    "Who won the 2018 FIFA World Cup?",
    "What is the best way to train a puppy?",
    "Explain the rules of cricket.",
    "How many calories are in a banana?",
    "What is the plot of Hamlet?",
    "How do I reset my iPhone password?",
    "Which Python web framework is fastest?",
    "What is the boiling point of water on Mount Everest?",
    "Recommend a good science fiction novel.",
    "How tall is the Eiffel Tower?",
]


def grid() -> list[dict[str, Any]]:
    """The configurations compared (README "Retrieval" shows the table)."""
    out: list[dict[str, Any]] = [{"mode": "dense"}, {"mode": "bm25"}]
    for rrf_k, boost in itertools.product([3, 5, 10, 20, 60], [0.0, 1.5, 3.0, 5.0]):
        out.append({"mode": "hybrid", "rrf_k": rrf_k, "exact_boost": boost})
    for wd in [0.6, 0.8, 1.2, 1.5]:
        out.append({"mode": "hybrid", "rrf_k": 60, "exact_boost": 0.0, "dense_weight": wd})
        out.append({"mode": "hybrid", "rrf_k": 5, "exact_boost": 3.0, "dense_weight": wd})
    for cand in [20, 80]:
        out.append({"mode": "hybrid", "rrf_k": 5, "exact_boost": 3.0, "candidates": cand})
    return out


def label(cfg: dict[str, Any]) -> str:
    if cfg["mode"] != "hybrid":
        return cfg["mode"]
    parts = [f"k={cfg.get('rrf_k')}", f"boost={cfg.get('exact_boost')}"]
    if "dense_weight" in cfg:
        parts.append(f"w_dense={cfg['dense_weight']}")
    if "candidates" in cfg:
        parts.append(f"cand={cfg['candidates']}")
    return "hybrid " + " ".join(parts)


def table_row(cfg: dict[str, Any], res: dict[str, dict[str, float]]) -> str:
    b, sa, sh = res["beir-tiny"], res["sample"], res["shared"]
    return (
        f"| {label(cfg)} | {b['ndcg@10']:.4f} | {sa['r@5']:.4f} | {sa['ev_ndcg@10']:.4f} | "
        f"{sh['r@5']:.4f} | {sh['mrr']:.4f} | {sh['ev_ndcg@10']:.4f} |"
    )


def calibrate(suites: list[Suite], embedder: Any, **kw: Any) -> dict[str, Any]:
    """Relevance of answerable, unanswerable and off-topic questions with the given knobs."""
    rows = []
    for suite in suites:
        if suite.kind != "dev":
            continue
        r = HybridRetriever(index=suite.index, embedder=embedder, k=5, **kw)
        for qid, text in list(suite.queries.items()) + [
            (f"off{i}", q) for i, q in enumerate(OFF_TOPIC)
        ]:
            res = r.search(text)
            kind = (
                "off-topic"
                if qid.startswith("off")
                else "unanswerable"
                if suite.types[qid] == "unanswerable"
                else "answerable"
            )
            rows.append(
                {
                    "suite": suite.name,
                    "id": qid,
                    "kind": kind,
                    "relevance": res.relevance,
                    "cosine": res.cosine,
                    "coverage": res.coverage,
                    "question": text,
                }
            )
    return {"rows": rows}


def describe(rows: list[dict], key: str) -> None:
    for kind in ("answerable", "unanswerable", "off-topic"):
        vals = sorted(r[key] for r in rows if r["kind"] == kind)
        q = np.percentile(vals, [0, 10, 50, 90, 100])
        print(
            f"  {key:9} {kind:12} n={len(vals):3}  min {q[0]:.3f}  p10 {q[1]:.3f}  "
            f"median {q[2]:.3f}  p90 {q[3]:.3f}  max {q[4]:.3f}"
        )


def main() -> None:
    from ree.runtime.embeddings import get_embedder

    ap = argparse.ArgumentParser(description="hybrid retrieval grid search / relevance calibration")
    ap.add_argument("--calibrate", action="store_true", help="relevance distributions only")
    args = ap.parse_args()
    embedder = CachedEmbedder(get_embedder())
    suites = open_suites(embedder)
    if args.calibrate:
        rows = calibrate(suites, embedder)["rows"]
        for key in ("cosine", "relevance"):
            describe(rows, key)
        for r in sorted(rows, key=lambda r: r["relevance"]):
            if r["kind"] != "answerable" or r["relevance"] < 0.5:
                print(
                    f"  {r['kind']:12} rel {r['relevance']:.3f} cos {r['cosine']:.3f} "
                    f"cov {r['coverage']:.2f}  {r['suite']}/{r['id']}  {r['question'][:70]}"
                )
        (HOME / "calibration.json").write_text(json.dumps(rows, indent=1))
        return
    print(
        "| configuration | beir-tiny nDCG@10 | sample src R@5 | sample ev nDCG@10 | "
        "shared src R@5 | shared src MRR | shared ev nDCG@10 |"
    )
    print("|---|---|---|---|---|---|---|")
    results = []
    for cfg in grid():
        res = evaluate(suites, embedder, **cfg)
        results.append({"config": cfg, **res})
        print(table_row(cfg, res), flush=True)
    (HOME / "tune.json").write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
