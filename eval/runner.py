"""`ree eval qa`: run a QA suite through the real engine over an isolated index and score it.

Why this module exists: the answer engine has many moving parts (retrieval, evidence selection,
a small LLM, verification) and a change to any of them shows up only as a shift in answer quality.
This runner makes that shift measurable and reproducible:

* The corpus is indexed into its own collection, named after its contents
  (`eval-<sha1 of sorted (relative path, file sha256)>[:12]`) under `Settings.eval_dir`, so the
  user's index is never touched, and a second run over the same files reuses the index (ingest is
  incremental: nothing is re-embedded).
* Every question goes through `Engine.answer` exactly as `ree ask` would run it; the retrieval
  metrics read `Answer.retrieved` (what the engine retrieved, not a second search), and
  citations are judged against `Answer.evidence`, the passages exactly as the model saw them.
* Judgments that need a model (does a passage support a statement?) are made here with the
  project's own support scorer (`rag.support`, the same one verification uses); the metrics
  themselves are the pure functions of `eval.metrics`.
* Ctrl-C (or SIGTERM) stops the run and still writes the report for the questions done.

Citation quality is measured twice (ALCE, Gao et al. 2023): on the model's raw draft, which
measures the model, and on the final answer after verification, which measures what users see.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import hashlib
import signal
import subprocess
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from eval.metrics import (
    Statement,
    aggregate,
    aggregate_by_type,
    citation_precision,
    citation_recall,
    exact_match,
    false_refusal_rate,
    must_include_hits,
    refusal_rate,
    source_mrr,
    source_recall_at_k,
    summarize_latency,
    token_f1,
    unsupported_figures,
    valid_marker_share,
)
from eval.suite import QAItem, SuiteError, load_suite
from ree.settings import Settings, get_settings

#: Per-item metric keys, in report order. Each is None where it does not apply (see `score_item`).
METRIC_KEYS = (
    "source_recall",
    "source_mrr",
    "must_include",
    "exact_match",
    "token_f1",
    "valid_marker_share",
    "draft_citation_recall",
    "draft_citation_precision",
    "citation_recall",
    "citation_precision",
)
#: Summary-level keys computed over groups of items rather than averaged per item.
RATE_KEYS = ("refusal_rate", "false_refusal_rate", "pass_rate")
LATENCY_KEYS = ("retrieval", "ttft", "total")

ItemCallback = Callable[[int, dict[str, Any]], None]


# --------------------------------------------------------------------------------------------
# The isolated eval index
# --------------------------------------------------------------------------------------------


def corpus_files(corpus: Path, exclude: Sequence[str] = ()) -> list[tuple[str, Path]]:
    """(relative path, file) of every file ingest would index in `corpus`, sorted by path."""
    from ingest.loaders import SUPPORTED_SUFFIXES
    from ingest.pipeline import discover

    files = []
    for path, root in discover([corpus], exclude):
        if path.suffix.lower() in SUPPORTED_SUFFIXES and path.is_file():
            files.append((path.relative_to(root).as_posix(), path))
    return sorted(files)


def corpus_collection(corpus: Path, exclude: Sequence[str] = ()) -> str:
    """Collection name keyed by the corpus contents: same files, same bytes -> same name.

    Example: a folder holding only `a.md` with bytes b"x" always maps to the same
    `eval-<12 hex>` name, wherever the folder lives; editing or adding a file changes it, and
    so does excluding one.
    """
    from ingest.pipeline import file_sha256

    digest = hashlib.sha1()
    for rel, path in corpus_files(corpus, exclude):
        digest.update(f"{rel}\0{file_sha256(path)}\n".encode())
    return f"eval-{digest.hexdigest()[:12]}"


def eval_settings(settings: Settings) -> Settings:
    """Settings whose home is `settings.eval_dir`: eval indexes live apart from the user's."""
    return settings.model_copy(update={"home": settings.eval_dir})


def prepare_index(
    corpus: Path, settings: Settings, *, progress: bool = False, exclude: Sequence[str] = ()
) -> tuple[Any, Any]:
    """Open (and bring up to date) the eval index of `corpus`: returns (Index, IngestReport).

    `exclude`: globs of files to keep out (e.g. a corpus's own SOURCES.md in a read-only folder).
    """
    from ingest.pipeline import ingest_paths
    from ree.index import open_index

    if not corpus.is_dir():
        raise FileNotFoundError(f"corpus folder not found: {corpus}")
    isolated = eval_settings(settings)
    index = open_index(corpus_collection(corpus, exclude), isolated)
    report = ingest_paths(
        [corpus], settings=isolated, index=index, prune=True, progress=progress, exclude=exclude
    )
    if index.count() == 0:
        raise SuiteError(f"no document of {corpus} could be indexed: {report.summary()}")
    return index, report


