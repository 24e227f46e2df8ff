"""Generate the binary documents of the sample corpus (one PDF and one DOCX).

Run from anywhere:

    python data/sample/generate_binary.py            # writes next to this script
    python data/sample/generate_binary.py OUT_DIR    # writes into OUT_DIR

The output is deterministic: the PDF is built with reportlab's ``invariant=1`` (fixed
timestamps and document id) and the DOCX zip is rewritten with fixed entry timestamps, so
re-running the script gives byte-identical files. ``tests/test_datasets.py`` checks this.

All text below was written for this project from public facts; the figures come from the
U.S. Geological Survey, Mineral Commodity Summaries 2025 (Rare Earths chapter).
"""

from __future__ import annotations

import io
import sys
import zipfile
from datetime import datetime
from pathlib import Path

PDF_NAME = "global-rare-earth-mine-production-reserves-2024.pdf"
DOCX_NAME = "environmental-costs-of-rare-earth-processing.docx"

# (country, production 2023, production 2024, reserves, footnote marker); None = not available
PRODUCTION_ROWS: list[tuple[str, int, int, int | None, str]] = [
    ("China", 255_000, 270_000, 44_000_000, "*"),
    ("United States", 41_600, 45_000, 1_900_000, ""),
    ("Burma (Myanmar)", 43_000, 31_000, None, "+"),
    ("Australia", 16_000, 13_000, 5_700_000, "+"),
    ("Nigeria", 7_200, 13_000, None, "+"),
    ("Thailand", 3_600, 13_000, 4_500, "+"),
    ("India", 2_900, 2_900, 6_900_000, ""),
    ("Russia", 2_500, 2_500, 3_800_000, ""),
    ("Madagascar", 2_100, 2_000, None, "+"),
    ("Vietnam", 300, 300, 3_500_000, "+"),
    ("Malaysia", 310, 130, None, "+"),
    ("Brazil", 140, 20, 21_000_000, ""),
    ("Canada", 0, 0, 830_000, ""),
    ("Greenland", 0, 0, 1_500_000, ""),
    ("South Africa", 0, 0, 860_000, ""),
    ("Tanzania", 0, 0, 890_000, ""),
    ("Other countries", 1_440, 1_100, None, ""),
]
WORLD_2023 = 376_000
WORLD_2024 = 390_000

# Annual average prices, US$/kg (USGS MCS 2025, from Argus Media)
PRICE_ROWS = [
    ("Neodymium oxide (99.5%)", 49, 98, 134, 78, 56),
    ("Dysprosium oxide (99.5%)", 261, 410, 382, 330, 260),
    ("Terbium oxide (99.99%)", 670, 1346, 2051, 1298, 810),
]


def _fmt(n: int | None) -> str:
    if n is None:
        return "n/a"
    return f"{n:,}"


