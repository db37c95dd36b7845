"""annotations/ applied on every run: reject suppresses, edit wins, add appears, nothing lost.

The fast tests write a catalogue with the Catalogue API (the pipeline's write, then
``corrections.apply`` as the flow calls it); the slow one goes through Label Studio
export → an edited export → import → the real Prefect flow, twice, and after deleting
the catalogue.
"""
from __future__ import annotations

import copy
import hashlib
import json
import re
from pathlib import Path

import pytest

from pipeline import corrections
from pipeline.catalogue import Catalogue
from pipeline.anchors import sentence_bounds
from pipeline.records import Document, Extraction, Fact, Mechanism, stable_id

from .conftest import rows

ARTICLE = (
    "本报讯 城市基层党建工作会议召开。\n"
    "近年来，全区共建立网格党支部895个，选派在职党员6028名到社区报到。\n"
    "辖区推行“红色管家”服务，新建党群服务中心32个，服务居民12万人。\n"
    "今年以来，全区又建立网格党支部895个。\n"
)


# -- helpers the other test files share -----------------------------------------------------------
def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def make_document(folder: Path, name: str, text: str, **meta) -> Document:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return Document(source_name=name, path=str(path), sha256=sha(text.encode("utf-8")),
                    file_sha256=sha(path.read_bytes()), text=text, **meta)


def nth(text: str, anchor: str, occurrence: int = 1) -> int:
    pos = -1
    for _ in range(occurrence):
        pos = text.find(anchor, pos + 1)
        assert pos >= 0, anchor
    return pos


def fact_at(doc: Document, anchor: str, value: float, unit: str, subject: str = "", occurrence: int = 1,
            **kw) -> Fact:
    start = nth(doc.text, anchor, occurrence)
    s, e = sentence_bounds(doc.text, start, start + len(anchor))
    return Fact(start, start + len(anchor), anchor, value, unit, subject=subject, sentence_start=s,
                sentence_end=e, rule="test", **kw)


def mechanism_at(doc: Document, anchor: str, name: str, kind: str) -> Mechanism:
    start = nth(doc.text, anchor)
    return Mechanism(start, start + len(anchor), name, kind, rule="test")


def seed_extraction(doc: Document) -> Extraction:
    return Extraction(doc, facts=[fact_at(doc, "895个", 895, "个", "网格党支部"),
                                  fact_at(doc, "6028名", 6028, "名", "在职党员"),
                                  fact_at(doc, "32个", 32, "个", "党群服务中心"),
                                  fact_at(doc, "895个", 895, "个", "网格党支部", occurrence=2)],
                      mechanisms=[mechanism_at(doc, "红色管家", "红色管家", "brand")])


def write(db: Path, *extractions: Extraction) -> None:
    """What a pipeline run writes (pipeline rows re-created), without applying corrections."""
    with Catalogue(db) as cat:
        run_id = cat.start_run([], {})
        for ex in extractions:
            cat.write(ex, run_id)


def run_and_apply(db: Path, folder: Path, *extractions: Extraction) -> dict:
    write(db, *extractions)
    with Catalogue(db) as cat:
        report = corrections.apply(cat, folder)
        cat.refresh_practices()
    json.dumps(report)  # the flow returns it: must be plain data
    return report


def record(doc: Document, action: str, anchor: str, occurrence: int = 1, type_: str = "fact", **fields) -> dict:
    start = nth(doc.text, anchor, occurrence)
    rec = {"type": type_, "doc": doc.source_name, "anchor": anchor, "occurrence": occurrence, **fields,
           "action": action, "who": "test", "when": "2024-05-01T10:00:00Z", "document_sha256": doc.sha256,
           "id": stable_id(type_, doc.sha256, start, start + len(anchor))}
    return rec


def save(folder: Path, name: str, *records: dict) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    with (folder / f"{name}.jsonl").open("a", encoding="utf-8") as fh:
        for r in records:
            fh.write(json.dumps(r, ensure_ascii=False) + "\n")


