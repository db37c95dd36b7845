"""The catalogue under real use (issue 20, items 1–3): one writer at a time, files gone from a
folder, damaged catalogues refused in one line before any work starts."""
from __future__ import annotations

import hashlib
import json
import random
import re
import sqlite3
import subprocess
import time
from pathlib import Path

import pytest

from pipeline import PIPELINE_VERSION
from pipeline.catalogue import Catalogue, CatalogueFileError, catalogue_file_note

from .conftest import GOLD, JINGYAN, rows, run_cli
from .test_catalogue import TEXT, document, extraction

CITIES = ["南京市鼓楼区", "杭州市西湖区", "成都市武侯区", "武汉市江岸区", "宁波市鄞州区", "青岛市市南区"]


def article(i: int, extra: str = "") -> str:
    """A short report the tests write: a place, a figure and a named practice, each its own."""
    place = CITIES[i % len(CITIES)]
    return (f"{place}推进城市基层党建第{i}篇\n\n"
            f"{place}全区共建立网格党支部{100 + i}个，推行“红色管家{i}号”工作法，"
            f"服务居民{2 + i}万人。{extra}\n")


def write_corpus(folder: Path, numbers) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for i in numbers:
        path = folder / f"report_{i:03d}.txt"
        path.write_text(article(i), encoding="utf-8")
        paths.append(path)
    return paths


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# -- 1. one writer at a time ---------------------------------------------------------------------
@pytest.mark.slow
def test_a_second_run_waits_for_the_first_then_skips_what_it_wrote(tmp_path):
    first_folder, second_folder = tmp_path / "first", tmp_path / "second"
    write_corpus(first_folder, range(20))
    write_corpus(second_folder, range(20, 40))
    db = tmp_path / "c.db"
    lock_file = tmp_path / "c.db.lock"
    args = ["run", "--db", str(db), "--no-progress", "--batch-size", "5", "--commit-size", "5"]
    first = subprocess.Popen([JINGYAN, *args, str(first_folder)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             text=True)
    try:
        deadline = time.time() + 60
        while time.time() < deadline and first.poll() is None:  # the first holds the catalogue
            try:
                if json.loads(lock_file.read_text() or "{}").get("pid") == first.pid:
                    break
            except (OSError, ValueError):
                pass
            time.sleep(0.05)
        assert first.poll() is None, first.communicate()
        # the second is given the first's folder too: what the first wrote, it skips
        second = run_cli(*args, str(first_folder), str(second_folder))
        out, err = first.communicate(timeout=300)
    finally:
        if first.poll() is None:
            first.kill()
            first.wait()
    assert first.returncode == 0, err[-2000:]
    assert second.returncode == 0, second.stderr[-2000:]
    waited = [line for line in second.stderr.splitlines() if line.startswith("waiting for")]
    assert len(waited) == 1, second.stderr[-2000:]
    assert f"pid {first.pid}" in waited[0] and str(db) in waited[0], waited
    assert "database is locked" not in out + err + second.stdout + second.stderr
    assert rows(db, "select count(*) from documents") == [(40,)]
    assert rows(db, "select count(*) from errors") == [(0,)]
    runs = rows(db, "select inputs, processed, skipped, status from runs order by started")
    assert [r[1:] for r in runs] == [(20, 0, "ok"), (20, 20, "ok")], runs


# -- 2. files gone from a folder -----------------------------------------------------------------
def _fact_of(db: Path, name: str) -> str:
    return rows(db, "select f.id from facts f join documents d on d.id = f.document_id "
                    "where d.source_name = ? order by f.start limit 1", [name])[0][0]


@pytest.mark.slow
def test_deleted_renamed_and_edited_files_are_marked_missing_or_pruned(tmp_path):
    folder, elsewhere = tmp_path / "reports", tmp_path / "elsewhere"
    write_corpus(folder, range(5))
    write_corpus(elsewhere, [9])
    db = tmp_path / "c.db"
    args = ["--db", str(db), "--no-progress", "--annotations", str(tmp_path / "no-annotations")]
    assert run_cli("run", str(folder), str(elsewhere), *args).returncode == 0
    deleted_fact = _fact_of(db, "report_000.txt")

    (folder / "report_000.txt").unlink()  # deleted
    (folder / "report_001.txt").rename(folder / "moved_001.txt")  # renamed, same content
    (folder / "report_002.txt").rename(folder / "moved_002.txt")  # renamed, then edited
    (folder / "moved_002.txt").write_text(article(2, "另有志愿者300名。"), encoding="utf-8")
    (elsewhere / "report_009.txt").unlink()  # gone, but its folder is not run: untouched

    result = run_cli("run", str(folder), *args)
    assert result.returncode == 0, result.stderr[-2000:]
    assert "files gone from the folders run: 2 documents kept, marked missing" in result.stdout, result.stdout
    missing = rows(db, "select source_name from documents where missing_since is not null order by 1")
    assert missing == [("report_000.txt",), ("report_002.txt",)]
    assert rows(db, "select paths from documents where source_name = 'report_001.txt'") == \
        [(json.dumps([str(folder / "moved_001.txt")]),)]  # the renamed file: one document, its new path
    cited = run_cli("cite", deleted_fact, "--db", str(db))
    assert cited.returncode == 0, cited.stderr
    assert "the source file is gone" in cited.stdout
    view = rows(db, "select missing_since from citations where fact_id = ?", [deleted_fact])
    assert view and view[0][0]

    pruned = run_cli("run", str(folder), *args, "--prune")
    assert pruned.returncode == 0, pruned.stderr[-2000:]
    assert "2 documents deleted with their facts" in pruned.stdout, pruned.stdout
    # one document per file of the folder, and the other folder's document untouched
    docs = rows(db, "select path, missing_since from documents order by path")
    on_disk = sorted(str(p) for p in folder.iterdir()) + [str(elsewhere / "report_009.txt")]
    assert [d[0] for d in docs] == sorted(on_disk), docs
    assert rows(db, "select count(*) from facts where id = ?", [deleted_fact]) == [(0,)]
    orphans = rows(db, "select (select count(*) from facts where document_id not in (select id from documents)),"
                       " (select count(*) from mechanisms where document_id not in (select id from documents)),"
                       " (select count(*) from locality_mentions where document_id not in (select id from documents)),"
                       " (select count(*) from document_paths where document_id not in (select id from documents))")
    assert orphans == [(0, 0, 0, 0)]
    for table in ("documents", "facts", "mechanisms"):  # the search index holds the rows left, no more
        assert rows(db, f"select (select count(*) from {table}_fts_docsize) - (select count(*) from {table})") == \
            [(0,)], table


def test_a_path_that_does_not_exist_is_an_error_and_marks_nothing(tmp_path):
    folder = tmp_path / "reports"
    write_corpus(folder, range(2))
    db = tmp_path / "c.db"
    with Catalogue(db) as cat:  # a catalogue holding a document of a folder about to be "run" wrong
        cat.write(extraction(document(name="a.txt")), "run1")
    before = sha256(db)
    result = run_cli("run", str(tmp_path / "no-such-folder"), "--db", str(db), "--no-progress")
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [f"Error: no such file or folder: {tmp_path / 'no-such-folder'}"]
    assert sha256(db) == before


def test_a_folder_that_is_not_there_marks_nothing_and_other_folders_are_untouched(tmp_path):
    """The library's own guard (the CLI refuses the path before): only existing folders given
    to the run have files gone from them."""
    from pipeline.batches import let_go_of_gone_files

    with Catalogue(tmp_path / "c.db") as cat:
        cat.write(extraction(document(name="a.txt")), "run1")  # at /in/a.txt, which is not on disk
        other = document(TEXT.replace("895", "896"), "b.txt")
        cat.write(extraction(other), "run1")
        assert let_go_of_gone_files(["/in"], set(), cat) == 0  # /in is not there: nothing gone
        assert let_go_of_gone_files([str(tmp_path)], set(), cat) == 0  # nothing of it catalogued
        assert cat.db.execute("select count(*) from documents where missing_since is not null").fetchone() == (0,)
        moved = str(tmp_path / "a.txt")  # catalogued under tmp_path, and not on disk: gone
        cat.db.execute("update document_paths set path = ? where path = '/in/a.txt'", [moved])
        cat.db.execute("update documents set paths = ?, path = ? where source_name = 'a.txt'",
                       [json.dumps([moved]), moved])
        assert let_go_of_gone_files([str(tmp_path)], set(), cat) == 1
        assert let_go_of_gone_files([str(tmp_path)], set(), cat) == 0  # already missing: not counted again
        assert let_go_of_gone_files([str(tmp_path)], {moved}, cat) == 0  # the file back: no longer missing
        assert cat.db.execute("select missing_since from documents where source_name = 'a.txt'").fetchone() == (None,)
        assert let_go_of_gone_files([str(tmp_path)], set(), cat) == 1
        assert let_go_of_gone_files([str(tmp_path)], set(), cat, prune=True) == 1
        assert cat.db.execute("select source_name from documents").fetchall() == [("b.txt",)]


# -- 3. damaged catalogues ------------------------------------------------------------------------
def _catalogue(path: Path, documents: int = 40) -> Path:
    with Catalogue(path) as cat:
        for i in range(documents):
            body = TEXT + f"第{i}篇。" + "社区党建工作持续推进，服务群众。" * 40
            cat.write(extraction(document(body, f"{i}.txt")), "run1")
    return path


def _text_file(path: Path) -> None:
    path.write_text("这不是数据库\n", encoding="utf-8")


def _truncated_mid_page(path: Path) -> None:
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2 + 100])


