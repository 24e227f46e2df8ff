"""In-Depth Insights and document briefs end to end over data/sample, with a fake LLM.

Only the LLM is a stand-in (`ExtractiveChatModel` writes a heading and two bullets quoting the
best-matching source sentences, as an obedient model would); retrieval, per-section evidence,
verification, tidying and numbering are the real ones.
"""

from __future__ import annotations

import re

import pytest
from test_engine import make_engine, sample_index  # noqa: F401 (the module-scoped fixture)

from fakes import ExtractiveChatModel, ScriptedChatModel
from rag.brief import DocumentNotFound
from rag.engine import Engine
from rag.insights import (
    Lens,
    Numbering,
    SectionTidy,
    load_lenses,
    renumber,
    subject_of,
    with_core,
)
from rag.types import Answer, Brief, EvidenceShown

QUESTION = "What does the $110/kg NdPr price floor mean for Western magnet supply chains?"


def test_lenses_are_data(tmp_path) -> None:
    from ree.settings import Settings

    lenses = load_lenses(Settings(home=tmp_path).lenses_path)
    assert [lens.name for lens in lenses] == [
        "strategic implications",
        "market impact",
        "investor view",
    ]
    own = tmp_path / "lenses.yaml"
    own.write_text(
        "- name: price outlook\n  question: What next for prices after {subject}?\n"
        "  search: price\n  focus: prices\n"
    )
    assert load_lenses(own)[0].question.format(subject="the floor") == (
        "What next for prices after the floor?"
    )
    bad = tmp_path / "bad.yaml"
    bad.write_text("- name: x\n")
    with pytest.raises(ValueError, match="lacks question, search, focus"):
        load_lenses(bad)


def test_subject_of_analysis_questions() -> None:
    assert subject_of(QUESTION) == "the $110/kg NdPr price floor"
    assert subject_of("What are the strategic implications of the 2026 proclamation?") == (
        "the 2026 proclamation"
    )
    assert subject_of("Why does Baotou matter?") == "Why does Baotou matter"


def test_numbering_gives_one_number_per_passage_across_sections(sample_index, embedder) -> None:  # noqa: F811
    engine = make_engine(sample_index, embedder, ExtractiveChatModel())
    hits = engine.retrieve(QUESTION).hits
    first = engine.evidence(QUESTION, hits[:2])
    second = engine.evidence(QUESTION, hits[1:3])
    numbering = Numbering()
    assert numbering.add(first) == {1: 1, 2: 2}
    again = numbering.add(second)
    assert again[1] == 2 and again[2] == 3  # the shared passage keeps its number
    assert renumber("- **A**: x [1].\n- **B**: y [2].", again) == "- **A**: x [2].\n- **B**: y [3]."


def test_tidy_fixes_headings_labels_and_drops_repeats() -> None:
    lens = Lens("market impact", "What are the long-term impacts of {subject}?", "m", "markets")
    tidy = SectionTidy(lens, "the price floor", QUESTION, earlier=[])
    text = (
        f"### {QUESTION}\n"
        "- **Floor level**: The floor is $110 per kilogram [1].\n"
        "- **Floor level again**: The floor is $110 per kilogram [1].\n"
        "- Geology and history of the whole Baotou region: Bayan Obo is large [2].\n"
    )
    out = tidy(text)
    assert out.splitlines()[0] == "### What are the long-term impacts of the price floor?"
    assert out.count("$110") == 1  # the repeated bullet is gone
    # an eight-word "label" is no label: the bullet keeps its words, unlabelled
    assert "- Geology and history of the whole Baotou region: Bayan Obo is large [2]." in out
    assert tidy("### Heading only?\n") == ""  # a section without bullets is dropped


def test_a_bullet_saying_only_part_of_an_earlier_one_is_dropped() -> None:
    """i001's third section split an earlier bullet in two ("Chinese producers dominate separated
    NdPr supply [2]." and "Domestic Chinese quotes act as the world reference price [2]."):
    under 60% Jaccard each, but nothing the earlier bullet had not said."""
    lens = Lens("investor view", "What should investors weigh in {subject}?", "i", "risks")
    first = _strategic_tidy("the price floor")
    done = first(
        "### Who sets the NdPr price the floor is measured against?\n"
        "- **Price setters**: Chinese producers dominate separated NdPr supply, so domestic "
        "Chinese quotes act as the world reference price [2].\n"
    )
    later = SectionTidy(lens, "the price floor", QUESTION, earlier=first.words_of(done))
    out = later(
        "### What should investors weigh in the NdPr price floor's term?\n"
        "- **Price reference**: Domestic Chinese quotes act as the world reference price [2].\n"
        "- **Supply share**: Chinese producers dominate separated NdPr supply [2].\n"
        "- **Term**: The floor runs for 10 years from the start of production [1].\n"
    )
    assert "reference price" not in out and "dominate" not in out
    assert "10 years" in out  # a new point stays


