"""Bad input never stops a run: every broken file gets a one-line reason, the rest is indexed.

Each kind of bad file is ingested in one run together with good files. The checks: the run goes on,
each bad file is reported once with a short, specific reason, the exit code is 1 (0 for a clean
run), and what was indexed before from the same paths is still there afterwards.

Sizes: the REE_MAX_TEXT_MB check is exercised with REE_MAX_TEXT_MB=1 and a 2 MB file (fast), and a
50 MB text file (sparse, so the test writes no 50 MB) is refused by the default limit of 20 MB from
its size alone, before any byte is read: that is what keeps a huge export from costing time.
"""

from __future__ import annotations

import io
import os
import time
from pathlib import Path

import pytest
from pypdf import PdfReader, PdfWriter
from reportlab.lib.pagesizes import A4
from reportlab.pdfgen import canvas
from test_ingest_support import SAMPLE, assert_consistent, make_settings, pipeline_embedder

from ingest import ingest_paths
from ingest.pipeline import _Run
from ree.index import open_index

GOOD = "ndfeb-magnets-evs-wind-turbines.md"
CP1252_TEXT = (
    "Société Générale desk note \u2014 rare earths\n\n"
    "Prices for NdPr oxide rose to \u20ac62 per kilogram; the café in Baotou was busy.\n"
)


@pytest.fixture(scope="module")
def ready(embedder_home: Path, embedder) -> None:  # noqa: ANN001
    pipeline_embedder(embedder_home)


def pdf_bytes(text: str) -> bytes:
    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=A4, invariant=1)
    c.drawString(72, 760, text)
    c.save()
    return buf.getvalue()


def encrypted_pdf_bytes() -> bytes:
    writer = PdfWriter()
    for page in PdfReader(io.BytesIO(pdf_bytes("Secret price forecast for dysprosium"))).pages:
        writer.add_page(page)
    writer.encrypt(user_password="s3cret", owner_password="owner", algorithm="AES-128")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def outcomes(report) -> dict[str, tuple[str, str]]:  # noqa: ANN001
    return {f.source: (f.status, f.reason) for f in report.files}


def one_line(reason: str) -> bool:
    return bool(reason) and "\n" not in reason and len(reason) < 200 and "Traceback" not in reason


def test_bad_files_fail_with_reasons_and_the_run_goes_on(tmp_path: Path, ready: None) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    good = docs / GOOD
    good.write_bytes((SAMPLE / GOOD).read_bytes())
    # a PDF and a text file that are fine now and go bad later
    (docs / "forecast.pdf").write_bytes(pdf_bytes("Neodymium oxide forecast for 2026 is stable."))
    (docs / "notes.txt").write_text(
        "Desk notes\n\nMP Materials ships NdPr oxide from Mountain "
        "Pass to its Fort Worth magnet plant.\n"
    )
    settings = make_settings(tmp_path / "home")
    first = ingest_paths([docs], settings=settings, progress=False)
    assert first.exit_code == 0
    index = open_index(settings=settings)
    before = {d.source: set(index.docstore.chunk_ids_of(d.doc_id)) for d in index.documents()}
    assert set(before) == {GOOD, "forecast.pdf", "notes.txt"}

    # now break the two files and add every other kind of bad input
    (docs / "forecast.pdf").write_bytes(b"%PDF-1.7\n1 0 obj << /Type /Catalog >>\ngarbage\n" * 20)
    (docs / "notes.txt").write_bytes(os.urandom(4096) + b"\x00" * 64)
    (docs / "locked.pdf").write_bytes(encrypted_pdf_bytes())
    (docs / "empty.md").write_bytes(b"")
    (docs / "blank.html").write_text("   \n\n\t\n")
    (docs / "windows-note.txt").write_bytes(CP1252_TEXT.encode("cp1252"))
    (docs / "twin.md").write_bytes(good.read_bytes())
    (docs / "sheet.xlsx").write_bytes(b"PK\x03\x04 not really a workbook")
    (docs / "dangling.md").symlink_to(docs / "no-such-target.md")

    report = ingest_paths([docs, tmp_path / "typo-folder"], settings=settings, progress=False)
    got = outcomes(report)
    assert got[GOOD] == ("unchanged", "")
    assert got["windows-note.txt"][0] == "ingested"  # cp1252 is read, not refused
    failed = {
        "forecast.pdf": "corrupt or unreadable PDF",
        "notes.txt": "binary data in a text file",
        "locked.pdf": "encrypted PDF (password required)",
        "empty.md": "empty file",
        "blank.html": "no extractable text",
        "dangling.md": "broken symbolic link (its target is missing)",
        str(tmp_path / "typo-folder"): "path not found",
    }
    for source, reason in failed.items():
        status, why = got[source]
        assert status == "failed", (source, status, why)
        assert why.startswith(reason), (source, why)
        assert one_line(why)
    assert got["twin.md"] == ("skipped", f"same content as {GOOD} (already indexed)")
    assert got["sheet.xlsx"] == ("skipped", "unsupported file type '.xlsx'")
    assert {f["source"] for f in report.to_dict()["failed"]} == set(failed)
    assert report.exit_code == 1

    # nothing indexed before was lost: the two broken files keep their previous version
    after = {d.source: set(index.docstore.chunk_ids_of(d.doc_id)) for d in index.documents()}
    for source, ids in before.items():
        assert after[source] == ids, source
    assert set(after) == set(before) | {"windows-note.txt"}
    assert_consistent(index)

    # the cp1252 file was decoded, not mangled
    note = next(d for d in index.documents() if d.source == "windows-note.txt")
    text = " ".join(c.text for c in index.docstore.neighbours(note.doc_id, 0, radius=100))
    assert "Société Générale" in note.title
    assert "\u20ac62" in text and "café" in text
    assert index.keyword.search("Société", 5)[0][0].startswith(note.doc_id)


