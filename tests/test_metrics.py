"""Hand-worked checks for eval.metrics: every expected value is derived in a comment."""

from __future__ import annotations

import math
import random

import numpy as np
import pytest

from eval.metrics import (
    Statement,
    aggregate,
    aggregate_by_type,
    citation_precision,
    citation_recall,
    dcg,
    exact_match,
    false_refusal_rate,
    first_k_distinct,
    is_irrelevant_citation,
    mrr_at_k,
    must_include_hits,
    ndcg_at_k,
    percentile,
    precision_at_k,
    recall_at_k,
    refusal_rate,
    source_mrr,
    source_recall_at_k,
    squad_normalize,
    summarize_latency,
    token_f1,
    valid_marker_share,
)

LOG2_3 = math.log2(3)  # 1.58496

# ---------------------------------------------------------------------------------- ranking


def test_first_k_distinct_skips_repeats():
    assert first_k_distinct(["a", "b", "a", "c"], 2) == ["a", "b"]
    assert first_k_distinct(["a", "a"], None) == ["a"]


def test_recall_at_k_counts_all_relevant_in_denominator():
    # relevant {d1, d2, d4}; top-2 of [d3, d1, d2] = [d3, d1] -> 1 hit of 3
    assert recall_at_k(["d3", "d1", "d2"], {"d1", "d2", "d4"}, 2) == pytest.approx(1 / 3)
    # top-3 -> d1, d2 -> 2 of 3
    assert recall_at_k(["d3", "d1", "d2"], {"d1", "d2", "d4"}, 3) == pytest.approx(2 / 3)


def test_recall_qrels_with_score_zero_are_not_relevant():
    # only d1 is relevant (d2 scored 0), and it is ranked first
    assert recall_at_k(["d1"], {"d1": 1, "d2": 0}, 10) == 1.0
    assert recall_at_k(["d1"], {"d2": 0}, 10) is None  # nothing relevant -> skipped


def test_duplicates_count_once():
    # [d1, d1, d2] is the distinct ranking [d1, d2]: both relevant docs are in the top 2
    assert recall_at_k(["d1", "d1", "d2"], {"d1", "d2"}, 2) == 1.0
    # [d1, d1, d1] holds one distinct relevant id: P@3 = 1/3, not 3/3
    assert precision_at_k(["d1", "d1", "d1"], {"d1"}, 3) == pytest.approx(1 / 3)


def test_precision_divides_by_k_even_for_short_rankings():
    # one hit (d1) among k=4 positions, only two of which were filled
    assert precision_at_k(["d3", "d1"], {"d1", "d2"}, 4) == 0.25


def test_mrr_at_k():
    # distinct ranking [d3, d1]: first relevant at rank 2
    assert mrr_at_k(["d3", "d3", "d1"], {"d1"}, 10) == 0.5
    assert mrr_at_k(["d3", "d3", "d1"], {"d1"}, 1) == 0.0
    assert mrr_at_k(["d1"], set(), 10) is None


def test_ndcg_worked_example():
    # ranking [d3, d1, d2], qrels {d1: 2, d2: 1}, k=3
    # DCG  = 0/log2(2) + 2/log2(3) + 1/log2(4) = 0 + 1.26186 + 0.5 = 1.76186
    # IDCG = 2/log2(2) + 1/log2(3)             = 2 + 0.63093       = 2.63093
    # nDCG@3 = 1.76186 / 2.63093 = 0.66967
    assert dcg([0, 2, 1]) == pytest.approx(1.76186, abs=1e-5)
    assert ndcg_at_k(["d3", "d1", "d2"], {"d1": 2, "d2": 1}, 3) == pytest.approx(0.66967, abs=1e-5)


def test_ndcg_graded_order_matters():
    # ranking [d2, d1]: DCG = 1/1 + 2/log2(3) = 2.26186; IDCG = 2.63093 -> 0.85972
    assert ndcg_at_k(["d2", "d1"], {"d1": 2, "d2": 1}, 2) == pytest.approx(0.85972, abs=1e-5)
    assert ndcg_at_k(["d1", "d2"], {"d1": 2, "d2": 1}, 2) == pytest.approx(1.0)


def test_ndcg_ideal_is_cut_at_k():
    # qrels {d1: 2, d2: 1, d4: 1}, ranking [d3, d1], k=2
    # DCG = 0 + 2/log2(3) = 1.26186; IDCG@2 = 2 + 1/log2(3) = 2.63093 (d4 falls past k)
    expected = (2 / LOG2_3) / (2 + 1 / LOG2_3)
    assert ndcg_at_k(["d3", "d1"], {"d1": 2, "d2": 1, "d4": 1}, 2) == pytest.approx(expected)
    assert expected == pytest.approx(0.47963, abs=1e-5)
    assert ndcg_at_k(["d3", "d1"], {"d1": 2, "d2": 1, "d4": 1}, 1) == 0.0


