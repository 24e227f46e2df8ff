"""Auto mode: analysis questions get In-Depth Insights, the rest a brief answer."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from rag.modes import resolve_mode

DATASETS = Path(__file__).resolve().parents[1] / "eval" / "datasets"


@pytest.mark.parametrize(
    "question",
    [
        "What does the $110/kg NdPr price floor mean for Western magnet supply chains?",
        "What are the strategic implications of the January 2026 proclamation?",
        "How should investors assess the Section 301 tariff increase on magnets?",
        "What is the outlook for heavy rare earth supply from Myanmar?",
        "What risks remain for U.S. magnet buyers after the November 2025 deal?",
    ],
)
def test_analysis_questions_get_insights(question: str) -> None:
    mode, why = resolve_mode("auto", question)
    assert mode == "insights" and why.startswith("asks")


@pytest.mark.parametrize(
    "question",
    [
        "What was Australia's rare earth mine production in 2024?",
        "Who signed the U.S.-Japan critical minerals framework, and where?",
        "Under Biden's February 2021 supply chain order, which cabinet secretary had to assess "
        "risks in the EV battery supply chain?",
    ],
)
def test_fact_questions_get_a_brief_answer(question: str) -> None:
    assert resolve_mode("auto", question) == ("brief", "asks for facts")


def test_an_explicit_mode_wins_and_a_bad_one_is_refused() -> None:
    assert resolve_mode("insights", "What was Australia's output?") == ("insights", "chosen")
    with pytest.raises(ValueError, match="auto, brief, insights"):
        resolve_mode("essay", "x")


def test_auto_mode_on_the_dev_suites() -> None:
    """Every fact/numeric question of both dev suites goes to brief; most insight ones and every
    question of the insights suite go to insights (measured: 8 of 12 dev insight items, whose
    "why" questions a brief answer serves too)."""
    briefs = insights = total_insight = 0
    for name in ("sample.jsonl", "shared-corpus.jsonl"):
        for line in (DATASETS / name).read_text(encoding="utf-8").splitlines():
            item = json.loads(line)
            mode, _ = resolve_mode("auto", item["question"])
            if item["type"] in ("fact", "numeric"):
                briefs += mode == "brief"
                assert mode == "brief", item["question"]
            if item["type"] == "insight":
                total_insight += 1
                insights += mode == "insights"
    assert insights >= total_insight / 2
    suite = [json.loads(line) for line in (DATASETS / "insights.jsonl").read_text().splitlines()]
    questions = [i["question"] for i in suite if i["kind"] == "question"]
    assert sum(resolve_mode("auto", q)[0] == "insights" for q in questions) >= len(questions) - 1
