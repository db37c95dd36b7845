"""Ingestion: encodings, HTML, page furniture, duplicates, bad input, speed.

Fixtures are written by the tests into tmp_path: seed texts re-encoded, sentences and
pages the tests write themselves. No third-party text is stored here.
"""
from __future__ import annotations

import functools
import os
import re
import time
from pathlib import Path

import pytest

from pipeline import furniture
from pipeline.ingest import (SUPPORTED_SUFFIXES, IngestError, body_fingerprint, decode_bytes, discover,
                             file_sha256, read_document)
from pipeline.settings import DATA_DIR, Settings

CORPUS = Path(__file__).resolve().parents[1] / "corpus"
SEED = {p.name[:3]: p for p in sorted(CORPUS.glob("*.txt"))}
SETTINGS = Settings()

# Written for these tests, in traditional characters (Big5 has no simplified forms).
BIG5_SENTENCE = "本區推動黨建引領基層治理,建立社區黨群服務中心一百二十個,服務居民超過三萬人次。\n"
GBK_SENTENCE = "近年来,某街道推行“红色物业”做法,组建物业党支部12个,服务居民2万余户。\n"


def seed_text(key: str) -> str:
    return SEED[key].read_text(encoding="utf-8")


def write(tmp_path: Path, name: str, data: bytes | str) -> Path:
    path = tmp_path / name
    path.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
    return path


# ---------------------------------------------------------------------------- encodings


@pytest.mark.parametrize("codec, recorded", [
    ("utf-8", "utf-8"),
    ("utf-8-sig", "utf-8-sig"),  # BOM dropped by decoding, nothing else
    ("gb18030", "gb18030"),
    ("utf-16", "utf-16"),  # Python writes a BOM
    ("utf-16-le", "utf-16-le"),  # no BOM: told by the NUL bytes of ASCII characters
    ("utf-16-be", "utf-16-be"),
])
def test_seed_in_other_encodings_reads_the_same(tmp_path, codec, recorded):
    text = seed_text("001")
    reference = read_document(SEED["001"], SETTINGS)
    doc = read_document(write(tmp_path, f"seed.{codec}.txt", text.encode(codec)), SETTINGS)
    assert doc.encoding == recorded
    assert doc.text == text
    assert (doc.title, doc.issuer, doc.body_spans) == (reference.title, reference.issuer, reference.body_spans)
    assert doc.sha256 == reference.sha256  # of the text: the same whatever the bytes were


@pytest.mark.parametrize("key", ["000", "004"])
def test_gb18030_seeds_keep_their_metadata(tmp_path, key):
    # 000 holds U+00A0, which GBK cannot encode: GB18030 can
    doc = read_document(write(tmp_path, "gb.txt", seed_text(key).encode("gb18030")), SETTINGS)
    reference = read_document(SEED[key], SETTINGS)
    assert doc.encoding == "gb18030"
    assert (doc.title, doc.publisher, doc.published) == (reference.title, reference.publisher, reference.published)


def test_big5_is_detected(tmp_path):
    doc = read_document(write(tmp_path, "big5.txt", (BIG5_SENTENCE * 3).encode("big5")), SETTINGS)
    assert doc.encoding in ("big5", "cp950", "big5hkscs")
    assert doc.text == BIG5_SENTENCE * 3


def test_gbk_decodes_as_gb18030(tmp_path):
    doc = read_document(write(tmp_path, "gbk.md", (GBK_SENTENCE * 3).encode("gbk")), SETTINGS)
    assert doc.encoding == "gb18030"
    assert doc.text == GBK_SENTENCE * 3


@pytest.mark.parametrize("raw, encoding", [
    ("党建引领".encode("gb18030"), "gb18030"),  # four characters: an open guess says Korean cp949
    ("黨建引領".encode("big5"), "big5"),
    ("Café société, déjà vu.\n".encode("cp1252"), None),  # not Chinese: still decoded, by detection
])
def test_short_texts_decode(raw, encoding):
    text, found = decode_bytes(raw)
    assert text == raw.decode(encoding or found)
    assert found == encoding or encoding is None and "é" in text


def test_decode_bytes_fast_path_is_strict_utf8():
    assert decode_bytes("党建引领".encode("utf-8")) == ("党建引领", "utf-8")