# --------------------------------------------------------------------------------------------
# ALCE judgments with the project's support scorer
# --------------------------------------------------------------------------------------------


def judge_statements(
    text: str,
    passages: Mapping[int, str],
    scorer: Any,
    threshold: float | None = None,
    refusal: str = "",
    *,
    question: str = "",
    contexts: Mapping[int, str] | None = None,
    bind: bool = True,
    quoted: Callable[[str], str | None] = lambda sentence: None,
) -> tuple[list[Statement], list[int]]:
    """Split `text` into factual statements and judge each against its cited passages.

    Returns the statements (for `citation_recall` / `citation_precision`) and every citation
    marker as written, per statement (for `valid_marker_share`). Headings and sentences stating no
    fact ("The documents do not say ...") are not statements, exactly as in verification.

    "Passages P support statement s": the support scorer passes s against the concatenation of P,
    or against one passage of P alone (the scorer is not strictly monotone in added text, so a
    single supporting passage must not be lost by joining it with others). A marker pointing to
    no passage supports nothing. A sentence holding the engine's `refusal` text ("The indexed
    documents do not answer this question.") is a refusal, not a statement. `question` and
    `contexts` (each passage's document) make the judgment the verifier's own (`rag.verify.
    Grounds`: the question as the frame and its constraints, the document as part of the
    passage; `bind=False` for insights, which are not held to the question's dates).
    A quoted fallback (`quoted` returns its quoted text) is supported by a passage that holds
    the quote verbatim (whitespace aside), as an entailment judge would find it.
    """
    from rag.claims import parse
    from rag.support import SUPPORT_THRESHOLD
    from rag.verify import Grounds, claim_contexts, is_structural

    grounds = Grounds.of(passages, question, contexts, bind=bind)

    threshold = SUPPORT_THRESHOLD if threshold is None else threshold
    refusal = refusal.strip().rstrip(".").lower()
    blocks = parse(text)
    contexts = claim_contexts(blocks)
    statements: list[Statement] = []
    markers: list[int] = []
    for block in blocks:
        for claim in block.claims:
            markers.extend(claim.citations)
            if is_structural(claim) or (refusal and refusal in claim.text.lower()):
                continue
            context = contexts[id(claim)]
            cited = list(dict.fromkeys(claim.citations))
            quote = quoted(claim.text)
            alone = {
                n: n in passages
                and (
                    (quote is not None and _holds_verbatim(passages[n], quote))
                    or grounds.support(scorer, claim.text, [n], context).supports(threshold)
                )
                for n in cited
            }

            def supported(
                ns: list[int],
                claim: Any = claim,
                context: str = context,
                alone: dict[int, bool] = alone,
            ) -> bool:
                valid = [n for n in ns if n in passages]
                if not valid:
                    return False
                if any(alone[n] for n in valid):
                    return True
                return grounds.support(scorer, claim.text, valid, context).supports(threshold)

            by_all = supported(cited)
            others = {}
            if by_all and len(cited) > 1:
                others = {c: supported([n for n in cited if n != c]) for c in cited}
            statements.append(Statement(cited, by_all, alone, others))
    return statements, markers


def _holds_verbatim(passage: str, quote: str) -> bool:
    """Whether `passage` holds `quote` word for word (whitespace and "..." gaps aside)."""
    words = " ".join(passage.split())
    parts = [" ".join(part.split()) for part in quote.split("...") if part.strip()]
    return bool(parts) and all(part in words for part in parts)


# --------------------------------------------------------------------------------------------
# Scoring one item
# --------------------------------------------------------------------------------------------


def _basenames(sources: Iterable[str]) -> list[str]:
    return [s.replace("\\", "/").rsplit("/", 1)[-1] for s in sources]


