"""Pure evaluation metrics for retrieval, answers, citations, refusals and latency.

Why this module exists: every number in an eval report must be reproducible by hand. Keeping
the metrics as small pure functions over ids, strings and booleans (no model calls, no I/O)
means each one can be checked against a worked example, and the judgments that do need a
model (entailment, refusal detection) are made elsewhere and passed in as plain booleans.

Conventions (BEIR / pytrec_eval for ranking, SQuAD v1.1 for answer text, ALCE for citations):

* A metric that does not apply to an item returns ``None`` (a query with no relevant document,
  a QA item without gold sources, an answer without statements). :func:`aggregate` skips
  ``None`` so it never drags a mean towards zero.
* Rankings are cut at the first ``k`` *distinct* ids; a repeated id counts once.
* Relevance judgments (qrels) with score ``<= 0`` are not relevant.
"""

from __future__ import annotations

import math
import re
import string
import unicodedata
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from rag.numbers import normalize_numbers, number_words_as_digits, unsupported_quantities
from rag.support import Frame, given_by_question
from ree.text import MONTH_NAMES

Relevant = set[str] | frozenset[str] | Mapping[str, int]

# --------------------------------------------------------------------------------------------
# Ranking metrics (document ids)
# --------------------------------------------------------------------------------------------


def _check_k(k: int) -> None:
    if k < 1:
        raise ValueError(f"k must be >= 1, got {k}")


def first_k_distinct(items: Iterable[str], k: int | None) -> list[str]:
    """The first ``k`` distinct items in order (all distinct items if ``k`` is None).

    Example: ``first_k_distinct(["a", "b", "a", "c"], 2) == ["a", "b"]``.
    """
    if k is not None:
        _check_k(k)
    seen: set[str] = set()
    out: list[str] = []
    for item in items:
        if item in seen:
            continue
        seen.add(item)
        out.append(item)
        if k is not None and len(out) == k:
            break
    return out


def relevant_set(relevant: Relevant) -> set[str]:
    """Ids judged relevant: a plain set as is, or the qrels entries with score > 0.

    Example: ``relevant_set({"d1": 2, "d2": 0}) == {"d1"}``.
    """
    if isinstance(relevant, Mapping):
        return {doc_id for doc_id, score in relevant.items() if score > 0}
    return set(relevant)


def recall_at_k(ranked_ids: Sequence[str], relevant: Relevant, k: int) -> float | None:
    """Share of the relevant documents found in the top ``k``.

    ``recall@k = |relevant ∩ top_k| / |relevant|`` (BEIR / pytrec_eval: the denominator is all
    relevant documents, not ``min(k, |relevant|)``).

    Example: ranking ``[d3, d1, d2]``, relevant ``{d1, d2, d4}``, k=2: top-2 holds d1 only,
    so recall@2 = 1/3. Returns None when nothing is relevant (the query is skipped).
    """
    rel = relevant_set(relevant)
    if not rel:
        return None
    top = first_k_distinct(ranked_ids, k)
    return sum(doc_id in rel for doc_id in top) / len(rel)


def precision_at_k(ranked_ids: Sequence[str], relevant: Relevant, k: int) -> float | None:
    """Share of the top ``k`` positions holding a relevant document.

    ``P@k = |relevant ∩ top_k| / k`` (trec_eval: divide by ``k`` even if fewer than ``k`` ids
    were returned, so a short ranking is not rewarded).

    Example: ranking ``[d3, d1]``, relevant ``{d1, d2}``, k=4: one hit, P@4 = 1/4.
    Returns None when nothing is relevant.
    """
    rel = relevant_set(relevant)
    if not rel:
        return None
    top = first_k_distinct(ranked_ids, k)
    return sum(doc_id in rel for doc_id in top) / k


def mrr_at_k(ranked_ids: Sequence[str], relevant: Relevant, k: int) -> float | None:
    """Reciprocal rank of the first relevant document within the top ``k`` (0 if none).

    ``RR@k = 1 / rank_first_relevant`` (rank counted from 1 over distinct ids).

    Example: ranking ``[d3, d3, d1]``, relevant ``{d1}``: distinct ranking is ``[d3, d1]``,
    so RR@10 = 1/2 and RR@1 = 0. Returns None when nothing is relevant.
    """
    rel = relevant_set(relevant)
    if not rel:
        return None
    for rank, doc_id in enumerate(first_k_distinct(ranked_ids, k), start=1):
        if doc_id in rel:
            return 1.0 / rank
    return 0.0


