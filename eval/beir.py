"""Load BEIR-format retrieval datasets and score a run against their qrels.

Why this module exists: BEIR's folder layout (``corpus.jsonl``, ``queries.jsonl``,
``qrels/<split>.tsv``) is the lingua franca of retrieval benchmarks. Reading it ourselves,
without the ``beir`` package and its heavy dependencies, lets the offline harness score our
retriever on public benchmarks and on our own fixtures with the same code, and lets a broken
file fail loudly with its name and line number instead of silently skewing a score.
"""

from __future__ import annotations

import json
import warnings
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from eval.metrics import aggregate, mrr_at_k, ndcg_at_k, recall_at_k

_MAX_WARNED_IDS = 5


@dataclass(frozen=True)
class BeirDataset:
    """A BEIR dataset split held in memory.

    ``corpus``: doc id -> {"title": str, "text": str}; ``queries``: query id -> text (only
    queries with at least one qrel); ``qrels``: query id -> {doc id: graded relevance}.
    """

    corpus: dict[str, dict[str, str]]
    queries: dict[str, str]
    qrels: dict[str, dict[str, int]]


def _require_file(path: Path) -> None:
    if not path.is_file():
        raise ValueError(f"{path}: file not found")


def _iter_jsonl(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    """Yield (line number, object) for each non-blank line of a JSON Lines file."""
    _require_file(path)
    with path.open(encoding="utf-8") as handle:
        for lineno, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                obj = json.loads(line)
            except json.JSONDecodeError as exc:
                raise ValueError(f"{path}:{lineno}: invalid JSON ({exc.msg})") from exc
            if not isinstance(obj, dict):
                raise ValueError(f"{path}:{lineno}: expected a JSON object")
            yield lineno, obj


def _get_id(obj: dict[str, Any], path: Path, lineno: int) -> str:
    raw = obj.get("_id")
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        raise ValueError(f"{path}:{lineno}: missing '_id'")
    if not isinstance(raw, str | int):
        raise ValueError(f"{path}:{lineno}: '_id' must be a string, got {type(raw).__name__}")
    return str(raw)


def _get_text(obj: dict[str, Any], key: str, path: Path, lineno: int, required: bool) -> str:
    raw = obj.get(key)
    if raw is None:
        if required:
            raise ValueError(f"{path}:{lineno}: missing '{key}'")
        return ""
    if not isinstance(raw, str):
        raise ValueError(f"{path}:{lineno}: '{key}' must be a string, got {type(raw).__name__}")
    return raw


def load_corpus(path: Path) -> dict[str, dict[str, str]]:
    """Read ``corpus.jsonl``: one ``{"_id", "title", "text"}`` object per line.

    ``title`` may be absent (empty string); ``_id`` and ``text`` are required and ids unique.
    """
    corpus: dict[str, dict[str, str]] = {}
    first_line: dict[str, int] = {}
    for lineno, obj in _iter_jsonl(path):
        doc_id = _get_id(obj, path, lineno)
        if doc_id in corpus:
            raise ValueError(
                f"{path}:{lineno}: duplicate _id {doc_id!r} (first seen on line "
                f"{first_line[doc_id]})"
            )
        first_line[doc_id] = lineno
        corpus[doc_id] = {
            "title": _get_text(obj, "title", path, lineno, required=False),
            "text": _get_text(obj, "text", path, lineno, required=True),
        }
    if not corpus:
        raise ValueError(f"{path}: no documents")
    return corpus


def load_queries(path: Path) -> dict[str, str]:
    """Read ``queries.jsonl``: one ``{"_id", "text"}`` object per line, ids unique."""
    queries: dict[str, str] = {}
    for lineno, obj in _iter_jsonl(path):
        query_id = _get_id(obj, path, lineno)
        if query_id in queries:
            raise ValueError(f"{path}:{lineno}: duplicate _id {query_id!r}")
        queries[query_id] = _get_text(obj, "text", path, lineno, required=True)
    return queries


def _parse_score(raw: str, path: Path, lineno: int) -> int:
    try:
        value = float(raw)
    except ValueError:
        raise ValueError(f"{path}:{lineno}: score {raw!r} is not a number") from None
    if not value.is_integer():
        raise ValueError(f"{path}:{lineno}: score {raw!r} is not an integer")
    return int(value)


def _is_header(fields: Sequence[str]) -> bool:
    """A 3-field first row is a header (``query-id corpus-id score``) unless its score parses."""
    if len(fields) != 3:
        return False
    try:
        float(fields[2])
    except ValueError:
        return True
    return False


def load_qrels(path: Path) -> dict[str, dict[str, int]]:
    """Read ``qrels/<split>.tsv``: tab-separated ``query-id  corpus-id  score`` rows.

    The ``query-id corpus-id score`` header line is skipped. Scores must be integers
    (``1.0`` is accepted as 1). Repeating a pair with a different score is an error.
    """
    _require_file(path)
    qrels: dict[str, dict[str, int]] = {}
    with path.open(encoding="utf-8") as handle:
        for lineno, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            fields = [f.strip() for f in line.rstrip("\r\n").split("\t")]
            if lineno == 1 and _is_header(fields):
                continue
            if len(fields) != 3 or not all(fields[:2]):
                raise ValueError(
                    f"{path}:{lineno}: expected 3 tab-separated fields "
                    f"(query-id, corpus-id, score), got {line.rstrip()!r}"
                )
            query_id, doc_id, raw_score = fields
            score = _parse_score(raw_score, path, lineno)
            previous = qrels.setdefault(query_id, {}).get(doc_id)
            if previous is not None and previous != score:
                raise ValueError(
                    f"{path}:{lineno}: pair ({query_id}, {doc_id}) repeated with score "
                    f"{score} after {previous}"
                )
            qrels[query_id][doc_id] = score
    if not qrels:
        raise ValueError(f"{path}: no qrels")
    return qrels


def _warn_dropped(what: str, path: Path, ids: list[str]) -> None:
    shown = ", ".join(ids[:_MAX_WARNED_IDS]) + (", ..." if len(ids) > _MAX_WARNED_IDS else "")
    warnings.warn(f"{path}: dropped {len(ids)} qrel(s) pointing at {what}: {shown}", stacklevel=3)


def load_beir(folder: Path, split: str = "test") -> BeirDataset:
    """Load a BEIR dataset folder; keep only the queries that have qrels.

    Qrels pointing at a document missing from the corpus, or at a query missing from
    ``queries.jsonl``, are dropped with a warning (BEIR dumps contain a few such rows).
    Malformed files raise ``ValueError`` naming the file and line.
    """
    folder = Path(folder)
    corpus = load_corpus(folder / "corpus.jsonl")
    all_queries = load_queries(folder / "queries.jsonl")
    qrels_path = folder / "qrels" / f"{split}.tsv"
    raw_qrels = load_qrels(qrels_path)

    unknown_docs: list[str] = []
    unknown_queries: list[str] = []
    qrels: dict[str, dict[str, int]] = {}
    for query_id, judged in raw_qrels.items():
        if query_id not in all_queries:
            unknown_queries.append(query_id)
            continue
        kept = {}
        for doc_id, score in judged.items():
            if doc_id in corpus:
                kept[doc_id] = score
            else:
                unknown_docs.append(f"{query_id}->{doc_id}")
        if kept:
            qrels[query_id] = kept
    if unknown_docs:
        _warn_dropped("unknown documents", qrels_path, unknown_docs)
    if unknown_queries:
        _warn_dropped("unknown queries", qrels_path, unknown_queries)

    queries = {qid: text for qid, text in all_queries.items() if qid in qrels}
    return BeirDataset(corpus=corpus, queries=queries, qrels=qrels)


def evaluate_run(
    run: Mapping[str, Sequence[str]], qrels: Mapping[str, Mapping[str, int]]
) -> dict[str, float | int | None]:
    """Score a run (query id -> ranked doc ids) with BEIR's headline metrics.

    Returns the means over evaluated queries of nDCG@10, recall@10, recall@100 and MRR@10,
    plus ``n_queries``. Queries whose qrels hold no positive score are skipped (as BEIR); a
    judged query missing from the run counts as an empty ranking (scores 0, like
    ``trec_eval -c``) so a retriever cannot gain by dropping hard queries.
    Per BEIR, recall@k = |relevant in top k| / |relevant|.

    Example: qrels {q1: {d1: 1}, q2: {d2: 1, d3: 1}}, run {q1: [d1], q2: [d9, d2]}:
    recall@10 = (1 + 1/2) / 2 = 0.75; MRR@10 = (1 + 1/2) / 2 = 0.75.
    """
    rows = []
    for query_id, judged in qrels.items():
        ranking = list(run.get(query_id, []))
        row = {
            "ndcg@10": ndcg_at_k(ranking, judged, 10),
            "recall@10": recall_at_k(ranking, judged, 10),
            "recall@100": recall_at_k(ranking, judged, 100),
            "mrr@10": mrr_at_k(ranking, judged, 10),
        }
        if row["ndcg@10"] is not None:
            rows.append(row)
    result: dict[str, float | int | None] = dict(
        aggregate(rows, ["ndcg@10", "recall@10", "recall@100", "mrr@10"])
    )
    result["n_queries"] = len(rows)
    return result
