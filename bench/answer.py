"""Answer latency with the local model: the pipeline vs the same model called directly.

For 10 dev questions and both modes we time the engine (`Engine.stream`: condense, retrieval,
evidence, generation, streaming verification) and, on the very same prompt, llama-cpp-python's
`create_chat_completion` alone. The ratio of totals is the pipeline's overhead. Both share one
`Llama` instance, so the KV cache of the fixed system prompt helps both equally.

    python bench/answer.py [--questions 10] [--home DIR]

Writes bench/results/answer.json and prints a Markdown table. Targets (2 cores): time to first
token p50 <= 4 s, brief total p50 <= 15 s.
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from eval.metrics import percentile  # noqa: E402
from ingest import ingest_paths  # noqa: E402
from rag.engine import Engine  # noqa: E402
from rag.evidence import render_sources  # noqa: E402
from rag.prompting import answer_prompt  # noqa: E402
from ree.index import Index  # noqa: E402
from ree.settings import Settings  # noqa: E402


def questions(n: int) -> list[str]:
    rows = [json.loads(line) for line in (REPO / "eval/datasets/sample.jsonl").open()]
    picked = [r["question"] for r in rows if r["type"] in ("fact", "numeric", "comparison")]
    return picked[:n]


def prime(engine: Engine, mode: str) -> None:
    """Leave only the mode's fixed system prompt in llama.cpp's KV cache before a timed call.

    Without this, whichever of the two timed calls runs second would find its whole prompt
    already evaluated (same prompt, same `Llama`) and look far faster than it is.
    """
    messages = answer_prompt(engine.settings.prompts_path, mode).format_messages(
        sources="[1] priming\nnothing", question="priming"
    )
    roles = {"system": "system", "human": "user", "ai": "assistant"}
    engine.model.load().create_chat_completion(
        messages=[{"role": roles[m.type], "content": str(m.content)} for m in messages],
        max_tokens=1,
        temperature=0.0,
    )


def time_engine(engine: Engine, q: str, mode: str) -> dict:
    prime(engine, mode)
    start = time.perf_counter()
    ttft = None
    final = None
    for item in engine.stream(q, mode=mode):
        if isinstance(item, str) and ttft is None:
            ttft = time.perf_counter() - start
        final = item
    total = time.perf_counter() - start
    return {
        "ttft": final.timings.get("ttft", ttft or total),
        "first_verified": ttft or total,
        "total": total,
        "refused": final.refused,
        "tokens": final.tokens.get("completion", 0),
    }


def time_direct(engine: Engine, q: str, mode: str) -> dict:
    """The same prompt straight into llama.cpp: no retrieval, no verification."""
    hits = engine.retrieve(q).hits
    passages = engine.evidence(q, hits)
    messages = answer_prompt(engine.settings.prompts_path, mode).format_messages(
        sources=render_sources(passages), question=q
    )
    roles = {"system": "system", "human": "user", "ai": "assistant"}
    chat = [{"role": roles[m.type], "content": str(m.content)} for m in messages]
    llama = engine.model.load()
    prime(engine, mode)
    start = time.perf_counter()
    ttft = None
    n = 0
    for part in llama.create_chat_completion(
        messages=chat,
        stream=True,
        temperature=0.0,
        max_tokens=engine.settings.max_answer_tokens,
        seed=0,
    ):
        if part["choices"][0].get("delta", {}).get("content"):
            n += 1
            if ttft is None:
                ttft = time.perf_counter() - start
    return {"ttft": ttft or 0.0, "total": time.perf_counter() - start, "tokens": n}


def summarize(rows: list[dict], key: str) -> dict:
    values = [r[key] for r in rows]
    return {"p50": round(percentile(values, 50), 2), "p95": round(percentile(values, 95), 2)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--questions", type=int, default=10)
    parser.add_argument("--home", help="REE_HOME to use (default: a fresh temp folder)")
    args = parser.parse_args()
    home = Path(args.home) if args.home else Path(tempfile.mkdtemp(prefix="ree-bench-answer-"))
    settings = Settings(home=home)
    index = Index(settings, "bench-answer")
    ingest_paths([REPO / "data" / "sample"], settings=settings, index=index, progress=False)
    engine = Engine(settings, index=index)
    qs = questions(args.questions)
    engine.answer(qs[0])  # warm-up: model load and the system prompt's KV cache
    results: dict[str, dict] = {}
    for mode in ("brief", "insights"):
        ours, direct = [], []
        for q in qs:
            ours.append(time_engine(engine, q, mode))
            direct.append(time_direct(engine, q, mode))
            print(
                f"{mode:8s} ours {ours[-1]['total']:5.1f}s direct {direct[-1]['total']:5.1f}s  {q[:60]}",
                flush=True,
            )
        results[mode] = {
            "pipeline": {
                "ttft": summarize(ours, "ttft"),
                "first_verified": summarize(ours, "first_verified"),
                "total": summarize(ours, "total"),
                "refused": sum(r["refused"] for r in ours),
            },
            "direct": {"ttft": summarize(direct, "ttft"), "total": summarize(direct, "total")},
            "overhead_ratio_p50": round(
                percentile([r["total"] for r in ours], 50)
                / max(percentile([r["total"] for r in direct], 50), 1e-9),
                2,
            ),
        }
    results["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    results["questions"] = qs
    results["model"] = engine.model.model_name
    out = REPO / "bench" / "results" / "answer.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=2))
    print(
        "\n| mode | pipeline TTFT p50/p95 | first verified text p50 | pipeline total p50/p95 | "
        "direct TTFT p50/p95 | direct total p50/p95 | overhead (p50 total) |"
    )
    print("|---|---|---|---|---|---|---|")
    for mode in ("brief", "insights"):
        r = results[mode]
        p, d = r["pipeline"], r["direct"]
        print(
            f"| {mode} | {p['ttft']['p50']} / {p['ttft']['p95']} s | {p['first_verified']['p50']} s | "
            f"{p['total']['p50']} / {p['total']['p95']} s | {d['ttft']['p50']} / {d['ttft']['p95']} s | "
            f"{d['total']['p50']} / {d['total']['p95']} s | {r['overhead_ratio_p50']}x |"
        )
    print(f"\npeak RSS {results['peak_rss_mb']} MB; results in {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
