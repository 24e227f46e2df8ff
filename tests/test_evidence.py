"""Evidence selection: what the model reads must fit the budget and keep the answering sentence."""

from __future__ import annotations

import numpy as np
import pytest

from rag.evidence import build_evidence, passage_label, render_sources
from rag.retriever import Hit
from ree.index.records import Chunk
from ree.text import count_tokens


def hit(
    text: str, title: str = "Brief", published: str = "2025-01-02", page: int = 0, part: int = 0
) -> Hit:
    meta = {"title": title, "published": published, "source": f"{title}.md"}
    if page:
        meta["page"] = page
    chunk = Chunk(id=f"{title}#{part}", doc_id=title, text=text, embed_text=text, metadata=meta)
    return Hit(chunk=chunk, score=1.0, text=text)


FILLER = " ".join(
    f"Sentence {i} talks about logistics, shipping schedules and port congestion in general."
    for i in range(12)
)


def test_rendered_sources_fit_the_budget_labels_included():
    hits = [hit(FILLER, title=f"Filler brief {i}") for i in range(5)]
    for budget in (120, 250, 400):
        rendered = render_sources(build_evidence(hits, "What about port congestion?", budget))
        assert count_tokens(rendered) <= budget


def test_the_answering_sentence_is_kept_under_a_tight_budget():
    target = "Australia mined 13,000 tonnes of rare earth oxide in 2024."
    text = FILLER + " " + target + " " + FILLER
    passages = build_evidence([hit(text)], "How much rare earth oxide did Australia mine?", 80)
    assert len(passages) == 1
    assert target in passages[0].text
    assert "..." in passages[0].text  # the gaps are marked, not silently glued


def test_a_passage_with_nothing_relevant_is_dropped_not_labelled():
    relevant = hit("Lynas operates the Mt Weld mine in Western Australia.", title="Lynas profile")
    noise = [hit(FILLER, title=f"Shipping note {i}") for i in range(4)]
    passages = build_evidence([relevant, *noise], "Where is the Mt Weld mine of Lynas?", 60)
    assert [p.n for p in passages] == [1]
    assert passages[0].hit is relevant
    assert "Shipping note" not in render_sources(passages)


def test_a_short_passage_is_kept_whole_and_numbers_follow_rank():
    a = hit("MP Materials has a $110 per kilogram NdPr price floor.", title="MP deal")
    b = hit("The NdPr price in China was about $80 per kilogram.", title="Price note")
    passages = build_evidence([a, b], "What NdPr price floor applies to MP Materials?", 300)
    assert [(p.n, p.hit) for p in passages] == [(1, a), (2, b)]
    assert passages[0].text == a.text


def test_a_lead_in_sentence_keeps_the_list_it_introduces():
    text = (
        "Bayan Obo is a polymetallic deposit. The rare earths occur mainly in two minerals:\n"
        "- bastnasite, a fluorocarbonate; and\n"
        "- monazite, a phosphate.\n" + FILLER
    )
    passages = build_evidence([hit(text)], "Which minerals host the rare earths?", 60)
    assert "two minerals:\n- bastnasite" in passages[0].text
    assert "- monazite, a phosphate." in passages[0].text


def test_a_sentence_longer_than_the_budget_is_cut_not_lost():
    long = "Rare earth magnets " + " ".join(["and more words"] * 200) + "."
    passages = build_evidence([hit(long)], "rare earth magnets", 60)
    assert passages and passages[0].text.startswith("Rare earth magnets")
    assert passages[0].text.endswith("...")


def test_label_has_number_title_date_and_page_and_long_titles_are_cut():
    h = hit("x", title=" ".join(f"word{i}" for i in range(20)), page=7)
    label = passage_label(3, h)
    assert label.startswith("[3] word0 word1")
    assert "word8" not in label and "..." in label
    assert label.endswith("| 2025-01-02 | p. 7")


