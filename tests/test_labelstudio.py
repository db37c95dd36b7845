"""Label Studio tasks out, annotations in: the JSON formats, the comparison, the CSV path."""
from __future__ import annotations

import copy
import csv
import json
import xml.etree.ElementTree as ET

import pytest

from pipeline.labelstudio import (ImportError_, Region, compare, export_tasks, import_corrections,
                                  labeling_config)

from .test_corrections import ARTICLE, make_document, seed_extraction, write


@pytest.fixture
def exported(tmp_path):
    doc = make_document(tmp_path, "article.txt", ARTICLE)
    db = tmp_path / "c.db"
    write(db, seed_extraction(doc))
    paths = export_tasks(db, tmp_path / "ls", annotations_dir=tmp_path / "annotations", as_csv=True)
    return doc, db, {p.name: p for p in paths}


def annotated(task: dict, result: list) -> dict:
    return {**task, "id": 1, "annotations": [{"id": 5, "completed_by": 2, "result": result, "was_cancelled": False,
                                              "updated_at": "2024-05-01T10:05:00Z"}]}


def test_export_writes_tasks_config_and_csv(exported):
    assert sorted(exported[2]) == ["facts.csv", "labeling_config.xml", "mechanisms.csv", "tasks.json"]


def test_every_prediction_region_is_its_text(exported):
    doc, _, files = exported
    (task,) = json.loads(files["tasks.json"].read_text(encoding="utf-8"))
    assert task["data"]["text"] == doc.text and task["data"]["sha256"] == doc.sha256
    assert task["meta"] == {"document_id": doc.id, "source_name": "article.txt", "sha256": doc.sha256}
    result = task["predictions"][0]["result"]
    labels = {r["id"]: r for r in result if r["type"] == "labels"}
    assert sorted(r["value"]["labels"][0] for r in labels.values()) == ["FACT"] * 4 + ["MECHANISM"]
    for r in result:
        v = r["value"]
        assert r["to_name"] == "text" and r["id"] in labels  # per-region items share the region id
        assert (v["start"], v["end"]) == (labels[r["id"]]["value"]["start"], labels[r["id"]]["value"]["end"])
    for r in labels.values():
        assert doc.text[r["value"]["start"]:r["value"]["end"]] == r["value"]["text"]


def test_config_declares_every_control_the_predictions_use(exported):
    _, _, files = exported
    root = ET.fromstring(files["labeling_config.xml"].read_text(encoding="utf-8"))
    names = {e.get("name"): e for e in root.iter() if e.get("name")}
    (task,) = json.loads(files["tasks.json"].read_text(encoding="utf-8"))
    for r in task["predictions"][0]["result"]:
        assert r["from_name"] in names
        control = names[r["from_name"]]
        assert control.tag.lower() == r["type"]
        if r["type"] != "labels":
            assert control.get("perRegion") == "true"
    assert {e.get("value") for e in root.iter("Label")} == {"FACT", "MECHANISM", "LOCALITY"}
    assert labeling_config() == files["labeling_config.xml"].read_text(encoding="utf-8")


def test_csv_lists_every_fact_with_its_anchor(exported):
    doc, _, files = exported
    with files["facts.csv"].open(encoding="utf-8-sig") as fh:
        got = [(r["anchor"], r["occurrence"], r["subject"]) for r in csv.DictReader(fh)]
    assert got == [("895个", "1", "网格党支部"), ("6028名", "1", "在职党员"), ("32个", "1", "党群服务中心"),
                   ("895个", "2", "网格党支部")]


def region(rid, kind, start, end, **fields):
    return Region(rid, kind, start, end, fields)


DOC = {"text": "全区共建立网格党支部895个，党员6028名。", "sha256": "s", "source_name": "a.txt"}
PRED = {"f1": region("f1", "fact", 10, 14, value=895, unit="个", subject="网格党支部"),
        "f2": region("f2", "fact", 17, 22, value=6028, unit="名")}


