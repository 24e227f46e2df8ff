"""A brief of one indexed document, in the seed article's shape: News Summary, Background,
In-Depth Insights.

- **News Summary**: four sentences of what the document reports, each cited to it. A long
  document is mapped first: each group of its chunks gives its key sentences (no generation).
  By default (`REE_BRIEF_SUMMARY=extractive`) the summary is the most central, least
  redundant of those sentences; with `written` the model writes it from them in one
  generation, verified against them.
- **Background**: context from *other* documents of the library (earlier figures, related
  policies, disagreeing numbers, with their dates), retrieved with the document's title and
  summary: by default (`REE_BRIEF_BACKGROUND=extractive`) their own sentences closest to the
  document, chosen as the summary's are; with `written` the model writes it in one generation,
  verified, and falls back to those sentences when every written one is removed.
- **In-Depth Insights**: the lens sections of `rag.insights`, about the document's subject.

One numbering runs through the three parts, so the brief ends with one sources list. Every part
is verified like an answer (no constraint binding: background is about other dates by design).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from rag.evidence import (
    Embed,
    Passage,
    build_evidence,
    document_context,
    is_reference_list,
    render_sources,
    split_units,
)
from rag.insights import Numbering, renumber
from rag.prompting import load_prompt
from rag.records import is_record
from rag.retriever import Hit
from rag.types import Brief, Citation, ClaimRecord, EvidenceShown
from rag.verify import ANAPHORA, KEPT, ClaimVerdict
from ree.text import count_tokens, without_lead

if TYPE_CHECKING:
    from rag.engine import Engine, _Clock
    from ree.index import DocumentRecord

#: Token budget of the News Summary's sources block; a longer document is mapped in groups of
#: chunks of about this size, each giving its key sentences (at least `MIN_GROUP_TOKENS`).
SUMMARY_TOKENS = 600
MIN_GROUP_TOKENS = 60
#: The summary's question (the title is in every source label; a question naming it made the
#: small model open with "<title> report: ...").
SUMMARY_QUESTION = "What does the document report?"
#: An extractive News Summary has this many sentences, each at least `SUMMARY_MIN_WORDS` long.
SUMMARY_SENTENCES = 4
SUMMARY_MIN_WORDS = 8
#: How much likeness to a sentence already chosen costs a candidate (maximal marginal relevance).
REDUNDANCY = 0.5
#: Likeness (cosine) at which a Background sentence only restates a News Summary sentence
#: (measured: the desk note's "China suspends the export controls announced on 9 October 2025 and
#: issues general licences ..." vs the timeline's own sentence, 0.92; a related fact, 0.56).
ALREADY_SAID = 0.85
#: Token budget of the Background's sources block; sentences of an extracted Background.
BACKGROUND_TOKENS = 350
BACKGROUND_SENTENCES = 3
BACKGROUND_HEADING = "## Background"
INSIGHTS_HEADING = "## In-Depth Insights"


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


def document_subject(title: str) -> str:
    """What a document is about, for the insights' headings: its title without a site suffix
    ("... | Rare Earth Price Watch") and, for a "Topic: headline" title, the topic unless it is a
    column name of two words or fewer ("Price watch: a $110 floor" -> "a $110 floor")."""
    text = title.split(" | ")[0].strip()
    head, colon, tail = text.partition(": ")
    if colon and tail.strip():
        text = head.strip() if len(head.split()) > 2 else tail.strip().rstrip("?")
    # the subject goes mid-sentence: "implications of the environmental costs of ..."
    return _LEADING_ARTICLE.sub(lambda m: m.group(1).lower(), text)


#: A title's opening article before a common word ("The environmental costs ..."; "The
#: Hague ..." keeps its capital only when the next word is capitalised too).
_LEADING_ARTICLE = re.compile(r"^(The|A|An)(?= [a-z])")


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
    if not background.text:  # nothing new elsewhere: say so rather than drop the part
        note = load_prompt(engine.settings.prompts_path, "brief_no_background")
        background.text = f"{BACKGROUND_HEADING}\n\n{note}"
        yield background.text
    yield "\n\n"
    said = [c.text for c in summary.claims + background.claims if c.status in KEPT]
    insights = yield from _insight_sections(engine, doc, numbering, clock, said)
    passages = list(numbering.passages.values())
    verdicts = summary.claims + background.claims
    body = f"{summary.text}\n\n{background.text}"
    cited = {c.n: c for c in engine.citations_for(body, passages, verdicts) + insights.citations}
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
    question = SUMMARY_QUESTION
    query = f"{doc.title}: {question}"
    if engine.settings.brief_summary == "written":
        passages = _key_passages(hits, query, engine)
        part = yield from _written(engine, "brief_summary", question, passages, numbering, clock)
        return part
    passages = _key_passages(_prose_only(hits) or hits, query, engine)
    return (yield from _extracted(engine, passages, numbering))


def _prose_only(hits: list[Hit]) -> list[Hit]:
    """The chunks cut to the sentences an extracted summary can use: in a report made mostly
    of tables (the USGS chapter) the records would otherwise take the key-sentence budget and
    leave the summary its three weakest prose sentences."""
    out = []
    for hit in hits:
        text = "\n".join(u for u, _line in split_units(hit.text) if _is_summary_sentence(u))
        if text:
            out.append(Hit(chunk=hit.chunk, score=hit.score, text=text))
    return out


def _extracted(
    engine: Engine,
    passages: list[Passage],
    numbering: Numbering,
    heading: str = "## News Summary",
    about: str = "",
    count: int = SUMMARY_SENTENCES,
    show_evidence: bool = True,
    said: Sequence[str] = (),
) -> Iterator[EvidenceShown | str]:
    """A part made of the passages' own sentences: the `count` closest to their gist (or to
    `about`, when given), least alike, in passage order, each cited. Nothing is generated, so
    nothing needs verifying. The default News Summary (the packaged small model's written
    summaries dropped the headline figures; see README), and the default Background (or the
    written one's stand-in when every sentence of it was removed)."""
    if not passages:
        return _Part("")
    mapping = numbering.add(passages)
    units = [(p, unit) for p in passages for unit, _line in split_units(p.text)]
    units = [(p, u) for p, u in units if _is_summary_sentence(u)]
    if not units:
        return _Part("")
    best = _diverse_central([u for _p, u in units], engine.embed, count, about, said)
    if not best:
        return _Part("")
    sentences = [_as_sentence(units[k][1], mapping[units[k][0].n]) for k in best]
    if show_evidence:
        yield EvidenceShown(
            [engine.citation(numbering.passages[mapping[p.n]], p.best) for p in passages]
        )
    text = " ".join(sentences)
    yield f"{heading}\n\n{text}"
    claims = []
    for sentence, k in zip(sentences, best, strict=True):
        n = mapping[units[k][0].n]
        reason = f"the document's own sentence [{n}]"
        claims.append(ClaimVerdict(sentence, [n], "verified", reason, {n: units[k][1]}))
    return _Part(f"{heading}\n\n{text}", claims)


def _is_summary_sentence(unit: str) -> bool:
    """A prose sentence or list item that can stand in a summary: not a table record, a heading
    or a sources line, long enough to say something, and not leaning on the sentence before
    ("It also sets a reference point")."""
    text = unit.strip()
    bare = without_lead(text)
    return (
        len(text.split()) >= SUMMARY_MIN_WORDS
        and not _OPEN_QUESTION.match(bare)
        and not is_record(text)
        and not text.startswith("#")
        and not is_reference_list(text)
        and "\n" not in text
        and not ANAPHORA.match(bare)
        and not _LEANS_BACK.match(bare)
        and not _is_heading_line(bare)
    )


#: A watch-list item states no fact: "Whether Chinese NdPr prices rise toward the floor ...".
_OPEN_QUESTION = re.compile(r"(?i)^(?:whether\b|.*\?$)")
#: A sentence that points back at one the reader has not seen: "The US description of this
#: step differs from the Chinese list" (a demonstrative in its first words), or "Therefore, the
#: Participants have reached ..." (a connective first).
_LEANS_BACK = re.compile(
    r"(?i)^(?:(?:\S+\s+){0,5}(?:this|these|those)\s+[a-z]"
    r"|(?:therefore|thus|hence|however|moreover|furthermore|also|in addition|as a result"
    r"|by contrast|instead|meanwhile|similarly|likewise)\b)"
)
#: A line of capitals ("US-CHINA DEAL", "POLICY DESK NOTE") is a heading, not a sentence.
_CAPITALS = re.compile(r"\b[A-Z][A-Z-]{2,}\s+[A-Z][A-Z-]{2,}\b")
_SENTENCE_END = re.compile(r"[.!?][\"'\u201d\u2019)\]]*$")
_HEADING_WORDS = 12


def _is_heading_line(text: str) -> bool:
    """A heading set as a line of its own: capitals at its start, or short with no full stop
    ("6) US-CHINA DEAL (fact sheet of 1 November 2025)")."""
    if _CAPITALS.match(text):
        return True
    return not _SENTENCE_END.search(text) and len(text.split()) < _HEADING_WORDS


def _as_sentence(unit: str, n: int) -> str:
    """A document unit as a summary sentence (`ree.text.without_lead`), its citation before
    the final period."""
    return f"{without_lead(unit).rstrip(' .')} [{n}]."


def _key_passages(hits: list[Hit], query: str, engine: Engine) -> list[Passage]:
    """The document's key sentences within `SUMMARY_TOKENS`. A long document is mapped group
    by group (each group of chunks keeps its share of the budget: its sentences closest to the
    group's gist), so the summary covers all of it; the model then writes from those sentences
    in one generation (the reduce) instead of one generation per group."""
    groups = _groups(hits)
    if len(groups) == 1:
        return build_evidence(hits, query, SUMMARY_TOKENS, engine.embed)
    share = max(SUMMARY_TOKENS // len(groups), MIN_GROUP_TOKENS)
    mapped = [hit for group in groups for hit in _central(group, share, engine.embed)]
    return build_evidence(mapped, query, SUMMARY_TOKENS, engine.embed)


def _central(group: list[Hit], budget: int, embed: Embed) -> list[Hit]:
    """`group` cut to its sentences (table records whole) closest to the mean of their
    embeddings, within `budget` tokens, in document order (a centroid summary: the sentences
    that share most with the rest say what the text is about; a source line does not)."""
    units = [(i, unit) for i, hit in enumerate(group) for unit, _line in split_units(hit.text)]
    if not units:
        return []
    closeness = _closeness(_unit_vectors([unit for _i, unit in units], embed))
    keep: set[int] = set()
    used = 0
    for k in np.argsort(-closeness):
        cost = count_tokens(units[k][1]) + 1
        if used + cost <= budget:
            keep.add(int(k))
            used += cost
    out = []
    for i, hit in enumerate(group):
        text = "\n".join(unit for k, (j, unit) in enumerate(units) if j == i and k in keep)
        if text:
            out.append(Hit(chunk=hit.chunk, score=hit.score, text=text))
    return out


def _background(
    engine: Engine, doc: DocumentRecord, summary: str, numbering: Numbering, clock: _Clock
) -> Iterator[EvidenceShown | str]:
    query = f"{doc.title} {summary}"[:1000]
    said = [u for u, _line in split_units(summary) if not u.startswith("#")]
    found = engine.retriever.search(query, k=engine.settings.top_k + 4).hits
    others = [h for h in found if h.chunk.doc_id != doc.doc_id]
    passages = build_evidence(others, query, BACKGROUND_TOKENS, engine.embed)
    if engine.settings.brief_background == "extractive":
        return (
            yield from _extracted(
                engine,
                passages,
                numbering,
                BACKGROUND_HEADING,
                query,
                BACKGROUND_SENTENCES,
                said=said,
            )
        )
    question = f"Background to: {doc.title} ({doc.published or 'undated'})"
    part = yield from _written(engine, "brief_background", question, passages, numbering, clock)
    if part.text:
        return _Part(f"{BACKGROUND_HEADING}\n\n{part.text}", part.claims)
    # every written sentence removed: the other documents' own sentences closest to this one
    fallback = yield from _extracted(  # its passages were shown when the draft was written
        engine, passages, numbering, BACKGROUND_HEADING, query, BACKGROUND_SENTENCES, False, said
    )
    return _Part(fallback.text, part.claims + fallback.claims)


def _insight_sections(
    engine: Engine,
    doc: DocumentRecord,
    numbering: Numbering,
    clock: _Clock,
    said: Sequence[str] = (),
) -> Iterator[EvidenceShown | str]:
    """The In-Depth Insights of the document's subject; no bullet repeats a sentence `said` by
    the summary or the background."""
    from rag.types import Answer

    subject = document_subject(doc.title)
    question = f"What does {subject} mean for the rare earth market, industry and investors?"
    retrieved = engine.retrieve(f"{doc.title}")
    ans = Answer(question=question, text="", mode="insights", standalone_question=question)
    final = None
    for item in engine.insight_sections(
        ans,
        retrieved,
        None,
        clock,
        subject=subject,
        numbering=numbering,
        said=said,
        given_headings=True,
    ):
        if isinstance(item, Answer):
            final = item
        else:
            yield item
    if final is None:
        return _Part("")
    if final.refused:  # say so rather than drop the part; keep the removed drafts' verdicts
        note = load_prompt(engine.settings.prompts_path, "brief_no_insights")
        part = _Part(f"{INSIGHTS_HEADING}\n\n{note}")
        yield part.text
    else:
        part = _Part(f"{INSIGHTS_HEADING}\n\n{final.text}", citations=final.citations)
    part.records = final.claims
    return part


def _written(
    engine: Engine,
    prompt: str,
    question: str,
    passages: list[Passage],
    numbering: Numbering,
    clock: _Clock,
) -> Iterator[EvidenceShown | str]:
    """One part written by the model from `passages` and verified against them; its text comes
    back in the brief's numbers."""
    if not passages:
        return _Part("")
    mapping = numbering.add(passages)
    yield EvidenceShown(
        [engine.citation(numbering.passages[mapping[p.n]], p.best) for p in passages]
    )
    title = "## News Summary" if prompt == "brief_summary" else ""

    def shown_text(draft: str) -> str:
        return renumber(engine.verify(draft, passages, question, bind=False).text, mapping)

    draft, _shown = yield from engine.generate_verified(
        engine.part_generation(prompt),
        {"sources": render_sources(passages), "question": question},
        shown_text,
        clock,
        prompt,
        passages=passages,
    )
    verified = engine.verify(draft, passages, question, bind=False)
    text = renumber(verified.text, mapping)
    claims = [c.renumbered(mapping) for c in verified.claims]
    return _Part(f"{title}\n\n{text}" if title and text else text, claims)


def _closeness(vectors: np.ndarray) -> np.ndarray:
    """Each unit vector's cosine with the mean of them all (how central its text is)."""
    return vectors @ vectors.mean(axis=0)


def _diverse_central(
    texts: list[str], embed: Embed, k: int, about: str = "", said: Sequence[str] = ()
) -> list[int]:
    """Indexes of up to `k` texts, in order, that are central (or close to `about`) but not
    alike: maximal marginal relevance, closeness minus `REDUNDANCY` x likeness to a text already
    chosen (two sentences on the same 10-year term would crowd out the deal's other terms).
    Sentences `said` already (the News Summary, for the Background) count as chosen, and a text
    as alike as `ALREADY_SAID` to one of them is not taken at all: a Background that restates
    the summary's fact from another document tells the reader nothing new."""
    vectors = _unit_vectors(texts, embed)
    closeness = _unit_vectors([about], embed)[0] @ vectors.T if about else _closeness(vectors)
    # each candidate's likeness to what the page already said (0 when nothing was)
    prior = (
        (vectors @ _unit_vectors(list(said), embed).T).max(axis=1) if said else np.zeros(len(texts))
    )
    open_ = prior < ALREADY_SAID
    chosen: list[int] = []
    while len(chosen) < min(k, int(open_.sum())):
        likeness = prior
        if chosen:
            likeness = np.maximum(likeness, (vectors @ vectors[chosen].T).max(axis=1))
        gain = closeness - REDUNDANCY * likeness
        gain[chosen] = -np.inf
        gain[~open_] = -np.inf
        chosen.append(int(np.argmax(gain)))
    return sorted(chosen)


def _unit_vectors(texts: list[str], embed: Embed) -> np.ndarray:
    vectors = np.asarray(embed(texts), dtype=float)
    return vectors / (np.linalg.norm(vectors, axis=1, keepdims=True) + 1e-9)


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
