"""Ingest: files -> loaded documents -> chunks -> vectors -> the index, incremental and crash-safe.

One call, `ingest_paths`, serves the CLI, the UI's upload button and the eval harness. Each file is
hashed first: an unchanged file costs a hash and nothing more; a changed one is re-chunked and its
chunks replaced through `Index.replace_document` (vectors, then the manifest commit, then stale
vector deletion), so a crash never leaves a document missing or doubled. A file that cannot be read
gets a one-line reason in the report and the run moves on; nothing already indexed is touched.

Exit codes (CLI): 0 all files fine (skipped unsupported types are fine), 1 some file failed
(including a path given on the command line that does not exist), 2 nothing could run (bad
settings, unreachable Chroma).

A file is "unchanged" when its bytes (sha256) and the chunking settings it was indexed with
(REE_CHUNK_TOKENS, REE_CHUNK_OVERLAP, chunker version, embedding model) are the same; changing a
chunking setting re-chunks every file on the next run. One run writes at a time per collection
(`Index.writing`), so the CLI and an upload from the UI cannot corrupt each other.
"""

from __future__ import annotations

import fnmatch
import hashlib
import os
import time
from collections.abc import Iterable, Iterator, Sequence
from contextlib import nullcontext
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
from tqdm import tqdm

from ingest.chunker import CHUNKER_VERSION, Chunker, embed_text
from ingest.document import LoadedDocument, LoadError, UnsupportedFile
from ingest.loaders import SUPPORTED_SUFFIXES, load_document
from ree.index import (
    Chunk,
    DocumentRecord,
    Index,
    chunk_fingerprint,
    chunk_metadata,
    make_chunk_id,
    make_doc_id,
    open_index,
)
from ree.runtime import get_embedder
from ree.runtime.embeddings import MODEL_NAME
from ree.runtime.wordpieces import count_word_pieces, word_piece_capacity
from ree.settings import Settings, get_settings
from ree.text import count_tokens
from ree.text.dates import date_to_int

TEXT_SUFFIXES = {".txt", ".text", ".md", ".markdown", ".csv", ".html", ".htm"}
_SKIP_DIRS = {".git", ".ree", ".venv", "__pycache__", "node_modules", ".ipynb_checkpoints"}


@dataclass
class FileOutcome:
    source: str
    status: str  # ingested | unchanged | failed | skipped | removed | would-ingest
    reason: str = ""
    chunks_added: int = 0
    chunks_removed: int = 0
    tokens: int = 0


@dataclass
class IngestReport:
    """What one run did; `to_dict()` is the `--json` output."""

    collection: str
    dry_run: bool = False
    files: list[FileOutcome] = field(default_factory=list)
    chunks_added: int = 0
    chunks_removed: int = 0
    tokens: int = 0
    seconds: float = 0.0
    repaired: dict[str, int] = field(default_factory=dict)

    def _count(self, *statuses: str) -> int:
        return sum(1 for f in self.files if f.status in statuses)

    @property
    def failed(self) -> list[FileOutcome]:
        return [f for f in self.files if f.status == "failed"]

    @property
    def exit_code(self) -> int:
        return 1 if self.failed else 0

    def to_dict(self) -> dict:
        seen = [f for f in self.files if f.status != "removed"]
        return {
            "collection": self.collection,
            "dry_run": self.dry_run,
            "files_seen": len(seen),
            "ingested": self._count("ingested", "would-ingest"),
            "unchanged": self._count("unchanged"),
            "skipped": [
                {"source": f.source, "reason": f.reason}
                for f in self.files
                if f.status == "skipped"
            ],
            "failed": [{"source": f.source, "reason": f.reason} for f in self.failed],
            "removed": [f.source for f in self.files if f.status == "removed"],
            "chunks_added": self.chunks_added,
            "chunks_removed": self.chunks_removed,
            "tokens": self.tokens,
            "seconds": round(self.seconds, 3),
            "chunks_per_second": round(self.chunks_added / self.seconds, 1)
            if self.seconds
            else 0.0,
            "repaired": self.repaired,
            "files": [asdict(f) for f in self.files],
        }

    def summary(self) -> str:
        d = self.to_dict()
        lines = [
            f"{'[dry run] ' if self.dry_run else ''}collection '{self.collection}': "
            f"{d['files_seen']} files seen, {d['ingested']} ingested, {d['unchanged']} unchanged, "
            f"{len(d['skipped'])} skipped, {len(d['failed'])} failed, {len(d['removed'])} removed",
            f"chunks +{self.chunks_added} -{self.chunks_removed}, {self.tokens} tokens, "
            f"{self.seconds:.1f} s ({d['chunks_per_second']} chunks/s)",
        ]
        lines += [f"  failed  {f.source}: {f.reason}" for f in self.failed]
        lines += [f"  skipped {s['source']}: {s['reason']}" for s in d["skipped"]]
        lines += [f"  removed {s}" for s in d["removed"]]
        return "\n".join(lines)


