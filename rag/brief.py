"""A brief of one indexed document, in the seed article's shape: News Summary, Background,
In-Depth Insights.

- **News Summary**: 3-5 sentences of what the document reports, each cited to it. A document too
  long for one prompt is summarized map-reduce: each group of its chunks gives its main facts
  (verified against that group), and the summary is written from those facts and verified
  against the document's passages.
- **Background**: context from *other* documents of the library (earlier figures, related
  policies, disagreeing numbers, with their dates), retrieved with the document's title and
  summary, each sentence cited and verified.
- **In-Depth Insights**: the lens sections of `rag.insights`, about the document's subject.

One numbering runs through the three parts, so the brief ends with one sources list. Every part
is verified like an answer (no constraint binding: background is about other dates by design).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from rag.evidence import Passage, build_evidence, document_context, render_sources
from rag.insights import Numbering, renumber
from rag.retriever import Hit
from rag.types import Brief, Citation, ClaimRecord, EvidenceShown
from ree.text import count_tokens

if TYPE_CHECKING:
    from rag.engine import Engine, _Clock
    from rag.verify import ClaimVerdict
    from ree.index import DocumentRecord

#: A document whose text fits this many tokens is summarized in one prompt; a longer one
#: map-reduce, in groups of about this size.
SUMMARY_TOKENS = 600
#: Token budget of the Background's sources block.
BACKGROUND_TOKENS = 350


class DocumentNotFound(LookupError):
    """No indexed document matches; the message lists close matches."""


def find_document(documents: list[DocumentRecord], source: str) -> DocumentRecord:
    """The indexed document `source` names: its file name, path relative to the folder it was
    ingested from, absolute path, doc id or (unambiguous) title words."""
    wanted = source.strip()
    lowered = wanted.lower()
    for doc in documents:
        if wanted in (doc.source, doc.path, doc.doc_id) or doc.source.rsplit("/", 1)[-1] == wanted:
            return doc
    by_title = [d for d in documents if lowered and lowered in d.title.lower()]
    by_name = [d for d in documents if lowered and lowered in d.source.lower()]
    matches = by_title or by_name
    if len(matches) == 1:
        return matches[0]
    if matches:
        names = ", ".join(sorted(d.source for d in matches)[:5])
        raise DocumentNotFound(f"{source!r} matches several documents: {names}; give the file name")
    close = ", ".join(sorted(d.source for d in documents)[:5])
    raise DocumentNotFound(
        f"no indexed document named {source!r}"
        + (f" (indexed: {close}{', ...' if len(documents) > 5 else ''})" if documents else "")
    )


@dataclass
class _Part:
    text: str
    claims: list[ClaimVerdict] = field(default_factory=list)
    citations: list[Citation] = field(default_factory=list)  # set for the insights part
    records: list[ClaimRecord] = field(default_factory=list)  # set for the insights part


def write_brief(
    engine: Engine, source: str, clock: _Clock
) -> Iterator[EvidenceShown | str | Brief]:
    """Stream a brief: each part's evidence and text as it is verified, then the `Brief`."""
    doc = find_document(engine.index.documents(), source)
    numbering = Numbering()
    chunks = engine.index.document_chunks(doc.doc_id)
    hits = [Hit(chunk=c, score=1.0, text=c.text) for c in chunks]
    summary = yield from _summary(engine, doc, hits, numbering, clock)
    yield "\n\n"
    background = yield from _background(engine, doc, summary.text, numbering, clock)
    yield "\n\n"
    insights = yield from _insight_sections(engine, doc, numbering, clock)
    passages = list(numbering.passages.values())
    verdicts = summary.claims + background.claims
    body = f"{summary.text}\n\n{background.text}"
    cited = {c.n: c for c in engine._citations(body, passages, verdicts) + insights.citations}
    yield Brief(
        source=doc.source,
        title=doc.title,
        published=doc.published,
        summary=summary.text,
        background=background.text,
        insights=insights.text,
        citations=[cited[n] for n in sorted(cited)],
        claims=[ClaimRecord(c.text, list(c.citations), c.status, c.reason) for c in verdicts]
        + insights.records,
        evidence={p.n: p.as_seen for p in passages},
        evidence_context={p.n: document_context(p.hit) for p in passages},
        timings=clock.done(),
        model=engine.model_label,
    )


