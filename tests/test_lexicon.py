"""Names learned from corrections (issue 23): what an annotator fixes once stays fixed everywhere."""
from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from pipeline import lexicon
from pipeline.corrections import apply as apply_corrections
from pipeline.records import Sentence, Token
from pipeline.settings import DATA_DIR, Settings

# two short articles that both say 设立楼宇联络员制度 and 当作“温暖港湾”: the rules take
# 温暖港湾 (a quoted name) and miss 楼宇联络员制度 (unquoted, no practice head they know)
FIRST = ("南京市鼓楼区宁海路街道推进楼宇党建\n\n宁海路街道在辖区商务楼宇设立楼宇联络员制度，每栋楼宇明确一名联络员，"
         "定期走访企业。街道党工委把党群服务中心当作“温暖港湾”，为快递小哥提供休息场所。\n")
SECOND = ("杭州市西湖区北山街道做实楼宇服务\n\n北山街道设立楼宇联络员制度，由社区干部联系辖区企业。"
          "街道把新就业群体驿站当作“温暖港湾”，全年服务3000余人次。\n")
CORRECTIONS = [
    {"type": "mechanism", "doc": "a.txt", "anchor": "温暖港湾", "occurrence": 1, "name": "温暖港湾",
     "action": "reject", "who": "li@example.org", "when": "2026-12-04T10:00:00Z"},
    {"type": "mechanism", "doc": "a.txt", "anchor": "楼宇联络员制度", "occurrence": 1, "name": "楼宇联络员制度",
     "kind": "institution", "action": "add", "who": "li@example.org", "when": "2026-12-04T10:00:00Z"},
]


def _settings(tmp_path: Path, annotations: Path) -> Settings:
    model = DATA_DIR / "confidence_model.json"
    if not model.exists():  # the scorer's file not shipped yet: any valid one scores alike here
        from pipeline import confidence

        model = tmp_path / "model.json"
        model.write_text(confidence.model_as_json({t: {} for t in confidence.RECORD_TYPES},
                                                  {t: 0.0 for t in confidence.RECORD_TYPES}, "", {}))
    return Settings(annotations_dir=annotations, confidence_model=model)


def _names(db: Path) -> dict[str, set[tuple[str, str]]]:
    conn = sqlite3.connect(db)
    try:
        rows = conn.execute("select d.source_name, m.name, m.source from mechanisms m "
                            "join documents d on d.id = m.document_id").fetchall()
    finally:
        conn.close()
    out: dict[str, set[tuple[str, str]]] = {}
    for doc, name, source in rows:
        out.setdefault(doc, set()).add((name, source))
    return out