def chunking_signature(settings: Settings) -> str:
    """What, besides the file's bytes, decides its chunks; stored per document."""
    return (
        f"chunker={CHUNKER_VERSION};tokens={settings.chunk_tokens};"
        f"overlap={settings.chunk_overlap};model={MODEL_NAME}"
    )


IGNORE_FILE = ".reeignore"


def read_ignore_file(root: Path) -> list[str]:
    """Glob patterns from ROOT/.reeignore (one per line, # comments): files a folder walk skips.

    A library folder often holds files that are not documents (its own README of sources, a
    generator script); listing them here keeps them out of the index without a "skipped" line.
    """
    path = root / IGNORE_FILE
    if not path.is_file():
        return []
    lines = (ln.strip() for ln in path.read_text(encoding="utf-8", errors="replace").splitlines())
    return [ln for ln in lines if ln and not ln.startswith("#")]


def _is_ignored(rel: str, patterns: list[str]) -> bool:
    name = rel.rsplit("/", 1)[-1]
    return any(fnmatch.fnmatch(rel, p) or fnmatch.fnmatch(name, p) for p in patterns)


def discover(paths: Iterable[Path], exclude: Sequence[str] = ()) -> Iterator[tuple[Path, Path]]:
    """(file, root) pairs: folders are walked (hidden and tool folders skipped), files kept as is.

    Files matching a `.reeignore` pattern of the folder or an `exclude` glob (matched against
    the path relative to the folder and against the file name) are left out: `exclude` is for
    folders you cannot write a `.reeignore` into (a read-only share). A path that does not exist
    is yielded as is (root = its parent): the caller reports it.
    """
    for raw in paths:
        path = Path(raw).expanduser()
        if path.is_dir():
            root = path.resolve()
            ignored = [*read_ignore_file(root), *exclude]
            for dirpath, dirnames, filenames in os.walk(root):
                dirnames[:] = sorted(
                    d for d in dirnames if d not in _SKIP_DIRS and not d.startswith(".")
                )
                for name in sorted(filenames):
                    rel = (Path(dirpath) / name).relative_to(root).as_posix()
                    if not name.startswith(".") and not _is_ignored(rel, ignored):
                        yield Path(dirpath) / name, root
        elif not _is_ignored(path.name, list(exclude)):
            yield path.absolute(), path.absolute().parent


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while block := fh.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


def build_chunks(
    doc: LoadedDocument, *, doc_id: str, source: str, settings: Settings, ingested_at: int
) -> list[Chunk]:
    """Chunk a loaded document and attach the metadata every chunk carries."""
    chunker = Chunker(
        settings.chunk_tokens,
        settings.chunk_overlap,
        count_tokens,
        word_pieces=count_word_pieces,
        word_piece_limit=word_piece_capacity(),
    )
    published = doc.published or ""
    out = []
    for i, piece in enumerate(chunker.chunk(doc)):
        meta = chunk_metadata(
            doc_id=doc_id,
            source=source,
            title=doc.title,
            doc_type=doc.doc_type,
            published=published,
            published_int=(date_to_int(published) or 0) if published else 0,
            url=doc.source_url or "",
            ingested_at=ingested_at,
            page=piece.page or 0,
            section=piece.section,
            content="records" if piece.kind == "record" else "text",
            table=piece.section if piece.kind == "record" else "",
            chunk_index=i,
            tokens=piece.tokens,
            content_hash=hashlib.sha1(piece.text.encode("utf-8", "surrogatepass")).hexdigest()[:16],
        )
        embedded = embed_text(doc.title, piece.section, piece.text)
        out.append(
            Chunk(
                id=make_chunk_id(doc_id, i, chunk_fingerprint(embedded, meta)),
                doc_id=doc_id,
                text=piece.text,
                embed_text=embedded,
                metadata=meta,
            )
        )
    return out


