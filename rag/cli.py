"""`ree ask`: one question from the terminal, streamed, with sources; `--json` for scripts."""

from __future__ import annotations

import argparse
import json
import sys

from ree.cli import _EXTENSIONS, command


@command("ask")
def cmd_ask(args: argparse.Namespace) -> int:
    from rag.answer import Answer
    from rag.engine import get_engine

    filters = {
        "since": args.since,
        "until": args.until,
        "sources": args.source or [],
        "doc_types": args.type or [],
    }
    engine = get_engine(collection=args.collection)
    final: Answer | None = None
    streamed = ""
    live = not args.json and sys.stdout.isatty()
    for item in engine.stream(args.question, mode=args.mode, filters=filters):
        if isinstance(item, Answer):
            final = item
        elif live:
            streamed += item
            print(item, end="", flush=True)
    assert final is not None
    if args.json:
        print(json.dumps(final.to_dict(), indent=2, ensure_ascii=False))
        return 0
    if live and streamed.strip() != final.text.strip():
        print("\n\n(verified answer)")
    if not live or streamed.strip() != final.text.strip():
        print(final.text)
    print()
    if final.refused:
        print(f"\n(refused: {final.refusal_reason})")
        if final.sources:
            print("Closest sources:")
    else:
        print("\nSources:")
    print(final.sources_markdown())
    notes = []
    if final.removed:
        notes.append(f"{final.removed} unsupported sentence(s) removed")
    if final.repaired:
        notes.append(f"{final.repaired} citation(s) repaired")
    t = final.timings
    notes.append(
        f"retrieval {t.get('retrieval', 0):.2f} s, first token {t.get('ttft', 0):.1f} s, "
        f"total {t.get('total', 0):.1f} s" + (f", {final.model}" if final.model else "")
    )
    print("\n" + "; ".join(notes))
    return 0


def _register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("ask", help="answer a question with verified citations")
    p.add_argument("question")
    p.add_argument("--mode", choices=["brief", "insights"], default="brief")
    p.add_argument("--json", action="store_true", help="print the whole Answer as JSON")
    p.add_argument("--since", help="only documents published on/after DATE (YYYY-MM-DD)")
    p.add_argument("--until", help="only documents published on/before DATE (YYYY-MM-DD)")
    p.add_argument(
        "--source",
        action="append",
        help="only this document (name, path or title words); repeatable",
    )
    p.add_argument(
        "--type", action="append", help="only this file type (pdf, html, markdown, text, docx, csv)"
    )
    p.add_argument("--collection", help="collection name (default REE_COLLECTION)")


_EXTENSIONS.append(_register)
