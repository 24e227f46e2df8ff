"""`ree`: the command line, one click group over the libraries (`ingest`, `rag`, `eval`).

Every command parses its options, calls one library function and prints. Errors a user can fix
(bad settings, unreachable servers, bad input) print one line `error: ...` and exit non-zero,
never a stack trace: 2 when nothing could run, 1 when some of the work failed, 130 on Ctrl-C.
Heavy imports stay inside the commands so that `ree --help` and `ree config` are instant.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import click

from ree.runtime.env import apply_offline_env
from ree.settings import SettingsError, get_settings

apply_offline_env()

#: Commands that explain a broken configuration themselves instead of failing on it up front.
_CHECKS_OWN_SETTINGS = {"doctor"}
MODES = ("auto", "brief", "insights")


class CommandError(click.ClickException):
    """A one-line failure with an exit code (printed as `error: ...`)."""

    def __init__(self, message: str, code: int = 2) -> None:
        super().__init__(message)
        self.exit_code = code


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.pass_context
def cli(ctx: click.Context) -> None:
    """Rare-Earth Insights: cited answers from your rare-earth library."""
    if ctx.invoked_subcommand not in _CHECKS_OWN_SETTINGS:
        get_settings()  # a bad REE_* value fails here, in one line, before any work


def main(argv: Sequence[str] | None = None) -> int:
    """Run `ree` with `argv` (default: the process arguments); returns the exit code."""
    try:
        result = cli.main(
            args=list(argv) if argv is not None else None, prog_name="ree", standalone_mode=False
        )
    except click.exceptions.Exit as exc:
        return exc.exit_code
    except click.ClickException as exc:  # usage errors (2) and CommandError
        if isinstance(exc, click.UsageError):
            exc.show()
        else:
            click.echo(f"error: {exc.format_message()}", err=True)
        return exc.exit_code
    except (click.exceptions.Abort, KeyboardInterrupt):
        click.echo("error: interrupted", err=True)
        return 130
    except SettingsError as exc:
        click.echo(f"error: {exc}", err=True)
        return 2
    except Exception as exc:  # the last line of defence: one readable line, no stack trace
        from ree.errors import user_message

        message = user_message(exc)
        if message is None:
            raise
        click.echo(f"error: {message}", err=True)
        return 2
    return result if isinstance(result, int) else 0


# --- settings and setup ------------------------------------------------------------------------


@cli.command("config")
@click.option("--json", "as_json", is_flag=True, help="print as one JSON object")
def config_command(as_json: bool) -> int:
    """Print the effective settings (secrets masked)."""
    values = get_settings().masked()
    if as_json:
        click.echo(json.dumps(values, indent=2))
    else:
        width = max(map(len, values))
        for key, value in values.items():
            click.echo(f"{key:<{width}}  {value}")
    return 0


@cli.command("doctor")
def doctor_command() -> int:
    """Check embedder, tokenizer, index and LLM; say how to fix what fails."""
    from interfaces.doctor import run_doctor

    results = run_doctor()
    for check in results:
        click.echo(check.line())
    failed = [c for c in results if not c.ok]
    click.echo(f"\n{len(results) - len(failed)} ok, {len(failed)} failed")
    return 1 if failed else 0


@cli.command("setup")
@click.option("--skip-model", is_flag=True, help="do not assemble the local LLM")
def setup_command(skip_model: bool) -> int:
    """Prepare tokenizer files, embedder and local model (offline, once)."""
    from interfaces.setup import run_setup

    run_setup(get_settings(), skip_model=skip_model, echo=click.echo)
    return 0


# --- ingest ------------------------------------------------------------------------------------


@cli.command("ingest")
@click.argument("paths", nargs=-1, required=True)
@click.option("--collection", help="collection name (default REE_COLLECTION)")
@click.option("--prune", is_flag=True, help="remove documents whose files are gone")
@click.option("--dry-run", is_flag=True, help="report what would change, write nothing")
@click.option("--json", "as_json", is_flag=True, help="print the run summary as one JSON object")
@click.option("--progress", is_flag=True, help="force progress bars")
@click.option("--if-empty", is_flag=True, help="only ingest when the index is empty")
@click.option(
    "--exclude",
    multiple=True,
    metavar="GLOB",
    help="leave out files matching GLOB (repeatable), like a .reeignore line",
)
def ingest_command(
    paths: tuple[str, ...],
    collection: str | None,
    prune: bool,
    dry_run: bool,
    as_json: bool,
    progress: bool,
    if_empty: bool,
    exclude: tuple[str, ...],
) -> int:
    """Index files and folders (incremental; re-run any time)."""
    from ingest import ingest_paths
    from ree.index import open_index

    if if_empty and open_index(collection).count() > 0:
        click.echo("index already has documents; nothing to do (--if-empty)")
        return 0
    report = ingest_paths(
        list(paths),
        collection=collection,
        prune=prune,
        dry_run=dry_run,
        progress=(not as_json and sys.stderr.isatty()) or progress,
        exclude=list(exclude),
    )
    click.echo(json.dumps(report.to_dict(), indent=2) if as_json else report.summary())
    return report.exit_code


# --- ask and chat ------------------------------------------------------------------------------


@cli.command("ask")
@click.argument("question")
@click.option(
    "--mode",
    type=click.Choice(MODES),
    default="auto",
    show_default=True,
    help="auto: In-Depth Insights for questions about implications, outlook or risks",
)
@click.option("--json", "as_json", is_flag=True, help="print the whole Answer as JSON")
@click.option("--since", help="only documents published on/after DATE (YYYY-MM-DD)")
@click.option("--until", help="only documents published on/before DATE (YYYY-MM-DD)")
@click.option("--source", multiple=True, help="only this document (name, path or title words)")
@click.option("--type", "doc_types", multiple=True, help="only this file type (pdf, csv, ...)")
@click.option("--collection", help="collection name (default REE_COLLECTION)")
def ask_command(
    question: str,
    mode: str,
    as_json: bool,
    since: str | None,
    until: str | None,
    source: tuple[str, ...],
    doc_types: tuple[str, ...],
    collection: str | None,
) -> int:
    """Answer a question with verified citations (streamed)."""
    from interfaces.terminal import print_answer_stream
    from rag.engine import get_engine

    filters = {
        "since": since,
        "until": until,
        "sources": list(source),
        "doc_types": list(doc_types),
    }
    stream = get_engine(collection=collection).stream(question, mode=mode, filters=filters)
    print_answer_stream(stream, as_json=as_json, live=not as_json and sys.stdout.isatty())
    return 0


@cli.command("brief")
@click.argument("source")
@click.option("--json", "as_json", is_flag=True, help="print the whole Brief as JSON")
@click.option("--out", type=click.Path(dir_okay=False), help="also write the brief's Markdown here")
@click.option("--collection", help="collection name (default REE_COLLECTION)")
def brief_command(source: str, as_json: bool, out: str | None, collection: str | None) -> int:
    """A brief of one indexed document: News Summary, Background, In-Depth Insights.

    SOURCE is the document's file name (or path, or unambiguous title words)."""
    from interfaces.terminal import print_brief_stream
    from rag.brief import DocumentNotFound
    from rag.engine import get_engine

    engine = get_engine(collection=collection)
    try:
        brief = print_brief_stream(
            engine.stream_brief(source), as_json=as_json, live=not as_json and sys.stdout.isatty()
        )
    except DocumentNotFound as exc:
        raise CommandError(str(exc)) from None
    if out:
        Path(out).write_text(brief.markdown(), encoding="utf-8")
        click.echo(f"brief written to {out}", err=True)
    return 0


