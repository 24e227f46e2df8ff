"""Tables become records: every cell carries its row label and column header.

Real files only, no mocks: the USGS Mineral Commodity Summaries 2025 chapter on rare earths (the
expected values below were read off the rendered pages, not produced by the code under test), the
DS140 and Wikipedia CSVs of the shared corpus, the sample corpus PDF, and small DOCX, HTML, CSV
and PDF files built in tmp_path. Word pieces are counted with the real MiniLM tokenizer.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from ingest.chunker import Chunker, embed_text
from ingest.document import LoadedDocument, Section
from ingest.loaders import load_document
from ingest.loaders.tables import Column, Row, Table, Text, fit_record, render_records
from ingest.loaders.units import Unit
from ree.runtime.wordpieces import count_word_pieces, word_piece_capacity
from ree.text import count_tokens, split_sentences

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT.parent / "shared" / "corpus"
SAMPLE = ROOT / "data" / "sample"
USGS_PDF = CORPUS / "usgs_mcs2025_rare_earths.pdf"
DS140_CSV = CORPUS / "usgs_ds140_rare_earths_statistics_1900-1992.csv"
WIKI_CSV = CORPUS / "wikipedia_rare_earth_elements_summaries.csv"
SAMPLE_PDF = SAMPLE / "global-rare-earth-mine-production-reserves-2024.pdf"

WORLD = "World Mine Production and Reserves"
SALIENT = "Salient Statistics—United States"
# The chapter's own legend (page 2): "e Estimated. E Net exporter. NA Not available. — Zero."
LEGEND = {"—": "zero", "NA": "not available", "E": "net exporter"}


def need(path: Path) -> Path:
    if not path.exists():
        pytest.skip(f"file missing: {path}")
    return path


def expected(raw: str, unit: str = "t") -> str:
    """A cell as the PDF prints it ("^12 16,000", ">95", "NA") -> as a record writes it."""
    note = ""
    if raw.startswith("^"):
        marker, raw = raw[1:].split(" ", 1)
        note = f" ({'estimated' if marker == 'e' else 'note ' + marker})"
    if raw in LEGEND:
        return LEGEND[raw] + note
    word = "more than " if raw.startswith(">") else ""
    number = raw.lstrip(">")
    if unit == "%":
        return f"{word}{number}%{note}"
    return f"{word}{number}{' ' + unit if unit else ''}{note}"


_CELL = re.compile(r"; (?=[^;=]+ = )")
_LABEL = re.compile(r"^(?P<label>.*?): (?P<cells>[^:;=]+ = .*)$")


def parse(record: str) -> tuple[str, dict[str, str]]:
    """ "label: header = value; header = value" -> (label, {header: value})."""
    match = _LABEL.match(record)
    assert match, record
    cells = dict(cell.split(" = ", 1) for cell in _CELL.split(match.group("cells")))
    return match.group("label"), cells


def records_of(doc: LoadedDocument, caption: str) -> dict[str, dict[str, str]]:
    rows: dict[str, dict[str, str]] = {}
    for section in doc.sections:
        if section.kind == "record" and section.section == caption:
            label, cells = parse(section.text)
            assert label not in rows, f"two records for {label!r}"
            rows[label] = cells
    return rows


@pytest.fixture(scope="module")
def usgs() -> LoadedDocument:
    return load_document(need(USGS_PDF))


# --- USGS: World Mine Production and Reserves (page 2) ---------------------------------------

# (country, mine production 2023, mine production 2024, reserves), as printed: "^12 16,000" is
# the number 16,000 with footnote 12 raised before it.
WORLD_ROWS = [
    ("United States", "41,600", "45,000", "1,900,000"),
    ("Australia", "^12 16,000", "^12 13,000", "^13 5,700,000"),
    ("Brazil", "140", "20", "21,000,000"),
    ("Burma", "^12 43,000", "^12 31,000", "NA"),
    ("Canada", "—", "—", "830,000"),
    ("China", "^14 255,000", "^14 270,000", "44,000,000"),
    ("Greenland", "—", "—", "1,500,000"),
    ("India", "2,900", "2,900", "6,900,000"),
    ("Madagascar", "^12 2,100", "^12 2,000", "NA"),
    ("Malaysia", "^12 310", "^12 130", "NA"),
    ("Nigeria", "^12 7,200", "^12 13,000", "NA"),
    ("Russia", "2,500", "2,500", "3,800,000"),
    ("South Africa", "—", "—", "860,000"),
    ("Tanzania", "—", "—", "890,000"),
    ("Thailand", "^12 3,600", "^12 13,000", "4,500"),
    ("Vietnam", "^12 300", "^12 300", "3,500,000"),
    ("Other", "1,440", "1,100", "NA"),
    ("World total (rounded)", "376,000", "390,000", ">90,000,000"),
]
# "Mine production^e" spans both years, so the e(stimated) marker heads both columns.
MINE_2023 = "mine production 2023 (estimated)"
MINE_2024 = "mine production 2024 (estimated)"


def test_world_production_every_cell_has_its_row_and_column(usgs: LoadedDocument) -> None:
    rows = records_of(usgs, WORLD)
    notes = rows.pop(f"{WORLD}, notes")
    assert list(rows) == [country for country, *_ in WORLD_ROWS]  # in the PDF's order
    for country, mined_2023, mined_2024, reserves in WORLD_ROWS:
        assert rows[country] == {
            MINE_2023: expected(mined_2023),
            MINE_2024: expected(mined_2024),
            "reserves": expected(reserves),
        }, country
    assert notes["t"] == "metric tons, rare-earth-oxide (REO) equivalent"  # the chapter's unit
    assert notes["note 12"].startswith("Estimated based on reported import data for China")
    assert notes["note 13"] == (
        "For Australia, Joint Ore Reserves Committee-compliant or equivalent reserves were "
        "3.3 million tons"
    )
    assert notes["note 14"] == "Production quota; does not include undocumented production"


def test_world_production_tricky_rows_verbatim(usgs: LoadedDocument) -> None:
    texts = {s.text.split(":")[0]: s.text for s in usgs.sections if s.section == WORLD}
    assert texts["Australia"] == (
        "Australia: mine production 2023 (estimated) = 16,000 t (note 12); "
        "mine production 2024 (estimated) = 13,000 t (note 12); reserves = 5,700,000 t (note 13)"
    )
    assert texts["World total (rounded)"] == (
        "World total (rounded): mine production 2023 (estimated) = 376,000 t; "
        "mine production 2024 (estimated) = 390,000 t; reserves = more than 90,000,000 t"
    )
    assert texts["Canada"] == (  # "—" is zero by the chapter's own legend, never a number
        "Canada: mine production 2023 (estimated) = zero; "
        "mine production 2024 (estimated) = zero; reserves = 830,000 t"
    )
    assert "reserves = not available" in texts["Burma"]


# --- USGS: Salient Statistics—United States (page 1) -----------------------------------------

YEARS = ["2020", "2021", "2022", "2023", "2024 (estimated)"]  # the header prints "2024^e"
# (row label with its parent headings, unit, values 2020..2024 as printed)
SALIENT_ROWS = [
    ("Production (estimated): Mineral concentrates (note 2)", "t",
     ["39,000", "42,400", "42,500", "41,600", "45,000"]),
    ("Production (estimated): Compounds and metals (note 3)", "t",
     ["—", "120", "95", "250", "1,300"]),
    ("Imports (estimated; note 4): Compounds", "t",
     ["6,510", "7,690", "10,700", "8,920", "8,000"]),
    ("Imports (estimated; note 4): Metals: Ferrocerium, alloys", "t",
     ["270", "330", "395", "259", "220"]),
    ("Imports (estimated; note 4): Metals: Rare-earth metals, scandium, and yttrium", "t",
     ["363", "580", "487", "476", "90"]),
    ("Exports (estimated; note 4): Ores and compounds", "t",
     ["40,000", "44,200", "45,900", "20,700", "43,000"]),
    ("Exports (estimated; note 4): Metals: Ferrocerium, alloys", "t",
     ["626", "825", "1,520", "817", "1,100"]),
    ("Exports (estimated; note 4): Metals: Rare-earth metals, scandium, and yttrium", "t",
     ["25", "20", "24", "63", "320"]),
    ("Consumption, apparent, compounds and metals (note 5)", "t",
     ["6,490", "7,900", "10,200", "10,100", "6,600"]),
    ("Price, average, dollars per kilogram (note 6): Cerium oxide, 99.5% minimum", "$/kg",
     ["2", "2", "1", "1", "1"]),
    ("Price, average, dollars per kilogram (note 6): Dysprosium oxide, 99.5% minimum", "$/kg",
     ["261", "410", "382", "330", "260"]),
    ("Price, average, dollars per kilogram (note 6): Europium oxide, 99.99% minimum", "$/kg",
     ["31", "31", "30", "27", "27"]),
    ("Price, average, dollars per kilogram (note 6): Lanthanum oxide, 99.5% minimum", "$/kg",
     ["2", "2", "1", "1", "1"]),
    ("Price, average, dollars per kilogram (note 6): Mischmetal, 65% cerium, 35% lanthanum",
     "$/kg", ["5", "6", "7", "5", "5"]),
    ("Price, average, dollars per kilogram (note 6): Neodymium oxide, 99.5% minimum", "$/kg",
     ["49", "98", "134", "78", "56"]),
    ("Price, average, dollars per kilogram (note 6): Terbium oxide, 99.99% minimum", "$/kg",
     ["670", "1,346", "2,051", "1,298", "810"]),
    ("Employment, mine and mill, annual average, number", "",
     ["185", "293", "350", "450", "570"]),
    ("Net import reliance as a percentage of apparent consumption (notes 7, 8): "
     "Compounds and metals", "%", ["100", ">95", ">95", ">95", "80"]),
    ("Net import reliance as a percentage of apparent consumption (notes 7, 8): "
     "Mineral concentrates", "%", ["E", "E", "E", "E", "E"]),
]  # fmt: skip


def test_salient_statistics_every_cell_has_its_row_and_column(usgs: LoadedDocument) -> None:
    rows = records_of(usgs, SALIENT)
    notes = rows.pop(f"{SALIENT}, notes")
    assert list(rows) == [label for label, *_ in SALIENT_ROWS]
    for label, unit, values in SALIENT_ROWS:
        want = {year: expected(v, unit) for year, v in zip(YEARS, values, strict=True)}
        assert rows[label] == want, label
    assert notes["note 6"] == "Source: Argus Media Group, Argus Non-Ferrous Markets"
    assert notes["note 7"] == "Defined as imports – exports"


def test_salient_statistics_tricky_rows_verbatim(usgs: LoadedDocument) -> None:
    texts = [s.text for s in usgs.sections if s.section == SALIENT]
    assert (
        "Price, average, dollars per kilogram (note 6): Neodymium oxide, 99.5% minimum: "
        "2020 = 49 $/kg; 2021 = 98 $/kg; 2022 = 134 $/kg; 2023 = 78 $/kg; "
        "2024 (estimated) = 56 $/kg"
    ) in texts
    assert (  # "E" is "net exporter" by the legend, ">95" is no bare number
        "Net import reliance as a percentage of apparent consumption (notes 7, 8): "
        "Mineral concentrates: 2020 = net exporter; 2021 = net exporter; 2022 = net exporter; "
        "2023 = net exporter; 2024 (estimated) = net exporter"
    ) in texts
    reliance = next(t for t in texts if "Compounds and metals: 2020 = 100%" in t)
    assert "2021 = more than 95%" in reliance and "2024 (estimated) = 80%" in reliance


# --- USGS: the other two tables, and what is left as page text ---------------------------------


def test_multi_level_header_and_caption_from_the_paragraph_above(usgs: LoadedDocument) -> None:
    rows = records_of(usgs, "Government Stockpile")  # "FY 2024" spans two two-line headers
    assert rows["Lanthanum"] == {
        "FY 2024 potential acquisitions": "1,300 t",
        "FY 2024 potential disposals": "zero",
        "FY 2025 potential acquisitions": "1,100 t",
        "FY 2025 potential disposals": "zero",
    }
    assert rows["Government Stockpile, notes"]["note 10"].startswith("Gross weight")
    tariff = records_of(usgs, "Tariff")  # caption from "Tariff: Item" in the header
    assert tariff["Other rare-earth compounds: Carbonates"] == {
        "number": "2846.90.8000",  # a code, not a number: no unit
        "Normal Trade Relations 12–31–24": "3.7% ad valorem.",
    }
    assert "Tariff, notes" not in tariff  # no number of it uses the chapter's unit


def test_table_lines_are_not_also_page_text(usgs: LoadedDocument) -> None:
    prose = [s for s in usgs.sections if s.kind == "text"]
    text = "\n".join(s.text for s in prose)
    for gone in ("Australia |", "^12 16,000", "Mineral concentrates^2", "| 2024^e", "FY 2024 |"):
        assert gone not in text, gone
    assert " | " not in text  # every cell-separated line of this chapter was a table
    # the rest of each page stays, in reading order around the records
    assert "World Mine Production and Reserves: Reserves for Russia" in text
    assert "^13 For Australia, Joint Ore Reserves Committee-compliant" in text
    kinds = [(s.page, s.kind, s.section) for s in usgs.sections]
    world = [i for i, k in enumerate(kinds) if k[2] == WORLD]
    assert kinds[world[0] - 1][1] == "text" and kinds[world[-1] + 1][1] == "text"
    before, after = usgs.sections[world[0] - 1].text, usgs.sections[world[-1] + 1].text
    assert before.endswith("revised based on company and Government reports.")
    assert after.startswith("World Resources:")


def test_every_usgs_record_fits_the_embedder(usgs: LoadedDocument) -> None:
    assert_records_fit(usgs)


def assert_records_fit(doc: LoadedDocument) -> None:
    """Each record with the "title | caption" line in front, counted with [CLS]/[SEP] by the
    real tokenizer, is within the model's 256 word pieces."""
    from ree.runtime.wordpieces import _tokenizer

    records = [s for s in doc.sections if s.kind == "record"]
    assert records
    for section in records:
        embedded = embed_text(doc.title, section.section, section.text)
        assert len(_tokenizer().encode(embedded).ids) <= 256, section.text[:80]
        assert "\n" not in section.text  # one record per line in a chunk


