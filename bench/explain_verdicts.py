"""Re-verify the drafts of an eval run with the current code and explain each claim's score.

    python bench/explain_verdicts.py RUN_DIR ID [ID ...]

For every claim of each question's draft(s): the verdict, and for each shown passage the score,
its parts (word coverage, cosine), penalties, missing figures and names, wrong table cells and
unmet constraints. A development tool for reading failures one by one.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from rag.claims import parse  # noqa: E402
from rag.question import question_constraints, unmet_constraint  # noqa: E402
from rag.support import Frame, SupportScorer  # noqa: E402
from rag.verify import claim_contexts, is_structural, verify_answer  # noqa: E402
from ree.runtime import get_embedder  # noqa: E402
from ree.runtime.memo import EmbeddingMemo  # noqa: E402


def explain(row: dict, embed: EmbeddingMemo) -> None:
    passages = {int(n): t for n, t in row.get("evidence", {}).items()}
    contexts = {int(n): t for n, t in row.get("evidence_context", {}).items()}
    question = row["question"]
    frame = Frame.of(question)
    constraints = question_constraints(question)
    scorer = SupportScorer(embed)
    print(f"\n=== {row['id']} {row.get('outcome')} | {question}")
    print("    constraints:", constraints)
    for d, draft in enumerate(row.get("drafts") or [row.get("draft", "")]):
        v = verify_answer(
            draft,
            passages,
            embed=embed,
            question=question,
            document_context=contexts,
            documents={n: contexts.get(n, "") for n in passages},
        )
        print(f"  draft {d + 1}: {draft[:300]!r}")
        blocks = parse(draft)
        ctx = claim_contexts(blocks)
        claims = [c for b in blocks for c in b.claims]
        verdicts = [x for x in v.claims if x.reason != "heading"]
        for claim, verdict in zip(claims, verdicts):
            if is_structural(claim):
                continue
            print(
                f"    - {verdict.status}: {claim.text[:120]!r} cites {claim.citations} -> {verdict.reason}"
            )
            for n, p in passages.items():
                s = scorer.score(
                    claim.text, p, ctx[id(claim)], frame=frame, document=contexts.get(n, "")
                )
                unmet = unmet_constraint(constraints, p, contexts.get(n, ""))
                print(
                    f"        [{n}] score {s.score:.2f} lex {s.lexical:.2f} cos {s.cosine} pen {s.penalties} "
                    f"missing {[q.raw for q in s.missing_numbers]} names {s.missing_names} "
                    f"wrong {s.wrong_cells} unmet {unmet!r}"
                )


def main() -> int:
    run, ids = Path(sys.argv[1]), set(sys.argv[2:])
    embed = EmbeddingMemo(get_embedder())
    for line in (run / "results.jsonl").read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        if row["id"] in ids:
            explain(row, embed)
    return 0


if __name__ == "__main__":
    sys.exit(main())
