"""Answer latency with the local model: the pipeline against the same model called directly.

    python bench/answer.py [--questions 10] [--briefs 3] [--home DIR]

Measured in one run on this machine (speed is stated as ratios: machines of this kind differ 2x):

1. the machine's raw llama.cpp speed: prompt tokens/s (a 400-token prompt from an empty KV cache)
   and generation tokens/s;
2. brief answers (10 dev questions): time to the first evidence shown, pipeline time to first
   token, first verified text and total, against llama-cpp-python's `create_chat_completion` on
   the very same prompt (the target: pipeline TTFT <= 1.15x direct); how often the second chance
   ran and what it cost;
3. In-Depth Insights (the same questions): time to the first section and total, against the
   brief answer's time to first token (target <= 2x);
4. document briefs: total time against the brief answer's total (target <= 4x).

Both paths share one `Llama`; before each timed call the KV cache holds only the fixed system
prompt (`prime`), as in use. Writes bench/results/answer.json and prints Markdown tables.
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
from rag.prompting import answer_prompt, section_prompt  # noqa: E402
from rag.types import Answer, Brief, EvidenceShown  # noqa: E402
from ree.index import Index  # noqa: E402
from ree.settings import Settings  # noqa: E402

ROLES = {"system": "system", "human": "user", "ai": "assistant"}
BRIEF_DOCUMENTS = (
    "mp-materials-dod-partnership-2025.md",
    "baotou-2035-rare-earth-hub-plan.md",
    "china-export-controls-2023-2025.md",
)


def questions(n: int) -> list[str]:
    rows = [json.loads(line) for line in (REPO / "eval/datasets/sample.jsonl").open()]
    picked = [r["question"] for r in rows if r["type"] in ("fact", "numeric", "comparison")]
    return picked[:n]


def chat_messages(prompt, **values) -> list[dict]:  # noqa: ANN001
    return [
        {"role": ROLES[m.type], "content": str(m.content)} for m in prompt.format_messages(**values)
    ]


def prime(engine: Engine, prompt) -> None:  # noqa: ANN001
    """Leave only the prompt's fixed system message in llama.cpp's KV cache.

    Without this, whichever of two timed calls runs second would find its whole prompt already
    evaluated (same prompt, same `Llama`) and look far faster than it is."""
    values = {"sources": "[1] priming\nnothing", "question": "priming", "focus": "priming"}
    engine.model.load().create_chat_completion(
        messages=chat_messages(prompt, **values), max_tokens=1, temperature=0.0
    )


def raw_speed(engine: Engine) -> dict:
    """Prompt and generation tokens per second of this machine's llama.cpp build."""
    llama = engine.model.load()
    text = " ".join(
        f"Rare earth fact number {i} about magnets, mines and prices." for i in range(40)
    )
    tokens = llama.tokenize(text.encode())
    llama.reset()
    start = time.perf_counter()
    llama.eval(tokens)
    prompt_seconds = time.perf_counter() - start
    n_gen = 64
    start = time.perf_counter()
    made = 0
    for _ in llama.create_completion(
        text + " In summary,", max_tokens=n_gen, temperature=0.0, stream=True
    ):
        made += 1
        if made == 1:
            first = time.perf_counter()
    gen_seconds = time.perf_counter() - first
    llama.reset()
    return {
        "prompt_tokens": len(tokens),
        "prompt_tokens_per_s": round(len(tokens) / prompt_seconds, 1),
        "generation_tokens_per_s": round((made - 1) / gen_seconds, 1) if made > 1 else None,
    }


