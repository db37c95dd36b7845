"""A cited figure: its quote is verbatim in the source; a changed source is flagged, not cited."""
from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.catalogue import Catalogue
from pipeline.citations import Citation, CitationError, cite
from pipeline.records import Extraction, stable_id

from .test_corrections import ARTICLE, fact_at, make_document, nth, seed_extraction, write

NEWSPAPER = dict(title="网格党建织密治理网", publisher="测试城市报", published="2021-04-06", edition="第27版",
                 author="李明")


def fact_id(doc, anchor: str, occurrence: int = 1) -> str:
    start = nth(doc.text, anchor, occurrence)
    return stable_id("fact", doc.sha256, start, start + len(anchor))


@pytest.fixture
def catalogue(tmp_path):
    doc = make_document(tmp_path, "article.txt", ARTICLE, **NEWSPAPER)
    db = tmp_path / "c.db"
    write(db, seed_extraction(doc))
    return doc, db


def sql(db: Path, statement: str, args=()) -> list:
    """Through the Catalogue: it registers what the full-text triggers need."""
    with Catalogue(db) as cat:
        return cat.db.execute(statement, args).fetchall()


@pytest.mark.parametrize("anchor, occurrence, quote, paragraph", [
    ("895个", 1, "近年来，全区共建立网格党支部895个，选派在职党员6028名到社区报到。", 2),
    ("6028名", 1, "近年来，全区共建立网格党支部895个，选派在职党员6028名到社区报到。", 2),
    ("32个", 1, "辖区推行“红色管家”服务，新建党群服务中心32个，服务居民12万人。", 3),
    ("895个", 2, "今年以来，全区又建立网格党支部895个。", 4),
])
def test_quote_is_verbatim_in_the_source_file(catalogue, anchor, occurrence, quote, paragraph):
    doc, db = catalogue
    c = cite(db, fact_id(doc, anchor, occurrence))
    source = Path(c.path).read_text(encoding="utf-8")
    assert c.quote == quote and quote in source and anchor in c.quote
    assert source[c.start:c.end] == anchor == c.figure
    assert c.paragraph == paragraph and c.source_file_checked


def test_text_format_has_quote_figure_and_reference(catalogue):
    doc, db = catalogue
    text = cite(db, fact_id(doc, "32个")).as_text()
    assert text.splitlines()[0] == "「辖区推行“红色管家”服务，新建党群服务中心32个，服务居民12万人。」"  # inner “” kept
    assert "32个（党群服务中心：32个）" in text
    assert "李明. 网格党建织密治理网[N]. 测试城市报, 2021-04-06(27)." in text and "第3段" in text


@pytest.mark.parametrize("meta, want", [
    (NEWSPAPER, "李明. 网格党建织密治理网[N]. 测试城市报, 2021-04-06(27)."),
    ({**NEWSPAPER, "author": ""}, "网格党建织密治理网[N]. 测试城市报, 2021-04-06(27)."),
    ({**NEWSPAPER, "url": "http://example.org/a.html"},
     "李明. 网格党建织密治理网[N/OL]. 测试城市报, 2021-04-06(27)[2024-05-01]. http://example.org/a.html."),
    (dict(title="网格党建", publisher="某某网", published="2021-04-14", url="http://example.org/b"),
     "某某网. 网格党建[EB/OL]. (2021-04-14)[2024-05-01]. http://example.org/b."),
    (dict(title="网格党建", author="王芳", url="http://example.org/b"),
     "王芳. 网格党建[EB/OL]. [2024-05-01]. http://example.org/b."),
])
def test_gbt7714(tmp_path, meta, want):
    doc = make_document(tmp_path, "a.txt", ARTICLE, **meta)
    write(tmp_path / "c.db", Extraction(doc, facts=[fact_at(doc, "6028名", 6028, "名")]))
    assert cite(tmp_path / "c.db", fact_id(doc, "6028名")).as_gbt7714(cited="2024-05-01") == want


def test_untitled_local_file_is_cited_by_what_it_opens_with_never_its_file_name(tmp_path):
    doc = make_document(tmp_path, "002_6db4a9f55f89edc1.txt", ARTICLE)
    write(tmp_path / "c.db", Extraction(doc, facts=[fact_at(doc, "6028名", 6028, "名")]))
    citation = cite(tmp_path / "c.db", fact_id(doc, "6028名"))
    assert citation.as_gbt7714() == "本报讯 城市基层党建工作会议召开。[Z]."  # its first line, short as a heading
    assert "6db4a9f55f89edc1" not in citation.as_csl_json()["title"]
    assert f"文件：{doc.path}" in citation.as_text()  # the file is still named, beside the reference


