"""Issue 23, items 2 and 3: every fact and mechanism carries a trained confidence in [0, 1]; the
shipped scorer is what `jingyan train` writes; a missing or stale model is one clear line."""
from __future__ import annotations

import json
import os
import sqlite3
from pathlib import Path

import pytest

from pipeline.catalogue import Catalogue
from pipeline.confidence import SPEC_VERSION, ScorerError, load_scorer
from pipeline.ingest import discover, read_document
from pipeline.process import check_rules, process_document
from pipeline.settings import DATA_DIR, Settings
from pipeline.training import DEFAULT_SETS, read_articles, train

from .conftest import CORPUS, GOLD

HERE = Path(__file__).parent
DEV = HERE.parent.parent / "shared" / "dev"
SHIPPED = DATA_DIR / "confidence_model.json"
NO_ANNOTATIONS = HERE / "no-annotations"


def needs_shared():
    return pytest.mark.skipif(not DEV.is_dir() and not os.environ.get("CI"), reason="../shared is not beside the repository")


@pytest.fixture(scope="module")
def seed_extractions():
    settings = Settings(annotations_dir=NO_ANNOTATIONS)
    return [process_document(read_document(p, settings), settings) for p in discover([CORPUS])]


def test_every_seed_fact_and_mechanism_has_a_confidence_in_0_1(seed_extractions):
    rows = [r for e in seed_extractions for r in e.facts + e.mechanisms]
    assert len(rows) > 100
    assert all(r.confidence is not None and 0.0 <= r.confidence <= 1.0 for r in rows)
    # a probability, not one constant per rule: the same rule gets different confidences
    assert len({r.confidence for r in rows}) > 10


def test_the_catalogue_stores_the_confidence(tmp_path, seed_extractions):
    db = tmp_path / "c.db"
    with Catalogue(db) as catalogue:
        for extraction in seed_extractions:
            catalogue.write(extraction, "run-1")
    conn = sqlite3.connect(db)
    for table in ("facts", "mechanisms"):
        values = [r[0] for r in conn.execute(f"select confidence from {table}")]
        assert values and all(v is not None and 0 <= v <= 1 for v in values), table
    conn.close()


def test_a_missing_model_is_one_line_naming_it(tmp_path):
    settings = Settings(confidence_model=tmp_path / "none.json")
    with pytest.raises(ScorerError) as exc:
        check_rules(settings)
    assert str(tmp_path / "none.json") in str(exc.value) and "jingyan train" in str(exc.value)
    assert "\n" not in str(exc.value)


def test_a_model_for_other_features_is_stale(tmp_path):
    body = json.loads(SHIPPED.read_text(encoding="utf-8"))
    body["spec_version"] = SPEC_VERSION + 1
    stale = tmp_path / "stale.json"
    stale.write_text(json.dumps(body), encoding="utf-8")
    with pytest.raises(ScorerError, match="stale"):
        load_scorer(stale)


def test_the_model_file_holds_no_article_text():
    text = SHIPPED.read_text(encoding="utf-8")
    assert not any("\u4e00" <= ch <= "\u9fff" for ch in text)


@needs_shared()
def test_training_again_writes_the_shipped_model(tmp_path):
    """The documented command on a fresh clone reproduces the shipped scorer, byte for byte."""
    out = tmp_path / "model.json"
    train(DEFAULT_SETS_HERE, NO_ANNOTATIONS, out)
    assert out.read_bytes() == SHIPPED.read_bytes()


DEFAULT_SETS_HERE = tuple((HERE.parent / c, HERE.parent / g) for c, g in DEFAULT_SETS)  # from the repository root


@needs_shared()
def test_a_correction_overrules_the_gold_label(tmp_path):
    """An annotator's reject makes a gold practice a negative example; gold never goes into annotations/."""
    settings = Settings(annotations_dir=NO_ANNOTATIONS)
    before = read_articles([(CORPUS, GOLD)], NO_ANNOTATIONS, settings)
    article = before[0]
    right = next(e for e in article.examples if e.record_type == "mechanism" and e.kept and e.label == 1)
    name = right.row["name"]
    text = Path(CORPUS / article.name).read_text(encoding="utf-8")
    start = right.row["start"]
    anchor = text[start:right.row["end"]]
    occurrence = text[:start].count(anchor) + 1
    notes = tmp_path / "annotations"
    notes.mkdir()
    (notes / f"{article.name}.jsonl").write_text(json.dumps(
        {"type": "mechanism", "doc": article.name, "anchor": anchor, "occurrence": occurrence, "name": name,
         "action": "reject"}, ensure_ascii=False) + "\n", encoding="utf-8")
    after = read_articles([(CORPUS, GOLD)], notes, settings)
    flipped = next(e for e in after[0].examples if e.record_type == "mechanism" and e.row["start"] == start)
    assert flipped.label == 0


def test_a_catalogue_written_before_the_column_gets_it(tmp_path, seed_extractions):
    db = tmp_path / "old.db"
    with Catalogue(db) as catalogue:
        catalogue.write(seed_extractions[0], "run-1")
        for table in ("facts", "mechanisms"):  # as a catalogue written before issue 23 has them
            catalogue.db.conn.execute(f"alter table {table} drop column confidence")
        catalogue.db.conn.commit()
        assert "confidence" not in catalogue.db["facts"].columns_dict
    with Catalogue(db) as catalogue:
        catalogue.write(seed_extractions[1], "run-2")
    conn = sqlite3.connect(db)
    assert conn.execute("select count(*) from facts where confidence is not null").fetchone()[0] == len(
        seed_extractions[1].facts)
    conn.close()
