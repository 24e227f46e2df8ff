"""The `Answer` record: what the engine returns, the CLI prints as JSON and the UI renders.

Everything a reader needs to trust or distrust an answer travels with it: the verified text with
[n] markers, each citation's document and quoted supporting sentence, every claim's verdict, the
refusal reason, timings and the model name.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass
class Citation:
    """Source [n] of an answer, with the sentence(s) that support the claims citing it."""

    n: int
    chunk_id: str
    title: str
    source: str
    page: int | None
    date: str
    url: str
    quote: str = ""
    relevance: float = 0.0


@dataclass
class Quarantined:
    """A sentence withheld from the model because it addresses the assistant (an injection)."""

    source: str
    title: str
    sentence: str


@dataclass
class EvidenceShown:
    """The first thing `rag.stream` yields, before any answer text: the top quotes the answer
    will rest on (a `Citation` each, `quote` set), shown to the user while the model reads, and
    the sentences withheld from the model."""

    quotes: list[Citation]
    quarantined: list[Quarantined] = field(default_factory=list)


@dataclass
class RetrievedPassage:
    """One passage retrieval returned for the question, in rank order (what eval scores)."""

    chunk_id: str
    source: str
    title: str
    page: int | None
    score: float  # fused retrieval score
    cosine: float  # question-passage cosine


@dataclass
class ClaimRecord:
    text: str
    citations: list[int]
    status: str  # verified | repaired | removed | unsupported | structural
    reason: str = ""


@dataclass
class Answer:
    question: str
    text: str
    mode: str = "brief"  # the style answered in ("auto" resolves to brief or insights)
    mode_reason: str = ""  # why: "chosen", or what the question asks for ("asks what it means")
    standalone_question: str = ""
    citations: list[Citation] = field(default_factory=list)
    sources: list[Citation] = field(default_factory=list)  # cited sources, in citation order
    claims: list[ClaimRecord] = field(default_factory=list)
    refused: bool = False
    refusal_reason: str = ""
    # how the text came about: "written" (the first draft, verified), "second-chance" (a second
    # draft after the first failed verification), "quoted" (the best-supported sentence quoted
    # from the documents), "refused"
    outcome: str = "written"
    quarantined: list[Quarantined] = field(default_factory=list)
    removed: int = 0
    repaired: int = 0
    invalid_markers: int = 0
    relevance: float = 0.0
    draft: str = ""  # the model's draft the answer was verified from
    drafts: list[str] = field(default_factory=list)  # every draft written (first, second chance)
    evidence: dict[int, str] = field(default_factory=dict)  # n -> passage text shown to the model
    # n -> the passage's document (title, date, file name), which verification reads with it
    evidence_context: dict[int, str] = field(default_factory=dict)
    retrieved: list[RetrievedPassage] = field(default_factory=list)  # what retrieval returned
    timings: dict[str, float] = field(default_factory=dict)
    tokens: dict[str, int] = field(default_factory=dict)
    model: str = ""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def sources_markdown(self) -> str:
        """The sources block shown under an answer: number, title, date, page, quote, location."""
        lines = []
        for c in self.sources:
            where = c.url or c.source
            meta = ", ".join(x for x in (c.date, f"p. {c.page}" if c.page else "") if x)
            line = (
                f"[{c.n}] **{c.title or c.source}**"
                + (f" ({meta})" if meta else "")
                + f" — {where}"
            )
            if c.quote:
                line += f"\n    > {c.quote}"
            lines.append(line)
        return "\n".join(lines)


@dataclass
class Brief:
    """A brief of one document, in the seed article's shape: News Summary (the document itself),
    Background (other documents of the library), In-Depth Insights; one sources list."""

    source: str
    title: str
    published: str
    summary: str  # "## News Summary" and its sentences, [n] markers
    background: str  # "## Background" and its sentences
    insights: str  # "## In-Depth Insights" and its "###" sections
    citations: list[Citation] = field(default_factory=list)
    claims: list[ClaimRecord] = field(default_factory=list)
    evidence: dict[int, str] = field(default_factory=dict)
    evidence_context: dict[int, str] = field(default_factory=dict)
    timings: dict[str, float] = field(default_factory=dict)
    model: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "markdown": self.markdown()}

    def markdown(self) -> str:
        """The whole brief as one Markdown page, sources last."""
        meta = " · ".join(x for x in (self.published, self.source) if x)
        parts = [f"# Brief: {self.title}", f"_{meta}_" if meta else ""]
        parts += [p for p in (self.summary, self.background, self.insights) if p]
        sources = "\n".join(
            f"[{c.n}] {c.title or c.source}"
            + (f" ({c.date})" if c.date else "")
            + (f", p. {c.page}" if c.page else "")
            + f" — {c.url or c.source}"
            for c in self.citations
        )
        if sources:
            parts.append(f"## Sources\n\n{sources}")
        return "\n\n".join(p for p in parts if p) + "\n"
