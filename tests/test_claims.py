"""Answer splitting, marker parsing and the Markdown round trip."""

from __future__ import annotations

import pytest

from rag.claims import (
    Claim,
    iter_claims,
    parse,
    parse_claim,
    parse_markers,
    render,
    without_cut_tail,
)
from ree.text import split_sentences


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("China leads [2].", [2]),
        ("China leads [1, 3].", [1, 3]),
        ("China leads [1][3].", [1, 3]),
        ("China leads [1-3].", [1, 2, 3]),
        ("China leads [1–3].", [1, 2, 3]),  # en dash
        ("China leads 【2】.", [2]),
        ("China leads (Source 2).", [2]),
        ("China leads (Sources 2 and 4).", [2, 4]),
        ("China leads [Source 2].", [2]),
        ("China leads [S2].", [2]),
        ("China leads [S1-S3].", [1, 2, 3]),
        ("China leads [3] and [1][3].", [3, 1]),  # first appearance order, no repeats
        ("China leads (2).", []),  # a bare parenthesised number is not a marker
        ("China leads [a].", []),
    ],
)
def test_parse_markers(text: str, expected: list[int]) -> None:
    assert parse_markers(text) == expected


def test_split_sentences_respects_abbreviations_and_decimals() -> None:
    text = (
        "The U.S. imports magnets, e.g. from Japan. Prices rose 1.5 times in 2024 [1]. "
        "Dr. Smith runs plant No. 3 in Texas. It reached 390,000 t. Next one."
    )
    assert split_sentences(text) == [
        "The U.S. imports magnets, e.g. from Japan.",
        "Prices rose 1.5 times in 2024 [1].",
        "Dr. Smith runs plant No. 3 in Texas.",
        "It reached 390,000 t.",
        "Next one.",
    ]


def test_legal_citations_do_not_end_sentences() -> None:
    text = (
        "The facility in 42 U.S.C. 13344 uses mine waste. Sec. 232 covers imports under "
        "Pub. L. 117-58 and E.O. 14017 [2]. Next one."
    )
    assert split_sentences(text) == [
        "The facility in 42 U.S.C. 13344 uses mine waste.",
        "Sec. 232 covers imports under Pub. L. 117-58 and E.O. 14017 [2].",
        "Next one.",
    ]


def test_markers_after_the_period_stay_with_their_sentence() -> None:
    assert split_sentences("Lynas is Australian. [2] MP is American. [3][4]") == [
        "Lynas is Australian. [2]",
        "MP is American. [3][4]",
    ]


def test_lower_case_after_period_is_not_a_boundary() -> None:
    assert split_sentences("Output rose approx. ten percent. Fine.") == [
        "Output rose approx. ten percent.",
        "Fine.",
    ]


def test_parse_claim_hoists_markers_and_splits_punctuation() -> None:
    assert parse_claim("According to [2], prices rose 5%.") == Claim("Prices rose 5%", [2], ".")
    assert parse_claim("Prices [1] rose 5% [3]!") == Claim("Prices rose 5%", [1, 3], "!")
    assert parse_claim("China dominates (see [2])") == Claim("China dominates", [2], "")


def test_claim_render_puts_markers_before_final_punctuation() -> None:
    assert Claim("China refines 90%", [1, 3], ".").render() == "China refines 90% [1][3]."
    assert Claim("China refines 90%", [], ".").render() == "China refines 90%."
    assert Claim("No end", [2], "").render() == "No end [2]"


INSIGHTS = """### What drives NdPr prices?

- **Supply:** China mined about 70% of rare earths in 2023 [1, 3].
- Demand: EV magnet demand grew 12% 【2】
- Policy: The U.S. imposed Section 301 tariffs (Source 4).

### Who else produces?

- Lynas: Lynas produced 10,900 t in FY2024 [2]. It is expanding [S5]."""


def test_insights_parse_structure() -> None:
    blocks = parse(INSIGHTS)
    kinds = [b.kind for b in blocks]
    assert kinds == [
        "heading",
        "blank",
        "bullet",
        "bullet",
        "bullet",
        "blank",
        "heading",
        "blank",
        "bullet",
    ]
    assert blocks[0].raw == "### What drives NdPr prices?" and blocks[0].level == 3
    assert [b.label for b in blocks if b.kind == "bullet"] == [
        "**Supply:** ",
        "Demand: ",
        "Policy: ",
        "Lynas: ",
    ]
    claims = [c for _, c in iter_claims(blocks)]
    assert [c.citations for c in claims] == [[1, 3], [2], [4], [2], [5]]
    assert claims[0].text == "China mined about 70% of rare earths in 2023"
    assert claims[2].text == "The U.S. imposed Section 301 tariffs"


