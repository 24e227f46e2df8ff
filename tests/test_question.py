"""Question parts and constraints: what a question asks, and what its answer must respect."""

from __future__ import annotations

import pytest

from rag.question import (
    DateConstraint,
    answer_kind,
    answers_kind,
    other_date,
    question_constraints,
    question_parts,
    unmet_constraint,
)


@pytest.mark.parametrize(
    ("question", "parts"),
    [
        (
            "Who signed the U.S.-Japan critical minerals framework, and where?",
            ["Who signed the U.S.-Japan critical minerals framework", "where"],
        ),
        ("Who discovered scandium, and in what year?", ["Who discovered scandium", "what year"]),
        (
            "What did the Department of Defense award MP Materials in February 2022, and what did "
            "MP commit to invest?",
            [
                "What did the Department of Defense award MP Materials in February 2022",
                "what did MP commit to invest",
            ],
        ),
        # a lead-in is not a part of its own
        (
            "According to USGS, which rare earth mineral was mined at Mountain Pass in 2024?",
            ["According to USGS, which rare earth mineral was mined at Mountain Pass in 2024"],
        ),
        ("Why do magnets need dysprosium?", ["Why do magnets need dysprosium"]),
        # a comparison asks for each of its sides
        (
            "How does the MP Materials NdPr price floor compare with the 2024 average "
            "neodymium oxide price?",
            [
                "how much is the MP Materials NdPr price floor",
                "how much is the 2024 average neodymium oxide price",
            ],
        ),
        (
            "How does the US-Japan framework differ from the US-Australia framework?",
            ["what about the US-Japan framework", "what about the US-Australia framework"],
        ),
        # a side that is only a year borrows the other side's words
        (
            "How did the neodymium oxide price in 2024 compare with 2022 in the USGS data?",
            [
                "how much is the neodymium oxide price in 2024",
                "how much is the neodymium oxide price in 2022 in the USGS data",
            ],
        ),
        (
            "How many people worked at U.S. rare earth mines in 2024, compared with 2020?",
            [
                "How many people worked at U.S. rare earth mines in 2024",
                "How many people worked at U.S. rare earth mines in 2020",
            ],
        ),
        # "that" gives way to the premise before it
        (
            "If Bayan Obo supplies nearly half of global production, how does that compare with "
            "China's share of world mine output in 2024?",
            [
                "If Bayan Obo supplies nearly half of global production",
                "how much is China's share of world mine output in 2024",
            ],
        ),
        # "compared with" after a question of its own keeps that question
        (
            "How did the Section 301 action treat permanent magnets compared with electric "
            "vehicles?",
            [
                "How did the Section 301 action treat permanent magnets",
                "what about electric vehicles",
            ],
        ),
    ],
)
def test_question_parts(question: str, parts: list[str]) -> None:
    assert question_parts(question) == parts


def test_constraints_read_dates_years_identifiers_and_names() -> None:
    c = question_constraints(
        "What did China agree to do about the export controls it announced on October 9, 2025?"
    )
    assert c.dates == (DateConstraint(2025, 10, 9),) and c.years == ()
    assert c.names == ("China",)
    c = question_constraints("How much does 42 U.S.C. 13344 authorize in fiscal year 2024?")
    assert c.identifiers == ("13344",) and c.years == (2024,)
    c = question_constraints("How much did the United States import in 1989, according to USGS?")
    assert c.years == (1989,) and c.names == ("United States",)  # USGS is the source named
    c = question_constraints("What Section 301 change did the May 2024 fact sheet announce?")
    assert c.dates == (DateConstraint(2024, 5),) and c.identifiers == ("301",)
    assert "Section" not in c.names  # part of an identifier, not an entity


def test_a_day_is_met_only_by_that_day() -> None:
    oct9 = question_constraints("What happened to the controls China announced on October 9, 2025?")
    assert not unmet_constraint(
        oct9, "China will suspend the controls it announced on October 9, 2025."
    )
    assert not unmet_constraint(oct9, "On October 9, China widened its controls.", "2025-11-01")
    # April's element list does not answer a question about October's controls
    assert unmet_constraint(
        oct9, "China suspended exports of six heavy rare earths.", "april 15, 2025"
    )
    assert unmet_constraint(
        oct9, "The 1 November 2025 fact sheet set out the outcome.", "2026-01-20"
    )


