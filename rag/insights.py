"""In-Depth Insights: analyst sections about the user's subject, each with its own evidence.

The seed article's insights ask three questions of the news (the deeper strategic implications;
the long-term impact on the market and the industries that depend on it; what investors should
weigh) and answer each with three or four `Label: claim` bullets. Here each question is a *lens*
(data: `prompts/lenses.yaml`, or your own file, `REE_LENSES_FILE`), and each section is written
on its own:

1. retrieve for the subject seen through the lens (the question plus the lens's search words),
   skipping passages an earlier section already showed, so the answer draws on more of the
   library than one short sources block; the question's own top passages
   (`insight_reused_passages`) stay available to every section, so a later section can read
   the subject's core facts from its angle instead of only passages farther from the subject;
2. select that section's evidence and show its quotes (`EvidenceShown`) before it is written;
3. the model writes "### <its own analyst question about the subject>" and 2-4
   `- **Label**: claim [n]` bullets; each finished bullet is verified before it is shown;
4. tidy: a heading that is missing, not a question or just the user's question becomes the lens's
   question about the subject; a bullet repeating an earlier one (or saying only a part of it)
   goes; a section whose bullets were all removed is dropped, not the whole answer.

Sections stream one after another. Every section numbers its sources from [1]; `Numbering` gives
each passage one number across the answer, so the final text cites a single sources list.

Not handled: lenses chosen per question (every answer uses all lenses, in file order).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from rag.claims import parse, render
from rag.evidence import Passage
from rag.lexicon import lexicon
from rag.support import content_words
from rag.verify import ANAPHORA

#: Bullets whose content words overlap this much (Jaccard) with an earlier bullet repeat it.
DUPLICATE_JACCARD = 0.6
#: A bullet whose content words lie this much (share of its own) inside an earlier bullet says
#: only a part of it ("Chinese producers dominate separated NdPr supply" after "Chinese producers
#: dominate separated NdPr supply, so domestic Chinese quotes act as the world reference price").
CONTAINED_SHARE = 0.8
#: A heading this alike (content-word Jaccard) to the user's question or to an earlier section's
#: heading asks nothing new: the lens's own question replaces it.
SAME_HEADING_JACCARD = 0.8
#: Labels longer than this many words are cut to their head (`_label_head`).
MAX_LABEL_WORDS = 5


@dataclass(frozen=True)
class Lens:
    """One section's angle: its fallback question, retrieval words and what bullets are about."""

    name: str
    question: str  # with {subject}
    search: str
    focus: str


class LensError(ValueError):
    """The lenses file is missing or malformed; the message names the file and the fix."""