def test_insights_round_trip_canonicalises_markers_only() -> None:
    expected = """### What drives NdPr prices?

- **Supply:** China mined about 70% of rare earths in 2023 [1][3].
- Demand: EV magnet demand grew 12% [2]
- Policy: The U.S. imposed Section 301 tariffs [4].

### Who else produces?

- Lynas: Lynas produced 10,900 t in FY2024 [2]. It is expanding [5]."""
    assert render(parse(INSIGHTS)) == expected
    assert render(parse(expected)) == expected  # canonical text is a fixed point


def test_brief_paragraph_and_wrapped_lines() -> None:
    text = "China leads [1]. Lynas is\nsecond [2].\n\n\nThe documents do not say more."
    blocks = parse(text)
    assert [b.kind for b in blocks] == ["paragraph", "blank", "blank", "paragraph"]
    assert [c.text for c in blocks[0].claims] == ["China leads", "Lynas is second"]
    assert (
        render(blocks) == "China leads [1]. Lynas is second [2].\n\nThe documents do not say more."
    )


def test_long_prefix_with_colon_is_not_a_label() -> None:
    (block,) = parse("- China holds 70% of mining: the rest is spread out [1].")
    assert block.label == ""
    assert block.claims[0].text.startswith("China holds 70% of mining:")


def test_bold_line_counts_as_heading_and_numbered_list_as_bullets() -> None:
    blocks = parse("**What changed in 2025?**\n1. Licences [2]\n2. Quotas [3]")
    assert [b.kind for b in blocks] == ["heading", "bullet", "bullet"]
    assert [b.prefix for b in blocks[1:]] == ["1. ", "2. "]
    assert render(blocks) == "**What changed in 2025?**\n1. Licences [2]\n2. Quotas [3]"


def test_inline_numbered_list_is_not_cut_at_its_numbers() -> None:
    # the small model writes lists inline; "1." is a label, not a full stop
    text = (
        "The plan has three strands: 1. Recovering associated elements [1]. "
        "2. Exploration for new mines [1]. 3. Building magnet plants [2]."
    )
    claims = [parse_claim(s) for s in split_sentences(text)]
    assert [c.text for c in claims] == [
        "The plan has three strands: Recovering associated elements",
        "Exploration for new mines",
        "Building magnet plants",
    ]
    assert [c.citations for c in claims] == [[1], [1], [2]]
    # a number ending a sentence is still a full stop
    assert split_sentences("Output rose to 12. Prices fell.") == [
        "Output rose to 12.",
        "Prices fell.",
    ]


@pytest.mark.parametrize(
    ("draft", "kept"),
    [
        ("China mined 270,000 t [1]. It intends to", "China mined 270,000 t [1]."),
        (
            "### Q?\n- **Floor level**: $110 per kg [1].\n- **EVs and wind**:",
            "### Q?\n- **Floor level**: $110 per kg [1].",
        ),
        (
            "- **Floor level**: $110 per kg [1].\n- **World Resources",
            "- **Floor level**: $110 per kg [1].",
        ),
        ("- **Floor level**: $110 per kg [1]", "- **Floor level**: $110 per kg [1]"),
        ("It was 16,000 t [1]. Australia followed.", "It was 16,000 t [1]. Australia followed."),
        ("A short answer without a period", "A short answer without a period"),
        ("### A heading only", "### A heading only"),
    ],
)
def test_a_sentence_cut_off_by_the_generation_cap_is_dropped(draft: str, kept: str) -> None:
    assert without_cut_tail(draft) == kept


def test_a_cut_sentence_copied_from_a_source_is_completed_from_it() -> None:
    source = (
        "A hub strategy is a reminder that a pause does not change the long-term direction: "
        "China intends to remain the centre of gravity for rare earth materials. Next sentence."
    )
    draft = "- **Floor level**: $110 per kg [1].\n- **Direction**: The long-term direction: China intends to"
    assert without_cut_tail(draft, [source]) == (
        "- **Floor level**: $110 per kg [1].\n- **Direction**: The long-term direction: "
        "China intends to remain the centre of gravity for rare earth materials."
    )
    # a cut sentence no source continues is dropped
    assert without_cut_tail(draft, ["Unrelated text."]) == "- **Floor level**: $110 per kg [1]."
