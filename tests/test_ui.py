"""The chat UI end to end: the real Gradio app on a free loopback port, driven by gradio_client.

Everything is real (Gradio server and queue, ingest, index, retrieval, verification, uploads)
except the LLM, which is the deterministic `ExtractiveChatModel`. A few sample files are ingested
once per module so a whole answer takes seconds.
"""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from pydantic import SecretStr

os.environ.setdefault("HF_HUB_OFFLINE", "1")  # gradio_client asks the hub about nothing, offline
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")

from test_ingest_support import pipeline_embedder  # noqa: E402

from fakes import ExtractiveChatModel  # noqa: E402
from ingest import ingest_paths  # noqa: E402
from interfaces.ui import library, render  # noqa: E402
from interfaces.ui.chat import build_filters, chat_turn  # noqa: E402
from interfaces.ui.server import ExposureError, auth_for, is_local_host  # noqa: E402
from rag.engine import Engine  # noqa: E402
from rag.types import Answer, Citation, ClaimRecord  # noqa: E402
from ree.index import Index  # noqa: E402
from ree.settings import Settings  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
SAMPLE = REPO / "data" / "sample"
#: Enough of the sample corpus for the example questions (and one binary type, the PDF).
UI_FILES = [
    "mp-materials-dod-partnership-2025.md",
    "ndpr-price-floor-vs-china-market.html",
    "china-share-of-rare-earth-supply-chain.md",
    "china-export-controls-2023-2025.md",
    "europe-separation-and-magnet-plants.html",
    "global-rare-earth-mine-production-reserves-2024.pdf",
]
PRICE_Q = "What price floor did the US Department of Defense agree with MP Materials?"
SHARE_Q = "What share of world rare earth mine production came from China in 2024?"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def build_engine(home: Path, embedder, model=None, **overrides: object) -> Engine:  # noqa: ANN001
    """A real index of UI_FILES under `home`, and an engine over it (default: extractive fake)."""
    settings = Settings(home=home, **overrides)
    index = Index(settings, "ree")
    report = ingest_paths(
        [SAMPLE / f for f in UI_FILES], settings=settings, index=index, progress=False
    )
    assert not report.failed, report.summary()
    return Engine(settings, index=index, embedder=embedder, model=model or ExtractiveChatModel())


class RunningApp:
    """`create_app(engine=...)` launched on a free loopback port; `close()` stops it."""

    def __init__(self, engine: Engine, settings: Settings | None = None, **launch: object) -> None:
        from app import create_app

        self.engine = engine
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.app = create_app(engine=engine, settings=settings)
        self.app.launch(
            server_name="127.0.0.1",
            server_port=self.port,
            prevent_thread_lock=True,
            quiet=True,
            **launch,
        )

    def client(self, **kwargs: object):  # -> gradio_client.Client
        from gradio_client import Client

        return Client(self.url, verbose=False, **kwargs)

    def close(self) -> None:
        self.app.close()


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory, embedder_home: Path, embedder) -> Engine:  # noqa: ANN001
    pipeline_embedder(embedder_home)  # the pipeline's cached embedder/tokenizer: built once
    # condense="rules": the extractive fake cannot rewrite follow-ups (the local model uses the
    # rules too under the default "auto")
    return build_engine(tmp_path_factory.mktemp("ui-home"), embedder, condense="rules")


@pytest.fixture(scope="module")
def running(engine: Engine) -> Iterator[RunningApp]:
    server = RunningApp(engine)
    yield server
    server.close()


def texts(history: list) -> list[str]:
    return [render.message_text(m) for m in history]


def titled(history: list, prefix: str) -> list[dict]:
    return [m for m in history if ((m.get("metadata") or {}).get("title") or "").startswith(prefix)]


def ask(
    client,
    question: str,
    history: list | None = None,
    mode: str = "brief",  # noqa: ANN001
    since: str = "",
    until: str = "",
    documents: list | None = None,
    doc_types: list | None = None,
) -> list:
    history_out, box = client.predict(
        question,
        history or [],
        mode,
        since,
        until,
        documents or [],
        doc_types or [],
        api_name="/ask",
    )
    assert box == ""  # the question box is cleared
    return history_out


# --- through the running app ----------------------------------------------------------------


