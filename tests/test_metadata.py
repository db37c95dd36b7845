"""Metadata read from the text of web copies: the seeds' table, and lines the tests write."""
from __future__ import annotations

from pathlib import Path

import pytest

from pipeline import furniture
from pipeline.ingest import read_document
from pipeline.metadata import Metadata, iso_date, read_metadata
from pipeline.settings import Settings

CORPUS = Path(__file__).resolve().parents[1] / "corpus"
SEED = {p.name[:3]: p for p in sorted(CORPUS.glob("*.txt"))}
ORIGINAL_004 = "践行“新时代的群众路线”的“仙林经验”——南京仙林街道创新党建引领“六化融合”社会治理机制"
FIELDS = ("title", "publisher", "published", "edition", "author", "issuer", "original_title")

SEEDS = [  # seed: title, publisher, published, edition, author, issuer, original_title
    ("000", "鼓楼区: 党建共同体聚合力 治理新格局添动力", "中国城市报", "2021-04-06", "第27版", "", "", ""),
    ("001", "擦亮“洪城红”城市基层党建品牌", "", "", "", "", "中共南昌市委组织部", ""),
    # 002 starts with its first paragraph: no headline line, nothing to read
    ("002", "", "", "", "", "", "", ""),
    ("003", "福建福州市鼓楼区:以回答好“三个如何”为主线探索城市基层党建引领基层治理新路径", "", "", "", "", "", ""),
    # 004 prints no headline: the title is the original title the text states (M-TITLE-ORIGINAL)
    ("004", ORIGINAL_004, "民生网", "2021-04-14", "", "龚捷", "", ORIGINAL_004),
]


@pytest.mark.parametrize("key, " + ", ".join(FIELDS), SEEDS)
def test_seed_metadata(key, title, publisher, published, edition, author, issuer, original_title):
    doc = read_document(SEED[key], Settings())
    expected = dict(zip(FIELDS, (title, publisher, published, edition, author, issuer, original_title)))
    assert {f: getattr(doc, f).replace("\u00a0", " ") for f in FIELDS} == expected


def meta(text: str) -> Metadata:
    return read_metadata(furniture.classify(text))


BODY = "近年来,某区建立网格党支部12个,覆盖居民3万余户,推动基层治理提质增效。\n下一步,该区将继续深化党建引领基层治理。\n"


@pytest.mark.parametrize("header, field, value, rule", [  # header lines written for the tests
    ("示例日报 2020年5月6日 星期三\n", "published", "2020-05-06", "M-DATE-STAMP"),
    ("示例日报 2020年5月6日 星期三\n", "publisher", "示例日报", "M-PUB-MASTHEAD"),
    ("《示例日报》(2020年05月06日 第 03 版)\n", "publisher", "示例日报", "M-PUB-MASTHEAD-QUOTED"),
    ("《示例日报》(2020年05月06日 第 03 版)\n", "edition", "第03版", "M-EDITION"),
    ("发布时间:2020-05-06 10:30 来源:示例新闻网\n", "published", "2020-05-06", "M-DATE-LABEL"),
    ("发布时间:2020-05-06 10:30 来源:示例新闻网\n", "publisher", "示例新闻网", "M-PUB-SOURCE"),
    ("2020-05-06 10:30 来源:示例新闻网 作者:李四\n", "published", "2020-05-06", "M-DATE-BESIDE-LABEL"),
    ("2020-05-06 10:30 来源:示例新闻网 作者:李四\n", "author", "李四", "M-AUTHOR-LABEL"),
    ("某区党建引领基层治理\n■本报记者 张三 李四\n", "author", "张三、李四", "M-AUTHOR-REPORTER"),
    ("某区党建引领基层治理\n■张三\n", "author", "张三", "M-AUTHOR-MARK"),
    ("某区党建引领基层治理\n■中共某市委组织部\n", "issuer", "中共某市委组织部", "M-ISSUER-MARK"),
    ("某区党建引领基层治理\n", "title", "某区党建引领基层治理", "F-HEADLINE"),
])
def test_written_headers(header, field, value, rule):
    m = meta(header + "\n" + BODY)
    assert getattr(m, field) == value
    assert m.rules[field] == rule