def time_brief(engine: Engine, q: str) -> dict:
    prime(engine, answer_prompt(engine.settings.prompts_path))
    start = time.perf_counter()
    evidence = first_text = None
    final = None
    for item in engine.stream(q, mode="brief"):
        now = time.perf_counter() - start
        if isinstance(item, EvidenceShown) and evidence is None:
            evidence = now
        elif isinstance(item, str) and first_text is None:
            first_text = now
        elif isinstance(item, Answer):
            final = item
    total = time.perf_counter() - start
    return {
        "first_evidence": evidence or total,
        "ttft": final.timings.get("ttft", total),
        "first_verified": first_text or total,
        "total": total,
        "second_chance": "second" in final.timings,
        "second_seconds": final.timings.get("second", 0.0),
        "outcome": final.outcome,
    }


def time_direct(engine: Engine, q: str) -> dict:
    """The engine's first prompt for `q` straight into llama.cpp: no retrieval, no checks."""
    passages = engine.evidence(q, engine.retrieve(q).hits)
    prompt = answer_prompt(engine.settings.prompts_path)
    messages = chat_messages(prompt, sources=render_sources(passages), question=q)
    prime(engine, prompt)
    start = time.perf_counter()
    ttft = None
    for part in engine.model.load().create_chat_completion(
        messages=messages,
        stream=True,
        temperature=0.0,
        max_tokens=engine.settings.max_answer_tokens,
        seed=0,
    ):
        if part["choices"][0].get("delta", {}).get("content") and ttft is None:
            ttft = time.perf_counter() - start
    return {"ttft": ttft or 0.0, "total": time.perf_counter() - start}


def time_insights(engine: Engine, q: str) -> dict:
    prime(
        engine, section_prompt(engine.settings.prompts_path, "insight_section", "insight_question")
    )
    start = time.perf_counter()
    first_section = None
    final = None
    for item in engine.stream(q, mode="insights"):
        if isinstance(item, str) and first_section is None and "###" in item:
            first_section = time.perf_counter() - start
        if isinstance(item, Answer):
            final = item
    total = time.perf_counter() - start
    drafts = final.drafts if final else []
    tokens = [engine.model.count_prompt_tokens(d) for d in drafts]  # the model's tokenizer
    return {
        "first_section": first_section or total,
        "total": total,
        "section_tokens": sum(tokens) / len(tokens) if tokens else 0.0,
    }


def time_document_brief(engine: Engine, source: str) -> dict:
    start = time.perf_counter()
    final = None
    for item in engine.stream_brief(source):
        if isinstance(item, Brief):
            final = item
    return {"total": time.perf_counter() - start, "sections": final.insights.count("### ")}


def p50(rows: list[dict], key: str) -> float:
    return round(percentile([r[key] for r in rows], 50), 2)


