"""Tests for ingest.loaders: every format on real files, plus the ways files go wrong.

Small fixtures are written into tmp_path (HTML/Markdown/text/CSV strings, DOCX via python-docx,
PDFs via reportlab and pypdf). The shared corpus next to the repo is used by path only and those
tests skip when it is absent.
"""

from __future__ import annotations

import os
import re
import time
import tracemalloc
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pytest

from ingest.document import LoadedDocument, LoadError, UnsupportedFile
from ingest.loaders import DEFAULT_MAX_BYTES, SUPPORTED_SUFFIXES, load_document
from ingest.loaders.pdf_layout import page_text
from ree.text.dates import date_to_int, normalize_date

REPO = Path(__file__).resolve().parents[1]
CORPUS = REPO.parent / "shared" / "corpus"
SAMPLE = REPO / "data" / "sample"
USGS_PDF = CORPUS / "usgs_mcs2025_rare_earths.pdf"
WH_MD = CORPUS / "wh_2025-04-15_fact_sheet_section232_processed_critical_minerals.md"
DS140_CSV = CORPUS / "usgs_ds140_rare_earths_statistics_1900-1992.csv"
WIKI_CSV = CORPUS / "wikipedia_rare_earth_elements_summaries.csv"


def need(path: Path) -> Path:
    if not path.exists():
        pytest.skip(f"shared corpus file missing: {path.name}")
    return path


def write(tmp_path: Path, name: str, content: str | bytes) -> Path:
    path = tmp_path / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    return path


# --- dates ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2025-03-20", "2025-03-20"),
        ("2025-03-20T10:00:00Z", "2025-03-20"),
        ("2025-04-16 09:11:42-04:00", "2025-04-16"),
        ("March 20, 2025", "2025-03-20"),
        ("20 March 2025", "2025-03-20"),
        ("Thu, 20 Mar 2025 10:00:00 +0000", "2025-03-20"),
        ("Sept 3, 2024", "2024-09-03"),
        ("2025/03/20", "2025-03-20"),
        ("D:20250225094235-05'00'", "2025-02-25"),
        ("2025-03", "2025-03"),
        ("March 2025", "2025-03"),
        ("2025", "2025"),
        (date(2025, 1, 2), "2025-01-02"),
        # the calendar day as written, not converted to UTC (23:00 at -04:00 is 03:00Z next day)
        (datetime(2025, 4, 15, 23, 0, tzinfo=timezone(timedelta(hours=-4))), "2025-04-15"),
        ("2025-02-30", None),
        ("next Tuesday", None),
        ("", None),
        (None, None),
    ],
)
def test_normalize_date(value: object, expected: str | None) -> None:
    assert normalize_date(value) == expected


def test_date_to_int_fills_partial_dates_with_first_day() -> None:
    assert date_to_int("2025-03-20") == 20250320
    assert date_to_int("2025-03") == 20250301
    assert date_to_int("2025") == 20250101
    assert date_to_int("not a date") is None


# --- dispatch and guards --------------------------------------------------------------------


def test_supported_suffixes() -> None:
    assert sorted(SUPPORTED_SUFFIXES) == [
        ".csv",
        ".docx",
        ".htm",
        ".html",
        ".markdown",
        ".md",
        ".pdf",
        ".text",
        ".txt",
    ]
    assert DEFAULT_MAX_BYTES == 200 * 1024 * 1024


def test_unsupported_extension_is_skipped_not_failed(tmp_path: Path) -> None:
    path = write(tmp_path, "notes.XYZ", "some text")
    with pytest.raises(UnsupportedFile, match=r"^unsupported file type '\.xyz'$"):
        load_document(path)


def test_file_without_extension_is_unsupported(tmp_path: Path) -> None:
    with pytest.raises(UnsupportedFile, match=r"^unsupported file type \(no extension\)$"):
        load_document(write(tmp_path, "README", "text"))


def test_suffix_match_is_case_insensitive(tmp_path: Path) -> None:
    path = write(tmp_path, "NOTES.TXT", "Hello\n\nworld")
    assert load_document(path).doc_type == "text"


@pytest.mark.parametrize("name", ["empty.txt", "empty.pdf", "empty.docx", "empty.csv"])
def test_empty_file(tmp_path: Path, name: str) -> None:
    with pytest.raises(LoadError, match=r"^empty file$"):
        load_document(write(tmp_path, name, b""))


def test_whitespace_only_text_file(tmp_path: Path) -> None:
    with pytest.raises(LoadError, match="no extractable text"):
        load_document(write(tmp_path, "blank.md", "  \n\n\t\n"))


def test_binary_file_named_txt(tmp_path: Path) -> None:
    data = bytes(range(256)) * 40  # contains NUL and every control byte
    with pytest.raises(LoadError, match=r"^binary data in a text file$"):
        load_document(write(tmp_path, "image.txt", data))