def test_text_is_never_rewritten():
    # CRLF, leading full-width spaces, U+00A0: all stay; offsets point into the file's text
    raw = "标题行\r\n\r\n\u3000\u3000近年来,某区建立网格党支部12个,覆盖居民3万余户,群众满意度明显提升。\u00a0\r\n"
    text, _ = decode_bytes(raw.encode("utf-8"))
    assert text == raw


# ---------------------------------------------------------------------------- HTML

PAGE = """<!DOCTYPE html><html><head><meta charset="{charset}"><title>鼓楼区:社区党建新做法_新闻中心</title>
<link rel="canonical" href="https://example.org/news/2021/0406/123.html"></head><body>
<div class="nav"><a href="/">首页</a> &gt; <a href="/news">新闻</a></div>
<h1>鼓楼区:社区党建新做法</h1>
<div class="info">发布时间:2021年04月06日 来源:示例日报 作者:张三</div>
<div class="content">
<p>近年来,示例市鼓楼区积极探索党建引领基层治理,建立网格党支部120个,覆盖居民3万余户。</p>
<p>该区推行“红色管家”做法,组织党员志愿者500余名参与小区治理,群众满意度提升到95%以上。</p>
<p>下一步,鼓楼区将继续深化“党建+治理”模式,推动更多社区形成可复制的经验做法。</p>
</div>
<div class="footer">© 2019 示例日报社 版权所有</div>
</body></html>"""


def test_html_text_and_metadata(tmp_path):
    doc = read_document(write(tmp_path, "page.html", PAGE.format(charset="utf-8")), SETTINGS)
    assert doc.title == "鼓楼区:社区党建新做法"
    assert doc.published == "2021-04-06"  # stated in words; never the © 2019 footer
    assert doc.url == "https://example.org/news/2021/0406/123.html"
    assert (doc.publisher, doc.author) == ("示例日报", "张三")
    # text is the extracted article text: offsets of body spans point into it
    assert "网格党支部120个" in doc.text and "<p>" not in doc.text
    assert all(doc.text[s:e].strip() for s, e in doc.body_spans)


def test_html_copyright_year_is_never_a_date(tmp_path):
    page = PAGE.format(charset="utf-8").replace("发布时间:2021年04月06日 ", "")
    doc = read_document(write(tmp_path, "page.htm", page), SETTINGS)
    assert doc.published == ""


def test_html_date_from_markup_and_declared_charset(tmp_path):
    page = PAGE.format(charset="gbk").replace("发布时间:2021年04月06日 ", "").replace(
        "</title>", '</title><meta property="article:published_time" content="2021-03-02T08:00:00+08:00">')
    # declared gbk, written in gb18030 (© is not in GBK): the GBK family decodes as gb18030
    doc = read_document(write(tmp_path, "page.html", page.encode("gb18030")), SETTINGS)
    assert (doc.encoding, doc.published) == ("gb18030", "2021-03-02")


def test_html_labels_in_inline_elements_and_xml_declaration(tmp_path):
    page = '<?xml version="1.0" encoding="utf-8"?>\n' + PAGE.format(charset="utf-8").replace(
        '<div class="info">发布时间:2021年04月06日 来源:示例日报 作者:张三</div>',
        '<div class="info"><span>发布时间:</span><span>2021-04-06</span> <span>来源:</span><span>示例日报</span></div>')
    doc = read_document(write(tmp_path, "page.xhtml.html", page), SETTINGS)
    assert (doc.published, doc.publisher) == ("2021-04-06", "示例日报")


def test_html_without_article_text_is_refused(tmp_path):
    path = write(tmp_path, "empty.html", "<html><head><title>空</title></head><body></body></html>")
    with pytest.raises(IngestError, match="no article text"):
        read_document(path, SETTINGS)


# ---------------------------------------------------------------------------- bad input


def _sparse(tmp_path: Path) -> Path:
    path = tmp_path / "huge.txt"
    with open(path, "wb") as fh:
        fh.truncate(50 * 1024 * 1024)  # sparse: 50 MB that take no disk
    return path


