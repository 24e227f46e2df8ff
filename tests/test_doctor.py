"""`ree doctor`: every check on a real tmp setup, and broken settings that must say what to fix.

The embedder check would export the ONNX model into each fresh REE_HOME (seconds); the session's
already exported file is hard-linked in instead, which is exactly the cached-file path users hit.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from interfaces.doctor import Check, check_index, check_llm, run_doctor
from ree.settings import Settings, load_settings


def _share_embedder(home: Path, embedder_home: Path) -> None:
    src = next((embedder_home / "models" / "embedder").glob("*.onnx"))
    dst = home / "models" / "embedder" / src.name
    dst.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.link(src, dst)
    except OSError:
        shutil.copy2(src, dst)


@pytest.fixture
def home(ree_settings: Settings, embedder, embedder_home: Path) -> Path:
    """ree_settings' home with the session's exported embedder already in place."""
    _share_embedder(ree_settings.home, embedder_home)
    return ree_settings.home


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _by_name(results: list[Check]) -> dict[str, Check]:
    return {c.name: c for c in results}


def test_good_settings_pass_up_to_the_llm(home: Path) -> None:
    missing = home / "no-such-model.gguf"
    settings = load_settings(home=home, local_model=str(missing))
    results = run_doctor(settings)
    assert [c.name for c in results] == ["settings", "tokenizer", "embedder", "index", "llm"]
    checks = _by_name(results)
    for name in ("settings", "tokenizer", "embedder", "index"):
        assert checks[name].ok, checks[name].line()
    assert "onnx-int8" in checks["embedder"].detail
    assert str(home / "index") in checks["index"].detail and "empty" in checks["index"].detail
    llm = checks["llm"]
    assert not llm.ok
    assert str(missing) in llm.detail and "does not exist" in llm.detail
    assert "REE_LOCAL_MODEL" in llm.fix
    assert llm.line().startswith("[FAIL] llm: ") and "\n       fix: " in llm.line()
    # the checks used *these* settings: no export or index appeared in another home
    assert sorted(p.name for p in (home / "models" / "embedder").iterdir()) == [
        "minilm-l6-v2-int8-pc.onnx"
    ]


def test_closed_chroma_port_fails_with_the_setting_and_a_fix(ree_settings: Settings) -> None:
    url = f"http://127.0.0.1:{_closed_port()}"
    check = check_index(load_settings(home=ree_settings.home, chroma_url=url))
    assert not check.ok
    assert url in check.detail and "REE_CHROMA_URL" in check.detail
    assert "REE_CHROMA_URL" in check.fix
    assert "[FAIL] index:" in check.line() and "fix:" in check.line()


def test_real_chroma_server_on_loopback_passes(ree_settings: Settings) -> None:
    """A `chroma run` server on 127.0.0.1 works under the suite's network guard."""
    chroma = Path(sys.executable).with_name("chroma")
    if not chroma.exists():
        pytest.skip("chroma CLI not installed")
    port = _closed_port()
    server = subprocess.Popen(
        [
            str(chroma),
            "run",
            "--path",
            str(ree_settings.home / "server"),
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        settings = load_settings(home=ree_settings.home, chroma_url=f"http://127.0.0.1:{port}")
        check = Check("index", False, "not started")
        for _ in range(60):  # up to ~30 s on a loaded machine; usually ~1 s
            check = check_index(settings)
            if check.ok:
                break
            server.poll()
            assert server.returncode is None, "chroma run exited"
            threading.Event().wait(0.5)
        assert check.ok, check.line()
        assert f"http://127.0.0.1:{port}" in check.detail and "0 documents" in check.detail
    finally:
        server.terminate()
        server.wait(timeout=30)


class _OpenAIStub(BaseHTTPRequestHandler):
    """The one endpoint the doctor calls on an OpenAI-compatible server: GET /v1/models."""

    def do_GET(self) -> None:  # noqa: N802 (http.server's name)
        if self.path != "/v1/models":
            self.send_error(404)
            return
        if self.headers.get("Authorization") != "Bearer sk-test":
            self.send_error(401)
            return
        body = json.dumps({"data": [{"id": "qwen-test"}]}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def openai_stub() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _OpenAIStub)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/v1"
    server.shutdown()
    server.server_close()


def test_unreachable_openai_server_is_named(ree_settings: Settings) -> None:
    url = f"http://127.0.0.1:{_closed_port()}/v1"
    check = check_llm(load_settings(home=ree_settings.home, llm="openai", llm_base_url=url))
    assert not check.ok
    assert url in check.detail and "cannot reach" in check.detail
    assert "REE_LLM_BASE_URL" in check.fix


def test_openai_server_checks(ree_settings: Settings, openai_stub: str) -> None:
    base = {"home": ree_settings.home, "llm": "openai", "llm_base_url": openai_stub}
    good = check_llm(load_settings(**base, llm_api_key="sk-test", llm_model="qwen-test"))
    assert good.ok and "1 model" in good.detail, good.line()
    wrong_model = check_llm(load_settings(**base, llm_api_key="sk-test", llm_model="gpt-9"))
    assert not wrong_model.ok and "gpt-9" in wrong_model.detail
    assert "REE_LLM_MODEL" in wrong_model.fix
    bad_key = check_llm(load_settings(**base, llm_api_key="sk-wrong"))
    assert not bad_key.ok and "HTTP 401" in bad_key.detail and "REE_LLM_API_KEY" in bad_key.fix
    assert "sk-wrong" not in bad_key.line()


def test_invalid_env_value_is_the_settings_failure(ree_settings: Settings, monkeypatch) -> None:
    monkeypatch.setenv("REE_TOP_K", "abc")
    results = run_doctor()
    assert len(results) == 1
    (check,) = results
    assert check.name == "settings" and not check.ok
    assert "REE_TOP_K" in check.detail and "integer" in check.detail
    assert "REE_" in check.fix


def test_invalid_collection_name_says_which_setting(ree_settings: Settings) -> None:
    check = check_index(load_settings(home=ree_settings.home, collection="a"))
    assert not check.ok and "invalid collection name" in check.detail
    assert check.fix == "fix REE_COLLECTION"


def _ree_doctor(cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("REE_")}
    clean.update(env)
    return subprocess.run(
        [sys.executable, "-m", "interfaces", "doctor"],
        cwd=cwd,
        env=clean,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_cli_doctor_with_bad_setting_exits_1_and_prints_the_fix(ree_settings: Settings) -> None:
    run = _ree_doctor(ree_settings.home, REE_HOME=str(ree_settings.home), REE_TOP_K="abc")
    assert run.returncode == 1, run.stdout + run.stderr
    assert "[FAIL] settings:" in run.stdout and "REE_TOP_K" in run.stdout
    assert "fix: fix the named REE_ variable" in run.stdout
    assert "0 ok, 1 failed" in run.stdout
    assert "Traceback" not in run.stderr


def test_cli_doctor_reports_every_broken_part(home: Path) -> None:
    url = f"http://127.0.0.1:{_closed_port()}"
    run = _ree_doctor(
        home,
        REE_HOME=str(home),
        REE_CHROMA_URL=url,
        REE_LOCAL_MODEL=str(home / "missing.gguf"),
    )
    out = run.stdout
    assert run.returncode == 1, out + run.stderr
    assert "[ok  ] settings:" in out and "[ok  ] tokenizer:" in out and "[ok  ] embedder:" in out
    assert f"[FAIL] index: Chroma server at {url} is unreachable" in out
    assert "fix: fix REE_CHROMA_URL" in out
    assert "[FAIL] llm:" in out and "missing.gguf" in out
    assert "3 ok, 2 failed" in out
    assert "TracerWarning" not in run.stderr and "Traceback" not in run.stderr


@pytest.mark.slow
def test_packaged_model_check_verifies_the_model(llm_home: Path) -> None:
    check = check_llm(load_settings(home=llm_home))
    assert check.ok, check.line()
    assert "qwen2.5-coder-1.5b-instruct-q4_k_m.gguf" in check.detail
    assert "sha256 verified (cc324af070c2" in check.detail
