"""Retrieval latency on synthetic 20k- and 200k-chunk indexes: dense, BM25 and hybrid, filtered.

Why synthetic: latency depends on index size, vocabulary shape and filter selectivity, not on
what the text means, and a 200k-chunk real corpus cannot ship with the repo. The corpus here has
~2k documents with realistic publication dates (2015-2025, 5% unknown), texts drawn from a
20k-word vocabulary with Zipf-like frequencies (plus domain words and numbers), and random unit
vectors of 384 dimensions. Queries are 4-9 words drawn the same way and embedded by the *real*
embedder inside `search`, so every timing includes the ~10 ms query embedding.

Cases (200 queries each, per mode): no filter; a one-year date window (~10% of chunks); one source
document (~0.05-0.5% of chunks). Indexes are cached under REE_BENCH_HOME (default: the system
temp folder) with a ready marker, since building 200k chunks takes minutes; `--fresh` rebuilds.

    python bench/retrieval.py                 # both sizes -> bench/results/retrieval.json
    python bench/retrieval.py --sizes 20000   # one size
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from eval.metrics import summarize_latency  # noqa: E402
from rag.retriever import HybridRetriever  # noqa: E402
from ree.index import Chunk, DocumentRecord, Index, chunk_metadata  # noqa: E402
from ree.settings import Settings  # noqa: E402

N_DOCS = 2000
VOCAB = 20_000
WORDS_PER_CHUNK = 120
DIM = 384
QUERIES = 200
DOMAIN = (  # noqa: SIM905 (a readable word list)
    "rare earth neodymium praseodymium dysprosium terbium magnet oxide separation refinery mine "
    "export licence tariff quota china lynas baotou bayan obo kachin myanmar price floor ndpr "
    "cerium lanthanum yttrium samarium cobalt graphite gallium germanium antimony processing"
).split()
RESULTS = ROOT / "bench" / "results" / "retrieval.json"


def vocabulary(rng: np.random.Generator) -> tuple[list[str], np.ndarray]:
    """Pseudo-words with Zipf(1.07) probabilities; domain words and numbers mixed in."""
    letters = np.array(list("abcdefghijklmnopqrstuvwxyz"))
    words: list[str] = []
    seen: set[str] = set()
    while len(words) < VOCAB - len(DOMAIN) - 500:
        w = "".join(rng.choice(letters, size=int(rng.integers(3, 11))))
        if w not in seen:
            seen.add(w)
            words.append(w)
    words += DOMAIN + [str(n) for n in rng.integers(1000, 900_000, size=500)]
    rng.shuffle(words)
    ranks = np.arange(1, len(words) + 1, dtype=np.float64)
    p = ranks**-1.07
    return words, np.cumsum(p / p.sum())


def draw(rng: np.random.Generator, words: list[str], cdf: np.ndarray, n: int) -> list[str]:
    """n words by the Zipf law (searchsorted on the CDF: rng.choice(p=...) is O(vocab) per call)."""
    idx = np.minimum(np.searchsorted(cdf, rng.random(n)), len(words) - 1)
    return [words[i] for i in idx]


def random_unit(rng: np.random.Generator, n: int) -> np.ndarray:
    v = rng.standard_normal((n, DIM)).astype(np.float32)
    return v / np.linalg.norm(v, axis=1, keepdims=True)


def build(index: Index, n_chunks: int, seed: int = 7) -> dict:
    """Fill `index` with n_chunks synthetic chunks in N_DOCS documents; return the build timings."""
    rng = np.random.default_rng(seed)
    words, cdf = vocabulary(rng)
    per_doc = n_chunks // N_DOCS
    t0 = time.perf_counter()
    t_vec = t_doc = 0.0
    now = int(time.time())
    pending: list[tuple[DocumentRecord, list[Chunk]]] = []
    for d in range(N_DOCS):
        doc_id = f"doc{d:05d}"
        if rng.random() < 0.05:
            published, pub_int = "", 0
        else:
            y, m, day = (
                int(rng.integers(2015, 2026)),
                int(rng.integers(1, 13)),
                int(rng.integers(1, 29)),
            )
            published, pub_int = f"{y}-{m:02d}-{day:02d}", y * 10000 + m * 100 + day
        title = " ".join(draw(rng, words, cdf, 5))
        source = f"synthetic/{doc_id}.md"
        chunks = []
        drawn = draw(rng, words, cdf, per_doc * WORDS_PER_CHUNK)
        for i in range(per_doc):
            text = " ".join(drawn[i * WORDS_PER_CHUNK : (i + 1) * WORDS_PER_CHUNK])
            meta = chunk_metadata(
                doc_id=doc_id,
                source=source,
                title=title,
                published=published,
                published_int=pub_int,
                chunk_index=i,
                tokens=WORDS_PER_CHUNK,
                content_hash=f"{d}-{i}",
                ingested_at=now,
            )
            chunks.append(Chunk(f"{doc_id}:{i:05d}", doc_id, text, f"{title}\n{text}", meta))
        record = DocumentRecord(
            doc_id,
            f"/synthetic/{doc_id}.md",
            source,
            f"h{d}",
            1,
            0.0,
            title,
            "markdown",
            published,
            pub_int,
            "",
            per_doc,
            per_doc * WORDS_PER_CHUNK,
            now,
            "bench",
        )
        pending.append((record, chunks))
        if sum(len(c) for _, c in pending) >= 4000 or d == N_DOCS - 1:
            flat = [c for _, cs in pending for c in cs]
            t = time.perf_counter()
            index.vectors.upsert(flat, random_unit(rng, len(flat)))  # vectors first ...
            t_vec += time.perf_counter() - t
            t = time.perf_counter()
            for rec, cs in pending:  # ... then the commit point, as ingest does
                index.docstore.commit_document(rec, cs)
            t_doc += time.perf_counter() - t
            pending = []
            done = (d + 1) * per_doc
            print(
                f"  {done}/{n_chunks} chunks, {done / (time.perf_counter() - t0):.0f}/s",
                file=sys.stderr,
                flush=True,
            )
    t = time.perf_counter()
    index.finalize()  # BM25 build
    t_bm25 = time.perf_counter() - t
    return {
        "seconds": round(time.perf_counter() - t0, 1),
        "vectors_s": round(t_vec, 1),
        "docstore_s": round(t_doc, 1),
        "bm25_s": round(t_bm25, 1),
        "chunks_per_s": round(n_chunks / (time.perf_counter() - t0), 1),
    }


def open_bench_index(n_chunks: int, fresh: bool) -> tuple[Index, dict]:
    base = Path(os.environ.get("REE_BENCH_HOME", Path(tempfile.gettempdir()) / "ree-bench"))
    home = base / f"retrieval-{n_chunks}"
    marker = home / "ready.json"
    if fresh and home.exists():
        import shutil

        shutil.rmtree(home)
    index = Index(Settings(home=home), "bench")
    if marker.exists() and index.count() == n_chunks:
        return index, json.loads(marker.read_text()) | {"reused": True}
    print(f"building {n_chunks} chunks under {home} (minutes at 200k)", file=sys.stderr)
    stats = build(index, n_chunks)
    marker.write_text(json.dumps(stats))
    return index, stats | {"reused": False}


def queries(seed: int = 11) -> list[str]:
    rng = np.random.default_rng(seed)
    words, cdf = vocabulary(np.random.default_rng(7))  # the corpus vocabulary
    return [" ".join(draw(rng, words, cdf, int(rng.integers(4, 10)))) for _ in range(QUERIES)]


def filter_cases(index: Index) -> dict[str, dict | None]:
    docs = index.documents()
    mid = sorted(d.source for d in docs)[len(docs) // 2]
    return {
        "none": None,
        "date_1y": {"since": "2022-01-01", "until": "2022-12-31"},
        "source": {"sources": [mid]},
    }


def measure(index: Index, embedder, mode: str, flt: dict | None, qs: list[str]) -> dict:
    retriever = HybridRetriever(index=index, embedder=embedder, mode=mode)
    t = time.perf_counter()
    retriever.search("warm up", filters=flt)  # pays one-off costs: id map, filtered vectors
    first = (time.perf_counter() - t) * 1000
    lat, stages = [], {"filter": [], "embed": [], "dense": [], "bm25": [], "fuse": []}
    for q in qs:
        t = time.perf_counter()
        res = retriever.search(q, filters=flt)
        lat.append((time.perf_counter() - t) * 1000)
        for k in stages:
            stages[k].append(res.timings.get(k, 0.0) * 1000)
    s = summarize_latency(lat)
    return {
        "p50_ms": round(s["p50"], 2),
        "p95_ms": round(s["p95"], 2),
        "first_ms": round(first, 1),
        "stage_p50_ms": {k: round(float(np.median(v)), 2) for k, v in stages.items()},
    }


def load_before(rev: str):
    """The retriever as it was at git revision `rev` (rag/retriever, fusion, filters), importable.

    Lets one run time the old and the new search side by side on the same index and load, which
    matters on a shared machine where absolute timings drift by 2-5x within minutes.
    """
    import importlib
    import subprocess

    pkg = Path(tempfile.mkdtemp()) / "_before_rag"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    for name in ("retriever", "fusion", "filters"):
        src = subprocess.run(
            ["git", "show", f"{rev}:rag/{name}.py"],
            cwd=ROOT,
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        (pkg / f"{name}.py").write_text(src.replace("from rag.", "from _before_rag."))
    sys.path.insert(0, str(pkg.parent))
    return importlib.import_module("_before_rag.retriever").HybridRetriever


def measure_pair(index: Index, embedder, old_cls, flt: dict | None, qs: list[str]) -> dict:
    """Hybrid search, old vs new, alternating per query so both see the same machine load."""
    new = HybridRetriever(index=index, embedder=embedder)
    old = old_cls(index=index, embedder=embedder)
    for r in (new, old):
        r.search("warm up", filters=flt)
    lat: dict[str, list[float]] = {"before": [], "after": []}
    for i, q in enumerate(qs):
        order = [("before", old), ("after", new)]
        for label, r in order if i % 2 else order[::-1]:
            t = time.perf_counter()
            r.search(q, filters=flt)
            lat[label].append((time.perf_counter() - t) * 1000)
    out = {}
    for label, values in lat.items():
        s = summarize_latency(values)
        out[label] = {"p50_ms": round(s["p50"], 2), "p95_ms": round(s["p95"], 2)}
    return out


def kept_share(index: Index, flt: dict | None) -> float:
    from rag.filters import Filters, resolve

    if flt is None:
        return 1.0
    r = resolve(Filters.coerce(flt), index.documents())
    mask = index.keyword.filter_mask(r.doc_ids, r.since_int, r.until_int)
    return float(mask.mean())


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[20_000, 200_000])
    ap.add_argument("--fresh", action="store_true", help="rebuild the cached indexes")
    ap.add_argument("--build-only", action="store_true")
    ap.add_argument("--out", type=Path, default=RESULTS)
    ap.add_argument(
        "--before",
        metavar="REV",
        help="also time the hybrid search of git revision REV, paired query by query",
    )
    args = ap.parse_args()

    results: dict = json.loads(args.out.read_text()) if args.out.exists() else {}
    results.setdefault("sizes", {})
    embedder = None
    qs = queries()
    old_cls = load_before(args.before) if args.before else None
    if args.before:
        results["before_revision"] = args.before
    for n in args.sizes:
        index, build_stats = open_bench_index(n, args.fresh)
        if args.build_only:
            continue
        if embedder is None:
            from ree.runtime.embeddings import get_embedder

            embedder = get_embedder()
        entry: dict = {"chunks": n, "documents": N_DOCS, "build": build_stats, "cases": {}}
        for case, flt in filter_cases(index).items():
            entry["cases"][case] = {"kept_share": round(kept_share(index, flt), 4)}
            if old_cls is not None:
                pair = measure_pair(index, embedder, old_cls, flt, qs)
                entry["cases"][case]["hybrid_pair"] = pair
                print(f"{n:>7} {case:8} hybrid before/after (paired) {pair}", file=sys.stderr)
            for mode in ("dense", "bm25", "hybrid"):
                m = measure(index, embedder, mode, flt, qs)
                entry["cases"][case][mode] = m
                print(
                    f"{n:>7} {case:8} {mode:6} p50 {m['p50_ms']:7.1f} ms  p95 {m['p95_ms']:7.1f} ms"
                    f"  stages {m['stage_p50_ms']}",
                    file=sys.stderr,
                    flush=True,
                )
        results["sizes"][str(n)] = entry
        index.close()
    if args.build_only:
        return
    results["machine"] = {"cpus": os.cpu_count(), "queries_per_case": QUERIES}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2))
    print(markdown(results))


def markdown(results: dict) -> str:
    paired = any("hybrid_pair" in c for e in results["sizes"].values() for c in e["cases"].values())
    head = (
        "| chunks | filter (kept) | dense p50 / p95 ms | BM25 p50 / p95 ms | hybrid p50 / p95 ms |"
    )
    rule = "|---|---|---|---|---|"
    if paired:
        rev = results.get("before_revision", "before")
        head += f" hybrid paired: {rev} -> now, p50 / p95 ms |"
        rule += "---|"
    lines = [head, rule]
    for n, entry in sorted(results["sizes"].items(), key=lambda kv: int(kv[0])):
        for case, c in entry["cases"].items():
            cells = " | ".join(
                f"{c[m]['p50_ms']:.1f} / {c[m]['p95_ms']:.1f}" for m in ("dense", "bm25", "hybrid")
            )
            row = f"| {int(n):,} | {case} ({c['kept_share']:.2%}) | {cells} |"
            if paired and "hybrid_pair" in c:
                b, a = c["hybrid_pair"]["before"], c["hybrid_pair"]["after"]
                row += (
                    f" {b['p50_ms']:.1f} / {b['p95_ms']:.1f} -> "
                    f"{a['p50_ms']:.1f} / {a['p95_ms']:.1f} |"
                )
            lines.append(row)
    return "\n".join(lines)


if __name__ == "__main__":
    main()