def score_item(
    item: QAItem,
    *,
    answer_text: str,
    refused: bool,
    retrieved_sources: Sequence[str],
    k: int,
    draft: tuple[list[Statement], list[int]] | None,
    final: tuple[list[Statement], list[int]] | None,
    n_passages: int,
) -> dict[str, Any]:
    """Every metric of one answered item from the fields the item has (None = not applicable).

    - source_recall / source_mrr: gold `sources` vs the distinct files of the retrieved passages
      (by basename, cut at `k` files); items without gold sources get None.
    - must_include: share of `must_include` phrases found in the final answer text.
    - exact_match / token_f1: SQuAD v1.1 against the gold `answer`, markers stripped, only for
      short answers (`QAItem.short_answer`: fact/numeric with a gold answer of at most 8 words).
    - valid_marker_share: markers of the draft pointing at a passage the model was shown.
    - draft_* / citation_*: ALCE recall and precision of the draft / of the final answer
      (None for an answer with no statements, e.g. a refusal).
    """
    from rag.claims import strip_markers

    metrics: dict[str, Any] = dict.fromkeys(METRIC_KEYS)
    if item.sources:
        metrics["source_recall"] = source_recall_at_k(retrieved_sources, item.sources, k)
        metrics["source_mrr"] = source_mrr(retrieved_sources, item.sources, k)
    if item.must_include:
        hits = must_include_hits(answer_text if not refused else "", item.must_include)
        metrics["must_include"] = sum(hits) / len(hits)
    if item.short_answer:
        plain = "" if refused else strip_markers(answer_text)
        metrics["exact_match"] = exact_match(plain, item.answer)
        metrics["token_f1"] = token_f1(plain, item.answer)
    if draft is not None:
        statements, markers = draft
        metrics["valid_marker_share"] = valid_marker_share(markers, n_passages)
        metrics["draft_citation_recall"] = citation_recall(statements)
        metrics["draft_citation_precision"] = citation_precision(statements)
    if final is not None and not refused:
        metrics["citation_recall"] = citation_recall(final[0])
        metrics["citation_precision"] = citation_precision(final[0])
    return metrics


def verdicts(item: QAItem, metrics: Mapping[str, Any], refused: bool) -> dict[str, Any]:
    """Per-item pass/fail views that `compare` diffs between runs.

    `pass`: an unanswerable item is refused; an answerable one is answered (not refused) with
    every must-include phrase present (or, without must-include phrases, simply answered).
    """
    mi = metrics.get("must_include")
    recall = metrics.get("source_recall")
    passed = (not refused and (mi is None or mi == 1.0)) if item.answerable else refused
    return {
        "pass": passed,
        "refused": refused,
        "must_include": None if mi is None else ("pass" if mi == 1.0 else "fail"),
        "source_found": None if recall is None else recall > 0,
    }


# --------------------------------------------------------------------------------------------
# Summaries
# --------------------------------------------------------------------------------------------


def _rates(rows: Sequence[Mapping[str, Any]]) -> dict[str, float | None]:
    pairs = [(bool(r["verdict"]["refused"]), bool(r["answerable"])) for r in rows]
    passes = [bool(r["verdict"]["pass"]) for r in rows]
    return {
        "refusal_rate": refusal_rate(pairs),
        "false_refusal_rate": false_refusal_rate(pairs),
        "pass_rate": sum(passes) / len(passes) if passes else None,
    }