class _Run:
    """State of one ingest run (kept out of the public function to keep that one readable)."""

    def __init__(self, index: Index, settings: Settings, dry_run: bool, progress: bool) -> None:
        self.index = index
        self.settings = settings
        self.dry_run = dry_run
        self.progress = progress
        self.report = IngestReport(collection=index.name, dry_run=dry_run)
        self.seen_hashes: dict[str, str] = {}
        self.seen_paths: set[str] = set()
        self.chunking = chunking_signature(settings)
        self._embedder = None
        self.chunk_bar = tqdm(
            desc="chunks", unit="chunk", disable=not progress, position=1, leave=False
        )

    @property
    def embedder(self):  # noqa: ANN201 (lazy: an unchanged corpus never loads the model)
        if self._embedder is None:
            self._embedder = get_embedder(self.settings.embed_backend)
        return self._embedder

    def reembed_missing(self) -> None:
        missing = self.index.missing_vector_ids()
        if not missing or self.dry_run:
            return
        chunks = list(self.index.docstore.get_chunks(missing).values())
        vectors = self.embedder.embed([c.embed_text for c in chunks])
        self.index.vectors.upsert(chunks, vectors)
        self.report.repaired["vectors_restored"] = len(chunks)

    def one_file(self, path: Path, root: Path) -> FileOutcome:
        """Bring one file's index entry up to date; the outcome says what happened and why."""
        source = path.relative_to(root).as_posix() if path.is_relative_to(root) else path.name
        abs_path = str(path.resolve()) if path.exists() else str(path)
        checked = self._stat_and_hash(path, source)
        if isinstance(checked, FileOutcome):
            return checked
        stat, file_hash = checked
        doc_id = make_doc_id(abs_path)
        settled = self._already_indexed(doc_id, abs_path, source, stat.st_mtime, file_hash)
        if settled is not None:
            return settled
        doc = self._load(path, source)
        if isinstance(doc, FileOutcome):
            return doc
        now = int(time.time())
        chunks = build_chunks(
            doc, doc_id=doc_id, source=source, settings=self.settings, ingested_at=now
        )
        if not chunks:
            return FileOutcome(source, "failed", "no text to index after cleaning")
        tokens = sum(int(c.metadata["tokens"]) for c in chunks)
        self.seen_hashes[file_hash] = source
        if self.dry_run:
            return FileOutcome(source, "would-ingest", chunks_added=len(chunks), tokens=tokens)
        record = DocumentRecord(
            doc_id=doc_id,
            path=abs_path,
            source=source,
            file_hash=file_hash,
            size=stat.st_size,
            mtime=stat.st_mtime,
            title=doc.title,
            doc_type=doc.doc_type,
            published=doc.published or "",
            published_int=int(chunks[0].metadata["published_int"]),
            url=doc.source_url or "",
            n_chunks=len(chunks),
            tokens=tokens,
            ingested_at=now,
            chunking=self.chunking,
        )
        added, removed = self.index.replace_document(record, chunks, self._vectors(doc_id, chunks))
        return FileOutcome(
            source, "ingested", chunks_added=added, chunks_removed=removed, tokens=tokens
        )

    def _stat_and_hash(self, path: Path, source: str) -> tuple[os.stat_result, str] | FileOutcome:
        """The file's stat and sha256, or why it cannot be ingested (type, size, I/O errors)."""
        if path.is_symlink() and not path.exists():
            return FileOutcome(source, "failed", "broken symbolic link (its target is missing)")
        suffix = path.suffix.lower()
        if suffix not in SUPPORTED_SUFFIXES:
            return FileOutcome(
                source, "skipped", f"unsupported file type '{path.suffix or path.name}'"
            )
        text_type = suffix in TEXT_SUFFIXES
        limit_mb = self.settings.max_text_mb if text_type else self.settings.max_file_mb
        setting = "REE_MAX_TEXT_MB" if text_type else "REE_MAX_FILE_MB"
        try:
            stat = path.stat()
            if not path.is_file():
                return FileOutcome(source, "failed", "not a regular file")
            if stat.st_size > limit_mb * 1024 * 1024:
                return FileOutcome(
                    source,
                    "failed",
                    f"file too large ({stat.st_size / 2**20:.1f} MB > {setting}={limit_mb})",
                )
            return stat, file_sha256(path)
        except FileNotFoundError:
            return FileOutcome(source, "failed", "file disappeared during the run")
        except PermissionError:
            return FileOutcome(source, "failed", "permission denied")
        except OSError as exc:
            return FileOutcome(source, "failed", f"cannot read file ({exc.strerror or exc})")

    def _already_indexed(
        self, doc_id: str, abs_path: str, source: str, mtime: float, file_hash: str
    ) -> FileOutcome | None:
        """ "unchanged" (same bytes, same chunking), "same content as X", or None: ingest it."""
        known = self.index.docstore.document(doc_id)
        if known and known.file_hash == file_hash and known.chunking == self.chunking:
            if not self.dry_run and (known.source != source or known.mtime != mtime):
                self.index.docstore.touch_document(
                    doc_id, path=abs_path, source=source, mtime=mtime
                )
            return FileOutcome(source, "unchanged")
        twin = self.seen_hashes.get(file_hash) or next(
            (
                d.source
                for d in self.index.docstore.find_by_hash(file_hash)
                if d.doc_id != doc_id and Path(d.path).exists()
            ),
            None,
        )
        if not twin:
            return None
        # If this file was indexed before with other content, that version is gone from disk:
        # drop it, or the index would keep serving text that no longer exists anywhere.
        removed = self.index.remove_documents([doc_id]) if known and not self.dry_run else 0
        return FileOutcome(
            source, "skipped", f"same content as {twin} (already indexed)", chunks_removed=removed
        )

    @staticmethod
    def _load(path: Path, source: str) -> LoadedDocument | FileOutcome:
        """The loaded document, or the one-line reason it could not be read."""
        try:
            return load_document(path)
        except UnsupportedFile as exc:
            return FileOutcome(source, "skipped", str(exc))
        except LoadError as exc:
            return FileOutcome(source, "failed", str(exc))
        except FileNotFoundError:
            return FileOutcome(source, "failed", "file disappeared during the run")
        except Exception as exc:  # a loader bug must not end the run
            return FileOutcome(source, "failed", f"could not parse ({type(exc).__name__}: {exc})")

    def _vectors(self, doc_id: str, chunks: list[Chunk]) -> np.ndarray:
        """Vectors for the chunks not already stored (other rows stay unused: kept chunks'
        vectors are in Chroma already)."""
        existing = set(self.index.docstore.chunk_ids_of(doc_id))
        fresh = [i for i, c in enumerate(chunks) if c.id not in existing]
        if not fresh:
            return np.zeros((len(chunks), 0), dtype=np.float32)
        emb = self.embedder.embed([chunks[i].embed_text for i in fresh])
        vectors = np.zeros((len(chunks), emb.shape[1]), dtype=np.float32)
        vectors[fresh] = emb
        self.chunk_bar.update(len(fresh))
        return vectors

    def prune(self, exclude: Sequence[str] = ()) -> None:
        """Remove documents whose file is gone or now matches an `exclude` glob."""
        gone = [
            d
            for d in self.index.documents()
            if not Path(d.path).exists() or _is_ignored(d.source, list(exclude))
        ]
        for doc in gone:
            removed = 0 if self.dry_run else self.index.remove_documents([doc.doc_id])
            self.report.files.append(
                FileOutcome(doc.source, "removed", chunks_removed=removed or doc.n_chunks)
            )
            self.report.chunks_removed += removed