@pytest.fixture
def seeded(tmp_path):
    doc = make_document(tmp_path, "article.txt", ARTICLE, title="网格党建", publisher="测试报")
    return doc, tmp_path / "c.db", tmp_path / "annotations"


# -- apply: each action ---------------------------------------------------------------------------
def test_reject_suppresses_on_every_run(seeded):
    doc, db, folder = seeded
    save(folder, doc.source_name, record(doc, "reject", "6028名", value=6028, unit="名"))
    for _ in range(2):  # the pipeline re-creates the row each run; apply removes it again
        report = run_and_apply(db, folder, seed_extraction(doc))
        assert rows(db, "select count(*) from facts where text = '6028名'") == [(0,)]
        assert report["unmatched"] == []
    assert rows(db, "select count(*) from facts") == [(3,)]


def test_edit_wins_and_keeps_the_row(seeded):
    doc, db, folder = seeded
    save(folder, doc.source_name, record(doc, "edit", "32个", value=32, unit="个", subject="党群服务中心（站）",
                                         time="近年来"))
    run_and_apply(db, folder, seed_extraction(doc))
    run_and_apply(db, folder, seed_extraction(doc))
    # a row whose fields an annotator set says so: not the rule's any more
    assert rows(db, "select subject, time, source, rule, count(*) from facts where text = '32个'") == [
        ("党群服务中心（站）", "近年来", "annotator", "annotation:edit", 1)]
    assert rows(db, "select count(*) from facts where source = 'pipeline'") == [(3,)]


def test_report_says_what_the_corrections_changed_this_time(seeded):
    doc, db, folder = seeded
    save(folder, doc.source_name, record(doc, "reject", "6028名", value=6028, unit="名"),
         record(doc, "edit", "32个", value=32, unit="个", subject="党群服务中心（站）"),
         record(doc, "add", "12万人", value=120000, unit="人", subject="居民"))
    report = run_and_apply(db, folder, seed_extraction(doc))
    assert report["changed"]["facts"] == {"removed": 1, "edited": 1, "added": 1, "checked": 0}
    assert report["changed"]["mechanisms"] == {"removed": 0, "edited": 0, "added": 0, "checked": 0}
    with Catalogue(db) as cat:  # the same corrections again over an unchanged catalogue change nothing
        again = corrections.apply(cat, folder)
    assert set(again["changed"]["facts"].values()) == {0}


def test_a_corrected_row_says_who_checked_it_and_when(seeded):
    doc, db, folder = seeded
    save(folder, doc.source_name,
         {**record(doc, "accept", "6028名", value=6028, unit="名"), "who": "li@example.org", "when": "2024-05-01"},
         {**record(doc, "edit", "32个", value=32, unit="个", subject="党群服务中心（站）"), "who": "wang", "when": "2024-05-02"},
         {**record(doc, "add", "12万人", value=120000, unit="人"), "who": "zhao", "when": "2024-05-03"})
    report = run_and_apply(db, folder, seed_extraction(doc))
    got = rows(db, "select text, source, checked, corrected_by, corrected_at from facts where checked = 1 order by start")
    assert got == [("6028名", "pipeline", 1, "li@example.org", "2024-05-01"),  # accepted: the rule's, checked
                   ("32个", "annotator", 1, "wang", "2024-05-02"),
                   ("12万人", "annotator", 1, "zhao", "2024-05-03")]
    assert report["changed"]["facts"] == {"removed": 0, "edited": 1, "added": 1, "checked": 1}
    assert rows(db, "select count(*) from facts where checked is null and source = 'pipeline'") == [(2,)]


def test_edit_that_empties_a_field_clears_it(seeded):
    doc, db, folder = seeded
    save(folder, doc.source_name, record(doc, "edit", "6028名", value=6028, unit="名"))  # subject left out
    run_and_apply(db, folder, seed_extraction(doc))
    assert rows(db, "select subject from facts where text = '6028名'") == [(None,)]


