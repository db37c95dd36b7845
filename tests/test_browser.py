"""A person's view, in headless Chromium: search, the highlighted document, the layout of a
table page at 1280×800, the map offline and the document picker.

Uses Debian's chromium (``make browser`` installs it), never a browser playwright downloads.
Without it the tests are skipped on a developer's machine; under ``CI=true`` they run and
fail instead, so a CI run never passes by skipping them.
"""
from __future__ import annotations

import base64
import dataclasses
import json
import os
import shutil
from pathlib import Path

import pytest

from pipeline.catalogue import Catalogue
from pipeline.records import Extraction, Fact, Locality

from .conftest import REPO, free_port
from .test_datasette import (GULOU, NINGHAILU, SHANGCHENG, TEXTS, _document, build_catalogue, running,
                             serve_command)

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
SCREENSHOTS = REPO / "outputs" / "screenshots"
PROVINCES = REPO / "pipeline" / "static" / "china_provinces.geojson"
IN_CI = os.environ.get("CI", "").lower() not in ("", "0", "false", "no")
VIEWPORT = {"width": 1280, "height": 800}  # a laptop screen: what "without scrolling" means here

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(not CHROMIUM.exists() and not IN_CI,
                                 reason="no /usr/bin/chromium (make browser installs it); under CI=true this fails")]


