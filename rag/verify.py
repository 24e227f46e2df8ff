"""Check an LLM answer against its passages before anyone sees it, and repair what can be repaired.

The small local model miscites, drops citations and invents figures, and analysts act on the
figures. So every factual sentence or bullet must be supported by a passage it cites (support
score at or above the calibrated threshold, and every figure present in that passage). This module
applies that rule claim by claim and rebuilds the Markdown:

- markers pointing to no provided passage are dropped (counted in `invalid_markers`);
- a claim supported by a cited passage keeps only its supporting citations ("verified", or
  "repaired" when its citation list changed); several cited passages may support it together;
- a claim its citations do not support, but another provided passage does, is re-pointed there;
  a claim with no marker gets the best supporting passage attached ("repaired");
- a claim that its citations and one more passage *of the same document* support together keeps
  its citations and gains that passage ("repaired"): the evidence step keeps only a few
  sentences per passage, so a fact and its subject often land in two passages of one document
  ("10X ... lift capacity to 10,000 t" in one, "commissioned by 2028" in the next). Guarded,
  because a second passage makes any word easier to find: the cited passages must hold every
  figure of the claim, the added passage on its own must cover a good part of the claim's words
  and meaning (`COMPLETING_BASE`), and it must come from a document already cited. Across
  documents the rule verified wrong mixes in the eval runs (April's element list with October's
  date; a 2023 table row with a "2025" report title), so it is not applied there;
- any other claim is removed (policy "remove") or kept without markers and flagged
  " ⚠️ unverified" (policy "mark"): status "removed" / "unsupported";
- a claim opening with "It"/"They"/"The company"... is read together with the claim before it
  in its section for words and meaning (never for figures);
- headings, and sentences that state no fact ("The documents do not say ...", "Here are the key
  points:") are "structural": kept as written, without markers;
- a heading whose claims were all removed goes too; blank lines are tidied;
- with `fuller=True` (brief answers), a kept claim resting on one source sentence that says
  what the claim says plus names or figures the claim left out is shown as that sentence
  (`_Judge._fuller`): the small model shortens "The Mt Weld mine, near Laverton in Western
  Australia, ..." to "Lynas' mine is in Western Australia" and the analyst loses the mine.

Nothing here decides refusal: an empty `Verification.text` is a valid result for the caller to
act on. Not handled: merging facts from passages the claim did not cite, rewriting claim text.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field, replace
from typing import Literal

import numpy as np

from rag.claims import Block, Claim, parse, render
from rag.elements import name_symbols
from rag.numbers import extract_quantities, holds_quantity
from rag.question import Constraints, other_date, question_constraints, unmet_constraint
from rag.records import is_record
from rag.support import (
    NO_FRAME,
    SUPPORT_THRESHOLD,
    Frame,
    SupportScore,
    SupportScorer,
    content_words,
    present,
    stem,
    with_context,
)
from ree.text import split_sentences, without_lead

#: Least words-and-meaning score (before penalties) of a passage added to a claim's citations.
#: Measured on the eval drafts: passages that truly complete a claim score 0.58-0.81 on their own,
#: source lists and stray headings that only lend a name 0.43-0.53.
COMPLETING_BASE = 0.55
#: A passage sentence standing in for a removed claim (`quote_floor`) has this many words: a
#: fragment says nothing, a paragraph-long run-on is not a bullet.
MIN_QUOTE_WORDS = 6
MAX_QUOTE_WORDS = 45
#: A fuller source sentence stands in for a kept claim only if it covers at least this share of
#: the claim's own words (those the question does not give) and is at most `FULLER_EXTRA_WORDS`
#: longer: a paraphrase of the sentence, not a claim that drew on a long sentence for one fact.
FULLER_COVERAGE = 0.7
FULLER_EXTRA_WORDS = 14
#: A later claim whose words a fuller sentence shown before holds at this share (and all its
#: figures) is not shown again.
SAID_COVERAGE = 0.9

Status = Literal["verified", "repaired", "removed", "unsupported", "structural"]
#: The statuses of a claim the user sees with its citations.
KEPT: tuple[Status, ...] = ("verified", "repaired")
UNVERIFIED_MARK = "⚠️ unverified"

_META = re.compile(
    r"^(?:(?:the|these|those|provided|available|retrieved|supplied)\s+)*"
    r"(?:documents?|passages?|sources?|context|excerpts?|materials?|texts?)\b.*?\b"
    r"(?:do(?:es)?\s+not|don't|doesn't|did\s+not|didn't|lack|contain\s+no|make\s+no|provide\s+no"
    r"|give\s+no|are\s+silent|is\s+silent|say\s+nothing)\b"
    r"|^(?:i|we)\s+(?:cannot|can't|could\s+not|couldn't|am\s+unable|are\s+unable|do\s+not\s+have"
    r"|don't\s+have|do\s+not\s+know|don't\s+know)\b"
    r"|^there\s+(?:is|are)\s+(?:no|not\s+enough|insufficient)\s+(?:information|data|evidence|mention)"
    r"|^(?:no|not\s+enough|insufficient)\s+(?:information|data|evidence)\b"
    r"|^not\s+(?:stated|mentioned|specified|available|covered|reported)\b",
    re.IGNORECASE,
)
_TRANSITION = re.compile(
    r"^(?:here\s+(?:is|are)|below\s+(?:is|are)|in\s+summary|to\s+summari[sz]e|to\s+sum\s+up"
    r"|overall|key\s+(?:points|takeaways|insights|findings)|in\s+short|summary)\b",
    re.IGNORECASE,
)
#: A sentence that leans on the one before it ("It also ...", "The company ...").
ANAPHORA = re.compile(
    r"^(?:it|its|they|their|this|these|that|those|he|she|such|the (?:company|firm|group|miner|"
    r"project|plant|government|ministry|country|deal|move|ban|quota|policy|rule|rules))\b",
    re.IGNORECASE,
)
#: A sentence whose object is the thing the one before it named ("Georges Urbain discovered
#: it", "The DoD funded them").
_REFERS_BACK = re.compile(r"\s(?:it|them|him|her)\b(?!\s+(?:is|was|has)\b)", re.IGNORECASE)
_MARKER_NUMBER = re.compile(r"\[(\d+)\]")
_YES_NO = re.compile(r"(?i)^\s*(?:yes|no)\b")
#: A sentence that leans on the one before it, or an item of a list, is not shown on its own.
_DEPENDENT = re.compile(
    r"^(?:\(|[a-z]|(?:It|Its|They|Their|This|These|That|Those|He|She|Such|The same|And|But|So"
    r"|Also|Yet|Or|Then|Here|There)\b)"
)
_LOWER_LEAD = re.compile(r"^[^:]{1,30}: [a-z]")
#: A heading run into its first sentence: "Electric Vehicles (EVs) The tariff rate ...".
_RUN_IN = re.compile(r"[\w)] (?:The|A|An) [a-z]")
#: A source's label copied as a sentence ("Bayan Obo: profile of the deposit behind China's...
#: | 2025-11-20"): `rag.evidence.passage_title` joins title, date and page with " | ", which
#: no written sentence does. Its words are all in the passage's title, so it would verify.
_LABEL_COPY = re.compile(r"\s\|\s*(?:\d{4}(?:-\d{2}){0,2}\b|p\.\s*\d)")


def copies_label(text: str) -> bool:
    """The sentence is a source label (title | date | page), not a statement."""
    return _LABEL_COPY.search(text) is not None


_TURN = re.compile(r"\b(?:but|however|although|though|while|whereas|yet|except)\b|;", re.I)
_GENERIC = (
    "here below summary summarize summarise sum overall key points takeaways insights findings "
    "short following answer question main details"
)
_GENERIC_STEMS = frozenset(stem(w) for w in _GENERIC.split())


@dataclass
class ClaimVerdict:
    """What happened to one heading, sentence or bullet of the answer."""

    text: str  # the claim as written, without markers (headings: the heading line)
    citations: list[int]  # final citations ([] when removed, unsupported or structural)
    status: Status
    reason: str
    evidence: dict[int, str] = field(default_factory=dict)  # n -> quoted sentence of passage n

    def to_dict(self) -> dict:
        return asdict(self)

    def renumbered(self, mapping: Mapping[int, int]) -> ClaimVerdict:
        """The verdict with its citations, quotes and reason under other source numbers."""
        return replace(
            self,
            citations=[mapping[n] for n in self.citations if n in mapping],
            evidence={mapping[n]: q for n, q in self.evidence.items() if n in mapping},
            reason=_MARKER_NUMBER.sub(
                lambda m: f"[{mapping.get(int(m[1]), int(m[1]))}]", self.reason
            ),
        )


@dataclass
class Verification:
    """The verified Markdown and the verdict for each of its parts."""

    text: str
    claims: list[ClaimVerdict]
    invalid_markers: int
    removed: int  # factual claims removed (headings dropped with them are not counted)
    repaired: int

    def to_dict(self) -> dict:
        return {
            "text": self.text,
            "claims": [c.to_dict() for c in self.claims],
            "invalid_markers": self.invalid_markers,
            "removed": self.removed,
            "repaired": self.repaired,
        }


def is_structural(claim: Claim) -> bool:
    """A sentence stating no checkable fact: a refusal, a note on the sources, a transition.

    Never true when the sentence turns on "but", "however", "although"... (the rest may be a fact);
    a note on the sources may name a year ("The documents give no figure for 2026"), a transition
    may not carry any figure.
    """
    text = claim.text.strip()
    if not text or _TURN.search(text):
        return False
    if _META.search(text):
        return True
    if extract_quantities(text):
        return False
    if text.endswith(":"):  # introduces a list: "Here are the key points:"
        return True
    return bool(_TRANSITION.search(text)) and not set(content_words(text)) - _GENERIC_STEMS


def verify_answer(
    text: str,
    passages: Mapping[int, str],
    *,
    embed: Callable[[list[str]], np.ndarray] | None,
    policy: Literal["remove", "mark"] = "remove",
    threshold: float = SUPPORT_THRESHOLD,
    documents: Mapping[int, str] | None = None,
    question: str = "",
    document_context: Mapping[int, str] | None = None,
    bind_constraints: bool = True,
    quote_floor: float = 0.0,
    fuller: bool = False,
    named: Mapping[int, str] | None = None,
) -> Verification:
    """Verify `text` against `passages` (marker number -> passage text); see the module notes.

    `documents` (marker number -> document id) allows completing a claim with another passage of
    a document it already cites; without it no claim is completed. `question` is the claims'
    frame: what they may restate, and the constraints (dates, years, identifiers, names) their
    cited passages must match. `document_context` (marker number -> the passage's document
    title, date and file name) counts as part of each passage; `bind_constraints=False` keeps the
    frame but drops the constraints. `quote_floor` > 0 puts, in place of a claim that would be
    removed, the passage sentence it was closest to when that closeness reaches the floor
    (`_Judge._source_sentence`; insight bullets). `fuller` shows a kept claim as its one source
    sentence when that sentence adds the names or figures the claim left out (`_Judge._fuller`;
    brief answers). `named` (marker number -> the question's names the passage's whole document
    mentions, `rag.question.names_in`) meets the question's name constraint for that passage."""
    blocks = parse(text)
    contexts = claim_contexts(blocks)
    scorer = SupportScorer(embed)
    factual = [with_context(c.text, contexts[id(c)]) for b in blocks for c in b.claims]
    scorer.prepare(factual, list(passages.values()))
    grounds = Grounds.of(
        passages,
        question,
        document_context,
        documents=documents,
        bind=bind_constraints,
        named=named,
    )
    judge = _Judge(grounds, scorer, policy, threshold, quote_floor, fuller)

    verdicts: list[ClaimVerdict] = []
    heading_verdicts: dict[int, ClaimVerdict] = {}
    had_claims = [bool(b.claims) for b in blocks]
    for i, block in enumerate(blocks):
        if block.kind == "heading":
            verdict = ClaimVerdict(block.raw, [], "structural", "heading")
            heading_verdicts[i] = verdict
            verdicts.append(verdict)
        kept: list[Claim] = []
        for claim in block.claims:
            verdict, rendered = judge(claim, contexts[id(claim)])
            verdicts.append(verdict)
            if rendered is not None:
                kept.append(rendered)
        block.claims = kept

    _drop_orphan_intros(blocks)
    keep = [not (had and not block.claims) for had, block in zip(had_claims, blocks, strict=True)]
    for i, verdict in heading_verdicts.items():
        if _section_emptied(blocks, i, had_claims):
            keep[i] = False
            verdict.reason = "dropped: every claim under this heading was removed"
    final = render([b for b, k in zip(blocks, keep, strict=True) if k])
    return Verification(
        text=final,
        claims=verdicts,
        invalid_markers=judge.invalid_markers,
        removed=sum(v.status == "removed" for v in verdicts),
        repaired=sum(v.status == "repaired" for v in verdicts),
    )