@pytest.mark.parametrize("trailer, field, value", [
    ("(张三)", "author", "张三"),
    ("(某区委组织部)", "issuer", "某区委组织部"),  # an organisation in brackets is no author
    ("(原标题:《某区探索红色物业》)", "original_title", "某区探索红色物业"),
])
def test_written_trailers(trailer, field, value):
    m = meta(BODY + "\n" + trailer + "\n")
    assert getattr(m, field) == value
    if field == "issuer":
        assert m.author == ""


@pytest.mark.parametrize("text", [
    BODY,  # nothing stated
    "2020年5月6日,某区召开党建工作会议,部署网格党支部建设12项任务,推动基层治理提质增效。\n" + BODY,  # a date in the body
    BODY + "\n© 2019 示例日报社 版权所有\n",  # a copyright year
    BODY + "\n(上接第1版)\n",  # a jump note's page is not this article's edition
])
def test_nothing_is_invented(text):
    m = meta(text)
    assert (m.published, m.publisher, m.edition, m.author, m.issuer, m.title) == ("", "", "", "", "", "")


def test_written_web_copy_metadata():
    from tests.test_ingest import WRITTEN_COPY

    m = meta(WRITTEN_COPY)
    assert (m.title, m.published, m.publisher, m.author) == (
        "某区:党建引领物业服务 红色管家进小区", "2021-04-06", "示例网-党建频道", "张三、李四")


def test_label_scope_reads_no_headline_and_no_bare_stamp():
    lines = furniture.classify("示例日报 2020年5月6日 星期三\n\n某区党建引领基层治理\n\n" + BODY)
    assert read_metadata(lines, scopes=("label",)) == Metadata()


@pytest.mark.parametrize("raw, iso", [
    ("2021年04月06日", "2021-04-06"),
    ("2021年4月6日", "2021-04-06"),
    ("2021-04-14", "2021-04-14"),
    ("2021/4/14", "2021-04-14"),
    ("2021年02月30日", ""),  # no such day
    ("2021年", ""),
])
def test_iso_date(raw, iso):
    assert iso_date(raw) == iso


# -- a document's date (issue 24): published, else a dateline, else a date the text reports as of ---
@pytest.mark.parametrize("text, date, kind", [
    ("标题\n发布时间：2021-04-06\n正文。截至2020年底，建成12个。\n", "2021-04-06", "published"),
    ("标题\n本报讯（记者 张三）2021年3月5日，鼓楼区召开会议。截至2020年底，建成12个。\n", "2021-03-05", "dateline"),
    ("标题\n新华社南京2021年3月5日电 鼓楼区推行红色物业。\n", "2021-03-05", "dateline"),
    ("标题\n鼓楼区推行红色物业，成效明显，截至2020年底建成12个。（2021年3月5日）\n", "2021-03-05", "dateline"),
    ("标题\n截至2020年底，全区建成网格党支部12个。\n", "2020", "stated"),
    ("标题\n截至2021年3月，全区建成网格党支部12个。\n", "2021-03", "stated"),
    ("标题\n到2025年，力争2025年前实现全覆盖。\n", "", ""),  # a target year is no date of the report
    ("标题\n鼓楼区推行红色物业。\n", "", ""),
])
def test_every_document_has_the_date_its_text_gives_and_which_kind(tmp_path, text, date, kind):
    path = tmp_path / "a.txt"
    path.write_text(text, encoding="utf-8")
    doc = read_document(path, Settings())
    assert (doc.date, doc.date_kind) == (date, kind)
    assert doc.date_precision == {10: "day", 7: "month", 4: "year", 0: ""}[len(date)]


def test_seed_documents_each_have_a_date_or_say_none():
    dates = {key: (read_document(path, Settings()).date, read_document(path, Settings()).date_kind)
             for key, path in SEED.items()}
    assert dates["000"] == ("2021-04-06", "published") and dates["004"] == ("2021-04-14", "published")