def ingest_paths(
    paths: Iterable[str | Path],
    *,
    collection: str | None = None,
    prune: bool = False,
    dry_run: bool = False,
    progress: bool = True,
    settings: Settings | None = None,
    index: Index | None = None,
    exclude: Sequence[str] = (),
) -> IngestReport:
    """Ingest files and folders into a collection; see the module docstring for the guarantees.

    `exclude`: glob patterns of files to leave out (like a `.reeignore`); with `prune`, documents
    already indexed from such files are removed.
    """
    settings = settings or get_settings()
    start = time.perf_counter()
    index = index or open_index(collection, settings)
    with nullcontext() if dry_run else index.writing():
        run = _Run(index, settings, dry_run, progress)
        try:
            _run(run, [Path(p) for p in paths], prune, tuple(exclude))
        finally:
            run.chunk_bar.close()
    run.report.seconds = time.perf_counter() - start
    return run.report


def _run(run: _Run, paths: list[Path], prune: bool, exclude: tuple[str, ...] = ()) -> None:
    index, report = run.index, run.report
    if not run.dry_run:
        report.repaired = index.repair()
        run.reembed_missing()
    files: list[tuple[Path, Path]] = []
    for given in paths:
        if not given.expanduser().exists() and not given.expanduser().is_symlink():
            report.files.append(FileOutcome(str(given), "failed", "path not found"))
            continue
        for path, root in discover([given], exclude):
            key = str(path.resolve()) if path.exists() else str(path)
            if key not in run.seen_paths:  # a file named twice (folder and file) counts once
                run.seen_paths.add(key)
                files.append((path, root))
    bar = tqdm(files, desc="files", unit="file", disable=not run.progress, position=0)
    for path, root in bar:
        outcome = run.one_file(path, root)
        report.files.append(outcome)
        report.chunks_added += outcome.chunks_added if outcome.status == "ingested" else 0
        report.chunks_removed += outcome.chunks_removed
        report.tokens += outcome.tokens
        bar.set_postfix(
            ok=report._count("ingested", "unchanged", "would-ingest"), failed=len(report.failed)
        )
    if prune:
        run.prune(exclude)
    if not run.dry_run:
        index.finalize()
