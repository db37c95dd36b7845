"""The catalogue writer: atomic per document, idempotent, ids from content."""
from __future__ import annotations

import hashlib
import sqlite3
from dataclasses import replace

import pytest

from pipeline.catalogue import Catalogue
from pipeline.records import Document, Extraction, Fact, Locality, Mechanism, stable_id

TEXT = "南京市鼓楼区全区共建立网格党支部895个,推行“红色网格”。"


def document(text: str = TEXT, name: str = "a.txt") -> Document:
    sha = hashlib.sha256(text.encode()).hexdigest()
    return Document(source_name=name, path=f"/in/{name}", sha256=sha, file_sha256=sha, text=text,
                    body_spans=((0, len(text)),))


def extraction(doc: Document) -> Extraction:
    city = Locality("南京市", "city", "320100", Locality("江苏省", "province", "320000"), 32.06, 118.8)
    district = Locality("鼓楼区", "district", "320106", city, 32.07, 118.77)
    if "895个" not in doc.text:
        return Extraction(doc, document_locality=district)
    start = doc.text.index("895个")
    fact = Fact(start, start + 4, "895个", 895, "个", subject="网格党支部", sentence_start=0,
                sentence_end=len(doc.text), locality=district, rule="test")
    m_start = doc.text.index("红色网格")
    mech = Mechanism(m_start, m_start + 4, "红色网格", "brand", locality=district, rule="test")
    return Extraction(doc, [fact], [mech], document_locality=district)


@pytest.fixture
def catalogue(tmp_path):
    with Catalogue(tmp_path / "c.db") as cat:
        yield cat


def counts(cat) -> dict:
    return {t: cat.db[t].count for t in ("documents", "facts", "mechanisms", "practices", "localities")}


def test_write_twice_gives_the_same_rows(catalogue):
    catalogue.write(extraction(document()), "run1")
    first = counts(catalogue)
    catalogue.write(extraction(document()), "run2")
    assert counts(catalogue) == first == {"documents": 1, "facts": 1, "mechanisms": 1, "practices": 1,
                                          "localities": 3}


def test_ids_derive_from_content(catalogue):
    doc = document()
    catalogue.write(extraction(doc), "run1")
    fact_id = catalogue.db.execute("select id from facts").fetchone()[0]
    assert fact_id == stable_id("fact", doc.sha256, TEXT.index("895个"), TEXT.index("895个") + 4)
    assert catalogue.db["localities"].get("320106")["parent_id"] == "320100"


def test_a_write_that_fails_midway_leaves_nothing(catalogue):
    doc = document()
    broken = extraction(doc)
    # sqlite3 cannot store an object: the facts insert fails after the document row was written
    broken.facts = [replace(broken.facts[0], value=object())]
    with pytest.raises((sqlite3.Error, TypeError, ValueError)):
        catalogue.write(broken, "run1")
    assert counts(catalogue) == {"documents": 0, "facts": 0, "mechanisms": 0, "practices": 0, "localities": 0}


def test_a_failed_rewrite_keeps_the_previous_version(catalogue):
    doc = document()
    catalogue.write(extraction(doc), "run1")
    broken = extraction(doc)
    broken.facts = [replace(broken.facts[0], value=object())]
    with pytest.raises((sqlite3.Error, TypeError, ValueError)):
        catalogue.write(broken, "run2")
    assert catalogue.db.execute("select subject from facts").fetchall() == [("网格党支部",)]


def test_same_file_elsewhere_adds_a_path(catalogue):
    doc = document()
    catalogue.write(extraction(doc), "run1")
    catalogue.add_path(doc.id, "/elsewhere/a.txt")
    catalogue.add_path(doc.id, "/elsewhere/a.txt")
    import json
    assert json.loads(catalogue.db["documents"].get(doc.id)["paths"]) == ["/in/a.txt", "/elsewhere/a.txt"]