def test_a_bullet_opening_with_an_earlier_bullets_sentence_keeps_only_its_new_one() -> None:
    """i011's brief: two lenses' bullets opened with the same sentence of the same passage, each
    followed by a sentence of its own; the whole bullets were under the duplicate threshold."""
    lens = Lens("investor view", "What should investors weigh in {subject}?", "i", "risks")
    first = _strategic_tidy("processing costs")
    shared = (
        "Higher environmental standards are a large part of why Western producers need price "
        "support such as the NdPr floor [4]."
    )
    done = first(
        "### Why do Western producers need price support?\n"
        f"- **Supply control**: {shared} This support keeps producers in the market [4].\n"
    )
    later = SectionTidy(lens, "processing costs", QUESTION, earlier=first.words_of(done))
    out = later(
        "### What should investors weigh in processing costs?\n"
        f"- **Standards**: {shared} Projects with credible thorium waste handling will find "
        "permitting easier [4].\n"
    )
    assert "Higher environmental standards" not in out
    assert "credible thorium waste handling" in out
    # what leans on the repeated sentence goes with it (i013: "These actions could lead to ...")
    leaning = later(
        "### What should investors weigh in processing costs?\n"
        f"- **Standards**: {shared} This raises costs for every new refinery [4].\n"
    )
    assert leaning == ""


def test_later_sections_can_draw_on_the_questions_top_passages() -> None:
    from types import SimpleNamespace

    def hit(cid: str) -> SimpleNamespace:
        return SimpleNamespace(chunk=SimpleNamespace(id=cid))

    core = [hit("a"), hit("b"), hit("c")]
    fresh = [hit("d"), hit("b"), hit("e")]
    assert [h.chunk.id for h in with_core(fresh, core, 2)] == ["a", "b", "d", "e"]
    assert [h.chunk.id for h in with_core(fresh, core, 0)] == ["d", "b", "e"]


def test_later_sections_show_the_questions_top_passages_again(sample_index, embedder) -> None:  # noqa: F811
    def numbers_shown(reused: int) -> list[set[int]]:
        engine = make_engine(
            sample_index, embedder, ExtractiveChatModel(), insight_reused_passages=reused
        )
        pieces = list(engine.stream(QUESTION, mode="insights"))
        return [{c.n for c in p.quotes} for p in pieces if isinstance(p, EvidenceShown)]

    first, *later = numbers_shown(2)
    assert later and all(first & section for section in later)
    first, *later = numbers_shown(0)  # without reuse every section shows only new passages
    assert later and not any(first & section for section in later)


def _strategic_tidy(subject: str) -> SectionTidy:
    """A first section's tidying under a "strategic implications" lens."""
    lens = Lens("strategic implications", "What of {subject}?", "s", "strategy")
    return SectionTidy(lens, subject, QUESTION, earlier=[])


def test_a_long_bold_label_is_cut_to_its_head() -> None:
    """The US-Australia brief showed "**Critical minerals and rare earths supply chain**:", a
    label of seven words: bold markup is a label however long, and tidying cuts it."""
    tidy = _strategic_tidy("the framework")
    out = tidy(
        "### What does the US-Australia framework change for rare earth supply?\n"
        "- **Critical minerals and rare earths supply chain**: The framework supports supply [1].\n"
        "- **Impact on the global supply of heavy rare earths**: Refining stays in China [2].\n"
        "- China holds 70% of mining and more: its share keeps rising [3].\n"
    )
    assert "- **Critical minerals**: The framework supports supply [1]." in out
    assert "- **Strategic impact**: Refining stays in China [2]." in out
    assert "- China holds 70% of mining and more: its share keeps rising [3]." in out


