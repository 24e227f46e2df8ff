"""The verifier on labelled sentences of the local model's real drafts (`eval.verifier`).

`tests/data/verifier_drafts.jsonl` holds every factual sentence of the drafts recorded by four
`ree eval qa` runs (shared corpus and sample, two rounds each), labelled by reading the passages
the model was shown. The floors below are the measured values less a margin for CPU-dependent
int8 embeddings (measured on one Xeon: kept-correct 0.797, let-through 0.333, right citation
0.989); they guard against regressions, they are not the targets (README, "Verification").
"""

from __future__ import annotations

import json
from collections import Counter

import pytest

from eval.verifier import DEFAULT_DRAFTS, factual_verdicts, load_labelled_drafts, measure
from rag.verify import verify_answer
from ree.runtime.memo import EmbeddingMemo

LABELS = {"supported", "unsupported", "refusal"}


def test_every_line_is_labelled_against_the_passages_it_names() -> None:
    lines = [json.loads(line) for line in DEFAULT_DRAFTS.open(encoding="utf-8")]
    assert len(lines) >= 300
    assert {line["label"] for line in lines} == LABELS
    for line in lines:
        assert all(str(n) in line["passages"] for n in line["supported_by"]), line["id"]
        assert (line["label"] == "supported") == bool(line["supported_by"]), line["id"]
        assert line["sentence"] and line["draft"] and line["question"]
    counts = Counter(line["label"] for line in lines)
    assert counts["supported"] >= 150 and counts["unsupported"] >= 100


def test_factual_verdicts_line_up_with_the_labelled_sentences() -> None:
    draft = (
        "### Prices\n- **Floor**: DoD set a $110 floor [1].\n- **Length**: It runs 10 years [1]."
    )
    verification = verify_answer(draft, {1: "DoD set a $110 floor for 10 years."}, embed=None)
    verdicts = factual_verdicts(draft, verification.claims)
    assert [v.text for v in verdicts] == ["DoD set a $110 floor.", "It runs 10 years."]


@pytest.fixture(scope="module")
def report(embedder):  # noqa: ANN001
    return measure(load_labelled_drafts(), EmbeddingMemo(embedder))


def test_the_verifier_keeps_most_supported_sentences(report) -> None:  # noqa: ANN001
    assert report.kept_correct >= 0.75, report.markdown()
    assert report.right_citation >= 0.95, report.markdown()


def test_the_verifier_removes_most_unsupported_sentences(report) -> None:  # noqa: ANN001
    assert report.let_through <= 0.38, report.markdown()
    kept_unsupported = [o for o in report.outcomes if o.kept and o.item.label == "unsupported"]
    assert all(o.citations for o in kept_unsupported)  # a kept sentence is always cited