def test_control_characters_without_nul_count_as_binary(tmp_path: Path) -> None:
    data = b"abc\x01\x02\x03\x04\x05\x06\x07def" * 100  # 7/13 control bytes, no NUL
    with pytest.raises(LoadError, match="binary data in a text file"):
        load_document(write(tmp_path, "dump.md", data))


def test_file_deleted_before_load(tmp_path: Path) -> None:
    path = write(tmp_path, "gone.md", "# Title\n\ntext")
    path.unlink()
    with pytest.raises(LoadError, match=r"^file disappeared during the run$"):
        load_document(path)


def test_permission_denied(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = write(tmp_path, "secret.txt", "classified")

    def refuse(self: Path) -> bytes:
        raise PermissionError(13, "Permission denied", str(self))

    # chmod 000 does not stop root (tests may run as root), so simulate the OS refusal
    monkeypatch.setattr(Path, "read_bytes", refuse)
    with pytest.raises(LoadError, match=r"^permission denied$"):
        load_document(path)


def test_directory_with_supported_suffix(tmp_path: Path) -> None:
    folder = tmp_path / "folder.md"
    folder.mkdir()
    with pytest.raises(LoadError, match="not a regular file"):
        load_document(folder)


def test_file_over_max_bytes(tmp_path: Path) -> None:
    path = write(tmp_path, "big.txt", "x" * 2_000_000)
    with pytest.raises(LoadError, match=r"^file too large \(2 MB; limit 1 MB\)$"):
        load_document(path, max_bytes=1_000_000)


def test_50_mb_text_file_loads_fast_and_lean(tmp_path: Path) -> None:
    path = tmp_path / "export.txt"
    block = ("Neodymium oxide prices fell in 2024 while output rose.\n" * 1000).encode()
    with path.open("wb") as handle:
        for _ in range(50 * 1024 * 1024 // len(block) + 1):
            handle.write(block)
    size = path.stat().st_size
    assert size >= 50 * 1024 * 1024

    tracemalloc.start()
    started = time.perf_counter()
    try:
        doc = load_document(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    elapsed = time.perf_counter() - started

    assert doc.title == "Neodymium oxide prices fell in 2024 while output rose."
    assert len(doc.sections) == 1
    assert len(doc.sections[0].text) == size - 1  # only the final newline is stripped
    assert peak < 3 * size  # raw bytes + decoded text, no per-line objects
    assert elapsed < 8


# --- encodings ------------------------------------------------------------------------------


def test_cp1252_text_is_decoded_and_recorded(tmp_path: Path) -> None:
    text = "Price report\n\nNdPr oxide at \u20ac62/kg \u2013 \u201cfirm\u201d demand.\n"
    doc = load_document(write(tmp_path, "prices.txt", text.encode("cp1252")))
    assert doc.extra["encoding"] == "cp1252"
    assert "\u20ac62/kg \u2013 \u201cfirm\u201d" in doc.text


def test_latin1_fallback_for_bytes_cp1252_cannot_decode(tmp_path: Path) -> None:
    data = "Caf\u00e9 report\n\n".encode("latin-1") + b"control byte \x81 here\n"
    doc = load_document(write(tmp_path, "odd.txt", data))
    assert doc.extra["encoding"] == "latin-1"
    assert doc.title == "Caf\u00e9 report"


def test_utf8_bom_is_removed(tmp_path: Path) -> None:
    data = "\ufeffTitle line\n\nBody".encode()
    doc = load_document(write(tmp_path, "bom.txt", data))
    assert doc.extra["encoding"] == "utf-8-sig"
    assert doc.title == "Title line"


def test_utf16_with_bom_is_text_not_binary(tmp_path: Path) -> None:
    data = "Lanthanum note\n\nLa2O3 demand".encode("utf-16")
    doc = load_document(write(tmp_path, "wide.txt", data))
    assert doc.extra["encoding"] == "utf-16"
    assert "La2O3 demand" in doc.text


def test_crlf_newlines_are_normalised(tmp_path: Path) -> None:
    doc = load_document(write(tmp_path, "win.txt", b"Head\r\n\r\nLine one\r\nLine two\r\n"))
    assert doc.text == "Head\n\nLine one Line two"  # CRLF gone; the wrapped line re-joined


# --- plain text -----------------------------------------------------------------------------


def test_text_title_and_date_line(tmp_path: Path) -> None:
    text = (
        "China tightens rare earth export controls\n"
        "Published: 14 March 2025\n"
        "\n"
        "Beijing added seven heavy rare earths to its export control list.\n"
        "\n"
        "Exporters now need licences.\n"
    )
    doc = load_document(write(tmp_path, "note.txt", text))
    assert doc.doc_type == "text"
    assert doc.title == "China tightens rare earth export controls"
    assert doc.published == "2025-03-14"
    assert doc.text.endswith("Exporters now need licences.")


def test_text_long_first_line_falls_back_to_stem(tmp_path: Path) -> None:
    doc = load_document(write(tmp_path, "field_notes.text", "word " * 40 + "\nDate: 2025-03-14"))
    assert doc.title == "field_notes"
    assert doc.published == "2025-03-14"


def test_text_date_is_only_searched_near_the_top(tmp_path: Path) -> None:
    text = "Title\n" + "filler\n" * 12 + "Date: 2025-03-14\n"
    assert load_document(write(tmp_path, "late.txt", text)).published is None


# --- markdown -------------------------------------------------------------------------------

MARKDOWN = """---
title: 'Mine-to-Magnet: Progress
  Report'
date: 2025-03-20
source: https://example.org/reports/mine-to-magnet
author: Jane Analyst
tags: [magnets, policy]
---
Intro paragraph before any heading.

# Supply Chain

Opening text with a [linked phrase](https://example.org/a?b=c) and
<span style="text-decoration: underline">underlined words</span> in the 21<sup>st</sup> century.

## Separation

### Solvent extraction

**Bold claim:** capacity reached 5,000 t.

```
# not a heading inside code
```

## Magnets

![diagram of a magnet](img/magnet.png) NdFeB output \\[$x\\] &amp; more.
"""


def test_markdown_front_matter_metadata(tmp_path: Path) -> None:
    doc = load_document(write(tmp_path, "report.md", MARKDOWN))
    assert doc.doc_type == "markdown"
    assert doc.title == "Mine-to-Magnet: Progress Report"
    assert doc.published == "2025-03-20"  # YAML turns the bare date into a date object
    assert doc.source_url == "https://example.org/reports/mine-to-magnet"
    assert doc.extra["author"] == "Jane Analyst"
    assert doc.extra["tags"] == "magnets, policy"
    assert "warning" not in doc.extra


def test_markdown_heading_paths(tmp_path: Path) -> None:
    doc = load_document(write(tmp_path, "report.md", MARKDOWN))
    by_path = {s.section: s.text for s in doc.sections}
    assert list(by_path) == [
        "",
        "Supply Chain",
        "Supply Chain > Separation > Solvent extraction",
        "Supply Chain > Magnets",
    ]
    assert by_path[""] == "Intro paragraph before any heading."
    assert (
        "# not a heading inside code" in by_path["Supply Chain > Separation > Solvent extraction"]
    )


def test_markdown_inline_markup_is_cleaned(tmp_path: Path) -> None:
    doc = load_document(write(tmp_path, "report.md", MARKDOWN))
    text = doc.text
    assert "linked phrase and underlined words in the 21st century." in text  # re-joined
    assert "Bold claim: capacity reached 5,000 t." in text
    assert "diagram of a magnet NdFeB output [$x] & more." in text
    for residue in ("<span", "</sup>", "https://example.org/a", "**", "img/magnet.png"):
        assert residue not in text


def test_markdown_malformed_front_matter_is_kept_as_text(tmp_path: Path) -> None:
    text = "---\ntitle: [unclosed\n---\n# Real Heading\n\nBody text.\n"
    doc = load_document(write(tmp_path, "broken.md", text))
    assert doc.extra["warning"].startswith("malformed front matter")
    assert doc.title == "Real Heading"
    assert "title: [unclosed" in doc.text
    assert "Body text." in doc.text


def test_markdown_title_falls_back_to_stem(tmp_path: Path) -> None:
    doc = load_document(write(tmp_path, "plain_notes.markdown", "## Only H2\n\ntext"))
    assert doc.title == "plain_notes"
    assert doc.published is None and doc.source_url is None


def test_markdown_url_keys_need_a_url(tmp_path: Path) -> None:
    text = "---\nsource: Reuters\nurl: https://example.org/x\n---\nBody\n"
    doc = load_document(write(tmp_path, "u.md", text))
    assert doc.source_url == "https://example.org/x"
    assert "source" not in doc.extra  # consumed as a URL key even though it was not a URL


# --- html -----------------------------------------------------------------------------------

HTML = """<!doctype html>
<html><head>
<title>Lynas expands Texas plant | Example News</title>
<meta property="og:title" content="Lynas expands Texas plant">
<meta property="article:published_time" content="2025-03-20T10:00:00Z">
<meta property="og:url" content="https://news.example.org/lynas-texas">
<style>.x { color: red }</style>
<script>var tracking = "SCRIPT-TEXT";</script>
</head>
<body>
<header class="site-header"><a href="/">Example News HEADER-TEXT</a></header>
<nav><ul><li>NAV-TEXT Home</li><li>Markets</li></ul></nav>
<div id="cookie-banner">COOKIE-TEXT We use cookies.</div>
<main>
<article>
<header><h1>Lynas expands Texas plant</h1><time datetime="2025-03-19">19 March</time></header>
<p>Lynas said on Thursday it would <strong>double</strong> heavy rare earth capacity.</p>
<div class="share-buttons">SHARE-TEXT Tweet this</div>
<h2>Capacity</h2>
<p>The plant will separate dysprosium<br>and terbium.</p>
<h3>Timeline</h3>
<ul><li>Construction starts in 2025.</li><li>Output from 2026.</li></ul>
<h2>Prices</h2>
<table><tr><th>Product</th><th>Price</th></tr>
<tr><td>Neodymium oxide</td><td>56</td></tr></table>
<h4>Note</h4>
<p>Prices in USD/kg.</p>
<!-- COMMENT-TEXT -->
</article>
<aside>ASIDE-TEXT Related stories</aside>
</main>
<footer>FOOTER-TEXT Copyright</footer>
</body></html>
"""


def test_html_metadata(tmp_path: Path) -> None:
    doc = load_document(write(tmp_path, "lynas.html", HTML))
    assert doc.doc_type == "html"
    assert doc.title == "Lynas expands Texas plant"
    assert doc.published == "2025-03-20"  # the meta tag wins over the <time> element
    assert doc.source_url == "https://news.example.org/lynas-texas"


def test_html_keeps_article_and_drops_boilerplate(tmp_path: Path) -> None:
    doc = load_document(write(tmp_path, "lynas.html", HTML))
    text = doc.text
    assert "Lynas said on Thursday it would double heavy rare earth capacity." in text
    assert "The plant will separate dysprosium\nand terbium." in text
    assert "Construction starts in 2025.\n\nOutput from 2026." in text
    assert "Neodymium oxide: price = 56" in text  # a table row is a record (tests/test_tables.py)
    assert "Note\n\nPrices in USD/kg." in text  # h4 is kept as a line, not a path level
    for noise in ("SCRIPT", "HEADER", "NAV", "COOKIE", "SHARE", "ASIDE", "FOOTER", "COMMENT"):
        assert f"{noise}-TEXT" not in text


def test_html_heading_paths(tmp_path: Path) -> None:
    doc = load_document(write(tmp_path, "lynas.html", HTML))
    assert [s.section for s in doc.sections] == [
        "Lynas expands Texas plant",
        "Lynas expands Texas plant > Capacity",
        "Lynas expands Texas plant > Capacity > Timeline",
        "Lynas expands Texas plant > Prices",  # the table's records: caption = heading path
        "Lynas expands Texas plant > Prices",
    ]
    assert [s.kind for s in doc.sections].count("record") == 1


def test_html_fallbacks_without_article_or_meta(tmp_path: Path) -> None:
    page = """<html><head><title>MP Materials update</title>
    <link rel="canonical" href="https://example.org/mp"></head>
    <body><div class="sidebar">SIDEBAR-TEXT</div>
    <div role="navigation">ROLE-NAV-TEXT</div>
    <div>Loose text in a div.</div><p>Posted <time datetime="2024-11-05T08:00:00+08:00">
    5 Nov</time>.</p><p hidden>HIDDEN-TEXT</p></body></html>"""
    doc = load_document(write(tmp_path, "mp.htm", page))
    assert doc.title == "MP Materials update"
    assert doc.published == "2024-11-05"
    assert doc.source_url == "https://example.org/mp"
    assert "Loose text in a div." in doc.text
    for noise in ("SIDEBAR-TEXT", "ROLE-NAV-TEXT", "HIDDEN-TEXT"):
        assert noise not in doc.text


def test_html_date_from_name_meta_and_json_ld(tmp_path: Path) -> None:
    named = '<html><head><meta name="DC.date" content="2023/07/01"></head><body><p>x</p></body>'
    assert load_document(write(tmp_path, "a.html", named)).published == "2023-07-01"
    ld = (
        '<html><head><script type="application/ld+json">{"@graph": [{"@type": "NewsArticle",'
        ' "datePublished": "June 5, 2022"}]}</script></head><body><p>x</p></body></html>'
    )
    assert load_document(write(tmp_path, "b.html", ld)).published == "2022-06-05"


def test_html_with_only_boilerplate_has_no_text(tmp_path: Path) -> None:
    page = "<html><body><nav>Home</nav><footer>Copyright</footer></body></html>"
    with pytest.raises(LoadError, match="^no extractable text$"):
        load_document(write(tmp_path, "empty.html", page))


# --- docx -----------------------------------------------------------------------------------


def make_docx(path: Path, core_title: str = "") -> Path:
    import docx

    document = docx.Document()
    document.core_properties.title = core_title
    document.add_paragraph("Heavy Rare Earths Outlook", style="Title")
    document.add_paragraph("Date: 20 March 2025")
    document.add_heading("Supply", level=1)
    document.add_paragraph("China dominates separation.")
    document.add_heading("Dysprosium", level=2)
    document.add_paragraph("Prices doubled.")
    table = document.add_table(rows=3, cols=3)
    for row, values in zip(
        table.rows,
        [("Element", "2023", "2024"), ("Dy oxide", "330", "260"), ("Tb oxide", "1,298", "")],
        strict=True,
    ):
        for cell, value in zip(row.cells, values, strict=True):
            cell.text = value
    document.add_heading("Demand", level=1)
    document.add_paragraph("Magnets lead demand.")
    document.save(str(path))
    return path


def test_docx_structure_tables_and_metadata(tmp_path: Path) -> None:
    doc = load_document(make_docx(tmp_path / "outlook.docx"))
    assert doc.doc_type == "docx"
    assert doc.title == "Heavy Rare Earths Outlook"  # Title style, core title being empty
    assert doc.published == "2025-03-20"
    assert [(s.section, s.kind, s.text) for s in doc.sections] == [
        ("", "text", "Date: 20 March 2025"),
        ("Supply", "text", "China dominates separation."),
        ("Supply > Dysprosium", "text", "Prices doubled."),
        # the table's rows: records with the heading path as caption, empty cells skipped
        ("Supply > Dysprosium", "record", "Dy oxide: 2023 = 330; 2024 = 260"),
        ("Supply > Dysprosium", "record", "Tb oxide: 2023 = 1,298"),
        ("Demand", "text", "Magnets lead demand."),
    ]
    assert "Heavy Rare Earths Outlook" not in doc.text


def test_docx_core_title_wins(tmp_path: Path) -> None:
    doc = load_document(make_docx(tmp_path / "o.docx", core_title="HREE Outlook 2025"))
    assert doc.title == "HREE Outlook 2025"


def test_docx_ignores_python_docx_template_creation_date(tmp_path: Path) -> None:
    import docx

    document = docx.Document()
    document.add_paragraph("Just a line.")
    document.save(str(tmp_path / "plain.docx"))
    doc = load_document(tmp_path / "plain.docx")
    assert doc.published is None  # not python-docx's built-in 2013-12-23
    assert doc.title == "plain"


def test_docx_core_created_date(tmp_path: Path) -> None:
    import docx

    document = docx.Document()
    document.core_properties.created = datetime(2024, 6, 30, 12, 0)
    document.add_paragraph("Just a line.")
    document.save(str(tmp_path / "dated.docx"))
    assert load_document(tmp_path / "dated.docx").published == "2024-06-30"


def test_zip_that_is_not_a_word_file(tmp_path: Path) -> None:
    import zipfile

    with zipfile.ZipFile(tmp_path / "sheet.docx", "w") as archive:
        archive.writestr("hello.txt", "not a word document")
    with pytest.raises(LoadError, match=r"^corrupt DOCX: "):
        load_document(tmp_path / "sheet.docx")


def test_corrupt_docx(tmp_path: Path) -> None:
    path = write(tmp_path, "broken.docx", b"PK\x03\x04 definitely not a zip archive" * 10)
    with pytest.raises(LoadError, match=r"^corrupt DOCX: "):
        load_document(path)


# --- csv ------------------------------------------------------------------------------------


def test_csv_rows_become_records(tmp_path: Path) -> None:
    text = "year,Production (t),Imports (t)\n1985,14000,\n1986,,2500\n,,\n"
    doc = load_document(write(tmp_path, "ree_stats_us.csv", text))
    assert doc.doc_type == "csv"
    assert doc.title == "ree stats us"
    assert doc.published is None
    assert [s.text for s in doc.sections] == [  # units out of the header, onto the numbers
        "1985: production = 14000 t",
        "1986: imports = 2500 t",
    ]
    assert all(s.kind == "record" and s.section == "ree stats us" for s in doc.sections)
    assert doc.extra["rows"] == "2" and doc.extra["columns"] == "3"


def test_csv_title_keeps_number_ranges(tmp_path: Path) -> None:
    doc = load_document(write(tmp_path, "rare-earth-prices_2024-2025.csv", "a,b\n1,2\n"))
    assert doc.title == "rare earth prices 2024-2025"


def test_csv_sniffs_semicolons_and_quotes(tmp_path: Path) -> None:
    text = 'element;note\nNd;"magnets; motors"\nCe;"glass\npolishing"\n'
    doc = load_document(write(tmp_path, "notes.csv", text))
    assert doc.extra["delimiter"] == ";"
    assert [s.text for s in doc.sections] == [
        "Nd: note = magnets; motors",
        "Ce: note = glass polishing",
    ]


def test_csv_without_header_gets_synthetic_columns(tmp_path: Path) -> None:
    doc = load_document(write(tmp_path, "raw.csv", "2020,1.5,300\n2021,2.5,310\n"))
    assert doc.extra["warning"] == "no header row; columns named column_1..N"
    assert doc.sections[0].text == "2020: column_2 = 1.5; column_3 = 300"
    assert len(doc.sections) == 2


def test_csv_very_wide_cell(tmp_path: Path) -> None:
    long_cell = "monazite " * 40_000  # 360 KB, over the csv module's default field limit
    doc = load_document(write(tmp_path, "wide.csv", f'name,summary\nCe,"{long_cell}"\n'))
    # cut into parts the embedder reads whole, every part labelled (tests/test_tables.py)
    assert all(s.text.startswith("Ce: summary = monazite monazite") for s in doc.sections)
    assert sum(s.text.count("monazite") for s in doc.sections) == 40_000


# --- pdf ------------------------------------------------------------------------------------


def make_table_pdf(path: Path, title: str | None = None) -> Path:
    """A page with a big heading and a table whose numbers carry raised footnote markers.

    Each marker is drawn in 6 pt, 4 pt above the baseline, touching the 10 pt number after it,
    as in USGS tables, so a naive extraction reads "1216,000".
    """
    from reportlab.lib.pagesizes import letter
    from reportlab.pdfgen import canvas

    pdf = canvas.Canvas(str(path), pagesize=letter)
    if title is not None:
        pdf.setTitle(title)
    pdf.setFont("Helvetica-Bold", 16)
    pdf.drawString(72, 720, "Rare Earth Test Report")
    rows = [
        ("Country", None, "2023", None, "2024"),
        ("Australia", "12", "16,000", "12", "13,000"),
        ("Burma", "12", "43,000", "12", "31,000"),
        ("World total", None, "376,000", None, "390,000"),
    ]
    y = 680
    for name, marker_a, value_a, marker_b, value_b in rows:
        pdf.setFont("Helvetica", 10)
        pdf.drawString(72, y, name)
        for x, marker, value in ((300, marker_a, value_a), (400, marker_b, value_b)):
            if marker:
                pdf.setFont("Helvetica", 6)
                pdf.drawString(x - pdf.stringWidth(marker, "Helvetica", 6), y + 4, marker)
            pdf.setFont("Helvetica", 10)
            pdf.drawString(x, y, value)
        y -= 14
    pdf.showPage()
    pdf.setFont("Helvetica", 10)
    pdf.drawString(72, 720, "Second page text.")
    pdf.showPage()
    pdf.save()
    return path


def make_two_column_pdf(path: Path) -> Path:
    """A full-width heading over two justified-looking prose columns of 12 lines each."""
    from reportlab.lib.pagesizes import letter
    from reportlab.pdfgen import canvas

    pdf = canvas.Canvas(str(path), pagesize=letter)
    pdf.setFont("Helvetica-Bold", 14)
    pdf.drawString(72, 740, "Two Column Study of Magnet Supply Chains")
    pdf.setFont("Helvetica", 10)
    filler = ["rare", "earth", "magnets", "need", "separated", "oxides", "from", "mines"]
    for column, x in (("L", 72), ("R", 320)):
        for number in range(1, 13):
            words = [f"{column}{number}"]
            index = 0
            while pdf.stringWidth(" ".join([*words, filler[index % len(filler)]])) < 215:
                words.append(filler[index % len(filler)])
                index += 1
            pdf.drawString(x, 700 - 12 * number, " ".join(words))
    pdf.showPage()
    pdf.save()
    return path


def test_pdf_footnote_markers_are_kept_apart_from_numbers(tmp_path: Path) -> None:
    import pdfplumber

    path = make_table_pdf(tmp_path / "table.pdf")
    with pdfplumber.open(path) as pdf:  # the layout: cells and raised markers kept apart
        page = pdf.pages[0]
        layout = page_text(page.dedupe_chars().chars, float(page.width))
    assert "Australia | ^12 16,000 | ^12 13,000" in layout
    assert "Burma | ^12 43,000 | ^12 31,000" in layout
    assert "World total | 376,000 | 390,000" in layout
    doc = load_document(path)  # the loader: the table's rows as records, markers as notes
    page1 = "\n".join(s.text for s in doc.sections if s.page == 1)
    assert "Australia: 2023 = 16,000 (note 12); 2024 = 13,000 (note 12)" in page1
    assert "Burma: 2023 = 43,000 (note 12); 2024 = 31,000 (note 12)" in page1
    assert "World total: 2023 = 376,000; 2024 = 390,000" in page1
    tokens = page1.split()
    assert {"16,000", "13,000", "43,000", "31,000"} <= set(tokens)
    assert not re.search(r"12(16|13|43|31),000", page1)


def test_pdf_pages_and_title_from_largest_font(tmp_path: Path) -> None:
    doc = load_document(make_table_pdf(tmp_path / "table.pdf", title="table.pdf"))
    assert [(s.page, s.kind) for s in doc.sections] == [
        (1, "text"),
        *[(1, "record")] * 3,
        (2, "text"),
    ]
    assert doc.sections[-1].text == "Second page text."
    assert doc.title == "Rare Earth Test Report"  # a file name is not a meaningful title
    assert doc.extra["pages"] == "2"


def test_pdf_meaningful_metadata_title_is_used(tmp_path: Path) -> None:
    doc = load_document(make_table_pdf(tmp_path / "t.pdf", title="Quarterly Magnet Review"))
    assert doc.title == "Quarterly Magnet Review"


def test_pdf_two_columns_read_left_then_right(tmp_path: Path) -> None:
    doc = load_document(make_two_column_pdf(tmp_path / "columns.pdf"))
    assert doc.text.startswith("Two Column Study")
    # the column's hard-wrapped lines are one paragraph now, still left column first
    markers = [word for word in doc.text.split() if re.fullmatch(r"[LR]\d+", word)]
    assert markers == [*[f"L{n}" for n in range(1, 13)], *[f"R{n}" for n in range(1, 13)]]
    assert " | " not in doc.text


def test_pdf_prose_lines_are_rejoined_into_sentences() -> None:
    doc = load_document(need(USGS_PDF))
    text = doc.sections[0].text
    # the chapter wraps this sentence after "An estimated"; evidence and quotes need it whole
    assert "An estimated 45,000 tons of REO in mineral concentrates were produced" in text
    assert "imported by the United States in 2024 was $170 million" in text


def test_superscript_detection_needs_a_raised_smaller_glyph() -> None:
    def char(text: str, x0: float, size: float, bottom: float) -> dict[str, object]:
        width = size * 0.55
        return {
            "text": text,
            "x0": x0,
            "x1": x0 + width,
            "top": bottom - size,
            "bottom": bottom,
            "size": size,
            "upright": True,
        }

    raised = [
        char("N", 0, 10, 100),
        char("d", 5.5, 10, 100),
        char("2", 11, 6, 96),
        char("x", 14.3, 10, 100),
    ]
    lowered = [
        char("N", 0, 10, 100),
        char("d", 5.5, 10, 100),
        char("2", 11, 6, 102),
        char("x", 14.3, 10, 100),
    ]
    assert page_text(raised, 600) == "Nd^2 x"
    assert page_text(lowered, 600) == "Nd2x"  # a subscript stays inline (chemical formulas)


def test_encrypted_pdf_needs_password(tmp_path: Path) -> None:
    from pypdf import PdfWriter

    writer = PdfWriter(clone_from=make_table_pdf(tmp_path / "plain.pdf"))
    writer.encrypt("secret")
    writer.write(tmp_path / "locked.pdf")
    with pytest.raises(LoadError, match=r"^encrypted PDF \(password required\)$"):
        load_document(tmp_path / "locked.pdf")


def test_encrypted_pdf_with_empty_user_password_loads(tmp_path: Path) -> None:
    from pypdf import PdfWriter

    writer = PdfWriter(clone_from=make_table_pdf(tmp_path / "plain.pdf"))
    writer.encrypt(user_password="", owner_password="owner-only")
    writer.write(tmp_path / "owner.pdf")
    assert "13,000 (note 12)" in load_document(tmp_path / "owner.pdf").text


def test_corrupt_pdf_random_bytes(tmp_path: Path) -> None:
    path = write(tmp_path, "noise.pdf", os.urandom(4096))
    with pytest.raises(LoadError, match=r"^corrupt or unreadable PDF: \S"):
        load_document(path)


def test_truncated_pdf(tmp_path: Path) -> None:
    data = make_table_pdf(tmp_path / "full.pdf").read_bytes()
    path = write(tmp_path, "cut.pdf", data[: len(data) // 2])
    with pytest.raises(LoadError, match=r"^corrupt or unreadable PDF: "):
        load_document(path)


def test_pdf_without_text_layer(tmp_path: Path) -> None:
    from reportlab.pdfgen import canvas

    pdf = canvas.Canvas(str(tmp_path / "scan.pdf"))
    pdf.rect(50, 50, 400, 600, fill=1)  # stands in for a scanned page image
    pdf.showPage()
    pdf.save()
    with pytest.raises(LoadError, match=r"^no extractable text \(scanned PDF\?\)$"):
        load_document(tmp_path / "scan.pdf")


# --- the shared corpus ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def usgs() -> LoadedDocument:
    return load_document(need(USGS_PDF))


def record_starting(doc: LoadedDocument, prefix: str) -> str:
    return next(s.text for s in doc.sections if s.kind == "record" and s.text.startswith(prefix))


def test_usgs_pdf_australia_numbers_are_separate_tokens(usgs: LoadedDocument) -> None:
    australia = record_starting(usgs, "Australia:")  # every cell: tests/test_tables.py
    assert "mine production 2023 (estimated) = 16,000 t (note 12)" in australia
    assert "mine production 2024 (estimated) = 13,000 t (note 12)" in australia
    assert "1213,000" not in usgs.text and "1216,000" not in usgs.text


def test_usgs_pdf_world_total(usgs: LoadedDocument) -> None:
    world = record_starting(usgs, "World total")
    assert "mine production 2024 (estimated) = 390,000 t" in world
    assert "390,000" in world.split()


def test_usgs_pdf_pages_metadata_and_reading_order(usgs: LoadedDocument) -> None:
    assert sorted({s.page for s in usgs.sections}) == [1, 2]
    assert usgs.title == "Rare Earths"
    assert usgs.published == "2025-02-25"
    assert usgs.extra["pdf_subject"] == "Mineral Commodity Summaries 2025"
    page1 = "\n\n".join(s.text for s in usgs.sections if s.page == 1)
    # single-column body: a justified paragraph must not be split by a false column gutter
    assert "Significant amounts of rare earths are imported as permanent" in page1
    assert page1.index("Domestic Production and Use") < page1.index("Mineral concentrates")
    assert page1.index("Mineral concentrates") < page1.index("Depletion Allowance")
    assert "Salient Statistics—United States: | 2020" not in page1  # the table is records now
    page2 = "\n\n".join(s.text for s in usgs.sections if s.page == 2)
    assert page2.index("Government Stockpile") < page2.index("World Mine Production")
    assert "^13 For Australia, Joint Ore Reserves Committee-compliant" in page2


def test_white_house_markdown(tmp_path: Path) -> None:
    doc = load_document(need(WH_MD))
    assert doc.title.startswith("Fact Sheet: President Donald J. Trump Ensures National Security")
    assert doc.title.endswith("Processed Critical Minerals and Derivative Products")
    assert doc.published == "2025-04-15"
    assert doc.source_url.startswith("https://www.whitehouse.gov/fact-sheets/2025/04/")
    assert doc.extra["tags"] == "fact-sheets"
    assert "Section 232 investigation" in " ".join(doc.text.split())


def test_white_house_markdown_span_tags_are_stripped() -> None:
    spans = sorted(p for p in CORPUS.glob("wh_*.md") if "<span" in p.read_text(encoding="utf-8"))
    if not spans:
        pytest.skip("no shared-corpus markdown with <span> tags")
    for path in spans:
        text = load_document(path).text
        assert "<span" not in text and "</span>" not in text, path.name


def test_ds140_csv_rows_are_records() -> None:
    doc = load_document(need(DS140_CSV))
    assert doc.title == "usgs ds140 rare earths statistics 1900-1992"
    assert len(doc.sections) == 93  # 1900..1992
    assert all(s.kind == "record" for s in doc.sections)
    first = doc.sections[0].text
    assert first.startswith("1900: production = 227 t; ")  # the unit left the header
    assert "imports" not in first  # empty cells are skipped
    assert doc.sections[-1].text.startswith("1992: ")


def test_wikipedia_csv_long_text_cells() -> None:
    doc = load_document(need(WIKI_CSV))
    assert doc.extra["rows"] == "17"
    names = list(dict.fromkeys(s.text.split(":", 1)[0] for s in doc.sections))  # row labels
    assert len(names) == 17
    assert names[0] == "Scandium" and "Neodymium" in names and names[-1] == "Lutetium"
    neodymium = [s.text for s in doc.sections if s.text.startswith("Neodymium:")]
    assert any("summary = Neodymium is a chemical element" in part for part in neodymium)


# --- data/sample ----------------------------------------------------------------------------

NON_DOCUMENTS = {"SOURCES.md", "README.md"}


def test_every_sample_file_loads() -> None:
    files = sorted(p for p in SAMPLE.rglob("*") if p.is_file()) if SAMPLE.is_dir() else []
    if not files:
        pytest.skip("data/sample is empty")
    for path in files:
        if path.name in NON_DOCUMENTS or path.suffix == ".py" or path.name.startswith("."):
            continue
        doc = load_document(path)
        assert doc.text.strip(), path.name


def test_pdf_placeholder_creation_date_falls_back_to_stated_date(tmp_path: Path) -> None:
    from reportlab.pdfgen import canvas

    pdf = canvas.Canvas(str(tmp_path / "brief.pdf"), invariant=1)  # CreationDate 2000-01-01
    pdf.setFont("Helvetica", 10)
    pdf.drawString(72, 720, "Data brief. Published: 2025-02-10. Sample desk.")
    pdf.showPage()
    pdf.save()
    assert load_document(tmp_path / "brief.pdf").published == "2025-02-10"
