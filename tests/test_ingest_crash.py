"""Crash safety: a killed ingest resumes to exactly the index an uninterrupted run builds.

- A real `python -m ingest` subprocess is SIGKILLed once the SQLite manifest holds some but not
  all documents (polled read-only through SQLite's WAL), then re-run to completion. Its index must
  equal that of an uninterrupted run into another REE_HOME: the same chunk ids in Chroma, in SQLite
  and in BM25, and no orphans.
- The crash windows themselves, made deterministic in-process: vectors upserted but the manifest
  not committed; the manifest committed but stale vectors not deleted; vectors lost. Readers trust
  only SQLite, so they see the old or the new version, never a mix, and the next run repairs.
- One writer at a time: a second ingest waits for the first (threads and processes).
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import threading
import time
from pathlib import Path

import pytest
from test_ingest_support import (
    PYTHON,
    REPO,
    SAMPLE,
    assert_consistent,
    copy_files,
    link_models,
    make_settings,
    pipeline_embedder,
    state,
    subprocess_env,
)

from ingest import ingest_paths
from ingest.loaders import load_document
from ingest.pipeline import build_chunks
from ree.index import open_index
from ree.runtime import get_embedder

N_DOCS = 16
TEXT_TYPES = {".md", ".txt"}


@pytest.fixture(scope="module")
def ready(embedder_home: Path, embedder) -> None:  # noqa: ANN001
    pipeline_embedder(embedder_home)


def make_variants(folder: Path, n: int = N_DOCS) -> None:
    """n distinct short documents (one or two chunks each): sample text files, each cut to its
    first paragraphs and given its own opening line, so the runs stay short on a busy machine."""
    folder.mkdir(parents=True)
    sources = sorted(p for p in SAMPLE.iterdir() if p.suffix in TEXT_TYPES)
    for i in range(n):
        src = sources[i % len(sources)]
        text = src.read_text(encoding="utf-8")
        head = ""
        if text.startswith("---\n"):  # keep a front matter first
            end = text.index("\n---", 4) + 4
            head, text = text[:end] + "\n\n", text[end:]
        body = text[:1500].rsplit("\n\n", 1)[0]
        note = f"Variant {i}: analyst copy number {i} of {src.stem}, reviewed in batch {i * 7}."
        (folder / f"v{i:02d}-{src.name}").write_text(f"{head}{note}\n\n{body}\n", encoding="utf-8")


def committed_documents(home: Path) -> int:
    db = home / "index" / "ree.sqlite"
    if not db.exists():
        return 0
    try:
        con = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=0.2)
        try:
            return int(con.execute("SELECT COUNT(*) FROM documents").fetchone()[0])
        finally:
            con.close()
    except sqlite3.Error:  # schema not created yet, or busy
        return 0


def run_ingest(docs: Path, home: Path) -> dict:
    proc = subprocess.run(
        [PYTHON, "-m", "ingest", str(docs), "--json"],
        cwd=REPO,
        env=subprocess_env(home),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    return json.loads(proc.stdout)


def test_sigkill_mid_ingest_then_resume_equals_an_uninterrupted_run(
    tmp_path: Path, embedder_home: Path, ready: None
) -> None:
    docs = tmp_path / "docs"
    make_variants(docs)
    killed, clean = tmp_path / "killed", tmp_path / "clean"
    link_models(embedder_home, killed)

    proc = subprocess.Popen(
        [PYTHON, "-m", "ingest", str(docs), "--json"],
        cwd=REPO,
        env=subprocess_env(killed),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    at_kill = 0
    try:
        deadline = time.monotonic() + 240
        while proc.poll() is None and time.monotonic() < deadline:
            at_kill = committed_documents(killed)
            if at_kill >= 3:
                os.killpg(proc.pid, signal.SIGKILL)
                break
            time.sleep(0.02)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    assert proc.returncode == -signal.SIGKILL, "ingest finished before it could be killed"
    partial = committed_documents(killed)
    assert 3 <= partial < N_DOCS, partial

    resumed = run_ingest(docs, killed)
    assert resumed["failed"] == []
    assert resumed["unchanged"] == partial  # committed documents are not redone
    assert resumed["ingested"] == N_DOCS - partial
    # the reference run happens in this process (a subprocess would only add start-up time)
    reference = ingest_paths([docs], settings=make_settings(clean), progress=False)
    assert reference.to_dict()["ingested"] == N_DOCS

    a = open_index(settings=make_settings(killed))
    b = open_index(settings=make_settings(clean))
    got_a, got_b = assert_consistent(a), assert_consistent(b)  # consistent = no orphans
    assert got_a == got_b
    assert a.vectors.all_ids() == a.docstore.chunk_ids()
    assert [d.doc_id for d in a.documents()] == [d.doc_id for d in b.documents()]
    assert a.keyword.ids == b.keyword.ids  # same BM25 corpus, same order
    query = "separation plant in Malaysia"
    assert a.keyword.search(query, 10) == b.keyword.search(query, 10)


# --- the crash windows, in-process --------------------------------------------------------------

DOC = "lynas-rare-earths-company-profile.md"


def _edited_chunks(path: Path, settings, index):  # noqa: ANN001, ANN202
    """Chunks of the file's current content, as the pipeline would build them."""
    doc_id = next(d.doc_id for d in index.documents() if d.source == path.name)
    return build_chunks(
        load_document(path),
        doc_id=doc_id,
        source=path.name,
        settings=settings,
        ingested_at=int(time.time()),
    )


