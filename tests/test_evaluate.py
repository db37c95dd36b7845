"""The scorer, by GUIDELINES.md's rules, on gold the tests write."""
from __future__ import annotations

import json

import pytest

from pipeline.anchors import GoldError, normalise_name
from pipeline.evaluate import evaluate

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
    gold = write_gold(tmp_path / "g", [fact(action="reject")])
    assert evaluate(gold, {"a.txt": TEXT}, [], []).total().facts.gold == 0


@pytest.mark.parametrize("name, normalised", [
    ("“红色管家” 社区共治委员会", "红色管家社区共治委员会"),
    ("院落长＋楼栋长＋单元长", "院落长+楼栋长+单元长"),
    ("「阳光８号」", "阳光8号"),
])
def test_normalise_name(name, normalised):
    assert normalise_name(name) == normalised