def claim_contexts(blocks: list[Block]) -> dict[int, str]:
    """For each claim (by id), the previous claim of its section if it opens with "It"/"They"...
    or refers back to it as its object ("... discovered it")."""
    contexts: dict[int, str] = {}
    previous = ""
    for block in blocks:
        if block.kind == "heading":
            previous = ""
        for claim in block.claims:
            leans = ANAPHORA.match(claim.text) or _REFERS_BACK.search(claim.text)
            contexts[id(claim)] = previous if leans else ""
            if not is_structural(claim):
                previous = claim.text
    return contexts


def _drop_orphan_intros(blocks: list[Block]) -> None:
    """Remove a list intro ("Here are the key points:") left with no list after it."""
    for i, block in enumerate(blocks):
        if block.kind != "paragraph" or not block.claims or not block.claims[-1].text.endswith(":"):
            continue
        following = [b for b in blocks[i + 1 :] if b.kind != "blank"]
        bullets = []
        for b in following:
            if b.kind != "bullet":
                break
            bullets.append(b)
        if not any(b.claims for b in bullets):
            block.claims = block.claims[:-1]


def _section_emptied(blocks: list[Block], index: int, had_claims: list[bool]) -> bool:
    """Heading `index` had claims in its section (up to the next heading as high) and has none."""
    level = blocks[index].level
    had = has = False
    for j in range(index + 1, len(blocks)):
        block = blocks[j]
        if block.kind == "heading" and block.level <= level:
            break
        had = had or had_claims[j]
        has = has or bool(block.claims)
    return had and not has


