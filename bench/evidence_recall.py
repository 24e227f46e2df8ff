"""Where an answer's required facts are lost: never retrieved, or retrieved and left out of the
evidence the model reads.

    python bench/evidence_recall.py eval/datasets/shared-corpus.jsonl --corpus ../shared/corpus \
        --exclude SOURCES.md

For every answerable question with must-include phrases, the engine retrieves and builds its
evidence exactly as `ree ask` does (no generation), and each phrase is matched as the eval
matches it (`eval.metrics.must_include_hits`: "25,300" = "25300") against the retrieved
passages, the evidence, and the top 20 retrieved passages. A question whose evidence lacks a
phrase cannot be answered in full, whatever the model does; one whose retrieved passages hold it
is lost to the evidence budget. Prints one line per such question and the totals.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from eval.metrics import must_include_hits  # noqa: E402
from eval.runner import prepare_index  # noqa: E402
from eval.suite import load_suite  # noqa: E402
from rag.engine import Engine  # noqa: E402
from ree.settings import get_settings  # noqa: E402


def _missing(text: str, phrases: list[str]) -> list[str]:
    return [p for p, hit in zip(phrases, must_include_hits(text, phrases), strict=True) if not hit]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("suite")
    parser.add_argument("--corpus", required=True)
    parser.add_argument("--exclude", action="append", default=[])
    args = parser.parse_args()
    settings = get_settings()
    index, _report = prepare_index(Path(args.corpus), settings, exclude=args.exclude)
    engine = Engine(settings, index=index)
    counted = in_retrieved = in_evidence = 0
    for item in load_suite(args.suite):
        phrases = list(item.must_include or [])
        if not item.answerable or not phrases:
            continue
        counted += 1
        hits = engine.retrieve(item.question).hits
        evidence = "\n".join(p.as_seen for p in engine.evidence(item.question, hits))
        not_retrieved = _missing("\n".join(h.text for h in hits), phrases)
        not_shown = _missing(evidence, phrases)
        in_retrieved += not not_retrieved
        in_evidence += not not_shown
        if not_shown:
            deep = engine.retriever.search(item.question, k=20).hits
            not_in_20 = _missing("\n".join(h.text for h in deep), phrases)
            print(
                f"{item.id}: not in evidence {not_shown}; not retrieved {not_retrieved}; "
                f"not in top 20 {not_in_20} | {item.question[:80]}"
            )
    print(
        f"{counted} questions: every required phrase retrieved for {in_retrieved}, "
        f"in the evidence for {in_evidence}"
    )


if __name__ == "__main__":
    main()
