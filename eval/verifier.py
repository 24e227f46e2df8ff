"""How well the verifier judges real drafts: labelled sentences of the local model's own drafts.

`tests/data/verifier_drafts.jsonl` holds every factual sentence of the drafts recorded by
`ree eval qa` runs (`bench/extract_drafts.py`), each labelled by reading the passages the model
was shown: "supported" (with the passages that support it), "unsupported" or "refusal". This
module verifies each draft again, exactly as the engine does (same frame, constraints and
document context), and counts what happened to each labelled sentence:

- kept-correct: of the supported sentences, the share the verifier keeps (the answers' recall);
- let-through: of the unsupported sentences, the share it keeps (what trust costs when it fails);
- right-citation: of the kept supported sentences, the share whose final citations are all
  passages that support them.

Refusal sentences are counted apart: they state no fact to verify.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from rag.claims import parse
from rag.verify import KEPT, ClaimVerdict, is_structural, verify_answer

DEFAULT_DRAFTS = Path(__file__).resolve().parents[1] / "tests" / "data" / "verifier_drafts.jsonl"

Embed = Callable[[list[str]], np.ndarray]


@dataclass(frozen=True)
class LabelledSentence:
    """One factual sentence of a draft with a person's reading of the passages."""

    id: str
    question: str
    mode: str
    draft: str
    index: int  # among the draft's factual (non-structural) sentences
    sentence: str
    label: str  # "supported" | "unsupported" | "refusal"
    supported_by: tuple[int, ...]
    passages: dict[int, str]
    documents: dict[int, str]
    note: str = ""

    @property
    def draft_key(self) -> tuple[str, str, tuple[tuple[int, str], ...]]:
        """The draft this sentence belongs to: question id and draft number, the draft and the
        passages it was verified against (two runs may record the same draft id)."""
        return self.id.rsplit("#", 1)[0], self.draft, tuple(sorted(self.passages.items()))


@dataclass(frozen=True)
class Outcome:
    """What the verifier did with one labelled sentence."""

    item: LabelledSentence
    status: str
    citations: tuple[int, ...]
    reason: str

    @property
    def kept(self) -> bool:
        return self.status in KEPT

    @property
    def rightly_cited(self) -> bool:
        return bool(self.citations) and set(self.citations) <= set(self.item.supported_by)


@dataclass
class VerifierReport:
    """Counts and shares over every labelled sentence."""

    outcomes: list[Outcome] = field(default_factory=list)

    def _of(self, label: str) -> list[Outcome]:
        return [o for o in self.outcomes if o.item.label == label]

    @property
    def kept_correct(self) -> float:
        supported = self._of("supported")
        return sum(o.kept for o in supported) / len(supported) if supported else 0.0

    @property
    def let_through(self) -> float:
        unsupported = self._of("unsupported")
        return sum(o.kept for o in unsupported) / len(unsupported) if unsupported else 0.0

    @property
    def right_citation(self) -> float:
        kept = [o for o in self._of("supported") if o.kept]
        return sum(o.rightly_cited for o in kept) / len(kept) if kept else 0.0

    def summary(self) -> dict:
        counts = {label: len(self._of(label)) for label in ("supported", "unsupported", "refusal")}
        return {
            "sentences": len(self.outcomes),
            "drafts": len({o.item.draft_key for o in self.outcomes}),
            "labels": counts,
            "kept_correct": round(self.kept_correct, 3),
            "let_through": round(self.let_through, 3),
            "right_citation": round(self.right_citation, 3),
        }

    def mistakes(self) -> list[Outcome]:
        """Supported sentences removed and unsupported sentences kept, for reading."""
        return [
            o
            for o in self.outcomes
            if (o.item.label == "supported" and not o.kept)
            or (o.item.label == "unsupported" and o.kept)
        ]

    def markdown(self) -> str:
        s = self.summary()
        lines = [
            f"Verifier on {s['sentences']} labelled sentences of {s['drafts']} real drafts "
            f"({s['labels']['supported']} supported, {s['labels']['unsupported']} unsupported, "
            f"{s['labels']['refusal']} refusals)",
            "",
            "| measure | value |",
            "|---|---|",
            f"| kept-correct (supported sentences kept) | {s['kept_correct']:.3f} |",
            f"| let-through (unsupported sentences kept) | {s['let_through']:.3f} |",
            f"| right citation (kept supported sentences) | {s['right_citation']:.3f} |",
        ]
        wrong = self.mistakes()
        if wrong:
            lines += ["", "Mistakes:", ""]
            for o in wrong:
                lines.append(
                    f"- `{o.item.id}` labelled {o.item.label}, {o.status}: {o.item.sentence} "
                    f"({o.reason})"
                )
        return "\n".join(lines)


def load_labelled_drafts(path: Path = DEFAULT_DRAFTS) -> list[LabelledSentence]:
    """The labelled sentences of `path` (unlabelled lines are skipped)."""
    items = []
    with path.open(encoding="utf-8") as f:
        for line in f:
            d = json.loads(line)
            if not d.get("label"):
                continue
            items.append(
                LabelledSentence(
                    id=d["id"],
                    question=d["question"],
                    mode=d.get("mode", "brief"),
                    draft=d["draft"],
                    index=int(d["index"]),
                    sentence=d["sentence"],
                    label=d["label"],
                    supported_by=tuple(int(n) for n in d.get("supported_by") or ()),
                    passages={int(n): t for n, t in d["passages"].items()},
                    documents={int(n): t for n, t in (d.get("documents") or {}).items()},
                    note=d.get("note", ""),
                )
            )
    return items


def factual_verdicts(draft: str, verdicts: Sequence[ClaimVerdict]) -> list[ClaimVerdict]:
    """The verdicts of `draft`'s factual sentences, in order (the labelled sentences' indexes).

    `verify_answer` returns a verdict per heading and per claim, structural ones included; this
    keeps the factual claims' verdicts only."""
    out: list[ClaimVerdict] = []
    remaining = iter(verdicts)
    for block in parse(draft):
        if block.kind == "heading":
            next(remaining, None)
        for claim in block.claims:
            verdict = next(remaining, None)
            if verdict is not None and not is_structural(claim):
                out.append(verdict)
    return out


def measure(items: Iterable[LabelledSentence], embed: Embed | None) -> VerifierReport:
    """Verify every labelled draft as the engine would and record each sentence's outcome."""
    by_draft: dict[tuple, list[LabelledSentence]] = defaultdict(list)
    for item in items:
        by_draft[item.draft_key].append(item)
    report = VerifierReport()
    for sentences in by_draft.values():
        first = sentences[0]
        verification = verify_answer(
            first.draft,
            first.passages,
            question=first.question,
            document_context=first.documents,
            bind_constraints=first.mode != "insights",
            embed=embed,
        )
        verdicts = factual_verdicts(first.draft, verification.claims)
        for item in sentences:
            verdict = verdicts[item.index] if item.index < len(verdicts) else None
            report.outcomes.append(
                Outcome(
                    item,
                    verdict.status if verdict else "missing",
                    tuple(verdict.citations) if verdict else (),
                    verdict.reason if verdict else "no verdict for this sentence",
                )
            )
    return report


def run_verifier(path: Path = DEFAULT_DRAFTS, embedder: object | None = None) -> VerifierReport:
    """`measure` over the labelled file with the product's embedder (the engine's memo)."""
    from ree.runtime import get_embedder
    from ree.runtime.memo import EmbeddingMemo
    from ree.settings import get_settings

    embedder = embedder or get_embedder(get_settings().embed_backend)
    return measure(load_labelled_drafts(path), EmbeddingMemo(embedder))