@dataclass
class Grounds:
    """What claims are judged against: the passages, their documents, and the question."""

    passages: Mapping[int, str]
    documents: Mapping[int, str]  # n -> document id
    contexts: Mapping[int, str]  # n -> the document's title, date and file name
    frame: Frame
    constraints: Constraints
    named: Mapping[int, str] = field(default_factory=dict)  # n -> names its document mentions

    @classmethod
    def of(
        cls,
        passages: Mapping[int, str],
        question: str = "",
        contexts: Mapping[int, str] | None = None,
        *,
        documents: Mapping[int, str] | None = None,
        bind: bool = True,
        named: Mapping[int, str] | None = None,
    ) -> Grounds:
        return cls(
            passages,
            documents or {},
            contexts or {},
            Frame.of(question) if question else NO_FRAME,
            question_constraints(question) if bind else Constraints(),
            named or {},
        )

    def support(
        self, scorer: SupportScorer, claim: str, ns: Sequence[int], context: str = ""
    ) -> SupportScore:
        """How passages `ns` together (with their documents) support `claim`; a passage set
        that misses a constraint of the question, or whose sentence the claim rests on is about
        another date, does not support it, whatever its words."""
        passage = "\n".join(self.passages[n] for n in ns)
        document = "\n".join(self.contexts.get(n, "") for n in ns)
        score = scorer.score(claim, passage, context, frame=self.frame, document=document)
        # the names a passage's document mentions anywhere meet the question's name constraint
        # (not its dates), but never count as the passage's words for the claim's support
        named = "\n".join(self.named.get(n, "") for n in ns)
        unmet = unmet_constraint(self.constraints, passage, f"{document}\n{named}") or other_date(
            self.constraints, score.best_sentence, claim, document
        )
        return replace(score, unmet=unmet) if unmet else score


