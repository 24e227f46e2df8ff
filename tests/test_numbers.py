"""Number reading and normalisation: hand-worked cases for every form the brief names."""

from __future__ import annotations

import pytest

from rag.numbers import Quantity, extract_quantities, normalize_numbers, unsupported_quantities


def values(text: str, **kw) -> list[tuple[float, str]]:
    return [(q.value, q.unit) for q in extract_quantities(text, **kw)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("25,300 t", [(25300.0, "")]),
        ("25300 t", [(25300.0, "")]),
        ("25\u2009300 t", [(25300.0, "")]),  # thin space
        ("25\u202f300 t", [(25300.0, "")]),  # narrow no-break space
        ("1.5 times", [(1.5, "")]),
        ("44 million people", [(44_000_000.0, "")]),
        ("1.2 billion", [(1_200_000_000.0, "")]),
        ("3 thousand", [(3000.0, "")]),
        ("2.5 bn", [(2_500_000_000.0, "")]),
        ("7 mn", [(7_000_000.0, "")]),
        ("$35M", [(35_000_000.0, "money")]),
        ("US$1 billion", [(1_000_000_000.0, "money")]),
        ("A$1.65 billion", [(1_650_000_000.0, "money")]),
        ("$500k", [(500_000.0, "money")]),
        ("RMB 1.2 billion", [(1_200_000_000.0, "money")]),
        ("35 million dollars", [(35_000_000.0, "money")]),
        ("35 million U.S. dollars", [(35_000_000.0, "money")]),
        ("87%", [(87.0, "percent")]),
        ("87 percent", [(87.0, "percent")]),
        ("87 per cent", [(87.0, "percent")]),
        ("390 kt", [(390_000.0, "")]),
        ("20 Mt", [(20_000_000.0, "")]),
        ("-5%", [(5.0, "percent")]),  # signs ignored
    ],
)
def test_single_figures(text: str, expected: list[tuple[float, str]]) -> None:
    assert values(text) == expected


def test_separators_and_scale_words_give_equal_quantities() -> None:
    assert extract_quantities("25,300") == extract_quantities("25300") == [Quantity(25300, "")]
    assert extract_quantities("44 million") == extract_quantities("44,000,000")
    assert extract_quantities("87%") == extract_quantities("87 per cent")


def test_ranges_give_both_ends_with_shared_unit() -> None:
    assert values("60-70%") == [(60.0, "percent"), (70.0, "percent")]
    assert values("60 to 70 percent") == [(60.0, "percent"), (70.0, "percent")]
    assert values("$1-2 billion") == [(1e9, "money"), (2e9, "money")]
    assert values("$1-2m") == [(1e6, "money"), (2e6, "money")]


def test_percent_then_money_is_two_figures_not_a_range() -> None:
    text = "revenue fell 52% to $253.4 million"
    assert values(text) == [(52.0, "percent"), (253_400_000.0, "money")]


def test_a_year_then_to_and_a_figure_is_two_mentions_not_a_range() -> None:
    text = "production grew from 3,600 t in 2023 to 13,000 t in 2024"
    assert values(text) == [(3600.0, ""), (2023.0, "year"), (13_000.0, ""), (2024.0, "year")]
    assert values("from 2020 to 2023") == [(2020.0, "year"), (2023.0, "year")]  # still a range


def test_years_and_dates() -> None:
    assert values("in 2024") == [(2024.0, "year")]
    assert values("2020-2025") == [(2020.0, "year"), (2025.0, "year")]
    assert values("on 2025-04-15") == [(2025.0, "year")]  # day and month ignored
    assert values("On 15 April 2025") == [(2025.0, "year")]
    assert values("April 15, 2025") == [(2025.0, "year")]
    # a year needs 4 bare digits: with a separator or unit it is a plain figure
    assert values("2,025 t") == [(2025.0, "")]
    assert values("12 may rise") == [(12.0, "")]  # lower-case "may" is not the month
    assert values("FY2024 and mid-2025") == [(2024.0, "year"), (2025.0, "year")]


def test_not_quantities() -> None:
    assert values("as reported [3] and [1, 2] or [S4] and 【5】 (Source 6)") == []
    assert values("1. First point\n2) Second point") == []
    assert values("the 3rd largest and the 21st") == []
    assert values("Q3 Nd2Fe14B COVID-19 CO2") == []
    # identifiers are read, but as identifiers ("id"), not as amounts
    assert values("Section 232 and Section 301") == [(232.0, "id"), (301.0, "id")]
    assert values("5 m long") == [(5.0, "")]  # "m" scales only after a currency
    assert values("pre-1,000 and 1,2345") == [(1.0, "")]  # never start inside a digit group


def test_number_words_only_on_request() -> None:
    assert values("two mines") == []
    assert values("two mines and three million tonnes", number_words=True) == [
        (2.0, ""),
        (3_000_000.0, ""),
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("25,300 t", "25300 t"),
        ("25\u2009300", "25300"),
        ("44 million people", "44000000 people"),
        ("87%", "87 percent"),
        ("87 per cent", "87 percent"),
        ("1.50", "1.5"),
        ("2.0x", "2x"),
        ("$35M", "$35000000"),
        ("A$1.65 billion", "A$1650000000"),
        ("a$1.65 billion", "a$1650000000"),  # the eval harness casefolds first
        ("60-70%", "60-70 percent"),
        ("390 kt", "390000 t"),
        ("see [3], Section 232, 2025-04-15", "see [3], Section 232, 2025-04-15"),
        ("no numbers here", "no numbers here"),
    ],
)
def test_normalize_numbers(text: str, expected: str) -> None:
    assert normalize_numbers(text) == expected