def test_practice_counts_and_views(catalogue):
    catalogue.write(extraction(document()), "run1")
    other = document("福建省福州市鼓楼区推行“红色网格”。", "b.txt")
    ex = extraction(other)
    fz = Locality("鼓楼区", "district", "350102", Locality("福州市", "city", "350100",
                                                          Locality("福建省", "province", "350000")))
    start = other.text.index("红色网格")
    ex.facts = []
    ex.mechanisms = [Mechanism(start, start + 4, "红色网格", "brand", locality=fz)]
    catalogue.write(ex, "run1")
    catalogue.refresh_practices()
    row = catalogue.db.execute("select name, document_count, locality_count from practices").fetchone()
    assert row == ("红色网格", 2, 2)
    several = catalogue.db.execute("select name, localities from practices_in_several_localities").fetchall()
    assert several == [("红色网格", 2)]


def test_a_new_version_of_a_file_replaces_the_old_one(catalogue):
    catalogue.write(extraction(document()), "run1")
    changed = document(TEXT + "另建立党小组3个。")
    catalogue.write(extraction(changed), "run2")
    assert catalogue.db.execute("select id from documents").fetchall() == [(changed.id,)]
    assert {r[0] for r in catalogue.db.execute("select document_id from facts")} == {changed.id}


def test_an_earlier_version_still_held_by_another_path_stays(catalogue):
    doc = document()
    catalogue.write(extraction(doc), "run1")
    catalogue.add_path(doc.id, "/elsewhere/a.txt")
    changed = document(TEXT + "另建立党小组3个。")
    catalogue.write(extraction(changed), "run2")
    assert catalogue.db["documents"].get(doc.id)["path"] == "/elsewhere/a.txt"
    assert catalogue.db["documents"].count == 2


def test_a_file_copied_over_with_another_known_document_changes_hands(catalogue):
    first, second = document(), document(TEXT + "另建立党小组3个。", "b.txt")
    catalogue.write(extraction(first), "run1")
    catalogue.write(extraction(second), "run1")
    catalogue.add_path(second.id, first.path)  # a.txt now holds b.txt's bytes
    assert catalogue.db.execute("select id from documents").fetchall() == [(second.id,)]
    assert dict(catalogue.db.execute("select path, document_id from document_paths").fetchall()) == {
        "/in/a.txt": second.id, "/in/b.txt": second.id}


def test_document_paths_filled_for_a_catalogue_written_before_it_existed(tmp_path):
    with Catalogue(tmp_path / "old.db") as cat:
        doc = document()
        cat.write(extraction(doc), "run1")
        cat.add_path(doc.id, "/elsewhere/a.txt")
        cat.db.execute("drop table document_paths")
    with Catalogue(tmp_path / "old.db") as cat:
        assert sorted(cat.db.execute("select path, document_id from document_paths").fetchall()) == [
            ("/elsewhere/a.txt", doc.id), ("/in/a.txt", doc.id)]
        changed = document(TEXT + "另建立党小组3个。")
        cat.write(extraction(changed), "run2")
        assert cat.db["documents"].get(doc.id)["path"] == "/elsewhere/a.txt"


def test_the_catalogue_gives_practices_their_key_and_category_itself(catalogue):
    """No callbacks: two spellings of one practice are one row, categorised from the table."""
    first = document("推行“红色物业”。", "a.txt")
    second = document("推行“红色物业制”。", "b.txt")
    for doc, name in ((first, "红色物业"), (second, "红色物业制")):
        start = doc.text.index(name)
        catalogue.write(Extraction(doc, [], [Mechanism(start, start + len(name), name, "brand")]), "run1")
    assert catalogue.db.execute("select name, category from practices").fetchall() == [
        ("红色物业", "property_management")]
    assert len({r[0] for r in catalogue.db.execute("select practice_id from mechanisms")}) == 1


@pytest.mark.parametrize("module, forbidden", [
    # storage stands under its readers and the extractors
    ("pipeline.catalogue", ("evaluate", "corrections", "citations", "labelstudio", "process", "batches",
                            "facts", "mechanisms", "localities", "tagging")),
    # the helpers every layer shares stand at the bottom
    ("pipeline.anchors", ("records", "settings", "catalogue", "evaluate", "corrections")),
])
def test_a_module_imports_nothing_above_it(module, forbidden):
    import subprocess
    import sys

    code = f"import sys, {module}; print(' '.join(m for m in sys.modules if m.startswith('pipeline.')))"
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    assert not {f"pipeline.{name}" for name in forbidden} & set(loaded), loaded