def test_a_heading_an_earlier_section_asked_gives_way_to_the_lens_question() -> None:
    lens = Lens("investor view", "What should investors weigh in {subject}?", "i", "risks")
    asked = "How does China's growing share along the chain impact Western diversification?"
    first = SectionTidy(lens, "China's share", QUESTION, earlier=[])
    done = first(f"### {asked}\n- **Supply chain**: Magnet demand is rising [1].\n")
    assert done.splitlines()[0] == f"### {asked}"  # the first section keeps its own question
    second = SectionTidy(
        lens, "China's share", QUESTION, earlier=[], headings=[first.heading_words(done)]
    )
    out = second(f"### {asked}\n- **Regulation**: The CRMA sets benchmarks [2].\n")
    assert out.splitlines()[0] == "### What should investors weigh in China's share?"


def test_tidy_qualifies_one_word_labels_with_the_lens() -> None:
    tidy = _strategic_tidy("the price floor")
    out = tidy(
        "### Who gains from the NdPr price floor outside China?\n"
        "- **Leverage**: The floor gives Western producers a reference price [1].\n"
        "- **China**: Separated NdPr supply is dominated by China [2].\n"
    )
    assert "- **Strategic leverage**: The floor" in out
    assert "- **Strategic China**: Separated" in out  # a name keeps its capital


def test_insights_answer_has_sections_with_their_own_evidence(sample_index, embedder) -> None:  # noqa: F811
    # the extractive fake copies its sources' first sentences: with the question's top passages
    # first in every section it would copy section 1 again (whose repeats tidying removes)
    engine = make_engine(sample_index, embedder, ExtractiveChatModel(), insight_reused_passages=0)
    pieces = list(engine.stream(QUESTION, mode="auto"))
    final = pieces[-1]
    assert isinstance(final, Answer) and not final.refused
    assert final.mode == "insights" and final.mode_reason == "asks what it means"
    shown = [p for p in pieces if isinstance(p, EvidenceShown)]
    assert len(shown) == 3  # one evidence block per section, each before its text
    headings = re.findall(r"^### .+\?$", final.text, re.M)
    assert len(headings) == 3
    bullets = re.findall(r"^- \*\*[^*]+\*\*: .+\[\d+\]\.$", final.text, re.M)
    assert 3 <= len(bullets) <= 12
    assert len(set(bullets)) == len(bullets)
    # one numbering: every marker points at a passage the answer lists, with a quote
    markers = {int(n) for n in re.findall(r"\[(\d+)\]", final.text)}
    assert markers <= set(final.evidence) and markers == {c.n for c in final.citations}
    assert all(c.quote for c in final.citations)
    streamed = "".join(p for p in pieces if isinstance(p, str))
    assert streamed.strip() == final.text.strip()


def test_a_section_with_nothing_verified_is_dropped_not_the_answer(sample_index, embedder) -> None:  # noqa: F811
    probe = make_engine(sample_index, embedder, ExtractiveChatModel())
    good = probe.answer(QUESTION, mode="insights").drafts[0]
    bad = "### Is this a question?\n- **Invented**: The floor is 999 dollars per tonne [1]."
    engine = make_engine(sample_index, embedder, ScriptedChatModel(replies=[good, bad, bad]))
    final = engine.answer(QUESTION, mode="insights")
    assert not final.refused
    assert final.text.count("### ") == 1 and "999" not in final.text
    assert any(c.status == "removed" for c in final.claims)


def test_brief_of_a_document(sample_index, embedder) -> None:  # noqa: F811
    engine: Engine = make_engine(sample_index, embedder, ExtractiveChatModel(sentences=3))
    brief = engine.brief("mp-materials-dod-partnership-2025.md")
    assert isinstance(brief, Brief)
    page = brief.markdown()
    assert page.startswith("# Brief: ")
    for heading in ("## News Summary", "## Background", "## In-Depth Insights", "## Sources"):
        assert heading in page
    own = {c.n for c in brief.citations if c.source == "mp-materials-dod-partnership-2025.md"}
    summary_markers = {int(n) for n in re.findall(r"\[(\d+)\]", brief.summary)}
    assert summary_markers and summary_markers <= own  # the summary cites the document itself
    background_markers = {int(n) for n in re.findall(r"\[(\d+)\]", brief.background)}
    assert background_markers and not background_markers & own  # background: other documents
    assert brief.to_dict()["markdown"] == page
    with pytest.raises(DocumentNotFound, match="no indexed document"):
        engine.brief("no-such-file.pdf")