def test_untitled_document_with_a_publisher_and_date_cites_them(tmp_path):
    doc = make_document(tmp_path, "002_6db4a9f55f89edc1.txt", ARTICLE, publisher="某某网", published="2021-04-14")
    write(tmp_path / "c.db", Extraction(doc, facts=[fact_at(doc, "6028名", 6028, "名")]))
    ref = cite(tmp_path / "c.db", fact_id(doc, "6028名")).as_gbt7714()
    assert ref.startswith("某某网. ") and ref.endswith("[Z]. 2021-04-14.") and "6db4a9f5" not in ref


def test_csl_json(catalogue):
    doc, db = catalogue
    item = cite(db, fact_id(doc, "6028名")).as_csl_json()
    assert {k: item[k] for k in ("type", "title", "container-title", "issued", "author", "section", "page")} == {
        "type": "article-newspaper", "title": "网格党建织密治理网", "container-title": "测试城市报",
        "issued": {"date-parts": [[2021, 4, 6]]}, "author": [{"literal": "李明"}], "section": "第27版", "page": "27"}
    start = nth(doc.text, "6028名")
    assert (item["custom"]["start"], item["custom"]["end"]) == (start, start + 5)
    assert "选派在职党员6028名到社区报到" in item["note"]


def test_as_dict_is_plain_data(catalogue):
    import json

    doc, db = catalogue
    d = cite(db, fact_id(doc, "895个")).as_dict()
    assert json.loads(json.dumps(d, ensure_ascii=False))["figure"] == "895个"


@pytest.mark.parametrize("tamper, reason", [
    ("update documents set text = replace(text, '6028名', '6100名')", "no longer hashes to its sha256"),
    ("update facts set start = start + 1 where text = '895个'", "not the figure"),
    ("update facts set sentence_start = sentence_end - 3 where text = '895个'", "does not contain"),
])
def test_changed_source_is_flagged_not_cited(catalogue, tamper, reason):
    doc, db = catalogue
    sql(db, tamper)
    with pytest.raises(CitationError, match=reason):
        cite(db, fact_id(doc, "895个"))


def test_changed_source_file_is_flagged(catalogue):
    doc, db = catalogue
    Path(doc.path).write_text(ARTICLE.replace("895个", "900个"), encoding="utf-8")
    with pytest.raises(CitationError, match="source file changed"):
        cite(db, fact_id(doc, "6028名"))


def test_moved_source_file_is_still_cited_from_the_stored_text(catalogue):
    doc, db = catalogue
    Path(doc.path).unlink()
    c = cite(db, fact_id(doc, "6028名"))
    assert not c.source_file_checked and c.quote in ARTICLE


def test_unknown_fact(catalogue):
    _, db = catalogue
    with pytest.raises(CitationError, match="no fact"):
        cite(db, "0000000000000000")


def test_citations_view(catalogue):
    doc, db = catalogue
    # the catalogue creates the view (pipeline.catalogue.VIEWS)
    got = sql(db, "select figure, quote, title, publisher, published, source, line from citations order by start")
    assert [(g[0], g[6]) for g in got] == [("895个", 2), ("6028名", 2), ("32个", 3), ("895个", 4)]
    for figure, quote, title, publisher, published, source, _ in got:
        assert figure in quote and quote in ARTICLE
        assert (title, publisher, published, source) == ("网格党建织密治理网", "测试城市报", "2021-04-06", doc.path)


def test_citation_is_a_frozen_record():
    assert Citation.__dataclass_params__.frozen


# -- the unchecked and uncertain (issue 23) --------------------------------------------------------
@pytest.mark.parametrize("confidence, checked, warned", [(0.42, 0, True), (0.42, 1, False), (0.9, 0, False),
                                                         (None, 0, False)])
def test_cite_says_when_a_figure_is_unchecked_and_uncertain(catalogue, confidence, checked, warned):
    doc, db = catalogue
    fid = fact_id(doc, "6028名")
    sql(db, "update facts set confidence = ?, checked = ? where id = ?", [confidence, checked, fid])
    with Catalogue(db) as cat:
        cat.db.conn.commit()
    text = cite(db, fid).as_text()
    assert ("未经人工核对" in text) is warned
    if warned:
        assert "0.42" in text and "低于 0.60" in text and "未经人工核对" not in cite(db, fid, low=0.4).as_text()


def test_a_figure_that_is_no_finite_number_is_not_cited(catalogue):
    doc, db = catalogue
    fid = fact_id(doc, "6028名")
    with Catalogue(db) as cat:
        with cat.db.conn:
            cat.db.execute("update facts set value = ? where id = ?", [float("inf"), fid])
    with pytest.raises(CitationError, match="no finite number"):
        cite(db, fid)
