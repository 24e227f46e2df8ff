"""The `ree` command: a thin layer over the Python API (`ingest`, `rag`, `eval`, `app`).

Every subcommand parses arguments, calls one library function, and prints. Errors that a user can
fix (bad settings, unreachable servers, bad input) print one line and exit non-zero; they never
show a stack trace.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable

from ree.runtime.env import apply_offline_env
from ree.settings import SettingsError, get_settings

apply_offline_env()

Handler = Callable[[argparse.Namespace], int]
_COMMANDS: dict[str, Handler] = {}
#: Commands that report a settings error themselves (as a FAIL line with its fix) instead of the
#: generic one-line `error:` exit: `ree doctor` exists precisely to explain a broken configuration.
_CHECKS_OWN_SETTINGS = {"doctor"}


def command(name: str) -> Callable[[Handler], Handler]:
    def register(fn: Handler) -> Handler:
        _COMMANDS[name] = fn
        return fn

    return register


def _fail(message: str, code: int = 2) -> int:
    print(f"error: {message}", file=sys.stderr)
    return code


@command("config")
def cmd_config(args: argparse.Namespace) -> int:
    settings = get_settings()
    values = settings.masked()
    if args.json:
        print(json.dumps(values, indent=2))
    else:
        width = max(map(len, values))
        for key, value in values.items():
            print(f"{key:<{width}}  {value}")
    return 0


@command("doctor")
def cmd_doctor(args: argparse.Namespace) -> int:
    from ree.doctor import run_doctor

    results = run_doctor()
    for check in results:
        print(check.line())
    failed = [c for c in results if not c.ok]
    print(f"\n{len(results) - len(failed)} ok, {len(failed)} failed")
    return 1 if failed else 0


@command("ingest")
def cmd_ingest(args: argparse.Namespace) -> int:
    from ingest import ingest_paths

    if args.if_empty:
        from ree.index import open_index

        if open_index(args.collection).count() > 0:
            print("index already has documents; nothing to do (--if-empty)")
            return 0
    report = ingest_paths(
        args.paths,
        collection=args.collection,
        prune=args.prune,
        dry_run=args.dry_run,
        progress=not args.json and sys.stderr.isatty() or args.progress,
        exclude=args.exclude,
    )
    print(json.dumps(report.to_dict(), indent=2) if args.json else report.summary())
    return report.exit_code


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="ree", description="Rare-Earth Insights: cited answers from your rare-earth library."
    )
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("config", help="print the effective settings (secrets masked)")
    p.add_argument("--json", action="store_true")

    sub.add_parser("doctor", help="check embedder, tokenizer, index and LLM; say how to fix")

    p = sub.add_parser("ingest", help="index files and folders (incremental)")
    p.add_argument("paths", nargs="+", help="files or folders")
    p.add_argument("--collection", help="collection name (default REE_COLLECTION)")
    p.add_argument("--prune", action="store_true", help="remove documents whose files are gone")
    p.add_argument("--dry-run", action="store_true", help="report what would change, write nothing")
    p.add_argument("--json", action="store_true", help="print the run summary as one JSON object")
    p.add_argument("--progress", action="store_true", help="force progress bars")
    p.add_argument("--if-empty", action="store_true", help="only ingest when the index is empty")
    p.add_argument(
        "--exclude",
        action="append",
        default=[],
        metavar="GLOB",
        help="leave out files matching GLOB (repeatable), like a .reeignore line",
    )

    for extend in _EXTENSIONS:
        extend(sub)
    return parser


#: Later modules (ask, chat, eval) add their subcommands here.
_EXTENSIONS: list[Callable[[argparse._SubParsersAction], None]] = []


def main(argv: list[str] | None = None) -> int:
    _load_extensions()
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        if args.command not in _CHECKS_OWN_SETTINGS:
            get_settings()
        return _COMMANDS[args.command](args)
    except SettingsError as exc:
        return _fail(str(exc))
    except KeyboardInterrupt:
        return _fail("interrupted", 130)
    except Exception as exc:  # the last line of defence: one readable line, no stack trace
        from ree.errors import user_message

        message = user_message(exc)
        if message is None:
            raise
        return _fail(message)


def _load_extensions() -> None:
    """Import the modules that register further subcommands (kept lazy for a fast `ree config`)."""
    import importlib

    for module in ("ree.setup", "rag.cli", "eval.cli", "ree.chat_cli"):
        try:
            importlib.import_module(module)
        except ModuleNotFoundError as exc:
            if exc.name != module:
                raise


if __name__ == "__main__":
    sys.exit(main())