def test_a_brief_whose_insights_all_fail_says_so_and_keeps_their_verdicts(
    sample_index,  # noqa: F811
    embedder,
) -> None:
    """i010's brief lost every insight bullet to verification and its page had no In-Depth
    Insights heading at all; the reader could not tell the part was tried."""
    bad = "### Is this a question?\n- **Invented**: The floor is 999 dollars per tonne [1]."
    engine = make_engine(sample_index, embedder, ScriptedChatModel(replies=[bad] * 6))
    brief = engine.brief("mp-materials-dod-partnership-2025.md")
    heading, note = brief.insights.split("\n\n")
    assert heading == "## In-Depth Insights" and "verif" in note and "999" not in brief.markdown()
    assert any(c.status == "removed" and "999" in c.text for c in brief.claims)


def test_no_insight_bullet_repeats_a_summary_or_background_sentence(sample_index, embedder) -> None:  # noqa: F811
    """The i009 brief's lens bullet restated a Background sentence word for word: bullets were
    checked against earlier bullets only, not against the page above them."""
    from rag.claims import parse
    from rag.insights import DUPLICATE_JACCARD, jaccard
    from rag.support import content_words

    engine = make_engine(sample_index, embedder, ExtractiveChatModel(sentences=3))
    brief = engine.brief("baotou-2035-rare-earth-hub-plan.md")
    page = re.sub(r"\[\d+\]", "", f"{brief.summary}\n{brief.background}")
    said = [frozenset(content_words(s)) for s in re.split(r"(?<=\.)\s+|\n", page) if s]
    bullets = [
        frozenset(content_words(" ".join(c.text for c in b.claims)))
        for b in parse(brief.insights)
        if b.kind == "bullet" and b.claims
    ]
    assert bullets
    assert not any(jaccard(b, s) >= DUPLICATE_JACCARD for b in bullets for s in said)


def test_a_library_with_nothing_else_says_the_background_is_empty(tmp_path, embedder) -> None:
    """With no other document to draw on, the Background says so instead of vanishing."""
    from test_engine import SAMPLE

    from ingest import ingest_paths
    from rag.claims import Claim
    from rag.verify import is_structural
    from ree.index import Index
    from ree.settings import Settings

    settings = Settings(home=tmp_path)
    index = Index(settings, "one-document")
    ingest_paths([SAMPLE / "mp-materials-dod-partnership-2025.md"], settings=settings, index=index)
    engine = Engine(settings, index=index, embedder=embedder, model=ExtractiveChatModel())
    brief = engine.brief("mp-materials-dod-partnership-2025.md")
    heading, note = brief.background.split("\n\n")
    assert heading == "## Background" and brief.background in brief.markdown()
    assert "[" not in note and is_structural(Claim(note, []))  # a note, not an uncited claim


def test_a_background_with_nothing_verified_falls_back_to_other_documents_sentences(
    sample_index,  # noqa: F811
    embedder,
) -> None:
    from rag.brief import BACKGROUND_SENTENCES

    invented = "The floor is 999 dollars per tonne [1]."
    model = ScriptedChatModel(replies=[invented])
    engine = make_engine(sample_index, embedder, model, brief_background="written")
    brief = engine.brief("mp-materials-dod-partnership-2025.md")
    assert brief.background.startswith("## Background") and "999" not in brief.markdown()
    own = {c.n for c in brief.citations if c.source == brief.source}
    markers = [int(n) for n in re.findall(r"\[(\d+)\]", brief.background)]
    assert len(markers) == BACKGROUND_SENTENCES and not set(markers) & own
    evidence = " ".join(brief.evidence[n] for n in markers)
    sentences = re.findall(r"(.+?) \[\d+\]\.(?: |$)", brief.background.split("\n\n", 1)[1])
    assert all(s in evidence for s in sentences)  # the other documents' own words
    assert any(c.status == "removed" and "999" in c.text for c in brief.claims)