def test_add_appears_as_annotator_with_only_the_given_fields(seeded):
    doc, db, folder = seeded
    save(folder, doc.source_name, record(doc, "add", "12万人", value=120000, unit="人", subject="居民"))
    report = run_and_apply(db, folder, seed_extraction(doc))
    start = nth(doc.text, "12万人")
    got = rows(db, "select id, value, unit, subject, source, locality_id, sentence from facts where text = '12万人'")
    assert got == [(stable_id("fact", doc.sha256, start, start + 4), 120000.0, "人", "居民", "annotator", None,
                    "辖区推行“红色管家”服务，新建党群服务中心32个，服务居民12万人。")]
    assert report["by_action"]["add"] == 1
    run_and_apply(db, folder, seed_extraction(doc))
    assert rows(db, "select count(*) from facts where text = '12万人'") == [(1,)]


def test_add_of_a_mechanism_gets_a_practice(seeded):
    doc, db, folder = seeded
    save(folder, doc.source_name, record(doc, "add", "党群服务中心", type_="mechanism", name="党群服务中心",
                                         kind="platform"))
    run_and_apply(db, folder, seed_extraction(doc))
    got = rows(db, "select m.kind, m.source, p.name from mechanisms m join practices p on p.id = m.practice_id "
                   "where m.name = '党群服务中心'")
    assert got == [("platform", "annotator", "党群服务中心")]


def test_accepted_extraction_survives_a_pipeline_that_stopped_making_it(seeded):
    doc, db, folder = seeded
    save(folder, doc.source_name, record(doc, "accept", "6028名", value=6028, unit="名", subject="在职党员"))
    run_and_apply(db, folder, seed_extraction(doc))
    worse = seed_extraction(doc)
    worse.facts = [f for f in worse.facts if f.text != "6028名"]
    run_and_apply(db, folder, worse)
    assert rows(db, "select subject, source from facts where text = '6028名'") == [("在职党员", "annotator")]


def test_occurrence_picks_the_second_895(seeded):
    doc, db, folder = seeded
    save(folder, doc.source_name, record(doc, "edit", "895个", 2, value=895, unit="个", subject="新建网格党支部"))
    run_and_apply(db, folder, seed_extraction(doc))
    assert rows(db, "select subject from facts where text = '895个' order by start") == [
        ("网格党支部",), ("新建网格党支部",)]


def test_latest_record_on_a_target_wins(seeded):
    doc, db, folder = seeded
    first = record(doc, "reject", "32个", value=32, unit="个")
    later = {**record(doc, "accept", "32个", value=32, unit="个", subject="党群服务中心"), "when": "2024-06-01T00:00:00Z"}
    save(folder, doc.source_name, later, first)  # file order does not matter, when does
    run_and_apply(db, folder, seed_extraction(doc))
    assert rows(db, "select count(*) from facts where text = '32个'") == [(1,)]


def test_withdrawn_add_disappears(seeded):
    doc, db, folder = seeded
    save(folder, doc.source_name, record(doc, "add", "12万人", value=120000, unit="人"))
    run_and_apply(db, folder, seed_extraction(doc))
    (folder / f"{doc.source_name}.jsonl").unlink()
    report = run_and_apply(db, folder, seed_extraction(doc))
    assert rows(db, "select count(*) from facts where text = '12万人'") == [(0,)]
    assert report["dropped_stale"] == 1