@pytest.mark.slow
def test_a_reject_and_an_add_in_one_article_change_the_other_and_withdrawing_them_restores_it(tmp_path):
    from flows.catalogue_flow import run

    corpus, annotations, db = tmp_path / "corpus", tmp_path / "annotations", tmp_path / "c.db"
    corpus.mkdir()
    (corpus / "a.txt").write_text(FIRST, encoding="utf-8")
    (corpus / "b.txt").write_text(SECOND, encoding="utf-8")
    settings = _settings(tmp_path, annotations)

    run([corpus], db, settings)
    before = _names(db)
    assert ("温暖港湾", "pipeline") in before["b.txt"]  # what the rules take today
    assert not any(name == "楼宇联络员制度" for name, _ in before["b.txt"])  # and what they miss

    annotations.mkdir()
    (annotations / "a.txt.jsonl").write_text(
        "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in CORRECTIONS), encoding="utf-8")
    summary = run([corpus], db, settings)
    assert summary["processed"] == 0 and summary["relearned"] == 2  # unchanged files: made again from the catalogue
    after = _names(db)
    assert ("楼宇联络员制度", "lexicon") in after["b.txt"]
    assert not any(name == "温暖港湾" for name, _ in after["b.txt"] | after["a.txt"])
    conn = sqlite3.connect(db)
    assert conn.execute("select taught_by from mechanisms where name = '楼宇联络员制度' and source = 'lexicon'"
                        ).fetchall()[0] == ("a.txt#楼宇联络员制度",)
    conn.close()

    rebuilt = tmp_path / "rebuilt.db"  # a rebuild from an empty catalogue says the same
    run([corpus], rebuilt, settings)
    assert _names(rebuilt)["b.txt"] == after["b.txt"]

    (annotations / "a.txt.jsonl").unlink()
    summary = run([corpus], db, settings)
    assert summary["relearned"] == 2 and _names(db) == before  # the old rows are back


def _sentence(text: str, cuts: list[str]) -> list[Sentence]:
    tokens, pos = [], 0
    for word in cuts:
        tokens.append(Token(pos, pos + len(word), word, "n"))
        pos += len(word)
    assert pos == len(text)
    return [Sentence(0, len(text), text, 0, tuple(tokens), text)]


def test_a_learned_name_is_matched_only_at_word_boundaries_longest_first():
    lex = lexicon.learn([{"type": "mechanism", "action": "add", "doc": "a.txt", "anchor": x, "name": x}
                         for x in ("联络员制度", "楼宇联络员制度")])
    text = "设立楼宇联络员制度。推行联络员制度化管理。"
    sents = _sentence(text, ["设立", "楼宇", "联络员", "制度", "。", "推行", "联络员", "制度化", "管理", "。"])
    found = [(text[m.start:m.end], m.entry.taught_by) for m in lex.matcher().find(text, sents, "b.txt")]
    # the longer name wins where both start; 联络员制度 inside 制度化 is no word of its own
    assert found == [("楼宇联络员制度", "a.txt#楼宇联络员制度")]


def test_a_rejected_name_stays_where_an_annotator_accepted_it():
    lex = lexicon.learn([
        {"type": "mechanism", "action": "reject", "doc": "a.txt", "anchor": "温暖港湾", "name": "温暖港湾"},
        {"type": "mechanism", "action": "accept", "doc": "c.txt", "anchor": "温暖港湾", "name": "温暖港湾"}])
    assert lex.rejects("温暖港湾", "b.txt") and not lex.rejects("温暖港湾", "c.txt")
    text = "打造“温暖港湾”。"
    sents = _sentence(text, ["打造", "“", "温暖", "港湾", "”", "。"])
    assert [m.entry.name for m in lex.matcher().find(text, sents, "c.txt")] == ["温暖港湾"]
    assert lex.matcher().find(text, sents, "b.txt") == []


# -- bad input in a corrections file ---------------------------------------------------------------
BAD = [
    ({"type": "fact", "anchor": "3000余人次", "value": "1e999"}, "finite"),
    ({"type": "mechanism", "anchor": "楼宇联络员制度", "name": "楼宇\u0000联络员制度"}, "control character"),
    ({"type": "mechanism", "anchor": "楼宇联络员制度", "name": "楼"}, "1 character"),
    ({"type": "mechanism", "anchor": "楼宇联络员制度", "name": ""}, "empty"),
    ({"type": "mechanism", "anchor": "楼宇联络员制度", "name": "楼" * 300}, "300 characters"),
    ({"type": "mechanism", "anchor": "北山街道设立楼宇联络员制度，由社区干部联系辖区企业",
      "name": "北山街道设立楼宇联络员制度，由社区干部联系辖区企业"}, "whole sentence"),
]


@pytest.mark.parametrize("bad, reason", BAD, ids=["1e999", "nul", "one-char", "empty", "300-chars", "sentence"])
def test_a_bad_correction_is_refused_by_file_and_line_and_the_rest_applied(tmp_path, bad, reason):
    from pipeline.catalogue import Catalogue
    from tests.test_catalogue import document, extraction

    doc = document(SECOND, "b.txt")
    annotations = tmp_path / "annotations"
    annotations.mkdir()
    good = {"type": "mechanism", "doc": "b.txt", "anchor": "楼宇联络员制度", "name": "楼宇联络员制度",
            "action": "add", "who": "li", "when": "2026-12-04T10:00:00Z"}
    line = json.dumps({"doc": "b.txt", "action": "add", "who": "li", "when": "2026-12-04T11:00:00Z", **bad},
                      ensure_ascii=False).replace("1e999\"", "1e999").replace("\"1e999", "1e999")
    path = annotations / "b.txt.jsonl"
    path.write_text(line + "\n" + json.dumps(good, ensure_ascii=False) + "\n", encoding="utf-8")
    with Catalogue(tmp_path / "c.db") as cat:
        cat.write(extraction(doc), "run1")
        report = apply_corrections(cat, annotations)
        names = [r[0] for r in cat.db.execute("select name from mechanisms")]
    (refused,) = [u for u in report["unmatched"] if u["line"] == 1]
    assert refused["file"] == str(path) and reason in refused["reason"]
    assert "楼宇联络员制度" in names and report["applied"] == 1  # the other line of the file went in
    assert bad.get("name") not in names
    if reason != "whole sentence":  # found only against the text, by corrections.apply (see docs/design.md)
        assert lexicon.read_lexicon(annotations).by_name().keys() == {"楼宇联络员制度"}  # and teaches nothing