BAD = [
    ("empty", lambda d: write(d, "empty.txt", b""), "empty"),
    ("whitespace", lambda d: write(d, "blank.txt", " \n\u3000\n"), "no text"),
    ("binary with NUL", lambda d: write(d, "image.txt", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 8),
     "binary"),
    ("binary without NUL", lambda d: write(d, "noise.txt", bytes(range(1, 256)) * 40), "cannot decode|binary"),
    ("undecodable bytes", lambda d: write(d, "broken.txt", GBK_SENTENCE.encode("utf-8") * 20 + b"\xff\xfe\xfd"
                                          + GBK_SENTENCE.encode("utf-8") * 20), "cannot decode"),
    ("50 MB", _sparse, "too large"),
    ("unsupported extension", lambda d: write(d, "notes.xyz", GBK_SENTENCE), "unsupported file type .xyz"),
    ("no extension", lambda d: write(d, "README", GBK_SENTENCE), "no file extension"),
    ("pdf", lambda d: write(d, "report.pdf", b"%PDF-1.4\n"), r"\.pdf is not supported: convert to \.txt or \.html"),
    ("docx", lambda d: write(d, "report.docx", b"PK\x03\x04"), r"\.docx is not supported"),
    ("missing", lambda d: d / "missing.txt", "file not found"),
    ("directory", lambda d: (d / "folder.txt").mkdir() or d / "folder.txt", "is a directory"),
]


@pytest.mark.parametrize("case, make, reason", BAD, ids=[b[0] for b in BAD])
def test_bad_input_is_refused_with_file_and_reason(tmp_path, case, make, reason):
    path = make(tmp_path)
    with pytest.raises(IngestError) as info:
        read_document(path, SETTINGS)
    assert info.value.path == str(path)
    assert re.search(reason, info.value.reason), info.value.reason
    assert str(path) in str(info.value)


def test_large_file_refused_without_reading(tmp_path):
    path = _sparse(tmp_path)
    start = time.perf_counter()
    with pytest.raises(IngestError, match="too large"):
        read_document(path, SETTINGS)
    assert time.perf_counter() - start < 0.5  # reading and hashing 50 MB would take longer


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root reads any file")
def test_unreadable_file(tmp_path):
    path = write(tmp_path, "secret.txt", GBK_SENTENCE)
    path.chmod(0)
    try:
        with pytest.raises(IngestError, match="permission denied"):
            read_document(path, SETTINGS)
    finally:
        path.chmod(0o600)


def test_supported_suffixes():
    assert set(SUPPORTED_SUFFIXES) == {".txt", ".md", ".html", ".htm"}


def test_discover_walks_folders_sorted(tmp_path):
    (tmp_path / "b").mkdir()
    write(tmp_path, "b/2.txt", "x")
    write(tmp_path, "a.txt", "x")
    write(tmp_path, ".hidden.txt", "x")
    assert [p.name for p in discover([tmp_path, tmp_path / "gone.txt"])] == ["a.txt", "2.txt", "gone.txt"]


# ---------------------------------------------------------------------------- duplicates


def test_identical_bytes_are_one_document(tmp_path):
    a = write(tmp_path, "a.txt", SEED["003"].read_bytes())
    (tmp_path / "copy").mkdir()
    b = write(tmp_path, "copy/b.txt", SEED["003"].read_bytes())
    da, db = read_document(a, SETTINGS), read_document(b, SETTINGS)
    assert file_sha256(a) == file_sha256(b) == da.file_sha256 == db.file_sha256
    assert body_fingerprint(da) == body_fingerprint(db)


def test_same_body_other_furniture_same_fingerprint(tmp_path):
    text = seed_text("000")
    lines = text.split("\n")
    # another site's copy: other header, no nav line, a footer, CRLF line ends, GB18030
    other = ["来源:示例网 2021-04-07 09:00", "", "当前位置:首页 > 党建", ""] + lines[6:] + ["", "(完)", "© 2021 示例网"]
    a = read_document(SEED["000"], SETTINGS)
    b = read_document(write(tmp_path, "other.txt", "\r\n".join(other).encode("gb18030")), SETTINGS)
    assert a.sha256 != b.sha256
    assert body_fingerprint(a) == body_fingerprint(b)
    assert body_fingerprint(a) != body_fingerprint(read_document(SEED["001"], SETTINGS))


# ---------------------------------------------------------------------------- furniture