@cli.command("chat")
@click.option(
    "--host",
    help="address to listen on (default REE_UI_HOST); beyond localhost REE_UI_AUTH is required",
)
@click.option("--port", type=int, help="port (default REE_UI_PORT, 7860)")
@click.option("--collection", help="collection name (default REE_COLLECTION)")
def chat_command(host: str | None, port: int | None, collection: str | None) -> int:
    """Start the chat UI in your browser (Gradio). There is deliberately no --share."""
    from interfaces.ui.app import UIUnavailable, serve

    try:
        return serve(host, port, collection)
    except UIUnavailable as exc:
        raise CommandError(str(exc)) from None
    except OSError as exc:
        if isinstance(exc, FileNotFoundError | PermissionError):
            raise  # `main` turns these into one line itself
        raise CommandError(str(exc)) from None


# --- eval --------------------------------------------------------------------------------------


@cli.group("eval")
def eval_group() -> None:
    """Evaluate answers (qa), compare runs, benchmark retrieval (beir)."""


def _suite_errors_as_lines(run: Any) -> Any:
    """Run `run()`; a bad suite or corpus (`SuiteError`) becomes one `error:` line, exit 2."""
    from eval.suite import SuiteError

    try:
        return run()
    except SuiteError as exc:
        raise CommandError(str(exc)) from None


def _id_list(ids: str | None) -> list[str] | None:
    """ "c001, c002" -> ["c001", "c002"]; nothing given -> None (every item)."""
    return [i.strip() for i in ids.split(",") if i.strip()] if ids else None


