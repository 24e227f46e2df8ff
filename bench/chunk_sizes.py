"""Which REE_CHUNK_TOKENS retrieves best? Source recall@5 on the sample questions at a few sizes.

For each size (overlap 40) data/sample is ingested into a fresh REE_HOME, then every answerable
question of eval/datasets/sample.jsonl (gold `sources` are file basenames) is run through

- dense: `index.vectors.query(embedder.embed([q])[0], 20)`, the first 5 distinct sources;
- BM25:  `index.keyword.search(q, 20)`, the first 5 distinct sources;

and scored as source recall@5 (share of gold sources among those 5, averaged over questions).
With 21 files source recall saturates, so we also score what the LLM actually receives: evidence
recall within a 900-token budget (REE_EVIDENCE_TOKENS): the share of the dataset's gold
`evidence` quotes found verbatim (markup and spacing ignored) in the top-ranked chunks that fit in
900 cl100k tokens. Bigger chunks hold more text each but fewer of them fit the budget.
We also report the share of chunks longer than the embedder's 256-wordpiece window: their tail is
invisible to dense retrieval, which is the main cost of large chunks with all-MiniLM-L6-v2.

    python bench/chunk_sizes.py [--sizes 200 300 450] [--out FILE.json]

Prints a Markdown table (and writes JSON with --out). Small by design: 21 files, ~54 questions.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import sys
import tempfile
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
SAMPLE = REPO / "data" / "sample"
DATASET = REPO / "eval" / "datasets" / "sample.jsonl"
WINDOW = 256  # all-MiniLM-L6-v2 max_seq_length, in wordpieces


def first_sources(index, ids: list[str], n: int = 5) -> list[str]:  # noqa: ANN001
    chunks = index.docstore.get_chunks(ids)
    out: list[str] = []
    for cid in ids:
        if cid in chunks:
            src = Path(chunks[cid].source).name
            if src not in out:
                out.append(src)
        if len(out) == n:
            break
    return out


def recall(got: list[str], gold: list[str]) -> float:
    return len(set(got) & set(gold)) / len(gold)


def norm(text: str) -> str:
    return " ".join(re.sub(r"[*_`#>|]", " ", text).lower().split())


def evidence_found(index, ids: list[str], quotes: list[str], budget: int = 900) -> int:  # noqa: ANN001
    """How many quotes appear in the best-ranked chunks that fit in `budget` tokens."""
    chunks = index.docstore.get_chunks(ids)
    texts, used = [], 0
    for cid in ids:
        if cid in chunks:
            used += int(chunks[cid].metadata["tokens"])
            if used > budget and texts:
                break
            texts.append(norm(chunks[cid].text))
    return sum(1 for q in quotes if any(norm(q) in t for t in texts))


def measure(size: int, overlap: int, rows: list[dict], work: Path) -> dict:
    from tokenizers import Tokenizer

    from ingest import ingest_paths
    from ree.index import open_index
    from ree.runtime import get_embedder
    from ree.runtime.embeddings import model_dir
    from ree.settings import load_settings

    settings = load_settings(
        home=work / f"size-{size}", chunk_tokens=size, chunk_overlap=overlap, _env_file=None
    )
    report = ingest_paths([SAMPLE], settings=settings, progress=False)
    assert report.exit_code == 0, report.summary()
    index = open_index(settings=settings)
    embedder = get_embedder("onnx-int8")
    dense, bm25 = [], []
    ev = {"dense": 0, "bm25": 0, "anywhere": 0, "total": 0}
    everything = [cid for cid in index.docstore.chunk_ids()]
    for row in rows:
        qvec = embedder.embed([row["question"]])[0]
        dense_ids = [cid for cid, _ in index.vectors.query(qvec, 20)]
        bm25_ids = [cid for cid, _ in index.keyword.search(row["question"], 20)]
        dense.append(recall(first_sources(index, dense_ids), row["sources"]))
        bm25.append(recall(first_sources(index, bm25_ids), row["sources"]))
        quotes = row.get("evidence") or []
        ev["total"] += len(quotes)
        ev["dense"] += evidence_found(index, dense_ids, quotes)
        ev["bm25"] += evidence_found(index, bm25_ids, quotes)
        ev["anywhere"] += evidence_found(index, everything, quotes, budget=10**9)
    wordpieces = Tokenizer.from_file(str(model_dir() / "tokenizer.json"))
    wordpieces.no_truncation()
    wordpieces.no_padding()
    lengths = np.array(
        [len(wordpieces.encode(c.embed_text).ids) for c in index.docstore.iter_chunks()]
    )
    return {
        "chunk_tokens": size,
        "chunk_overlap": overlap,
        "chunks": int(index.count()),
        "dense_recall@5": round(float(np.mean(dense)), 3),
        "bm25_recall@5": round(float(np.mean(bm25)), 3),
        "dense_evidence@900": round(ev["dense"] / max(ev["total"], 1), 3),
        "bm25_evidence@900": round(ev["bm25"] / max(ev["total"], 1), 3),
        "evidence_in_one_chunk": round(ev["anywhere"] / max(ev["total"], 1), 3),
        "chunks_over_embed_window": round(float(np.mean(lengths > WINDOW)), 3),
        "wordpieces_beyond_window": round(
            float(1 - np.minimum(lengths, WINDOW).sum() / lengths.sum()), 3
        ),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[200, 300, 450])
    parser.add_argument("--overlap", type=int, default=40)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    if not DATASET.exists():
        raise SystemExit(f"{DATASET} not found")
    rows = [json.loads(line) for line in DATASET.open() if line.strip()]
    rows = [r for r in rows if r.get("sources")]

    work = Path(tempfile.mkdtemp(prefix="ree-bench-chunks-"))
    try:
        os.environ["REE_HOME"] = str(work / "models-home")  # the embedder's ONNX cache
        for cached in (REPO / ".ree" / "models" / "embedder").glob("*.onnx"):
            target = work / "models-home" / "models" / "embedder" / cached.name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(cached, target)
        results = [measure(size, args.overlap, rows, work) for size in args.sizes]
    finally:
        shutil.rmtree(work, ignore_errors=True)

    print(
        f"\nSource recall@5 on {len(rows)} answerable questions of {DATASET.name} "
        f"(data/sample, overlap {args.overlap})\n"
    )
    print(
        "| REE_CHUNK_TOKENS | chunks | dense recall@5 | BM25 recall@5 | dense evidence@900 | "
        "BM25 evidence@900 | chunks > 256 wordpieces | wordpieces not embedded |"
    )
    print("|---:|---:|---:|---:|---:|---:|---:|---:|")
    for r in results:
        print(
            f"| {r['chunk_tokens']} | {r['chunks']} | {r['dense_recall@5']} | "
            f"{r['bm25_recall@5']} | {r['dense_evidence@900']} | {r['bm25_evidence@900']} | "
            f"{r['chunks_over_embed_window']:.0%} | {r['wordpieces_beyond_window']:.0%} |"
        )
    best = max(
        results,
        key=lambda r: (
            r["dense_recall@5"] + r["bm25_recall@5"],
            r["dense_evidence@900"] + r["bm25_evidence@900"],
        ),
    )
    print(
        f"\nbest (recall@5 dense + BM25, ties by evidence): REE_CHUNK_TOKENS={best['chunk_tokens']}"
    )
    print(
        "evidence quotes contained whole in one chunk: "
        + ", ".join(f"{r['chunk_tokens']}: {r['evidence_in_one_chunk']}" for r in results)
    )
    if args.out:
        args.out.write_text(json.dumps({"questions": len(rows), "results": results}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
