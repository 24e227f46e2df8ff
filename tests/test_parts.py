"""Which parts of a multi-part question an answer leaves out (rag.parts), on real phrasings of
the dev suites' questions and the answers the local model gave them."""

from __future__ import annotations

import pytest

from rag.parts import adds_to_question, answers_part, repeats, unanswered_parts, with_part
from rag.verify import ClaimVerdict, Verification


@pytest.mark.parametrize(
    ("question", "answer", "missing"),
    [
        # "where" needs a place, "who discovered it" the discoverer
        (
            "Who signed the U.S.-Malaysia critical minerals MOU, and where?",
            "President Donald J. Trump signed the U.S.-Malaysia critical minerals MOU [1].",
            ["where"],
        ),
        (
            "What is lutetium's atomic number, and who discovered it?",
            "Lutetium's atomic number is 71 [1].",
            ["who discovered it"],
        ),
        # the first part left out: its own words (Defense, award) are in no sentence
        (
            "What did the Department of Defense award MP Materials in February 2022, "
            "and what did MP commit to invest?",
            "MP committed to investing another $700 million by 2024 [1].",
            ["What did the Department of Defense award MP Materials in February 2022"],
        ),
        # both parts answered: "mined" answers "mine", "in 1879" answers "what year"
        (
            "What reserves does USGS list for India, and how much did India mine in 2024?",
            "The USGS lists 6,900,000 t of reserves for India [1]. India mined 2,900 t in 2024 [1].",
            [],
        ),
        (
            "Who discovered scandium, and in what year?",
            "Lars Fredrik Nilson discovered scandium in 1879 [1].",
            [],
        ),
        # a sentence that only restates the question answers no part ...
        (
            "What investment in Harena Rare Earths was announced in August 2026, and where is "
            "its project?",
            "The investment in Harena Rare Earths was announced in August 2026 [2]. "
            "Its project is in Madagascar [2].",
            ["What investment in Harena Rare Earths was announced in August 2026"],
        ),
        (
            "How many EVs could MP Materials' Texas magnet plant supply, and where in Texas is it?",
            "The plant could supply magnets for more than 500,000 EV motors a year [1]. "
            "The plant is located in Texas [2].",
            ["where in Texas is it"],
        ),
        # ... "who" wants a name the question does not have, not the question's own country
        (
            "Who signed the U.S.-Japan critical minerals framework, and where?",
            "The United States signed the U.S.-Japan critical minerals framework on October 28, "
            "2025 [1]. The framework was signed in Tokyo [1].",
            ["Who signed the U.S.-Japan critical minerals framework"],
        ),
        # the kind of answer is named by an instance: an outlet by a newspaper, "how long" by a
        # duration
        (
            "By what year is Baotou meant to become a rare earth hub, and which outlet reported "
            "the plan?",
            "Baotou is meant to become a rare earth hub by 2035 [1]. The plan was reported by "
            "the South China Morning Post [1].",
            [],
        ),
        (
            "What price floor did the Department of Defense guarantee MP Materials, and for how "
            "long?",
            "The Department of Defense guaranteed MP Materials a price floor of $110 per "
            "kilogram of NdPr oxide for 10 years [3].",
            [],
        ),
        # a comparison wants the figure of each side; a year is not a figure
        (
            "How does the MP Materials NdPr price floor compare with the 2024 average neodymium "
            "oxide price?",
            "The MP Materials NdPr price floor is almost twice the average neodymium oxide "
            "price in 2024 [2].",
            [
                "how much is the MP Materials NdPr price floor",
                "how much is the 2024 average neodymium oxide price",
            ],
        ),
        (
            "How does the MP Materials NdPr price floor compare with the 2024 average neodymium "
            "oxide price?",
            "The MP Materials NdPr price floor of $110 per kilogram [1] is about twice the "
            "2024 average neodymium oxide price of $56 per kilogram [2].",
            [],
        ),
        # a side of its own year is answered only by a sentence about that year
        (
            "How did the neodymium oxide price in 2024 compare with 2022?",
            "The neodymium oxide price was $56 per kilogram in 2024 [1].",
            ["how much is the neodymium oxide price in 2022"],
        ),
        # parts told apart by names are answered by naming theirs (s046: the USGS sentence
        # shares "world reserves" with the SCMP side, not its names)
        (
            "How does the SCMP's estimate of Bayan Obo's share of world reserves compare with "
            "USGS reserve data for China?",
            "USGS estimates China's reserves at 44,000,000 t, of world reserves of more than "
            "90,000,000 t [1].",
            ["how much is the SCMP's estimate of Bayan Obo's share of world reserves"],
        ),
        (
            "How does the SCMP's estimate of Bayan Obo's share of world reserves compare with "
            "USGS reserve data for China?",
            "The SCMP puts Bayan Obo at more than 40% of world reserves [2]. USGS estimates "
            "China's reserves at 44,000,000 t [1].",
            [],
        ),
        # a one-part question has no part to leave out
        ("How much rare earth oxide did China mine in 2024?", "China mined 270,000 t [1].", []),
    ],
)
def test_unanswered_parts(question: str, answer: str, missing: list[str]) -> None:
    assert unanswered_parts(question, answer) == missing