def test_answer_with_sources_and_verification(running: RunningApp) -> None:
    history = ask(running.client(), PRICE_Q)
    assert history[0]["role"] == "user" and texts(history)[0] == PRICE_Q
    answer = texts(history)[1]
    assert "$110" in answer and "[" in answer  # the cited figure, with its marker
    sources = titled(history, "Sources (")
    assert len(sources) == 1
    body = render.message_text(sources[0])
    assert "Price watch" in body or "MP Materials" in body  # a title
    assert "> " in body  # the quoted supporting sentence
    assert "Link:" in body or "File:" in body
    verification = titled(history, "✓ Verified") + titled(history, "Verification:")
    assert len(verification) == 1
    log = verification[0]["metadata"]["log"]
    assert "retrieval" in log and "total" in log and "extractive-fake" in log


def test_answer_streams_from_a_spinner_to_the_final_answer(running: RunningApp) -> None:
    job = running.client().submit(SHARE_Q, [], "brief", "", "", [], [], api_name="/ask")
    job.result(timeout=120)
    updates = [history for history, _ in job.outputs()]
    assert len(updates) >= 2
    first, last = updates[0], updates[-1]
    assert first[-1]["metadata"]["title"].startswith("Searching your documents")
    assert first[-1]["metadata"]["status"] == "pending"
    assert titled(last, "Sources (") and "390,000" in texts(last)[1]


def test_follow_up_uses_the_conversation(running: RunningApp) -> None:
    client = running.client()
    first = ask(client, PRICE_Q)
    second = ask(client, "And for how many years?", history=first)
    assert texts(second)[: len(first)] == texts(first)  # earlier turns kept
    follow = second[len(first) :]
    assert texts(follow)[0] == "And for how many years?"
    assert titled(follow, "Sources (") and "ten years" in texts(follow)[1]
    # only plain turns reach the engine: no sources/verification boxes
    turns = render.conversation(first)
    assert [t["role"] for t in turns] == ["user", "assistant"]


def test_insights_mode_and_filters(running: RunningApp) -> None:
    client = running.client()
    history = ask(
        client,
        "What are China's rare earth export controls since 2023?",
        mode="insights",
        since="2023-01-01",
    )
    assert titled(history, "Sources (") or titled(history, "Closest passages (")
    bad = ask(client, PRICE_Q, since="2025-13-45")
    assert texts(bad)[-1].startswith(render.NOTICE) and "YYYY-MM-DD" in texts(bad)[-1]
    reversed_range = ask(client, PRICE_Q, since="2025-01-01", until="2024-01-01")
    assert "after" in texts(reversed_range)[-1]


def test_auto_mode_says_which_style_it_chose(running: RunningApp) -> None:
    history = ask(running.client(), "What does the NdPr price floor mean for Lynas?", mode="auto")
    assert any(render.message_text(m).startswith("### ") for m in history)
    boxes = titled(history, "✓ Verified") + titled(history, "Verification")
    assert boxes and "In-Depth Insights (asks what it means)" in boxes[0]["metadata"]["log"]


def test_evidence_is_shown_before_the_answer(running: RunningApp) -> None:
    job = running.client().submit(PRICE_Q, [], "brief", "", "", [], [], api_name="/ask")
    updates = [history for history, _box in job]
    previews = [h for h in updates if titled(h, "Reading ")]
    assert previews, "the evidence box appears while the model reads"
    first = previews[0]
    assert "110" in render.message_text(titled(first, "Reading ")[0])
    assert not any(m["role"] == "assistant" and not m.get("metadata") for m in first[1:])


def test_brief_of_a_document_with_download(running: RunningApp) -> None:
    doc = next(
        d
        for d in running.engine.index.documents()
        if d.source == "mp-materials-dod-partnership-2025.md"
    )
    page, download = running.client().predict(doc.doc_id, api_name="/make_brief")
    assert page.startswith("# Brief: ") and "## News Summary" in page and "## Sources" in page
    assert Path(download).read_text(encoding="utf-8").strip() == page.strip()
    empty, nothing = running.client().predict(None, api_name="/make_brief")
    assert "Pick a document" in empty and nothing is None


def test_refusal_is_labelled_with_closest_passages(running: RunningApp) -> None:
    history = ask(running.client(), "What is the recipe for a good sourdough bread?")
    assert texts(history)[1].startswith(f"**{render.NO_ANSWER}.**")
    assert titled(history, "Closest passages (")
    assert not titled(history, "Sources (")


