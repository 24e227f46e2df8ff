"""Tests for eval.beir: the beir-tiny fixture, loader errors and evaluate_run by hand."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from eval.beir import evaluate_run, load_beir

FIXTURE = Path(__file__).parent / "fixtures" / "beir-tiny"


def write_dataset(
    folder: Path,
    corpus: str | None = None,
    queries: str | None = None,
    qrels: str | None = None,
    split: str = "test",
) -> Path:
    """Write a small BEIR folder; each file defaults to a valid two-doc dataset."""
    docs = [{"_id": "d1", "title": "T1", "text": "one"}, {"_id": "d2", "text": "two"}]
    default_corpus = "".join(json.dumps(d) + "\n" for d in docs)
    default_queries = json.dumps({"_id": "q1", "text": "first?"}) + "\n"
    default_qrels = "query-id\tcorpus-id\tscore\nq1\td1\t1\n"
    (folder / "qrels").mkdir(parents=True, exist_ok=True)
    (folder / "corpus.jsonl").write_text(default_corpus if corpus is None else corpus)
    (folder / "queries.jsonl").write_text(default_queries if queries is None else queries)
    (folder / "qrels" / f"{split}.tsv").write_text(default_qrels if qrels is None else qrels)
    return folder


# ---------------------------------------------------------------------------- the fixture


def test_fixture_counts_and_integrity():
    ds = load_beir(FIXTURE)
    assert len(ds.corpus) == 60
    assert len(ds.queries) == 27  # q28 has no qrels and is dropped
    assert "q28" not in ds.queries
    assert set(ds.qrels) == set(ds.queries)
    assert sum(len(j) for j in ds.qrels.values()) == 41
    for judged in ds.qrels.values():
        assert 1 <= len(judged) <= 3
        assert set(judged) <= set(ds.corpus)  # every qrel points into the corpus
        assert set(judged.values()) <= {1, 2}
        assert 2 in judged.values()  # each query has a fully answering passage
    assert all(doc["title"] and doc["text"] for doc in ds.corpus.values())


def test_fixture_perfect_run_scores_one():
    ds = load_beir(FIXTURE)
    run = {
        qid: sorted(judged, key=judged.__getitem__, reverse=True)
        for qid, judged in ds.qrels.items()
    }
    scores = evaluate_run(run, ds.qrels)
    assert scores == {
        "ndcg@10": pytest.approx(1.0),
        "recall@10": 1.0,
        "recall@100": 1.0,
        "mrr@10": 1.0,
        "n_queries": 27,
    }


def test_fixture_reversed_grades_lose_ndcg_only():
    ds = load_beir(FIXTURE)
    run = {qid: sorted(judged, key=judged.__getitem__) for qid, judged in ds.qrels.items()}
    scores = evaluate_run(run, ds.qrels)
    assert scores["recall@10"] == 1.0
    assert scores["ndcg@10"] < 1.0


# ------------------------------------------------------------------------- evaluate_run


def test_evaluate_run_hand_computed():
    qrels = {
        "q1": {"d1": 1},
        "q2": {"d2": 1, "d3": 1},
        "q3": {"d4": 0},  # nothing relevant: skipped
        "q4": {"d5": 2},  # missing from the run: scores 0
        "q5": {"d6": 1},  # relevant doc at rank 11
    }
    run = {
        "q1": ["d1"],
        "q2": ["d9", "d2"],
        "q3": ["d4"],
        "q5": [f"x{i}" for i in range(10)] + ["d6"],
        "q9": ["d1"],  # not judged: ignored
    }
    # per query (q1, q2, q4, q5):
    #   recall@10  = 1, 1/2, 0, 0      -> 1.5 / 4 = 0.375
    #   recall@100 = 1, 1/2, 0, 1      -> 2.5 / 4 = 0.625
    #   mrr@10     = 1, 1/2, 0, 0      -> 0.375
    #   ndcg@10: q1 = 1; q2 = (1/log2(3)) / (1 + 1/log2(3)) = 0.63093 / 1.63093 = 0.38685;
    #            q4 = q5 = 0           -> 1.38685 / 4 = 0.34671
    inv = 1 / math.log2(3)
    scores = evaluate_run(run, qrels)
    assert scores["n_queries"] == 4
    assert scores["recall@10"] == pytest.approx(0.375)
    assert scores["recall@100"] == pytest.approx(0.625)
    assert scores["mrr@10"] == pytest.approx(0.375)
    assert scores["ndcg@10"] == pytest.approx((1 + inv / (1 + inv)) / 4)
    assert scores["ndcg@10"] == pytest.approx(0.34671, abs=1e-5)


def test_evaluate_run_with_no_judged_query():
    scores = evaluate_run({"q1": ["d1"]}, {"q1": {"d1": 0}})
    assert scores["n_queries"] == 0
    assert scores["ndcg@10"] is None


# ----------------------------------------------------------------------- loader and errors


def test_loader_on_small_valid_dataset(tmp_path):
    ds = load_beir(write_dataset(tmp_path))
    assert ds.corpus == {"d1": {"title": "T1", "text": "one"}, "d2": {"title": "", "text": "two"}}
    assert ds.queries == {"q1": "first?"}
    assert ds.qrels == {"q1": {"d1": 1}}


def test_qrels_without_header_keep_first_row(tmp_path):
    ds = load_beir(write_dataset(tmp_path, qrels="q1\td1\t1\nq1\td2\t2\n"))
    assert ds.qrels == {"q1": {"d1": 1, "d2": 2}}


def test_other_split(tmp_path):
    write_dataset(tmp_path, qrels="query-id\tcorpus-id\tscore\nq1\td2\t1\n", split="dev")
    write_dataset(tmp_path)  # test split too
    assert load_beir(tmp_path, split="dev").qrels == {"q1": {"d2": 1}}


@pytest.mark.parametrize("name", ["corpus.jsonl", "queries.jsonl", "qrels/test.tsv"])
def test_missing_file(tmp_path, name):
    write_dataset(tmp_path)
    (tmp_path / name).unlink()
    with pytest.raises(ValueError, match=rf"{name}: file not found"):
        load_beir(tmp_path)


def test_missing_split_names_the_file(tmp_path):
    write_dataset(tmp_path)
    with pytest.raises(ValueError, match=r"qrels/dev\.tsv: file not found"):
        load_beir(tmp_path, split="dev")


@pytest.mark.parametrize(
    ("corpus", "message"),
    [
        (
            '{"_id": "d1", "text": "one"}\n{"_id": "d2", "text": \n',
            r"corpus\.jsonl:2: invalid JSON",
        ),
        ('{"_id": "d1", "text": "one"}\n\n{"text": "no id"}\n', r"corpus\.jsonl:3: missing '_id'"),
        ('{"_id": "d1"}\n', r"corpus\.jsonl:1: missing 'text'"),
        ('{"_id": "d1", "text": 5}\n', r"corpus\.jsonl:1: 'text' must be a string"),
        ('["d1", "one"]\n', r"corpus\.jsonl:1: expected a JSON object"),
        (
            '{"_id": "d1", "text": "a"}\n{"_id": "d1", "text": "b"}\n',
            r"corpus\.jsonl:2: duplicate _id 'd1' \(first seen on line 1\)",
        ),
        ("\n", r"corpus\.jsonl: no documents"),
    ],
)
def test_malformed_corpus(tmp_path, corpus, message):
    write_dataset(tmp_path, corpus=corpus)
    with pytest.raises(ValueError, match=message):
        load_beir(tmp_path)


def test_malformed_queries(tmp_path):
    write_dataset(tmp_path, queries='{"_id": "q1"}\n')
    with pytest.raises(ValueError, match=r"queries\.jsonl:1: missing 'text'"):
        load_beir(tmp_path)


@pytest.mark.parametrize(
    ("qrels", "message"),
    [
        (
            "query-id\tcorpus-id\tscore\nq1\td1\t1\nq1 d2 1\n",
            r"test\.tsv:3: expected 3 tab-separated",
        ),
        (
            "query-id\tcorpus-id\tscore\nq1\td1\thigh\n",
            r"test\.tsv:2: score 'high' is not a number",
        ),
        (
            "query-id\tcorpus-id\tscore\nq1\td1\t0.5\n",
            r"test\.tsv:2: score '0.5' is not an integer",
        ),
        ("query-id\tcorpus-id\tscore\nq1\t\t1\n", r"test\.tsv:2: expected 3 tab-separated"),
        ("query-id\tcorpus-id\tscore\nq1\td1\t1\nq1\td1\t2\n", r"test\.tsv:3: pair \(q1, d1\)"),
        ("query-id\tcorpus-id\tscore\n", r"test\.tsv: no qrels"),
    ],
)
def test_malformed_qrels(tmp_path, qrels, message):
    write_dataset(tmp_path, qrels=qrels)
    with pytest.raises(ValueError, match=message):
        load_beir(tmp_path)


def test_qrel_to_unknown_doc_is_warned_and_dropped(tmp_path):
    qrels = "query-id\tcorpus-id\tscore\nq1\td1\t1\nq1\td404\t1\n"
    write_dataset(tmp_path, qrels=qrels)
    with pytest.warns(
        UserWarning, match=r"dropped 1 qrel\(s\) pointing at unknown documents: q1->d404"
    ):
        ds = load_beir(tmp_path)
    assert ds.qrels == {"q1": {"d1": 1}}


def test_query_left_without_qrels_is_dropped(tmp_path):
    queries = json.dumps({"_id": "q1", "text": "a"}) + "\n" + json.dumps({"_id": "q2", "text": "b"})
    qrels = "query-id\tcorpus-id\tscore\nq1\td1\t1\nq2\td404\t1\nq7\td1\t1\n"
    write_dataset(tmp_path, queries=queries, qrels=qrels)
    with pytest.warns(UserWarning) as record:
        ds = load_beir(tmp_path)
    messages = " | ".join(str(w.message) for w in record)
    assert "unknown documents: q2->d404" in messages
    assert "unknown queries: q7" in messages
    assert ds.queries == {"q1": "a"}
    assert ds.qrels == {"q1": {"d1": 1}}
