"""Markdown loader: YAML front matter for metadata, ATX headings for section paths.

Scraped Markdown (the White House mirror in the test corpus) carries its title, date and source
URL in front matter and leaves residue of the HTML conversion (<span style=...>, <u>, <sup>)
in the body; both are handled here so that citations get real metadata and chunks hold words,
not markup.
"""

from __future__ import annotations

import html
import re
from datetime import date
from pathlib import Path
from typing import Any

import yaml

from ingest.document import LoadedDocument
from ingest.loaders.sections import SectionBuilder, tidy, unwrap
from ree.text.dates import normalize_date

DATE_KEYS = ("date", "published", "published_date", "publication_date", "published_time")
URL_KEYS = ("source_url", "url", "source", "canonical")

_HEADING = re.compile(r"^ {0,3}(#{1,6})(?:[ \t]+(.*?))?(?:[ \t]+#+)?[ \t]*$")
_FENCE = re.compile(r"^ {0,3}(```|~~~)")
_RULE = re.compile(r"^ {0,3}([-*_])(?:[ \t]*\1){2,}[ \t]*$")
_REF_DEF = re.compile(r"^ {0,3}\[[^\]]+\]:\s+\S+")
_TABLE_RULE = re.compile(r"^\s*\|?\s*:?-{3,}:?\s*(\|\s*:?-{3,}:?\s*)*\|?\s*$")
_COMMENT = re.compile(r"<!--.*?-->", re.S)
_IMAGE = re.compile(r"!\[([^\]]*)\]\([^)]*\)")
_LINK = re.compile(r"\[([^\]]+)\]\((?:[^()\s]|\([^)]*\))*(?:\s+\"[^\"]*\")?\)")
_REF_LINK = re.compile(r"\[([^\]]+)\]\[[^\]]*\]")
_AUTOLINK = re.compile(r"<((?:https?|ftp|mailto):[^>\s]+)>")
_TAG = re.compile(r"</?[A-Za-z][A-Za-z0-9-]*(?:\s[^<>]*)?/?>")
_BOLD = re.compile(r"\*\*")
_ITALIC = re.compile(r"(?<![\w*\\])\*(?=\S)([^*\n]+(?:\n[^*\n]+)*?)(?<=\S)\*(?![\w*])")
_ESCAPE = re.compile(r"\\([\\`*_{}\[\]()#+\-.!|<>~$])")
_URL = re.compile(r"^https?://\S+$")


def parse(text: str, path: Path) -> LoadedDocument:
    """Build a document: front matter -> metadata, heading blocks -> Sections."""
    meta, body, extra = split_front_matter(text)
    builder = SectionBuilder()
    first_h1: str | None = None
    block: list[str] = []
    in_fence = False

    def flush() -> None:
        if block:
            builder.add(unwrap(clean_inline("\n".join(block))))
            block.clear()

    for line in body.split("\n"):
        if _FENCE.match(line):
            in_fence = not in_fence
            continue
        if in_fence:
            block.append(line)
            continue
        heading = _HEADING.match(line)
        if heading:
            flush()
            title = clean_inline(heading.group(2) or "")
            level = len(heading.group(1))
            if level == 1 and first_h1 is None and title:
                first_h1 = title
            builder.heading(level, title)
        elif not line.strip() or _RULE.match(line):
            flush()
        elif _REF_DEF.match(line) or _TABLE_RULE.match(line):
            continue
        else:
            block.append(line)
    flush()

    title = _scalar(meta.get("title")) or first_h1 or path.stem
    return LoadedDocument(
        path=path,
        doc_type="markdown",
        title=" ".join(title.split()),
        sections=builder.finish(),
        published=_first_date(meta),
        source_url=_first_url(meta),
        extra=extra,
    )


def split_front_matter(text: str) -> tuple[dict[str, Any], str, dict[str, str]]:
    """Return (metadata, body, extra). Malformed front matter is kept as body with a warning."""
    if not text.startswith("---"):
        return {}, text, {}
    lines = text.split("\n", 1)
    if lines[0].strip() != "---" or len(lines) == 1:
        return {}, text, {}
    rest = lines[1]
    end = re.search(r"^(?:---|\.\.\.)[ \t]*$", rest, re.M)
    if end is None:
        return {}, text, {"warning": "front matter not closed; read as text"}
    raw, body = rest[: end.start()], rest[end.end() :]
    try:
        meta = yaml.safe_load(raw)
    except yaml.YAMLError as exc:
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        return {}, text, {"warning": f"malformed front matter read as text ({reason})"}
    if meta is None:
        meta = {}
    if not isinstance(meta, dict):
        return {}, text, {"warning": "malformed front matter read as text (not a mapping)"}
    meta = {str(k).lower(): v for k, v in meta.items()}
    used = {"title", *DATE_KEYS, *URL_KEYS}
    extra: dict[str, str] = {}
    for key, value in meta.items():
        if key in used:
            continue
        rendered = _scalar(value)
        if rendered is None and isinstance(value, list):
            items = [_scalar(item) for item in value]
            rendered = ", ".join(i for i in items if i) if all(items) else None
        if rendered:
            extra[key] = rendered
    return meta, body, extra


def clean_inline(text: str) -> str:
    """Drop markup that carries no words: inline HTML, link targets, bold markers, escapes."""
    text = _COMMENT.sub("", text)
    text = _IMAGE.sub(r"\1", text)
    text = _LINK.sub(r"\1", text)
    text = _REF_LINK.sub(r"\1", text)
    text = _AUTOLINK.sub(r"\1", text)
    text = _TAG.sub("", text)
    text = _BOLD.sub("", text)
    text = _ITALIC.sub(r"\1", text)
    text = _ESCAPE.sub(r"\1", text)
    return tidy(html.unescape(text))


def _scalar(value: Any) -> str | None:
    """A YAML scalar as text (dates in ISO form); None for mappings, lists and nulls."""
    if value is None or isinstance(value, (dict, list)):
        return None
    if isinstance(value, date):
        return value.isoformat()
    text = str(value).strip()
    return text or None


def _first_date(meta: dict[str, Any]) -> str | None:
    for key in DATE_KEYS:
        found = normalize_date(meta.get(key))
        if found:
            return found
    return None


def _first_url(meta: dict[str, Any]) -> str | None:
    for key in URL_KEYS:
        value = _scalar(meta.get(key))
        if value and _URL.match(value):
            return value
    return None
