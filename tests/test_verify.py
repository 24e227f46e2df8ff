"""Answer verification end to end: markers, repairs, removals, marking and Markdown structure."""

from __future__ import annotations

import json

import pytest

from rag.calibrate_support import load_embedder
from rag.claims import Claim
from rag.verify import UNVERIFIED_MARK, is_structural, verify_answer

PASSAGES = {
    1: (
        "China set its 2024 rare earth mining quota at 270,000 tonnes, an increase of 5.9% from "
        "255,000 tonnes in 2023. The smelting and separation quota was set at 254,000 tonnes."
    ),
    2: (
        "Lynas Rare Earths produced 10,900 tonnes of NdPr oxide in fiscal year 2024, up from 8,600 "
        "tonnes a year earlier. The company processes ore from its Mount Weld mine in Western "
        "Australia at its plant in Kuantan, Malaysia."
    ),
    3: (
        "The U.S. Department of Defense awarded US$35 million to MP Materials in February 2022 to "
        "design and build a facility for processing heavy rare earth elements at Mountain Pass."
    ),
}
QUOTA = "China set its 2024 rare earth mining quota at 270,000 tonnes"
LYNAS = "Lynas produced 10,900 tonnes of NdPr oxide in fiscal year 2024"
DOD = "The Department of Defense awarded US$35 million to MP Materials in February 2022"


@pytest.fixture(scope="session")
def embed():
    """The real all-MiniLM-L6-v2 embed callable, loaded once per process."""
    return load_embedder()


def test_supported_claim_is_verified_with_evidence(embed) -> None:
    v = verify_answer(f"{QUOTA} [1].", PASSAGES, embed=embed)
    assert v.text == f"{QUOTA} [1]."
    (claim,) = v.claims
    assert (claim.status, claim.citations) == ("verified", [1])
    assert claim.evidence == {
        1: (
            "China set its 2024 rare earth mining quota at 270,000 tonnes, an increase of 5.9% "
            "from 255,000 tonnes in 2023."
        )
    }
    assert (v.invalid_markers, v.removed, v.repaired) == (0, 0, 0)


def test_invalid_marker_is_dropped(embed) -> None:
    v = verify_answer(f"{LYNAS} [2][9].", PASSAGES, embed=embed)
    assert v.text == f"{LYNAS} [2]."
    assert v.invalid_markers == 1
    assert v.claims[0].citations == [2] and "[9]" in v.claims[0].reason


def test_wrong_citation_is_repointed(embed) -> None:
    v = verify_answer(f"{QUOTA} [2].", PASSAGES, embed=embed)
    assert v.text == f"{QUOTA} [1]."
    (claim,) = v.claims
    assert (claim.status, claim.citations) == ("repaired", [1])
    assert claim.reason == "re-pointed [2] -> [1]"
    assert v.repaired == 1


def test_claim_without_marker_gets_the_supporting_passage(embed) -> None:
    v = verify_answer(f"{DOD}.", PASSAGES, embed=embed)
    assert v.text == f"{DOD} [3]."
    assert v.claims[0].status == "repaired" and v.claims[0].reason == "no marker; attached [3]"


def test_number_mismatch_is_removed(embed) -> None:
    v = verify_answer(
        f"{QUOTA} [1]. China set its 2024 mining quota at 390,000 tonnes [1].",
        PASSAGES,
        embed=embed,
    )
    assert v.text == f"{QUOTA} [1]."
    removed = v.claims[1]
    assert removed.status == "removed" and "390,000" in removed.reason
    assert (v.removed, v.repaired, v.invalid_markers) == (1, 0, 0)


def test_unsupported_sentence_is_removed_or_marked(embed) -> None:
    answer = f"{LYNAS} [2]. Lynas will double its output by 2030 [2]."
    removed = verify_answer(answer, PASSAGES, embed=embed)
    assert removed.text == f"{LYNAS} [2]."
    assert [c.status for c in removed.claims] == ["verified", "removed"]

    marked = verify_answer(answer, PASSAGES, embed=embed, policy="mark")
    assert marked.text == f"{LYNAS} [2]. Lynas will double its output by 2030 {UNVERIFIED_MARK}."
    assert [c.status for c in marked.claims] == ["verified", "unsupported"]
    assert marked.claims[1].citations == [] and marked.removed == 0


