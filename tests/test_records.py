"""Figures read from table records must come from the right row and the right column."""

from __future__ import annotations

import pytest

from rag.records import blank_for, check_records, misread_in_prose, parse_records, record_line

USGS = (
    "Australia: mine production 2023 (estimated) = 16,000 t (note 12); mine production 2024 "
    "(estimated) = 13,000 t (note 12); reserves = 5,700,000 t (note 13)\n"
    "China: mine production 2023 (estimated) = 255,000 t (note 14); mine production 2024 "
    "(estimated) = 270,000 t (note 14); reserves = 44,000,000 t\n"
    "World total (rounded): mine production 2023 (estimated) = 376,000 t; mine production 2024 "
    "(estimated) = 390,000 t; reserves = more than 90,000,000 t"
)
DS140 = (
    "1913: apparent consumption = 15 t\n"
    "1984: production = 25300 t; imports = 2950 t; exports = 1600 t; world production = 39700 t"
)


def test_cells_carry_row_label_and_column() -> None:
    cells = parse_records(USGS)
    assert len(cells) == 9
    assert cells[1].label == "Australia" and cells[1].header == "mine production 2024 (estimated)"
    nested = parse_records("Imports for consumption: Compounds and metals: 2020 = 8,300 t")
    assert nested[0].label == "Imports for consumption: Compounds and metals"
    assert parse_records("A sentence: no cells here.") == []


def test_cells_of_one_row_make_a_record_that_parses_back() -> None:
    cells = [c for c in parse_records(USGS) if c.label == "Australia"]
    line = record_line(cells[1:])
    assert line.startswith("Australia: mine production 2024 (estimated) = ")
    assert parse_records(line) == cells[1:]
    assert cells[0].line == record_line(cells[:1])


@pytest.mark.parametrize(
    ("claim", "question"),
    [
        ("Australia mined 13,000 t in 2024.", ""),
        ("It mined 13,000 t in 2024.", "How much did Australia mine?"),  # the row from the question
        ("China mined 255,000 tons of rare earth in 2023.", ""),
        ("Global rare earth mine production in 2024 was 390,000 tons.", ""),
        ("Australia's reserves are 5.7 million tonnes.", ""),
    ],
)
def test_right_row_and_column_back_the_figure(claim: str, question: str) -> None:
    check = check_records(claim, USGS, question)
    assert check.backed and not check.wrong


@pytest.mark.parametrize(
    ("claim", "why"),
    [
        ("Australia's reserves are 13,000 t.", "mine production 2024"),  # wrong column
        ("China's mine production in 2025 was 255,000 tons.", "column"),  # wrong year
        ("China's 2024 mine production was 390,000 tons.", "World total"),  # wrong row
        ("The value of Australia's 2024 output was 13,000 t.", "tonnage"),  # tonnes as money
    ],
)
def test_a_figure_from_another_cell_is_a_misread(claim: str, why: str) -> None:
    check = check_records(claim, USGS)
    assert not check.backed and why in next(iter(check.wrong.values()))


def test_measures_and_scope_must_agree() -> None:
    assert check_records("The United States produced 15 t in 1913.", DS140).wrong
    assert check_records("U.S. production in 1984 was 25,300 t.", DS140).backed
    assert check_records("World production in 1984 was 25,300 t.", DS140).wrong
    assert check_records("World production in 1984 was 39,700 t.", DS140).backed


def test_footnote_markers_are_never_figures() -> None:
    # the injected "12 tons" must not be backed by "(note 12)"
    check = check_records("China's 2024 mine production was 12 tons.", USGS)
    assert not check.backed


def test_a_footnote_clause_says_what_its_figure_measures() -> None:
    """A footnote cell's header ("note 3") names no measure; the clause holding the figure
    does. The claim's own measure binds even when a multi-part question names several."""
    notes = (
        "Salient Statistics—United States, notes: t = metric tons; note 3 = In 2023 and 2024, "
        "reported production includes Utah. Total domestic production in 2023 and 2024 was "
        "1,920 tons and 7,600 tons, respectively; note 5 = Defined as production + imports – exports"
    )
    question = "How do 2024 U.S. exports of ores and compounds compare with mine production?"
    wrong = check_records(
        "The 2024 U.S. exports of ores and compounds were 7,600 tons.", notes, question
    )
    assert "7,600" in wrong.wrong and not wrong.backed
    right = check_records("Total domestic production in 2024 was 7,600 tons.", notes, question)
    assert right.backed and not right.wrong


def test_a_blank_cell_gives_no_figure_for_its_measure() -> None:
    nigeria = (
        "Nigeria: mine production 2023 (estimated) = 7,200 t (note 12); mine production 2024 "
        "(estimated) = 13,000 t (note 12); reserves = not available"
    )
    greenland = "Greenland: mine production 2024 (estimated) = zero; reserves = 1,500,000 t"
    assert blank_for(nigeria, "What rare earth reserves does USGS estimate for Nigeria?")
    assert not blank_for(nigeria, "How much did Nigeria mine in 2024?")
    assert not blank_for(greenland, "How much did Greenland mine in 2024?")  # zero is a figure
    assert not blank_for(greenland, "Who discovered holmium?")  # no measure asked


def test_a_figure_of_another_measure_in_prose_is_a_misread() -> None:
    prose = (
        "- Per USGS: China's reserves are 44,000,000 t REO of a world total above 90,000,000 t; "
        "China's 2024 mine production was 270,000 t of 390,000 t."
    )
    wrong = misread_in_prose("China's share of world mine output in 2024 is 44,000,000 t.", prose)
    assert "44,000,000" in wrong and "reserves" in wrong["44,000,000"]
    assert misread_in_prose("China's reserves are 44,000,000 t.", prose) == {}
    assert misread_in_prose("China mined 270,000 t in 2024.", prose) == {}
    # a clause naming no measure, or a claim naming none, says nothing against the figure
    assert misread_in_prose("China's output was 44,000,000 t.", "China holds 44,000,000 t.") == {}
    assert misread_in_prose("China has 44,000,000 t.", prose) == {}
    # synonyms of a measure agree with it
    japan = "Japan reduced its dependence on Chinese rare earths from about 90% to 60%."
    assert misread_in_prose("Japan cut its reliance on China from about 90% to 60%.", japan) == {}


def test_a_bounded_figure_from_another_column_is_a_misread() -> None:
    """c053 of the shared suite: "net import reliance for compounds and metals in 2024 was more
    than 95%" read the 2021-2023 cells; the 2024 cell says 80%. The bound ("more than") made the
    figure match no cell, so the column check never ran and the figure passed as plain text."""
    record = (
        "Net import reliance as a percentage of apparent consumption (notes 7, 8): Compounds "
        "and metals: 2020 = 100%; 2021 = more than 95%; 2022 = more than 95%; 2023 = more than "
        "95%; 2024 (estimated) = 80%"
    )
    wrong = check_records(
        "Net import reliance for rare-earth compounds and metals in 2024 was more than 95%.",
        record,
    )
    assert "95%" in wrong.wrong and "column" in wrong.wrong["95%"]
    right = check_records("In 2023 reliance for compounds and metals was more than 95%.", record)
    assert right.backed and not right.wrong
    # a plain figure where the cell writes a bound is not the cell's figure
    assert not check_records("In 2023 reliance for compounds and metals was 95%.", record).backed