def build_pdf(path: Path) -> None:
    from reportlab import rl_config
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import getSampleStyleSheet
    from reportlab.lib.units import mm
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    rl_config.invariant = 1
    styles = getSampleStyleSheet()
    body = styles["BodyText"]
    small = styles["BodyText"].clone("small", fontSize=8, leading=10)

    doc = SimpleDocTemplate(
        str(path),
        pagesize=A4,
        leftMargin=18 * mm,
        rightMargin=18 * mm,
        topMargin=18 * mm,
        bottomMargin=18 * mm,
        title="Global rare earth mine production and reserves, 2023-2024",
        author="Rare-Earth Insights sample desk",
        subject="Data brief based on USGS Mineral Commodity Summaries 2025",
        creator="data/sample/generate_binary.py",
        invariant=1,
    )

    story = [
        Paragraph("Global rare earth mine production and reserves, 2023-2024", styles["Title"]),
        Paragraph("Data brief. Published: 2025-02-10. Rare-Earth Insights sample desk.", body),
        Paragraph(
            "Source: U.S. Geological Survey, Mineral Commodity Summaries 2025, Rare Earths.", body
        ),
        Spacer(1, 4 * mm),
        Paragraph("Summary", styles["Heading2"]),
        Paragraph(
            "World mine production of rare earths reached an estimated 390,000 tonnes of rare earth "
            "oxide (REO) equivalent in 2024, compared with 376,000 tonnes in 2023. China remained by "
            "far the largest producer with 270,000 tonnes, about 69% of the world total, followed by "
            "the United States with 45,000 tonnes. Output in Burma (Myanmar) fell from 43,000 tonnes "
            "to 31,000 tonnes, while Nigeria and Thailand each rose to 13,000 tonnes.",
            body,
        ),
        Paragraph(
            "Reserves are less concentrated than production: China holds 44,000,000 tonnes, roughly "
            "half of a world total of more than 90,000,000 tonnes, and Brazil is second with "
            "21,000,000 tonnes.",
            body,
        ),
        Spacer(1, 4 * mm),
        Paragraph(
            "Table 1. Mine production and reserves by country (tonnes REO)", styles["Heading3"]
        ),
    ]

    header = ["Country", "Production 2023", "Production 2024", "Share of 2024 world", "Reserves"]
    data = [header]
    for country, p23, p24, reserves, mark in PRODUCTION_ROWS:
        share = f"{100 * p24 / WORLD_2024:.1f}%"
        data.append([country + mark, _fmt(p23), _fmt(p24), share, _fmt(reserves)])
    data.append(
        ["World total (rounded)", _fmt(WORLD_2023), _fmt(WORLD_2024), "100.0%", ">90,000,000"]
    )

    table = Table(data, repeatRows=1, colWidths=[48 * mm, 30 * mm, 30 * mm, 32 * mm, 32 * mm])
    table.setStyle(
        TableStyle(
            [
                ("FONTNAME", (0, 0), (-1, 0), "Helvetica-Bold"),
                ("FONTSIZE", (0, 0), (-1, -1), 9),
                ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#dde6ee")),
                ("ALIGN", (1, 1), (-1, -1), "RIGHT"),
                ("GRID", (0, 0), (-1, -1), 0.4, colors.grey),
                ("FONTNAME", (0, -1), (-1, -1), "Helvetica-Bold"),
            ]
        )
    )
    story += [
        table,
        Spacer(1, 2 * mm),
        Paragraph(
            "* Production quota; does not include undocumented production. "
            "+ Estimated by USGS from China's reported import data. "
            "n/a = not available. Shares are our calculation from the USGS figures.",
            small,
        ),
        Spacer(1, 5 * mm),
        Paragraph("Table 2. Annual average prices, US dollars per kilogram", styles["Heading3"]),
    ]

    price_data = [["Product", "2020", "2021", "2022", "2023", "2024"]]
    price_data += [[name, *[_fmt(v) for v in values]] for name, *values in PRICE_ROWS]
    price_table = Table(price_data, colWidths=[58 * mm] + [22 * mm] * 5)
    price_table.setStyle(
        TableStyle(
            [
                ("FONTNAME", (0, 0), (-1, 0), "Helvetica-Bold"),
                ("FONTSIZE", (0, 0), (-1, -1), 9),
                ("ALIGN", (1, 1), (-1, -1), "RIGHT"),
                ("GRID", (0, 0), (-1, -1), 0.4, colors.grey),
            ]
        )
    )
    story += [
        price_table,
        Spacer(1, 2 * mm),
        Paragraph("Prices as reported by USGS from Argus Media.", small),
        Spacer(1, 5 * mm),
        Paragraph("Notes for analysts", styles["Heading2"]),
        Paragraph(
            "Several producers in the table are not measured directly: USGS estimates their output "
            "from the rare earth imports that China reports. Those countries ship most of their "
            "concentrate to China for separation, which is itself a sign of China's dominance of the "
            "processing stage.",
            body,
        ),
        Paragraph(
            "The United States is the second-largest producer by mine output but, according to the "
            "same USGS chapter, was still 80% net import reliant for rare earth compounds and metals "
            "in 2024. The leading domestic end use was catalysts.",
            body,
        ),
        Paragraph(
            "Neodymium oxide averaged 56 US dollars per kilogram in 2024, well below the peak annual "
            "average of 134 dollars in 2022.",
            body,
        ),
    ]
    doc.build(story)


def _deterministic_zip(raw: bytes) -> bytes:
    """Rewrite a zip archive with fixed entry timestamps and a stable entry order."""
    src = zipfile.ZipFile(io.BytesIO(raw))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            fixed = zipfile.ZipInfo(info.filename, date_time=(2025, 9, 15, 0, 0, 0))
            fixed.compress_type = zipfile.ZIP_DEFLATED
            fixed.external_attr = 0o644 << 16
            dst.writestr(fixed, src.read(info.filename))
    return out.getvalue()


