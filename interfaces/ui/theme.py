"""Look and feel: a calm, dense layout for analysts, with bundled fonts only.

Gradio's themes use fonts shipped inside the gradio wheel (`LocalFont`), never Google Fonts, so
the page loads with no network. Gradio 6 takes theme and CSS in `launch()`, not in `Blocks()`;
`app.py` injects these as launch defaults so that `create_app().launch()` always looks right.
"""

from __future__ import annotations

from typing import Any

CSS = """
.gradio-container { max-width: 1280px !important; margin: 0 auto !important; }
#ree-header { display: flex; align-items: center; justify-content: space-between; gap: 16px;
  padding: 14px 18px; border-radius: 12px; margin-bottom: 4px;
  background: linear-gradient(100deg, #0f3d3e 0%, #14595b 55%, #1d7a6f 100%); color: #fff; }
#ree-header .ree-brand { display: flex; align-items: center; gap: 14px; }
#ree-header .ree-logo { font-weight: 700; font-size: 15px; letter-spacing: 1px; padding: 8px 9px;
  border-radius: 8px; background: rgba(255,255,255,.14); border: 1px solid rgba(255,255,255,.3);
  color: #fff; }
#ree-header h1 { margin: 0; font-size: 22px; line-height: 1.2; color: #fff; }
#ree-header p { margin: 2px 0 0; font-size: 13.5px; opacity: .88; color: #e6f2f0; }
#ree-stats { text-align: right; font-size: 13px; opacity: .95; white-space: nowrap; }
#ree-stats p { color: #e6f2f0 !important; margin: 0; }
#ree-options { border-radius: 12px; }
#ree-options .ree-help, .ree-help p { font-size: 12.5px; color: var(--body-text-color-subdued); }
.ree-small, .ree-small p { font-size: 12.5px !important; color: var(--body-text-color-subdued); }
#ree-chat .message-wrap .message { font-size: 15px; line-height: 1.55; }
#ree-chat blockquote { margin: 4px 0 4px 2px; padding: 2px 10px; font-style: italic;
  border-left: 3px solid #1d7a6f; color: var(--body-text-color); }
#ree-ask { min-width: 96px; }
#ree-library-table * { font-family: var(--font) !important; }
#ree-library-table .virtual-row { font-size: 13.5px; }
#ree-upload-status, #ree-remove-status { min-height: 8px; }
footer { opacity: .6; }
"""


def build_theme() -> Any:
    import gradio as gr

    plex = gr.themes.LocalFont("IBM Plex Sans", weights=(400, 600))
    return gr.themes.Default(
        primary_hue=gr.themes.colors.teal,
        secondary_hue=gr.themes.colors.emerald,
        neutral_hue=gr.themes.colors.slate,
        radius_size=gr.themes.sizes.radius_md,
        text_size=gr.themes.sizes.text_md,
        font=(plex, "ui-sans-serif", "system-ui", "sans-serif"),
    ).set(
        button_primary_background_fill="#14595b",
        button_primary_background_fill_hover="#0f3d3e",
        button_primary_text_color="#ffffff",
    )


def header_html() -> str:
    return (
        '<div class="ree-brand"><span class="ree-logo">REE</span><div>'
        "<h1>Rare-Earth Insights</h1>"
        "<p>Cited answers from your rare-earth and critical-minerals library. Every sentence is "
        "checked against the passage it cites; when your documents do not answer, it says so.</p>"
        "</div></div>"
    )