def test_the_default_background_is_other_documents_sentences_without_a_generation(
    sample_index,  # noqa: F811
    embedder,
) -> None:
    from rag.brief import BACKGROUND_SENTENCES

    model = ExtractiveChatModel(sentences=3)
    written = make_engine(sample_index, embedder, model, brief_background="written")
    written.brief("mp-materials-dod-partnership-2025.md")
    calls_written = len(model.calls)
    model.calls.clear()
    brief = make_engine(sample_index, embedder, model).brief("mp-materials-dod-partnership-2025.md")
    assert len(model.calls) == calls_written - 1  # one generation fewer: the Background's
    own = {c.n for c in brief.citations if c.source == brief.source}
    markers = [int(n) for n in re.findall(r"\[(\d+)\]", brief.background)]
    assert len(markers) == BACKGROUND_SENTENCES and not set(markers) & own
    sentences = re.findall(r"(.+?) \[\d+\]\.(?: |$)", brief.background.split("\n\n", 1)[1])
    evidence = " ".join(brief.evidence[n] for n in markers)
    assert all(s in evidence for s in sentences) and not any(
        s.startswith("Whether") for s in sentences
    )


def test_a_watch_list_item_is_not_a_summary_sentence() -> None:
    from rag.brief import _is_summary_sentence

    assert not _is_summary_sentence(
        "- Whether Chinese NdPr prices rise toward the floor, which would reduce the cost."
    )
    assert not _is_summary_sentence("Will the Fort Worth plant reach its 1,000 t target in 2026?")
    assert _is_summary_sentence("The Fort Worth plant began producing magnets in 2025 for GM.")


def test_headings_and_sentences_that_lean_back_are_not_summary_sentences() -> None:
    """Read in a brief without the sentence before them, "this step" and a capitals heading
    say nothing (the export-controls brief opened with "The US description of this step
    differs from the Chinese list")."""
    from rag.brief import _as_sentence, _is_summary_sentence

    assert not _is_summary_sentence(
        "The US description of this step differs from the Chinese list."
    )
    assert not _is_summary_sentence("6) US-CHINA DEAL (fact sheet of 1 November 2025)")
    assert not _is_summary_sentence("POLICY DESK NOTE: US and allied responses, 2024-2026 review")
    assert not _is_summary_sentence("Mine production and reserves by country (tonnes REO)")
    assert not _is_summary_sentence(
        "Therefore, the Participants have reached the following understanding on a framework."
    )
    kept = "... - China suspends the export controls announced on 9 October 2025 for a year."
    assert _is_summary_sentence(kept)
    assert _as_sentence(kept, 6).startswith("China suspends the export controls")
    assert _is_summary_sentence(
        "The April 2025 licensing system for the seven elements was not repealed; the general "
        "licences are meant to make it easier to use."
    )


def test_a_background_sentence_that_restates_the_summary_is_not_taken(embedder) -> None:
    from rag.brief import _diverse_central

    summary = [
        "China would suspend the global implementation of the export controls announced on 9 "
        "October 2025 and would issue general licences for exports of rare earths, gallium, "
        "germanium, antimony and graphite for the benefit of US end users [3]."
    ]
    candidates = [
        "China suspends the export controls announced on 9 October 2025 and issues general "
        "licences for rare earths, gallium, germanium, antimony and graphite.",
        "In April 2025 China required export licences for seven medium and heavy rare earths.",
        "The US imposed a 25% Section 301 tariff on Chinese permanent magnets from 2026.",
    ]
    about = "China's rare earth export controls: " + summary[0]
    assert 0 in _diverse_central(candidates, embedder.embed, 2, about)  # closest to the summary
    chosen = _diverse_central(candidates, embedder.embed, 2, about, said=summary)
    assert chosen == [1, 2]
    assert _diverse_central(candidates[:1], embedder.embed, 2, about, said=summary) == []


def test_the_news_summary_is_the_documents_own_sentences_unless_written(
    sample_index,  # noqa: F811
    embedder,
) -> None:
    from rag.brief import SUMMARY_SENTENCES

    engine = make_engine(sample_index, embedder, ExtractiveChatModel(sentences=3))
    brief = engine.brief("mp-materials-dod-partnership-2025.md")
    doc = next(d for d in engine.index.documents() if d.source == brief.source)
    text = " ".join(c.text for c in engine.index.document_chunks(doc.doc_id))
    sentences = re.findall(r"(.+?) \[\d+\]\.(?: |$)", brief.summary.split("\n\n", 1)[1])
    assert len(sentences) == SUMMARY_SENTENCES
    assert all(s in text for s in sentences)  # verbatim, so nothing needs verifying
    assert len(set(sentences)) == len(sentences)
    assert not any(re.match(r"(?:It|Its|This|These|They)\b", s) for s in sentences)
    written = make_engine(
        sample_index, embedder, ExtractiveChatModel(sentences=3), brief_summary="written"
    ).brief(brief.source)
    assert written.summary.startswith("## News Summary") and written.summary != brief.summary
    # extracted sentences are recorded as the document's own; written ones went through the
    # verifier like any draft
    own = [c for c in brief.claims if "the document's own sentence" in c.reason]
    assert sum(c.text in brief.summary for c in own) == len(sentences)
    assert not any(
        "the document's own sentence" in c.reason and c.text in written.summary
        for c in written.claims
    )


