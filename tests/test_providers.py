"""The `openai` provider against real HTTP servers on 127.0.0.1.

Fast tests use a minimal OpenAI-compatible stub (tests/openai_stub.py) to cover the happy path and
each failure a user meets (server down, unknown model, time-out, bad key): every failure must be one
readable sentence naming the setting to fix. The slow test runs llama-cpp-python's own
OpenAI-compatible server with the packaged model and answers a real question through it.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from pydantic import SecretStr

from openai_stub import OpenAIStub
from rag.engine import Engine
from ree.index import Index
from ree.runtime.chat import LLMUnavailable, get_chat_model
from ree.settings import Settings

REPO = Path(__file__).resolve().parents[1]
QUESTION = "What price floor for NdPr products did DoD commit to?"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def small_index(tmp_path_factory: pytest.TempPathFactory, embedder) -> tuple[Settings, Index]:
    from ingest import ingest_paths

    home = tmp_path_factory.mktemp("providers-home")
    settings = Settings(home=home)
    index = Index(settings, "providers")
    files = [
        REPO / "data/sample/mp-materials-dod-partnership-2025.md",
        REPO / "data/sample/lynas-rare-earths-company-profile.md",
    ]
    assert not ingest_paths(files, settings=settings, index=index, progress=False).failed
    return settings, index


def openai_engine(small_index, embedder, base_url: str, **kw) -> Engine:
    settings, index = small_index
    settings = settings.model_copy(
        update={"llm": "openai", "llm_base_url": base_url, "llm_model": "stub-model", **kw}
    )
    return Engine(settings, index=index, embedder=embedder, model=get_chat_model(settings))


def test_openai_provider_streams_a_verified_answer(small_index, embedder) -> None:
    with OpenAIStub() as stub:
        engine = openai_engine(small_index, embedder, stub.base_url)
        pieces = list(engine.stream(QUESTION))
        ans = pieces[-1]
        assert not ans.refused, ans.refusal_reason
        assert ans.citations and "".join(p for p in pieces[:-1] if isinstance(p, str)).strip()
        assert ans.text.strip() == "".join(p for p in pieces[:-1] if isinstance(p, str)).strip()
        assert ans.model == "stub-model"
        assert stub.requests and stub.requests[-1]["stream"] is True
        assert stub.requests[-1]["messages"][0]["role"] == "system"


def test_server_down_names_the_base_url(small_index, embedder) -> None:
    url = f"http://127.0.0.1:{free_port()}/v1"
    engine = openai_engine(small_index, embedder, url)
    with pytest.raises(LLMUnavailable) as err:
        engine.answer(QUESTION)
    assert "unreachable" in str(err.value) and "REE_LLM_BASE_URL" in str(err.value)
    assert "\n" not in str(err.value)


def test_unknown_model_names_the_model_setting(small_index, embedder) -> None:
    with OpenAIStub(models=("other-model",)) as stub:
        engine = openai_engine(small_index, embedder, stub.base_url)
        with pytest.raises(LLMUnavailable, match="REE_LLM_MODEL"):
            engine.answer(QUESTION)


def test_timeout_names_the_timeout_setting(small_index, embedder) -> None:
    with OpenAIStub(delay=3.0) as stub:
        engine = openai_engine(small_index, embedder, stub.base_url, llm_timeout=0.5)
        with pytest.raises(LLMUnavailable, match="REE_LLM_TIMEOUT"):
            engine.answer(QUESTION)


def test_bad_api_key_names_the_key_setting(small_index, embedder) -> None:
    with OpenAIStub(api_key="right-key") as stub:
        engine = openai_engine(
            small_index, embedder, stub.base_url, llm_api_key=SecretStr("wrong-key")
        )
        with pytest.raises(LLMUnavailable, match="REE_LLM_API_KEY"):
            engine.answer(QUESTION)


def test_cli_ask_prints_one_line_when_the_server_is_down(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("REE_")}
    env.update(
        REE_HOME=str(tmp_path),
        REE_LLM="openai",
        REE_LLM_BASE_URL=f"http://127.0.0.1:{free_port()}/v1",
        REE_MIN_RELEVANCE="0",
    )
    subprocess.run(
        [
            sys.executable,
            "-m",
            "ingest",
            str(REPO / "data/sample/mp-materials-dod-partnership-2025.md"),
        ],
        env=env,
        cwd=tmp_path,
        check=True,
        capture_output=True,
    )
    out = subprocess.run(
        [sys.executable, "-m", "interfaces", "ask", QUESTION],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
    )
    assert out.returncode == 2
    assert "Traceback" not in out.stderr
    assert out.stderr.strip().startswith("error: the LLM server at")
    assert "REE_LLM_BASE_URL" in out.stderr


@pytest.mark.slow
def test_llama_cpp_server_with_the_packaged_model(small_index, embedder, llm_home: Path) -> None:
    """llama-cpp-python's own OpenAI-compatible server, the real model, our openai provider."""
    from ree.runtime.local_model import resolve_model_path

    model_path = resolve_model_path(Settings(home=llm_home))
    port = free_port()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "llama_cpp.server",
            "--model",
            str(model_path),
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--n_ctx",
            "4096",
            "--model_alias",
            "stub-model",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        deadline = time.time() + 240
        while True:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/v1/models", timeout=2)
                break
            except OSError:
                if time.time() > deadline or proc.poll() is not None:
                    pytest.fail(f"llama_cpp.server did not start (exit code {proc.poll()})")
                time.sleep(0.5)
        engine = openai_engine(small_index, embedder, f"http://127.0.0.1:{port}/v1")
        ans = engine.answer(QUESTION)
        assert not ans.refused, (ans.refusal_reason, ans.draft)
        assert "110" in ans.text and ans.citations
        assert all(c.source == "mp-materials-dod-partnership-2025.md" for c in ans.citations)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=30)