def test_claims_citing_two_passages_together(embed) -> None:
    v = verify_answer(
        "Lynas produced 10,900 tonnes of NdPr oxide while China's quota was 270,000 tonnes [1][2].",
        PASSAGES,
        embed=embed,
    )
    assert v.claims[0].status == "verified" and v.claims[0].citations == [1, 2]
    assert set(v.claims[0].evidence) == {1, 2}


def test_structural_sentences_are_kept_without_markers(embed) -> None:
    v = verify_answer(
        f"{QUOTA} [1]. The documents do not say what the 2026 quota will be [1].",
        PASSAGES,
        embed=embed,
    )
    assert v.text == f"{QUOTA} [1]. The documents do not say what the 2026 quota will be."
    assert [c.status for c in v.claims] == ["verified", "structural"]


def test_pronoun_claim_is_read_with_the_claim_before_it(embed) -> None:
    answer = f"- Quota: {QUOTA} [1].\n- Growth: It rose 5.9% from 2023 [1]."
    v = verify_answer(answer, PASSAGES, embed=embed)
    assert v.text == answer
    assert [c.status for c in v.claims] == ["verified", "verified"]
    # the same words after a heading have nothing to refer to
    alone = verify_answer("### Growth\n\nIt rose 5.9% from 2023 [1].", PASSAGES, embed=embed)
    assert alone.claims[1].status == "removed"


INSIGHTS = f"""### How large is China's quota?

- **Quota:** {QUOTA} [1].
- Lynas: {LYNAS} [1][7].

### What will prices do?

- Outlook: NdPr prices will triple by 2030 [2].
- Demand: Magnet demand will exceed supply by 40% [3]."""


def test_insights_structure_preserved_and_emptied_section_dropped(embed) -> None:
    v = verify_answer(INSIGHTS, PASSAGES, embed=embed)
    assert v.text == (
        f"### How large is China's quota?\n\n- **Quota:** {QUOTA} [1].\n- Lynas: {LYNAS} [2]."
    )
    statuses = [(c.status, c.citations) for c in v.claims]
    assert statuses == [
        ("structural", []),
        ("verified", [1]),
        ("repaired", [2]),
        ("structural", []),
        ("removed", []),
        ("removed", []),
    ]
    assert v.claims[3].reason.startswith("dropped")
    assert (v.invalid_markers, v.removed, v.repaired) == (1, 2, 1)


def test_insights_under_policy_mark_keeps_every_section(embed) -> None:
    v = verify_answer(INSIGHTS, PASSAGES, embed=embed, policy="mark")
    assert v.text.count("### ") == 2
    assert v.text.count(UNVERIFIED_MARK) == 2
    assert "- Outlook: NdPr prices will triple by 2030 ⚠️ unverified." in v.text
    assert (v.invalid_markers, v.removed, v.repaired) == (1, 0, 1)


def test_everything_unsupported_gives_empty_text(embed) -> None:
    v = verify_answer(
        "## Answer\n\nHere are the key points:\n\n- Prices will triple [1].\n- Demand doubles [2].",
        PASSAGES,
        embed=embed,
    )
    assert v.text == ""
    assert v.removed == 2


def test_without_embedder_and_without_passages() -> None:
    v = verify_answer(f"{QUOTA} [1]. {LYNAS} [3].", PASSAGES, embed=None)
    assert v.text == f"{QUOTA} [1]. {LYNAS} [2]."
    empty = verify_answer(f"{QUOTA} [1].", {}, embed=None)
    assert empty.text == "" and empty.invalid_markers == 1 and empty.removed == 1