@pytest.mark.parametrize("annotation, want", [
    (PRED, [("accept", "895个", "f1"), ("accept", "6028名", "f2")]),
    ({"f1": PRED["f1"]}, [("accept", "895个", "f1"), ("reject", "6028名", "f2")]),
    ({**PRED, "f2": region("f2", "fact", 17, 22, value=6028, unit="名", subject="党员")},
     [("accept", "895个", "f1"), ("edit", "6028名", "f2")]),
    ({"f1": PRED["f1"], "x": region("x", "fact", 17, 22, value=6028, unit="名")},  # same span, id renewed
     [("accept", "895个", "f1"), ("accept", "6028名", "f2")]),
    ({**PRED, "n": region("n", "fact", 15, 22, value=6028, unit="名")},  # the span widened: reject + add
     [("accept", "895个", "f1"), ("accept", "6028名", "f2"), ("add", "党员6028名", None)]),
    ({"f1": PRED["f1"], "f2": region("f2", "fact", 15, 22, value=6028, unit="名")},
     [("accept", "895个", "f1"), ("add", "党员6028名", None), ("reject", "6028名", "f2")]),
    ({**PRED, "p": region("p", "locality", 0, 2)}, [("accept", "895个", "f1"), ("accept", "6028名", "f2")]),
])
def test_annotation_compared_with_predictions(annotation, want):
    notes = []
    recs = compare(DOC, PRED, annotation, "li", "2024-05-01", notes)
    assert [(r["action"], r["anchor"], r.get("id")) for r in recs] == want


def test_edit_record_holds_the_whole_corrected_extraction():
    ann = {**PRED, "f2": region("f2", "fact", 17, 22, value=6028, unit="名", subject="党员")}
    rec = [r for r in compare(DOC, PRED, ann, "li", "2024-05-01", []) if r["action"] == "edit"][0]
    assert rec == {"type": "fact", "doc": "a.txt", "anchor": "6028名", "occurrence": 1, "value": 6028, "unit": "名",
                   "subject": "党员", "action": "edit", "who": "li", "when": "2024-05-01", "document_sha256": "s",
                   "id": "f2"}


def test_import_records_who_and_dedupes(exported, tmp_path):
    doc, db, files = exported
    (task,) = json.loads(files["tasks.json"].read_text(encoding="utf-8"))
    result = copy.deepcopy(task["predictions"][0]["result"])
    drop = next(r["id"] for r in result if r["type"] == "labels" and r["value"]["text"] == "6028名")
    export = tmp_path / "export.json"
    export.write_text(json.dumps([annotated(task, [r for r in result if r["id"] != drop])], ensure_ascii=False),
                      encoding="utf-8")
    folder = tmp_path / "annotations"
    report = import_corrections(export, folder, db=db)
    assert (report.by_action["reject"], report.by_action["accept"], report.added) == (1, 4, 5)
    lines = [json.loads(x) for x in (folder / "article.txt.jsonl").read_text(encoding="utf-8").splitlines()]
    assert {r["who"] for r in lines} == {"labelstudio-user-2"}
    assert "reject 1" in report.summary() and "5 new" in report.summary()
    again = import_corrections(export, folder, db=db)
    assert again.added == 0 and len((folder / "article.txt.jsonl").read_text(encoding="utf-8").splitlines()) == 5


def test_import_without_predictions_in_the_export_uses_the_catalogue(exported, tmp_path):
    doc, db, files = exported
    (task,) = json.loads(files["tasks.json"].read_text(encoding="utf-8"))
    drop = next(r["id"] for r in task["predictions"][0]["result"] if r["value"].get("text") == "32个")
    result = [r for r in task["predictions"][0]["result"] if r["id"] != drop]
    bare = {k: v for k, v in annotated(task, result).items() if k != "predictions"}
    export = tmp_path / "export.json"
    export.write_text(json.dumps([bare], ensure_ascii=False), encoding="utf-8")
    report = import_corrections(export, tmp_path / "annotations", db=db)
    assert report.by_action["reject"] == 1


