"""The scorer, by GUIDELINES.md's rules, on gold the tests write."""
from __future__ import annotations

import json

import pytest

from pipeline.anchors import GoldError, normalise_name
from pipeline.evaluate import NoGoldRecords, evaluate, format_report, has_gold_records

TEXT = "全区共建立网格党支部895个,推行“红色网格”和“四步法”,打通“最后一米”。"


def write_gold(folder, records):
    folder.mkdir(exist_ok=True)
    (folder / "a.txt.jsonl").write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in records),
                                        encoding="utf-8")
    return folder


def fact(anchor="895个", **kw):
    return {"type": "fact", "doc": "a.txt", "anchor": anchor, "occurrence": 1, "value": 895, "unit": "个",
            "subject": "网格党支部", **kw}


def mech(name, **kw):
    return {"type": "mechanism", "doc": "a.txt", "anchor": name, "occurrence": 1, "name": name,
            "kind": "brand", **kw}


def predicted_fact(**kw):
    start = TEXT.index("895个")
    return {"doc": "a.txt", "start": start, "end": start + 4, "text": "895个", "value": 895, "unit": "个",
            "subject": "网格党支部", **kw}


@pytest.mark.parametrize("prediction, found, subject_ok", [
    (predicted_fact(), 1, True),
    (predicted_fact(subject="党支部"), 1, False),
    (predicted_fact(value=896), 0, None),                          # wrong value: not found
    ({**predicted_fact(), "start": 0, "end": 2, "text": "全区"}, 0, None),  # no overlap
])
def test_fact_matching(tmp_path, prediction, found, subject_ok):
    gold = write_gold(tmp_path / "g", [fact()])
    total = evaluate(gold, {"a.txt": TEXT}, [prediction], []).total()
    assert total.facts.found == found
    if subject_ok is not None:
        assert total.fact_fields["subject"].value == (1.0 if subject_ok else 0.0)


def test_precision_counts_only_predictions_with_arabic_digits(tmp_path):
    gold = write_gold(tmp_path / "g", [fact()])
    chinese = {"doc": "a.txt", "start": 0, "end": 2, "text": "三级", "value": 3, "unit": "级"}
    total = evaluate(gold, {"a.txt": TEXT}, [predicted_fact(), chinese], []).total()
    assert (total.facts.predicted, total.facts.precision) == (1, 1.0)


def test_mechanisms_match_by_containment_once_and_optional_counts_neither_way(tmp_path):
    gold = write_gold(tmp_path / "g", [mech("红色网格"), mech("四步法", kind="numbered"),
                                       mech("最后一米", optional=True)])
    preds = [{"doc": "a.txt", "name": "“红色网格”", "kind": "brand"},
             {"doc": "a.txt", "name": "红色网格", "kind": "brand"},     # the same name again: one prediction
             {"doc": "a.txt", "name": "最后一米", "kind": "brand"},     # optional: neither way
             {"doc": "a.txt", "name": "四步", "kind": "numbered"}]      # contained in the gold name
    total = evaluate(gold, {"a.txt": TEXT}, [], preds).total()
    assert (total.mechanisms.found, total.mechanisms.gold, total.mechanisms.predicted) == (2, 2, 2)
    assert total.mechanisms.precision == 1.0


def test_an_anchor_not_in_the_text_is_an_error_naming_the_line(tmp_path):
    gold = write_gold(tmp_path / "g", [fact(anchor="999个")])
    with pytest.raises(GoldError, match=r"a\.txt\.jsonl:1"):
        evaluate(gold, {"a.txt": TEXT}, [], [])


def test_a_stale_correction_is_listed_not_fatal(tmp_path):
    gold = write_gold(tmp_path / "g", [fact(), fact(anchor="999个", action="edit")])
    report = evaluate(gold, {"a.txt": TEXT}, [predicted_fact()], [])
    assert report.total().facts.found == 1
    assert any("stale" in m for m in report.documents[0].missed)