def test_to_dict_is_json_ready(embed) -> None:
    v = verify_answer(f"{QUOTA} [2].", PASSAGES, embed=embed)
    data = json.loads(json.dumps(v.to_dict()))
    assert data["repaired"] == 1 and data["claims"][0]["status"] == "repaired"
    assert data["claims"][0]["evidence"]["1"].startswith("China set its 2024")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("The documents do not say what the 2026 quota will be", True),
        ("The provided passages don't mention Vietnam", True),
        ("I cannot find this in the sources", True),
        ("There is not enough information to answer", True),
        ("Here are the key points:", True),
        ("In summary", True),
        ("The documents do not say, but prices rose 50%", False),
        ("In summary, prices rose 50%", False),
        ("China dominates refining", False),
    ],
)
def test_is_structural(text: str, expected: bool) -> None:
    assert is_structural(Claim(text)) is expected


def test_claim_completed_by_one_more_passage(embed) -> None:
    passages = {
        1: "On 4 April 2025 China placed export licensing requirements on seven medium and heavy "
        "rare earth elements:",
        2: "date: 2025-04-04; measure: export licensing for seven medium and heavy rare earths; "
        "elements: Sm, Gd, Tb, Dy, Lu, Sc, Y",
        3: "| 4 | `wh_fact_sheet.md` | Fact Sheet | The White House | 15 Apr 2025 |",
    }
    claim = "In April 2025 China placed export licensing on seven rare earths: Sm, Gd, Tb and Dy"
    same_doc = {1: "controls-brief", 2: "controls-brief", 3: "sources-list"}
    v = verify_answer(f"{claim} [1].", passages, embed=embed, documents=same_doc)
    (verdict,) = v.claims
    assert (verdict.status, verdict.citations) == ("repaired", [1, 2])
    named = claim.replace(": Sm, Gd, Tb and Dy", ": samarium (Sm), gadolinium (Gd), terbium (Tb)")
    named += " and dysprosium (Dy)"  # the lone symbols are shown with their names
    assert "together with added [2]" in verdict.reason and v.text == f"{named} [1][2]."

    # the same two passages from two documents (or with no document ids): not joined - across
    # documents the rule verified wrong mixes (one document's list with another's date)
    other_doc = {1: "controls-brief", 2: "timeline-csv", 3: "sources-list"}
    for documents in (other_doc, None):
        v = verify_answer(f"{claim} [1].", passages, embed=embed, documents=documents)
        assert v.claims[0].status == "removed"


def test_completion_needs_the_figures_in_the_cited_passage(embed) -> None:
    passages = {
        1: "Neo opened a magnet factory in Narva, Estonia, in September 2025.",
        2: "The company describes an initial magnet capacity of about 2,000 tonnes a year.",
    }
    # the figure is only in [2], the place only in [1]: not joined, and [2] alone lacks Narva
    v = verify_answer(
        "Neo's Narva plant makes 2,000 tonnes of magnets a year [1].",
        passages,
        embed=embed,
        documents={1: "neo", 2: "neo"},
    )
    assert v.claims[0].status == "removed" and v.text == ""


def test_a_source_list_does_not_complete_a_claim(embed) -> None:
    passages = {
        1: "China will issue general licenses valid for exports of rare earths, gallium, "
        "germanium, antimony and graphite.",
        2: "| 7 | `wh_2025-03-20_fact_sheet.md` | Fact Sheet | The White House | 20 Mar 2025 |",
    }
    claim = "The March 2025 White House fact sheet says China will issue general licenses"
    v = verify_answer(f"{claim} [1].", passages, embed=embed, documents={1: "wh", 2: "wh"})
    assert v.claims[0].status == "removed"


def test_a_renumbered_verdict_names_the_new_numbers_everywhere() -> None:
    from rag.verify import ClaimVerdict

    verdict = ClaimVerdict(
        "Prices doubled.", [1, 2], "removed", "figure(s) not in cited [2]: 2026", {2: "q"}
    )
    moved = verdict.renumbered({1: 5, 2: 7})
    assert moved.citations == [5, 7] and moved.evidence == {7: "q"}
    assert moved.reason == "figure(s) not in cited [7]: 2026"