# --- CSV --------------------------------------------------------------------------------------


def test_ds140_rows_name_every_column_and_unit() -> None:
    doc = load_document(need(DS140_CSV))
    row_1985 = next(s.text for s in doc.sections if s.text.startswith("1985:"))
    assert row_1985 == (  # CSV: 1985,13400,3390,4670,12100,2190,3320,43500
        "1985: production = 13400 t; imports = 3390 t; exports = 4670 t; "
        "apparent consumption = 12100 t; "
        "unit value (current U.S. dollars per metric ton) = 2190 $/t; "
        "unit value (1998 U.S. dollars per metric ton) = 3320 98$/t; "
        "world production = 43500 t"
    )
    assert all(s.section == doc.title for s in doc.sections)
    assert_records_fit(doc)


def test_wikipedia_wide_rows_are_split_to_fit_the_embedder() -> None:
    import csv

    doc = load_document(need(WIKI_CSV))
    assert_records_fit(doc)
    with WIKI_CSV.open(encoding="utf-8", newline="") as fh:
        table = list(csv.reader(fh))
    header = table[0]
    for row in table[1:]:
        parts = [s.text for s in doc.sections if s.text.startswith(f"{row[0]}: ")]
        assert len(parts) >= 2, row[0]  # 35 columns with URLs never fit 256 word pieces
        cells = [cell for part in parts for cell in parse(part)[1].items()]
        got = dict(cells)
        assert len(got) == len(cells), "a cell must not be cut between parts"
        want = {h: " ".join(v.split()) for h, v in zip(header[1:], row[1:], strict=True) if v}
        assert got == want, row[0]