def test_rejections_are_not_gold(tmp_path):
    gold = write_gold(tmp_path / "g", [fact(action="reject"), mech("红色网格")])
    assert evaluate(gold, {"a.txt": TEXT}, [], []).total().facts.gold == 0


@pytest.mark.parametrize("records", [[], [fact(action="reject")], [{"type": "note", "doc": "a.txt"}]])
def test_a_folder_without_gold_records_is_an_error_naming_it(tmp_path, records):
    gold = write_gold(tmp_path / "g", records)
    assert not has_gold_records(gold)
    with pytest.raises(NoGoldRecords, match=str(gold)):
        evaluate(gold, {"a.txt": TEXT}, [], [])


def test_a_line_in_error_is_reported_not_taken_for_an_empty_folder(tmp_path):
    gold = tmp_path / "g"
    gold.mkdir()
    (gold / "a.txt.jsonl").write_text("{not json\n", encoding="utf-8")
    assert has_gold_records(gold)
    with pytest.raises(GoldError, match=r"a\.txt\.jsonl:1: not JSON"):
        evaluate(gold, {"a.txt": TEXT}, [], [])


def test_an_optional_entry_absorbs_every_prediction_matching_it(tmp_path):
    """GUIDELINES.md: catalogue mechanisms that match an optional entry are not counted either way."""
    gold = write_gold(tmp_path / "g", [mech("红色网格"), mech("最后一米", optional=True)])
    preds = [{"doc": "a.txt", "name": n, "kind": "brand"}
             for n in ("红色网格", "最后一米", "打通最后一米", "一米", "四步法")]
    (score,) = evaluate(gold, {"a.txt": TEXT}, [], preds).documents
    # 最后一米 taken by the optional entry, 打通最后一米 and 一米 absorbed; only 四步法 is wrong
    assert (score.mechanisms.predicted, score.mechanisms.correct_predicted) == (2, 1)
    assert score.false_positives == ["mechanism 四步法"]


def test_found_pairs_are_kept_per_document_and_in_the_total(tmp_path):
    gold = tmp_path / "g"
    write_gold(gold, [fact(), mech("红色网格"), mech("最后一米", optional=True)])
    (gold / "b.txt.jsonl").write_text(json.dumps({**fact(), "doc": "b.txt"}, ensure_ascii=False), encoding="utf-8")
    preds = [{"doc": "a.txt", "name": "“红色网格”", "kind": "brand", "locality": []},
             {"doc": "a.txt", "name": "最后一米", "kind": "brand"}]
    facts = [predicted_fact(subject="党支部"), {**predicted_fact(), "doc": "b.txt"}]
    report = evaluate(gold, {"a.txt": TEXT, "b.txt": TEXT}, facts, preds)
    a, b = report.documents
    assert [(g["subject"], p["subject"]) for g, p in a.fact_pairs] == [("网格党支部", "党支部")]
    assert [(g["name"], p["name"]) for g, p in a.mechanism_pairs] == [("红色网格", "“红色网格”")]  # not the optional
    total = report.total()
    assert (len(total.fact_pairs), len(total.mechanism_pairs)) == (2, 1)
    # 党支部 is 3 of 5 characters of 网格党支部: wrong strictly, right by the genre's rule
    assert (total.fact_fields["subject"].value, total.genre().fact_subject) == (0.5, 1.0)
    assert report.as_dict()["genre"] == total.genre().as_dict()


def test_the_report_says_which_facts_it_counts_and_prints_the_genre_table(tmp_path):
    gold = write_gold(tmp_path / "g", [fact()])
    chinese = {"doc": "a.txt", "start": 0, "end": 2, "text": "三级", "value": 3, "unit": "级"}
    report = evaluate(gold, {"a.txt": TEXT}, [predicted_fact(subject="党支部"), chinese], [])
    text = format_report(report)
    assert "Arabic digits" in text and "1 predicted facts without one" in text
    assert "fact subject " in text and "mechanisms P / R" in text
    assert text.index("== ALL\n") < text.index("genre rules")  # the genre table after the strict totals
    assert "genre: fact 895个#1 subject" not in text  # right by the genre's rule: not listed
    quiet = format_report(report, details=False)
    assert "== a.txt" in text and "== a.txt" not in quiet and "== ALL" in quiet
    assert "field:" not in quiet