def summarize(rows: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """Overall and per-type metric means, refusal rates, latency percentiles and token counts.

    Rows with an `error` (the engine raised) are counted but not scored.
    """
    scored = [r for r in rows if not r.get("error")]
    flat = [{"type": r["type"], **r["metrics"]} for r in scored]
    overall: dict[str, Any] = {"n": len(scored), **aggregate(flat, METRIC_KEYS), **_rates(scored)}
    by_type = aggregate_by_type(flat, METRIC_KEYS)
    for name, group in by_type.items():
        group.update(_rates([r for r in scored if (r["type"] or "untyped") == name]))
    latency = {
        key: summarize_latency([r["timings"][key] for r in scored if key in r["timings"]])
        for key in LATENCY_KEYS
    }
    tokens: dict[str, Any] = {}
    for key in ("prompt", "completion"):
        values = [r["tokens"][key] for r in scored if key in r.get("tokens", {})]
        tokens[key] = {
            "mean": sum(values) / len(values) if values else None,
            "total": sum(values),
            "n": len(values),
        }
    claims: dict[str, int] = {}
    for r in scored:
        for c in r["claims"]:
            claims[c["status"]] = claims.get(c["status"], 0) + 1
    by_tag: dict[str, Any] = {}
    for tag in sorted({t for r in scored for t in r.get("tags", [])}):
        group = [r for r in scored if tag in r.get("tags", [])]
        by_tag[tag] = {
            "n": len(group),
            **aggregate([r["metrics"] for r in group], METRIC_KEYS),
            **_rates(group),
        }
    return {
        "overall": overall,
        "by_type": by_type,
        "by_tag": by_tag,
        "outcomes": outcome_counts(scored),
        "unsupported_figures": sum(len(r.get("unsupported_figures", [])) for r in scored),
        "latency": latency,
        "tokens": tokens,
        "claims": claims,
        "errors": len(rows) - len(scored),
    }


def outcome_counts(rows: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """How the answers came about: written, second chance, quoted fallback, refused; plus the
    share of answered items that are quoted fallbacks (the product keeps it at or below 20%)."""
    counts = {k: 0 for k in ("written", "second-chance", "quoted", "refused")}
    for r in rows:
        outcome = r.get("outcome") or ("refused" if r.get("refused") else "written")
        counts[outcome] = counts.get(outcome, 0) + 1
    answered = counts["written"] + counts["second-chance"] + counts["quoted"]
    return {**counts, "quoted_share": counts["quoted"] / answered if answered else None}


def figure_statements(answer: Any) -> list[tuple[str, list[int]]]:
    """(statement, citations) whose figures must be in the cited passages: each shown sentence,
    but a quoted fallback whole, as one statement (the quote of a record or of several sentences
    ends with its one marker; split, its first sentences would cite nothing)."""
    if answer.outcome == "quoted":
        return [(answer.text, [c.n for c in answer.citations])]
    return shown_statements(answer.text)


def shown_statements(text: str) -> list[tuple[str, list[int]]]:
    """(sentence, citations) of the answer as shown, without the quarantine note."""
    from rag.claims import parse
    from rag.verify import is_structural

    body = "\n".join(ln for ln in text.splitlines() if not ln.startswith("⚠️ Quarantined:"))
    return [
        (claim.text, claim.citations)
        for block in parse(body)
        for claim in block.claims
        if not is_structural(claim)
    ]


def _git_commit() -> str | None:
    """HEAD of the checkout this code runs from (with "-dirty" for local changes), if any."""
    root = Path(__file__).resolve().parents[1]
    try:
        head = subprocess.run(
            ["git", "rev-parse", "HEAD"],
            cwd=root,
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=root,
            capture_output=True,
            text=True,
            timeout=10,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None
    return head + ("-dirty" if dirty else "") if head else None


# --------------------------------------------------------------------------------------------
# The run
# --------------------------------------------------------------------------------------------


@dataclass
class QARun:
    """The outcome of `run_qa`: where the report went, the summary and one row per question."""

    out: Path
    summary: dict[str, Any]
    rows: list[dict[str, Any]]
    ingest: Any = None  # the eval index's IngestReport
    interrupted: bool = False
    files: dict[str, Path] = field(default_factory=dict)


def _citation_row(c: Any) -> dict[str, Any]:
    return {"n": c.n, "source": c.source, "title": c.title, "page": c.page, "quote": c.quote}


def answer_item(engine: Any, item: QAItem, *, mode: str, k: int) -> dict[str, Any]:
    """Run one question through the engine and build its results row (scored).

    The ALCE judgments use `Answer.evidence`, the numbered passages exactly as the model saw them
    (empty when the engine refused before calling the model).
    """
    from rag.prompting import quoted_span
    from rag.support import SupportScorer

    answer = engine.answer(item.question, mode=mode)
    texts = dict(answer.evidence)
    scorer = SupportScorer(engine.embed)
    judge = functools.partial(
        judge_statements,
        passages=texts,
        scorer=scorer,
        refusal=engine.refusal,
        question=answer.standalone_question,
        contexts=dict(answer.evidence_context),
        bind=answer.mode == "brief",
        quoted=functools.partial(quoted_span, engine.settings.prompts_path),
    )
    draft = judge(answer.draft) if answer.draft.strip() else None
    final = None if answer.refused else judge(answer.text)
    retrieved = [p.source for p in answer.retrieved]
    figures = (
        unsupported_figures(
            figure_statements(answer),
            texts,
            question=answer.standalone_question,
            documents=dict(answer.evidence_context),
        )
        if not answer.refused
        else []
    )
    metrics = score_item(
        item,
        answer_text=answer.text,
        refused=answer.refused,
        retrieved_sources=retrieved,
        k=k,
        draft=draft,
        final=final,
        n_passages=len(texts),
    )
    return {
        **_item_fields(item),
        "answer": answer.text,
        "refused": answer.refused,
        "outcome": answer.outcome,
        "unsupported_figures": figures,
        "quarantined": [q.source for q in answer.quarantined],
        "refusal_reason": answer.refusal_reason,
        "citations": [_citation_row(c) for c in answer.citations],
        "claims": [
            {"text": c.text, "citations": c.citations, "status": c.status, "reason": c.reason}
            for c in answer.claims
        ],
        "draft": answer.draft,
        "drafts": list(answer.drafts),
        "evidence": {str(n): text for n, text in texts.items()},  # the passages the model saw
        "evidence_context": {str(n): c for n, c in answer.evidence_context.items()},
        "retrieved": _basenames(retrieved),
        "relevance": answer.relevance,
        "metrics": metrics,
        "verdict": verdicts(item, metrics, answer.refused),
        "timings": dict(answer.timings),
        "tokens": dict(answer.tokens),
        "model": answer.model,
    }


def _item_fields(item: QAItem) -> dict[str, Any]:
    """The suite's own fields, the same at the head of every results row."""
    return {
        "id": item.id,
        "type": item.type,
        "tags": list(item.tags),
        "answerable": item.answerable,
        "question": item.question,
        "gold": {"answer": item.answer, "must_include": item.must_include, "sources": item.sources},
    }


def _error_row(item: QAItem, exc: Exception) -> dict[str, Any]:
    return {
        **_item_fields(item),
        "answer": "",
        "refused": False,
        "outcome": "error",
        "unsupported_figures": [],
        "quarantined": [],
        "refusal_reason": "",
        "citations": [],
        "claims": [],
        "draft": "",
        "evidence": {},
        "evidence_context": {},
        "retrieved": [],
        "relevance": 0.0,
        "metrics": dict.fromkeys(METRIC_KEYS),
        "verdict": {"pass": False, "refused": False, "must_include": None, "source_found": None},
        "timings": {},
        "tokens": {},
        "model": "",
        "error": f"{type(exc).__name__}: {exc}",
    }


def _postfix(rows: Sequence[Mapping[str, Any]]) -> dict[str, str]:
    """Running scores for the progress bar."""
    ok = [r for r in rows if not r.get("error")]
    if not ok:
        return {}
    mi = [r["metrics"]["must_include"] for r in ok if r["metrics"]["must_include"] is not None]
    src = [r["metrics"]["source_recall"] for r in ok if r["metrics"]["source_recall"] is not None]
    out = {"pass": f"{sum(r['verdict']['pass'] for r in ok) / len(ok):.2f}"}
    if mi:
        out["must"] = f"{sum(mi) / len(mi):.2f}"
    if src:
        out["src"] = f"{sum(src) / len(src):.2f}"
    if len(rows) > len(ok):
        out["err"] = str(len(rows) - len(ok))
    return out


def default_out(settings: Settings, suite: Path, mode: str) -> Path:
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    return settings.eval_dir / "runs" / f"{suite.stem}-{mode}-{stamp}"


def run_qa(
    suite: str | Path,
    corpus: str | Path,
    *,
    out: str | Path | None = None,
    mode: str = "brief",
    limit: int | None = None,
    ids: Sequence[str] | None = None,
    k: int = 5,
    exclude: Sequence[str] = (),
    settings: Settings | None = None,
    model: Any = None,
    embedder: Any = None,
    progress: bool = True,
    on_item: ItemCallback | None = None,
) -> QARun:
    """Index `corpus` (isolated), answer every question of `suite`, score it and write the report.

    `ids` keeps only those items (in suite order), `limit` the first N after that. `model` and
    `embedder` default to the configured ones (tests pass a fake LLM). `on_item(i, row)` is called
    after each scored question. Ctrl-C (KeyboardInterrupt) ends the loop early; the report of the
    questions done so far is still written and `QARun.interrupted` is set.
    """
    from eval.report import write_report
    from rag.engine import Engine
    from rag.modes import CHOICES
    from ree.runtime import get_embedder

    if mode not in CHOICES:
        raise ValueError(f"unknown mode {mode!r}: use one of {', '.join(CHOICES)}")
    if k < 1:
        raise ValueError(f"k must be >= 1, got {k}")
    settings = settings or get_settings()
    suite, corpus = Path(suite), Path(corpus)
    items = select_items(load_suite(suite), ids=ids, limit=limit, suite_name=suite.name)
    out = Path(out) if out else default_out(settings, suite, mode)

    started = time.perf_counter()
    commit = _git_commit()  # the code that answers, not whatever is checked out when it ends
    index, ingest = prepare_index(corpus, settings, progress=progress, exclude=exclude)
    embedder = embedder or get_embedder(settings.embed_backend)
    engine = Engine(settings, index=index, embedder=embedder, model=model)
    load_seconds = warm_up(engine) if items else 0.0

    rows: list[dict[str, Any]] = []
    interrupted = False
    try:
        interrupted = answer_all(
            engine,
            items,
            rows,
            mode=mode,
            k=k,
            progress=progress,
            on_item=on_item,
            label=suite.stem,
        )
    finally:  # an unreachable LLM still leaves the report of what was answered
        meta = {
            "suite": str(suite),
            "corpus": str(corpus.resolve()),
            "exclude": list(exclude),
            "collection": index.name,
            "mode": mode,
            "k": k,
            "model": next((r["model"] for r in rows if r.get("model")), "") or engine.model_label,
            "items_in_suite": len(items),
            "completed": len(rows),
            "interrupted": interrupted,
            "date": dt.datetime.now().astimezone().isoformat(timespec="seconds"),
            "seconds": round(time.perf_counter() - started, 1),
            "model_load_seconds": round(load_seconds, 1),
            "git_commit": commit,
            "settings": settings.masked(),
            "ingest": {key: value for key, value in ingest.to_dict().items() if key != "files"},
        }
        summary = {"meta": meta, **summarize(rows)}
        files = write_report(out, summary, rows)
    return QARun(out, summary, rows, ingest, interrupted, files)


def select_items(
    items: list[QAItem], *, ids: Sequence[str] | None, limit: int | None, suite_name: str
) -> list[QAItem]:
    """`ids` (in suite order; an unknown id is a SuiteError), then the first `limit` of them."""
    if ids is not None:
        wanted = set(ids)
        items = [it for it in items if it.id in wanted]
        missing = wanted - {it.id for it in items}
        if missing:
            raise SuiteError(f"ids not in {suite_name}: {', '.join(sorted(missing))}")
    if limit is not None:
        items = items[: max(limit, 0)]
    return items


def answer_all(
    engine: Any,
    items: Sequence[QAItem],
    rows: list[dict[str, Any]],
    *,
    mode: str,
    k: int,
    progress: bool,
    on_item: ItemCallback | None,
    label: str,
) -> bool:
    """Answer and score `items` in order, appending one row each to `rows` (a question that
    raises gets an error row). Returns True when Ctrl-C or SIGTERM stopped the loop early; an
    unreachable LLM raises, since every later question would fail the same way."""
    from tqdm import tqdm

    from ree.runtime.chat import LLMUnavailable

    bar = tqdm(total=len(items), desc=f"eval {label}", unit="q", disable=not progress)
    try:
        with terminate_as_interrupt():
            for i, item in enumerate(items):
                try:
                    row = answer_item(engine, item, mode=mode, k=k)
                except (KeyboardInterrupt, LLMUnavailable):
                    raise
                except Exception as exc:  # one broken question must not lose an hour's run
                    row = _error_row(item, exc)
                rows.append(row)
                bar.set_postfix(_postfix(rows), refresh=False)
                bar.update(1)
                if on_item is not None:
                    on_item(i, row)
    except KeyboardInterrupt:
        return True
    finally:
        bar.close()
    return False


@contextlib.contextmanager
def terminate_as_interrupt() -> Iterator[None]:
    """Treat SIGTERM (a plain `kill`, a CI or batch-system timeout) like Ctrl-C meanwhile.

    A real-model run takes an hour; being stopped from outside must still leave the report of
    the answers done. Only the main thread may install signal handlers; elsewhere (a UI worker
    thread) this does nothing. The previous handler is restored on exit, before the report is
    written.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def interrupt(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def warm_up(engine: Any) -> float:
    """Load the model's weights before the first question; returns the seconds it took.

    Without this the first question's time to first token includes loading 1 GB of weights, and
    p95 latency on a small slice describes loading rather than answering. (The local model loads
    lazily in `LocalChatModel.load`; other models have nothing to load.)
    """
    start = time.perf_counter()
    load = getattr(engine.model, "load", None)
    if callable(load):
        load()
    return time.perf_counter() - start