FURNITURE = [  # (seed, line as in the seed, rule id or "body")
    ("000", "第27版:全域党建·南京市", "F-EDITION"),
    ("000", "中国城市报 2021年04月06日 星期二", "F-DATE-STAMP"),
    ("000", "返回目录  放大缩小全文复制", "F-NAV"),
    ("000", "鼓楼区: 党建共同体聚合力 治理新格局添动力", "body"),  # headline, kept
    ("000", "《 中国城市报 》( 2021年04月06日   第 27 版)", "F-DATE-STAMP"),
    # the caption-like lead, repeated later in the text: body
    ("000", "南京市鼓楼区开展“将军讲党史”系列活动,首场邀请原南京军区司令员朱文泉将军现身说党史。", "body"),
    ("000", "以统揽全局的视野", "body"),  # section heading
    ("000", "规划组织共建", "body"),
    ("001", "/// 全域党建", "F-SECTION-MARK"),
    ("001", "擦亮“洪城红”城市基层党建品牌", "body"),
    ("001", "■中共南昌市委组织部", "F-BYLINE-MARK"),
    ("001", "把堡垒建成“主引擎”", "body"),
    ("001", "南昌市区风景。", "F-TAIL-SHORT"),
    ("002", "赋能扩权", "body"),
    ("002", "力量下沉凝聚“红色轴心”", "body"),
    ("002", "“四治”融合", "body"),
    ("003", "金花微信群", "F-SOCIAL"),
    ("003", "探索", "F-HEAD-SHORT"),
    ("003", "当前位置: 首页 > 科技 > 探索 > 福建福州市鼓楼区:以回答好“三个如何”为主线探索城市基层党建引领基层治理新路径",
     "F-BREADCRUMB"),
    ("003", "福建福州市鼓楼区:以回答好“三个如何”为主线探索城市基层党建引领基层治理新路径", "body"),
    ("003", "一、背景介绍", "body"),
    ("003", "“四项机制”就是构建责任机制、统筹机制、服务机制、保障机制。", "body"),
    ("003", "相关信息:", "F-LINK-LABEL"),
    ("004", "来源:民生网2021-04-14 15:09:53", "F-META-LABEL"),
    ("004", "公示投票平台:", "F-LINK-LABEL"),
    ("004", "详细了解本次活动并投稿参与,请点击:", "F-CALL-TO-ACTION"),
    ("004", "献礼建党百年︱“基层党建与民生发展”优秀案例大型征集活动公告", "F-LINK-TARGET"),
    ("004", "▲仙林街道网格人员到居民家中走访服务、化解矛盾", "F-CAPTION-MARK"),
    ("004", "一、背景动因", "body"),
    ("004", "(龚捷)", "F-BYLINE-PAREN"),
]


@functools.lru_cache(maxsize=None)
def _classified(key: str) -> dict[str, str]:
    lines = furniture.classify(seed_text(key))
    return {_spaces(l.text): l.rule or "body" for l in lines if not l.blank}


def _spaces(text: str) -> str:
    return re.sub(r"\s+", " ", text)  # the seeds' stamps hold U+00A0 and U+3000


@pytest.mark.parametrize("key, line, expected", FURNITURE)
def test_seed_lines_furniture_or_body(key, line, expected):
    assert _classified(key)[_spaces(line)] == expected


def test_original_title_line_is_furniture():
    lines = _classified("004")
    assert [r for t, r in lines.items() if t.startswith("(原稿题")] == ["F-ORIG-TITLE"]


@pytest.mark.parametrize("line, expected", [  # lines written for the tests
    ("(下转B2版)", "F-JUMP"),
    ("(上接第1版)", "F-JUMP"),
    ("(完)", "F-END-MARK"),
    ("© 2019 示例日报社 版权所有", "F-COPYRIGHT"),
    ("首页 > 新闻 > 正文", "F-BREADCRUMB-HOME"),
    ("【责任编辑:张三】", "F-META-LABEL"),
    ("发布时间:2021年04月06日", "F-META-LABEL"),
    ("张三 摄", "F-PHOTO-CREDIT"),
    ("上一篇 | 下一篇", "F-NAV"),
    ("扫码关注我们", "F-CALL-TO-ACTION"),
    ("分享到:", "F-NAV"),
    ("【字体:大 中 小】 【打印】 【关闭】", "F-NAV"),
    ("本报记者 张三 通讯员 李四", "F-BYLINE-PLAIN"),
    ("原标题:某区探索红色物业", "F-ORIG-TITLE"),
    ("(责编:张三、李四)", "F-BYLINE-PAREN"),
    ("社区建立居民微信群32个,覆盖居民5000余户。", ""),  # a body sentence about a 微信群
    ("打造智慧平台", ""),  # a heading, not a link label
    ("居民扫码即可预约服务。", ""),
    ("2020年,全区建成党群服务中心18个,覆盖率达100%。", ""),  # a date in a sentence
])
def test_pattern_rules_on_written_lines(line, expected):
    assert furniture.pattern_rule(line) == expected