@pytest.mark.parametrize("content, reason", [
    ("{not json", "not JSON"),
    ('{"tasks": []}', "want a JSON list of tasks"),
    ('[{"id": 1}]', "no 'data' object"),
    ('[{"data": {"text": "abc", "sha256": "00", "source_name": "a.txt"}}]', "no longer hashes"),
    ('[{"data": {"text": "abc"}}]', "lacks text, sha256 or source_name"),
])
def test_malformed_export_names_file_and_reason(tmp_path, content, reason):
    path = tmp_path / "export.json"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(ImportError_) as exc:
        import_corrections(path, tmp_path / "annotations")
    assert str(path) in str(exc.value) and reason in str(exc.value)
    assert not (tmp_path / "annotations").exists()


@pytest.mark.parametrize("item, reason", [
    ({"id": "r", "type": "labels", "from_name": "label", "to_name": "text",
      "value": {"start": 0, "end": 999, "labels": ["FACT"]}}, "outside the text"),
    ({"id": "r", "type": "labels", "from_name": "label", "to_name": "text",
      "value": {"start": 0, "end": 2, "labels": ["PERSON"]}}, "has label"),
    ({"id": "r", "type": "labels", "from_name": "label", "to_name": "text",
      "value": {"labels": ["FACT"]}}, "no character start/end"),
])
def test_malformed_region_is_refused(exported, tmp_path, item, reason):
    _, db, files = exported
    (task,) = json.loads(files["tasks.json"].read_text(encoding="utf-8"))
    path = tmp_path / "export.json"
    path.write_text(json.dumps([annotated(task, [item])], ensure_ascii=False), encoding="utf-8")
    with pytest.raises(ImportError_, match=reason):
        import_corrections(path, tmp_path / "annotations", db=db)