def _edit(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    path.write_text(
        text + "\n\nUpdate: the Zanthorite pilot line reached a nameplate "
        "capacity of 12,000 tonnes.\n",
        encoding="utf-8",
    )


def test_crash_after_vectors_before_commit(tmp_path: Path, ready: None) -> None:
    docs = tmp_path / "docs"
    (path,) = copy_files([DOC], docs)
    settings = make_settings(tmp_path / "home")
    ingest_paths([docs], settings=settings, progress=False)
    index = open_index(settings=settings)
    old = state(index)

    _edit(path)
    chunks = _edited_chunks(path, settings, index)
    fresh = [c for c in chunks if c.id not in old["sqlite"]]
    assert fresh
    index.vectors.upsert(fresh, get_embedder("onnx-int8").embed([c.embed_text for c in fresh]))
    # ... and the process dies here, before DocStore.commit_document.

    # Chroma now holds vectors the manifest does not know; what a reader can see is unchanged
    orphans = index.vectors.all_ids() - old["sqlite"]
    assert orphans == {c.id for c in fresh}
    assert index.docstore.chunk_ids() == old["sqlite"]
    assert index.docstore.get_chunks(sorted(orphans)) == {}
    assert set(index.keyword.ids) == old["bm25"]
    assert index.keyword.search("Zanthorite", 5) == []
    # a dense hit on an orphan is dropped by the docstore lookup every reader does
    hit_ids = [
        cid
        for cid, _ in index.vectors.query(
            get_embedder("onnx-int8").embed([fresh[-1].embed_text])[0], 3
        )
    ]
    assert hit_ids[0] in orphans
    assert hit_ids[0] not in index.docstore.get_chunks(hit_ids)

    report = ingest_paths([docs], settings=settings, progress=False)
    assert report.repaired["orphans_removed"] == len(fresh)
    assert report.to_dict()["ingested"] == 1
    got = assert_consistent(index)
    assert got["sqlite"] == {c.id for c in chunks}
    assert index.keyword.search("Zanthorite", 5)


def test_crash_after_commit_before_stale_delete(tmp_path: Path, ready: None) -> None:
    docs = tmp_path / "docs"
    (path,) = copy_files([DOC], docs)
    settings = make_settings(tmp_path / "home")
    ingest_paths([docs], settings=settings, progress=False)
    index = open_index(settings=settings)
    old = state(index)

    _edit(path)
    chunks = _edited_chunks(path, settings, index)
    fresh = [c for c in chunks if c.id not in old["sqlite"]]
    index.vectors.upsert(fresh, get_embedder("onnx-int8").embed([c.embed_text for c in fresh]))
    doc = next(d for d in index.documents() if d.source == DOC)
    stale = index.docstore.commit_document(doc, chunks)
    # ... and the process dies here, before the stale vectors are deleted.
    assert stale
    assert index.docstore.chunk_ids() == {c.id for c in chunks}  # readers see the new version
    assert set(stale) <= index.vectors.all_ids()

    report = ingest_paths([docs], settings=settings, progress=False)
    assert report.repaired["orphans_removed"] == len(stale)
    got = assert_consistent(index)
    assert not (got["chroma"] & set(stale))


def test_lost_vectors_are_restored(tmp_path: Path, ready: None) -> None:
    docs = tmp_path / "docs"
    copy_files([DOC, "bayan-obo-deposit-profile.md"], docs)
    settings = make_settings(tmp_path / "home")
    ingest_paths([docs], settings=settings, progress=False)
    index = open_index(settings=settings)
    before = state(index)
    lost = sorted(before["sqlite"])[:3]
    index.vectors.delete(lost)
    assert index.missing_vector_ids() == lost

    report = ingest_paths([docs], settings=settings, progress=False)
    assert report.repaired == {"orphans_removed": 0, "missing_vectors": 3, "vectors_restored": 3}
    assert assert_consistent(index) == before


def test_one_writer_at_a_time(tmp_path: Path, ready: None) -> None:
    docs = tmp_path / "docs"
    copy_files([DOC], docs)
    settings = make_settings(tmp_path / "home")
    index = open_index(settings=settings)
    done: list[object] = []
    with index.writing():
        worker = threading.Thread(
            target=lambda: done.append(ingest_paths([docs], settings=settings, progress=False))
        )
        worker.start()
        worker.join(1.5)
        assert worker.is_alive() and not done, "a second writer did not wait for the first"
        # another process sees the lock too (flock on the lock file beside the index)
        probe = subprocess.run(
            [
                PYTHON,
                "-c",
                "import fcntl,sys; f=open(sys.argv[1]); "
                "fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)",
                str(index._lock_path),
            ],
            capture_output=True,
            text=True,
            timeout=30,
        )
        assert probe.returncode != 0 and "BlockingIOError" in probe.stderr
    worker.join(60)
    assert done and done[0].exit_code == 0  # type: ignore[attr-defined]
    assert_consistent(index)