def test_a_text_cell_longer_than_the_window_is_cut_at_sentences(tmp_path: Path) -> None:
    sentences = [f"Sentence {i} says monazite carries thorium and cerium." for i in range(60)]
    text = "name,summary,symbol\n" + f'Cerium,"{" ".join(sentences)}",Ce\n'
    doc = load_document(write(tmp_path, "elements.csv", text))
    parts = [s.text for s in doc.sections]
    assert len(parts) >= 3
    assert all(p.startswith("Cerium: summary = Sentence ") for p in parts[:-1])
    assert parts[-1].endswith("symbol = Ce")
    pieces = [p.removeprefix("Cerium: summary = ") for p in parts if "summary" in p]
    pieces = [p.split("; symbol = ")[0] for p in pieces]
    assert " ".join(pieces) == " ".join(sentences)  # nothing lost, nothing repeated
    assert all(p.endswith("thorium and cerium.") for p in pieces)  # cut at sentence ends
    assert_records_fit(doc)


def test_year_and_country_together_label_a_row(tmp_path: Path) -> None:
    text = "year,country,mine_production_t_reo,note\n2023,Australia,16000,\n2023,China,255000,\n"
    text += "2024,Australia,13000,W\n"
    doc = load_document(write(tmp_path, "mine.csv", text))
    assert [s.text for s in doc.sections] == [
        "2023, Australia: mine_production_t_reo = 16000 t",
        "2023, China: mine_production_t_reo = 255000 t",
        "2024, Australia: mine_production_t_reo = 13000 t; note = withheld",
    ]