def dcg(gains: Sequence[float]) -> float:
    """Discounted cumulative gain with linear gain and log2 discount.

    ``DCG = Σ_i gain_i / log2(i + 1)`` for positions i = 1, 2, ...

    Example: gains ``[0, 2, 1]`` -> 0/1 + 2/log2(3) + 1/log2(4) = 1.26186 + 0.5 = 1.76186.
    """
    return sum(g / math.log2(i + 1) for i, g in enumerate(gains, start=1))


def ndcg_at_k(ranked_ids: Sequence[str], qrels: Mapping[str, int], k: int) -> float | None:
    """Normalized DCG at ``k`` with graded relevance (as pytrec_eval's ``ndcg_cut``).

    ``nDCG@k = DCG(gains of top_k) / DCG(top k qrel scores sorted descending)``, gain = the
    qrel score (linear, scores <= 0 give no gain).

    Example: ranking ``[d3, d1, d2]``, qrels ``{d1: 2, d2: 1}``, k=3:
    DCG = 0/log2(2) + 2/log2(3) + 1/log2(4) = 1.76186;
    IDCG = 2/log2(2) + 1/log2(3) = 2.63093; nDCG@3 = 0.66967.
    Returns None when no qrel score is positive.
    """
    ideal = sorted((s for s in qrels.values() if s > 0), reverse=True)[:k]
    if not ideal:
        return None
    gains = [max(qrels.get(doc_id, 0), 0) for doc_id in first_k_distinct(ranked_ids, k)]
    return dcg(gains) / dcg(ideal)


# --------------------------------------------------------------------------------------------
# Source-level retrieval (QA suites name gold source files, not chunk ids)
# --------------------------------------------------------------------------------------------


def source_basename(source: str) -> str:
    """File name of a source path, accepting ``/`` and ``\\`` separators.

    Example: ``source_basename("data/docs/usgs-2024.pdf") == "usgs-2024.pdf"``.
    """
    return re.split(r"[/\\]", source.strip())[-1]


def source_recall_at_k(
    retrieved_sources: Sequence[str], gold_sources: Sequence[str], k: int
) -> float | None:
    """Share of gold source files among the first ``k`` distinct retrieved sources.

    Sources are compared by basename, and several chunks from one file count once, so ``k``
    counts files, not chunks. ``recall = |gold ∩ first_k_distinct(retrieved)| / |gold|``.

    Example: retrieved ``["a/x.pdf", "b/x.pdf", "y.pdf", "z.pdf"]``, gold ``["x.pdf", "z.pdf"]``,
    k=2: distinct files ``[x.pdf, y.pdf]`` hold x.pdf only, recall = 1/2.
    Returns None when there are no gold sources.
    """
    gold = {source_basename(s) for s in gold_sources}
    if not gold:
        return None
    top = first_k_distinct((source_basename(s) for s in retrieved_sources), k)
    return sum(s in gold for s in top) / len(gold)


def source_mrr(
    retrieved_sources: Sequence[str], gold_sources: Sequence[str], k: int | None = None
) -> float | None:
    """Reciprocal rank of the first gold source among distinct retrieved source files.

    Example: retrieved ``["y.pdf", "y.pdf", "x.pdf"]``, gold ``["x.pdf"]``: distinct files
    ``[y.pdf, x.pdf]``, RR = 1/2. Returns None when there are no gold sources.
    """
    gold = {source_basename(s) for s in gold_sources}
    if not gold:
        return None
    distinct = first_k_distinct((source_basename(s) for s in retrieved_sources), k)
    for rank, source in enumerate(distinct, start=1):
        if source in gold:
            return 1.0 / rank
    return 0.0


# --------------------------------------------------------------------------------------------
# Answer correctness
# --------------------------------------------------------------------------------------------


_UMLAUTS = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss"})
_WORD_HYPHEN = re.compile(r"(?<=[^\W\d_])[-\u2010\u2011](?=[^\W\d_])")


