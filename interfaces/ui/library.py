"""The Library tab's logic: list indexed documents, ingest uploads, remove documents.

Uploads come from a browser, so nothing about them is trusted: the name is reduced to a safe
basename, the type must be one the loaders support, the size must be under REE_MAX_UPLOAD_MB, and
the file is ingested through the same `ingest_paths` as the CLI. A file that fails to load must not
cost the user anything: if it replaced an earlier upload of the same name, the earlier file is put
back (its index entry was never touched, ingest leaves failed files' documents alone); if it was
new, it is deleted so `REE_HOME/uploads` only holds what the index serves.
"""

from __future__ import annotations

import os
import re
import shutil
import threading
import unicodedata
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import urlsplit

from ingest.loaders import SUPPORTED_SUFFIXES
from ingest.pipeline import ingest_paths
from ree.index import DocumentRecord, Index
from ree.settings import Settings

TABLE_HEADERS = ["Title", "Published", "Type", "Chunks", "Source", "Added"]
TYPE_LABELS = {
    "pdf": "PDF",
    "html": "HTML",
    "markdown": "Markdown",
    "text": "Text",
    "docx": "Word",
    "csv": "CSV",
}

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")
#: Upload file shuffling (backup, copy, restore) for one name must not interleave between users;
#: `ingest_paths` itself serialises writers per collection with `Index.writing`.
_UPLOAD_LOCK = threading.Lock()

Progress = Callable[[int, int, str], None]


def uploads_dir(settings: Settings) -> Path:
    return settings.home / "uploads"


def write_brief_file(brief: Any, settings: Settings) -> Path:
    """Save a brief's Markdown under REE_HOME/briefs (for the download button); returns the path."""
    folder = settings.home / "briefs"
    folder.mkdir(parents=True, exist_ok=True)
    stem = PurePosixPath(safe_filename(brief.source)).stem or "document"
    path = folder / f"brief-{stem}.md"
    path.write_text(brief.markdown(), encoding="utf-8")
    return path


def safe_filename(name: str) -> str:
    """A basename made of letters, digits, '.', '_' and '-', keeping the (lowercased) extension.

    "../../etc/x.PDF" -> "x.pdf", "Q3 report (final).pdf" -> "Q3-report-final.pdf".
    """
    base = re.split(r"[\\/]", name or "")[-1]
    base = unicodedata.normalize("NFKD", base).encode("ascii", "ignore").decode()
    path = PurePosixPath(base)
    suffix = path.suffix.lower() if re.fullmatch(r"\.[A-Za-z0-9]{1,10}", path.suffix) else ""
    stem = base[: -len(path.suffix)] if suffix else base
    stem = _UNSAFE.sub("-", stem).strip(".-_")[:100] or "upload"
    return stem + suffix


@dataclass
class UploadResult:
    """What happened to each uploaded file, for the status line and the toasts."""

    ingested: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)  # "name: reason"

    def markdown(self) -> str:
        lines = []
        if self.ingested:
            lines.append(f"**Added to the library:** {', '.join(f'`{n}`' for n in self.ingested)}")
        if self.unchanged:
            lines.append(
                f"**Already indexed, unchanged:** {', '.join(f'`{n}`' for n in self.unchanged)}"
            )
        lines += [f"**⚠ Not added:** {r}" for r in self.refused]
        return "\n\n".join(lines) or "No file received."


def check_upload(path: Path, settings: Settings) -> str | None:
    """Why this upload cannot be accepted, or None."""
    suffix = Path(safe_filename(path.name)).suffix
    if suffix not in SUPPORTED_SUFFIXES:
        allowed = ", ".join(sorted(SUPPORTED_SUFFIXES))
        return f"unsupported file type '{suffix or '(none)'}' (allowed: {allowed})"
    size = path.stat().st_size
    if size > settings.max_upload_mb * 2**20:
        return (
            f"file too large ({size / 2**20:.1f} MB > REE_MAX_UPLOAD_MB={settings.max_upload_mb})"
        )
    if size == 0:
        return "empty file"
    return None


def ingest_uploads(
    files: Sequence[str | Path],
    *,
    index: Index,
    settings: Settings,
    progress: Progress | None = None,
) -> UploadResult:
    """Copy uploads into REE_HOME/uploads under safe names and ingest them one by one."""
    result = UploadResult()
    folder = uploads_dir(settings)
    folder.mkdir(parents=True, exist_ok=True)
    paths = [Path(f) for f in files if f]
    for i, src in enumerate(paths):
        name = safe_filename(src.name)
        if progress:
            progress(i, len(paths), f"Indexing {name}")
        try:
            problem = check_upload(src, settings)
        except OSError as exc:
            problem = f"cannot read the upload ({exc.strerror or exc})"
        if problem:
            result.refused.append(f"`{name}`: {problem}")
            continue
        with _UPLOAD_LOCK:
            status, reason = _ingest_one(src, folder / name, index=index, settings=settings)
        if status == "ingested":
            result.ingested.append(name)
        elif status == "unchanged":
            result.unchanged.append(name)
        else:
            result.refused.append(f"`{name}`: {reason}")
    if progress:
        progress(len(paths), len(paths), "Done")
    return result


