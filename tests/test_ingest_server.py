"""Ingest into a real Chroma server (`chroma run`) gives the same chunks as the embedded store.

The test starts `chroma run --path DIR --host 127.0.0.1 --port FREE_PORT` in its own process
group, waits for /api/v2/heartbeat, and stops it with SIGTERM to the group at teardown. Chunk ids
are content-derived, so the server run must receive exactly the ids of an embedded run on the same
files, with the same metadata; the check reads the server through its own HTTP client.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from test_ingest_support import (
    PYTHON,
    assert_consistent,
    copy_files,
    make_settings,
    pipeline_embedder,
)

from ingest import ingest_paths
from ree.index import open_index

CHROMA = str(Path(PYTHON).with_name("chroma"))
FILES = [
    "bayan-obo-deposit-profile.md",
    "global-rare-earth-mine-production-reserves-2024.pdf",
    "rare-earth-mine-production-by-country-2023-2024.csv",
    "environmental-costs-of-rare-earth-processing.docx",
    "magnet-recycling-landscape.html",
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def chroma_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    if not Path(CHROMA).exists():
        pytest.skip("the chroma CLI is not installed in this environment")
    port = free_port()
    data = tmp_path_factory.mktemp("chroma-server")
    log = (data / "server.log").open("wb")
    proc = subprocess.Popen(
        [CHROMA, "run", "--path", str(data / "db"), "--host", "127.0.0.1", "--port", str(port)],
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"{url}/api/v2/heartbeat", timeout=1) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"chroma run did not start: {(data / 'server.log').read_text()}")
            time.sleep(0.2)
        yield url
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
        log.close()


def test_server_receives_the_same_chunks_as_embedded(
    tmp_path: Path,
    chroma_url: str,
    embedder_home: Path,
    embedder,  # noqa: ANN001
) -> None:
    pipeline_embedder(embedder_home)
    docs = tmp_path / "docs"
    copy_files(FILES, docs)

    local = make_settings(tmp_path / "embedded")
    ingest_paths([docs], settings=local, progress=False)
    local_index = open_index(settings=local)

    remote = make_settings(tmp_path / "served", chroma_url=chroma_url)
    report = ingest_paths([docs], settings=remote, progress=False)
    assert report.exit_code == 0 and report.to_dict()["ingested"] == len(FILES)
    remote_index = open_index(settings=remote)
    assert (
        tmp_path / "served" / "index" / "chroma"
    ).exists() is False  # vectors went to the server

    got = assert_consistent(remote_index)
    assert got == assert_consistent(local_index)

    # read the server with an independent client: same ids, same metadata, same text
    import chromadb

    client = chromadb.HttpClient(host="127.0.0.1", port=int(chroma_url.rsplit(":", 1)[1]))
    served = client.get_collection("ree").get(include=["metadatas", "documents", "embeddings"])
    mine = local_index.vectors.collection.get(include=["metadatas", "documents", "embeddings"])
    assert set(served["ids"]) == set(mine["ids"]) == got["sqlite"]
    by_id = {
        cid: (m, d)
        for cid, m, d in zip(mine["ids"], mine["metadatas"], mine["documents"], strict=True)
    }
    for cid, meta, text in zip(
        served["ids"], served["metadatas"], served["documents"], strict=True
    ):
        want_meta, want_text = by_id[cid]
        assert text == want_text
        assert {k: v for k, v in meta.items() if k != "ingested_at"} == {
            k: v for k, v in want_meta.items() if k != "ingested_at"
        }
    assert len(served["embeddings"][0]) == 384

    # dense search through the server works and returns live chunks
    query = remote_index.vectors.query(served["embeddings"][0], 3)
    assert query[0][0] == served["ids"][0] and query[0][1] > 0.99

    # and a re-run against the server is a no-op
    again = ingest_paths([docs], settings=remote, progress=False).to_dict()
    assert again["unchanged"] == len(FILES) and again["chunks_added"] == 0
    assert set(client.get_collection("ree").get()["ids"]) == got["sqlite"]