def p95(rows: list[dict], key: str) -> float:
    return round(percentile([r[key] for r in rows], 95), 2)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--questions", type=int, default=10)
    parser.add_argument("--briefs", type=int, default=3)
    parser.add_argument("--home", help="REE_HOME to use (default: a fresh temp folder)")
    args = parser.parse_args()
    home = Path(args.home) if args.home else Path(tempfile.mkdtemp(prefix="ree-bench-answer-"))
    settings = Settings(home=home)
    index = Index(settings, "bench-answer")
    ingest_paths([REPO / "data" / "sample"], settings=settings, index=index, progress=False)
    engine = Engine(settings, index=index)
    qs = questions(args.questions)
    engine.answer(qs[0])  # warm-up: model load
    speed = raw_speed(engine)
    print(f"llama.cpp on this machine: {speed}", flush=True)

    brief, direct, insights = [], [], []
    for q in qs:
        brief.append(time_brief(engine, q))
        direct.append(time_direct(engine, q))
        print(
            f"brief    ours {brief[-1]['total']:5.1f}s direct {direct[-1]['total']:5.1f}s  {q[:60]}",
            flush=True,
        )
    for q in qs:
        insights.append(time_insights(engine, q))
        print(
            f"insights first section {insights[-1]['first_section']:5.1f}s total {insights[-1]['total']:5.1f}s",
            flush=True,
        )
    briefs = [time_document_brief(engine, s) for s in BRIEF_DOCUMENTS[: args.briefs]]
    for source, b in zip(BRIEF_DOCUMENTS, briefs):
        print(f"document brief {b['total']:5.1f}s  {source}", flush=True)

    second = [r for r in brief if r["second_chance"]]
    results = {
        "llama_cpp": speed,
        "brief": {
            "first_evidence": {
                "p50": p50(brief, "first_evidence"),
                "p95": p95(brief, "first_evidence"),
            },
            "ttft": {"p50": p50(brief, "ttft"), "p95": p95(brief, "ttft")},
            "first_verified": {"p50": p50(brief, "first_verified")},
            "total": {"p50": p50(brief, "total"), "p95": p95(brief, "total")},
            "outcomes": {
                o: sum(r["outcome"] == o for r in brief) for o in {r["outcome"] for r in brief}
            },
            "second_chance": {
                "n": len(second),
                "seconds_p50": p50(second, "second_seconds") if second else None,
            },
        },
        "direct": {
            "ttft": {"p50": p50(direct, "ttft"), "p95": p95(direct, "ttft")},
            "total": {"p50": p50(direct, "total"), "p95": p95(direct, "total")},
        },
        "insights": {
            "first_section": {
                "p50": p50(insights, "first_section"),
                "p95": p95(insights, "first_section"),
            },
            "total": {"p50": p50(insights, "total"), "p95": p95(insights, "total")},
            "generated_tokens_per_section": round(
                sum(r["section_tokens"] for r in insights) / len(insights), 1
            ),
        },
        "document_brief": {
            "total": {"p50": p50(briefs, "total"), "p95": p95(briefs, "total")} if briefs else None,
            "documents": list(BRIEF_DOCUMENTS[: args.briefs]),
        },
    }
    ratios = {
        "ttft_pipeline_vs_direct": round(p50(brief, "ttft") / max(p50(direct, "ttft"), 1e-9), 2),
        "first_section_vs_brief_ttft": round(
            p50(insights, "first_section") / max(p50(brief, "ttft"), 1e-9), 2
        ),
    }
    if briefs:
        ratios["document_brief_vs_brief_total"] = round(
            p50(briefs, "total") / max(p50(brief, "total"), 1e-9), 2
        )
    results["ratios"] = ratios
    results["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    results["questions"] = qs
    results["model"] = engine.model.model_name
    results["settings"] = {
        "evidence_tokens": settings.evidence_tokens,
        "insight_evidence_tokens": settings.insight_evidence_tokens,
    }
    out = REPO / "bench" / "results" / "answer.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=2))
    b, d, i = results["brief"], results["direct"], results["insights"]
    print(
        f"\nllama.cpp: prompt {speed['prompt_tokens_per_s']} tok/s, generation {speed['generation_tokens_per_s']} tok/s"
    )
    print("\n| measure | p50 | p95 |\n|---|---|---|")
    print(
        f"| brief: first evidence shown | {b['first_evidence']['p50']} s | {b['first_evidence']['p95']} s |"
    )
    print(f"| brief: pipeline time to first token | {b['ttft']['p50']} s | {b['ttft']['p95']} s |")
    print(
        f"| brief: direct llama.cpp time to first token (same prompt) | {d['ttft']['p50']} s | {d['ttft']['p95']} s |"
    )
    print(f"| brief: first verified text | {b['first_verified']['p50']} s | |")
    print(f"| brief: total | {b['total']['p50']} s | {b['total']['p95']} s |")
    print(
        f"| insights: first section | {i['first_section']['p50']} s | {i['first_section']['p95']} s |"
    )
    print(f"| insights: total | {i['total']['p50']} s | {i['total']['p95']} s |")
    if briefs:
        db = results["document_brief"]["total"]
        print(f"| document brief: total | {db['p50']} s | {db['p95']} s |")
    print(
        f"\nratios: {ratios}; second chance ran {len(second)}x; peak RSS {results['peak_rss_mb']} MB; {out}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