# -- what cannot be applied is reported, never dropped -------------------------------------------
@pytest.mark.parametrize("change, reason", [
    (lambda r: {**r, "anchor": "999个"}, "anchor not found"),
    (lambda r: {**r, "occurrence": 3}, "anchor not found"),
    (lambda r: {**r, "document_sha256": "0" * 64}, "document changed"),
    (lambda r: {**r, "doc": "other.txt", "document_sha256": "1" * 64}, "not in the catalogue"),
    (lambda r: {**r, "action": "approve"}, "unknown action"),
    (lambda r: {k: v for k, v in r.items() if k != "anchor"}, "no doc or anchor"),
])
def test_unmatched_correction_is_reported_with_its_reason(seeded, change, reason):
    doc, db, folder = seeded
    save(folder, doc.source_name, change(record(doc, "reject", "895个", value=895, unit="个")))
    report = run_and_apply(db, folder, seed_extraction(doc))
    assert len(report["unmatched"]) == 1 and reason in report["unmatched"][0]["reason"]
    assert report["unmatched"][0]["line"] == 1
    assert rows(db, "select count(*) from facts where text = '895个'") == [(2,)]  # nothing suppressed
    assert (folder / f"{doc.source_name}.jsonl").read_text(encoding="utf-8").strip()  # nor deleted


def test_correction_on_an_edited_article_is_reported(seeded, tmp_path):
    doc, db, folder = seeded
    save(folder, doc.source_name, record(doc, "reject", "6028名", value=6028, unit="名"))
    run_and_apply(db, folder, seed_extraction(doc))
    changed = make_document(tmp_path, doc.source_name, ARTICLE.replace("6028名", "6100名"))
    report = run_and_apply(db, folder, Extraction(changed, facts=[fact_at(changed, "6100名", 6100, "名")]))
    assert [u["reason"][:17] for u in report["unmatched"]] == ["document changed:"]


def test_malformed_line_is_reported_and_the_rest_applied(seeded):
    doc, db, folder = seeded
    save(folder, doc.source_name, record(doc, "reject", "6028名", value=6028, unit="名"))
    with (folder / f"{doc.source_name}.jsonl").open("a", encoding="utf-8") as fh:
        fh.write("{not json\n")
    report = run_and_apply(db, folder, seed_extraction(doc))
    assert report["unmatched"][0]["line"] == 2 and "not JSON" in report["unmatched"][0]["reason"]
    assert rows(db, "select count(*) from facts where text = '6028名'") == [(0,)]


def test_plain_gold_records_are_left_to_the_evaluator(seeded):
    doc, db, folder = seeded
    gold = {"type": "fact", "doc": doc.source_name, "anchor": "6028名", "occurrence": 1, "value": 6028, "unit": "名"}
    save(folder, doc.source_name, gold)
    report = run_and_apply(db, folder, seed_extraction(doc))
    assert (report["gold_only"], report["applied"], report["unmatched"]) == (1, 0, [])


def test_no_folder_is_no_corrections(seeded):
    doc, db, folder = seeded
    report = run_and_apply(db, folder, seed_extraction(doc))
    assert (report["files"], report["applied"], report["unmatched"]) == (0, 0, [])


# -- the whole round trip through Label Studio and the Prefect flow ------------------------------
def labelled_copy(task: dict, reject: str, edit: str, add: tuple[int, int]) -> dict:
    """What Label Studio exports after an annotator rejected, edited and added one fact each."""
    result = [copy.deepcopy(r) for r in task["predictions"][0]["result"] if r["id"] != reject]
    for r in result:
        if r["id"] == edit and r["from_name"] == "subject":
            r["value"]["text"] = ["网格党支部（改）"]
    if not any(r["id"] == edit and r["from_name"] == "subject" for r in result):
        span = next(r["value"] for r in result if r["id"] == edit)
        result.append({"id": edit, "from_name": "subject", "to_name": "text", "type": "textarea",
                       "value": {"start": span["start"], "end": span["end"], "text": ["网格党支部（改）"]}})
    start, end = add
    span = {"start": start, "end": end}
    figure = task["data"]["text"][start:end]
    result += [
        {"id": "new1", "from_name": "label", "to_name": "text", "type": "labels",
         "value": {**span, "text": figure, "labels": ["FACT"]}},
        {"id": "new1", "from_name": "value", "to_name": "text", "type": "textarea",
         "value": {**span, "text": [figure[:-1]]}},
        {"id": "new1", "from_name": "unit", "to_name": "text", "type": "textarea", "value": {**span, "text": [figure[-1]]}},
    ]
    return {**task, "id": 1, "annotations": [{"id": 11, "completed_by": {"id": 3, "email": "li@example.org"},
                                              "result": result, "was_cancelled": False,
                                              "created_at": "2024-05-01T10:00:00Z",
                                              "updated_at": "2024-05-01T10:05:00Z"}]}