def test_a_claim_resting_on_a_sentence_of_another_date_is_removed(embed) -> None:
    """s008 of the sample suite: the passage names 9 October 2025, but the sentence the element
    list rests on is April's; the list verified as the answer about October."""
    passages = {
        1: (
            "On 4 April 2025, China placed export licensing requirements on seven medium and "
            "heavy rare earth elements: samarium, gadolinium, terbium and dysprosium among them. "
            "On 9 October 2025 MOFCOM announced a much broader package."
        ),
        2: "On 9 October 2025 MOFCOM added holmium, erbium, thulium, europium and ytterbium.",
    }
    question = "Which elements did China add to its export licensing on 9 October 2025?"
    contexts = {1: "Export controls | 2025-11-12", 2: "Timeline | 2025-11-12"}
    april = "China added samarium, gadolinium, terbium and dysprosium on 9 October 2025 [1]."
    october = "China added holmium, erbium, thulium, europium and ytterbium [2]."
    v = verify_answer(
        f"{april} {october}", passages, question=question, document_context=contexts, embed=embed
    )
    assert [c.status for c in v.claims] == ["removed", "verified"]
    assert "april 4, 2025" in v.claims[0].reason


def _lutetium_record() -> str:
    """The real lutetium row of the shared corpus's element CSV, as ingest renders it."""
    from pathlib import Path

    from ingest.loaders import load_document

    path = Path(__file__).resolve().parents[2] / "shared" / "corpus"
    path = path / "wikipedia_rare_earth_elements_summaries.csv"
    if not path.exists():
        pytest.skip(f"file missing: {path}")
    doc = load_document(path)
    lines = [ln for s in doc.sections for ln in s.text.split("\n")]
    return next(ln for ln in lines if ln.startswith("Lutetium: ") and "discovered_by" in ln)


def test_a_claim_about_one_cell_of_a_wide_record_is_kept(embed) -> None:
    # a twenty-column row: the claim is close in meaning to its one cell, not to the whole row
    record = _lutetium_record()
    question = "Who discovered lutetium according to the element table?"
    v = verify_answer("Georges Urbain [1].", {1: record}, embed=embed, question=question)
    assert v.claims[0].status == "verified"
    assert "discovered_by = Georges Urbain" in v.claims[0].evidence[1]  # the cell is the quote
    wrong = verify_answer("Carl Gustaf Mosander [1].", {1: record}, embed=embed, question=question)
    assert wrong.claims[0].status == "removed"


def test_a_claim_whose_object_refers_back_is_read_with_the_claim_before_it(embed) -> None:
    record = _lutetium_record()
    answer = "Lutetium's atomic number is 71 [1]. Georges Urbain discovered it [1]."
    v = verify_answer(answer, {1: record}, embed=embed)
    assert [c.status for c in v.claims] == ["verified", "verified"]
    wrong = answer.replace("Georges Urbain", "Carl Gustaf Mosander")
    v = verify_answer(wrong, {1: record}, embed=embed)
    assert [c.status for c in v.claims] == ["verified", "removed"]


def test_an_insight_bullet_with_a_wrong_figure_gives_way_to_its_sources_sentence(embed) -> None:
    """With `quote_floor`, a bullet verification would remove for a misread figure becomes the
    sentence of its source it was closest to, verbatim, under its own label; a bullet close to
    no sentence is still removed."""
    draft = (
        "### What does the quota mean for supply?\n"
        "- **Quota growth**: China raised its 2024 mining quota to 290,000 tonnes [1].\n"
        "- **Investor appetite**: Investors are flocking to rare earth equities worldwide [1]."
    )
    removed = verify_answer(draft, PASSAGES, embed=embed)
    assert [c.status for c in removed.claims[1:]] == ["removed", "removed"]

    quoted = verify_answer(draft, PASSAGES, embed=embed, quote_floor=0.5)
    first, second = quoted.claims[1:]
    assert first.status == "repaired" and first.citations == [1]
    assert "replaced by the sentence of [1]" in first.reason and "290,000" in first.reason
    sentence = first.evidence[1]
    assert sentence in PASSAGES[1] and "270,000" in sentence
    assert f"- **Quota growth**: {sentence.rstrip('.')} [1]." in quoted.text
    assert second.status == "removed"
    assert "290,000" not in quoted.text and "flocking" not in quoted.text


