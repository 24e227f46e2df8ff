"""The chat UI in a real Chromium (Playwright + Debian's /usr/bin/chromium): what an analyst sees.

Loads the page, asks a question and sees the answer with its sources, switches to In-Depth
Insights and asks again, uploads a Markdown note and finds it in the Library table. Screenshots go
to test-output/ui/ (gitignored) for a human look. Every request the page makes must stay on the
local server: anything else is aborted and fails the test (the UI must work offline).

The LLM is a fake whose replies are written against the evidence the engine really shows: a
brief answer (computed first with the same deterministic retrieval), then, for each In-Depth
Insights section, bullets built from that section's own sources with one wrong citation and one
invented sentence, so the page shows the verifier removing and repairing.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from langchain_core.messages import BaseMessage
from test_ingest_support import pipeline_embedder
from test_ui import PRICE_Q, RunningApp, build_engine

from fakes import _SOURCE, _StreamingFake
from rag.engine import Engine

expect = pytest.importorskip("playwright.sync_api", reason="needs playwright (dev extra)").expect

CHROMIUM = Path("/usr/bin/chromium")
SHOTS = Path(__file__).resolve().parents[1] / "test-output" / "ui"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
    "--disable-quic",
]
ANSWER_TIMEOUT = 120_000  # ms: two shared cores, verification embeds every sentence
INSIGHTS_Q = "What are China's rare earth export controls since 2023?"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not CHROMIUM.exists(),
        reason="needs Debian's chromium at /usr/bin/chromium "
        "(`make browser` or `apt-get install chromium`)",
    ),
]


@pytest.fixture(scope="module")
def running(
    tmp_path_factory: pytest.TempPathFactory, embedder_home: Path, embedder
) -> Iterator[RunningApp]:  # noqa: ANN001
    pipeline_embedder(embedder_home)
    # evidence_tokens: the brief reply is written against the evidence of this budget
    probe: Engine = build_engine(
        tmp_path_factory.mktemp("ui-browser-home"), embedder, condense="rules", evidence_tokens=700
    )
    model = FlawedInsightsModel(brief=brief_reply(probe))
    engine = Engine(probe.settings, index=probe.index, embedder=embedder, model=model)
    server = RunningApp(engine)
    yield server
    server.close()


def evidence(engine: Engine, question: str) -> dict[int, str]:
    hits = engine.retrieve(question).hits
    return {p.n: p.text for p in engine.evidence(question, hits)}


def passage_with(ev: dict[int, str], needle: str) -> int:
    return next(n for n, text in ev.items() if needle in text)


def brief_reply(engine: Engine) -> str:
    ev = evidence(engine, PRICE_Q)
    n = passage_with(ev, "$110")
    sentence = next(s for s in re.split(r"(?<=[.!?])\s+", ev[n]) if "$110" in s)
    return f"{sentence.rstrip('.')} [{n}]."


#: The model's heading for each lens (keyed by a word of the lens's focus).
HEADINGS = {
    "strategic": "How far did the controls reach?",
    "market": "What do the controls mean for magnet buyers?",
    "investors": "What should investors weigh after the controls?",
}
#: A sentence no passage supports, with a date no passage holds: the verifier must remove it.
INVENTED = "China banned all rare earth exports to Europe from 1 January 2026"


class FlawedInsightsModel(_StreamingFake):
    """Brief prompts get `brief`; each In-Depth Insights section prompt gets a section written
    against the sources in that prompt: one well-cited bullet, one bullet citing the wrong
    source (when the section has two), and one invented bullet, so the page shows the verifier
    removing and repairing."""

    brief: str

    @property
    def _llm_type(self) -> str:
        return "flawed-insights-fake"

    def reply(self, messages: list[BaseMessage]) -> str:
        prompt = str(messages[-1].content)
        if "\nAngle: " not in prompt:
            return self.brief
        focus = re.findall(r"^Angle: (.*)$", prompt, re.M)[-1]
        heading = next((h for word, h in HEADINGS.items() if word in focus), "What else?")
        sources = [(int(n), _first_sentence(body)) for n, body in _SOURCE.findall(prompt)]
        sources = [(n, s) for n, s in sources if s]
        (first, good), *rest = sources
        bullets = [f"- **Main point**: {good} [{first}]."]
        if rest:
            bullets.append(f"- **Wrong source**: {rest[0][1]} [{first}].")
        bullets.append(f"- **Invented**: {INVENTED} [{first}].")
        return f"### {heading}\n" + "\n".join(bullets)


def _first_sentence(body: str) -> str:
    """The first sentence of a source long enough to be a claim, without its full stop."""
    for sentence in re.split(r"(?<=[.!?])\s+|\n", body):
        sentence = sentence.strip(" .-")
        if len(sentence) > 40 and not sentence.startswith(("...", "|", "#")):
            return sentence
    return ""


@pytest.fixture
def page(running: RunningApp) -> Iterator:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.set_default_timeout(60_000)
        outside: list[str] = []

        def only_local(route) -> None:  # noqa: ANN001
            url = route.request.url
            if url.startswith((running.url, "data:", "blob:")):
                route.continue_()
            else:
                outside.append(url)
                route.abort()

        page.route("**/*", only_local)
        page.outside_requests = outside
        try:
            yield page
        finally:
            browser.close()


def ask(page, question: str, expected_sources: int) -> None:  # noqa: ANN001
    """Ask, wait for the answer's sources box, and check that a spinner box came first."""
    page.evaluate(WATCH_PENDING)
    box = page.locator("#ree-question textarea")
    box.fill(question)
    box.press("Enter")
    wait_for_answer(page, expected_sources)