def test_a_sentence_about_another_date_does_not_answer_for_the_asked_one() -> None:
    oct9 = question_constraints("Which elements did China add to its licensing on 9 October 2025?")
    april = "On 4 April 2025, China placed licensing requirements on seven rare earth elements."
    listed = "The elements added were samarium, gadolinium, terbium and dysprosium."
    assert other_date(oct9, april, listed, "Export controls | 2025-11-12") == (
        "its sentence is about april 4, 2025"
    )
    # a sentence of the asked day, or with no date, or a date the claim gives itself, binds not
    assert not other_date(oct9, "On 9 October 2025 MOFCOM added five elements.", listed)
    assert not other_date(oct9, "Holmium, erbium and thulium were added.", listed)
    took = "The 9 October controls take effect on 8 November 2025."
    assert not other_date(oct9, "The measures apply from 8 November 2025.", took)
    # the question names a document by its date: its sentences may date other events
    fact_sheet = question_constraints("What did the November 1, 2025 fact sheet say about Xi?")
    met = "On October 30, 2025, President Trump met President Xi in Busan."
    assert not other_date(fact_sheet, met, "Trump met Xi.", "Fact sheet | 2025-11-01")
    assert other_date(fact_sheet, met, "Trump met Xi.", "Remarks | 2025-11-03")
    # a month asked is met by any day of it
    october = question_constraints("What did China announce in October 2025?")
    assert not other_date(october, "On 9 October 2025 MOFCOM announced more.", "It added five.")
    assert not other_date(question_constraints("What happened in 2025?"), april, listed)


def test_a_month_is_met_by_any_day_of_it_and_by_the_document_date() -> None:
    c = question_constraints("How did the November 2025 U.S.-China deal change the outlook?")
    assert not unmet_constraint(c, "The deal of November 1, 2025 paused the U.S.-China controls.")
    assert not unmet_constraint(
        c, "China will issue general licenses to U.S. buyers.", "Fact sheet | november 2025"
    )


def test_a_year_binds_to_the_passage_when_the_passage_names_years() -> None:
    c = question_constraints("What was China's rare earth mine production in 2025?")
    record = "China: mine production 2023 = 255,000 t; mine production 2024 = 270,000 t"
    # the report is dated 2025, but its table row is about 2023 and 2024
    assert unmet_constraint(c, record, "Rare Earths | 2025-02-25 | usgs mcs2025")
    assert not unmet_constraint(c, "China's output quota rose again.", "Fact sheet | 2025-04-15")


def test_identifiers_and_names() -> None:
    c = question_constraints("What feedstock should the facility in 42 U.S.C. 13344 use?")
    assert not unmet_constraint(c, "feedstock derived from acid mine drainage", "uscode 42usc13344")
    assert unmet_constraint(c, "feedstock derived from acid mine drainage", "wh 2022 fact sheet")
    mp = question_constraints("What did the DoD award MP Materials?")
    assert unmet_constraint(mp, "The DoD awarded Lynas USA $258 million.")
    assert not unmet_constraint(mp, "The DoD awarded MP Materials $35 million.")
    long = question_constraints(
        "Who leads the U.S.-Australia Critical Minerals Supply Security Response Group?"
    )
    assert not unmet_constraint(long, "The Critical Minerals Supply Security Response Group ...")


def test_a_month_is_a_date_not_part_of_a_name() -> None:
    c = question_constraints(
        "Under Biden's February 2021 supply chain order, which cabinet secretary had to assess "
        "risks in the EV battery supply chain?"
    )
    assert "Biden" in c.names and not any("February" in n for n in c.names)
    order = (
        "(ii) The Secretary of Energy shall submit a report identifying risks in the supply "
        "chain for high-capacity batteries, including electric-vehicle batteries."
    )
    # the lexicon's aliases hold for names too: "electric-vehicle" is "EV"
    assert not unmet_constraint(c, order, "Executive Order on America's Supply Chains | 2021-02-24")
    assert unmet_constraint(c, order, "Executive Order on America's Supply Chains | 2021-06-08")