def _truncated_at_a_page(path: Path) -> None:
    data = path.read_bytes()
    path.write_bytes(data[: 4096 * (len(data) // 4096 // 2)])


def _pages_overwritten_in_the_middle(path: Path) -> None:
    data = bytearray(path.read_bytes())
    middle = len(data) // 4096 // 2
    data[middle * 4096:(middle + 3) * 4096] = random.Random(20).randbytes(3 * 4096)
    path.write_bytes(bytes(data))


def _written_by_a_newer_version(path: Path) -> None:
    conn = sqlite3.connect(path)
    conn.execute(f"pragma user_version = {int(PIPELINE_VERSION) + 1}")
    conn.commit()
    conn.close()


DAMAGE = [("text-file", _text_file, "is not a SQLite file"),
          ("truncated-mid-page", _truncated_mid_page, "is damaged \\(truncated"),
          ("truncated-at-a-page", _truncated_at_a_page, "is damaged \\(truncated"),
          ("overwritten-pages", _pages_overwritten_in_the_middle, "is damaged \\(page \\d+ of \\d+ overwritten"),
          ("newer-version", _written_by_a_newer_version, "was written by a newer jingyan")]


@pytest.fixture(scope="module")
def good_catalogue(tmp_path_factory) -> Path:
    return _catalogue(tmp_path_factory.mktemp("good") / "c.db")


def _damaged(good: Path, folder: Path, damage) -> Path:
    path = folder / "c.db"
    path.write_bytes(good.read_bytes())
    damage(path)
    return path


@pytest.mark.parametrize("case, damage, message", DAMAGE[1:], ids=[d[0] for d in DAMAGE[1:]])
def test_the_opening_check_refuses_a_damaged_or_newer_catalogue_unchanged(tmp_path, good_catalogue, case, damage,
                                                                          message):
    path = _damaged(good_catalogue, tmp_path, damage)
    before = sha256(path)
    with pytest.raises(CatalogueFileError, match=message):
        catalogue_file_note(path)
    assert sha256(path) == before
    assert catalogue_file_note(good_catalogue) == ""


def test_a_catalogue_of_version_6_is_migrated_and_a_newer_one_is_never_written(tmp_path, good_catalogue):
    old = tmp_path / "old.db"
    old.write_bytes(good_catalogue.read_bytes())
    with Catalogue(old) as cat:  # as version 6 wrote it: no missing_since, no version stored
        cat.db.execute("drop view citations")  # (the search triggers need the Catalogue's tokenizer)
        cat.db.execute("alter table documents drop column missing_since")
        cat.db.execute("pragma user_version = 0")
    assert "a run adds the new columns" in catalogue_file_note(old)
    with Catalogue(old) as cat:
        assert "missing_since" in cat.db["documents"].columns_dict
        assert cat.db.execute("pragma user_version").fetchone() == (int(PIPELINE_VERSION),)
        assert cat.db.execute("select count(*) from documents").fetchone() == (40,)
    assert catalogue_file_note(old) == ""

    (tmp_path / "newer").mkdir()
    newer = _damaged(good_catalogue, tmp_path / "newer", _written_by_a_newer_version)
    before = sha256(newer)
    with pytest.raises(CatalogueFileError, match="newer jingyan"):
        Catalogue(newer)
    assert sha256(newer) == before


def _commands(db: Path, tmp_path: Path) -> dict[str, list[str]]:
    export = tmp_path / "export.json"
    export.write_text("[]", encoding="utf-8")
    return {"run": ["run", str(tmp_path / "in"), "--db", str(db), "--no-progress"],
            "cite": ["cite", "0000000000000000", "--db", str(db)],
            "eval": ["eval", str(GOLD), "--db", str(db)],
            "serve": ["serve", "--db", str(db), "--port", "0"],
            "annotate-export": ["annotate", "export", "--db", str(db), "--out", str(tmp_path / "out")],
            "annotate-import": ["annotate", "import", str(export), "--db", str(db),
                                "--annotations", str(tmp_path / "ann")]}


COMMANDS = ["run", "cite", "eval", "serve", "annotate-export", "annotate-import"]


@pytest.mark.parametrize("case, damage, message", DAMAGE, ids=[d[0] for d in DAMAGE])
def test_every_command_refuses_a_damaged_catalogue_in_one_line_before_prefect(tmp_path, good_catalogue, case,
                                                                              damage, message):
    db = _damaged(good_catalogue, tmp_path, damage)
    write_corpus(tmp_path / "in", range(1))
    before = sha256(db)
    prefect_home = tmp_path / "prefect-home"  # made as soon as the flow (Prefect) is imported
    for name, args in _commands(db, tmp_path).items():
        started = time.perf_counter()
        result = run_cli(*args, cwd=tmp_path, env={"PREFECT_HOME": str(prefect_home)}, timeout=60)
        seconds = time.perf_counter() - started
        lines = result.stderr.strip().splitlines()
        assert result.returncode == 2, (name, result.stderr[-2000:])
        assert len(lines) == 1 and lines[0].startswith(f"Error: --db {db} "), (name, result.stderr[-2000:])
        assert re.search(message, lines[0]), (name, lines[0])
        assert seconds < 5, f"{name}: {seconds:.1f} s: did Prefect start?"
        assert not prefect_home.exists(), f"{name}: Prefect was imported"
        assert sha256(db) == before, f"{name} changed the damaged file"
        assert not (tmp_path / "out").exists() and not (tmp_path / "ann").exists()


def test_damage_the_opening_check_cannot_see_ends_a_reader_in_one_line(tmp_path):
    """A page outside the check's fixed sample, overwritten: found when read, one line."""
    from pipeline.catalogue import SAMPLED_PAGES

    db = _catalogue(tmp_path / "c.db", documents=300)
    pages = db.stat().st_size // 4096
    assert pages > 2 * SAMPLED_PAGES  # else every page is sampled
    step = max(1, (pages - 1) // SAMPLED_PAGES)
    sampled = {*range(2, pages + 1, step), pages}
    leaves = [p for (p,) in rows(db, "select pageno from dbstat where name = 'facts' and pagetype = 'leaf'")]
    target = next(p for p in reversed(leaves) if p not in sampled)
    data = bytearray(db.read_bytes())
    data[(target - 1) * 4096:target * 4096] = random.Random(7).randbytes(4096)
    db.write_bytes(bytes(data))
    assert catalogue_file_note(db) == ""  # the cheap check passes it
    for args in (["eval", str(GOLD), "--db", str(db)], ["annotate", "export", "--db", str(db), "--out",
                                                         str(tmp_path / "out")]):
        result = run_cli(*args, cwd=tmp_path, timeout=60)
        lines = result.stderr.strip().splitlines()
        assert result.returncode == 2, result.stderr[-2000:]
        assert len(lines) == 1 and lines[0].startswith(f"Error: --db {db} is damaged"), result.stderr[-2000:]