def wait_for_answer(page, expected_sources: int) -> None:  # noqa: ANN001
    """Wait until `expected_sources` answers show their sources box (after WATCH_PENDING)."""
    try:
        page.wait_for_function(
            """n => [...document.querySelectorAll('#ree-chat *')]
                   .filter(e => e.children.length === 0
                                && /^Sources \\(\\d+\\)$/.test(e.textContent.trim()))
                   .length >= n""",
            arg=expected_sources,
            timeout=ANSWER_TIMEOUT,
        )
    except Exception:
        page.screenshot(path=str(SHOTS / "failure.png"), full_page=True)
        raise
    # streaming: the "Searching your documents" spinner showed before the verified answer
    assert page.evaluate("window.__reeSawPending === true")
    page.wait_for_timeout(500)  # let the last render settle before looking


#: Records (in the page) whether the pending spinner box was ever rendered: a MutationObserver
#: sees it however briefly it shows, where polling from the test could miss it.
WATCH_PENDING = """() => {
    window.__reeSawPending = false;
    if (window.__reeObserver) window.__reeObserver.disconnect();
    const chat = document.querySelector('#ree-chat');
    window.__reeObserver = new MutationObserver(() => {
        if (chat.textContent.includes('Searching your documents')) window.__reeSawPending = true;
    });
    window.__reeObserver.observe(chat, {subtree: true, childList: true, characterData: true});
}"""


def scroll_to_top_of_chat(page, element) -> None:  # noqa: ANN001
    """Scroll the chat panel (not the page) so that `element` sits near its top."""
    page.wait_for_timeout(1000)  # let an opening box finish its animation first
    element.evaluate("""e => {
        let p = e.parentElement;
        while (p && !(p.scrollHeight > p.clientHeight
                      && /(auto|scroll)/.test(getComputedStyle(p).overflowY))) p = p.parentElement;
        if (p) p.scrollTop += e.getBoundingClientRect().top - p.getBoundingClientRect().top - 8;
    }""")
    page.evaluate("window.scrollTo(0, 0)")
    page.wait_for_timeout(300)