def test_ndcg_skips_queries_without_positive_qrels_and_ignores_negative_scores():
    assert ndcg_at_k(["d1"], {"d1": 0}, 10) is None
    # d9 judged -1 gives no gain (not negative gain): DCG = 0 + 1/log2(3), IDCG = 1
    assert ndcg_at_k(["d9", "d1"], {"d1": 1, "d9": -1}, 10) == pytest.approx(1 / LOG2_3)


def test_k_must_be_positive():
    with pytest.raises(ValueError, match="k must be >= 1"):
        recall_at_k(["d1"], {"d1"}, 0)


# --------------------------------------------------------------------------- source level


def test_source_recall_counts_files_not_chunks_and_compares_basenames():
    retrieved = ["a/x.pdf", "b/x.pdf", "y.pdf", "z.pdf"]
    # distinct basenames: [x.pdf, y.pdf, z.pdf]; top-2 = [x.pdf, y.pdf] -> 1 of 2 gold
    assert source_recall_at_k(retrieved, ["x.pdf", "z.pdf"], 2) == 0.5
    # top-3 reaches z.pdf
    assert source_recall_at_k(retrieved, ["x.pdf", "z.pdf"], 3) == 1.0
    assert source_recall_at_k(["C:\\docs\\x.pdf"], ["data/x.pdf"], 1) == 1.0
    assert source_recall_at_k(retrieved, [], 3) is None


def test_source_mrr():
    # distinct files [y.pdf, x.pdf]: gold x.pdf at rank 2
    assert source_mrr(["y.pdf", "y.pdf", "docs/x.pdf"], ["x.pdf"]) == 0.5
    assert source_mrr(["y.pdf", "y.pdf", "docs/x.pdf"], ["x.pdf"], k=1) == 0.0
    assert source_mrr(["y.pdf"], []) is None


# ---------------------------------------------------------------------------- correctness


@pytest.mark.parametrize(
    ("answer", "phrase"),
    [
        ("Output reached 25300 tonnes.", "25,300"),  # thousands separator
        ("Capacity is 44,000,000 tonnes.", "44 million"),  # scale word
        ("About 87 percent is refined in China.", "87%"),  # percent sign
        ("About 87% is refined in China.", "87 per cent"),
        ("LYNAS runs Mount Weld.", "Lynas"),  # case
        ("It was bastnäsite.", "Bastnaesite"),  # umlaut typed the ASCII way
        ("Named after Gadolin (Gadolinium).", "gadolinium"),
        ("A rare-earth fluorocarbonate.", "rare earth fluorocarbonate"),  # hyphen
        ("Lynas\u2019 plant in Malaysia.", "Lynas' plant"),  # curly apostrophe
        ("Société Générale noted it.", "Societe Generale"),  # accents
        ("About 1-2 kg per motor.", "1 to 2 kg"),  # a range written either way
        ("About 1 to 2 kg per motor.", "1\u20132 kg"),
        ("The floor runs for ten years.", "10 years"),  # a number word states the figure
        ("The controls covered 7 elements.", "seven"),
    ],
)
def test_must_include_is_case_and_number_normalized(answer, phrase):
    assert must_include_hits(answer, [phrase]) == [True]


def test_must_include_needs_whole_numbers_and_words():
    # 25300 inside 125300 or 25300.5 is a different number; "ree" inside "green" is no hit
    answer = "Output was 125300 t, then 25300.5 t; green policies."
    assert must_include_hits(answer, ["25,300", "ree", "green"]) == [False, False, True]


def test_spelling_fold_keeps_different_words_apart():
    assert must_include_hits("It was monazite.", ["bastnaesite"]) == [False]
    assert must_include_hits("Output fell 12-15%.", ["12 15%"]) == [False]  # numbers keep "-"
    assert must_include_hits("Ten years on, output fell.", ["11 years"]) == [False]


def test_must_include_one_flag_per_phrase():
    answer = "Output was 25300 t, 87 percent of it magnets."
    assert must_include_hits(answer, ["25,300", "87%", "Lynas"]) == [True, True, False]


def test_squad_normalize():
    # lowercase, punctuation removed ("-" and "!"), article "the" removed, spaces collapsed
    assert squad_normalize("The  Mountain-Pass mine!") == "mountainpass mine"
    assert squad_normalize("an Oxide, a Metal") == "oxide metal"


