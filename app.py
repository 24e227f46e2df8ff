"""Rare-Earth Insights chat UI (Gradio): `python app.py`, `ree chat`, or `create_app()` in code.

Two tabs, both thin wiring over the library so the UI can never disagree with the CLI:
- Chat: streaming, verified, cited answers (`rag.Engine.stream`) in Brief or In-Depth Insights
  mode, multi-turn, with filters (documents, date range, file type), a sources box and a
  verification box under each answer;
- Library: the indexed documents (`ree.index`), uploads ingested with `ingest.ingest_paths`, and
  removal.

The logic lives in `ree/ui/` (plain Python, tested without a browser); this module only lays out
components and connects events. Gradio is imported lazily so that `ree ask` and the other
commands never pay for it, and a missing install gives an actionable message.
"""

import argparse
import sys
from typing import TYPE_CHECKING, Any

from ree.runtime.env import apply_offline_env

apply_offline_env()  # before gradio is imported: no analytics, no hub calls

# No `from __future__ import annotations` here: Gradio recognises an event-data parameter
# (`evt: gr.SelectData`) by its annotation, which must then be the real class, not a string.

if TYPE_CHECKING:
    import gradio as gr

    from rag.engine import Engine
    from ree.settings import Settings

#: (question, mode) shown as cards in the empty chat for a first-time user.
EXAMPLES: list[tuple[str, str]] = [
    ("What share of world rare earth mine production came from China in 2024?", "brief"),
    ("What price floor did the US Department of Defense agree with MP Materials?", "brief"),
    ("What are China's rare earth export controls since 2023?", "insights"),
    ("Which rare earth separation and magnet plants are operating in Europe?", "brief"),
]

MODE_CHOICES = [("Brief", "brief"), ("In-Depth Insights", "insights")]

CHAT_PLACEHOLDER = (
    "### Ask your rare-earth library\n"
    "Answers cite your documents as [n]; every sentence is checked against its source. "
    "Pick an example or type a question below."
)


class UIUnavailable(RuntimeError):
    """Gradio is not installed; the message says how to install it."""


def _gradio() -> Any:
    try:
        import gradio
    except ImportError as exc:
        raise UIUnavailable(
            "the chat UI needs gradio: run `pip install 'gradio>=5,<7'` in this environment "
            "(or `make install`)"
        ) from exc
    return gradio


def _blocks_class(gr: Any, settings: "Settings") -> type:
    """gr.Blocks whose `launch()` applies the product's defaults and the exposure rule.

    Gradio 6 takes theme and CSS in `launch()`; putting them here (and the auth check) means any
    caller of `create_app().launch(...)` - `ree chat`, a test, a notebook - gets the same look and
    cannot open the UI to the network without a password by accident.
    """
    from ree.ui.server import auth_for
    from ree.ui.theme import CSS, build_theme

    class ReeBlocks(gr.Blocks):
        def launch(self, *args: Any, **kwargs: Any) -> Any:
            if kwargs.get("share"):
                raise ValueError(
                    "share links are disabled: they relay your documents through a "
                    "third-party server; use REE_UI_HOST with REE_UI_AUTH instead"
                )
            kwargs["share"] = False
            host = kwargs.get("server_name") or settings.ui_host
            kwargs["server_name"] = host
            if kwargs.get("auth") is None:
                kwargs["auth"] = auth_for(settings, host)
            kwargs.setdefault("theme", build_theme())
            kwargs.setdefault("css", CSS)
            kwargs.setdefault("max_file_size", settings.max_upload_mb * 2**20)
            kwargs.setdefault("footer_links", ["api", "settings"])
            kwargs.setdefault("show_error", False)  # messages come from gr.Warning, not tracebacks
            return super().launch(*args, **kwargs)

    return ReeBlocks