@pytest.fixture
def page():
    if not CHROMIUM.exists():
        pytest.fail("CI=true and no /usr/bin/chromium: the browser tests must run in CI (make browser installs it)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport=VIEWPORT)
            # Offline, as on a machine without a network: map tiles and anything not served by
            # the catalogue fail at once.
            page.route("**/*", lambda route: route.abort() if not route.request.url.startswith("http://127.0.0.1")
                       else route.continue_())
            yield page
        finally:
            browser.close()


def _screenshot(page, tmp_path: Path, name: str, full_page: bool = True) -> Path:
    shot = tmp_path / name
    page.screenshot(path=str(shot), full_page=full_page)
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


# -- a table page leads with its rows --------------------------------------------------------------
UNITS = ["个", "名", "家", "项", "%", "人", "场", "元", "所", "年", "次", "支", "户", "条"]


def crowd_facets(db: Path) -> None:
    """Add a document whose figures fill every facet of facts with more values than it shows:
    fourteen units, fourteen localities with long paths, every qualifier."""
    text = "".join(f"第{i}类指标为{i + 2}{unit}。" for i, unit in enumerate(UNITS))
    doc = dataclasses.replace(_document("c.txt"), source_name="crowded.txt", path="tests/crowded.txt",
                              sha256="c" * 64, file_sha256="c" * 64, text=text, title="多项指标")
    facts, pos = [], 0
    for i, unit in enumerate(UNITS):
        figure = f"{i + 2}{unit}"
        start = text.index(figure, pos)
        pos = start + len(figure)
        place = Locality(f"第{i}个很长名字的社区居民委员会", "community", "", NINGHAILU if i % 2 else GULOU,
                         32.06, 118.77, approximate=True)
        facts.append(Fact(start, pos, figure, i + 2, unit, subject=f"第{i}类指标",
                          qualifier=["", "approx", "more_than", "less_than", "at_least"][i % 5],
                          sentence_start=text.rfind("。", 0, start) + 1, sentence_end=text.index("。", start) + 1,
                          locality=place, rule="TEST-F"))
    with Catalogue(db) as catalogue:
        run_id = catalogue.start_run(["tests"], {})
        catalogue.write(Extraction(doc, facts=facts, document_locality=SHANGCHENG), run_id)


def test_facts_page_shows_its_first_row_without_scrolling(tmp_path, page):
    db = tmp_path / "catalogue.db"
    build_catalogue(db)
    crowd_facets(db)
    port = free_port()
    with running(serve_command(db, port), port) as (base, _):
        page.goto(f"{base}/{db.stem}/facts", wait_until="load")
        unit_facet = page.locator(".facet-info[data-column=unit] li")
        assert unit_facet.count() == len(UNITS)  # 个 of the three test documents among them
        first_row = page.locator("table.rows-and-columns tbody tr").first
        _screenshot(page, tmp_path, "facts_first_screen.png", full_page=False)
        # its first cell's link, the fact id, wholly on the first screen
        page.wait_for_function("() => { const a = document.querySelector('table.rows-and-columns tbody tr td a');"
                               "  const r = a.getBoundingClientRect(); return r.top >= 0 && r.bottom <= innerHeight; }",
                               timeout=5_000)
        assert first_row.bounding_box()["y"] < VIEWPORT["height"] - 40
        # the column descriptions are there, folded
        folded = page.locator("details.jy-column-descriptions")
        assert folded.count() == 1 and folded.get_attribute("open") is None
        assert page.locator("dl.column-descriptions").count() == 1  # Datasette's own list is gone
        assert not page.locator("dl.column-descriptions dd").first.is_visible()
        folded.locator("summary").click()
        assert page.locator("dl.column-descriptions dt", has_text="qualifier").is_visible()
        assert "qualifier" in page.locator("dl.column-descriptions").inner_text()


# -- the map, offline --------------------------------------------------------------------------------
PIXEL_SUMMARY = """async (png) => {
  const img = new Image();
  img.src = "data:image/png;base64," + png;
  await img.decode();
  const canvas = document.createElement("canvas");
  canvas.width = img.width; canvas.height = img.height;
  const context = canvas.getContext("2d");
  context.drawImage(img, 0, 0);
  const data = context.getImageData(0, 0, img.width, img.height).data;
  const counts = {};
  for (let i = 0; i < data.length; i += 4) {
    const key = data[i] + "," + data[i + 1] + "," + data[i + 2];
    counts[key] = (counts[key] || 0) + 1;
  }
  return {pixels: data.length / 4, counts: counts};
}"""
LEAFLET_GREY = "221,221,221"  # the background of a Leaflet map with no layer drawn (#ddd)


def test_map_draws_province_outlines_offline(tmp_path, page):
    db = tmp_path / "catalogue.db"
    build_catalogue(db)
    port = free_port()
    provinces = len(json.loads(PROVINCES.read_text(encoding="utf-8"))["features"])
    with running(serve_command(db, port), port) as (base, _):
        page.goto(f"{base}/{db.stem}/localities", wait_until="load")
        page.wait_for_function(f"() => document.querySelectorAll('.jy-map path').length >= {provinces}",
                               timeout=15_000)
        page.wait_for_selector(".leaflet-marker-icon")
        page.wait_for_timeout(500)  # the marker-cluster animation
        map_box = page.locator(".leaflet-container")
        map_box.scroll_into_view_if_needed()
        shot = tmp_path / "map_offline.png"
        map_box.screenshot(path=str(shot))
        _screenshot(page, tmp_path, "localities_with_map.png")

        summary = page.evaluate(PIXEL_SUMMARY, base64.b64encode(shot.read_bytes()).decode())
        shares = sorted((n / summary["pixels"] for n in summary["counts"].values()), reverse=True)
        assert summary["counts"].get(LEAFLET_GREY, 0) / summary["pixels"] < 0.05, "markers on grey"
        assert shares[0] < 0.9 and shares[1] > 0.05, "one flat colour: no land and sea drawn"

        # Every marker or cluster is wholly inside the map, none cut off at an edge.
        frame = map_box.bounding_box()
        icons = page.locator(".leaflet-marker-icon")
        assert icons.count() >= 1
        for i in range(icons.count()):
            icon = icons.nth(i).bounding_box()
            assert frame["x"] <= icon["x"] and icon["x"] + icon["width"] <= frame["x"] + frame["width"]
            assert frame["y"] <= icon["y"] and icon["y"] + icon["height"] <= frame["y"] + frame["height"]


# -- the document picker -----------------------------------------------------------------------------
def test_document_picker_runs_the_query_for_the_chosen_title(tmp_path, page):
    db = tmp_path / "catalogue.db"
    ids = build_catalogue(db)
    port = free_port()
    with running(serve_command(db, port), port) as (base, _):
        page.goto(f"{base}/{db.stem}/document_extractions", wait_until="load")
        picker = page.locator("form.sql select[name=document_id]")
        assert picker.is_visible()
        assert page.locator("form.sql input[name=document_id]").count() == 0  # no box for a pasted id
        labels = picker.locator("option").all_inner_texts()
        assert labels[1:] == sorted(f"{title} · 测试报 · 2024-05-01" for title, _ in TEXTS.values())
        picker.select_option(label=f"{TEXTS['a.txt'][0]} · 测试报 · 2024-05-01")
        page.locator("form.sql input[type=submit]").click()
        page.wait_for_url(f"**document_id={ids['a.txt']}*")
        kinds = page.locator("table.rows-and-columns td.col-kind").all_inner_texts()
        assert kinds == ["place", "practice", "figure"]
        # the chosen document stays chosen
        assert page.locator("form.sql select[name=document_id]").input_value() == ids["a.txt"]
        _screenshot(page, tmp_path, "document_picker.png")


# -- how practices spread (issue 24): a family's page, from practice_families and its picker ----------
def test_family_page_shows_its_places_on_the_map_and_first_reports_by_year(tmp_path, page):
    from .test_families import build

    db = tmp_path / "catalogue.db"
    build(db, tmp_path / "articles", tmp_path / "annotations")
    port = free_port()
    with running(serve_command(db, port), port) as (base, _):
        page.goto(f"{base}/{db.stem}/practice_families", wait_until="load")
        families = page.locator("table.rows-and-columns td.col-family").all_inner_texts()
        assert families[0] == "红色物业" and "红色管家" in families  # 红色管家 apart
        page.locator("table.rows-and-columns tbody tr").first.get_by_text("where it spread").click()
        page.wait_for_url("**/practice_spread_of_family?family_id=*")
        # the family's page: its places on the offline map, first report per locality by year
        page.wait_for_function("() => document.querySelectorAll('.jy-map path').length > 10", timeout=15_000)
        page.wait_for_selector(".leaflet-marker-icon")
        assert page.locator("table.rows-and-columns td.col-year").all_inner_texts() == ["2019", "2020", "2021"]
        assert page.locator("table.rows-and-columns td.col-province").all_inner_texts() == ["江苏省", "浙江省", "四川省"]
        picker = page.locator("form.sql select[name=family_id]")
        assert picker.is_visible() and page.locator("form.sql input[name=family_id]").count() == 0
        assert picker.locator("option:checked").inner_text().startswith("红色物业 (红色物业联盟)")
        page.wait_for_timeout(500)  # the marker-cluster animation
        _screenshot(page, tmp_path, "practice_family_page.png")
        # the canned query's picker: another family, by name
        picker.select_option(label="1+3+N · 2 localities")
        page.locator("form.sql input[type=submit]").click()
        page.wait_for_url("**family_id=*")
        page.wait_for_selector("table.rows-and-columns")
        assert page.locator("table.rows-and-columns td.col-year").all_inner_texts() == ["2018", "2022"]
        assert page.locator("form.sql select[name=family_id] option:checked").inner_text().startswith("1+3+N")
        _screenshot(page, tmp_path, "practice_spread_picker.png")