def test_chat_insights_and_library_in_a_browser(
    running: RunningApp,
    page,  # noqa: ANN001
    tmp_path: Path,
) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.goto(running.url, wait_until="domcontentloaded")
    page.wait_for_selector("#ree-question textarea")
    page.locator("#ree-stats").get_by_text(re.compile(r"\d+ documents")).wait_for()
    chat = page.locator("#ree-chat")
    expect(chat.get_by_text("In-Depth Insights · What are China's")).to_be_visible()  # examples
    page.screenshot(path=str(SHOTS / "welcome.png"), full_page=True)

    # 1. a brief answer, streamed, with its sources and the quoted supporting sentence
    ask(page, PRICE_Q, expected_sources=1)
    expect(chat.get_by_text(re.compile(r"\$110")).first).to_be_visible()
    expect(chat.locator("blockquote").first).to_be_visible()  # the quoted supporting sentence
    expect(chat.get_by_text(re.compile(r"Verified|Verification")).first).to_be_visible()
    expect(chat.get_by_text(re.compile(r"retrieval [\d.]+ s")).first).to_be_visible()  # timings
    page.screenshot(path=str(SHOTS / "chat.png"), full_page=True)

    # 2. switch to In-Depth Insights and ask again (a second turn in the same conversation)
    page.locator("#ree-options").get_by_text("In-Depth Insights", exact=True).click()
    expect(page.locator("#ree-options input[value='insights']")).to_be_checked()
    ask(page, INSIGHTS_Q, expected_sources=2)
    heading = chat.get_by_text("How far did the controls reach?")  # an insights section
    expect(heading).to_be_visible()
    expect(chat.get_by_text(PRICE_Q)).to_have_count(1)  # the first turn is still there
    scroll_to_top_of_chat(page, heading)
    page.screenshot(path=str(SHOTS / "insights.png"), full_page=True)

    # 3. the verification box: what was removed or repaired, and why
    outcome = chat.get_by_text(
        re.compile(r"Verification: \d+ unsupported sentences? removed, \d+ citations? repaired")
    ).first
    outcome.click()  # open the box: the removed claims are listed with the reason
    removed = chat.get_by_text(re.compile(INVENTED)).first
    removed.wait_for()
    expect(chat.get_by_text(re.compile(r"figure\(s\) not in cited")).first).to_be_visible()
    scroll_to_top_of_chat(page, outcome)
    page.screenshot(path=str(SHOTS / "verification.png"), full_page=True)

    # 4. upload a note in the Library tab and find it in the table
    note = tmp_path / "Tungsten supply note.md"
    note.write_text(
        "---\ntitle: Tungsten supply note for magnet buyers\ndate: 2025-10-02\n---\n\n"
        "# Tungsten supply note for magnet buyers\n\nChina added tungsten to its export "
        "control list in February 2025, and European buyers reported longer lead "
        "times for tungsten carbide tooling.\n",
        encoding="utf-8",
    )
    page.get_by_role("tab", name="Library").click()
    table = page.locator("#ree-library-table")
    table.get_by_text("MP Materials and the Pentagon", exact=False).first.wait_for()
    page.locator("#ree-upload input[type=file]").set_input_files(str(note))
    page.locator("#ree-upload").get_by_text("Tungsten-supply-note.md").or_(
        page.locator("#ree-upload").get_by_text("Tungsten supply note.md")
    ).first.wait_for()
    page.locator("#ree-add").click()
    page.locator("#ree-upload-status").get_by_text("Added to the library").wait_for(
        timeout=ANSWER_TIMEOUT
    )
    table.get_by_text("Tungsten supply note for magnet buyers").first.wait_for()
    assert any(
        d.title == "Tungsten supply note for magnet buyers"
        for d in running.engine.index.documents()
    )
    page.wait_for_timeout(300)
    page.screenshot(path=str(SHOTS / "library.png"), full_page=True)

    # 5. click its row to select it, remove it, and the table follows
    chosen = page.locator("#ree-remove-select").get_by_text("Tungsten supply note")
    for _ in range(5):  # a click that lands while the table re-renders selects nothing: retry
        table.get_by_text("Tungsten supply note for magnet buyers").first.click()
        try:
            chosen.wait_for(timeout=6_000)
            break
        except Exception:  # noqa: BLE001 (checked by the final wait below)
            continue
    chosen.wait_for(timeout=1_000)
    page.locator("#ree-remove").click()
    page.locator("#ree-remove-status").get_by_text("Removed 1 document").wait_for()
    expect(table.get_by_text("Tungsten supply note for magnet buyers")).to_have_count(0)
    assert not any(d.title.startswith("Tungsten") for d in running.engine.index.documents())

    # 6. a first-time user's path: an example card asks at once (this one switches the mode)
    page.get_by_role("tab", name="Chat").click()
    page.get_by_role("button", name="New conversation").click()
    page.locator("#ree-options").get_by_text("Brief", exact=True).click()
    card = chat.get_by_text("In-Depth Insights · What are China's")
    expect(card).to_be_visible()
    page.evaluate(WATCH_PENDING)
    card.click()
    wait_for_answer(page, 1)
    expect(page.locator("#ree-options input[value='insights']")).to_be_checked()
    expect(chat.get_by_text(INSIGHTS_Q, exact=True)).to_be_visible()

    assert page.outside_requests == [], page.outside_requests  # nothing left the machine