def _ingest_one(src: Path, target: Path, *, index: Index, settings: Settings) -> tuple[str, str]:
    backup = target.with_name(f".{target.name}.{uuid.uuid4().hex[:8]}.bak")
    had_previous = target.exists()
    if had_previous:
        os.replace(target, backup)
    try:
        shutil.copyfile(src, target)
        report = ingest_paths([target], settings=settings, index=index, progress=False)
        outcome = report.files[0] if report.files else None
        status = outcome.status if outcome else "failed"
        reason = outcome.reason if outcome else "nothing was ingested"
    except Exception as exc:  # noqa: BLE001 (restore the previous file, then report one line)
        status, reason = "failed", f"{type(exc).__name__}: {exc}"
    if status in ("ingested", "unchanged"):
        backup.unlink(missing_ok=True)
    elif had_previous and status == "failed":
        os.replace(backup, target)  # the index still serves this earlier version
    else:
        target.unlink(missing_ok=True)
        backup.unlink(missing_ok=True)
    return status, reason


def remove_documents(doc_ids: Sequence[str], *, index: Index, settings: Settings) -> list[str]:
    """Remove documents from the index; uploaded copies are deleted, the user's own files not."""
    wanted = set(doc_ids)
    docs = [d for d in index.documents() if d.doc_id in wanted]
    if not docs:
        return []
    with index.writing():
        index.remove_documents([d.doc_id for d in docs])
        index.finalize()
    folder = uploads_dir(settings).resolve()
    for d in docs:
        path = Path(d.path)
        if path.parent.resolve() == folder:
            path.unlink(missing_ok=True)
    return [d.title or d.source for d in docs]


# --- views ------------------------------------------------------------------------------------


def sorted_documents(index: Index) -> list[DocumentRecord]:
    """Newest additions first (an upload appears at the top), then by title."""
    return sorted(index.documents(), key=lambda d: (-d.ingested_at, (d.title or d.source).lower()))


def table_rows(docs: Sequence[DocumentRecord]) -> list[list[object]]:
    rows = []
    for d in docs:
        added = datetime.fromtimestamp(d.ingested_at, tz=timezone.utc).strftime("%Y-%m-%d")
        rows.append(
            [
                d.title or d.source,
                d.published or "—",
                TYPE_LABELS.get(d.doc_type, d.doc_type),
                d.n_chunks,
                _where(d),
                added,
            ]
        )
    return rows


def row_document(index: Index, row: Sequence[object] | None) -> str | None:
    """The doc_id of a table row (as `table_rows` made it), or None if no document matches."""
    if not row or len(row) < len(TABLE_HEADERS):
        return None
    title, source = str(row[0]), str(row[4])
    for d in index.documents():
        if (d.title or d.source) == title and _where(d) == source:
            return d.doc_id
    return None


def document_choices(docs: Sequence[DocumentRecord]) -> list[tuple[str, str]]:
    """(label, doc_id) pairs for dropdowns, alphabetical."""
    pairs = [(_label(d), d.doc_id) for d in docs]
    return sorted(pairs, key=lambda p: p[0].lower())


def type_choices(docs: Sequence[DocumentRecord]) -> list[tuple[str, str]]:
    present = sorted({d.doc_type for d in docs if d.doc_type})
    return [(TYPE_LABELS.get(t, t), t) for t in present]


def summary(docs: Sequence[DocumentRecord]) -> str:
    if not docs:
        return "Library empty: add documents in the Library tab"
    chunks = sum(d.n_chunks for d in docs)
    return f"{len(docs)} document{'s' * (len(docs) != 1)} · {chunks} passages indexed"


def _where(d: DocumentRecord) -> str:
    """The file, and the site it came from when known (full URLs are in the answer sources)."""
    if not d.url:
        return d.source
    host = urlsplit(d.url).hostname or ""
    return f"{d.source} ({host})" if host else d.source


def _label(d: DocumentRecord) -> str:
    title = d.title or d.source
    title = title if len(title) <= 70 else title[:67] + "…"
    return f"{title} ({d.published})" if d.published else title