def test_normalize_for_must_include_matching() -> None:
    answer = "Output reached 44,000,000 t; China holds 87 per cent; capex A$1.65bn [2]."
    norm = normalize_numbers(answer).lower()
    for phrase in ("44 million", "87%", "A$1.65 billion"):
        assert normalize_numbers(phrase).lower() in norm


@pytest.mark.parametrize(
    ("claim", "passage"),
    [
        ("about 70%", "69.8%"),  # rounding to the claim's precision
        ("390,000 t", "390 thousand tonnes"),
        ("1.2 million", "1,200,000"),
        ("1.2 million", "1,234,567"),
        ("44 million", "43.6 million"),
        ("$35M", "US$35 million"),
        ("A$1.7 billion", "A$1.65 billion"),
        ("2 mines", "two mines"),
        ("rose 12% in 2023 [2]", "grew 12% in 2023"),
        ("$35 million", "35 million"),  # currency named elsewhere in the passage
        ("35", "35%"),
        # units: tonnes, tons, t, kt and Mt are the same kind of figure
        ("2,000 t", "about 2,000 tonnes"),
        ("2000 metric tons", "2,000 t"),
        ("2 kt", "2,000 tonnes"),
        ("0.39 Mt", "390,000 tonnes"),
        ("87 per cent", "87%"),
        ("$1.65bn", "US$1.65 billion"),
        # a constant-dollar column read back from its header (USGS DS140)
        (
            "the unit value in 1998 dollars was 11,700",
            "unit value (1998 U.S. dollars per metric ton) = 11700 98$/t",
        ),
        # identifiers: the same number in any citation form
        ("42 U.S.C. 13344", "#### § 13344. Rare earth elements"),
        ("EO 14154", "Executive Order No. 14154"),
        ("Section 232", "a section 232 investigation"),
        ("Public Law 117-58", "Pub. L. 117-58"),
    ],
)
def test_supported_quantities(claim: str, passage: str) -> None:
    assert unsupported_quantities(claim, passage) == []


@pytest.mark.parametrize(
    ("claim", "passage", "missing"),
    [
        ("390,000 t", "270,000 t", Quantity(390000, "")),
        ("about 70%", "70.6%", Quantity(70, "percent")),
        ("69.8%", "70%", Quantity(69.8, "percent")),  # more precise than the source
        ("25,300 t", "25,320 t", Quantity(25300, "")),  # no blanket relative slack
        ("A$2 billion", "A$1.65 billion", Quantity(2e9, "money")),  # coarser than 2 figures
        ("in 2024", "in 2025", Quantity(2024, "year")),
        ("35%", "35 tonnes", Quantity(35, "percent")),
        ("44 thousand", "44 million", Quantity(44000, "")),
        ("Section 301", "Section 232", Quantity(301, "id")),
        ("Section 232", "232 tonnes", Quantity(232, "id")),  # an identifier is not an amount
        ("232 tonnes", "under Section 232", Quantity(232, "")),
        ("42 U.S.C. 13345", "42 U.S.C. 13344", Quantity(13345, "id")),
    ],
)
def test_unsupported_quantities(claim: str, passage: str, missing: Quantity) -> None:
    assert unsupported_quantities(claim, passage) == [missing]


def test_identifiers_are_one_figure_kept_as_written() -> None:
    # the title "42" is part of the citation, not a figure of its own
    assert values("under 42 U.S.C. 13344 since 2020") == [(13344.0, "id"), (2020.0, "year")]
    assert values("E.O. 14017 and Regulation (EU) 2024/1252 set 10%") == [
        (14017.0, "id"),
        (202401252.0, "id"),
        (10.0, "percent"),
    ]
    text = "Section 232 and 42 U.S.C. 13344 cover 25,300 t"
    assert normalize_numbers(text) == "Section 232 and 42 U.S.C. 13344 cover 25300 t"


def test_a_bound_must_be_kept_when_the_figure_is_restated() -> None:
    assert unsupported_quantities("China faced a 245% tariff", "up to a 245% tariff")
    assert not unsupported_quantities("China faced up to 245%", "up to a 245% tariff")
    assert unsupported_quantities("Bayan Obo holds 40% of reserves", "more than 40% of reserves")
    assert not unsupported_quantities("Bayan Obo holds over 40%", "more than 40% of reserves")
    assert unsupported_quantities("more than 500,000 EV motors", "500,000 EV motors annually")
    assert not unsupported_quantities("about 90% of refining", "90% of refining")  # a hedge
    assert not unsupported_quantities("90% of refining", "around 90% of refining")
    assert [q.bound for q in extract_quantities("moreover 40% and over $1 billion")] == [
        "",
        "lower",
    ]