def test_money_questions_need_a_sum_of_money() -> None:
    spend = "How much is the Department of War spending on the gallium refinery?"
    assert answer_kind(spend) == "money"
    assert answer_kind("What dollar amount of financing does the framework commit?") == "money"
    assert not answers_kind(spend, "It will invest in a 100 metric ton-per-year refinery [1].")
    assert answers_kind(spend, "It will invest $150 million in the refinery [1].")
    assert answers_kind("How much did buyers pay?", "Nd oxide: price 2024 ($/kg) = 56 [1].")
    assert answer_kind("What was the 2024 average price of praseodymium oxide?") == "figure"
    assert answer_kind("What price floor did DoD agree?") == "figure"


def test_a_question_naming_a_measure_asks_for_its_figure() -> None:
    """ "What was U.S. production in 1984?" asks for a tonnage as "how much" does: a blank cell
    read as an answer ("Nigeria has not available reserves") gives none."""
    reserves = "What rare earth reserves does USGS estimate for Nigeria?"
    for question in (
        reserves,
        "What was U.S. rare earth production in 1984 according to the USGS historical statistics?",
        "What was the world's total rare earth production in 1992?",
        "What was U.S. net import reliance for rare-earth compounds and metals in 2024?",
        "What were U.S. rare earth exports in 1980, per DS140?",
    ):
        assert answer_kind(question) == "figure", question
    assert not answers_kind(
        reserves, "The USGS estimates that Nigeria has not available reserves [1]."
    )
    assert answers_kind(reserves, "Nigeria's reserves are 30,000,000 t [1].")
    for question in (
        "What did China agree to do about the export controls it announced on October 9, 2025?",
        "What are the strategic implications of the proclamation's finding on production?",
        "What does the sequence of China's export controls since 2023 suggest?",
    ):
        assert answer_kind(question) != "figure", question


def test_answers_kind() -> None:
    assert answers_kind("How much did Australia mine in 2024?", "Australia mined 13,000 t [1].")
    assert not answers_kind("How much did Australia mine in 2024?", "Australia mined in 2024 [1].")
    assert answers_kind("When was 10X to be commissioned?", "In 2028 [2].")
    assert not answers_kind("When was it commissioned?", "It was commissioned [2].")
    assert answers_kind("Who discovered holmium?", "Per Teodor Cleve [1].")


def test_how_long_is_answered_by_a_duration() -> None:
    soon = "How soon after the U.S.-Australia framework must the two sides hold their ministerial?"
    assert answer_kind(soon) == "duration"
    assert answers_kind(soon, "They convene a Ministerial within 180 days of this Framework [2].")
    assert answers_kind("For how long?", "The floor is set for ten years [1].")
    assert not answers_kind(soon, "The two sides will hold a Ministerial [2].")


def test_a_constraint_of_one_side_of_a_comparison_does_not_bind() -> None:
    # "2030" is the benchmark's year; the current recycling rate is about now
    c = question_constraints(
        "How does the EU's 2030 recycling benchmark compare with the current recycling rate?"
    )
    assert c.years == ()
    # a kind both sides have binds, met by either
    c = question_constraints("How did the price in 2024 compare with 2022 in the USGS data?")
    assert set(c.years) == {2024, 2022}
    # "compared with" after a question keeps that question's frame
    c = question_constraints(
        "How did the May 2024 Section 301 action treat magnets compared with electric vehicles?"
    )
    assert c.dates == (DateConstraint(2024, 5),) and c.identifiers == ("301",)


def test_a_document_mentions_the_questions_subject_names() -> None:
    from rag.question import names_in

    constraints = question_constraints("What did MP Materials and Lynas say at the event?")
    text = "Remarks. ... Jim Litinsky, CEO of M.P. Materials: we recycle our water."
    assert names_in(constraints, text) == "MP Materials"
    assert names_in(constraints, "Nothing about either company.") == ""