def test_ragged_csv_rows_degrade_gracefully(tmp_path: Path) -> None:
    text = "element,price\nNd,56,extra\nDy\n,,\nTb,810\n"
    doc = load_document(write(tmp_path, "ragged.csv", text))
    assert [s.text for s in doc.sections] == [
        "Nd: price = 56; column_3 = extra",
        "Dy",
        "Tb: price = 810",
    ]


# --- DOCX and HTML ----------------------------------------------------------------------------


def write(tmp_path: Path, name: str, content: str) -> Path:
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    return path


def make_docx_with_tables(path: Path) -> Path:
    import docx
    from docx.oxml import OxmlElement

    document = docx.Document()
    document.add_heading("Stockpile", level=1)
    document.add_paragraph("Table 3. Stockpile goals (t)")
    table = document.add_table(rows=5, cols=3)
    table.cell(0, 1).merge(table.cell(0, 2))
    values = [
        ["Material", "FY 2024", None],
        ["", "Acquisitions", "Disposals"],
        ["Oxides:", "", ""],
        ["Cerium", "550", "—"],
        ["Lanthanum", "1,300", "W"],
    ]
    for r, row in enumerate(values):
        for c, value in enumerate(row):
            if value is not None:
                table.cell(r, c).text = value
    for row in table.rows[:2]:  # "repeat as header row"
        row._tr.get_or_add_trPr().append(OxmlElement("w:tblHeader"))
    document.add_paragraph("After the table.")
    single = document.add_table(rows=2, cols=1)
    single.cell(0, 0).text = "Only one column"
    single.cell(1, 0).text = "so no header to add"
    document.save(str(path))
    return path


