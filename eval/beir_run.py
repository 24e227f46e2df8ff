"""Run our retriever on a BEIR dataset: dense-only, BM25-only and hybrid, side by side.

Why this module exists: the only honest way to tune fusion is to score the three modes on the
same index with the same queries. The BEIR corpus goes into an index of its own (a separate
REE_HOME under `settings.eval_dir / "beir-<hash>"`, collection "beir", embedded Chroma even when
REE_CHROMA_URL is set) so an evaluation can never touch the user's library, and an unchanged
corpus is indexed only once: the folder name is a hash of the corpus file, the embedding model
and this module's layout version, and a `ready.json` marker is written only after every document
is committed (a crash mid-way resumes from the documents already in the manifest).

Each BEIR document becomes one chunk whose id *is* the BEIR `_id` (so qrels map directly) with
text `title + "\\n" + text`, embedded exactly like ingest embeds `embed_text`. Every mode is asked
for k=100 (Recall@100) with near-duplicate collapse off: BEIR judges documents by id, and two
judged documents with near-identical text are both valid answers.
"""

from __future__ import annotations

import hashlib
import json
import sys
import time
from pathlib import Path
from typing import Any

from tqdm import tqdm

from eval.beir import BeirDataset, evaluate_run, load_beir
from eval.metrics import summarize_latency
from rag.retriever import HybridRetriever, Mode
from ree.index import Chunk, DocumentRecord, Index, chunk_metadata
from ree.settings import Settings, get_settings

#: Bump when the way documents become chunks changes: the cached index is then rebuilt.
LAYOUT_VERSION = "1"
COLLECTION = "beir"
MODES: tuple[Mode, ...] = ("dense", "bm25", "hybrid")
EMBED_BATCH = 256
RUN_K = 100


def corpus_hash(folder: Path, embedder_name: str) -> str:
    """What decides the index content: the corpus bytes, the embedding model, the layout."""
    digest = hashlib.sha256(f"{LAYOUT_VERSION}|{embedder_name}|".encode())
    with (Path(folder) / "corpus.jsonl").open("rb") as fh:
        while block := fh.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()[:16]


def isolated_settings(settings: Settings, digest: str) -> Settings:
    """A copy of `settings` whose home is the BEIR cache folder and whose Chroma is embedded."""
    home = settings.eval_dir / f"beir-{digest}"
    return settings.model_copy(update={"home": home, "chroma_url": ""})


def _records(doc_id: str, doc: dict[str, str], now: int) -> tuple[DocumentRecord, Chunk]:
    title = doc.get("title", "") or ""
    text = f"{title}\n{doc['text']}" if title else doc["text"]
    tokens = len(text.split())
    meta = chunk_metadata(
        doc_id=doc_id,
        source=doc_id,
        title=title,
        doc_type="beir",
        chunk_index=0,
        tokens=tokens,
        content_hash=hashlib.sha1(text.encode()).hexdigest()[:16],
        ingested_at=now,
    )
    record = DocumentRecord(
        doc_id=doc_id,
        path=f"beir:{doc_id}",
        source=doc_id,
        file_hash=meta["content_hash"],
        size=len(text),
        mtime=0.0,
        title=title,
        doc_type="beir",
        published="",
        published_int=0,
        url="",
        n_chunks=1,
        tokens=tokens,
        ingested_at=now,
        chunking=f"beir-{LAYOUT_VERSION}",
    )
    return record, Chunk(doc_id, doc_id, text, text, meta)


def build_index(index: Index, data: BeirDataset, embedder: Any, progress: bool) -> float:
    """Embed and store every document not yet in the manifest; return the seconds spent."""
    start = time.perf_counter()
    done = index.docstore.chunk_ids()
    todo = [d for d in data.corpus if d not in done]
    now = int(time.time())
    bar = tqdm(total=len(todo), desc="indexing BEIR corpus", unit="doc", disable=not progress)
    with index.writing():
        for s in range(0, len(todo), EMBED_BATCH):
            pairs = [_records(d, data.corpus[d], now) for d in todo[s : s + EMBED_BATCH]]
            chunks = [c for _, c in pairs]
            vectors = embedder.embed([c.embed_text for c in chunks])
            index.vectors.upsert(chunks, vectors)  # vectors first, then the commit point
            for record, chunk in pairs:
                index.docstore.commit_document(record, [chunk])
            bar.update(len(pairs))
    bar.close()
    index.finalize()
    return time.perf_counter() - start


