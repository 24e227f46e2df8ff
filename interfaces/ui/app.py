"""The Gradio app: `create_app()` builds it, `serve()` runs it (`ree chat`, `python app.py`).

Two tabs, both thin wiring over the library so the UI can never disagree with the CLI:
- Chat: streaming, verified, cited answers (`rag.Engine.stream`) in Brief or In-Depth Insights
  mode, multi-turn, with filters (documents, date range, file type), a sources box and a
  verification box under each answer;
- Library: the indexed documents (`ree.index`), uploads ingested with `ingest.ingest_paths`, and
  removal.

Three jobs, three functions: `_handlers` (what each event does, over `interfaces.ui.chat` and
`interfaces.ui.library`), `_chat_tab` / `_library_tab` (the layout), `_connect` (which event calls
which handler). Gradio is imported lazily so that `ree ask` and the other commands never pay for
it, and a missing install gives an actionable message.
"""

import logging
from types import SimpleNamespace
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

MODE_CHOICES = [("Auto", "auto"), ("Brief", "brief"), ("In-Depth Insights", "insights")]

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
    from interfaces.ui.server import auth_for
    from interfaces.ui.theme import CSS, build_theme

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
    from interfaces.ui.theme import header_html
    from rag.engine import get_engine
    from ree.settings import get_settings

    settings = settings or (engine.settings if engine is not None else get_settings())
    engine = engine or get_engine(settings)
    handlers = _handlers(gr, engine, settings)
    blocks = _blocks_class(gr, settings)
    with blocks(
        title="Rare-Earth Insights", analytics_enabled=False, delete_cache=(3600, 3600)
    ) as demo:
        with gr.Row(elem_id="ree-header", equal_height=True):
            gr.HTML(header_html(), padding=False)
            stats = gr.Markdown(elem_id="ree-stats")
        with gr.Tabs():
            with gr.Tab("Chat", id="chat"):
                chat = _chat_tab(gr)
            with gr.Tab("Library", id="library"):
                library_tab = _library_tab(gr, settings)
        _connect(demo, handlers, chat, library_tab, stats)
    demo.queue(default_concurrency_limit=settings.ui_concurrency)
    return demo


# --- handlers ------------------------------------------------------------------------------------


def _handlers(gr: Any, engine: "Engine", settings: "Settings") -> SimpleNamespace:
    """What each event does; closures over the engine so Gradio sees plain functions."""
    import pandas as pd

    from interfaces.ui import library
    from interfaces.ui.chat import build_filters, chat_turn

    index = engine.index

    def ask(question, history, mode, since, until, documents, doc_types):
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
            gr.Dropdown(choices=choices, value=None),
        )

    def upload_files(files, progress=gr.Progress()):  # noqa: B008 (gradio's idiom)
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

    def remove_documents(doc_ids):
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

    def select_row(evt: gr.SelectData, doc_ids, selected):
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

    def make_brief(doc_id, progress=gr.Progress()):  # noqa: B008 (gradio's idiom)
        """Write a brief of the chosen document; returns its Markdown and the file to download."""
        if not doc_id:
            gr.Warning("Pick a document to brief first.")
            return "Pick a document to brief first.", None
        progress(0, desc="Reading the document, its background and the insights…")
        try:
            brief = engine.brief(doc_id)
        except Exception as exc:  # noqa: BLE001 (one readable line; the log has the details)
            message = _problem(exc, "writing the brief")
            gr.Warning(message)
            return f"**⚠ {message}**", None
        return brief.markdown(), str(library.write_brief_file(brief, settings))

    return SimpleNamespace(
        ask=ask,
        make_brief=make_brief,
        pick_example=pick_example,
        refresh=refresh,
        upload_files=upload_files,
        remove_documents=remove_documents,
        select_row=select_row,
    )


# --- layout --------------------------------------------------------------------------------------


