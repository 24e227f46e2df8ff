"""Support scoring: calibration on the hand-labelled set with the real embedder, plus each rule."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest

from rag.calibrate_support import choose, load_embedder, load_labelled, score_examples, sweep
from rag.support import (
    SUPPORT_THRESHOLD,
    Frame,
    SupportScorer,
    content_words,
    has_opposite,
    is_hedged,
    is_negated,
    qualifiers,
    score_support,
    stem,
    strip_attribution,
    word_bases,
)

LYNAS = (
    "Lynas Rare Earths produced 10,900 tonnes of NdPr oxide in fiscal year 2024, up from 8,600 "
    "tonnes a year earlier. The company processes ore from its Mount Weld mine in Western "
    "Australia at its plant in Kuantan, Malaysia."
)


@pytest.fixture(scope="session")
def minilm_embed():
    """The real all-MiniLM-L6-v2 embed callable, loaded once per process."""
    return load_embedder()


@pytest.fixture(scope="module")
def labelled():
    return load_labelled()


def test_labelled_file_covers_the_error_kinds(labelled) -> None:
    assert len(labelled) >= 60
    labels = Counter(e.label for e in labelled)
    assert labels[True] >= 30 and labels[False] >= 30
    kinds = {e.kind for e in labelled if not e.label}
    assert {
        "wrong_number",
        "wrong_entity",
        "wrong_year",
        "negation",
        "unrelated",
        "restates_question",
        "partial",
    } <= kinds
    assert len({e.id for e in labelled}) == len(labelled)


def test_calibrated_threshold_meets_the_bar(labelled, minilm_embed) -> None:
    scores = score_examples(labelled, minilm_embed)
    labels = [e.label for e in labelled]
    (overall,) = sweep(scores, labels, [SUPPORT_THRESHOLD])
    # measured at 0.70 (torch fp32): precision 0.911, recall 1.000 on all 163 pairs (0.897 / 1.000
    # on the first 140, unchanged by the holdout3 fixes)
    assert overall.precision >= 0.88 and overall.recall >= 0.9
    calib = [i for i, e in enumerate(labelled) if e.split == "calibration"]
    (first_set,) = sweep(
        [scores[i] for i in calib], [labels[i] for i in calib], [SUPPORT_THRESHOLD]
    )
    # measured: precision 0.920, recall 0.958 on the 96 pairs written first
    assert first_set.precision >= 0.9 and first_set.recall >= 0.9
    # the calibration rule (best F1 with precision >= 0.9) lands at 0.75 on this set; the constant
    # sits at most 0.1 below it on purpose, for recall on real model drafts (rag/support.py)
    rule = choose(sweep(scores, labels)).threshold
    assert rule - 0.1 <= SUPPORT_THRESHOLD <= rule


def test_lexical_only_scoring_is_usable_at_the_same_threshold(labelled) -> None:
    scores = score_examples(labelled, None)
    (row,) = sweep(scores, [e.label for e in labelled], [SUPPORT_THRESHOLD])
    # measured: precision 0.921, recall 1.000 (163 pairs)
    assert row.precision >= 0.88 and row.recall >= 0.85


def test_sweep_and_choose_hand_worked() -> None:
    rows = sweep([0.9, 0.8, 0.6, 0.4], [True, False, True, False], [0.5, 0.7, 0.85])
    assert [(r.threshold, r.precision, r.recall) for r in rows] == [
        (0.5, 2 / 3, 1.0),
        (0.7, 0.5, 0.5),
        (0.85, 1.0, 0.5),
    ]
    assert choose(rows, min_precision=0.9).threshold == 0.85


def test_numeric_veto_is_hard() -> None:
    good = score_support("Lynas produced 10,900 tonnes of NdPr oxide in FY2024.", LYNAS)
    assert good.numeric_ok and good.score >= SUPPORT_THRESHOLD
    for wrong in ("12,900 tonnes", "10,900 tonnes in 2023"):
        bad = score_support(f"Lynas produced {wrong} of NdPr oxide.", LYNAS)
        assert bad.score == 0.0 and not bad.numeric_ok and not bad.supports()
    missing = score_support("Lynas produced 12,900 tonnes of NdPr oxide.", LYNAS).missing_numbers
    assert [q.raw for q in missing] == ["12,900"]


def test_number_formats_still_match() -> None:
    s = score_support("Lynas output rose from 8.6 thousand to 10.9 thousand tonnes.", LYNAS)
    assert s.numeric_ok


def test_wrong_entity_is_penalised() -> None:
    s = score_support("MP Materials produced 10,900 tonnes of NdPr oxide in FY2024.", LYNAS)
    assert "name" in s.penalties and set(s.missing_names) == {"mp", "material"}
    assert not s.supports()


def test_negation_opposite_hedge_and_qualifier_penalties() -> None:
    assert "negation" in score_support("Lynas did not process ore at Kuantan.", LYNAS).penalties
    statute = (
        "Not later than 1 year after December 27, 2020, the Secretary shall submit to the "
        "Committee on Energy and Natural Resources a report on rare earth separation."
    )
    claim = "The Secretary submits a report to the Committee on Energy and Natural Resources."
    assert "negation" not in score_support(claim, statute).penalties  # a deadline, not "not"
    assert is_negated("The order does not set a deadline.")
    assert has_opposite("Prices fell in 2024.", "Prices rose in 2024.")
    assert has_opposite("The deal sets a price ceiling.", "DoD set a price floor of $110/kg.")
    assert has_opposite("The U.S. imported 1,920 t.", "Exports of ores were 1,920 t.")
    assert not has_opposite("Prices fell.", "Prices fell after they rose.")
    assert is_hedged("The refinery is expected to start in 2027.")
    assert not is_hedged("Exports fell in May 2025.")  # the month is not the modal
    forecast = "Capacity is 2,000 t. The company says capacity could later rise to 5,000 t."
    assert "hedge" in score_support("Capacity is 5,000 t.", forecast).penalties
    assert "hedge" not in score_support("Capacity is 2,000 t.", forecast).penalties
    assert qualifiers("the second-largest producer, the only one") == {"second largest", "only"}
    s = score_support(
        "The U.S. was the largest producer.", "The U.S. was the second-largest producer."
    )
    assert "qualifier" in s.penalties


def test_best_sentence_is_quoted() -> None:
    s = score_support("Lynas processes Mount Weld ore in Malaysia.", LYNAS)
    assert s.best_sentence == (
        "The company processes ore from its Mount Weld mine in Western Australia at its plant "
        "in Kuantan, Malaysia."
    )
    prices = "Analysts expect NdPr to reach US$90/kg by 2028. NdPr averaged US$58/kg in 2024."
    assert score_support("NdPr averaged US$58/kg in 2024.", prices).best_sentence == (
        "NdPr averaged US$58/kg in 2024."
    )


def test_light_stemming_and_aliases() -> None:
    assert stem("prices") == stem("price")
    assert stem("produced") == stem("produce") == stem("produces")
    assert stem("processing") == stem("processes") == stem("process")
    assert stem("licences") == stem("licensing") and stem("defence") == stem("defense")
    assert stem("organised") == stem("organized")
    assert stem("submitted") == stem("submitting") == stem("submit")  # a doubled consonant
    assert stem("planned") == stem("plan") and stem("shipped") == stem("ships")
    assert stem("installed") == stem("install") and stem("added") == stem("add")
    assert set(content_words("U.S. output")) == set(content_words("United States output"))
    assert "china" in content_words("Chinese quotas")
    assert content_words("the Pentagon") == content_words("the U.S. Department of Defense")
    assert content_words("M.P. Materials in the E.U.") == content_words("MP Materials in the EU")


def test_context_adds_words_but_never_figures() -> None:
    quota = "China set its 2024 quota at 270,000 tonnes, an increase of 5.9% from 2023."
    bare = score_support("It rose 5.9% from 2023.", quota)
    with_ctx = score_support("It rose 5.9% from 2023.", quota, context="China's 2024 quota")
    assert (bare.lexical, with_ctx.lexical) == (0.0, 0.75)  # china (x2) + quota of 4, not rose
    # the context's own figure is not checked: 2030 is absent from the passage
    assert score_support("It increased 5.9%.", quota, context="In 2030 prices").numeric_ok
    assert not score_support("It hit 2030 levels.", quota, context="China's quota").numeric_ok


def test_scorer_embeds_each_text_once() -> None:
    calls: list[list[str]] = []

    def fake_embed(texts: list[str]) -> np.ndarray:
        calls.append(texts)
        return np.tile(np.array([1.0, 0.0], dtype=np.float32), (len(texts), 1))

    scorer = SupportScorer(fake_embed)
    scorer.prepare(["Lynas produced 10,900 tonnes [1]."], [LYNAS])
    assert len(calls) == 1
    assert calls[0][:2] == ["Lynas produced 10,900 tonnes.", LYNAS]  # markers stripped
    s = scorer.score("Lynas produced 10,900 tonnes [1].", LYNAS)
    assert len(calls) == 1 and s.cosine == 1.0


AUDIT = "In April 2025 China placed samarium, gadolinium and dysprosium under export licensing."


def test_element_symbols_and_names_match_both_ways() -> None:
    assert score_support("In April 2025 China licensed exports of Sm, Gd and Dy.", AUDIT).supports()
    table = "Export licensing in China from April 2025 covers Sm, Gd, Dy and their compounds."
    assert score_support("In April 2025 China licensed samarium exports.", table).supports()
    wrong = score_support("In April 2025 China licensed exports of Ho and Er.", AUDIT)
    assert "name" in wrong.penalties and set(wrong.missing_names) == {"holmium", "erbium"}
    # a lower-case element name the passage lacks is a missing name too
    assert "name" in score_support("China licensed terbium exports in April 2025.", AUDIT).penalties


def test_hedge_is_judged_on_the_clause_holding_the_figure() -> None:
    plant = (
        "Neo's Narva factory has an initial capacity of about 2,000 tonnes of magnets a year, "
        "with a possible expansion to about 5,000 tonnes."
    )
    assert "hedge" not in score_support("Narva makes 2,000 t of magnets a year.", plant).penalties
    assert "hedge" in score_support("Narva makes 5,000 t of magnets a year.", plant).penalties


def test_world_figure_given_to_one_country_is_penalised() -> None:
    world = "Global mine production rose to 390,000 tonnes in 2024, with China at 270,000 tonnes."
    assert (
        "scope" in score_support("China's mine production rose to 390,000 tonnes.", world).penalties
    )
    assert "scope" not in score_support("World mine production rose to 390,000 t.", world).penalties
    assert "scope" not in score_support("China mined 270,000 tonnes in 2024.", world).penalties
    # an unnamed subject is vague, not wrong; shares are "of global" by nature
    assert "scope" not in score_support("Mine production rose to 390,000 t.", world).penalties


def test_agreement_and_kind_of_money_are_opposites() -> None:
    differ = "A 2022 fact sheet used a different figure: China held 87% of the magnet market."
    assert has_opposite("The sources agree that China held 87% of the market.", differ)
    assert not has_opposite("A 2022 fact sheet put China's share at 87%.", differ)
    loan = "Iluka received an A$1.65 billion government loan for the Eneabba refinery."
    assert has_opposite("The refinery's capital cost is an A$1.65 billion loan.", loan)
    assert not has_opposite("Iluka got an A$1.65 billion loan.", loan)


def test_derivations_accents_and_aliases_match() -> None:
    assert word_bases(stem("producer")) & word_bases(stem("production"))
    assert word_bases(stem("separation")) & word_bases(stem("separate"))
    assert not word_bases(stem("important")) & word_bases(stem("import"))
    assert not word_bases(stem("station")) & word_bases(stem("state"))
    lynas = score_support(
        "Lynas is the largest producer outside China.",
        "Lynas has the largest production outside China.",
    )
    assert lynas.lexical == 1.0
    assert content_words("Sillamäe") == content_words("Sillamae")
    assert "china" in content_words("MOFCOM licences")
    assert set(content_words("NdFeB magnets")) == set(content_words("neodymium-iron-boron magnets"))
    assert "heat" in content_words("at high operating temperatures")
    # the U.S. Code is not the United States
    assert "usa" not in content_words("42 U.S.C. 13344") and "usc" in content_words("42 USC 13344")


@pytest.mark.parametrize(
    ("claim", "stripped"),
    [
        (
            "According to the September 2024 White House fact sheet, Mountain Pass is the only mine",
            "Mountain Pass is the only mine",
        ),
        (
            "U.S. rare earth production in 1984 according to the USGS statistics (DS140) was 25,300 t",
            "U.S. rare earth production in 1984 was 25,300 t",
        ),
        (
            "The dysprosium oxide price in 2024 in the USGS data was $260/kg",
            "The dysprosium oxide price in 2024 was $260/kg",
        ),
        (
            "Global production rose to 390,000 t, according to USGS",
            "Global production rose to 390,000 t",
        ),
        ("According to USGS, yes", "According to USGS, yes"),  # too little left: kept whole
        ("China refines most rare earths", "China refines most rare earths"),
    ],
)
def test_strip_attribution(claim: str, stripped: str) -> None:
    assert strip_attribution(claim) == stripped


def test_a_figure_is_the_whole_answer_when_the_rest_restates_the_question() -> None:
    """ "The authorized amount ... in fiscal year 2024 is $25,400,000" adds only the figure to
    the question: the passage line holding that figure with that year supports it; the same
    sentence with the figure of another year does not, nor a figure the question gave."""
    from rag.support import Frame

    code = (
        "(A) $23,000,000 for each of fiscal years 2021 and 2022;\n(B) $24,200,000 for fiscal "
        "year 2023;\n(C) $25,400,000 for fiscal year 2024;\n(D) $26,600,000 for fiscal year 2025"
    )
    question = (
        "How much does 42 U.S.C. 13344 authorize for DOE's coal-based rare earth research in "
        "fiscal year 2024?"
    )
    frame = Frame.of(question)
    claim = "The authorized amount for DOE's coal-based research in fiscal year 2024 is {}."
    right = score_support(claim.format("$25,400,000"), code, frame=frame)
    assert right.score >= SUPPORT_THRESHOLD
    other_year = score_support(claim.format("$24,200,000"), code, frame=frame)
    assert other_year.score < SUPPORT_THRESHOLD


def test_a_dated_will_is_a_schedule_not_a_possibility() -> None:
    tariff = "The tariff rate on electric vehicles will increase from 25% to 100% in 2024."
    claim = "The action raised the tariff rate on electric vehicles from 25% to 100% in 2024."
    assert "hedge" not in score_support(claim, tariff).penalties
    # without the year, or with a real possibility, the hedge still binds
    assert "hedge" in score_support(claim, tariff.replace(" in 2024", "")).penalties
    maybe = "The tariff rate on electric vehicles could increase from 25% to 100% in 2024."
    assert "hedge" in score_support(claim, maybe).penalties


def test_is_to_be_is_a_plan() -> None:
    assert is_hedged("The 10X facility is to be commissioned in 2028.")
    assert is_hedged("The plant is set to open in 2027.")
    assert not is_hedged("The plant opened in 2025.")


def test_the_verb_of_a_place_is_frame_not_fact() -> None:
    """ "is located in" states no fact of its own: the place does ("where in Texas is it?")."""
    question = (
        "How many EVs could MP Materials' Texas magnet plant supply, and where in Texas is it?"
    )
    passage = "M.P. Materials is advancing its magnet manufacturing facility in Fort Worth, Texas."
    claim = "MP Materials' Texas magnet plant is located in Fort Worth, Texas."
    assert score_support(claim, passage, frame=Frame.of(question)).lexical == 1.0
    wrong = "MP Materials' Texas magnet plant is located in Austin, Texas."
    assert score_support(wrong, passage, frame=Frame.of(question)).lexical < 0.7