def test_a_part_is_answered_only_by_text_holding_what_it_asks_for() -> None:
    q = "Which company operates the White Mesa Mill, and where is it?"
    assert answers_part(q, "where is it", "The White Mesa Mill near Blanding, Utah, is a mill.")
    assert not answers_part(q, "where is it", "Energy Fuels operates the White Mesa Mill.")


def test_a_sentence_that_repeats_the_answer_adds_nothing() -> None:
    text = "Niron Magnetics develops and produces rare earth-free permanent magnets [1]."
    assert repeats("Niron Magnetics produces rare earth-free permanent magnets [1].", text)
    assert not repeats("Niron Magnetics is based in Minnesota [2].", text)
    # a short earlier sentence does not make a longer new one a repeat
    located = "The plant is located in Texas [2]."
    assert not repeats("The plant is located in Fort Worth, Texas [1].", located)


def test_a_figure_the_answer_does_not_give_is_new() -> None:
    text = "The action increased the tariff rate on EV batteries from 7.5% to 25% in 2024 [1]."
    later = "The tariff rate on non-EV batteries will increase from 7.5% to 25% in 2026 [1]."
    assert not repeats(later, text)
    # the same figures, reformatted, are no news
    same = (
        "The action increased the tariff rate on EV batteries from 7.5 percent to 25 percent [2]."
    )
    assert repeats(same, text)


def _verification(text: str, status: str = "verified") -> Verification:
    claim = ClaimVerdict(text=text, citations=[1], status=status, reason="")  # type: ignore[arg-type]
    return Verification(text=text, claims=[claim], invalid_markers=0, removed=0, repaired=0)


def test_with_part_appends_only_new_cited_sentences() -> None:
    answer = _verification("Energy Fuels operates the White Mesa Mill [1].")
    extra = _verification(
        "Energy Fuels operates the White Mesa Mill [1]. The mill is near Blanding, Utah [1]. "
        "The sources say nothing more."
    )
    whole = with_part(answer, extra)
    assert whole.text == (
        "Energy Fuels operates the White Mesa Mill [1]. The mill is near Blanding, Utah [1]."
    )
    assert len(whole.claims) == 2  # both verdicts kept for the record and the citations


def test_words_of_the_question_do_not_make_a_sentence_a_repeat() -> None:
    question = (
        "Under the April 2025 offshore minerals order, which law governs seabed exploration "
        "licenses beyond national jurisdiction, and which department issues them?"
    )
    text = (
        "Under the April 2025 offshore minerals order, the Deep Seabed Hard Mineral Resources Act "
        "governs seabed exploration licenses beyond national jurisdiction [1]."
    )
    new = (
        "Under the April 2025 offshore minerals order, the Department of Commerce issues seabed "
        "mineral exploration licenses beyond national jurisdiction [1]."
    )
    assert not repeats(new, text, question)
    assert repeats(text, text, question)


def test_a_restatement_of_the_question_adds_nothing() -> None:
    q = (
        "The 2026 proclamation says U.S. rare earth oxides are exported for refining; how do "
        "2024 U.S. exports in the USGS figures compare with mine production?"
    )
    assert not adds_to_question(
        "The 2026 proclamation says U.S. rare earth oxides are exported for refining [3].", q
    )
    assert not adds_to_question("The USGS figures show that U.S. exports compare [1].", q)
    assert adds_to_question("U.S. exports were 43,000 t in 2024 [1].", q)  # a figure of its own
    assert adds_to_question("Most of the oxide goes to China [1].", q)  # a word of its own


def test_a_year_that_only_frames_a_part_is_not_required_of_its_answer() -> None:
    # the year is met by the document's date; no other part has a year to tell it apart
    q = "What investment in Harena Rare Earths was announced in August 2026, and where is it?"
    part = "What investment in Harena Rare Earths was announced in August 2026"
    assert answers_part(q, part, "The DFC is matching a $4.8 million investment into Harena.")