def test_a_long_document_is_summarized_from_key_sentences_of_every_part(
    sample_index,  # noqa: F811
    embedder,
) -> None:
    from rag.brief import SUMMARY_TOKENS, _groups, _key_passages, document_subject
    from rag.retriever import Hit
    from ree.text import count_tokens

    engine = make_engine(sample_index, embedder, ExtractiveChatModel())
    doc = next(
        d for d in engine.index.documents() if d.source == "mp-materials-dod-partnership-2025.md"
    )
    chunks = engine.index.document_chunks(doc.doc_id)
    hits = [Hit(chunk=c, score=1.0, text=c.text) for c in chunks]
    groups = _groups(hits)
    assert len(groups) > 1  # the document is longer than one summary prompt
    passages = _key_passages(hits, doc.title, engine)
    assert sum(count_tokens(p.as_seen) for p in passages) <= SUMMARY_TOKENS + 20
    chosen = {p.hit.chunk.id for p in passages}
    assert all(chosen & {h.chunk.id for h in group} for group in groups)  # every part speaks
    order = [c.id for c in chunks]
    assert [p.hit.chunk.id for p in passages] == sorted(chosen, key=order.index)
    assert document_subject(doc.title) == "MP Materials and the Pentagon"
    # the subject goes mid-sentence in the headings (i011 "implications of The environmental")
    assert document_subject("The environmental costs of rare earth processing") == (
        "the environmental costs of rare earth processing"
    )
    assert document_subject("The Hague talks on critical minerals") == (
        "The Hague talks on critical minerals"
    )


def test_an_extracted_summary_of_a_table_report_draws_on_its_prose() -> None:
    """In a report made mostly of tables the records would take the key-sentence budget: the
    extracted summary's candidates are the prose sentences, records and headings dropped."""
    from rag.brief import _prose_only
    from rag.retriever import Hit
    from ree.index.records import Chunk

    def hit(text: str) -> Hit:
        return Hit(
            chunk=Chunk(id=text[:8], doc_id="d", text=text, embed_text=text), score=1.0, text=text
        )

    prose = "An estimated 45,000 tons of REO in mineral concentrates were produced in 2024."
    table = hit("Australia: mine production 2023 = 16,000 t; reserves = 5,700,000 t\n# Tables")
    mixed = hit(f"Production: Mineral concentrates: 2023 = 41,600 t; 2024 = 45,000 t\n{prose}")
    kept = _prose_only([table, mixed])
    assert [h.text for h in kept] == [prose]
    assert kept[0].chunk is mixed.chunk


def test_a_second_heading_ends_the_section(sample_index, embedder) -> None:  # noqa: F811
    probe = make_engine(sample_index, embedder, ExtractiveChatModel())
    good = probe.answer(QUESTION, mode="insights").drafts[0]
    runaway = f"{good}\n### What else?\n- **Extra point**: Something else entirely [1]."
    engine = make_engine(sample_index, embedder, ScriptedChatModel(replies=[runaway, good, good]))
    final = engine.answer(QUESTION, mode="insights")
    assert "What else?" not in final.text and "Something else entirely" not in final.drafts[0]