# -- what a run may write: checked before it starts ----------------------------------------------
def test_a_missing_empty_or_own_catalogue_may_be_written(tmp_path):
    from pipeline.catalogue import catalogue_file_note

    assert catalogue_file_note(tmp_path / "new.db") == ""
    (tmp_path / "empty.db").write_bytes(b"")
    assert catalogue_file_note(tmp_path / "empty.db") == ""
    with Catalogue(tmp_path / "c.db") as cat:
        cat.write(extraction(document()), "run1")
    assert catalogue_file_note(tmp_path / "c.db") == ""


@pytest.mark.parametrize("make, reason", [
    (lambda p: p.write_text("id,name\n1,鼓楼区\n", encoding="utf-8"), "is not a SQLite file"),
    (lambda p: sqlite3.connect(p).execute("create table t (x)").connection.commit(), "not a jingyan catalogue"),
    (lambda p: p.mkdir(), "is a folder"),
], ids=["csv", "foreign-sqlite", "folder"])
def test_what_is_no_catalogue_is_refused_unchanged(tmp_path, make, reason):
    from pipeline.catalogue import CatalogueFileError, catalogue_file_note

    path = tmp_path / "x.db"
    make(path)
    before = path.read_bytes() if path.is_file() else None
    with pytest.raises(CatalogueFileError, match=reason):
        catalogue_file_note(path)
    assert (path.read_bytes() if path.is_file() else None) == before


def test_documents_of_another_pipeline_version_are_announced(tmp_path):
    from pipeline import PIPELINE_VERSION
    from pipeline.catalogue import catalogue_file_note

    with Catalogue(tmp_path / "c.db") as cat:
        cat.write(extraction(document()), "run1")
        # the version that last wrote it, in one place (issue 20: the note no longer scans documents)
        cat.db.execute("pragma user_version = 1")
    note = catalogue_file_note(tmp_path / "c.db")
    assert "pipeline version 1" in note and f"processed again with version {PIPELINE_VERSION}" in note


def test_run_localities_are_those_of_the_documents_this_run_wrote(tmp_path):
    from pipeline.records import PlacedSpan

    first, second = extraction(document()), extraction(document("上海市黄浦区推行“红色网格”。", "b.txt"))
    district = first.facts[0].locality
    first.places = [PlacedSpan(0, 3, district.parent, "test"), PlacedSpan(3, 6, district, "test")]
    second.places = [PlacedSpan(3, 6, district, "test")]
    with Catalogue(tmp_path / "c.db") as cat:
        cat.write(first, "run1")
        cat.write(second, "run2")
        assert (cat.run_localities("run1"), cat.run_localities("run2"), cat.run_localities("run3")) == (2, 1, 0)
        assert cat.counts()["localities"] == 3  # the catalogue's own count is another thing (the province too)


def test_a_catalogue_of_the_older_schema_gets_the_correction_columns(tmp_path):
    """Written before facts and mechanisms had checked, corrected_by, corrected_at: opened, it has them,
    its rows kept."""
    path = tmp_path / "old.db"
    with Catalogue(path) as cat:  # through the Catalogue: the search triggers need its tokenizer
        cat.write(extraction(document()), "run1")
        for table in ("facts", "mechanisms"):
            for column in ("checked", "corrected_by", "corrected_at"):
                cat.db.execute(f"alter table {table} drop column {column}")
        assert "checked" not in cat.db["facts"].columns_dict
    with Catalogue(path) as cat:
        for table in ("facts", "mechanisms"):
            assert {"checked", "corrected_by", "corrected_at"} <= set(cat.db[table].columns_dict), table
        assert cat.db.execute("select count(*), count(checked) from facts").fetchone() == (1, 0)