def test_a_clean_run_exits_zero(tmp_path: Path, ready: None) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / GOOD).write_bytes((SAMPLE / GOOD).read_bytes())
    (docs / "README.rst").write_text("not a supported type, skipped without failing")
    report = ingest_paths([docs], settings=make_settings(tmp_path / "home"), progress=False)
    assert report.exit_code == 0
    assert {f.source: f.status for f in report.files} == {GOOD: "ingested", "README.rst": "skipped"}


def test_text_over_the_size_limit_is_refused(tmp_path: Path, ready: None) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / GOOD).write_bytes((SAMPLE / GOOD).read_bytes())
    line = "Rare earth separation capacity outside China grew again this year.\n"
    (docs / "big-export.txt").write_text(line * (2 * 2**20 // len(line) + 1))  # ~2 MB
    report = ingest_paths(
        [docs], settings=make_settings(tmp_path / "home", max_text_mb=1), progress=False
    )
    got = outcomes(report)
    assert got[GOOD][0] == "ingested"
    assert got["big-export.txt"] == ("failed", "file too large (2.0 MB > REE_MAX_TEXT_MB=1)")
    assert report.exit_code == 1


def test_a_50_mb_text_file_is_refused_by_size_before_reading(tmp_path: Path, ready: None) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    huge = docs / "dump.csv"
    with huge.open("wb") as fh:  # sparse: 50 MB long, nothing written
        fh.truncate(50 * 2**20)
    settings = make_settings(tmp_path / "home")  # default REE_MAX_TEXT_MB=20
    start = time.perf_counter()
    report = ingest_paths([docs], settings=settings, progress=False)
    elapsed = time.perf_counter() - start
    assert outcomes(report)["dump.csv"] == (
        "failed",
        "file too large (50.0 MB > REE_MAX_TEXT_MB=20)",
    )
    assert elapsed < 5, f"refusing by size took {elapsed:.1f} s"
    assert report.exit_code == 1


def test_a_file_deleted_during_the_run(tmp_path: Path, ready: None) -> None:
    """Discovery lists the file, then it is gone before it is read: the per-file step reports it."""
    docs = tmp_path / "docs"
    docs.mkdir()
    doomed = docs / "doomed.md"
    doomed.write_text("# Doomed\n\nThis file is deleted between discovery and loading.\n")
    settings = make_settings(tmp_path / "home")
    index = open_index(settings=settings)
    run = _Run(index, settings, dry_run=False, progress=False)
    doomed.unlink()
    outcome = run.one_file(doomed, docs)
    assert (outcome.status, outcome.reason) == ("failed", "file disappeared during the run")
    assert index.count() == 0


def test_an_unreadable_file(tmp_path: Path, ready: None) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / GOOD).write_bytes((SAMPLE / GOOD).read_bytes())
    locked = docs / "locked.md"
    locked.write_text("# Locked\n\nNobody may read this.\n")
    locked.chmod(0)
    try:
        try:
            locked.open("rb").close()
        except PermissionError:
            pass
        else:
            pytest.skip("permission bits do not apply here (running as root)")
        report = ingest_paths([docs], settings=make_settings(tmp_path / "home"), progress=False)
        got = outcomes(report)
        assert got["locked.md"] == ("failed", "permission denied")
        assert got[GOOD][0] == "ingested"
        assert report.exit_code == 1
    finally:
        locked.chmod(0o644)