def fold_spelling(text: str) -> str:
    """Casefold and spell letters the ASCII way: "Bastnäsite" -> "bastnaesite", "rare-earth" ->
    "rare earth", "Lynas’" -> "lynas'". Gold phrases are typed in ASCII, documents are not."""
    text = text.casefold().translate(_UMLAUTS)
    text = unicodedata.normalize("NFKD", text)
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    text = text.replace("\u2019", "'").replace("\u2018", "'")
    return _WORD_HYPHEN.sub(" ", text)


_MONTH_RE = r"(jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?"
_MDY = re.compile(rf"\b{_MONTH_RE}\s+(\d{{1,2}})(?:st|nd|rd|th)?,?\s+(\d{{4}})\b")
_DMY = re.compile(rf"\b(\d{{1,2}})(?:st|nd|rd|th)?\s+{_MONTH_RE},?\s+(\d{{4}})\b")


def fold_dates(text: str) -> str:
    """Write every day-month-year date one way: "October 24, 2025", "Oct. 24 2025" and
    "24 October 2025" all become "24 october 2025" (lower-cased text in, as `fold_spelling`
    gives). Example: ``fold_dates("on october 24, 2025.") == "on 24 october 2025."``"""

    def month(abbr: str) -> str:
        return next(m for m in MONTH_NAMES if m.startswith(abbr))

    text = _MDY.sub(lambda m: f"{int(m.group(2))} {month(m.group(1))} {m.group(3)}", text)
    return _DMY.sub(lambda m: f"{int(m.group(1))} {month(m.group(2))} {m.group(3)}", text)


def _normalize_for_match(text: str) -> str:
    """Fold spelling and dates, write ranges out ("1-2 kg" -> "1 to 2 kg"), write number words
    as digits ("ten years" -> "10 years"), rewrite numbers to a canonical form and collapse
    whitespace."""
    text = _RANGE.sub(r"\1 to \2", number_words_as_digits(fold_dates(fold_spelling(text))))
    return " ".join(normalize_numbers(text).split())


_RANGE = re.compile(r"(\d)\s*[-\u2013]\s*(\d)")


def _phrase_pattern(phrase: str) -> re.Pattern[str]:
    """Regex for ``phrase`` that does not match inside a longer word or number.

    "25300" must not hit "125300", "1.25300" nor "25300.5"; "ree" must not hit "green".
    """
    if phrase[0].isdigit():
        left = r"(?<!\w)(?<!\d[.,])"
    elif phrase[0].isalnum():
        left = r"(?<!\w)"
    else:
        left = ""
    if phrase[-1].isdigit():
        right = r"(?!\w|[.,]\d)"
    elif phrase[-1].isalnum():
        right = r"(?!\w)"
    else:
        right = ""
    return re.compile(left + re.escape(phrase) + right)


def must_include_hits(answer: str, must_include: Sequence[str]) -> list[bool]:
    """For each required phrase, whether the answer contains it (case- and number-normalized).

    Both sides go through ``rag.numbers.normalize_numbers`` after ``fold_spelling`` and
    ``fold_dates``, so "25,300" matches "25300", "44 million" matches "44,000,000", "87%" matches
    "87 percent", "Bastnaesite" matches "bastnäsite", "October 24, 2025" matches
    "24 October 2025", "1-2 kg" matches "1 to 2 kg" and "ten years" matches "10 years".
    A phrase must match whole words: "25300" does not hit "125300".

    Example: ``must_include_hits("Output was 25300 t, 87 percent", ["25,300", "87%", "Lynas"])``
    -> ``[True, True, False]``; the mean of the list is the item's must-include score.
    """
    haystack = _normalize_for_match(answer)
    hits: list[bool] = []
    for phrase in must_include:
        needle = _normalize_for_match(phrase)
        hits.append(bool(needle) and _phrase_pattern(needle).search(haystack) is not None)
    return hits


_ARTICLES = re.compile(r"\b(a|an|the)\b")
_PUNCT = set(string.punctuation)