def test_eight_parallel_clients_all_get_answers(running: RunningApp) -> None:
    questions = [PRICE_Q, SHARE_Q] * 4
    results: dict[int, list] = {}
    errors: list[BaseException] = []

    def worker(i: int) -> None:
        try:
            results[i] = ask(running.client(), questions[i])
        except BaseException as exc:  # noqa: BLE001 (reported below)
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(8)]
    start = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=300)
    assert not errors, errors
    assert len(results) == 8
    for i, history in results.items():
        assert titled(history, "Sources ("), (i, texts(history))
        expected = "$110" if questions[i] == PRICE_Q else "390,000"
        assert expected in texts(history)[1]
    assert time.perf_counter() - start < 300


def test_bad_upload_is_refused_and_nothing_is_lost(running: RunningApp, tmp_path: Path) -> None:
    from gradio_client import handle_file

    index = running.engine.index
    before = {d.doc_id: d.file_hash for d in index.documents()}
    chunks = index.count()
    fake_pdf = tmp_path / "quarterly report.pdf"
    fake_pdf.write_bytes(os.urandom(4096))  # binary noise renamed .pdf
    script = tmp_path / "notes.exe"
    script.write_bytes(b"MZ" + os.urandom(100))
    client = running.client()
    status, *_ = client.predict([handle_file(fake_pdf)], api_name="/upload_files")
    assert "Not added" in status and "quarterly-report.pdf" in status
    assert {d.doc_id: d.file_hash for d in index.documents()} == before
    assert index.count() == chunks
    uploads = library.uploads_dir(running.engine.settings)
    assert not (uploads / "quarterly-report.pdf").exists()  # the bad file is not kept either
    with pytest.raises(Exception, match="Invalid file type"):  # noqa: B017 (gradio's AppError)
        client.predict([handle_file(script)], api_name="/upload_files")  # refused by gr.File
    assert {d.doc_id for d in index.documents()} == set(before)


def test_upload_then_remove(running: RunningApp, tmp_path: Path) -> None:
    from gradio_client import handle_file

    note = tmp_path / "Gallium note (draft).md"
    note.write_text(
        "---\ntitle: Gallium and germanium export licences\ndate: 2025-09-01\n---\n\n"
        "# Gallium and germanium export licences\n\nChina required export licences "
        "for gallium and germanium from 1 August 2023, and exporters reported long "
        "waits for approvals through 2024.\n",
        encoding="utf-8",
    )
    client = running.client()
    index = running.engine.index
    status, cleared, summary, table, *_ = client.predict(
        [handle_file(note)], api_name="/upload_files"
    )
    assert "Added to the library" in status and "Gallium-note-draft.md" in status
    assert cleared is None
    titles = [row[0] for row in table["data"]]
    assert titles[0] == "Gallium and germanium export licences"  # newest first
    saved = library.uploads_dir(running.engine.settings) / "Gallium-note-draft.md"
    assert saved.is_file()
    doc = next(d for d in index.documents() if d.title.startswith("Gallium"))
    assert doc.published == "2025-09-01" and doc.source == "Gallium-note-draft.md"
    history = ask(client, "When did China require export licences for gallium and germanium?")
    assert "2023" in texts(history)[1]

    status, summary, table, *_ = client.predict([doc.doc_id], api_name="/remove_documents")
    assert "Removed 1 document" in status
    assert all(not row[0].startswith("Gallium") for row in table["data"])
    assert doc.doc_id not in {d.doc_id for d in index.documents()}
    assert not saved.exists()  # the uploaded copy goes with it
    assert all(Path(d.path).exists() for d in index.documents())  # user files untouched


def test_password_is_enforced_when_set(engine: Engine) -> None:
    settings = engine.settings.model_copy(update={"ui_auth": SecretStr("analyst:s3cret-pass")})
    server = RunningApp(engine, settings=settings)
    try:
        from gradio_client.exceptions import AuthenticationError

        with pytest.raises(AuthenticationError):
            server.client()
        history = ask(server.client(auth=("analyst", "s3cret-pass")), PRICE_Q)
        assert titled(history, "Sources (")
    finally:
        server.close()