class _Judge:
    """Decides one claim at a time; counts invalid markers across the answer."""

    def __init__(
        self,
        grounds: Grounds,
        scorer: SupportScorer,
        policy: Literal["remove", "mark"],
        threshold: float,
        quote_floor: float = 0.0,
        fuller: bool = False,
    ) -> None:
        self.grounds = grounds
        self.quote_floor = quote_floor
        self.fuller = fuller
        self.quoted: set[str] = set()  # passage sentences already standing in for a claim
        self.passages = grounds.passages
        self.documents = grounds.documents
        self.scorer = scorer
        self.policy = policy
        self.threshold = threshold
        self.invalid_markers = 0

    def _score(self, claim: Claim, ns: list[int], context: str) -> SupportScore:
        return self.grounds.support(self.scorer, claim.text, ns, context)

    def __call__(self, claim: Claim, context: str = "") -> tuple[ClaimVerdict, Claim | None]:
        written = claim.text + claim.end
        valid = [n for n in claim.citations if n in self.passages]
        invalid = [n for n in claim.citations if n not in self.passages]
        self.invalid_markers += len(invalid)
        dropped = f"; dropped invalid marker(s) {_markers(invalid)}" if invalid else ""

        if copies_label(claim.text):
            return ClaimVerdict(written, [], "removed", "a source's label, not a statement"), None
        if is_structural(claim):
            verdict = ClaimVerdict(written, [], "structural", "states no checkable fact" + dropped)
            return verdict, Claim(claim.text, [], claim.end)

        scores = {n: self._score(claim, [n], context) for n in self.passages}
        supporters = [n for n in valid if scores[n].supports(self.threshold)]
        if (
            not supporters
            and len(valid) > 1
            and self._score(claim, valid, context).supports(self.threshold)
        ):
            supporters = valid
        if supporters:
            status: Status = "verified" if supporters == claim.citations else "repaired"
            unused = [n for n in valid if n not in supporters]
            reason = "supported by " + _markers(supporters)
            if unused:
                reason += f"; dropped non-supporting {_markers(unused)}"
            return self._kept(claim, supporters, status, reason + dropped, scores)

        others = [n for n in self.passages if n not in valid and scores[n].supports(self.threshold)]
        if others:
            best = max(others, key=lambda n: scores[n].score)
            if claim.citations:
                reason = f"re-pointed {_markers(claim.citations)} -> [{best}]"
            else:
                reason = f"no marker; attached [{best}]"
            return self._kept(claim, [best], "repaired", reason, scores)

        extra = self._completing_passage(claim, valid, scores, context)
        if extra is not None:
            reason = f"supported by {_markers(valid)} together with added [{extra}]"
            return self._kept(claim, [*valid, extra], "repaired", reason + dropped, scores)

        reason = _why_unsupported(valid, scores, self.threshold) + dropped
        quoted = self._source_sentence(claim, valid, scores, reason)
        if quoted is not None:
            return quoted
        if self.policy == "mark":
            rendered = Claim(f"{claim.text} {UNVERIFIED_MARK}", [], claim.end)
            return ClaimVerdict(written, [], "unsupported", reason), rendered
        return ClaimVerdict(written, [], "removed", reason), None

    def _source_sentence(
        self, claim: Claim, valid: list[int], scores: dict[int, SupportScore], why: str
    ) -> tuple[ClaimVerdict, Claim] | None:
        """The sentence of the (cited, else any) passage an unsupported claim was closest to, as
        its stand-in, when that closeness reaches `quote_floor`; None otherwise.

        The small model turns the figures of an insight's sources into generic phrases or gets
        them wrong ("China's share of mining reached 70%" for a passage giving 69%), and the
        bullet is removed with the figure the analyst needed. The passage's own sentence says
        what the bullet meant to say, in words that need no checking. Table records and lead-ins
        are never stand-ins (a cell or "... as follows:" is not a bullet), nor is a sentence
        already standing in for another claim."""
        if self.quote_floor <= 0 or not scores:
            return None
        pool = valid or list(scores)
        n = max(pool, key=lambda k: scores[k].base)
        score = scores[n]
        sentence = " ".join(without_lead(score.best_sentence).split())
        if score.unmet or score.base < self.quote_floor or not self._can_stand_in(sentence):
            return None
        self.quoted.add(sentence)
        reason = f"replaced by the sentence of [{n}] it was closest to ({score.base:.2f}): {why}"
        verdict = ClaimVerdict(claim.text + claim.end, [n], "repaired", reason, {n: sentence})
        return verdict, _as_claim(sentence, [n])

    def _can_stand_in(self, sentence: str) -> bool:
        """Whether a passage sentence may be shown in a claim's place: not yet shown, 6-45
        words, not a table record, a lead-in ("... as follows:") or a sentence citing sources."""
        return (
            bool(sentence)
            and sentence not in self.quoted
            and MIN_QUOTE_WORDS <= len(sentence.split()) <= MAX_QUOTE_WORDS
            and not is_record(sentence)
            and not sentence.endswith(":")
            and not _MARKER_NUMBER.search(sentence)
        )

    def _completing_passage(
        self, claim: Claim, valid: list[int], scores: dict[int, SupportScore], context: str
    ) -> int | None:
        """The best other passage that, read with the cited ones, supports the claim (or None).

        Only for claims that cite something (an uncited claim has no anchor to complete); each
        candidate costs one more scoring, and only passages relevant on their own are tried."""
        cited_docs = {self.documents.get(n) for n in valid} - {None}
        if not valid or not cited_docs:
            return None
        cited_score = scores[valid[0]] if len(valid) == 1 else self._score(claim, valid, context)
        if not cited_score.numeric_ok:
            return None
        best: tuple[float, int] | None = None
        for n in self.passages:
            if n in valid or scores[n].base < COMPLETING_BASE:
                continue
            if self.documents.get(n) not in cited_docs:
                continue
            joint = self._score(claim, [*valid, n], context)
            if joint.supports(self.threshold) and (best is None or joint.score > best[0]):
                best = (joint.score, n)
        return None if best is None else best[1]

    def _kept(
        self,
        claim: Claim,
        citations: list[int],
        status: Status,
        reason: str,
        scores: dict[int, SupportScore],
    ) -> tuple[ClaimVerdict, Claim | None]:
        evidence = {n: scores[n].best_sentence for n in citations}
        if len(citations) == 1 and (fuller := self._fuller(claim, scores[citations[0]])):
            self.quoted.add(fuller)
            reason += f"; shown as the fuller sentence of [{citations[0]}]"
            verdict = ClaimVerdict(claim.text + claim.end, citations, status, reason, evidence)
            return verdict, _as_claim(fuller, citations)
        if self._said_fuller(claim.text):
            reason += "; not shown: a fuller sentence before it says it"
            return ClaimVerdict(claim.text + claim.end, citations, status, reason, evidence), None
        verdict = ClaimVerdict(claim.text + claim.end, citations, status, reason, evidence)
        sources = " ".join(self.passages[n] for n in citations)
        return verdict, Claim(name_symbols(claim.text, sources), citations, claim.end)

    def _said_fuller(self, text: str) -> bool:
        """Whether a fuller sentence shown before (`_fuller`) already says claim `text`: its
        words and every figure ("... in 2024, while the non-EV rate rises to 25% in 2026")."""
        if not self.fuller or not self.quoted:
            return False
        own = content_words(text)
        figures = extract_quantities(text)
        for shown in self.quoted:
            words = content_words(shown)
            if sum(present(w, words) for w in own) >= SAID_COVERAGE * len(own) and all(
                holds_quantity(q, shown) for q in figures
            ):
                return True
        return False

    def _fuller(self, claim: Claim, score: SupportScore) -> str:
        """The source sentence a kept claim rests on, when it says what the claim says and adds
        names or figures the claim left out (and the question did not give); "" otherwise.
        Never a record, a lead-in, a sentence already shown, or a yes/no answer's sentence."""
        if not self.fuller:
            return ""
        sentence = " ".join(without_lead(score.best_sentence).split())
        if (
            not self._can_stand_in(sentence)
            or sentence[-1] not in ".!?"
            or _LOWER_LEAD.match(sentence)  # "Funding: the Australian Government ...": a list item
            or ANAPHORA.match(claim.text)  # "This is about 69%": its context says what "this" is
            or _DEPENDENT.match(sentence)  # "It reports ...", "And up to now ...", "(iii) The ..."
            or _RUN_IN.search(sentence)  # "Electric Vehicles (EVs) The tariff rate ..."
            or len(sentence.split()) > len(claim.text.split()) + FULLER_EXTRA_WORDS
            or len(split_sentences(sentence)) > 1  # a unit of two ("... respectively. ^4 REO ...")
            or _YES_NO.match(claim.text)
        ):
            return ""
        asked = self.grounds.frame.words
        own = {w: name for w, name in content_words(claim.text).items() if w not in asked}
        source = content_words(sentence)
        if not own or sum(present(w, source) for w in own) < FULLER_COVERAGE * len(own):
            return ""
        if any(not present(w, source) for w, name in own.items() if name):
            return ""  # a name of the claim the sentence does not hold: another fact
        figures = [
            q for q in extract_quantities(claim.text) if q not in self.grounds.frame.quantities
        ]
        if any(not holds_quantity(q, sentence) for q in figures):
            return ""
        new_names = [w for w, name in source.items() if name and w not in own and w not in asked]
        new_figures = [
            q
            for q in extract_quantities(sentence)
            if not holds_quantity(q, claim.text) and q not in self.grounds.frame.quantities
        ]
        return sentence if new_names or new_figures else ""


