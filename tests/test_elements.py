"""Element symbols spelled out, with the guards for symbols that are also words or initials."""

from __future__ import annotations

import pytest

from rag.elements import ELEMENT_NAMES, RARE_EARTHS, name_symbols, spell_out_symbols


def test_the_seventeen_rare_earths() -> None:
    assert len(RARE_EARTHS) == 17
    assert {"samarium", "gadolinium", "dysprosium", "terbium", "gallium"} <= ELEMENT_NAMES


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "were Sm, Gd, Tb, Dy, Lu, Sc, and Y.",
            "were samarium, gadolinium, terbium, dysprosium, lutetium, scandium, and yttrium.",
        ),
        ("elements: Dy/Tb", "elements: dysprosium/terbium"),
        ("yttrium (Y) and tungsten (W)", "yttrium (yttrium) and tungsten (tungsten)"),
        ("NdPr oxide and SmCo magnets", "neodymium praseodymium oxide and samarium cobalt magnets"),
        ("Ga, Ge and Sb", "gallium, germanium and antimony"),
        # guards: French article, the European Union, company suffix, names, lone initials
        ("La Rochelle separates La and Ce", "La Rochelle separates lanthanum and cerium"),
        ("the EU and Eu", "the EU and europium"),
        ("Sumitomo Co. met Li Qiang", "Sumitomo Co. met Li Qiang"),
        ("Plan Y failed", "Plan Y failed"),
        # glued to digits or letters: formulas and words are left alone
        ("NdFeB and Nd2Fe14B and Dy2O3", "NdFeB and Nd2Fe14B and Dy2O3"),
    ],
)
def test_spell_out_symbols(text: str, expected: str) -> None:
    assert spell_out_symbols(text) == expected


def test_lone_symbols_get_the_names_their_source_writes() -> None:
    source = "lutetium (Lu), scandium (Sc) and yttrium (Y); also samarium (Sm)"
    assert (
        name_symbols("The list adds samarium (Sm), Lu, Sc, and Y.", source)
        == "The list adds samarium (Sm), lutetium (Lu), scandium (Sc), and yttrium (Y)."
    )
    # an initial, a company suffix, NdPr, or a name the source does not write stay as written
    assert name_symbols("Y. Zhang of Sunrise Co. said NdPr rose.", source) == (
        "Y. Zhang of Sunrise Co. said NdPr rose."
    )
    assert name_symbols("Dy prices rose.", "prices rose") == "Dy prices rose."


def test_a_symbol_list_in_the_source_names_its_elements() -> None:
    record = "2025-04-04: elements = Sm, Gd, Tb, Dy, Lu, Sc, Y; issuer = MOFCOM"
    assert name_symbols("They were Lu, Sc, and Y.", record) == (
        "They were lutetium (Lu), scandium (Sc), and yttrium (Y)."
    )