@pytest.mark.slow
def test_round_trip_through_label_studio_and_the_flow(tmp_path, prefect_harness):
    from flows.catalogue_flow import run
    from pipeline.labelstudio import export_tasks, import_corrections
    from pipeline.settings import Settings

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    text = ARTICLE + "2024年5月，社区7栋居民楼全部完成改造，覆盖居民1200户。\n"
    (corpus / "article.txt").write_text(text, encoding="utf-8")
    db, folder = tmp_path / "c.db", tmp_path / "annotations"
    settings = Settings(annotations_dir=folder)
    first_run = run([corpus], db, settings)
    assert first_run["failed"] == 0, first_run["errors"]

    tasks = json.loads(export_tasks(db, tmp_path / "ls", annotations_dir=folder)[0].read_text(encoding="utf-8"))
    task = tasks[0]
    facts = [r for r in task["predictions"][0]["result"] if r["type"] == "labels" and r["value"]["labels"] == ["FACT"]]
    assert len(facts) >= 2, "the extractor found fewer than two facts in the test article"
    reject, edit = facts[0], facts[1]
    # the fact to add: a number the extractor did not take (whatever it takes)
    free = [m for m in re.finditer(r"\d+[^\d\s，。]", text)
            if not any(f["value"]["start"] < m.end() and m.start() < f["value"]["end"] for f in facts)]
    assert free, "the extractor took every number: nothing left to add"
    add, added = free[0].span(), free[0].group()
    export = tmp_path / "export.json"
    export.write_text(json.dumps([labelled_copy(task, reject["id"], edit["id"], add)], ensure_ascii=False),
                      encoding="utf-8")

    first = import_corrections(export, folder, db=db)
    assert first.by_action["reject"] == 1 and first.by_action["edit"] == 1 and first.by_action["add"] == 1
    lines = (folder / "article.txt.jsonl").read_text(encoding="utf-8")
    assert import_corrections(export, folder, db=db).added == 0  # importing twice adds nothing
    assert (folder / "article.txt.jsonl").read_text(encoding="utf-8") == lines

    def state():
        return sorted(rows(db, "select text, start, subject, value, unit, source from facts"), key=lambda r: r[1])

    def check(summary):
        assert summary["corrections"]["unmatched"] == []
        got = state()
        assert not any(r[1] == reject["value"]["start"] for r in got)
        assert [r[2] for r in got if r[1] == edit["value"]["start"]] == ["网格党支部（改）"]
        assert [r[3:] for r in got if r[0] == added] == [(float(added[:-1]), added[-1], "annotator")]
        assert len({r[1] for r in got}) == len(got)  # nothing duplicated
        return got

    after_first = check(run([corpus], db, settings))
    assert check(run([corpus], db, settings)) == after_first  # re-run: unchanged
    for p in tmp_path.glob("c.db*"):
        p.unlink()
    assert check(run([corpus], db, settings)) == after_first  # deleted catalogue: all back

    # the article is edited so the added fact's anchor is gone: reported, not dropped
    (corpus / "article.txt").write_text(text.replace(added, "某" + added[-1]), encoding="utf-8")
    summary = run([corpus], db, settings)
    assert any(added == u.get("anchor") for u in summary["corrections"]["unmatched"])
    assert (folder / "article.txt.jsonl").read_text(encoding="utf-8") == lines