def unsupported_figures(
    statements: Sequence[tuple[str, Sequence[int]]],
    passages: Mapping[int, str],
    question: str = "",
    documents: Mapping[int, str] | None = None,
) -> list[str]:
    """The figures of the shown answer that no passage its statement cites contains.

    `statements`: (sentence, its citation numbers); `passages`: the passages as the model saw
    them (title line included). This is the product's hard promise ("every figure must appear in
    that passage"), counted over the answers users actually see. As in verification, a figure
    the `question` gave ("42 U.S.C. 13344", "Section 232") counts as present when the cited
    passage's document (`documents`: its title, date and file name) carries it.
    Example: ``unsupported_figures([("Output was 45,000 t [1]", [1])], {1: "output: 45000 t"})``
    -> ``[]``; with ``{1: "output: 40000 t"}`` -> ``["45,000"]``.
    """
    frame = Frame.of(question)
    missing: list[str] = []
    for sentence, cited in statements:
        text = "\n".join(passages.get(n, "") for n in cited)
        document = " ".join((documents or {}).get(n, "") for n in cited)
        missing += [
            q.raw
            for q in unsupported_quantities(sentence, text)
            if not given_by_question(q, frame, document)
        ]
    return missing


def squad_normalize(text: str) -> str:
    """Official SQuAD v1.1 answer normalization.

    Lowercase, drop ASCII punctuation, drop the articles a/an/the, collapse whitespace.
    Example: ``squad_normalize("The  Mountain-Pass mine!") == "mountainpass mine"``.
    """
    text = "".join(ch for ch in text.lower() if ch not in _PUNCT)
    text = _ARTICLES.sub(" ", text)
    return " ".join(text.split())


def _golds(gold: str | Sequence[str]) -> list[str]:
    golds = [gold] if isinstance(gold, str) else list(gold)
    if not golds:
        raise ValueError("at least one gold answer is required")
    return golds


def exact_match(prediction: str, gold: str | Sequence[str]) -> float:
    """1.0 if the normalized prediction equals a normalized gold answer, else 0.0.

    With several gold answers the best one counts (SQuAD takes the max).
    Example: ``exact_match("the Bayan Obo mine.", ["Bayan Obo mine"]) == 1.0``.
    """
    pred = squad_normalize(prediction)
    return float(any(pred == squad_normalize(g) for g in _golds(gold)))


def _f1_one(prediction: str, gold: str) -> float:
    pred_toks = squad_normalize(prediction).split()
    gold_toks = squad_normalize(gold).split()
    if not pred_toks or not gold_toks:
        # SQuAD v2.0 rule: two empty answers agree (v1.1 would divide by zero).
        return float(pred_toks == gold_toks)
    same = sum((Counter(pred_toks) & Counter(gold_toks)).values())
    if same == 0:
        return 0.0
    precision = same / len(pred_toks)
    recall = same / len(gold_toks)
    return 2 * precision * recall / (precision + recall)


def token_f1(prediction: str, gold: str | Sequence[str]) -> float:
    """SQuAD token F1 between normalized prediction and gold (max over gold answers).

    ``P = common / |pred tokens|``, ``R = common / |gold tokens|``, ``F1 = 2PR / (P + R)``,
    where ``common`` counts shared tokens with multiplicity.

    Example: prediction "rare earth magnets" vs gold "the magnets": tokens [rare, earth,
    magnets] vs [magnets]; common = 1, P = 1/3, R = 1, F1 = 0.5.
    """
    return max(_f1_one(prediction, g) for g in _golds(gold))


# --------------------------------------------------------------------------------------------
# Citations (ALCE, Gao et al. 2023)
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Statement:
    """One answer statement with its citation markers and entailment judgments.

    ``supported_by_all``: the concatenation of all cited passages entails the statement.
    ``alone_supports[c]``: passage ``c`` by itself entails it.
    ``others_support_without[c]``: the cited passages other than ``c`` still entail it.
    The two dicts are only needed for statements with several citations that are supported.
    """

    cited: list[int]
    supported_by_all: bool
    alone_supports: dict[int, bool] = field(default_factory=dict)
    others_support_without: dict[int, bool] = field(default_factory=dict)


StatementLike = Statement | Mapping[str, Any]


def _as_statement(stmt: StatementLike) -> Statement:
    if isinstance(stmt, Statement):
        return stmt
    return Statement(
        cited=list(stmt.get("cited", [])),
        supported_by_all=bool(stmt.get("supported_by_all", False)),
        alone_supports=dict(stmt.get("alone_supports", {})),
        others_support_without=dict(stmt.get("others_support_without", {})),
    )