def build_docx(path: Path) -> None:
    from docx import Document

    doc = Document()
    props = doc.core_properties
    props.title = "The environmental costs of rare earth processing"
    props.author = "Rare-Earth Insights sample desk"
    props.subject = "Environmental brief"
    props.keywords = "rare earths; tailings; thorium; ionic clay; Baotou; Lynas"
    props.created = datetime(2025, 9, 15, 9, 0, 0)
    props.modified = datetime(2025, 9, 15, 9, 0, 0)
    props.last_modified_by = "Rare-Earth Insights sample desk"
    props.revision = 1

    doc.add_heading("The environmental costs of rare earth processing", level=0)
    doc.add_paragraph("Date: 2025-09-15")
    doc.add_paragraph(
        "Sources: BBC Future (2015) on the Baotou tailings lake; Global Witness, \"Myanmar's "
        'poisoned mountains" (2022); USGS Mineral Commodity Summaries 2025; public reporting on '
        "Lynas Malaysia and Mountain Pass."
    )

    doc.add_heading("Summary", level=1)
    doc.add_paragraph(
        "Rare earths are not especially rare, but separating them cleanly is expensive. Much of "
        "China's cost advantage over the past three decades came from tolerating pollution that "
        "other countries would not accept. Any analysis of new capacity outside China has to price "
        "in the environmental controls that China's early industry did without."
    )

    doc.add_heading("Baotou: the tailings lake", level=1)
    doc.add_paragraph(
        "West of Baotou, in Inner Mongolia, lies a large tailings impoundment that receives waste "
        "from processing Bayan Obo ore. It became a symbol of the industry's environmental cost "
        "after a widely read BBC Future article in 2015 called it a dystopian lake. Residents of "
        "nearby villages have reported contaminated groundwater and damaged crops."
    )
    doc.add_paragraph(
        "The lake holds acidic process water, fluorides and thorium-bearing residues. Because "
        "Bayan Obo ore contains thorium, its waste is mildly radioactive, and long-term seepage "
        "into groundwater and the Yellow River basin has been a recurring concern."
    )

    doc.add_heading("Thorium and radioactivity", level=1)
    doc.add_paragraph(
        "Monazite, one of the two main rare earth minerals at Bayan Obo and the feed for projects "
        "such as Iluka's Eneabba refinery and Energy Fuels' White Mesa Mill, contains thorium. Any "
        "plant that cracks monazite produces radioactive residues that must be stored for the long "
        "term. The United States tax code recognises the link: USGS lists a depletion allowance for "
        "monazite of 22% on thorium content and 14% on rare earth content."
    )

    doc.add_heading("Southern China and Myanmar: ionic clays", level=1)
    doc.add_paragraph(
        "The heavy rare earths dysprosium and terbium come mostly from ionic-clay deposits in "
        "southern China (for example around Ganzhou in Jiangxi province) and in Kachin State in "
        "Myanmar. They are extracted by leaching: an ammonium sulfate solution is pumped into the "
        "hillside or poured over excavated clay to wash out the rare earths. Ammonium and sulfate "
        "escape into streams and groundwater, and leached slopes are prone to landslides. China "
        "has closed many illegal operations; much of the activity moved across the border into "
        "Myanmar."
    )

    doc.add_heading("Outside China", level=1)
    doc.add_paragraph(
        "Lynas' plant at Kuantan in Malaysia faced years of protests over the storage of its "
        "radioactive water leach purification residue. The Malaysian government made licence "
        "renewal conditional on moving the cracking and leaching step out of the country, which "
        "Lynas did by building its Kalgoorlie plant in Western Australia."
    )
    doc.add_paragraph(
        "In California, leaks from a wastewater pipeline at Mountain Pass in the 1990s, under a "
        "previous owner, contributed to a long shutdown; mining stopped in 2002. The site was later "
        "restarted and is now operated by MP Materials."
    )

    doc.add_heading("Risk matrix by processing stage", level=1)
    rows = [
        ("Stage", "Main waste streams", "Key risk"),
        (
            "Mining of hard rock (Bayan Obo, Mountain Pass)",
            "waste rock, tailings",
            "dust, land use",
        ),
        (
            "In-situ leaching of ionic clays",
            "ammonium sulfate leachate",
            "water pollution, landslides",
        ),
        ("Cracking and leaching of concentrate", "thorium-bearing residues", "radioactivity"),
        ("Solvent extraction separation", "acidic effluent, spent solvents", "chemical discharge"),
    ]
    table = doc.add_table(rows=len(rows), cols=3)
    table.style = "Table Grid"
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            table.cell(r, c).text = value

    doc.add_heading("What it means for investors", level=1)
    doc.add_paragraph(
        "Higher environmental standards are a large part of why Western producers need price "
        "support such as the 110 US dollars per kilogram NdPr floor agreed between MP Materials and "
        "the US Department of Defense in July 2025. Projects that can show credible waste handling, "
        "especially for thorium, will find permitting and offtake easier."
    )

    buffer = io.BytesIO()
    doc.save(buffer)
    path.write_bytes(_deterministic_zip(buffer.getvalue()))


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    out_dir = Path(args[0]) if args else Path(__file__).resolve().parent
    out_dir.mkdir(parents=True, exist_ok=True)
    build_pdf(out_dir / PDF_NAME)
    build_docx(out_dir / DOCX_NAME)
    print(f"wrote {out_dir / PDF_NAME}")
    print(f"wrote {out_dir / DOCX_NAME}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