def _as_claim(sentence: str, citations: list[int]) -> Claim:
    """A passage sentence shown as a claim citing `citations`, its end mark kept."""
    body = sentence.rstrip()
    end = body[-1] if body[-1] in ".!?" else "."
    return Claim(body.rstrip(".!?").rstrip(), citations, end)


def _why_unsupported(valid: list[int], scores: dict[int, SupportScore], threshold: float) -> str:
    if not scores:
        return "no passages provided"
    if valid:
        best = max(valid, key=lambda n: scores[n].score)
        s = scores[best]
        if s.wrong_cells:
            return f"cited [{best}] holds the figure in another row or column: {s.wrong_cells[0]}"
        if s.missing_numbers:
            figures = ", ".join(q.raw for q in s.missing_numbers)
            return f"figure(s) not in cited [{best}]: {figures}"
        if s.unmet:
            return f"cited [{best}] does not match the question: {s.unmet}"
        detail = f"; {', '.join(s.penalties)}" if s.penalties else ""
        return f"cited [{best}] scored {s.score:.2f} < {threshold:.2f}{detail}"
    best = max(scores, key=lambda n: scores[n].score)
    return f"no marker and no passage supports it (best [{best}] scored {scores[best].score:.2f})"


def _markers(numbers: list[int]) -> str:
    return "".join(f"[{n}]" for n in numbers)