def test_exact_match():
    assert exact_match("the Bayan Obo mine.", "Bayan Obo mine") == 1.0
    assert exact_match("Bayan Obo", "Bayan Obo mine") == 0.0
    assert exact_match("Baotou", ["Bayan Obo", "baotou"]) == 1.0  # best gold counts


def test_token_f1_known_values():
    # [rare, earth, magnets] vs [magnets]: common 1, P = 1/3, R = 1, F1 = 2*(1/3)/(4/3) = 0.5
    assert token_f1("rare earth magnets", "the magnets") == pytest.approx(0.5)
    # [lynas, rare, earths, ltd] vs [lynas, rare, earths]: P = 3/4, R = 1, F1 = 6/7
    assert token_f1("Lynas Rare Earths Ltd", "Lynas Rare Earths") == pytest.approx(6 / 7)
    assert token_f1("cobalt", "nickel") == 0.0
    # max over golds: 0.5 vs 1.0
    assert token_f1("magnets", ["rare magnets", "magnets"]) == 1.0
    # empty answers agree only with empty answers (SQuAD v2.0 rule)
    assert token_f1("the", "") == 1.0
    assert token_f1("", "cobalt") == 0.0


# ------------------------------------------------------------------------------ citations


def test_citation_recall_statement_without_citation_scores_zero():
    statements = [
        Statement(cited=[1], supported_by_all=True),
        Statement(cited=[1, 2], supported_by_all=False),
        Statement(cited=[], supported_by_all=True),  # no citation -> 0 even if "true"
    ]
    assert citation_recall(statements) == pytest.approx(1 / 3)
    assert citation_recall([]) is None


def test_irrelevant_citation_is_detected():
    # [1] alone supports; [2] alone does not, and [1] without [2] still supports -> 2 irrelevant
    stmt = Statement(
        cited=[1, 2],
        supported_by_all=True,
        alone_supports={1: True, 2: False},
        others_support_without={1: False, 2: True},
    )
    assert is_irrelevant_citation(stmt, 1) is False
    assert is_irrelevant_citation(stmt, 2) is True
    assert citation_precision([stmt]) == 0.5  # 1 precise of 2
    assert citation_recall([stmt]) == 1.0  # over-citing does not hurt recall


def test_citation_needed_jointly_is_not_irrelevant():
    # neither passage supports alone and neither can be dropped: both are needed together
    stmt = Statement(
        cited=[1, 3],
        supported_by_all=True,
        alone_supports={1: False, 3: False},
        others_support_without={1: False, 3: False},
    )
    assert citation_precision([stmt]) == 1.0


def test_redundant_citations_each_supporting_alone_are_both_precise():
    # condition A (alone supports) already clears a citation, whatever the others do
    stmt = Statement(
        cited=[1, 2],
        supported_by_all=True,
        alone_supports={1: True, 2: True},
        others_support_without={1: True, 2: True},
    )
    assert citation_precision([stmt]) == 1.0


def test_citations_of_unsupported_statement_are_imprecise():
    stmt = Statement(
        cited=[2, 4],
        supported_by_all=False,
        alone_supports={2: True, 4: False},  # ignored: the statement is not supported
    )
    assert citation_precision([stmt]) == 0.0
    assert citation_recall([stmt]) == 0.0


def test_citation_precision_worked_example_with_dicts():
    # s1 cites [1, 2], 2 irrelevant -> 1 precise; s2 cites [3], unsupported -> 0;
    # s3 cites [1, 3], jointly needed -> 2; s4 has no citation (not in the denominator)
    # precision = (1 + 0 + 2) / (2 + 1 + 2) = 3/5; recall = 2 supported+cited of 4 = 0.5
    statements = [
        {
            "cited": [1, 2],
            "supported_by_all": True,
            "alone_supports": {1: True, 2: False},
            "others_support_without": {2: True},
        },
        {"cited": [3], "supported_by_all": False},
        {
            "cited": [1, 3],
            "supported_by_all": True,
            "alone_supports": {1: False, 3: False},
            "others_support_without": {1: False, 3: False},
        },
        {"cited": [], "supported_by_all": False},
    ]
    assert citation_precision(statements) == pytest.approx(0.6)
    assert citation_recall(statements) == 0.5


def test_citation_precision_edge_cases():
    assert citation_precision([]) is None
    assert citation_precision([Statement(cited=[], supported_by_all=False)]) == 0.0
    # a repeated marker counts once, and a lone supporting citation is precise
    assert citation_precision([Statement(cited=[1, 1], supported_by_all=True)]) == 1.0
    with pytest.raises(ValueError, match="alone_supports"):
        citation_precision([Statement(cited=[1, 2], supported_by_all=True)])


