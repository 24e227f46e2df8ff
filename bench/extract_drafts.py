"""Turn eval runs into a verifier labelling set: every draft sentence with the passages it saw.

    python bench/extract_drafts.py RUN_DIR [RUN_DIR ...] --out tests/data/verifier_drafts.jsonl

One line per factual sentence of each recorded draft (`results.jsonl` of `ree eval qa`): the
question, the whole draft (verification reads a sentence with its neighbours), the sentence's
index among the draft's factual sentences, its citations, and every passage the model was shown
with its document context. Labels are added by reading (`label` is "supported" when the passages
listed in `supported_by` state everything the sentence says; `supported_by` is empty when no
shown passage does). Lines already labelled in the output file are kept, matched by question id
and sentence text, so a new run only adds the sentences that are new.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from rag.claims import parse  # noqa: E402
from rag.verify import is_structural  # noqa: E402


def draft_sentences(row: dict) -> list[dict]:
    """The factual sentences of every draft of one results row (first draft and second
    chance), as unlabelled items."""
    out = []
    for d, draft in enumerate(row.get("drafts") or [row.get("draft") or ""]):
        out += _sentences(row, draft, f"{row['id']}#d{d + 1}")
    return out


def _sentences(row: dict, draft: str, prefix: str) -> list[dict]:
    out = []
    index = 0
    for block in parse(draft):
        for claim in block.claims:
            if is_structural(claim):
                continue
            out.append(
                {
                    "id": f"{prefix}#{index}",
                    "question": row["question"],
                    "mode": row.get("mode", "brief"),
                    "draft": draft,
                    "index": index,
                    "sentence": claim.render(),
                    "citations": claim.citations,
                    "passages": row.get("evidence", {}),
                    "documents": row.get("evidence_context", {}),
                    "label": None,
                    "supported_by": None,
                    "note": "",
                }
            )
            index += 1
    return out


def _key(item: dict) -> str:
    """A label belongs to a sentence *and* what it was checked against."""
    cited = "|".join(item["passages"].get(str(n), "") for n in item["citations"])
    return f"{item['sentence']}\n{hashlib.sha1(cited.encode()).hexdigest()[:12]}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("runs", nargs="+", type=Path)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(argv)
    known: dict[tuple[str, str], dict] = {}
    if args.out.exists():
        for line in args.out.read_text(encoding="utf-8").splitlines():
            item = json.loads(line)
            known[(item["id"].split("#")[0], item["passages_key"])] = item
    items: list[dict] = []
    for run in args.runs:
        for line in (run / "results.jsonl").read_text(encoding="utf-8").splitlines():
            row = json.loads(line)
            for item in draft_sentences(row):
                item["passages_key"] = _key(item)
                previous = known.get((row["id"], item["passages_key"]))
                if previous and previous.get("label"):
                    item.update({k: previous[k] for k in ("label", "supported_by", "note")})
                items.append(item)
    args.out.write_text(
        "".join(json.dumps(i, ensure_ascii=False) + "\n" for i in items), encoding="utf-8"
    )
    labelled = sum(bool(i["label"]) for i in items)
    print(f"{len(items)} sentences ({labelled} labelled) -> {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