def test_csv_round_trip(exported, tmp_path):
    doc, db, files = exported
    with files["facts.csv"].open(encoding="utf-8-sig") as fh:
        rows = list(csv.DictReader(fh))
    rows[0]["action"] = "reject"
    rows[1]["subject"] = "在职党员（报到）"
    rows.append({**{k: "" for k in rows[0]}, "doc": "article.txt", "anchor": "12万人", "occurrence": "1",
                 "value": "120000", "unit": "人", "subject": "居民"})
    edited = tmp_path / "facts.csv"
    with edited.open("w", encoding="utf-8-sig", newline="") as fh:
        writer = csv.DictWriter(fh, list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    report = import_corrections(edited, tmp_path / "annotations", db=db)
    recs = [json.loads(x) for x in (tmp_path / "annotations" / "article.txt.jsonl").read_text(encoding="utf-8").splitlines()]
    assert [(r["action"], r["anchor"], r.get("subject")) for r in recs] == [
        ("reject", "895个", "网格党支部"), ("edit", "6028名", "在职党员（报到）"), ("add", "12万人", "居民")]
    assert report.added == 3 and import_corrections(edited, tmp_path / "annotations", db=db).added == 0


def test_csv_that_is_not_ours_is_refused(tmp_path):
    path = tmp_path / "other.csv"
    path.write_text("a,b\n1,2\n", encoding="utf-8")
    with pytest.raises(ImportError_, match="not a jingyan"):
        import_corrections(path, tmp_path / "annotations")


def test_csv_anchor_missing_from_the_text_is_refused_by_row(exported, tmp_path):
    doc, db, files = exported
    with files["facts.csv"].open(encoding="utf-8-sig") as fh:
        rows = list(csv.DictReader(fh))
    rows[0]["action"], rows[0]["occurrence"] = "reject", "9"  # the anchor is written fewer times than that
    edited = tmp_path / "facts.csv"
    with edited.open("w", encoding="utf-8-sig", newline="") as fh:
        writer = csv.DictWriter(fh, list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    with pytest.raises(ImportError_, match=r"facts\.csv.*anchor '895个' \(occurrence 9\) not in article\.txt"):
        import_corrections(edited, tmp_path / "annotations", db=db)
    assert not (tmp_path / "annotations" / "article.txt.jsonl").exists()  # nothing half-written


# -- the uncertain first (issue 23) ----------------------------------------------------------------
def _scored(tmp_path):
    """Two documents whose rows the scorer rated: the second holds the least confident row."""
    from dataclasses import replace

    from .test_corrections import ARTICLE, make_document, seed_extraction

    sure = make_document(tmp_path, "a_sure.txt", ARTICLE)
    doubtful = make_document(tmp_path, "b_doubtful.txt", ARTICLE + "另建立党小组3个。\n")
    first, second = seed_extraction(sure), seed_extraction(doubtful)
    first.facts = [replace(f, confidence=0.9) for f in first.facts]
    second.facts = [replace(f, confidence=c) for f, c in zip(second.facts, (0.8, 0.3, 0.95, 0.5))]
    db = tmp_path / "c.db"
    write(db, first, second)
    return db


def test_export_puts_the_least_confident_task_and_region_first(tmp_path):
    db = _scored(tmp_path)
    paths = export_tasks(db, tmp_path / "ls", annotations_dir=tmp_path / "annotations", as_csv=True)
    tasks = json.loads(paths[0].read_text(encoding="utf-8"))
    assert [t["data"]["source_name"] for t in tasks] == ["b_doubtful.txt", "a_sure.txt"]
    assert tasks[0]["predictions"][0]["score"] == 0.3
    scores = [r.get("score") for r in tasks[0]["predictions"][0]["result"] if r["type"] == "labels"]
    assert scores[:4] == [0.3, 0.5, 0.8, 0.95] and scores[4] is None  # the mechanism has no confidence: last


def test_export_below_a_threshold_gives_only_those_rows(tmp_path):
    db = _scored(tmp_path)
    paths = export_tasks(db, tmp_path / "ls", annotations_dir=tmp_path / "annotations", as_csv=True, below=0.6)
    tasks = json.loads(paths[0].read_text(encoding="utf-8"))
    assert [t["data"]["source_name"] for t in tasks] == ["b_doubtful.txt"]
    labels = [r for r in tasks[0]["predictions"][0]["result"] if r["type"] == "labels"]
    assert [(r["value"]["text"], r["score"]) for r in labels] == [("6028名", 0.3), ("895个", 0.5)]
    with (tmp_path / "ls" / "facts.csv").open(encoding="utf-8-sig") as fh:
        assert [row["confidence"] for row in csv.DictReader(fh)] == ["0.3", "0.5"]


# -- bad input in an import (issue 23, issue 20 item 6) --------------------------------------------
@pytest.mark.parametrize("field, value, reason", [
    ("value", "1e999", "finite"),
    ("name", "红色\u0000管家", "control character"),
    ("name", "红", "1 character"),
    ("name", "红" * 300, "300 characters"),
    ("name", "辖区推行“红色管家”服务，新建党群服务中心32个，服务居民12万人。", "whole sentence"),
], ids=["1e999", "nul", "one-char", "300-chars", "sentence"])
def test_a_bad_value_is_refused_by_task_and_the_rest_imported(exported, tmp_path, field, value, reason):
    _, db, files = exported
    (task,) = json.loads(files["tasks.json"].read_text(encoding="utf-8"))
    result = copy.deepcopy(task["predictions"][0]["result"])
    kind = "FACT" if field == "value" else "MECHANISM"
    target = next(r["id"] for r in result if r["type"] == "labels" and r["value"]["labels"] == [kind])
    other = next(r for r in result if r["from_name"] == "subject" and r["id"] != target)
    other["value"]["text"] = ["改过的主语"]  # an edit elsewhere in the same task
    for r in result:
        if r["id"] == target and r["from_name"] == field:
            r["value"]["text"] = [value]
    path = tmp_path / "export.json"
    path.write_text(json.dumps([annotated(task, result)], ensure_ascii=False), encoding="utf-8")
    report = import_corrections(path, tmp_path / "annotations", db=db)
    (refused,) = report.refused
    assert str(path) in refused and "task 1, id 1" in refused and reason in refused
    recs = [json.loads(x) for x in (tmp_path / "annotations" / "article.txt.jsonl").read_text(encoding="utf-8").splitlines()]
    assert any(r.get("subject") == "改过的主语" for r in recs)  # nothing else lost
    assert not any(r.get("id") == target for r in recs)
