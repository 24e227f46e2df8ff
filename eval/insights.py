"""`ree eval insights`: run the insights suite (analysis questions and document briefs) and score
what an analyst reads.

Each item of `eval/datasets/insights.jsonl` is a question (answered in In-Depth Insights mode) or
a document to brief (`Engine.brief`), over one of the named corpora, indexed in isolation as
`ree eval qa` does. Scores, all pure functions of the output text:

- structure (`insight_structure`): sections with a "### ...?" heading, 1-4 bullets each, every
  bullet labelled with 2-5 words and cited, no two bullets repeating each other; valid when all
  of that holds and there is at least one section;
- per-bullet citation recall and precision (ALCE, judged by the verifier's support scorer
  against the passages the model saw), must-include coverage (the points a good analyst answer
  makes), latency to the first section and in total;
- an HTML gallery of every answer and brief (`write_gallery`), for reading them.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from eval.metrics import citation_precision, citation_recall, must_include_hits, summarize_latency
from eval.suite import SuiteError, suite_lines
from rag.insights import DUPLICATE_JACCARD, jaccard

_HEADING = re.compile(r"^###\s+(.+)$")
_BULLET = re.compile(r"^-\s+(?:\*\*(?P<label>[^*]+)\*\*:\s+)?(?P<claim>.+)$")
_MARKER = re.compile(r"\[(\d+)\]")


@dataclass(frozen=True)
class InsightItem:
    id: str
    kind: str  # "question" | "brief"
    corpus: str
    question: str = ""
    source: str = ""
    topic: str = ""
    must_include: list[str] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)


def load_insight_suite(path: str | Path) -> list[InsightItem]:
    """The items of an insights suite; a malformed line fails with its file and line."""
    path = Path(path)
    items = []
    for _lineno, where, raw in suite_lines(path):
        kind = raw.get("kind")
        if kind not in ("question", "brief"):
            raise SuiteError(f"{where}: kind must be 'question' or 'brief'")
        if not raw.get("id") or not raw.get("corpus"):
            raise SuiteError(f"{where}: id and corpus are required")
        if not raw.get("question" if kind == "question" else "source"):
            raise SuiteError(
                f"{where}: a {kind} item needs '{'question' if kind == 'question' else 'source'}'"
            )
        items.append(
            InsightItem(
                id=raw["id"],
                kind=kind,
                corpus=raw["corpus"],
                question=raw.get("question", ""),
                source=raw.get("source", ""),
                topic=raw.get("topic", ""),
                must_include=list(raw.get("must_include", [])),
                sources=list(raw.get("sources", [])),
            )
        )
    return items


# --------------------------------------------------------------------------------------------
# Structure
# --------------------------------------------------------------------------------------------


def insight_structure(text: str) -> dict[str, Any]:
    """How well `text` follows the In-Depth Insights form (see the module notes).

    Example: "### Why does it matter?\\n- **Refining share**: China refines 90% [1]." has one
    section of one labelled, cited bullet: valid.
    """
    sections: list[dict[str, Any]] = []
    for line in text.splitlines():
        line = line.strip()
        if m := _HEADING.match(line):
            sections.append({"heading": m.group(1), "bullets": []})
        elif (m := _BULLET.match(line)) and sections:
            sections[-1]["bullets"].append((m.group("label") or "", m.group("claim")))
    problems: list[str] = []
    words: list[set[str]] = []
    duplicates = 0
    for section in sections:
        if not section["heading"].endswith("?"):
            problems.append(f"heading is not a question: {section['heading'][:60]}")
        if not 1 <= len(section["bullets"]) <= 4:
            problems.append(f"{len(section['bullets'])} bullets under {section['heading'][:40]}")
        for label, claim in section["bullets"]:
            if not 2 <= len(label.split()) <= 5:
                problems.append(f"label of {len(label.split())} words: {label or claim[:40]}")
            if not _MARKER.search(claim):
                problems.append(f"uncited bullet: {claim[:50]}")
            mine = set(re.findall(r"[a-z]{3,}", claim.lower()))
            if any(jaccard(mine, other) >= DUPLICATE_JACCARD for other in words):
                duplicates += 1
                problems.append(f"repeats an earlier bullet: {claim[:50]}")
            words.append(mine)
    if not sections:
        problems.append("no section")
    return {
        "valid": not problems,
        "sections": len(sections),
        "bullets": sum(len(s["bullets"]) for s in sections),
        "duplicates": duplicates,
        "problems": problems,
    }


# --------------------------------------------------------------------------------------------
# The run
# --------------------------------------------------------------------------------------------


def run_insights(
    suite: str | Path,
    corpora: Mapping[str, str | Path],
    *,
    out: str | Path,
    ids: Sequence[str] | None = None,
    exclude: Sequence[str] = (),
    settings: Any = None,
    model: Any = None,
    embedder: Any = None,
    progress: bool = True,
) -> dict[str, Any]:
    """Answer or brief every item over its corpus, score it, write results, summary and gallery."""
    from tqdm import tqdm

    from eval.runner import judge_statements, prepare_index, warm_up
    from rag.engine import Engine
    from rag.support import SupportScorer
    from ree.runtime import get_embedder
    from ree.settings import get_settings

    settings = settings or get_settings()
    items = load_insight_suite(suite)
    if ids is not None:
        items = [i for i in items if i.id in set(ids)]
    missing = sorted({i.corpus for i in items} - set(corpora))
    if missing:
        raise SuiteError(f"no folder given for corpus {', '.join(missing)} (use --corpus NAME=DIR)")
    embedder = embedder or get_embedder(settings.embed_backend)
    engines: dict[str, Any] = {}
    for name in sorted({i.corpus for i in items}):
        index, _report = prepare_index(Path(corpora[name]), settings, exclude=exclude)
        engines[name] = Engine(settings, index=index, embedder=embedder, model=model)
    load_seconds = warm_up(next(iter(engines.values()))) if engines else 0.0
    rows = []
    for item in tqdm(items, desc="eval insights", unit="item", disable=not progress):
        engine = engines[item.corpus]
        text, evidence, contexts, first, total, extra = _produce(engine, item)
        scorer = SupportScorer(engine.embed)
        statements, _markers = judge_statements(
            _judged_part(text),
            evidence,
            scorer,
            refusal=engine.refusal,
            question=item.question,
            contexts=contexts,
            bind=False,
        )
        hits = must_include_hits(text, item.must_include) if item.must_include else []
        # which points the evidence held: a point missing there is retrieval's, not writing's
        shown = "\n".join(evidence.values())
        held = must_include_hits(shown, item.must_include) if item.must_include else []
        rows.append(
            {
                "id": item.id,
                "kind": item.kind,
                "corpus": item.corpus,
                "question": item.question or item.source,
                "topic": item.topic,
                "must_include_points": item.must_include,
                "text": text,
                "structure": insight_structure(_insights_part(text)),
                "must_include_hits": hits,
                "must_include": sum(hits) / len(hits) if hits else None,
                "must_include_in_evidence": sum(held) / len(held) if held else None,
                "citation_recall": citation_recall(statements),
                "citation_precision": citation_precision(statements),
                "first_section_seconds": first,
                "total_seconds": total,
                "evidence": evidence,
                **extra,
            }
        )
    summary = summarize_insights(rows)
    summary["meta"] = {
        "suite": str(suite),
        "corpora": {k: str(Path(v).resolve()) for k, v in corpora.items()},
        "items": len(rows),
        "model_load_seconds": round(load_seconds, 1),
        "date": time.strftime("%Y-%m-%dT%H:%M:%S"),
    }
    folder = Path(out)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "results.jsonl").write_text(
        "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8"
    )
    (folder / "summary.json").write_text(json.dumps(summary, indent=2), encoding="utf-8")
    write_gallery(folder / "gallery.html", summary, rows)
    return summary


def _produce(
    engine: Any, item: InsightItem
) -> tuple[str, dict[int, str], dict[int, str], float, float, dict]:
    """(text, evidence, evidence contexts, seconds to the first section, total seconds, extra
    row fields)."""
    from rag.types import Answer, Brief

    started = time.perf_counter()
    first = 0.0
    if item.kind == "question":
        stream = engine.stream(item.question, mode="insights")
    else:
        stream = engine.stream_brief(item.source)
    final: Any = None
    for piece in stream:
        if isinstance(piece, str) and not first and "###" in piece:
            first = time.perf_counter() - started
        if isinstance(piece, Answer | Brief):
            final = piece
    total = time.perf_counter() - started
    # every claim's verdict, kept or removed, for reading the failures one by one
    claims = [asdict(c) for c in final.claims]
    if isinstance(final, Brief):
        text = final.markdown()
        extra = {"refused": False, "title": final.title, "claims": claims}
        return text, dict(final.evidence), dict(final.evidence_context), first, total, extra
    extra = {
        "refused": final.refused,
        "refusal_reason": final.refusal_reason,
        "drafts": list(final.drafts),
        "claims": claims,
    }
    return final.text, dict(final.evidence), dict(final.evidence_context), first, total, extra


def _judged_part(text: str) -> str:
    """The text whose statements are judged: a brief page without its title, date line and
    Sources list, which are labels of the passages, not statements citing them (judged, the
    Sources lines count as unsupported statements and the date line as an uncited one)."""
    if not text.startswith("# Brief: "):
        return text
    body = text.split("\n## Sources", 1)[0]
    return "\n".join(
        line
        for line in body.splitlines()
        if not line.startswith("# Brief: ") and not (line.startswith("_") and line.endswith("_"))
    )


def _insights_part(text: str) -> str:
    """The In-Depth Insights sections of an answer or a brief page."""
    if "## In-Depth Insights" in text:
        text = text.split("## In-Depth Insights", 1)[1].split("\n## ", 1)[0]
    return text


def summarize_insights(rows: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """Means over items, overall and per kind, and latency percentiles."""

    def mean(values: list[float]) -> float | None:
        return sum(values) / len(values) if values else None

    def group(rs: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
        return {
            "n": len(rs),
            "structure_valid": mean([float(r["structure"]["valid"]) for r in rs]),
            "sections": mean([float(r["structure"]["sections"]) for r in rs]),
            "bullets": mean([float(r["structure"]["bullets"]) for r in rs]),
            "duplicates": sum(r["structure"]["duplicates"] for r in rs),
            "must_include": mean([r["must_include"] for r in rs if r["must_include"] is not None]),
            "must_include_in_evidence": mean(
                [
                    r["must_include_in_evidence"]
                    for r in rs
                    if r.get("must_include_in_evidence") is not None
                ]
            ),
            "citation_recall": mean(
                [r["citation_recall"] for r in rs if r["citation_recall"] is not None]
            ),
            "citation_precision": mean(
                [r["citation_precision"] for r in rs if r["citation_precision"] is not None]
            ),
            "refused": sum(bool(r.get("refused")) for r in rs),
        }

    return {
        "overall": group(rows),
        "by_kind": {k: group([r for r in rows if r["kind"] == k]) for k in ("question", "brief")},
        "latency": {
            "first_section": summarize_latency(
                [r["first_section_seconds"] for r in rows if r["first_section_seconds"]]
            ),
            "total_question": summarize_latency(
                [r["total_seconds"] for r in rows if r["kind"] == "question"]
            ),
            "total_brief": summarize_latency(
                [r["total_seconds"] for r in rows if r["kind"] == "brief"]
            ),
        },
    }


def write_gallery(
    path: Path, summary: Mapping[str, Any], rows: Sequence[Mapping[str, Any]]
) -> None:
    """One self-contained HTML page: the summary, then every answer and brief as written."""
    from html import escape

    from markdown_it import MarkdownIt

    md = MarkdownIt("commonmark", {"html": False})
    overall = summary["overall"]
    head = (
        f"<p>{overall['n']} items · structure valid {_pct(overall['structure_valid'])} · "
        f"must-include {_pct(overall['must_include'])} · citation precision "
        f"{_pct(overall['citation_precision'])} · duplicate bullets {overall['duplicates']}</p>"
    )
    cards = []
    for r in rows:
        problems = "".join(f"<li>{escape(p)}</li>" for p in r["structure"]["problems"])
        hits = ", ".join(
            f"{'✓' if h else '✗'} {escape(m)}"
            for m, h in zip(r["must_include_points"], r["must_include_hits"])
        )
        cards.append(
            f"<section class='card'><h2>{escape(r['id'])} · {escape(r['kind'])} · "
            f"{escape(r['corpus'])}</h2><p class='q'>{escape(r['question'])}</p>"
            f"<p class='m'>must-include {_pct(r['must_include'])} · citations "
            f"{_pct(r['citation_precision'])} precise · first section "
            f"{r['first_section_seconds']:.1f} s · total {r['total_seconds']:.1f} s</p>"
            f"<p class='m'>{hits}</p>"
            f"<div class='body'>{md.render(r['text'])}</div>"
            + (f"<ul class='problems'>{problems}</ul>" if problems else "")
            + "</section>"
        )
    style = (
        "body{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;"
        "line-height:1.45}.card{border:1px solid #ddd;border-radius:8px;padding:1rem 1.5rem;"
        "margin:1.5rem 0}.q{font-weight:600}.m{color:#666;font-size:.9rem}"
        ".problems{color:#a33;font-size:.9rem}"
    )
    path.write_text(
        f"<!doctype html><meta charset='utf-8'><title>Insights gallery</title><style>{style}</style>"
        f"<h1>In-Depth Insights and briefs</h1>{head}{''.join(cards)}",
        encoding="utf-8",
    )


def _pct(value: float | None) -> str:
    return "–" if value is None else f"{value:.0%}"