def test_docx_table_with_merged_header_rows(tmp_path: Path) -> None:
    doc = load_document(make_docx_with_tables(tmp_path / "stock.docx"))
    records = [s for s in doc.sections if s.kind == "record"]
    assert [(s.section, s.text) for s in records] == [
        (
            "Table 3. Stockpile goals (t)",
            "Oxides: Cerium: FY 2024 acquisitions = 550 t; FY 2024 disposals = not reported",
        ),
        (
            "Table 3. Stockpile goals (t)",
            "Oxides: Lanthanum: FY 2024 acquisitions = 1,300 t; FY 2024 disposals = withheld",
        ),
    ]
    text = "\n".join(s.text for s in doc.sections if s.kind == "text")
    assert "After the table." in text
    assert "Only one column\n\nso no header to add" in text  # one column: plain lines
    assert "Cerium" not in text  # the table's rows are records only


HTML_TABLES = """<html><head><title>Oxide prices</title></head><body><article>
<h1>Oxide prices</h1>
<h2>Prices</h2>
<table>
  <caption>Oxide prices, dollars per kilogram</caption>
  <thead>
    <tr><th rowspan="2">Oxide</th><th colspan="2">China FOB</th><th>CIF Europe</th></tr>
    <tr><th>2023</th><th>2024</th><th>2024</th></tr>
  </thead>
  <tbody>
    <tr><th>Neodymium</th><td>78</td><td>56</td><td>NA</td></tr>
    <tr><td>Terbium</td><td>1,298</td><td>810</td></tr>
  </tbody>
</table>
<h2>Other</h2>
<table><tr><th>Element</th><th>Use</th></tr><tr><td>Lanthanum</td><td>catalysts</td></tr></table>
<table><tr><td>only</td><td>one row</td></tr></table>
</article></body></html>
"""