def create_app(engine: "Engine | None" = None, settings: "Settings | None" = None) -> "gr.Blocks":
    """Build the UI over `engine` (default: the shared engine for `settings`)."""
    gr = _gradio()
    import pandas as pd

    from ingest.loaders import SUPPORTED_SUFFIXES
    from rag.engine import get_engine
    from ree.settings import get_settings
    from ree.ui import library
    from ree.ui.chat import build_filters, chat_turn
    from ree.ui.theme import header_html

    settings = settings or (engine.settings if engine is not None else get_settings())
    engine = engine or get_engine(settings)
    index = engine.index

    # --- handlers -----------------------------------------------------------------------------
    def ask(
        question: str,
        history: list,
        mode: str,
        since: str,
        until: str,
        documents: list,
        doc_types: list,
    ):
        """Answer `question` (streamed); returns the chat history and an empty textbox."""
        try:
            filters, problem = build_filters(since, until, documents, doc_types), None
        except ValueError as exc:
            filters, problem = None, str(exc)
        for shown in chat_turn(
            engine, question, history, mode, filters, warn=gr.Warning, filter_error=problem
        ):
            yield shown, ""

    def pick_example(evt: gr.SelectData):
        i = evt.index if isinstance(evt.index, int) else 0
        question, mode = EXAMPLES[i] if 0 <= i < len(EXAMPLES) else EXAMPLES[0]
        return question, mode

    def refresh():
        docs = library.sorted_documents(index)
        table = pd.DataFrame(library.table_rows(docs), columns=library.TABLE_HEADERS)
        choices = library.document_choices(docs)
        return (
            library.summary(docs),
            table,
            [d.doc_id for d in docs],
            gr.Dropdown(choices=choices, value=[]),
            gr.Dropdown(choices=choices),
            gr.Dropdown(choices=library.type_choices(docs)),
        )

    def upload_files(files: list | None, progress=gr.Progress()):  # noqa: B008 (gradio's idiom)
        """Ingest uploaded files; returns a status message and the refreshed library."""
        if not files:
            gr.Warning("Choose one or more files first.")
            return ("Choose one or more files first.", None, *refresh())
        try:
            result = library.ingest_uploads(
                files if isinstance(files, list) else [files],
                index=index,
                settings=settings,
                progress=lambda i, n, desc: progress((i, n), desc=desc, unit="files"),
            )
        except Exception as exc:  # noqa: BLE001 (one readable line; the log has the details)
            message = _problem(exc, "adding the files")
            gr.Warning(message)
            return (f"**⚠ {message}**", None, *refresh())
        for problem in result.refused:
            gr.Warning(f"Not added: {problem.replace('`', '')}")
        if result.ingested:
            n = len(result.ingested)
            gr.Info(f"Added {n} document{'s' * (n != 1)} to the library.")
        return (result.markdown(), None, *refresh())

    def remove_documents(doc_ids: list | None):
        """Remove the selected documents from the index; returns a status and the library."""
        if not doc_ids:
            gr.Warning("Select documents to remove (click a row or pick them in the list).")
            return ("Nothing selected.", *refresh())
        try:
            removed = library.remove_documents(doc_ids, index=index, settings=settings)
        except Exception as exc:  # noqa: BLE001 (one readable line; the log has the details)
            message = _problem(exc, "removing the documents")
            gr.Warning(message)
            return (f"**⚠ {message}**", *refresh())
        n = len(removed)
        text = (
            (f"Removed {n} document{'s' * (n != 1)}: " + "; ".join(removed))
            if removed
            else "Those documents were already gone."
        )
        return (text, *refresh())

    def select_row(evt: gr.SelectData, doc_ids: list, selected: list | None):
        # The clicked row's values identify the document even when the table is searched or
        # sorted in the browser (then the row index no longer matches our order).
        row = evt.index[0] if isinstance(evt.index, list | tuple) else evt.index
        wanted = library.row_document(index, evt.row_value)
        if wanted is None and isinstance(row, int) and 0 <= row < len(doc_ids):
            wanted = doc_ids[row]
        chosen = list(selected or [])
        if wanted and wanted not in chosen:
            chosen.append(wanted)
        return gr.Dropdown(value=chosen)

    # --- layout -------------------------------------------------------------------------------
    blocks = _blocks_class(gr, settings)
    with blocks(
        title="Rare-Earth Insights", analytics_enabled=False, delete_cache=(3600, 3600)
    ) as demo:
        with gr.Row(elem_id="ree-header", equal_height=True):
            gr.HTML(header_html(), padding=False)
            stats = gr.Markdown(elem_id="ree-stats")
        with gr.Tabs():
            with gr.Tab("Chat", id="chat"), gr.Row(equal_height=False):
                with gr.Column(scale=3, min_width=420):
                    chatbot = gr.Chatbot(
                        elem_id="ree-chat",
                        label="Answers",
                        show_label=False,
                        height=600,
                        placeholder=CHAT_PLACEHOLDER,
                        layout="bubble",
                        feedback_options=None,
                        buttons=["copy", "copy_all"],
                        examples=[
                            {"text": q, "display_text": _example_label(q, m)} for q, m in EXAMPLES
                        ],
                    )
                    with gr.Row(equal_height=True):
                        question = gr.Textbox(
                            elem_id="ree-question",
                            show_label=False,
                            scale=6,
                            lines=1,
                            max_lines=6,
                            autofocus=True,
                            submit_btn=False,
                            placeholder="Ask about rare earths, e.g. Who refines most of the "
                            "world's rare earths?",
                        )
                        send = gr.Button("Ask", variant="primary", scale=0, elem_id="ree-ask")
                    with gr.Row():
                        new_chat = gr.Button(
                            "New conversation", size="sm", variant="secondary", scale=0
                        )
                        gr.Markdown(
                            "Follow-up questions use the conversation so far. Answers only "
                            "use your indexed documents.",
                            elem_classes="ree-small",
                        )
                with gr.Column(scale=1, min_width=300, elem_id="ree-options"):
                    mode = gr.Radio(
                        MODE_CHOICES,
                        value="brief",
                        label="Answer style",
                        info="Brief: a few cited sentences. In-Depth Insights: "
                        "sections of labelled, cited bullets.",
                    )
                    with gr.Accordion("Filters", open=True):
                        documents = gr.Dropdown(
                            [],
                            multiselect=True,
                            label="Only these documents",
                            info="Empty = the whole library",
                            allow_custom_value=False,
                        )
                        with gr.Row():
                            since = gr.Textbox(
                                label="Published from", placeholder="YYYY-MM-DD", min_width=120
                            )
                            until = gr.Textbox(label="to", placeholder="YYYY-MM-DD", min_width=120)
                        doc_types = gr.Dropdown([], multiselect=True, label="File types")
                        clear_filters = gr.Button("Clear filters", size="sm")
                    gr.Markdown(
                        "Each answer is followed by its **sources** (with the quoted "
                        "supporting sentence) and a **verification** note: unsupported "
                        "sentences are removed and wrong citations repaired before you see "
                        "them.",
                        elem_classes="ree-help",
                    )
            with gr.Tab("Library", id="library"):
                summary = gr.Markdown()
                table = gr.Dataframe(
                    headers=library.TABLE_HEADERS,
                    interactive=False,
                    wrap=True,
                    datatype=["str", "str", "str", "number", "str", "str"],
                    column_widths=["34%", "11%", "9%", "7%", "29%", "10%"],
                    elem_id="ree-library-table",
                    max_height=460,
                    show_search="search",
                    label="Indexed documents (newest first) - click a row to select it for removal",
                )
                doc_ids = gr.State([])
                with gr.Row(equal_height=False):
                    with gr.Column():
                        gr.Markdown("#### Add documents")
                        files = gr.File(
                            file_count="multiple",
                            file_types=sorted(SUPPORTED_SUFFIXES),
                            label=f"PDF, Word, HTML, Markdown, text or CSV - up to "
                            f"{settings.max_upload_mb} MB each",
                            height=150,
                            elem_id="ree-upload",
                        )
                        add = gr.Button(
                            "Add to library", variant="primary", size="md", elem_id="ree-add"
                        )
                        upload_status = gr.Markdown(elem_id="ree-upload-status")
                    with gr.Column():
                        gr.Markdown("#### Remove documents")
                        to_remove = gr.Dropdown(
                            [],
                            multiselect=True,
                            label="Documents to remove",
                            elem_id="ree-remove-select",
                        )
                        remove = gr.Button(
                            "Remove from library", variant="stop", size="md", elem_id="ree-remove"
                        )
                        remove_status = gr.Markdown(elem_id="ree-remove-status")
                        gr.Markdown(
                            "Removing takes a document out of the index. Your own files "
                            "are never touched; copies uploaded here are deleted.",
                            elem_classes="ree-help",
                        )

        # --- events -----------------------------------------------------------------------------
        library_outputs = [summary, table, doc_ids, to_remove, documents, doc_types]
        chat_inputs = [question, chatbot, mode, since, until, documents, doc_types]
        demo.load(refresh, None, library_outputs, api_visibility="private").then(
            lambda s: s, summary, stats, api_visibility="private"
        )
        question.submit(ask, chat_inputs, [chatbot, question])
        send.click(ask, chat_inputs, [chatbot, question], api_visibility="private")
        chatbot.example_select(pick_example, None, [question, mode], api_visibility="private").then(
            ask, chat_inputs, [chatbot, question], api_visibility="private"
        )
        new_chat.click(lambda: ([], ""), None, [chatbot, question], api_visibility="private")
        clear_filters.click(
            lambda: ([], "", "", []),
            None,
            [documents, since, until, doc_types],
            api_visibility="private",
        )
        add.click(
            upload_files,
            files,
            [upload_status, files, *library_outputs],
            concurrency_id="library",
            concurrency_limit=1,
        ).then(lambda s: s, summary, stats, api_visibility="private")
        remove.click(
            remove_documents,
            to_remove,
            [remove_status, *library_outputs],
            concurrency_id="library",
            concurrency_limit=1,
        ).then(lambda s: s, summary, stats, api_visibility="private")
        table.select(select_row, [doc_ids, to_remove], to_remove, api_visibility="private")

    demo.queue(default_concurrency_limit=settings.ui_concurrency)
    return demo