def test_unreachable_llm_server_is_a_readable_message(engine: Engine) -> None:
    """A real OpenAI client against a closed loopback port: the user gets one line."""
    port = free_port()  # nothing listens there
    settings = engine.settings.model_copy(
        update={"llm": "openai", "llm_base_url": f"http://127.0.0.1:{port}/v1", "llm_timeout": 5.0}
    )
    down = Engine(settings, index=engine.index, embedder=engine.embedder)
    server = RunningApp(down, settings=settings)
    try:
        history = ask(server.client(), PRICE_Q)
    finally:
        server.close()
    last = texts(history)[-1]
    assert last.startswith(render.NOTICE) and "language model is unavailable" in last
    assert "unreachable" in last and "REE_LLM_BASE_URL" in last
    assert "Traceback" not in last


@pytest.mark.slow
def test_real_local_model_answers_through_the_ui(
    llm_home: Path, embedder_home: Path, embedder
) -> None:  # noqa: ANN001
    """The packaged 1.5B model behind the real app: a verified answer or an honest refusal."""
    pipeline_embedder(embedder_home)
    settings = Settings(home=llm_home, max_answer_tokens=160)
    index = Index(settings, "ui-slow")
    ingest_paths([SAMPLE / f for f in UI_FILES[:2]], settings=settings, index=index, progress=False)
    server = RunningApp(Engine(settings, index=index, embedder=embedder))
    try:
        history = ask(server.client(), PRICE_Q)
    finally:
        server.close()
    reply = texts(history)[1]
    assert not reply.startswith(render.NOTICE), reply  # no error: the model ran
    assert titled(history, "Sources (") or (
        reply.startswith(f"**{render.NO_ANSWER}") and titled(history, "Closest passages (")
    )
    boxes = titled(history, "✓ Verified") + titled(history, "Verification:")
    assert boxes and "first token" in boxes[0]["metadata"]["log"]


# --- refusing to start --------------------------------------------------------------------------


def test_non_local_host_without_auth_refuses_to_start(engine: Engine) -> None:
    from app import create_app

    app = create_app(engine=engine)
    port = free_port()
    with pytest.raises(ExposureError, match="REE_UI_AUTH"):
        app.launch(server_name="0.0.0.0", server_port=port, prevent_thread_lock=True, quiet=True)
    with socket.socket() as s:  # nothing was left listening
        assert s.connect_ex(("127.0.0.1", port)) != 0
    app.close()