def run_mode(
    retriever: HybridRetriever, queries: dict[str, str], progress: bool
) -> tuple[dict[str, list[str]], list[float]]:
    """Ranked doc ids per query and per-query latency (ms, query embedding included)."""
    run: dict[str, list[str]] = {}
    latencies: list[float] = []
    for qid, text in tqdm(
        queries.items(), desc=f"queries ({retriever.mode})", unit="q", disable=not progress
    ):
        t0 = time.perf_counter()
        result = retriever.search(text, k=RUN_K)
        latencies.append((time.perf_counter() - t0) * 1000)
        run[qid] = [h.chunk.id for h in result.hits]
    return run, latencies


def run_beir(
    folder: Path,
    *,
    out: Path | None = None,
    settings: Settings | None = None,
    progress: bool = True,
    embedder: Any = None,
) -> dict:
    """Index a BEIR folder (once) and score dense, BM25 and hybrid retrieval on its queries.

    Returns {"dense": metrics, "bm25": metrics, "hybrid": metrics, "dataset": ..., "index": ...};
    each metrics dict has ndcg@10, recall@10, recall@100, mrr@10, n_queries and `timings`
    (query latency p50/p95/mean in ms). With `out`, the same dict goes to OUT/summary.json.
    """
    from ree.runtime.embeddings import get_embedder

    folder = Path(folder)
    settings = settings or get_settings()
    data = load_beir(folder)
    embedder = embedder or get_embedder(settings.embed_backend)
    digest = corpus_hash(folder, getattr(embedder, "name", type(embedder).__name__))
    iso = isolated_settings(settings, digest)
    marker = iso.home / "ready.json"
    index = Index(iso, COLLECTION)
    try:
        reused = marker.exists() and index.count() == len(data.corpus)
        index_seconds = 0.0 if reused else build_index(index, data, embedder, progress)
        if not reused:
            marker.write_text(json.dumps({"documents": len(data.corpus), "seconds": index_seconds}))
        summary: dict[str, Any] = {}
        for mode in MODES:
            retriever = HybridRetriever.from_settings(
                index,
                embedder,
                settings,
                k=RUN_K,
                candidates=max(settings.candidates, RUN_K),
                max_per_doc=RUN_K,
                dedup_threshold=None,
                mode=mode,
            )
            retriever.search("warm-up query", k=RUN_K)  # first call loads BM25 and Chroma caches
            run, latencies = run_mode(retriever, data.queries, progress)
            metrics = evaluate_run(run, data.qrels)
            lat = summarize_latency(latencies)
            metrics["timings"] = {
                f"query_{stat}_ms": round(lat[stat], 2) for stat in ("p50", "p95", "mean")
            }
            summary[mode] = metrics
    finally:
        index.close()
    summary["dataset"] = {
        "folder": str(folder),
        "documents": len(data.corpus),
        "queries": len(data.queries),
    }
    summary["index"] = {
        "home": str(iso.home),
        "reused": reused,
        "seconds": round(index_seconds, 2),
        "docs_per_s": round(len(data.corpus) / index_seconds, 1) if index_seconds else None,
    }
    if out is not None:
        out = Path(out)
        out.mkdir(parents=True, exist_ok=True)
        (out / "summary.json").write_text(json.dumps(summary, indent=2))
    if progress:  # beside the progress bars; stdout stays for the caller's JSON
        print(format_table(summary), file=sys.stderr)
    return summary


def format_table(summary: dict) -> str:
    """The three modes as a Markdown table (what `ree eval beir` prints)."""
    cols = ["ndcg@10", "recall@10", "recall@100", "mrr@10"]
    lines = [
        "| mode | " + " | ".join(cols) + " | p50 ms | p95 ms |",
        "|---" * (len(cols) + 3) + "|",
    ]
    for mode in MODES:
        m = summary[mode]
        t = m.get("timings", {})
        vals = " | ".join(f"{m[c]:.4f}" if m[c] is not None else "-" for c in cols)
        lines.append(
            f"| {mode} | {vals} | {t.get('query_p50_ms', 0):.1f} | {t.get('query_p95_ms', 0):.1f} |"
        )
    idx = summary["index"]
    lines.append("")
    lines.append(
        f"index: {summary['dataset']['documents']} documents, "
        + ("reused" if idx["reused"] else f"built in {idx['seconds']:.1f} s")
    )
    return "\n".join(lines)


__all__ = ["run_beir", "format_table", "corpus_hash", "isolated_settings"]
