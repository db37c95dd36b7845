"""A person's view: headless Chromium searches the practices table for 物业 and sees 红色物业.

Uses Debian's chromium (``make browser`` installs it), never a browser playwright downloads.
"""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from .conftest import REPO, free_port
from .test_datasette import build_catalogue, running, serve_command

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
SCREENSHOTS = REPO / "outputs" / "screenshots"

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(not CHROMIUM.exists(), reason="no /usr/bin/chromium (make browser installs it)")]


@pytest.fixture
def page():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            # Map tiles and CDN scripts are out of reach offline; fail them fast instead of waiting.
            page.route("**/*", lambda route: route.abort() if not route.request.url.startswith("http://127.0.0.1")
                       else route.continue_())
            yield page
        finally:
            browser.close()


def _screenshot(page, tmp_path: Path, name: str) -> Path:
    shot = tmp_path / name
    page.screenshot(path=str(shot), full_page=True)
    try:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        shutil.copy(shot, SCREENSHOTS / name)
    except OSError:
        pass  # a read-only checkout: the copy under tmp_path is enough
    return shot


def test_search_box_finds_red_property_management(tmp_path, page):
    db = tmp_path / "catalogue.db"
    build_catalogue(db)
    port = free_port()
    with running(serve_command(db, port), port) as (base, _):
        page.goto(f"{base}/{db.stem}/practices", wait_until="domcontentloaded")
        box = page.locator("input#_search")
        box.fill("物业")
        box.press("Enter")
        page.wait_for_url("**_search=*")
        page.wait_for_selector("table.rows-and-columns")
        names = page.locator("table.rows-and-columns td.col-name").all_inner_texts()
        assert names == ["红色物业"]
        assert page.locator("input#_search").input_value() == "物业"
        assert page.get_by_text("1 row where search matches").count() == 1
        shot = _screenshot(page, tmp_path, "practices_search_wuye.png")
    assert shot.stat().st_size > 10_000


def test_highlighted_document_view(tmp_path, page):
    db = tmp_path / "catalogue.db"
    ids = build_catalogue(db)
    port = free_port()
    with running(serve_command(db, port), port) as (base, _):
        page.goto(f"{base}/{db.stem}/-/document/{ids['a.txt']}", wait_until="domcontentloaded")
        assert page.locator("mark.jy-mechanism").all_inner_texts() == ["红色物业"]
        assert page.locator("mark.jy-fact").all_inner_texts() == ["12个"]
        _screenshot(page, tmp_path, "document_view.png")