def _distinct_citations(stmt: Statement) -> list[int]:
    return list(dict.fromkeys(stmt.cited))


def citation_recall(statements: Sequence[StatementLike]) -> float | None:
    """ALCE citation recall of one answer: share of statements fully supported by their citations.

    ``recall = |{s : s has >= 1 citation and concat(cited passages of s) entails s}| / |S|``.
    A statement without citations scores 0. Returns None for an answer with no statements
    (ALCE skips it).

    Example: s1 cites [1] and is supported, s2 cites [1, 2] and is not, s3 cites nothing:
    recall = 1/3.
    """
    if not statements:
        return None
    parsed = [_as_statement(s) for s in statements]
    return sum(bool(s.cited) and s.supported_by_all for s in parsed) / len(parsed)


def is_irrelevant_citation(stmt: StatementLike, citation: int) -> bool:
    """ALCE: a citation is irrelevant if it alone does not support the statement AND the other
    cited passages without it still support the statement.

    Example: s cites [1, 2]; passage 1 alone supports s, passage 2 alone does not, and
    passage 1 without 2 supports s -> citation 2 is irrelevant, citation 1 is not.
    """
    s = _as_statement(stmt)
    if s.alone_supports.get(citation) is None:
        raise ValueError(f"statement lacks alone_supports[{citation}]")
    if s.alone_supports[citation]:
        return False
    if s.others_support_without.get(citation) is None:
        raise ValueError(f"statement lacks others_support_without[{citation}]")
    return s.others_support_without[citation]


def citation_precision(statements: Sequence[StatementLike]) -> float | None:
    """ALCE citation precision of one answer: share of citations that are not irrelevant.

    Every citation of every statement is in the denominator. A citation counts as precise iff
    its statement is supported by all its citations (``supported_by_all``) and the citation
    is not irrelevant (:func:`is_irrelevant_citation`); so all citations of an unsupported
    statement are imprecise, and the single citation of a supported statement is precise.

    ``precision = Σ_s [supported(s)] · |{c in cited(s) : not irrelevant(c, s)}| / Σ_s |cited(s)|``

    Example: s1 cites [1, 2], supported; 1 alone supports, 2 alone does not, [1] without 2
    supports -> 2 irrelevant. s2 cites [3], unsupported. s3 cites [1, 3], supported; neither
    alone supports -> both needed. Precise: {s1:1, s3:1, s3:3} = 3 of 5 citations -> 0.6.

    A repeated marker in one statement counts once. An answer with statements but no
    citations scores 0 (as ALCE); an answer with no statements gives None.
    """
    if not statements:
        return None
    precise = total = 0
    for raw in statements:
        stmt = _as_statement(raw)
        cited = _distinct_citations(stmt)
        total += len(cited)
        if not stmt.supported_by_all:
            continue
        if len(cited) == 1:
            precise += 1  # removing the only citation leaves nothing that could support
            continue
        precise += sum(not is_irrelevant_citation(stmt, c) for c in cited)
    return precise / total if total else 0.0


def valid_marker_share(markers: Sequence[int], n_passages: int) -> float | None:
    """Share of citation markers that point at a passage actually shown to the model.

    Markers are 1-based like ``[1]``; valid means ``1 <= m <= n_passages``.
    Example: markers ``[1, 3, 7]`` with 5 passages -> 2/3. Returns None with no markers.
    """
    if not markers:
        return None
    return sum(1 <= m <= n_passages for m in markers) / len(markers)


# --------------------------------------------------------------------------------------------
# Refusals
# --------------------------------------------------------------------------------------------

RefusalItem = bool | tuple[bool, bool]


def _refusals_where(items: Sequence[RefusalItem], answerable: bool) -> list[bool]:
    """Refusal flags of items whose answerability equals ``answerable``.

    A bare bool is taken as the refusal flag of an item already of the wanted kind.
    """
    out: list[bool] = []
    for item in items:
        if isinstance(item, tuple):
            refused, is_answerable = item
            if bool(is_answerable) == answerable:
                out.append(bool(refused))
        else:
            out.append(bool(item))
    return out


