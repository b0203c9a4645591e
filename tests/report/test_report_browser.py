"""The built report opened in headless Chromium: every entry visible, the plots actually load.

Needs Debian's ``chromium`` (``/usr/bin/chromium``, installed by the test set-up in CI) and the
Python ``playwright`` package; it skips with the reason when either is absent.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from oracles import oracle

from papercraft.registry import registry

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--disable-quic"]
ENTRY = "rethinking-generalization"  # the entry the fixtures give a result with two plots

pytestmark = pytest.mark.browser


@pytest.fixture()
def shots(tmp_path) -> Path:
    """Where screenshots go: ``$PAPERCRAFT_REPORT_SCREENSHOTS`` to keep them for a look, else a temp dir."""
    path = Path(os.environ.get("PAPERCRAFT_REPORT_SCREENSHOTS") or tmp_path)
    path.mkdir(parents=True, exist_ok=True)
    return path


@pytest.fixture(scope="module")
def browser():
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is absent: install Debian's chromium (apt-get install chromium) to run browser tests")
    sync_api = oracle("playwright.sync_api")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture()
def page(browser):
    context = browser.new_context(viewport={"width": 1200, "height": 900})
    # Offline: any request that leaves file:// fails the page (and the test below checks none was made).
    requests: list[str] = []
    context.on("request", lambda request: requests.append(request.url))
    page = context.new_page()
    page.requests = requests
    yield page
    context.close()


def test_index_shows_every_entry(built_site, page, shots):
    site, _ = built_site
    page.goto((site / "index.html").as_uri())
    shown = page.evaluate(
        "() => Array.from(document.querySelectorAll('a.entry-id'))"
        "         .filter(a => a.checkVisibility() && a.getBoundingClientRect().width > 0)"
        "         .map(a => a.textContent.trim())"
    )
    assert shown == registry().ids()
    text = page.inner_text("body")
    for entry_id in registry().ids():
        assert entry_id in text
    assert page.title() == "catalogue · papercraft"
    # The stylesheet loaded (it gives the header a background), from the site itself.
    assert page.evaluate("() => document.styleSheets.length") == 1
    assert page.evaluate("() => getComputedStyle(document.querySelector('.site-header')).backgroundColor") \
        == "rgb(246, 247, 249)"
    page.screenshot(path=str(shots / "index.png"), full_page=False)
    assert (shots / "index.png").stat().st_size > 10_000
    assert all(url.startswith("file://") for url in page.requests), page.requests


def test_entry_page_shows_its_plots(built_site, page, shots):
    site, _ = built_site
    page.goto((site / "entries" / f"{ENTRY}.html").as_uri())
    page.wait_for_load_state("load")
    images = page.evaluate(
        "() => Array.from(document.images).map(i => ({src: i.src, ok: i.complete && i.naturalWidth > 0}))"
    )
    assert len(images) == 2
    assert all(image["ok"] for image in images), images
    captions = page.locator("figcaption").all_inner_texts()
    assert "Training loss per corruption type (paper Fig. 1a)" in captions
    assert page.locator("h1").inner_text() == registry().get(ENTRY).title
    page.screenshot(path=str(shots / "entry.png"), full_page=True)
    assert all(url.startswith("file://") for url in page.requests), page.requests