@eval_group.command("qa")
@click.argument("suite")
@click.option("--corpus", required=True, help="folder of documents the suite is about")
@click.option("--out", help="output folder (default REE_HOME/eval/runs/SUITE-MODE-TIME)")
@click.option("--mode", type=click.Choice(MODES), default="brief", show_default=True)
@click.option("--limit", type=int, help="only the first N questions")
@click.option("--ids", help="only these question ids (comma separated)")
@click.option("--k", type=int, default=5, show_default=True, help="source recall/MRR cut-off")
@click.option("--json", "as_json", is_flag=True, help="print summary.json instead of tables")
@click.option("--progress", is_flag=True, help="force the progress bar")
@click.option(
    "--exclude", multiple=True, metavar="GLOB", help="leave corpus files out (repeatable)"
)
def eval_qa_command(
    suite: str,
    corpus: str,
    out: str | None,
    mode: str,
    limit: int | None,
    ids: str | None,
    k: int,
    as_json: bool,
    progress: bool,
    exclude: tuple[str, ...],
) -> int:
    """Answer a QA suite over a corpus and score it."""
    from eval.report import format_summary
    from eval.runner import run_qa

    wanted = _id_list(ids)
    run = _suite_errors_as_lines(
        lambda: run_qa(
            suite,
            corpus,
            out=out,
            mode=mode,
            limit=limit,
            ids=wanted,
            k=k,
            exclude=list(exclude),
            progress=progress or sys.stderr.isatty(),
        )
    )
    if as_json:
        click.echo(json.dumps(run.summary, indent=2, ensure_ascii=False))
    else:
        meta = run.summary["meta"]
        click.echo(
            f"{meta['suite']} over {meta['corpus']} ({meta['mode']}, {meta['model']}): "
            f"{meta['completed']}/{meta['items_in_suite']} questions in {meta['seconds']} s"
        )
        click.echo(format_summary(run.summary))
        click.echo(f"\nreport: {run.files['report']}")
    if run.interrupted:
        click.echo("interrupted: the report covers the questions answered so far", err=True)
        return 130
    return 0


@eval_group.command("insights")
@click.argument("suite", default="eval/datasets/insights.jsonl")
@click.option(
    "--corpus",
    "corpora",
    multiple=True,
    metavar="NAME=DIR",
    help="folder of a corpus the suite names (default sample=data/sample, shared=../shared/corpus)",
)
@click.option("--out", required=True, help="output folder (results, summary, gallery.html)")
@click.option("--ids", help="only these item ids (comma separated)")
@click.option(
    "--exclude", multiple=True, metavar="GLOB", help="leave corpus files out (repeatable)"
)
@click.option("--progress", is_flag=True, help="force the progress bar")
def eval_insights_command(
    suite: str,
    corpora: tuple[str, ...],
    out: str,
    ids: str | None,
    exclude: tuple[str, ...],
    progress: bool,
) -> int:
    """Answer the insights suite (insight questions and document briefs) and score them."""
    from eval.insights import run_insights

    folders = {"sample": "data/sample", "shared": "../shared/corpus"}
    for pair in corpora:
        name, sep, folder = pair.partition("=")
        if not sep:
            raise CommandError(f"--corpus takes NAME=DIR, got {pair!r}")
        folders[name] = folder
    wanted = _id_list(ids)
    summary = _suite_errors_as_lines(
        lambda: run_insights(
            suite,
            folders,
            out=out,
            ids=wanted,
            exclude=list(exclude) or ["SOURCES.md"],
            progress=progress or sys.stderr.isatty(),
        )
    )
    click.echo(json.dumps(summary, indent=2))
    click.echo(f"\ngallery: {Path(out) / 'gallery.html'}")
    return 0


@eval_group.command("verifier")
@click.argument("labelled", required=False)
@click.option("--json", "as_json", is_flag=True, help="print the summary as JSON")
def eval_verifier_command(labelled: str | None, as_json: bool) -> int:
    """The verifier on labelled sentences of real drafts: kept-correct and let-through."""
    from eval.verifier import DEFAULT_DRAFTS, run_verifier

    report = run_verifier(Path(labelled) if labelled else DEFAULT_DRAFTS)
    click.echo(json.dumps(report.summary(), indent=2) if as_json else report.markdown())
    return 0


@eval_group.command("compare")
@click.argument("run_a")
@click.argument("run_b")
@click.option("--json", "as_json", is_flag=True)
def eval_compare_command(run_a: str, run_b: str, as_json: bool) -> int:
    """Metric deltas and changed verdicts between two runs (B - A)."""
    from eval.compare import compare_runs, format_comparison

    result = _suite_errors_as_lines(lambda: compare_runs(run_a, run_b))
    click.echo(
        json.dumps(result, indent=2, ensure_ascii=False) if as_json else format_comparison(result)
    )
    return 0


@eval_group.command("beir")
@click.argument("folder")
@click.option("--out", help="also write the results to OUT/summary.json")
@click.option("--progress", is_flag=True, help="force the progress bar")
def eval_beir_command(folder: str, out: str | None, progress: bool) -> int:
    """Retrieval benchmark (dense / BM25 / hybrid) on a BEIR-format folder."""
    from eval.beir_run import run_beir

    result = _suite_errors_as_lines(
        lambda: run_beir(
            Path(folder),
            out=Path(out) if out else None,
            progress=progress or sys.stderr.isatty(),
        )
    )
    click.echo(json.dumps(result, indent=2, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
