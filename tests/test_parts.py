"""Which parts of a multi-part question an answer leaves out (rag.parts), on real phrasings of
the dev suites' questions and the answers the local model gave them."""

from __future__ import annotations

import pytest

from rag.parts import answers_part, repeats, unanswered_parts, with_part
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