def test_a_second_passage_of_a_document_gets_a_short_label():
    first = hit("Lynas mines at Mt Weld in Western Australia.", title="Lynas profile", part=0)
    other = hit("MP Materials mines at Mountain Pass.", title="MP brief")
    second = hit("Lynas separates in Malaysia.", title="Lynas profile", page=3, part=1)
    passages = build_evidence([first, other, second], "Where does Lynas mine and separate?", 300)
    assert [p.label for p in passages] == [
        "[1] Lynas profile | 2025-01-02",
        "[2] MP brief | 2025-01-02",
        "[3] same document as [1], p. 3",
    ]
    # verification still reads the full title with the text
    assert passages[2].as_seen.startswith("Lynas profile | 2025-01-02 | p. 3\n")


def test_no_hits_no_passages():
    assert build_evidence([], "anything", 300) == []


def test_meaning_finds_an_answer_worded_unlike_the_question(embedder):
    # every sentence shares only "rare earth" with the question: words alone cannot tell them
    # apart (the first wins); the embedding ranks the answering sentence first
    text = (
        "Rare earth prices rose sharply in the year, and rare earth exports to the region grew. "
        "Rare earth shipments to Japan grew in the second quarter. "
        "Workers drill holes into a hillside, pour in an ammonium sulfate solution and collect "
        "the rare earth-bearing liquid that drains out."
    )
    question = "What chemical is used to leach rare earths from the clays?"
    embed = lambda texts: np.asarray(embedder.embed_documents(texts))  # noqa: E731
    words_only = build_evidence([hit(text)], question, 45)
    with_meaning = build_evidence([hit(text)], question, 45, embed=embed)
    assert "ammonium sulfate" not in words_only[0].text
    assert "ammonium sulfate" in with_meaning[0].text


def test_a_documents_reference_list_never_reaches_the_model():
    """The export-controls timeline ends with "Sources: MOFCOM announcements of 4 April 2025 and
    9 October 2025 ...": it shares the question's words, and the model once answered with it."""
    text = (
        "On 9 October 2025 China added holmium, erbium, thulium, europium and ytterbium.\n"
        "Sources: MOFCOM announcements of 4 April 2025 and 9 October 2025; The White House, "
        "fact sheet on Section 232 actions, 15 April 2025."
    )
    question = "Which elements did China add on 9 October 2025, according to MOFCOM?"
    passages = build_evidence([hit(text)], question, budget=400)
    assert "holmium" in passages[0].text and "Sources:" not in passages[0].text
    assert build_evidence([hit("References: USGS MCS 2025; IEA 2024.")], question, 400) == []


def test_an_agreements_signing_line_keeps_its_signatories():
    # the real MOU's closing: "Signed at Kuala Lumpur ...", then the two columns of the
    # signature block run together line by line ("Donald. J. Trump Anwar Ibrahim")
    from pathlib import Path

    import pytest

    from ingest.loaders import load_document

    path = Path(__file__).resolve().parents[2] / "shared" / "corpus"
    path = path / "wh_2025-10-26_us_malaysia_critical_minerals_mou.md"
    if not path.exists():
        pytest.skip(f"file missing: {path}")
    text = load_document(path).text
    closing = text[text.index("COMMENCEMENT AND DISCONTINUATION") :]
    question = "Who signed the U.S.-Malaysia critical minerals MOU, and where?"
    shown = render_sources(build_evidence([hit(closing, title="MOU")], question, 120))
    assert "Kuala Lumpur" in shown
    assert "Anwar Ibrahim" in shown


WIDE_ROW = (
    "Ceriumoid: appearance = pale grey; atomic_mass = 140.116; boil = 3716.0; "
    "category = lanthanide; density = 6.77; discovered_by = Jane Q. Example; melt = 1068.0; "
    "number = 58; period = 6; group = 3; phase = Solid; "
    "source = https://example.org/wiki/Ceriumoid; "
    "bohr_model_image = https://example.org/images/element_058_ceriumoid_bohr_model_thumb.png; "
    "bohr_model_3d = https://example.org/models/element_058_ceriumoid_bohr_model_3d.glb; "
    "shells = [2, 8, 18, 19, 9, 2]; electron_configuration = 1s2 2s2 2p6 3s2 3p6 4s2 3d10 4p6"
)
NARROW_ROW = (
    "Australia: mine production 2023 (estimated) = 16,000 t (note 12); "
    "mine production 2024 (estimated) = 13,000 t (note 12); reserves = 5,700,000 t (note 13)"
)