def test_valid_marker_share():
    assert valid_marker_share([1, 3, 7], 5) == pytest.approx(2 / 3)  # 7 > 5 passages
    assert valid_marker_share([0, 1], 1) == 0.5  # markers are 1-based
    assert valid_marker_share([], 5) is None


# -------------------------------------------------------------------------------- refusal


def test_refusal_rates_from_pairs():
    pairs = [(True, False), (False, False), (True, True), (False, True), (False, True)]
    assert refusal_rate(pairs) == 0.5  # 1 of 2 unanswerable refused
    assert false_refusal_rate(pairs) == pytest.approx(1 / 3)  # 1 of 3 answerable refused


def test_refusal_rates_from_bare_flags_and_empty():
    assert refusal_rate([True, True, False, True]) == 0.75
    assert false_refusal_rate([False, False, False, True]) == 0.25
    assert refusal_rate([(False, True)]) is None  # no unanswerable item
    assert false_refusal_rate([]) is None


# -------------------------------------------------------------------------------- latency


def test_percentile_worked_example():
    # h = (4 - 1) * 0.95 = 2.85 -> 3 + 0.85 * (4 - 3) = 3.85
    assert percentile([4, 1, 3, 2], 95) == pytest.approx(3.85)
    assert percentile([7.0], 50) == 7.0


def test_percentile_matches_numpy_linear():
    rng = random.Random(7)
    values = [rng.uniform(0.05, 9.0) for _ in range(37)]
    for p in (0, 1, 25, 50, 90, 95, 99, 100):
        assert percentile(values, p) == pytest.approx(float(np.percentile(values, p)))


def test_percentile_rejects_bad_input():
    with pytest.raises(ValueError):
        percentile([], 50)
    with pytest.raises(ValueError):
        percentile([1.0], 101)


def test_summarize_latency():
    assert summarize_latency([1, 2, 3, 4]) == pytest.approx(
        {"p50": 2.5, "p95": 3.85, "mean": 2.5, "n": 4}
    )
    assert summarize_latency([]) == {"p50": None, "p95": None, "mean": None, "n": 0}


# ---------------------------------------------------------------------------- aggregation


def test_aggregate_skips_missing_and_none():
    rows = [{"em": 1.0, "f1": None}, {"em": 0.0, "f1": 0.5}, {}]
    assert aggregate(rows, ["em", "f1", "mrr"]) == {"em": 0.5, "f1": 0.5, "mrr": None}
    assert aggregate([{"refused": True}, {"refused": False}], ["refused"]) == {"refused": 0.5}


def test_aggregate_by_type():
    rows = [
        {"type": "numeric", "em": 1},
        {"type": "numeric", "em": 0},
        {"type": "policy", "em": 1},
        {"em": 0},
    ]
    assert aggregate_by_type(rows, ["em"]) == {
        "numeric": {"n": 2, "em": 0.5},
        "policy": {"n": 1, "em": 1.0},
        "untyped": {"n": 1, "em": 0.0},
    }


def test_unsupported_figures_are_counted_against_the_cited_passage() -> None:
    from eval.metrics import unsupported_figures

    passages = {1: "Output was 45,000 t in 2024.", 2: "The facility must use mine waste."}
    assert unsupported_figures([("Output was 45,000 t [1]", [1])], passages) == []
    assert unsupported_figures([("Output was 46,000 t [1]", [1])], passages) == ["46,000"]
    # a section number the question gave is present when the cited document carries it
    statement = [("The facility in 42 U.S.C. 13344 must use mine waste [2]", [2])]
    question = "What feedstock should the facility in 42 U.S.C. 13344 use?"
    documents = {2: "Title 42 | uscode 42usc13344 rare earth elements"}
    assert unsupported_figures(statement, passages, question, documents) == []
    assert unsupported_figures(statement, passages, question, {2: "Title 42 | other law"}) != []
    assert unsupported_figures(statement, passages) != []  # not given by any question


def test_a_quoted_answer_is_one_statement_for_its_figures() -> None:
    from types import SimpleNamespace

    from eval.metrics import unsupported_figures
    from eval.runner import figure_statements

    passages = {1: "China mined 270,000 t in 2024. The world mined 390,000 t."}
    text = 'The documents say: "China mined 270,000 t in 2024. The world mined 390,000 t." [1]'
    quoted = SimpleNamespace(outcome="quoted", text=text, citations=[SimpleNamespace(n=1)])
    written = SimpleNamespace(outcome="written", text=text, citations=[SimpleNamespace(n=1)])
    assert figure_statements(quoted) == [(text, [1])]
    assert unsupported_figures(figure_statements(quoted), passages) == []
    # split into sentences, the quote's first sentence cites nothing and its figures count
    assert len(figure_statements(written)) == 2
    assert unsupported_figures(figure_statements(written), passages) != []