@pytest.mark.parametrize("name, normalised", [
    ("“红色管家” 社区共治委员会", "红色管家社区共治委员会"),
    ("院落长＋楼栋长＋单元长", "院落长+楼栋长+单元长"),
    ("「阳光８号」", "阳光8号"),
])
def test_normalise_name(name, normalised):
    assert normalise_name(name) == normalised


# ---------------------------------------------------------------- jingyan eval

ARTICLE = "南昌市东湖区共建立网格党支部895个,推行“红色网格”和“四步法”,打通“最后一米”。"


@pytest.fixture(scope="module")
def one_article_catalogue(tmp_path_factory):
    """A catalogue of one article written here, through the library (no Prefect), and its gold."""
    from pipeline.catalogue import Catalogue
    from pipeline.ingest import read_document
    from pipeline.process import process_document
    from pipeline.settings import Settings

    folder = tmp_path_factory.mktemp("eval")
    (folder / "a.txt").write_text(ARTICLE, encoding="utf-8")
    settings = Settings(annotations_dir=folder / "no-annotations")
    with Catalogue(folder / "catalogue.db") as catalogue:
        catalogue.write(process_document(read_document(folder / "a.txt", settings), settings), "test-run")
    gold = write_gold(folder / "gold", [fact(locality=["江西省", "南昌市", "东湖区"]),
                                        mech("红色网格"), mech("四步法", kind="numbered")])
    return folder / "catalogue.db", gold


def jingyan_eval(*args):
    from click.testing import CliRunner

    from pipeline.cli import main

    return CliRunner().invoke(main, ["eval", *map(str, args)])


def test_eval_prints_strict_totals_then_the_genre_table(one_article_catalogue):
    db, gold = one_article_catalogue
    result = jingyan_eval(gold, "--db", db)
    assert result.exit_code == 0, result.output
    out = result.output
    assert out.index("== a.txt") < out.index("== ALL\n") < out.index("fact locality, most specific place exact")
    assert "facts written with Arabic digits only" in out


def test_eval_json_carries_the_genre_figures_of_the_library(one_article_catalogue):
    from pipeline.catalogue import read_rows

    db, gold = one_article_catalogue
    result = jingyan_eval(gold, "--db", db, "--json")
    assert result.exit_code == 0, result.output
    printed = json.loads(result.output)
    library = evaluate(gold, *read_rows(db)).as_dict()
    assert printed == library
    assert set(printed["genre"]) >= {"fact_subject", "fact_locality_exact", "mechanisms_precision"}
    assert printed["overall"]["facts"]["counted"] == "facts written with Arabic digits only (GUIDELINES.md)"


def test_eval_quiet_prints_totals_only(one_article_catalogue):
    db, gold = one_article_catalogue
    result = jingyan_eval(gold, "--db", db, "--quiet")
    assert result.exit_code == 0, result.output
    assert "== a.txt" not in result.output and "== ALL" in result.output and "mechanisms P / R" in result.output
    quiet_json = json.loads(jingyan_eval(gold, "--db", db, "--quiet", "--json").output)
    assert "documents" not in quiet_json and "genre" in quiet_json


def test_eval_without_gold_records_exits_2_naming_the_folder(one_article_catalogue, tmp_path):
    db, _ = one_article_catalogue
    empty = tmp_path / "empty-gold"
    empty.mkdir()
    (empty / "notes.txt").write_text("not gold", encoding="utf-8")
    result = jingyan_eval(empty, "--db", db)
    assert result.exit_code == 2
    assert str(empty) in result.stderr and "no gold records" in result.stderr
    assert "1.000" not in result.output  # no perfect score over nothing
