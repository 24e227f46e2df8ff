"""Load any supported file into a LoadedDocument: pick the loader by extension, guard the edges.

The ingest pipeline walks user folders full of surprises (empty files, binaries renamed .txt,
files deleted mid-run, huge exports). Every such case ends here as a LoadError with a one-line
reason, or UnsupportedFile for types we skip, so one bad file never stops a run and the user
is told why it was left out.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from ingest.document import LoadedDocument, LoadError, UnsupportedFile
from ingest.loaders import csv, docx, html, markdown, pdf, text
from ingest.loaders.textio import read_text

# Text files up to this size load (a 50 MB text export is fine); larger ones are refused
# rather than risk the memory of a laptop: one copy of the bytes plus the decoded text.
DEFAULT_MAX_BYTES = 200 * 1024 * 1024

TextParser = Callable[[str, Path], LoadedDocument]
FileLoader = Callable[[Path], LoadedDocument]

TEXT_PARSERS: dict[str, TextParser] = {
    ".html": html.parse,
    ".htm": html.parse,
    ".md": markdown.parse,
    ".markdown": markdown.parse,
    ".txt": text.parse,
    ".text": text.parse,
    ".csv": csv.parse,
}
FILE_LOADERS: dict[str, FileLoader] = {".pdf": pdf.load, ".docx": docx.load}
SUPPORTED_SUFFIXES: frozenset[str] = frozenset(TEXT_PARSERS) | frozenset(FILE_LOADERS)

__all__ = ["DEFAULT_MAX_BYTES", "SUPPORTED_SUFFIXES", "load_document"]


def load_document(path: Path, *, max_bytes: int = DEFAULT_MAX_BYTES) -> LoadedDocument:
    """Load one file. Raises UnsupportedFile (skip) or LoadError (failed, one-line reason)."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        shown = f"'{suffix}'" if suffix else "(no extension)"
        raise UnsupportedFile(f"unsupported file type {shown}")
    try:
        _check_size(path, max_bytes)
        document = _dispatch(path, suffix)
    except LoadError:
        raise
    except FileNotFoundError as exc:
        raise LoadError("file disappeared during the run") from exc
    except PermissionError as exc:
        raise LoadError("permission denied") from exc
    except IsADirectoryError as exc:
        raise LoadError("not a regular file") from exc
    except MemoryError as exc:
        raise LoadError("file too large to load in memory") from exc
    except Exception as exc:  # a parser bug or an exotic file must not stop the whole run
        detail = str(exc).strip().splitlines()[0][:120] if str(exc).strip() else ""
        reason = f"{type(exc).__name__}: {detail}" if detail else type(exc).__name__
        raise LoadError(f"could not read {suffix[1:]} file ({reason})") from exc
    return _drop_empty_sections(document)


def _check_size(path: Path, max_bytes: int) -> None:
    info = path.stat()
    if path.is_dir():
        raise LoadError("not a regular file")
    if info.st_size == 0:
        raise LoadError("empty file")
    if info.st_size > max_bytes:
        size_mb, limit_mb = info.st_size / 1e6, max_bytes / 1e6
        raise LoadError(f"file too large ({size_mb:.0f} MB; limit {limit_mb:.0f} MB)")


def _dispatch(path: Path, suffix: str) -> LoadedDocument:
    if suffix in FILE_LOADERS:
        return FILE_LOADERS[suffix](path)
    content, encoding = read_text(path)
    if not content.strip():
        raise LoadError("no extractable text (only whitespace)")
    document = TEXT_PARSERS[suffix](content, path)
    document.extra.setdefault("encoding", encoding)
    return document


def _drop_empty_sections(document: LoadedDocument) -> LoadedDocument:
    document.sections = [s for s in document.sections if s.text.strip()]
    if not document.sections:
        hint = " (scanned PDF?)" if document.doc_type == "pdf" else ""
        raise LoadError(f"no extractable text{hint}")
    return document
