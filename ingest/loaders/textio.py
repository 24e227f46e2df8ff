"""Read a text-type file into a str, refusing binary data and guessing the encoding.

Text loaders (Markdown, HTML, plain text, CSV) all need the same two guards: a file named .txt
that is really binary must fail with a clear reason instead of filling the index with mojibake,
and files saved by older Windows tools (cp1252) or with a BOM must still read correctly.
"""

from __future__ import annotations

import codecs
from pathlib import Path

from ingest.document import LoadError

# Bytes that never appear in real text (tab, LF, VT, FF, CR are allowed).
_CONTROL_BYTES = bytes([*range(0x00, 0x09), *range(0x0E, 0x20), 0x7F])
_SAMPLE_BYTES = 64 * 1024
_MAX_CONTROL_SHARE = 0.05

_BOMS: list[tuple[bytes, str]] = [
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
]


def read_text(path: Path) -> tuple[str, str]:
    """Return (text, encoding) with newlines normalised to "\\n".

    Encoding order: a BOM if present, else strict UTF-8, then cp1252, then latin-1 (which never
    fails). Raises LoadError("binary data in a text file") for NUL bytes or too many control bytes.
    """
    data = path.read_bytes()
    text, encoding = decode_bytes(data)
    del data
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text, encoding


def decode_bytes(data: bytes) -> tuple[str, str]:
    """Decode file bytes after checking they are text (see read_text)."""
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            try:
                return data.decode(encoding), encoding
            except UnicodeDecodeError as exc:
                raise LoadError(f"invalid {encoding} text: {exc.reason}") from exc
    if looks_binary(data):
        raise LoadError("binary data in a text file")
    for encoding in ("utf-8", "cp1252"):
        try:
            return data.decode(encoding), encoding
        except UnicodeDecodeError:
            continue
    return data.decode("latin-1"), "latin-1"


def looks_binary(data: bytes) -> bool:
    """True if the bytes contain NUL anywhere or control bytes in >5% of the first 64 KB."""
    if b"\x00" in data:
        return True
    sample = data[:_SAMPLE_BYTES]
    if not sample:
        return False
    control = len(sample) - len(sample.translate(None, _CONTROL_BYTES))
    return control / len(sample) > _MAX_CONTROL_SHARE