def refusal_rate(items: Sequence[RefusalItem]) -> float | None:
    """Share of unanswerable items the assistant refused (higher is better).

    ``items``: refusal flags of unanswerable items, or ``(refused, answerable)`` pairs of a
    whole suite (answerable pairs are ignored).
    Example: ``[(True, False), (False, False), (True, True)]`` -> 1 of 2 unanswerable = 0.5.
    Returns None when no item is unanswerable.
    """
    flags = _refusals_where(items, answerable=False)
    return sum(flags) / len(flags) if flags else None


def false_refusal_rate(items: Sequence[RefusalItem]) -> float | None:
    """Share of answerable items the assistant wrongly refused (lower is better).

    ``items``: refusal flags of answerable items, or ``(refused, answerable)`` pairs.
    Example: ``[(True, True), (False, True), (False, True), (True, False)]`` -> 1/3.
    Returns None when no item is answerable.
    """
    flags = _refusals_where(items, answerable=True)
    return sum(flags) / len(flags) if flags else None


# --------------------------------------------------------------------------------------------
# Latency
# --------------------------------------------------------------------------------------------


def percentile(values: Sequence[float], p: float) -> float:
    """The ``p``-th percentile with linear interpolation (numpy's default method).

    Sort the values, take position ``h = (n - 1) · p / 100`` and interpolate between the
    neighbours: ``x[⌊h⌋] + (h - ⌊h⌋) · (x[⌊h⌋ + 1] - x[⌊h⌋])``.
    Example: values [1, 2, 3, 4], p=95: h = 2.85, result = 3 + 0.85 · (4 - 3) = 3.85.
    """
    if not values:
        raise ValueError("percentile of an empty sequence")
    if not 0 <= p <= 100:
        raise ValueError(f"p must be within [0, 100], got {p}")
    xs = sorted(values)
    h = (len(xs) - 1) * p / 100
    lo = math.floor(h)
    hi = min(lo + 1, len(xs) - 1)
    return xs[lo] + (h - lo) * (xs[hi] - xs[lo])


def summarize_latency(values: Sequence[float]) -> dict[str, float | int | None]:
    """p50, p95, mean and count of latencies (seconds or ms, whatever was passed).

    Example: [1, 2, 3, 4] -> {"p50": 2.5, "p95": 3.85, "mean": 2.5, "n": 4}.
    With no values every statistic is None and n is 0.
    """
    if not values:
        return {"p50": None, "p95": None, "mean": None, "n": 0}
    return {
        "p50": percentile(values, 50),
        "p95": percentile(values, 95),
        "mean": sum(values) / len(values),
        "n": len(values),
    }


# --------------------------------------------------------------------------------------------
# Aggregation
# --------------------------------------------------------------------------------------------


def aggregate(rows: Sequence[Mapping[str, Any]], keys: Sequence[str]) -> dict[str, float | None]:
    """Mean of each metric over the rows where it is present and not None.

    Booleans count as 1/0. A metric present in no row gives None (not 0).
    Example: rows [{"em": 1.0, "f1": None}, {"em": 0.0, "f1": 0.5}, {}] with keys
    ["em", "f1", "mrr"] -> {"em": 0.5, "f1": 0.5, "mrr": None}.
    """
    out: dict[str, float | None] = {}
    for key in keys:
        values = [float(row[key]) for row in rows if row.get(key) is not None]
        out[key] = sum(values) / len(values) if values else None
    return out


def aggregate_by_type(
    rows: Sequence[Mapping[str, Any]], keys: Sequence[str], type_key: str = "type"
) -> dict[str, dict[str, float | int | None]]:
    """:func:`aggregate` per item type, with ``n`` = number of rows of that type.

    Rows without a type are grouped under ``"untyped"``; groups come out sorted by name.
    Example: rows [{"type": "numeric", "em": 1}, {"type": "numeric", "em": 0},
    {"type": "policy", "em": 1}] -> {"numeric": {"n": 2, "em": 0.5},
    "policy": {"n": 1, "em": 1.0}}.
    """
    groups: dict[str, list[Mapping[str, Any]]] = {}
    for row in rows:
        groups.setdefault(str(row.get(type_key) or "untyped"), []).append(row)
    return {
        name: {"n": len(group), **aggregate(group, keys)} for name, group in sorted(groups.items())
    }
