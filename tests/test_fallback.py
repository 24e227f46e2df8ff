"""The quoted fallback answers only what the question asks (`rag.fallback.best_quote`)."""

from __future__ import annotations

from pathlib import Path

from test_evidence import hit

from rag.evidence import Passage
from rag.fallback import best_quote

PRICES = (
    "Salient statistics\n"
    "Price, average, dollars per kilogram: Dysprosium oxide, 99.5% minimum: 2023 = 330 $/kg; "
    "2024 (estimated) = 260 $/kg\n"
    "Price, average, dollars per kilogram: Neodymium oxide, 99.5% minimum: 2023 = 78 $/kg; "
    "2024 (estimated) = 56 $/kg"
)
PRODUCTION = (
    "World mine production\n"
    "China: mine production 2023 = 255,000 t; mine production 2024 (estimated) = 270,000 t\n"
    "World mine production and reserves, notes: t = metric tons; note 12 = estimated"
)


def passage(text: str, n: int = 1) -> Passage:
    return Passage(n, hit(text, title="Rare Earths", published="2025-02-25"), text)


def salient_statistics() -> tuple[str, list[str]]:
    """The caption and the records of the real USGS chapter's salient statistics table."""
    import pytest

    from ingest.loaders import load_document

    pdf = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "usgs_mcs2025_rare_earths.pdf"
    if not pdf.exists():
        pytest.skip("shared corpus file missing: usgs_mcs2025_rare_earths.pdf")
    caption = "Salient Statistics—United States"
    doc = load_document(pdf)
    return caption, [
        s.text.strip() for s in doc.sections if s.kind == "record" and s.section == caption
    ]


def test_a_quote_holds_the_element_the_question_names() -> None:
    asked = "What was the 2024 average price of neodymium oxide?"
    quote = best_quote(asked, [passage(PRICES)], embed=None)
    assert quote is not None and "Neodymium" in quote.text and "Dysprosium" not in quote.text
    assert (
        best_quote(
            "What was the 2024 average price of praseodymium oxide?", [passage(PRICES)], None
        )
        is None
    )


def test_no_quote_from_a_passage_about_other_years_or_from_notes() -> None:
    assert best_quote("What was China's mine production in 2024?", [passage(PRODUCTION)], None)
    assert (
        best_quote("What was China's mine production in 2025?", [passage(PRODUCTION)], None) is None
    )
    quote = best_quote(
        "What are the notes and units of world mine production?", [passage(PRODUCTION)], None
    )
    assert quote is None or "notes:" not in quote.text


def test_a_money_question_is_not_answered_by_a_tonnage() -> None:
    text = (
        "Fact sheet\n- The Department of War will invest in a 100 metric ton-per-year gallium "
        "refinery in Western Australia."
    )
    asked = (
        "How much is the Department of War spending on the gallium refinery in Western Australia?"
    )
    assert best_quote(asked, [passage(text)], None) is None


def test_no_quote_of_a_row_for_another_year_whose_source_names_the_asked_year() -> None:
    rows = (
        "2023, Greenland: mine_production_t_reo = 0 t; source = USGS Mineral Commodity "
        "Summaries 2025\n"
        "2024, Greenland: mine_production_t_reo = 0 t; source = USGS Mineral Commodity "
        "Summaries 2025"
    )
    asked = "How many tonnes of rare earth oxide did Greenland produce in 2025?"
    assert best_quote(asked, [passage(rows)], embed=None) is None
    quote = best_quote(asked.replace("2025", "2024"), [passage(rows)], embed=None)
    assert quote is not None and quote.text.startswith("2024, Greenland")


def test_a_record_whose_asked_cell_is_blank_is_not_quoted() -> None:
    table = (
        "World mine production and reserves\n"
        "Nigeria: mine production 2023 (estimated) = 7,200 t; mine production 2024 (estimated) "
        "= 13,000 t; reserves = not available"
    )
    reserves = "What rare earth reserves does USGS estimate for Nigeria?"
    assert best_quote(reserves, [passage(table)], None) is None
    quote = best_quote("How much did Nigeria mine in 2024?", [passage(table)], None)
    assert quote is not None and "13,000" in quote.text


def test_a_quote_must_meet_every_date_of_the_question() -> None:
    timeline = (
        "Timeline\n"
        "China agreed in November 2025 to suspend for one year the export controls it announced "
        "in October 2025 on rare earth elements."
    )
    asked = "What did China agree in November 2025 about its October 2025 export controls?"
    assert best_quote(asked, [passage(timeline)], None) is not None
    later = (
        "Did China reinstate its October 2025 export controls on rare earth elements when the "
        "suspension ended in November 2026?"
    )
    assert best_quote(later, [passage(timeline)], None) is None


def test_a_cell_whose_row_and_column_the_question_names_is_the_quote() -> None:
    """The real USGS salient statistics: the net import reliance row is long and the question
    shares few of its words as a whole, but names its row ("compounds and metals") and column
    (2024); the quote is that one cell. A question about another measure of the same rows
    ("the value of imports", the table gives tonnes) or another year still gets none."""
    caption, rows = salient_statistics()
    reliance = [r for r in rows if r.startswith("Net import reliance")]
    imports = [r for r in rows if r.startswith("Imports")]
    consumption = [r for r in rows if r.startswith("Consumption, apparent, compounds")]
    assert reliance and imports and consumption
    text = "\n".join([caption, *reliance, *imports, *consumption])

    asked = "What was U.S. net import reliance for rare-earth compounds and metals in 2024?"
    quote = best_quote(asked, [passage(text)], embed=None)
    assert quote is not None
    label, _, cell = quote.text.rpartition(": ")
    assert "Compounds and metals" in label and cell.startswith("2024") and "%" in cell
    assert ";" not in quote.text  # the one cell asked for, not the five-year row
    assert (
        best_quote(
            "What was U.S. net import reliance for rare-earth compounds and metals in 2026?",
            [passage(text)],
            None,
        )
        is None
    )
    assert (
        best_quote(
            "What was the value of U.S. imports of rare-earth compounds and metals in 2022?",
            [passage(text)],
            None,
        )
        is None
    )


def test_a_measure_the_question_names_in_other_words_names_the_row() -> None:
    """ "How many people worked at mines and mills" asks for the USGS "Employment, mine and
    mill" row (the lexicon's employment measure): its two asked columns are the quote. `accept`
    (one part of the question) narrows the candidates."""
    caption, rows = salient_statistics()
    employment = [r for r in rows if r.startswith("Employment")]
    assert employment
    text = "\n".join([caption, *employment])
    asked = "How many people worked at U.S. rare earth mines and mills in 2024, compared with 2020?"
    quote = best_quote(asked, [passage(text)], embed=None)
    assert quote is not None and quote.text.startswith("Employment")
    assert "2020 = " in quote.text and "2024" in quote.text and "2022" not in quote.text
    assert best_quote(asked, [passage(text)], None, accept=lambda unit: "Lynas" in unit) is None
