"""Split an LLM answer into checkable claims without losing its Markdown shape.

The verifier must judge each factual sentence or bullet on its own, drop or mark some, re-point
their citations, and then hand back Markdown that still looks like the original answer. This module
owns that round trip: `parse` turns text into blocks (headings, blank lines, bullets, paragraphs)
whose bullets and paragraphs hold `Claim`s with canonical integer citations, and `render` turns the
blocks back into text.

Citation markers: the small model writes "[2]", "[1, 3]", "[1][3]", "[1-3]", "【2】", "[S2]",
"[Source 2]" and "(Source 2)". All of them parse to sorted-by-appearance integers, and all render
back in one canonical style: markers go right before the sentence-ending punctuation, as
"China refines about 90% of the supply [1][3]." (a bullet without final punctuation ends with the
markers). Markers anywhere inside a sentence ("According to [2], ...") are hoisted to its end.

Deliberately not handled: tables, code fences and nested structure are treated as plain paragraph
text (they are not part of the answer formats we ask for, and being strict about them is safe);
hard-wrapped paragraphs are re-joined onto a single line when rendered.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Literal

from ree.text.sentences import MARKER_RE, split_sentences

_LEAD_IN_RE = re.compile(
    r",?\s*\b(?:according to|as (?:noted|stated|reported|shown) (?:in|by)|per|see)\s*(?:"
    + MARKER_RE.pattern
    + r")(?:\s*(?:"
    + MARKER_RE.pattern
    + r"))*\s*,?",
    re.IGNORECASE,
)
_MAX_RANGE = 20  # "[1-300]" is not a citation range anybody means; cap expansion

_HEADING_RE = re.compile(r"^\s{0,3}(#{1,6})\s+(.*?)\s*#*\s*$")
_BOLD_LINE_RE = re.compile(r"^\s*\*\*[^*\n]+\*\*\s*:?\s*$")  # "**What drives prices?**" alone
_BULLET_RE = re.compile(r"^(\s*)([-*+•]|\d{1,2}[.)])\s+(.*)$")
# "Supply: ", "**Supply:** ", "**Supply**: " - short and digit-free, so that a sentence such as
# "China holds 70% of mining: ..." is never mistaken for a label and its figure left unchecked.
_LABEL_RE = re.compile(r"^(?:\*\*|__)?[^:\[\]\n\d*_]{1,40}?(?::(?:\*\*|__)|(?:\*\*|__)?:)\s+(?=\S)")
_LABEL_MAX_WORDS = 6
# A bold lead ("**Critical minerals and rare earths supply chain**: ") is a label however long:
# the markup says so. Left in the claim, it showed as a seven-word label no tidying could shorten.
_BOLD_LABEL_RE = re.compile(
    r"^(?:\*\*|__)[^:\[\]\n\d*_]{1,80}?(?::(?:\*\*|__)|(?:\*\*|__):)\s+(?=\S)"
)
_END_RE = re.compile(r"[.!?…]+$")


@dataclass
class Claim:
    """One sentence (or one bullet's sentence) with its citations pulled out."""

    text: str  # without markers and without the final punctuation
    citations: list[int] = field(default_factory=list)
    end: str = ""  # ".", "!", "?" or "" as written

    def render(self) -> str:
        """Text with canonical markers before the final punctuation: 'x [1][3].'"""
        markers = "".join(f"[{n}]" for n in self.citations)
        body = f"{self.text} {markers}" if self.text and markers else self.text or markers
        return body + self.end


BlockKind = Literal["heading", "blank", "bullet", "paragraph"]


@dataclass
class Block:
    """A line-level unit of the answer. Only bullets and paragraphs carry claims."""

    kind: BlockKind
    raw: str = ""  # headings: the line as rendered (markers stripped); blank: ""
    level: int = 0  # heading level (1-6; 7 for a bold-only line used as a heading)
    prefix: str = ""  # bullets: indentation plus marker, e.g. "- " or "  1. "
    label: str = ""  # bullets: "Supply: " or "**Supply:** " as written, else ""
    claims: list[Claim] = field(default_factory=list)

    def render(self) -> str:
        if self.kind in ("heading", "blank"):
            return self.raw
        body = " ".join(c.render() for c in self.claims)
        return f"{self.prefix}{self.label}{body}"


def parse_markers(text: str) -> list[int]:
    """All citation numbers referenced by markers in `text`, in order of first appearance."""
    seen: list[int] = []
    for match in MARKER_RE.finditer(text):
        for n in _marker_numbers(match.group(0)):
            if n not in seen:
                seen.append(n)
    return seen


def _marker_numbers(marker: str) -> list[int]:
    numbers: list[int] = []
    # "1-3" style ranges first, then single numbers
    for part in re.split(r"\s*(?:[,;&]|\band\b)\s*", marker[1:-1], flags=re.IGNORECASE):
        ints = [int(x) for x in re.findall(r"\d+", part)]
        if len(ints) == 2 and re.search(r"\d\s*[-–—]\s*\D*\d", part) and ints[1] > ints[0]:
            if ints[1] - ints[0] < _MAX_RANGE:
                numbers.extend(range(ints[0], ints[1] + 1))
            else:
                numbers.extend(ints)
        else:
            numbers.extend(ints)
    return numbers


def strip_markers(text: str) -> str:
    """`text` without any citation markers, with the whitespace around them tidied.

    A marker used as a noun phrase ("According to [2], prices rose") goes with its lead-in words.
    """
    out = _LEAD_IN_RE.sub(" ", text)
    if out != text and out.strip()[:1].islower() and not text.strip()[:1].islower():
        out = out.strip()
        out = out[0].upper() + out[1:]
    out = MARKER_RE.sub(" ", out)
    out = re.sub(r"\(\s*\)", " ", out)  # "(see [2])" leaves empty brackets
    out = re.sub(r"[ \t]+", " ", out)
    out = re.sub(r" +([.,;:!?…)])", r"\1", out)
    return out.strip()


_ENUM_LABEL_RE = re.compile(r"(?:^|(?<=:))\s*\d{1,2}[.)]\s+(?=\S)")


def parse_claim(sentence: str) -> Claim:
    """One sentence -> Claim: citations pulled out, markers removed, final punctuation split off.

    Inline list labels ("are: 1. Recovering ...", "2. Exploration ...") are dropped from the
    text: they are layout, and a "2" must not be checked as a figure."""
    citations = parse_markers(sentence)
    text = _ENUM_LABEL_RE.sub(lambda m: " " if m.start() else "", strip_markers(sentence)).strip()
    end_match = _END_RE.search(text)
    end = end_match.group(0) if end_match else ""
    if end:
        text = text[: -len(end)].rstrip()
    return Claim(text=text, citations=citations, end=end)


def parse(text: str) -> list[Block]:
    """Markdown answer -> blocks. Paragraph lines (and bullet continuation lines) are joined."""
    blocks: list[Block] = []
    paragraph: list[str] = []

    def flush() -> None:
        if paragraph:
            body = " ".join(s.strip() for s in paragraph)
            blocks.append(Block("paragraph", claims=_claims(body)))
            paragraph.clear()

    for line in text.replace("\r\n", "\n").split("\n"):
        heading = _HEADING_RE.match(line)
        bullet = _BULLET_RE.match(line)
        if not line.strip():
            flush()
            blocks.append(Block("blank"))
        elif heading:
            flush()
            title = strip_markers(heading.group(2))
            blocks.append(
                Block("heading", raw=f"{heading.group(1)} {title}", level=len(heading.group(1)))
            )
        elif _BOLD_LINE_RE.match(line):
            flush()
            blocks.append(Block("heading", raw=strip_markers(line), level=7))
        elif bullet:
            flush()
            indent, mark, body = bullet.groups()
            bold = _BOLD_LABEL_RE.match(body)
            label_match = bold or _LABEL_RE.match(body)
            label = label_match.group(0) if label_match else ""
            if not bold and len(label.split()) > _LABEL_MAX_WORDS:
                label = ""
            blocks.append(
                Block(
                    "bullet",
                    prefix=f"{indent}{mark} ",
                    label=label,
                    claims=_claims(body[len(label) :]),
                )
            )
        elif blocks and blocks[-1].kind == "bullet" and line[:1].isspace() and not paragraph:
            previous = blocks[-1]  # indented continuation of the bullet above
            joined = " ".join(c.render() for c in previous.claims) + " " + line.strip()
            previous.claims = _claims(joined)
        else:
            paragraph.append(line)
    flush()
    return blocks


def _claims(body: str) -> list[Claim]:
    return [parse_claim(s) for s in split_sentences(body)]


def render(blocks: list[Block]) -> str:
    """Blocks -> Markdown, with runs of blank lines collapsed and none at the ends."""
    lines: list[str] = []
    for block in blocks:
        if block.kind == "blank" and (not lines or lines[-1] == ""):
            continue
        lines.append(block.render())
    while lines and lines[-1] == "":
        lines.pop()
    return "\n".join(lines)


def iter_claims(blocks: list[Block]) -> Iterator[tuple[Block, Claim]]:
    """Every (block, claim) pair in reading order."""
    for block in blocks:
        for claim in block.claims:
            yield block, claim


#: A line that ends as a finished sentence: punctuation (closing quotes, brackets or emphasis
#: after it allowed), a citation marker, or closing bold.
_FINISHED_RE = re.compile(r"(?:[.!?…][\"'”’)\]*_]*|" + MARKER_RE.pattern + r"|\*\*)\s*$", re.I)
#: A cut sentence is completed from a source sentence holding its last this many words.
_TAIL_WORDS = 5
#: ... and only if what the source adds is at most this long (else the cut sentence goes).
_MAX_COMPLETION_CHARS = 160


def without_cut_tail(draft: str, sources: Sequence[str] = ()) -> str:
    """`draft` with a last sentence the generation cap cut off ("... China intends to",
    "- **EVs and wind**:"), a sentence ending in neither punctuation nor a citation marker,
    completed or dropped.

    The small model often copies a source sentence: when one of `sources` holds the cut
    sentence's last words, the rest of that source sentence completes it ("... China intends to"
    + "remain the centre of gravity for rare earth materials."), and verification then checks
    the whole; otherwise the cut sentence is dropped. A heading is never a cut sentence, and a
    draft that is only one sentence stays as it is (a short answer the model left without a
    period is still an answer)."""
    body = draft.rstrip()
    cut = body.rfind("\n")
    line = body[cut + 1 :]
    if not line.strip() or _HEADING_RE.match(line) or _FINISHED_RE.search(line):
        return draft
    sentences = split_sentences(line)
    last = line.rfind(sentences[-1]) if sentences else 0
    completion = _completion(line[last:], sources)
    if completion:
        return f"{body}{completion}"
    kept = body[: cut + 1 + last].rstrip()
    if not any(block.claims for block in parse(kept)):
        return draft
    return kept


def _completion(fragment: str, sources: Sequence[str]) -> str:
    """The rest of the source sentence whose words continue `fragment`'s last words, or ""."""
    words = re.findall(r"[\w$%.,'’/-]+", fragment.replace("**", " "))
    if len(words) < _TAIL_WORDS:
        return ""
    tail = r"\W+".join(re.escape(w) for w in words[-_TAIL_WORDS:])
    for source in sources:
        m = re.search(rf"{tail}(?P<rest>[^\n]*?[.!?])(?=\s|$)", source, re.IGNORECASE)
        if m and len(m.group("rest")) <= _MAX_COMPLETION_CHARS:
            return m.group("rest")
    return ""