def test_a_wide_record_shows_the_cells_the_question_asks_for(embedder):
    """A twenty-column row costs as much as the whole budget; cut to its relevant cells, each
    still carrying its row label and column header, it leaves room for the rest."""
    from rag.evidence import WIDE_RECORD_TOKENS
    from rag.records import parse_records

    assert count_tokens(WIDE_ROW) > WIDE_RECORD_TOKENS
    embed = lambda texts: np.asarray(embedder.embed_documents(texts))  # noqa: E731
    passages = build_evidence(
        [hit(WIDE_ROW, title="Element table"), hit(NARROW_ROW, title="Mine production")],
        "Who is credited with the discovery of ceriumoid?",
        400,
        embed=embed,
    )
    wide = next(p for p in passages if p.hit.chunk.doc_id == "Element table").text
    assert "discovered_by = Jane Q. Example" in wide
    assert count_tokens(wide) <= WIDE_RECORD_TOKENS
    assert "https://" not in wide  # links only when the question asks for one
    original = {(c.header, c.value) for c in parse_records(WIDE_ROW)}
    kept = parse_records(wide)
    assert kept and all(c.label == "Ceriumoid" for c in kept)
    assert {(c.header, c.value) for c in kept} <= original
    narrow = next((p for p in passages if p.hit.chunk.doc_id == "Mine production"), None)
    assert narrow is None or narrow.text == NARROW_ROW  # a narrow table row is never cut


def test_a_unit_two_passages_share_is_shown_once():
    """Overlapping chunks (and rows completed from the chunk beside them) repeat units."""
    shared = "Lynas operates the Mt Weld mine in Western Australia."
    a = hit(f"{shared} It ships concentrate to Malaysia.", title="Lynas profile", part=0)
    b = hit(f"{shared} Kalgoorlie hosts its cracking plant.", title="Lynas profile", part=1)
    rendered = render_sources(build_evidence([a, b], "Where does Lynas mine and process?", 300))
    assert rendered.count(shared) == 1
    assert "Malaysia" in rendered and "Kalgoorlie" in rendered


def test_a_tables_notes_show_their_units_and_the_notes_asked_about(embedder):
    """The real USGS salient statistics notes record (units and ten footnotes, ~220 tokens)
    took half the budget of every question about the table; it is shown by its units and the
    notes closest to the question, within `NOTES_RECORD_TOKENS`."""
    from pathlib import Path

    from ingest.loaders import load_document
    from rag.evidence import NOTES_RECORD_TOKENS
    from rag.records import is_notes_record, parse_records

    pdf = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "usgs_mcs2025_rare_earths.pdf"
    if not pdf.exists():
        pytest.skip("shared corpus file missing: usgs_mcs2025_rare_earths.pdf")
    doc = load_document(pdf)
    notes = next(
        s.text.strip()
        for s in doc.sections
        if s.kind == "record" and is_notes_record(s.text.strip()) and "Salient" in s.text
    )
    assert count_tokens(notes) > 2 * NOTES_RECORD_TOKENS
    embed = lambda texts: np.asarray(embedder.embed_documents(texts))  # noqa: E731
    asked = "What was total domestic production of rare-earth compounds in 2023 and 2024?"
    shown = build_evidence([hit(notes, title="Rare Earths")], asked, 400, embed=embed)[0].text
    assert count_tokens(shown) < count_tokens(notes) - NOTES_RECORD_TOKENS
    cells = parse_records(shown)
    original = parse_records(notes)
    assert {(c.header, c.value) for c in cells} < {(c.header, c.value) for c in original}
    units = [c for c in original if not c.header.lower().startswith("note")]
    assert units and all(c in cells for c in units)  # "t = metric tons ..." always
    assert any("domestic production" in c.value for c in cells)  # the note asked about
