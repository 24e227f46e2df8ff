"""HTML loader: the article text, without the page furniture around it.

Saved web pages carry navigation, cookie banners, share widgets and footers that would otherwise
be indexed as if they were content and crowd out the article in retrieval. This loader reads the
metadata first (title, date, canonical URL live in <head> and in the header we then drop), removes
boilerplate, and walks what is left, keeping h1-h3 as section paths.

A <table> with a header (<thead>, rows of <th>, else its first row) becomes records through the
shared table renderer, "Neodymium oxide: 2024 = 56": header rows joined per column (colspan and
rowspan filled in), the first cell of a row as its label, <caption> (else the heading path) as
its caption. A table with one row or one column keeps today's "a | b" lines.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from bs4 import BeautifulSoup, NavigableString, Tag
from bs4.element import PreformattedString

from ingest.document import LoadedDocument
from ingest.loaders import tables
from ingest.loaders.sections import SectionBuilder, tidy
from ree.text.dates import normalize_date

DROP_TAGS = (
    "script",
    "style",
    "noscript",
    "nav",
    "footer",
    "aside",
    "form",
    "iframe",
    "svg",
    "template",
    "button",
    "dialog",
    "head",
)
DROP_ROLES = {"navigation", "banner", "contentinfo", "complementary", "search", "dialog", "menu"}
_BOILERPLATE = re.compile(
    r"(?:^|[-_\s])(?:cookies?|consent|gdpr|banner|sidebar|side-bar|menu|navbar|nav|breadcrumbs?|"
    r"share|sharing|social|subscribe|newsletter|signup|advert\w*|ads?|promo|related|popup|modal|"
    r"skip-link|comments?|site-header|masthead|footer|topbar|toolbar)(?:$|[-_\s])",
    re.I,
)
PATH_LEVELS = 3
BLOCK_TAGS = {
    "address",
    "article",
    "blockquote",
    "body",
    "dd",
    "details",
    "div",
    "dl",
    "dt",
    "figcaption",
    "figure",
    "header",
    "hr",
    "li",
    "main",
    "ol",
    "p",
    "section",
    "summary",
    "table",
    "tbody",
    "tfoot",
    "thead",
    "ul",
    "caption",
}
HEADINGS = {"h1": 1, "h2": 2, "h3": 3, "h4": 4, "h5": 5, "h6": 6}
DATE_META = (
    ("property", "article:published_time"),
    ("property", "og:published_time"),
    ("name", "article:published_time"),
    ("name", "date"),
    ("name", "dc.date"),
    ("name", "dc.date.issued"),
    ("name", "dcterms.date"),
    ("name", "dcterms.created"),
    ("itemprop", "datepublished"),
)


def parse(text: str, path: Path) -> LoadedDocument:
    """Build a document from decoded HTML."""
    soup = BeautifulSoup(text, "lxml")
    title = _title(soup) or path.stem
    published = _date(soup)
    url = _meta(soup, "property", "og:url") or _canonical(soup)
    _remove_boilerplate(soup)
    root = _content_root(soup)
    builder = SectionBuilder()
    if root is not None:
        _Walker(builder).walk(root)
    return LoadedDocument(
        path=path,
        doc_type="html",
        title=title,
        sections=builder.finish(title),
        published=published,
        source_url=url,
    )


class _Walker:
    """Depth-first walk that turns block elements into paragraphs and h1-h3 into paths."""

    def __init__(self, builder: SectionBuilder) -> None:
        self.builder = builder
        self.pending: list[str] = []

    def walk(self, node: Tag) -> None:
        for child in node.children:
            if isinstance(child, PreformattedString):  # comments, doctype, CDATA
                continue
            if isinstance(child, NavigableString):
                self.pending.append(re.sub(r"\s+", " ", str(child)))
            elif isinstance(child, Tag):
                self._tag(child)

    def _tag(self, tag: Tag) -> None:
        name = tag.name
        if name in HEADINGS:
            self.flush()
            text = " ".join(tag.get_text(" ").split())
            if HEADINGS[name] <= PATH_LEVELS:
                self.builder.heading(HEADINGS[name], text)
            else:
                self.builder.add(text)
        elif name == "br":
            self.pending.append("\n")
        elif name == "pre":
            self.flush()
            self.builder.add(tag.get_text())
        elif name == "table" and (table := self._table(tag)) is not None:
            self.flush()
            self.builder.table(table)
        elif name == "tr":
            self.flush()
            cells = [
                " ".join(c.get_text(" ").split())
                for c in tag.find_all(["td", "th"], recursive=False)
            ]
            self.builder.add(" | ".join(c for c in cells if c))
        elif name in BLOCK_TAGS:
            self.flush()
            self.walk(tag)
            self.flush()
        else:  # inline: a, span, em, strong, sup, time, ...
            self.walk(tag)

    def _table(self, tag: Tag) -> tables.Table | None:
        """The table as header and body rows for the renderer, or None (then walked as text)."""
        rows = [tr for tr in tag.find_all("tr") if tr.find_parent("table") is tag]
        if len(rows) < 2:
            return None
        grid, is_header = _grid(rows)
        count = 0
        while count < len(rows) - 1 and is_header[count]:
            count += 1
        count = count or 1
        caption_tag = tag.find("caption")
        caption = " ".join(caption_tag.get_text(" ").split()) if caption_tag is not None else ""
        caption = caption or self.builder.path or f"Table {self.builder.tables + 1}"
        return tables.table_from_grid(grid[:count], grid[count:], caption=caption)

    def flush(self) -> None:
        if self.pending:
            self.builder.add(tidy("".join(self.pending)))
            self.pending = []


def _grid(rows: list[Tag]) -> tuple[list[list[str]], list[bool]]:
    """Cell texts per row and column with rowspan/colspan filled in, and which rows are header
    rows (inside <thead>, or made only of <th>). A spanning header cell is repeated over its
    columns (it heads each of them); a spanning body cell is written once."""
    grid: list[list[str]] = []
    header: list[bool] = []
    carried: dict[int, tuple[str, int]] = {}  # column -> (text, rows still to fill)
    for tr in rows:
        cells = tr.find_all(["td", "th"], recursive=False)
        in_head = tr.find_parent("thead") is not None or (
            bool(cells) and all(c.name == "th" for c in cells)
        )
        row: list[str] = []
        column = 0
        for cell in cells:
            while column in carried:
                column = _fill_carried(row, carried, column)
            text = " ".join(cell.get_text(" ").split())
            span = _span(cell.get("colspan"))
            down = _span(cell.get("rowspan"))
            for offset in range(span):
                value = text if offset == 0 or in_head else ""
                row.append(value)
                if down > 1:
                    carried[column + offset] = (value, down - 1)
            column += span
        while column in carried:
            column = _fill_carried(row, carried, column)
        grid.append(row)
        header.append(in_head)
    return grid, header


def _fill_carried(row: list[str], carried: dict[int, tuple[str, int]], column: int) -> int:
    text, left = carried.pop(column)
    row.append(text)
    if left > 1:
        carried[column] = (text, left - 1)
    return column + 1


def _span(raw: object) -> int:
    try:
        return min(max(int(str(raw)), 1), 100)
    except (TypeError, ValueError):
        return 1


def _remove_boilerplate(soup: BeautifulSoup) -> None:
    """Drop furniture by tag, ARIA role, hidden flags and class/id names."""
    for tag in soup.find_all(DROP_TAGS):
        tag.decompose()
    for tag in soup.find_all("header"):
        if tag.find_parent(["article", "main"]) is None:
            tag.decompose()
    for tag in list(soup.find_all(True)):
        if tag.decomposed or tag.name in ("html", "body", "article", "main"):
            continue
        if _is_boilerplate(tag) and tag.find(["article", "main", "h1"]) is None:
            tag.decompose()


def _is_boilerplate(tag: Tag) -> bool:
    attrs = tag.attrs or {}
    if str(attrs.get("role", "")).lower() in DROP_ROLES:
        return True
    if "hidden" in attrs or str(attrs.get("aria-hidden", "")).lower() == "true":
        return True
    style = str(attrs.get("style", "")).replace(" ", "").lower()
    if "display:none" in style or "visibility:hidden" in style:
        return True
    classes = attrs.get("class") or []
    names = [*(classes if isinstance(classes, list) else [classes]), str(attrs.get("id", ""))]
    return any(_BOILERPLATE.search(name) for name in names if name)


def _content_root(soup: BeautifulSoup) -> Tag | None:
    """<article> (the longest, if several) unless <main> holds several; else <main>, else body."""
    main = soup.find("main") or soup.find(attrs={"role": "main"})
    articles = soup.find_all("article")
    if main is not None and len(main.find_all("article")) > 1:
        return main
    if articles:
        return max(articles, key=lambda a: len(a.get_text()))
    if main is not None:
        return main
    return soup.body or soup


def _meta(soup: BeautifulSoup, attr: str, value: str) -> str | None:
    for tag in soup.find_all("meta"):
        if str(tag.get(attr, "")).lower() == value and tag.get("content"):
            return str(tag["content"]).strip() or None
    return None


def _title(soup: BeautifulSoup) -> str | None:
    candidates = [_meta(soup, "property", "og:title")]
    if soup.title is not None:
        candidates.append(soup.title.get_text())
    h1 = soup.find("h1")
    if h1 is not None:
        candidates.append(h1.get_text(" "))
    for candidate in candidates:
        if candidate and candidate.strip():
            return " ".join(candidate.split())
    return None


def _date(soup: BeautifulSoup) -> str | None:
    """Publication date from meta tags, itemprop, JSON-LD, then the first <time datetime>."""
    for attr, value in DATE_META:
        found = normalize_date(_meta(soup, attr, value))
        if found:
            return found
    for tag in soup.find_all(attrs={"itemprop": re.compile("^datePublished$", re.I)}):
        found = normalize_date(tag.get("datetime") or tag.get("content") or tag.get_text())
        if found:
            return found
    for script in soup.find_all("script", attrs={"type": "application/ld+json"}):
        found = _json_ld_date(script.get_text())
        if found:
            return found
    for tag in soup.find_all("time"):
        found = normalize_date(tag.get("datetime"))
        if found:
            return found
    return None


def _json_ld_date(raw: str) -> str | None:
    try:
        data = json.loads(raw)
    except ValueError:
        return None
    stack = [data]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            found = normalize_date(item.get("datePublished"))
            if found:
                return found
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return None


def _canonical(soup: BeautifulSoup) -> str | None:
    for link in soup.find_all("link", href=True):
        rel = link.get("rel") or []
        rels = rel if isinstance(rel, list) else [rel]
        if "canonical" in [r.lower() for r in rels]:
            return str(link["href"]).strip() or None
    return None
