"""`ree eval qa | compare | beir`: the eval harness from the terminal (also `python -m eval ...`).

Each subcommand parses arguments, calls one library function (`eval.runner.run_qa`,
`eval.compare.compare_runs`, `eval.beir_run.run_beir`) and prints; heavy imports stay inside the
handlers so `ree --help` stays fast.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from ree.cli import _EXTENSIONS, command


def _qa(args: argparse.Namespace) -> int:
    from eval.report import format_summary
    from eval.runner import run_qa

    ids = [i.strip() for i in args.ids.split(",") if i.strip()] if args.ids else None
    run = run_qa(
        args.suite,
        args.corpus,
        out=args.out,
        mode=args.mode,
        limit=args.limit,
        ids=ids,
        k=args.k,
        exclude=args.exclude,
        progress=args.progress or sys.stderr.isatty(),
    )
    if args.json:
        print(json.dumps(run.summary, indent=2, ensure_ascii=False))
    else:
        meta = run.summary["meta"]
        print(
            f"{meta['suite']} over {meta['corpus']} ({meta['mode']}, {meta['model']}): "
            f"{meta['completed']}/{meta['items_in_suite']} questions in {meta['seconds']} s"
        )
        print(format_summary(run.summary))
        print(f"\nreport: {run.files['report']}")
    if run.interrupted:
        print("interrupted: the report covers the questions answered so far", file=sys.stderr)
        return 130
    return 0


def _compare(args: argparse.Namespace) -> int:
    from eval.compare import compare_runs, format_comparison

    result = compare_runs(args.run_a, args.run_b)
    print(
        json.dumps(result, indent=2, ensure_ascii=False) if args.json else format_comparison(result)
    )
    return 0


def _beir(args: argparse.Namespace) -> int:
    try:
        from eval.beir_run import run_beir
    except ModuleNotFoundError as exc:
        if exc.name != "eval.beir_run":
            raise
        print("error: eval.beir_run is not available in this checkout", file=sys.stderr)
        return 2
    result = run_beir(
        Path(args.folder),
        out=Path(args.out) if args.out else None,
        progress=args.progress or sys.stderr.isatty(),
    )
    print(json.dumps(result, indent=2, ensure_ascii=False))
    return 0


_HANDLERS = {"qa": _qa, "compare": _compare, "beir": _beir}


@command("eval")
def cmd_eval(args: argparse.Namespace) -> int:
    from eval.suite import SuiteError

    try:
        return _HANDLERS[args.eval_command](args)
    except SuiteError as exc:  # bad input: one line, no traceback
        print(f"error: {exc}", file=sys.stderr)
        return 2


def _register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("eval", help="evaluate answers (qa), compare runs, benchmark retrieval")
    evals = p.add_subparsers(dest="eval_command", required=True)

    q = evals.add_parser("qa", help="answer a QA suite over a corpus and score it")
    q.add_argument("suite", help="suite file (.jsonl), e.g. eval/datasets/sample.jsonl")
    q.add_argument("--corpus", required=True, help="folder of documents the suite is about")
    q.add_argument("--out", help="output folder (default REE_HOME/eval/runs/SUITE-MODE-TIME)")
    q.add_argument("--mode", choices=["brief", "insights"], default="brief")
    q.add_argument("--limit", type=int, help="only the first N questions")
    q.add_argument("--ids", help="only these question ids (comma separated)")
    q.add_argument("--k", type=int, default=5, help="source recall/MRR cut-off in files (5)")
    q.add_argument("--json", action="store_true", help="print summary.json instead of tables")
    q.add_argument("--progress", action="store_true", help="force the progress bar")
    q.add_argument(
        "--exclude",
        action="append",
        default=[],
        metavar="GLOB",
        help="leave corpus files matching GLOB out of the index (repeatable)",
    )

    c = evals.add_parser("compare", help="metric deltas and changed verdicts between two runs")
    c.add_argument("run_a", help="baseline run folder")
    c.add_argument("run_b", help="new run folder")
    c.add_argument("--json", action="store_true")

    b = evals.add_parser("beir", help="retrieval benchmark (dense/bm25/hybrid) on a BEIR folder")
    b.add_argument("folder", help="BEIR dataset folder (corpus.jsonl, queries.jsonl, qrels/)")
    b.add_argument("--out", help="also write the results to OUT/summary.json")
    b.add_argument("--progress", action="store_true", help="force the progress bar")


_EXTENSIONS.append(_register)