def test_a_brief_sentence_that_drops_its_sources_specifics_is_shown_as_the_source(embed) -> None:
    """With `fuller`, a kept sentence that says part of its one source sentence, without the
    mine's name or the second figure, is shown as that sentence; a sentence the fuller one
    already says goes; a sentence with nothing left out, and one leaning on the one before
    ("This ..."), stay as written."""
    question = "Where is Lynas' mine, and how much NdPr oxide did Lynas produce in fiscal 2024?"
    draft = (
        "Lynas' mine is in Western Australia [2]. Lynas produced 10,900 tonnes of NdPr oxide in "
        "fiscal year 2024 [2]."
    )
    plain = verify_answer(draft, PASSAGES, embed=embed, question=question)
    assert "Mount Weld" not in plain.text and "8,600" not in plain.text
    fuller = verify_answer(draft, PASSAGES, embed=embed, question=question, fuller=True)
    assert [c.status for c in fuller.claims] == ["verified", "verified"]
    assert "Mount Weld mine in Western Australia" in fuller.text  # the source's own sentence
    assert "up from 8,600 tonnes" in fuller.text
    assert all(c.evidence[2] in PASSAGES[2] for c in fuller.claims)
    assert fuller.text.count("[2]") == 2

    again = "The 2024 quota was 270,000 tonnes [1]. The 2024 quota was 270,000 tonnes, up 5.9% [1]."
    said = verify_answer(
        again, PASSAGES, embed=embed, question="What was the 2024 quota?", fuller=True
    )
    assert said.text.count("270,000") == 1 and "5.9%" in said.text  # said once, fully
    assert "not shown: a fuller sentence before it says it" in said.claims[1].reason

    exact = "The smelting and separation quota was set at 254,000 tonnes [1]."
    kept = verify_answer(
        exact, PASSAGES, embed=embed, question="What was the smelting quota?", fuller=True
    )
    assert kept.text == exact
    leaning = f"{exact} This is China's 2024 rare earth mining quota [1]."
    lean = verify_answer(leaning, PASSAGES, embed=embed, fuller=True)
    assert lean.text == leaning and "270,000" not in lean.text


def test_a_name_the_passages_document_mentions_meets_the_questions_name() -> None:
    """A transcript's passage ("we recycle 95 percent of our water") is about the company the
    transcript names earlier: the document, not only its title, meets the question's name. The
    name still does not count as the passage's words: a claim naming another company fails."""
    question = "What did Kestrel Metals say about water use at the virtual event?"
    passages = {1: "Remarks at a virtual event | 2022-02-22\nWe recycle 95 percent of our water."}
    claim = "Kestrel Metals said it recycles 95 percent of its water [1]."
    assert (
        verify_answer(claim, passages, question=question, embed=None).claims[0].status == "removed"
    )
    named = {1: "Kestrel Metals"}
    kept = verify_answer(claim, passages, question=question, embed=None, named=named)
    assert kept.claims[0].status == "verified"
    other = "Northvale Mining said it recycles 95 percent of its water [1]."
    assert (
        verify_answer(other, passages, question=question, embed=None, named=named).claims[0].status
        == "removed"
    )


def test_a_copied_source_label_is_removed_though_its_words_are_the_title(embed) -> None:
    title = "China's rare earth quota: 2024 figures"
    context = {1: f"{title} | 2024-02-08 | quota-note.md"}
    bullets = (
        f"### What does the quota mean?\n\n- **Quota**: {QUOTA} [1].\n"
        f"- **Source note**: {title} | 2024-02-08 [1]."
    )
    v = verify_answer(bullets, PASSAGES, embed=embed, document_context=context)
    assert v.text == f"### What does the quota mean?\n\n- **Quota**: {QUOTA} [1]."
    assert [c.status for c in v.claims] == ["structural", "verified", "removed"]
    assert "label" in v.claims[-1].reason
