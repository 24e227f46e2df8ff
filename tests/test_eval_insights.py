"""The insights harness: structure scoring (pure) and a whole run with the fake LLM."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from eval.insights import insight_structure, load_insight_suite
from eval.suite import SuiteError

REPO = Path(__file__).resolve().parents[1]

GOOD = (
    "### How exposed are magnet buyers outside China?\n"
    "- **Refining concentration**: China refines about 90% of rare earths [1].\n"
    "- **Price floor**: The US set a floor of $110 per kilogram [2].\n"
)


def test_a_well_formed_section_is_valid() -> None:
    s = insight_structure(GOOD)
    assert s == {"valid": True, "sections": 1, "bullets": 2, "duplicates": 0, "problems": []}


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("", "no section"),
        ("### A statement, not a question\n- **Two words**: x [1].", "not a question"),
        ("### Is it?\n- **Label**: one word label [1].", "label of 1 words"),
        ("### Is it?\n- **Two words**: no citation here.", "uncited"),
        (
            "### Is it?\n" + "\n".join(f"- **Point {w}**: fact {w} [1]." for w in "abcde"),
            "5 bullets",
        ),
        (
            "### Is it?\n- **First point**: China refines most rare earths today [1].\n"
            "- **Second point**: China refines most rare earths today [2].",
            "repeats",
        ),
    ],
)
def test_problems_are_named(text: str, problem: str) -> None:
    s = insight_structure(text)
    assert not s["valid"] and any(problem in p for p in s["problems"])


def test_the_suite_loads_and_bad_lines_fail_with_their_place(tmp_path: Path) -> None:
    items = load_insight_suite(REPO / "eval" / "datasets" / "insights.jsonl")
    assert {i.kind for i in items} == {"question", "brief"} and len(items) >= 18
    bad = tmp_path / "bad.jsonl"
    bad.write_text(json.dumps({"id": "i1", "kind": "brief", "corpus": "sample"}) + "\n")
    with pytest.raises(SuiteError, match="bad.jsonl:1: a brief item needs 'source'"):
        load_insight_suite(bad)


def test_a_run_writes_results_summary_and_gallery(tmp_path: Path, embedder) -> None:
    from eval.insights import run_insights
    from fakes import ExtractiveChatModel
    from ree.settings import Settings

    suite = tmp_path / "suite.jsonl"
    rows = [
        {
            "id": "i1",
            "kind": "question",
            "corpus": "sample",
            "question": "What does the $110/kg NdPr price floor mean for Western magnet makers?",
            "must_include": ["$110", "MP Materials"],
        },
        {"id": "i2", "kind": "brief", "corpus": "sample", "source": "bayan-obo-deposit-profile.md"},
    ]
    suite.write_text("".join(json.dumps(r) + "\n" for r in rows))
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for name in (
        "bayan-obo-deposit-profile.md",
        "mp-materials-dod-partnership-2025.md",
        "ndpr-price-floor-vs-china-market.html",
        "china-share-of-rare-earth-supply-chain.md",
    ):
        (corpus / name).write_bytes((REPO / "data" / "sample" / name).read_bytes())
    out = tmp_path / "run"
    summary = run_insights(
        suite,
        {"sample": corpus},
        out=out,
        settings=Settings(home=tmp_path / "home"),
        model=ExtractiveChatModel(sentences=3),
        embedder=embedder,
        progress=False,
    )
    assert summary["overall"]["n"] == 2 and summary["overall"]["structure_valid"] == 1.0
    assert summary["by_kind"]["brief"]["n"] == 1
    results = [json.loads(line) for line in (out / "results.jsonl").read_text().splitlines()]
    first = results[0]
    assert first["must_include_hits"] == [
        p.lower() in first["text"].lower() for p in rows[0]["must_include"]
    ]
    assert summary["overall"]["must_include"] == sum(first["must_include_hits"]) / 2
    # the evidence is kept, and how much of what the answer must say it held: the extractive
    # model writes only what the evidence holds, so the evidence holds at least as much
    shown = "\n".join(first["evidence"].values()).lower()
    held = [p.lower() in shown for p in rows[0]["must_include"]]
    assert first["must_include_in_evidence"] == sum(held) / len(held)
    assert first["must_include_in_evidence"] >= first["must_include"]
    assert results[1]["text"].startswith("# Brief: ")
    page = (out / "gallery.html").read_text()
    assert "<h2>i1 · question · sample</h2>" in page and "News Summary" in page


def test_a_brief_is_judged_on_its_parts_not_its_title_date_or_sources_list():
    """The Sources list and the date line label passages; judged as statements they made every
    brief's citation precision look 0.2-0.3 lower than its sentences deserve."""
    from eval.insights import _judged_part
    from rag.types import Brief, Citation

    brief = Brief(
        source="deal.md",
        title="The deal",
        published="2025-07-21",
        summary="## News Summary\n\nDoD agreed to buy the magnets [1].",
        background="## Background\n\nApple committed $500 million [2].",
        insights="## In-Depth Insights\n\n### Q?\n- **Offtake**: DoD buys the output [1].",
        citations=[
            Citation(1, "c1", "The deal", "deal.md", None, "2025-07-21", ""),
            Citation(2, "c2", "Apple", "apple.md", None, "2025-07-15", ""),
        ],
    )
    judged = _judged_part(brief.markdown())
    assert "DoD agreed to buy the magnets [1]" in judged and "Apple committed" in judged
    assert "DoD buys the output [1]" in judged
    assert "## Sources" not in judged and "deal.md" not in judged and "2025-07-21" not in judged
    answer = "China mined 270,000 t [1].\n\n## Sources\n\n[1] x"
    assert _judged_part(answer) == answer  # a question's answer is judged whole
