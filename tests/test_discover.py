"""Folder walking: hidden and tool folders skipped, `.reeignore` patterns honoured."""

from __future__ import annotations

from pathlib import Path

from ingest.pipeline import discover


def test_reeignore_and_hidden_files_are_skipped(tmp_path: Path) -> None:
    (tmp_path / "notes").mkdir()
    (tmp_path / ".git").mkdir()
    for rel in (
        "a.md",
        "SOURCES.md",
        "gen.py",
        "notes/b.txt",
        "notes/draft-old.txt",
        ".hidden.md",
        ".git/config",
    ):
        (tmp_path / rel).write_text("x")
    (tmp_path / ".reeignore").write_text("# not documents\nSOURCES.md\n*.py\nnotes/draft-*\n")
    found = sorted(p.relative_to(tmp_path).as_posix() for p, _ in discover([tmp_path]))
    assert found == ["a.md", "notes/b.txt"]


def test_sample_corpus_ignores_its_own_sources_list() -> None:
    sample = Path(__file__).resolve().parents[1] / "data" / "sample"
    names = {p.name for p, _ in discover([sample])}
    assert "SOURCES.md" not in names and "generate_binary.py" not in names
    assert len(names) >= 15


def test_exclude_globs_work_like_reeignore_lines(tmp_path: Path) -> None:
    # for folders you cannot write a .reeignore into (a read-only share)
    (tmp_path / "notes").mkdir()
    for rel in ("a.md", "SOURCES.md", "notes/b.txt", "notes/SOURCES.md", "notes/c.csv"):
        (tmp_path / rel).write_text("x")
    found = sorted(
        p.relative_to(tmp_path).as_posix()
        for p, _ in discover([tmp_path], exclude=["SOURCES.md", "notes/*.csv"])
    )
    assert found == ["a.md", "notes/b.txt"]  # a bare name matches in every folder
    # a file named directly is excluded by name too
    assert list(discover([tmp_path / "SOURCES.md"], exclude=["SOURCES.md"])) == []