def _summary(
    engine: Engine, doc: DocumentRecord, hits: list[Hit], numbering: Numbering, clock: _Clock
) -> Iterator[EvidenceShown | str]:
    question = f"What does {doc.title} report?"
    total = sum(count_tokens(h.text) for h in hits)
    if total <= SUMMARY_TOKENS:
        passages = build_evidence(hits, doc.title, SUMMARY_TOKENS, engine.embed)
        part = yield from _written(engine, "brief_summary", question, passages, numbering, clock)
        return part
    facts: list[str] = []
    claims: list = []
    for group in _groups(hits):  # map: each group's main facts, verified against the group
        passages = build_evidence(group, doc.title, SUMMARY_TOKENS, engine.embed)
        mapping = numbering.add(passages)
        draft = engine.part_generation("brief_summary").invoke(
            {"sources": render_sources(passages), "question": question}
        )
        verified = engine._verify(draft, passages, question, bind=False)
        facts.append(renumber(verified.text, mapping))
        claims += [c.renumbered(mapping) for c in verified.claims]
    # reduce: the summary written from the facts, verified against the document's passages
    notes = _notes_as_passages(facts, numbering)
    document = [numbering.passages[p.n] for p in notes]
    part = yield from _written(
        engine, "brief_summary", question, notes, numbering, clock, check_against=document
    )
    return _Part(part.text, claims + part.claims)


def _background(
    engine: Engine, doc: DocumentRecord, summary: str, numbering: Numbering, clock: _Clock
) -> Iterator[EvidenceShown | str]:
    query = f"{doc.title} {summary}"[:1000]
    found = engine.retriever.search(query, k=engine.settings.top_k + 4).hits
    others = [h for h in found if h.chunk.doc_id != doc.doc_id]
    passages = build_evidence(others, query, BACKGROUND_TOKENS, engine.embed)
    question = f"Background to: {doc.title} ({doc.published or 'undated'})"
    part = yield from _written(engine, "brief_background", question, passages, numbering, clock)
    return _Part(f"## Background\n\n{part.text}" if part.text else "", part.claims)


def _insight_sections(
    engine: Engine, doc: DocumentRecord, numbering: Numbering, clock: _Clock
) -> Iterator[EvidenceShown | str]:
    from rag.types import Answer

    question = f"What does {doc.title} mean for the rare earth market, industry and investors?"
    retrieved = engine.retrieve(f"{doc.title}")
    ans = Answer(question=question, text="", mode="insights", standalone_question=question)
    final = None
    for item in engine._insights(
        ans, retrieved, None, clock, subject=doc.title, numbering=numbering
    ):
        if isinstance(item, Answer):
            final = item
        else:
            yield item
    if final is None or final.refused:
        return _Part("")
    part = _Part(f"## In-Depth Insights\n\n{final.text}", citations=final.citations)
    part.records = final.claims
    return part


def _written(
    engine: Engine,
    prompt: str,
    question: str,
    passages: list[Passage],
    numbering: Numbering,
    clock: _Clock,
    *,
    check_against: list[Passage] | None = None,
) -> Iterator[EvidenceShown | str]:
    """One part written by the model from `passages` and verified (against `check_against`,
    already numbered, when given: the map step's notes are checked against the document); its
    text comes back in the brief's numbers."""
    if not passages:
        return _Part("")
    mapping = numbering.add(passages) if check_against is None else {p.n: p.n for p in passages}
    checked = check_against or passages
    yield EvidenceShown(
        [engine._citation(numbering.passages[mapping[p.n]], p.best) for p in passages]
    )
    title = "## News Summary" if prompt == "brief_summary" else ""

    def shown_text(draft: str) -> str:
        return renumber(engine._verify(draft, checked, question, bind=False).text, mapping)

    draft, _shown = yield from engine._generate_verified(
        engine.part_generation(prompt),
        {"sources": render_sources(passages), "question": question},
        shown_text,
        clock,
        prompt,
    )
    verified = engine._verify(draft, checked, question, bind=False)
    text = renumber(verified.text, mapping)
    claims = [c.renumbered(mapping) for c in verified.claims]
    return _Part(f"{title}\n\n{text}" if title and text else text, claims)


def _groups(hits: list[Hit]) -> list[list[Hit]]:
    """Consecutive chunks in groups of about `SUMMARY_TOKENS` tokens."""
    groups: list[list[Hit]] = [[]]
    size = 0
    for hit in hits:
        tokens = count_tokens(hit.text)
        if groups[-1] and size + tokens > SUMMARY_TOKENS:
            groups.append([])
            size = 0
        groups[-1].append(hit)
        size += tokens
    return [g for g in groups if g]


def _notes_as_passages(facts: list[str], numbering: Numbering) -> list[Passage]:
    """The map step's verified facts as the reduce step's sources: each global passage shows
    the facts that cite it (the model reads the facts, verification the document)."""
    from rag.claims import parse

    by_n: dict[int, list[str]] = {}
    for text in facts:
        for block in parse(text):
            for claim in block.claims:
                for n in claim.citations:
                    by_n.setdefault(n, []).append(claim.text + claim.end)
    out = []
    for n, sentences in sorted(by_n.items()):
        base = numbering.passages[n]
        out.append(Passage(n, base.hit, " ".join(sentences), best=sentences[0]))
    return out