def test_html_tables_with_spans_caption_and_ragged_rows(tmp_path: Path) -> None:
    doc = load_document(write(tmp_path, "prices.html", HTML_TABLES))
    records = [(s.section, s.text) for s in doc.sections if s.kind == "record"]
    caption = "Oxide prices, dollars per kilogram"
    assert records == [
        (caption, "Neodymium: China FOB 2023 = 78 $/kg; China FOB 2024 = 56 $/kg; "
                  "CIF Europe 2024 = not available"),
        (caption, "Terbium: China FOB 2023 = 1,298 $/kg; China FOB 2024 = 810 $/kg"),
        ("Oxide prices > Other", "Lanthanum: use = catalysts"),
    ]  # fmt: skip
    assert "only | one row" in doc.text  # a one-row table keeps the old line


# --- PDF: other layouts -----------------------------------------------------------------------


def test_sample_pdf_tables_and_a_table_continued_on_the_next_page() -> None:
    doc = load_document(need(SAMPLE_PDF))
    caption = "Table 1. Mine production and reserves by country (tonnes REO)"
    rows = records_of(doc, caption)
    assert rows["Australia+"] == {
        "production 2023": "16,000 t",
        "production 2024": "13,000 t",
        "share of 2024 world": "3.3%",  # a percentage keeps its own sign, no tonnes
        "reserves": "5,700,000 t",
    }
    assert rows["Burma (Myanmar)+"]["reserves"] == "not available"  # "n/a"
    prices = "Table 2. Annual average prices, US dollars per kilogram"
    terbium = next(s for s in doc.sections if s.text.startswith("Terbium oxide"))
    assert terbium.page == 2 and terbium.section == prices  # header from page 1
    assert parse(terbium.text)[1] == {
        "2020": "670 $/kg",
        "2021": "1,346 $/kg",
        "2022": "2,051 $/kg",
        "2023": "1,298 $/kg",
        "2024": "810 $/kg",
    }
    assert_records_fit(doc)


def test_table_continued_under_a_running_head_takes_the_header_from_the_page_before(
    tmp_path: Path,
) -> None:
    from reportlab.lib.pagesizes import letter
    from reportlab.pdfgen import canvas

    path = tmp_path / "continued.pdf"
    pdf = canvas.Canvas(str(path), pagesize=letter)
    rows = [("Brazil", "140", "20"), ("Burma", "43,000", "31,000"), ("Canada", "0", "0")]
    for page, part in enumerate((rows[:2], rows[2:]), start=1):
        pdf.setFont("Helvetica", 9)
        pdf.drawString(500, 760, f"Page {page}")  # running head
        y = 700
        if page == 1:
            pdf.setFont("Helvetica-Bold", 10)
            for x, text in ((72, "Country"), (300, "Production 2023"), (420, "Production 2024")):
                pdf.drawString(x, y, text)
            y -= 14
        pdf.setFont("Helvetica", 10)
        for name, a, b in part:
            pdf.drawString(72, y, name)
            pdf.drawRightString(370, y, a)
            pdf.drawRightString(490, y, b)
            y -= 14
        pdf.showPage()
    pdf.save()
    doc = load_document(path)
    canada = next(s for s in doc.sections if s.text.startswith("Canada"))
    assert canada.page == 2 and canada.kind == "record"
    assert canada.text == "Canada: production 2023 = 0; production 2024 = 0"
    assert [s.text for s in doc.sections if s.kind == "text"] == ["Page 1", "Page 2"]


