"""CI quality gate: a small slice of the sample suite answered by the REAL local model.

Why: unit tests prove each part works, not that answers stay good. This gate answers eight
questions of `eval/datasets/sample.jsonl` (every question type, one unanswerable) end to end with
the packaged 1.5B model and fails when a headline metric drops below the thresholds recorded in
`eval/baselines/sample-slice.json` (set a bit below the measured baseline; the file says how).
Temperature 0 makes the run repeatable, so a failure means the pipeline changed, not luck; if the
change is intended, re-measure and update the baseline file in the same commit.

The baseline file itself is checked by a fast test, so a bad edit fails without the model. The
run's report is kept in test-output/eval-gate/ (gitignored): open report.html after a failure.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from test_ingest_support import REPO, SAMPLE, make_settings, pipeline_embedder

from eval.report import format_summary
from eval.runner import run_qa
from eval.suite import load_suite

BASELINE = REPO / "eval" / "baselines" / "sample-slice.json"
#: The gate's report is kept here (gitignored) for a human look after CI, like the UI screenshots.
REPORT_DIR = REPO / "test-output" / "eval-gate"


def _baseline() -> dict:
    return json.loads(BASELINE.read_text(encoding="utf-8"))


def _failures(overall: dict, thresholds: dict) -> list[str]:
    """Threshold breaches: `min` for higher-is-better metrics, `max` for lower-is-better."""
    out = []
    for metric, bound in thresholds.items():
        value = overall.get(metric)
        if value is None:
            out.append(f"{metric}: not measured")
        elif "min" in bound and value < bound["min"]:
            out.append(f"{metric} {value:.3f} < min {bound['min']}")
        elif "max" in bound and value > bound["max"]:
            out.append(f"{metric} {value:.3f} > max {bound['max']}")
    return out


def test_baseline_file_is_consistent() -> None:
    base = _baseline()
    items = {i.id: i for i in load_suite(REPO / base["suite"])}
    assert set(base["ids"]) <= set(items), "slice ids must exist in the suite"
    types = {items[i].type for i in base["ids"]}
    assert "unanswerable" in types and len(types) >= 5
    assert 6 <= len(base["ids"]) <= 10  # small enough for CI
    for key in ("command", "date", "model", "measured", "thresholds", "threshold_rule"):
        assert base.get(key), key
    # every threshold is met by the measured baseline itself
    assert _failures(base["measured"], base["thresholds"]) == []


@pytest.mark.slow
def test_sample_slice_meets_baseline(
    llm_home: Path,
    embedder_home: Path,
    embedder,  # noqa: ANN001
) -> None:
    pipeline_embedder(embedder_home)
    base = _baseline()
    settings = make_settings(llm_home)  # the packaged model sits in llm_home/models
    run = run_qa(
        REPO / base["suite"],
        SAMPLE,
        out=REPORT_DIR,
        mode=base["mode"],
        ids=base["ids"],
        k=base["k"],
        settings=settings,
        embedder=embedder,
        progress=False,
    )
    print(f"\n{format_summary(run.summary)}\nreport: {run.files['report']}")
    assert not run.interrupted and run.summary["errors"] == 0
    failures = _failures(run.summary["overall"], base["thresholds"])
    assert not failures, "below the recorded baseline: " + "; ".join(failures)