def test_a_section_stops_at_its_bullet_limit(sample_index, embedder) -> None:  # noqa: F811
    probe = make_engine(sample_index, embedder, ExtractiveChatModel())
    good = probe.answer(QUESTION, mode="insights").drafts[0]
    heading, first = good.split("\n")[0], next(ln for ln in good.split("\n") if ln.startswith("- "))
    labels = ["Point one", "Point two", "Point three", "Point four", "Point five"]
    body = [first.replace(first[first.index("**") : first.index(":")], f"**{x}**") for x in labels]
    long_draft = "\n".join([heading, *body])
    model = ScriptedChatModel(replies=[long_draft])
    engine = make_engine(sample_index, embedder, model, section_bullets=2)
    final = engine.answer(QUESTION, mode="insights")
    for draft in final.drafts:
        assert sum(ln.startswith("- ") for ln in draft.split("\n")) == 2
        assert "Point three" not in draft
    # every generation was closed at the third bullet: no section read further into the model
    until_third = long_draft[: long_draft.index("- **Point three**") + len("- ")]
    per_section = len(re.findall(r"\S+\s*|\s+", until_third))
    assert model.streamed <= len(final.drafts) * per_section


class _ShorteningChatModel(ScriptedChatModel):
    """Writes the one bullet the packaged model wrote on i009: the MP price-floor sentence
    without its $110/kg and its decade."""

    def reply(self, messages) -> str:  # noqa: ANN001
        prompt = str(messages[-1].content)
        for n, body in re.findall(r"^\[(\d+)\][^\n]*\n(.*?)(?=^\[\d+\]|\Z)", prompt, re.M | re.S):
            if "shifting price risk" in body:
                return (
                    "### Who carries the price risk of MP Materials' NdPr?\n"
                    "- **Price risk**: The floor removes the downside for MP's NdPr, shifting "
                    f"price risk to the US government [{n}]."
                )
        return "The indexed documents do not answer this question."


def test_an_insight_bullet_that_drops_its_sources_figures_is_shown_as_the_source(
    sample_index,  # noqa: F811
    embedder,
) -> None:
    question = "What does the MP Materials deal with the Pentagon mean for Western producers?"
    engine = make_engine(sample_index, embedder, _ShorteningChatModel(replies=[""]))
    final = engine.answer(question, mode="insights")
    assert "A floor of $110/kg removes the downside for MP's NdPr for a decade" in final.text
    assert "**Price risk**" in final.text  # the label stays
    off = make_engine(
        sample_index, embedder, _ShorteningChatModel(replies=[""]), fuller_sentences=False
    )
    assert "for a decade" not in off.answer(question, mode="insights").text


def test_a_brief_gives_each_section_its_lens_question_and_the_model_writes_the_bullets(
    sample_index,  # noqa: F811
    embedder,
) -> None:
    """A document brief's section headings are its lenses' questions about the document (the
    model's own were replaced in 17 of 18 sections): the heading ends the prompt as the
    answer's opening, so the model spends no generation on it."""
    from rag.brief import document_subject

    fake = ExtractiveChatModel(sentences=3)
    engine = make_engine(sample_index, embedder, fake)
    brief = engine.brief("mp-materials-dod-partnership-2025.md")
    subject = document_subject(brief.title)
    lenses = load_lenses(engine.settings.lenses_path)
    headings = re.findall(r"^### (.*)$", brief.insights, re.M)
    assert headings and set(headings) <= {lens.question.format(subject=subject) for lens in lenses}
    sections = [call for call in fake.calls if "\nAngle: " in str(call[-2].content)]
    assert len(sections) == len(lenses)
    assert all(call[-1].type == "ai" and call[-1].content.startswith("### ") for call in sections)


def test_a_provider_that_rewrites_the_given_heading_still_gives_one_heading(
    sample_index,  # noqa: F811
    embedder,
) -> None:
    """A server without assistant prefill answers anew and writes its own heading first: it is
    dropped, the given one stays."""
    from rag.engine import _after_opening

    assert _after_opening("### Given?\n", "### Own?\n- **A**: b [1].") == "- **A**: b [1]."
    assert _after_opening("### Given?\n", "### Own heading still stream") == ""
    assert _after_opening("", "### Own?\n- x") == "### Own?\n- x"

    class AnswersAnew(ExtractiveChatModel):
        def reply(self, messages) -> str:  # noqa: ANN001
            return "### My own heading?\n" + super().reply(messages)

    engine = make_engine(sample_index, embedder, AnswersAnew(sentences=3))
    brief = engine.brief("mp-materials-dod-partnership-2025.md")
    headings = re.findall(r"^### (.*)$", brief.insights, re.M)
    assert headings and "My own heading?" not in headings
    assert len(headings) == len(set(headings)) == brief.insights.count("### ")