def test_pdf_lines_with_gaps_but_no_table_stay_text(tmp_path: Path) -> None:
    from reportlab.lib.pagesizes import letter
    from reportlab.pdfgen import canvas

    path = tmp_path / "gaps.pdf"
    pdf = canvas.Canvas(str(path), pagesize=letter)
    pdf.setFont("Helvetica", 10)
    pdf.drawString(72, 720, "A paragraph of prose that runs along the whole line as usual.")
    # two lines of two cells each, but long prose in the cells: not a table
    for y, (left, right) in enumerate(
        [
            ("Rare earths are mined in many places", "and separated mostly in one country today"),
            ("Magnets need neodymium and dysprosium", "which makes supply chains fragile now"),
        ]
    ):
        pdf.drawString(72, 700 - 12 * y, left)
        pdf.drawString(320, 700 - 12 * y, right)
    # a headerless table with no table before it: no header to add, stays " | " lines
    for y, (name, value) in enumerate([("Cerium", "1,100"), ("Lanthanum", "2,200")]):
        pdf.drawString(72, 640 - 12 * y, name)
        pdf.drawString(300, 640 - 12 * y, value)
    pdf.showPage()
    pdf.save()
    doc = load_document(path)
    assert [s.kind for s in doc.sections] == ["text"]
    assert "Rare earths are mined in many places | and separated" in doc.text
    assert "Cerium | 1,100\nLanthanum | 2,200" in doc.text


# --- renderer and chunker ---------------------------------------------------------------------


def test_renderer_on_a_malformed_table_does_not_raise() -> None:
    table = Table(
        caption="Odd",
        columns=[Column("a"), Column("b", unit=Unit("kg", "kilograms"))],
        rows=[
            Row(label=[], cells=[Text("1")]),  # no label, fewer cells than columns
            Row(label=[Text("x")], cells=[Text(""), Text("2"), Text("3")]),  # more cells
            Row(label=[Text("")], cells=[]),  # nothing at all: dropped
        ],
        unit=Unit("t", "metric tons"),
    )
    assert [r.text for r in render_records(table)] == [
        "row 1: a = 1 t",
        "x: b = 2 kg",
        "Odd, notes: t = metric tons",
    ]


def test_fit_record_repeats_the_label_and_keeps_cells_whole() -> None:
    record = render_records(
        Table(
            caption="c",
            columns=[Column(f"column number {i}") for i in range(60)],
            rows=[Row(label=[Text("Neodymium")], cells=[Text(f"{i},000") for i in range(60)])],
        )
    )[0]
    parts = fit_record(record, 100, count_word_pieces)
    assert len(parts) > 2
    assert all(p.startswith("Neodymium: column number ") for p in parts)
    assert all(count_word_pieces(p) <= 100 for p in parts)
    rejoined = "; ".join(p.removeprefix("Neodymium: ") for p in parts)
    assert rejoined == record.text.removeprefix("Neodymium: ")
    assert word_piece_capacity() == 254  # 256 minus [CLS] and [SEP]


def test_sentence_split_keeps_record_cells_together() -> None:
    record = "Neodymium oxide: 2020 = 49 $/kg; 2021 = 98 $/kg; Imports = 5 t"
    assert split_sentences(record) == [record]


def test_record_chunks_pack_whole_records_one_per_line_and_never_mix_tables() -> None:
    sections = [
        Section(text=f"Row {i}: value = {i} t", page=1, section="A", kind="record")
        for i in range(3)
    ] + [Section(text="Row 9: value = 9 t", page=1, section="B", kind="record")]
    doc = LoadedDocument(path=Path("x.pdf"), doc_type="pdf", title="T", sections=sections)
    chunks = Chunker(300, 40, count_tokens).chunk(doc)
    assert [(c.kind, c.section, c.text) for c in chunks] == [
        ("record", "A", "Row 0: value = 0 t\nRow 1: value = 1 t\nRow 2: value = 2 t"),
        ("record", "B", "Row 9: value = 9 t"),
    ]