@cache
def load_lenses(path: Path) -> tuple[Lens, ...]:
    """The lenses of a YAML file (see `prompts/lenses.yaml` for the fields)."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise LensError(f"lenses file {path} is missing (check REE_LENSES_FILE)") from None
    except yaml.YAMLError as exc:
        raise LensError(f"lenses file {path} is not valid YAML: {exc}") from None
    if not isinstance(data, list) or not data:
        raise LensError(f"lenses file {path} must be a non-empty list of lenses")
    lenses = []
    for i, item in enumerate(data, start=1):
        missing = [k for k in ("name", "question", "search", "focus") if not item.get(k)]
        if missing:
            raise LensError(f"lens {i} of {path} lacks {', '.join(missing)}")
        lenses.append(
            Lens(*(str(item[k]).strip() for k in ("name", "question", "search", "focus")))
        )
    return tuple(lenses)


def subject_of(question: str) -> str:
    """The subject of an analysis question, for a lens's fallback heading.

    "What does the $110/kg NdPr price floor mean for Western magnet supply chains?" ->
    "the $110/kg NdPr price floor"; a question that fits no pattern is its own subject.
    """
    text = question.strip().rstrip("?").strip()
    patterns = (
        r"^what (?:does|do|did|will|would|could|might) (.+?) (?:mean|signal|imply)\b",
        r"^what (?:are|is|were|was) the (?:[\w-]+ )*?(?:implications?|impacts?|effects?|"
        r"consequences?|risks?|outlook|significance) (?:of|for) (.+?)(?: on .+)?$",
        r"^how (?:should|could|might|do|does|will|would) (?:investors|buyers|analysts|we) "
        r"(?:assess|read|weigh|view|judge|evaluate) (.+?)(?: when .+)?$",
        r"^how (?:does|do|did|will|would|could|might) (.+?) (?:change|affect|shape|alter)\b",
    )
    for pattern in patterns:
        m = re.match(pattern, text, re.IGNORECASE)
        if m:
            return m.group(1).strip(" ,")
    return text


class Numbering:
    """One source number per passage across all sections of an answer."""

    def __init__(self) -> None:
        self.passages: dict[int, Passage] = {}  # global n -> the passage, renumbered
        self._by_chunk: dict[str, int] = {}

    def add(self, local: Sequence[Passage]) -> dict[int, int]:
        """Number a section's passages: local n -> global n (a passage seen before keeps its
        number; its text is the union of what each section showed, first section first)."""
        mapping: dict[int, int] = {}
        for p in local:
            key = p.hit.chunk.id
            if key in self._by_chunk:
                n = self._by_chunk[key]
                known = self.passages[n]
                if p.text not in known.text:
                    self.passages[n] = replace(known, text=f"{known.text}\n... {p.text}")
            else:
                n = len(self.passages) + 1
                self._by_chunk[key] = n
                self.passages[n] = replace(p, n=n, same_as=0)
            mapping[p.n] = n
        return mapping


_BULLET_START = re.compile(r"^[ \t]*[-*][ \t]", re.M)


def bullet_beyond(draft: str, limit: int) -> int | None:
    """Where the draft starts bullet number `limit + 1` (or None): a section has said enough
    with `limit` bullets, and every further token is time the reader waits."""
    starts = [m.start() for m in _BULLET_START.finditer(draft)]
    return starts[limit] if len(starts) > limit else None


def renumber(text: str, mapping: dict[int, int]) -> str:
    """`text` with its citation markers mapped to other numbers (unknown numbers dropped)."""
    blocks = parse(text)
    for block in blocks:
        for claim in block.claims:
            claim.citations = [mapping[n] for n in claim.citations if n in mapping]
    return render(blocks)


@dataclass
class SectionTidy:
    """Makes a verified section readable: a real heading, labelled bullets, no repeats."""

    lens: Lens
    subject: str
    question: str
    earlier: list[frozenset[str]]  # content words of bullets kept by earlier sections
    headings: list[frozenset[str]] = field(default_factory=list)  # earlier sections' headings

    def __call__(self, text: str) -> str:
        blocks = parse(text)
        heading = next((b for b in blocks if b.kind == "heading"), None)
        bullets = [b for b in blocks if b.kind == "bullet" and b.claims]
        kept: list[Any] = []
        seen = list(self.earlier)
        for bullet in bullets:
            # a sentence an earlier bullet said goes, the bullet's new sentences stay (i011: two
            # lenses' bullets opened with the same sentence of the same passage)
            # ... unless what stays leans on what went ("These actions could lead to ...")
            new = [
                c
                for c in bullet.claims
                if not any(repeats(frozenset(content_words(c.text)), other) for other in seen)
            ]
            if not new or (new[0] is not bullet.claims[0] and ANAPHORA.match(new[0].text)):
                continue
            bullet.claims = new
            words = frozenset(content_words(" ".join(c.text for c in bullet.claims)))
            if any(repeats(words, other) for other in seen):
                continue
            bullet.prefix = "- "
            bullet.label = _label(bullet.label, self.lens, bullet.claims[0].text)
            kept.append(bullet)
            seen.append(words)
        if not kept:
            return ""
        title = heading.raw.lstrip("#").strip() if heading else ""
        if not self._usable(title):
            title = self.lens.question.format(subject=self.subject)
        return render([_heading(title), *kept])

    def words_of(self, text: str) -> list[frozenset[str]]:
        """Content words of each bullet of a finished section (for the sections after it)."""
        return [
            frozenset(content_words(" ".join(c.text for c in b.claims)))
            for b in parse(text)
            if b.kind == "bullet" and b.claims
        ]

    def heading_words(self, section: str) -> frozenset[str]:
        """Content words of a finished section's heading (for the sections after it)."""
        return frozenset(content_words(section.split("\n", 1)[0].lstrip("#")))

    def _usable(self, title: str) -> bool:
        """A heading the model wrote is kept when it is a question of its own: not the user's,
        and not an earlier section's (two lenses' sections both asked "How does China's growing
        share ... impact Western diversification strategies?")."""
        if not title.endswith("?") or len(title.split()) < 5:
            return False
        mine = frozenset(content_words(title))
        taken = [frozenset(content_words(self.question)), *self.headings]
        return all(jaccard(mine, other) < SAME_HEADING_JACCARD for other in taken)


def _heading(title: str) -> Any:
    from rag.claims import Block

    return Block("heading", raw=f"### {title}", level=3)


def _label(label: str, lens: Lens, claim: str) -> str:
    """ "**Label**: " for a label of 1-5 words (a longer one cut to its head), else none.

    A one-word label ("Security") is qualified by the first word of the lens's name
    ("Strategic security"; a name the claim also capitalises, "China", keeps its case): the
    seed's labels name the point, and one word rarely does."""
    words = label.replace("*", "").replace("_", "").strip().rstrip(":").strip()
    if len(words.split()) > MAX_LABEL_WORDS:
        words = _label_head(words)
    if not words:
        return ""
    qualifier = lens.name.split()[0].capitalize() if lens.name.split() else ""
    if len(words.split()) == 1 and qualifier and qualifier.lower() != words.lower():
        proper = words[1:] != words[1:].lower() or words in re.findall(r"\w+", claim)[1:]
        words = f"{qualifier} {words if proper else words.lower()}"
    return f"**{words}**: "


def _label_head(words: str) -> str:
    """A label of more than `MAX_LABEL_WORDS` words cut to its head: the words before its first
    function word (a stopword of `rag/lexicon.yaml`; "Critical minerals and rare earths supply
    chain" -> "Critical minerals"), else its first `MAX_LABEL_WORDS` words."""
    breaks = lexicon().stopwords
    head: list[str] = []
    for word in words.split():
        if word.lower() in breaks and head:
            break
        head.append(word)
    return " ".join(head[:MAX_LABEL_WORDS])


def repeats(words: frozenset[str], earlier: frozenset[str]) -> bool:
    """Whether a bullet of these content words repeats an earlier bullet's: mostly the same
    words, or (three words or more) hardly a word the earlier one did not say."""
    if jaccard(words, earlier) >= DUPLICATE_JACCARD:
        return True
    return len(words) >= 3 and len(words & earlier) / len(words) >= CONTAINED_SHARE


def with_core(fresh: Sequence[Any], core: Sequence[Any], n: int) -> list[Any]:
    """A later section's hits: the question's top `n` hits (`core`), then its own fresh ones."""
    top = list(core[:n])
    ids = {h.chunk.id for h in top}
    return top + [h for h in fresh if h.chunk.id not in ids]


def jaccard(a: frozenset[str] | set[str], b: frozenset[str] | set[str]) -> float:
    """Overlap of two word sets (shared over all); 0 when either is empty."""
    return len(a & b) / len(a | b) if a and b else 0.0