WRITTEN_COPY = """聚焦城市基层党建
某区:党建引领物业服务 红色管家进小区
——来自某区的基层治理观察
2021年04月06日08:21  来源:示例网-党建频道
分享到:
本报记者 张三 通讯员 李四

近年来,某区推行“红色管家”做法,组建物业党支部12个,覆盖小区30个,服务居民2万余户。
下一步,某区将继续深化党建引领物业服务,推动更多小区形成可复制的经验做法。
图为社区党员志愿者开展服务。
(责编:王五、赵六)
"""


def test_written_web_copy():
    # a kicker above the headline, a subtitle, a stamp, tools, a byline, a caption, an editor
    doc_lines = furniture.classify(WRITTEN_COPY)
    rules = {l.text: l.rule for l in doc_lines if not l.blank}
    assert [l.text for l in doc_lines if l.headline] == ["某区:党建引领物业服务 红色管家进小区"]
    assert [t for t, r in rules.items() if not r] == [
        "聚焦城市基层党建", "某区:党建引领物业服务 红色管家进小区", "——来自某区的基层治理观察",
        "近年来,某区推行“红色管家”做法,组建物业党支部12个,覆盖小区30个,服务居民2万余户。",
        "下一步,某区将继续深化党建引领物业服务,推动更多小区形成可复制的经验做法。"]


def test_markdown_heading_is_the_title_and_images_are_furniture(tmp_path):
    body = "近年来,某区建立网格党支部12个,覆盖居民3万余户,推动基层治理提质增效。"
    doc = read_document(write(tmp_path, "note.md", f"# 某区党建引领基层治理\n\n![党群服务中心](img/1.jpg)\n\n{body}\n"),
                        SETTINGS)
    assert doc.title == "某区党建引领基层治理"
    assert [doc.text[s:e] for s, e in doc.body_spans] == ["# 某区党建引领基层治理", body]


@pytest.mark.parametrize("text, headline, tail", [
    # a numbered heading before the first paragraph is no headline
    ("来源:示例网 2021-04-06\n一、背景动因\n{body}\n", "", ""),
    # a short closing sentence with a figure stays body; a short caption does not
    ("{body}\n共建成党群服务中心18个。\n", "", ""),
    ("{body}\n社区一角。\n", "", "F-TAIL-SHORT"),
])
def test_layout_cases(text, headline, tail):
    body = "近年来,某区建立网格党支部12个,覆盖居民3万余户,推动基层治理提质增效。"
    lines = [l for l in furniture.classify(text.format(body=body)) if not l.blank]
    assert "".join(l.text for l in lines if l.headline) == headline
    assert lines[-1].rule == tail


def test_repeated_headline_is_furniture():
    body = "近年来,某区建立网格党支部12个,覆盖居民3万余户,推动基层治理提质增效。"
    lines = furniture.classify(f"某区党建引领基层治理\n\n某区党建引领基层治理\n\n{body}\n")
    assert [(l.rule, l.headline) for l in lines if not l.blank][:2] == [("", True), ("F-REPEATED-TITLE", False)]


def test_body_spans_leave_out_furniture_and_are_never_empty():
    for key in SEED:
        doc = read_document(SEED[key], SETTINGS)
        assert doc.body_spans
        for line in furniture.classify(doc.text):
            if line.furniture:
                assert not doc.in_body(line.start, line.end), line.text
            elif not line.blank:
                assert doc.in_body(line.start, line.end), line.text
    only_furniture = furniture.body_spans(furniture.classify("返回目录\n\n(完)\n"))
    assert only_furniture == ((0, 0),)


def test_rule_data_ids_unique_and_patterns_compile():
    ids = []
    for name in ("furniture_patterns.tsv", "furniture_layout.tsv", "furniture_nav.tsv", "metadata_patterns.tsv"):
        for raw in (DATA_DIR / name).read_text(encoding="utf-8").splitlines():
            if raw.strip() and not raw.startswith("#"):
                ids.append(raw.split("\t")[0])
    assert len(ids) == len(set(ids))
    assert furniture.patterns() and furniture.layout()


# ---------------------------------------------------------------------------- speed


