"""`ree ingest` as a user runs it: a real subprocess, its JSON summary and its exit codes.

Exit codes (ingest/pipeline.py): 0 every file fine (unsupported types skipped are fine), 1 some
file failed, 2 nothing could run (bad settings, unreachable Chroma). Each subprocess gets its own
REE_HOME with the session's exported ONNX embedder hard-linked in, so none of them exports it.
"""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
from pathlib import Path

import pytest
from test_ingest_support import REE_BIN, REPO, SAMPLE, link_models, subprocess_env

KEYS = {
    "files_seen",
    "ingested",
    "unchanged",
    "failed",
    "chunks_added",
    "chunks_removed",
    "seconds",
    "skipped",
    "removed",
    "dry_run",
    "tokens",
    "files",
    "collection",
    "repaired",
}


def ree(home: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [REE_BIN, *args],
        cwd=REPO,
        env=subprocess_env(home, **env),
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.fixture
def home(tmp_path: Path, embedder_home: Path, embedder) -> Path:  # noqa: ANN001
    home = tmp_path / "home"
    link_models(embedder_home, home)
    return home


def test_json_summary_and_exit_codes(tmp_path: Path, home: Path) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    for name in ("bayan-obo-deposit-profile.md", "china-rare-earth-export-control-timeline.csv"):
        shutil.copy2(SAMPLE / name, docs / name)
    (docs / "notes.rst").write_text("unsupported, skipped")

    first = ree(home, "ingest", str(docs), "--json")
    assert first.returncode == 0, first.stderr
    d = json.loads(first.stdout)  # stdout is exactly one JSON object
    assert set(d) >= KEYS
    assert (d["files_seen"], d["ingested"], d["unchanged"], d["failed"]) == (3, 2, 0, [])
    assert d["skipped"] == [{"source": "notes.rst", "reason": "unsupported file type '.rst'"}]
    assert d["chunks_added"] > 0 and d["chunks_removed"] == 0
    assert isinstance(d["seconds"], float) and d["seconds"] > 0
    assert "Traceback" not in first.stderr

    (docs / "broken.pdf").write_bytes(b"%PDF-1.4\nthis is not a PDF body\n")
    second = ree(home, "ingest", str(docs), "--json")
    assert second.returncode == 1, second.stderr
    d2 = json.loads(second.stdout)
    assert (d2["files_seen"], d2["ingested"], d2["unchanged"]) == (4, 0, 2)
    assert len(d2["failed"]) == 1 and d2["failed"][0]["source"] == "broken.pdf"
    assert d2["failed"][0]["reason"].startswith("corrupt or unreadable PDF")
    assert d2["chunks_added"] == 0 == d2["chunks_removed"]

    # the human summary names the failure and its reason on one line
    third = ree(home, "ingest", str(docs))
    assert third.returncode == 1
    assert "0 ingested, 2 unchanged" in third.stdout
    assert any(
        line.strip().startswith("failed  broken.pdf: corrupt or unreadable PDF")
        for line in third.stdout.splitlines()
    )


def test_exit_code_2_when_nothing_can_run(tmp_path: Path, home: Path) -> None:
    with socket.socket() as s:  # a port with nothing listening
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    down = ree(home, "ingest", str(SAMPLE), "--json", chroma_url=f"http://127.0.0.1:{port}")
    assert down.returncode == 2
    assert down.stdout == ""
    lines = down.stderr.strip().splitlines()
    assert lines[-1].startswith(f"error: Chroma server at http://127.0.0.1:{port} is unreachable")
    assert "REE_CHROMA_URL" in lines[-1] and "Traceback" not in down.stderr
    assert not (home / "index").exists()  # nothing was written

    bad = ree(home, "ingest", str(SAMPLE), chunk_tokens="100", chunk_overlap="100")
    assert bad.returncode == 2
    assert "REE_CHUNK_OVERLAP" in bad.stderr and "Traceback" not in bad.stderr
    assert not (home / "index").exists()  # nothing was written