def _chat_tab(gr: Any) -> SimpleNamespace:
    """The Chat tab's components: the conversation, the question box and the options column."""
    with gr.Row(equal_height=False):
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
                examples=[{"text": q, "display_text": _example_label(q, m)} for q, m in EXAMPLES],
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
                new_chat = gr.Button("New conversation", size="sm", variant="secondary", scale=0)
                gr.Markdown(
                    "Follow-up questions use the conversation so far. Answers only "
                    "use your indexed documents.",
                    elem_classes="ree-small",
                )
        with gr.Column(scale=1, min_width=300, elem_id="ree-options"):
            mode = gr.Radio(
                MODE_CHOICES,
                value="auto",
                label="Answer style",
                info="Auto picks In-Depth Insights for questions about implications, outlook "
                "or risks, else Brief (a few cited sentences); the answer says which it used.",
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
    return SimpleNamespace(
        chatbot=chatbot,
        question=question,
        send=send,
        new_chat=new_chat,
        mode=mode,
        documents=documents,
        since=since,
        until=until,
        doc_types=doc_types,
        clear_filters=clear_filters,
    )


def _library_tab(gr: Any, settings: "Settings") -> SimpleNamespace:
    """The Library tab's components: the document table, uploads and removal."""
    from ingest.loaders import SUPPORTED_SUFFIXES
    from interfaces.ui import library

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
            add = gr.Button("Add to library", variant="primary", size="md", elem_id="ree-add")
            upload_status = gr.Markdown(elem_id="ree-upload-status")
        with gr.Column():
            gr.Markdown("#### Remove documents")
            to_remove = gr.Dropdown(
                [], multiselect=True, label="Documents to remove", elem_id="ree-remove-select"
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
    gr.Markdown("#### Brief of a document")
    with gr.Row(equal_height=True):
        brief_doc = gr.Dropdown(
            [], label="Document", elem_id="ree-brief-select", scale=4, allow_custom_value=True
        )
        brief_button = gr.Button("Brief", variant="primary", scale=1, elem_id="ree-brief")
    brief_file = gr.File(label="Download the brief (Markdown)", elem_id="ree-brief-file")
    brief_text = gr.Markdown(elem_id="ree-brief-text")
    return SimpleNamespace(
        summary=summary,
        brief_doc=brief_doc,
        brief_button=brief_button,
        brief_file=brief_file,
        brief_text=brief_text,
        table=table,
        doc_ids=doc_ids,
        files=files,
        add=add,
        upload_status=upload_status,
        to_remove=to_remove,
        remove=remove,
        remove_status=remove_status,
    )


# --- events --------------------------------------------------------------------------------------


def _connect(
    demo: Any, on: SimpleNamespace, chat: SimpleNamespace, lib: SimpleNamespace, stats: Any
) -> None:
    """Which event calls which handler. Only `ask`, `make_brief`, `upload_files` and
    `remove_documents` are public API endpoints (named after their functions); the rest are
    private."""
    private = {"api_visibility": "private"}
    library_outputs = [
        lib.summary,
        lib.table,
        lib.doc_ids,
        lib.to_remove,
        chat.documents,
        chat.doc_types,
        lib.brief_doc,
    ]
    chat_inputs = [
        chat.question,
        chat.chatbot,
        chat.mode,
        chat.since,
        chat.until,
        chat.documents,
        chat.doc_types,
    ]
    chat_outputs = [chat.chatbot, chat.question]
    demo.load(on.refresh, None, library_outputs, **private).then(
        lambda s: s, lib.summary, stats, **private
    )
    chat.question.submit(on.ask, chat_inputs, chat_outputs)
    chat.send.click(on.ask, chat_inputs, chat_outputs, **private)
    chat.chatbot.example_select(on.pick_example, None, [chat.question, chat.mode], **private).then(
        on.ask, chat_inputs, chat_outputs, **private
    )
    chat.new_chat.click(lambda: ([], ""), None, chat_outputs, **private)
    chat.clear_filters.click(
        lambda: ([], "", "", []),
        None,
        [chat.documents, chat.since, chat.until, chat.doc_types],
        **private,
    )
    lib.add.click(
        on.upload_files,
        lib.files,
        [lib.upload_status, lib.files, *library_outputs],
        concurrency_id="library",
        concurrency_limit=1,
    ).then(lambda s: s, lib.summary, stats, **private)
    lib.remove.click(
        on.remove_documents,
        lib.to_remove,
        [lib.remove_status, *library_outputs],
        concurrency_id="library",
        concurrency_limit=1,
    ).then(lambda s: s, lib.summary, stats, **private)
    lib.table.select(on.select_row, [lib.doc_ids, lib.to_remove], lib.to_remove, **private)
    lib.brief_button.click(
        on.make_brief, lib.brief_doc, [lib.brief_text, lib.brief_file], concurrency_limit=1
    )


def _problem(exc: BaseException, doing: str) -> str:
    """A user-fixable error's own line, or a generic one (with the traceback in the log)."""
    from ree.errors import user_message

    known = user_message(exc)
    if known:
        return known
    logging.getLogger("interfaces.ui").exception("failed while %s", doing)
    return f"Something went wrong while {doing} ({type(exc).__name__}); see the server log."


def _example_label(question: str, mode: str) -> str:
    return f"In-Depth Insights · {question}" if mode == "insights" else question


def serve(host: str | None = None, port: int | None = None, collection: str | None = None) -> int:
    """Check the exposure rule, build the engine and the UI, and serve until interrupted."""
    from interfaces.ui.server import launch_options
    from rag.engine import get_engine
    from ree.settings import get_settings

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