def test_utf8_text_reads_faster_than_5_mb_per_second(tmp_path):
    text = "".join(seed_text(k) for k in SEED)
    path = write(tmp_path, "big.txt", text * (5_000_000 // len(text.encode("utf-8")) + 1))
    size = path.stat().st_size
    read_document(path, SETTINGS)  # warm the rule caches
    timings = []
    for _ in range(3):  # best of three: other processes share the machine
        start = time.perf_counter()
        read_document(path, SETTINGS)
        timings.append(time.perf_counter() - start)
    assert size / min(timings) > 5_000_000


def test_furniture_and_metadata_patterns_are_read_from_the_settings_data_folder(tmp_path):
    """A copy of the data folder without the continuation-note pattern and with the source
    label's rule renamed: the note becomes body and the publisher carries the new id."""
    import shutil

    folder = tmp_path / "data"
    shutil.copytree(DATA_DIR, folder)
    patterns = folder / "furniture_patterns.tsv"
    patterns.write_text("".join(line for line in patterns.read_text(encoding="utf-8").splitlines(keepends=True)
                                if not line.startswith("F-JUMP\t")), encoding="utf-8")
    labels = folder / "metadata_patterns.tsv"
    labels.write_text(labels.read_text(encoding="utf-8").replace("M-PUB-SOURCE\t", "M-PUB-SOURCE-EDITED\t"),
                      encoding="utf-8")
    path = write(tmp_path, "a.txt", "来源:示例日报\n\n" + GBK_SENTENCE + "(下转B2版)\n")
    as_shipped = read_document(path, SETTINGS)
    as_edited = read_document(path, Settings(data_dir=folder))
    assert as_shipped.publisher == as_edited.publisher == "示例日报"
    assert dict(as_shipped.metadata_rules)["publisher"] == "M-PUB-SOURCE"
    assert dict(as_edited.metadata_rules)["publisher"] == "M-PUB-SOURCE-EDITED"
    note = (as_shipped.text.index("(下转B2版)"), as_shipped.text.index("(下转B2版)") + len("(下转B2版)"))
    assert not as_shipped.in_body(*note) and as_edited.in_body(*note)


# ---------------------------------------------------------------------------- HTML: the page's own metadata lines and tags
META_PAGE = """<html><head><title>基层治理新探索</title>{tags}</head>
<body><h1>基层治理新探索</h1><div class="info">{info}</div>
<p>全区建立网格党支部895个，覆盖全部社区。这一做法在全市推广，取得明显成效，群众满意度持续提升。</p>
<p>街道党工委牵头成立联席会议，每月召开一次，协调解决问题120多个，群众反映的难事得到及时解决。</p></body></html>"""


@pytest.mark.parametrize("tags, info, want", [
    ("", "来源：中国组织人事报", ("中国组织人事报", "", "")),  # a full-width colon, on a line of its own
    ('<meta name="author" content="张三">', "", ("", "张三", "")),
    ('<meta property="og:site_name" content="人民网"><meta property="article:published_time" '
     'content="2021-04-06T10:00:00+08:00">', "", ("人民网", "", "2021-04-06")),
    ('<meta name="publishdate" content="2021-04-07"><meta name="source" content="人民网">'
     '<meta name="author" content="李四 王五">', "来源：中国组织人事报",
     ("中国组织人事报", "李四、王五", "2021-04-07")),  # the words on the page win over its tags
], ids=["source-line", "meta-author", "og-site-name-and-published-time", "line-beats-tags"])
def test_html_metadata_from_the_page_lines_and_meta_tags(tmp_path, tags, info, want):
    doc = read_document(write(tmp_path, "page.html", META_PAGE.format(tags=tags, info=info)), SETTINGS)
    assert (doc.publisher, doc.author, doc.published) == want
    rules = dict(doc.metadata_rules)
    assert all(rules[f].startswith("M-") for f, v in zip(("publisher", "author", "published"), want) if v)


def test_plain_text_labels_with_full_width_colons_are_read(tmp_path):
    text = "社区党建新做法\n来源：中国组织人事报　发布时间：2021年04月06日\n" + "全区建立网格党支部895个，覆盖全部社区。" * 4 + "\n"
    doc = read_document(write(tmp_path, "a.txt", text), SETTINGS)
    assert (doc.publisher, doc.published) == ("中国组织人事报", "2021-04-06")