def _problem(exc: BaseException, doing: str) -> str:
    """A user-fixable error's own line, or a generic one (with the traceback in the log)."""
    import logging

    from ree.errors import user_message

    known = user_message(exc)
    if known:
        return known
    logging.getLogger("ree.ui").exception("failed while %s", doing)
    return f"Something went wrong while {doing} ({type(exc).__name__}); see the server log."


def _example_label(question: str, mode: str) -> str:
    return f"In-Depth Insights · {question}" if mode == "insights" else question


def serve(host: str | None = None, port: int | None = None, collection: str | None = None) -> int:
    """Check the exposure rule, build the engine and the UI, and serve until interrupted."""
    from rag.engine import get_engine
    from ree.settings import get_settings
    from ree.ui.server import launch_options

    settings = get_settings()
    options = launch_options(settings, host, port)  # refuses an unsafe host before any loading
    _gradio()
    app = create_app(get_engine(settings, collection), settings)
    where, port = options["server_name"], options["server_port"]
    try:
        app.launch(**options, quiet=True, prevent_thread_lock=True)
    except OSError as exc:
        why = "the port is in use" if "empty port" in str(exc) else str(exc)
        raise OSError(
            f"cannot listen on {where}:{port} ({why}): pass --port or set REE_UI_PORT"
        ) from None
    print(
        f"Rare-Earth Insights: http://{where}:{port} "
        f"({'password required' if options['auth'] else 'no login'}; Ctrl+C to stop)",
        flush=True,
    )
    app.block_thread()
    return 0


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--host",
        help="address to listen on (default REE_UI_HOST, 127.0.0.1); "
        "beyond localhost REE_UI_AUTH is required",
    )
    parser.add_argument("--port", type=int, help="port (default REE_UI_PORT, 7860)")
    parser.add_argument("--collection", help="collection name (default REE_COLLECTION)")


def main(argv: list[str] | None = None) -> int:
    """`python app.py [--host H] [--port P]`: the same as `ree chat`."""
    from ree.errors import user_message
    from ree.settings import SettingsError

    parser = argparse.ArgumentParser(prog="app.py", description="Rare-Earth Insights chat UI")
    add_arguments(parser)
    args = parser.parse_args(argv)
    try:
        return serve(args.host, args.port, args.collection)
    except (SettingsError, UIUnavailable, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    except Exception as exc:
        message = user_message(exc)
        if message is None:
            raise
        print(f"error: {message}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