def test_ree_chat_refuses_non_local_host_in_one_line(ree_settings: Settings, capsys) -> None:  # noqa: ANN001
    from interfaces.cli import main

    started = time.perf_counter()
    assert main(["chat", "--host", "0.0.0.0", "--port", str(free_port())]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: refusing to listen on 0.0.0.0") and "\n" not in err
    assert "REE_UI_AUTH=user:password" in err and "REE_UI_ALLOW_OPEN=true" in err
    assert time.perf_counter() - started < 10  # refused before loading any model


def test_share_is_not_offered(engine: Engine) -> None:
    from app import create_app
    from interfaces.cli import main

    assert main(["chat", "--share"]) == 2  # a usage error: the option does not exist
    app = create_app(engine=engine)
    with pytest.raises(ValueError, match="share"):
        app.launch(share=True, prevent_thread_lock=True)
    app.close()


def test_exposure_rule(tmp_path: Path) -> None:
    assert all(is_local_host(h) for h in ("127.0.0.1", "127.1.2.3", "localhost", "::1", "[::1]"))
    assert not any(is_local_host(h) for h in ("0.0.0.0", "192.168.1.5", "::", "example.com", ""))
    base = Settings(home=tmp_path)
    assert auth_for(base, "127.0.0.1") is None
    with pytest.raises(ExposureError):
        auth_for(base, "0.0.0.0")
    assert auth_for(base.model_copy(update={"ui_allow_open": True}), "0.0.0.0") is None
    with_auth = Settings(home=tmp_path, ui_auth="ana:pa:ss")
    assert auth_for(with_auth, "0.0.0.0") == ("ana", "pa:ss")
    assert auth_for(with_auth, "127.0.0.1") == ("ana", "pa:ss")  # a set password always applies


# --- the pieces, without a server ------------------------------------------------------------------


def test_safe_filename() -> None:
    assert library.safe_filename("../../etc/passwd.PDF") == "passwd.pdf"
    assert library.safe_filename("C:\\Users\\x\\Q3 report (final).docx") == "Q3-report-final.docx"
    assert library.safe_filename(".hidden.md") == "hidden.md"
    assert library.safe_filename("Café crème.md") == "Cafe-creme.md"
    assert library.safe_filename("") == "upload"
    assert library.safe_filename("!!!.txt") == "upload.txt"
    assert library.safe_filename("x" * 300 + ".md") == "x" * 100 + ".md"


def test_upload_checks(tmp_path: Path) -> None:
    settings = Settings(home=tmp_path, max_upload_mb=1)
    big = tmp_path / "big.txt"
    big.write_bytes(b"a" * (2**20 + 1))
    assert "REE_MAX_UPLOAD_MB=1" in library.check_upload(big, settings)
    exe = tmp_path / "tool.exe"
    exe.write_bytes(b"MZ")
    assert "unsupported file type '.exe'" in library.check_upload(exe, settings)
    empty = tmp_path / "empty.md"
    empty.write_bytes(b"")
    assert library.check_upload(empty, settings) == "empty file"


def test_table_rows_map_back_to_documents(engine: Engine) -> None:
    docs = library.sorted_documents(engine.index)
    rows = library.table_rows(docs)
    assert [library.row_document(engine.index, r) for r in rows] == [d.doc_id for d in docs]
    assert library.row_document(engine.index, ["nope", "", "", 0, "x", ""]) is None
    assert len(library.document_choices(docs)) == len(docs)
    assert {t for _, t in library.type_choices(docs)} == {"markdown", "html", "pdf"}


def test_build_filters() -> None:
    assert build_filters("", " ", [], []) is None
    assert build_filters("2024-01-01", "", ["abc"], ["pdf"]) == {
        "sources": ["abc"],
        "since": "2024-01-01",
        "until": None,
        "doc_types": ["pdf"],
    }
    with pytest.raises(ValueError, match="YYYY-MM-DD"):
        build_filters("yesterday", "", [], [])


def test_empty_library_says_how_to_fill_it(tmp_path: Path, embedder) -> None:  # noqa: ANN001
    settings = Settings(home=tmp_path)
    empty = Engine(
        settings, index=Index(settings, "empty"), embedder=embedder, model=ExtractiveChatModel()
    )
    warnings: list[str] = []
    steps = list(chat_turn(empty, PRICE_Q, [], "brief", None, warn=warnings.append))
    assert steps[0][-1]["metadata"]["status"] == "pending"  # the spinner comes first
    last = render.message_text(steps[-1][-1])
    assert last.startswith(render.NOTICE) and "Library" in last and "ree ingest" in last
    assert warnings and "library is empty" in warnings[0]


def test_render_removed_and_repaired_claims() -> None:
    answer = Answer(
        question="q",
        text="China mined about 69% of the world total [1].",
        removed=2,
        repaired=1,
        claims=[
            ClaimRecord(
                "China mined about 69% of the world total [1].",
                [1],
                "repaired",
                "citation moved to the supporting passage",
            ),
            ClaimRecord("Prices doubled in 2024 [2].", [], "removed", "figure 2024 not in [2]"),
            ClaimRecord("Myanmar is the largest producer [3].", [], "removed", "no support"),
        ],
        sources=[
            Citation(
                1,
                "c1",
                "Mine production 2024",
                "prod.csv",
                3,
                "2025-03-01",
                "",
                quote="China: 270,000 t of 390,000 t",
            )
        ],
        timings={"retrieval": 0.05, "ttft": 1.23, "total": 4.5},
        model="qwen",
    )
    messages = render.answer_messages(answer)
    assert [m.get("metadata", {}).get("title", "") for m in messages] == [
        "",
        "Sources (1)",
        "Verification: 2 unsupported sentences removed, 1 citation repaired",
    ]
    sources = messages[1]["content"]
    assert "Mine production 2024" in sources and "2025-03-01" in sources and "p. 3" in sources
    assert "> China: 270,000 t of 390,000 t" in sources and "File: `prod.csv`" in sources
    box = messages[2]
    assert box["metadata"]["status"] == "done"  # collapsed
    assert (
        "Prices doubled in 2024" in box["content"]
        and "figure 2024 not in \\[2\\]" in box["content"]
    )
    assert box["metadata"]["log"] == (
        "Brief · retrieval 0.05 s · first token 1.2 s · total 4.5 s · qwen"
    )
