"""The catalogue in Datasette: Chinese full-text search, metadata, canned queries, document view.

A small catalogue is written through the Catalogue API from sentences written here, so
nothing depends on how well the extractors do; real servers (``jingyan serve`` and plain
``datasette``) are started on free ports and asked over HTTP.
"""
from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from pipeline import fts
from pipeline.catalogue import TABLES, VIEWS, Catalogue
from pipeline.datasette_plugin import highlight
from pipeline.records import Document, Extraction, Fact, Locality, Mechanism, PlacedSpan

from .conftest import CORPUS, JINGYAN, free_port

DATASETTE = str(Path(sys.executable).parent / "datasette")

# -- a catalogue of three documents written here -------------------------------------------------
JIANGSU = Locality("江苏省", "province", "320000", latitude=32.06, longitude=118.76)
NANJING = Locality("南京市", "city", "320100", JIANGSU, 32.06, 118.80)
GULOU = Locality("鼓楼区", "district", "320106", NANJING, 32.07, 118.77)
NINGHAILU = Locality("宁海路街道", "street", "", GULOU, 32.06, 118.77)
ZHEJIANG = Locality("浙江省", "province", "330000", latitude=30.27, longitude=120.15)
HANGZHOU = Locality("杭州市", "city", "330100", ZHEJIANG, 30.27, 120.16)
SHANGCHENG = Locality("上城区", "district", "330102", HANGZHOU, 30.24, 120.17)

TEXTS = {
    "a.txt": ("宁海路街道推行红色物业",
              "宁海路街道推行红色物业，组织在职党员进小区参与治理。\n街道共建立网格党支部12个，覆盖全部小区。"),
    "b.txt": ("上城区的红色物业",
              "上城区推广红色物业模式，物业公司与社区党委联席议事。\n全区划分网格86个，每个网格配备网格员。"),
    "c.txt": ("宁海路的志愿服务", "宁海路沿线开展志愿服务，居民踊跃参加。"),
}


def _document(name: str) -> Document:
    title, text = TEXTS[name]
    digest = hashlib.sha256(text.encode()).hexdigest()
    return Document(source_name=name, path=f"tests/{name}", sha256=digest, file_sha256=digest, text=text,
                    title=title, publisher="测试报", published="2024-05-01")


def _span(text: str, needle: str, nth: int = 0) -> tuple[int, int]:
    start = -1
    for _ in range(nth + 1):
        start = text.index(needle, start + 1)
    return start, start + len(needle)


def _sentence(text: str, start: int) -> tuple[int, int]:
    s = max(text.rfind("。", 0, start), text.rfind("\n", 0, start)) + 1
    return s, text.index("。", start) + 1


def _mechanism(doc: Document, name: str, kind: str, place: Locality) -> Mechanism:
    start, end = _span(doc.text, name)
    s, e = _sentence(doc.text, start)
    return Mechanism(start, end, name, kind, sentence_start=s, sentence_end=e, locality=place, rule="TEST-M")


def _fact(doc: Document, figure: str, value: float, unit: str, subject: str, place: Locality) -> Fact:
    start, end = _span(doc.text, figure)
    s, e = _sentence(doc.text, start)
    return Fact(start, end, figure, value, unit, subject=subject, sentence_start=s, sentence_end=e,
                locality=place, rule="TEST-F")


def _place(doc: Document, name: str, place: Locality) -> PlacedSpan:
    return PlacedSpan(*_span(doc.text, name), place)


def build_catalogue(path: Path) -> dict[str, str]:
    """Write the three documents; returns {file name: document id}."""
    a, b, c = (_document(n) for n in TEXTS)
    extractions = [
        Extraction(a, facts=[_fact(a, "12个", 12, "个", "网格党支部", NINGHAILU)],
                   mechanisms=[_mechanism(a, "红色物业", "brand", NINGHAILU)],
                   places=[_place(a, "宁海路街道", NINGHAILU)], document_locality=NINGHAILU),
        Extraction(b, facts=[_fact(b, "86个", 86, "个", "网格", SHANGCHENG)],
                   mechanisms=[_mechanism(b, "红色物业", "brand", SHANGCHENG)],
                   places=[_place(b, "上城区", SHANGCHENG)], document_locality=SHANGCHENG),
        Extraction(c, places=[_place(c, "宁海路", NINGHAILU)], document_locality=NINGHAILU),
    ]
    with Catalogue(path) as catalogue:
        run_id = catalogue.start_run(["tests"], {})
        for extraction in extractions:
            catalogue.write(extraction, run_id)
        catalogue.refresh_practices()
    return {d.source_name: d.id for d in (a, b, c)}


@pytest.fixture(scope="module")
def catalogue(tmp_path_factory) -> tuple[Path, dict[str, str]]:
    path = tmp_path_factory.mktemp("datasette") / "catalogue.db"
    return path, build_catalogue(path)


# -- servers ---------------------------------------------------------------------------------------
def get(base: str, path: str, **params) -> tuple[int, str]:
    url = base + urllib.parse.quote(path) + ("?" + urllib.parse.urlencode(params) if params else "")
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, response.read().decode("utf-8")
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode("utf-8", "replace")


def get_json(base: str, path: str, **params):
    status, body = get(base, path, **params)
    assert status == 200, body[:500]
    return json.loads(body)


@contextlib.contextmanager
def running(command: list[str], port: int, timeout: float = 30):
    """A server process answering on 127.0.0.1:port; always terminated and waited for.

    Its output goes to a file, not a pipe nobody reads: Datasette prints long tracebacks
    for bad requests, and a full pipe would block the server.
    """
    log = tempfile.NamedTemporaryFile("w+", suffix=".log", delete=False)
    process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, text=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + timeout
        while True:
            if process.poll() is not None:
                raise AssertionError(f"server exited {process.returncode}: {Path(log.name).read_text()[-3000:]}")
            try:
                with urllib.request.urlopen(base + "/-/versions.json", timeout=2):
                    break
            except OSError:
                if time.monotonic() > deadline:
                    raise AssertionError(f"server did not answer within {timeout} s")
                time.sleep(0.2)
        yield base, process
    finally:
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        log.close()
        os.unlink(log.name)


def serve_command(db: Path, port: int) -> list[str]:
    return [JINGYAN, "serve", "--db", str(db), "--port", str(port)]


@pytest.fixture(scope="module")
def server(catalogue):
    db, ids = catalogue
    port = free_port()
    with running(serve_command(db, port), port) as (base, process):
        yield base, db.stem, ids
        process.terminate()
        # uvicorn exits 0 or re-raises SIGTERM; a crash closing the tokenizer would be SIGSEGV/SIGILL
        assert process.wait(timeout=15) in (0, -15)


# -- the tokenizer ---------------------------------------------------------------------------------
@pytest.mark.parametrize("text, expected", [
    ("推行红色物业。", [("推行", 0, 6, 0), ("红色物业", 6, 18, 0), ("红色", 6, 12, 1), ("物业", 12, 18, 1)]),
    ("网格党支部12个", [("网格党支部", 0, 15, 0), ("网格", 0, 6, 1), ("党支部", 6, 15, 1), ("支部", 9, 15, 1),
                   ("12", 15, 17, 0), ("个", 17, 20, 0)]),
    # full-width letters and digits fold to ASCII; offsets stay those of the original bytes
    ("ＡＢ党员", [("ab", 0, 6, 0), ("党员", 6, 12, 0)]),
    ("“1+3+N” 机制", [("1", 3, 4, 0), ("3", 5, 6, 0), ("n", 7, 8, 0), ("机制", 12, 18, 0)]),
])
def test_tokens_and_utf8_byte_offsets(text, expected):
    assert list(fts.tokens(text)) == expected
    raw = text.encode("utf-8")
    for token, start, end, _ in fts.tokens(text):
        assert raw[start:end].decode().translate(fts._FOLD).lower() == token


@pytest.mark.parametrize("query, expected", [
    ("红色物业", ["红色物业"]),  # a query is not split into the words inside a word
    ("宁海路 党员", ["宁海", "路", "党员"]),
])
def test_query_tokens(query, expected):
    assert [t[0] for t in fts.tokens(query, query=True)] == expected


@pytest.mark.parametrize("text", [
    "标题\n\n推行红色物业,建成网格党支部12个。\n来源:人民网\n",
    "第一段“红色物业”。\r\n\r\n第二段ＡＢ党员(３名)。\u3000\n",
    '他说"党员站出来"。\n「红色管家」与『兼职委员』\n',
    "正文第一段\n（责任编辑：王某）",
])
def test_index_tokens_reuse_the_taggers_cut_of_the_body(text):
    """Workers index a document with the words the tagger already cut (one route for both):
    the tokens must be exactly those of cutting the whole text afresh."""
    from pipeline.records import Document
    from pipeline.settings import Settings
    from pipeline.tagging import tag

    tagged = tag(Document("t.txt", "t.txt", "0", "0", text), Settings())
    assert tagged.search_words is not None
    assert fts.index_tokens(text, tagged.search_words) == fts.index_tokens(text) == packed(fts.tokens(text))


def packed(tokens) -> "fts.IndexTokens":
    """``tokens(text)`` as the index stores them: no offsets."""
    return fts.IndexTokens(b"\0".join(t[0].encode() for t in tokens), bytes(t[3] for t in tokens))


@pytest.mark.parametrize("text", [
    "推行红色物业。", "网格党支部12个", "ＡＢ党员(３名)", "“1+3+N” 机制", "", "。。", "城市基层党建工作 2024年",
])
def test_packed_index_tokens_are_the_tokens_without_offsets(text):
    assert fts.index_tokens(text) == packed(fts.tokens(text))


def test_index_tokens_reuse_refuses_a_paragraph_that_runs_into_its_neighbour():
    """A body span that starts inside a word (党建|工作) would cut differently alone: cut afresh."""
    text = "城市基层党建工作"
    assert fts.index_tokens(text, [(4, 8, ["建工", "作"])]) == fts.index_tokens(text)
    assert fts.index_tokens(text, [(0, 8, ["城市"])]) == fts.index_tokens(text)  # words short of the span
    assert fts.index_tokens(text, [(0, 8, ["城市基层党建", "作"])]) == fts.index_tokens(text)  # 7 ≠ 8 chars


def test_taggers_with_other_dictionaries_leave_the_index_to_cut_alone(tmp_path):
    """Annotators' word lists change the tagger's cut, not the index's: no reuse then."""
    from pipeline.records import Document
    from pipeline.settings import Settings
    from pipeline.tagging import tag

    (tmp_path / "words.dict.txt").write_text("红色物业联盟 10 nz\n", encoding="utf-8")
    tagged = tag(Document("t.txt", "t.txt", "0", "0", "推行红色物业联盟。"), Settings(annotations_dir=tmp_path))
    assert tagged.search_words is None
    assert "红色物业联盟" in [t.text for s in tagged.sentences for t in s.tokens]


def test_highlight_marks_whole_words_at_the_right_bytes(catalogue):
    db, ids = catalogue
    conn = sqlite3.connect(db)
    try:
        fts.register(conn)
        rows = conn.execute("select highlight(documents_fts, 1, '[', ']') from documents_fts "
                            "where documents_fts match ? order by rowid", ["物业"]).fetchall()
        marked = conn.execute("select highlight(documents_fts, 1, '[', ']') from documents_fts "
                              "where documents_fts match ?", ["网格党支部"]).fetchone()[0]
    finally:
        conn.close()
    # the whole word holding the match is marked: 物业 inside 红色物业 marks 红色物业
    assert [r[0].split("\n")[0] for r in rows] == ["宁海路街道推行[红色物业]，组织在职党员进小区参与治理。",
                                                   "上城区推广[红色物业]模式，[物业公司]与社区党委联席议事。"]
    assert "共建立[网格党支部]12个" in marked


def test_the_c_token_feed_indexes_what_the_python_loop_does(monkeypatch):
    """setup.py builds pipeline/_fts5feed.c where a compiler is (the tests have one); it hands
    a row's packed tokens to FTS5 as the Python loop does: same terms, positions, colocations.
    The texts hold an empty text, one with no token at all, and a seed's whole body."""
    assert fts._feed is not None
    texts = ["", "，。“”", "推行红色物业。ＡＢＣ２０２３年", "城市基层党建", *(p.read_text(encoding="utf-8")
                                                          for p in sorted(CORPUS.glob("*.txt"))[:2])]

    def index_with(feed) -> list[tuple]:
        monkeypatch.setattr(fts, "_feed", feed)
        conn = sqlite3.connect(":memory:")
        fts.register(conn)
        try:
            conn.execute("create virtual table t using fts5(body, tokenize='jieba')")
            conn.execute("create virtual table v using fts5vocab(t, 'instance')")
            with fts.provided({text: fts.index_tokens(text) for text in texts[::2]}):  # provided and not
                conn.executemany("insert into t(body) values (?)", [(text,) for text in texts])
            conn.execute("delete from t where rowid = 4")  # a delete tokenises its row again
            return conn.execute("select * from v order by 1, 2, 3, 4").fetchall()
        finally:
            conn.close()

    in_c = index_with(fts._feed)
    assert len(in_c) > 1000 and in_c == index_with(None)


def test_index_follows_updates_and_deletes(tmp_path):
    db = tmp_path / "c.db"
    build_catalogue(db)
    with Catalogue(db) as cat:
        cat.db.execute("update practices set name = '蓝色物业' where name = '红色物业'")
        cat.db.execute("delete from facts where subject = '网格'")
        count = cat.db.execute
        assert count("select count(*) from practices_fts where practices_fts match '蓝色物业'").fetchone()[0] == 1
        assert count("select count(*) from practices_fts where practices_fts match '红色物业'").fetchone()[0] == 0
        assert count("select count(*) from facts_fts where facts_fts match '网格员'").fetchone()[0] == 0
        cat.db.execute("insert into facts_fts(facts_fts, rank) values('integrity-check', 1)")


def test_prepare_rebuilds_an_index_whose_definition_changed(tmp_path):
    db = tmp_path / "c.db"
    build_catalogue(db)
    conn = sqlite3.connect(db, isolation_level=None)
    fts.register(conn)
    conn.execute("drop trigger documents_au")  # as an older version might have left it
    conn.close()
    with Catalogue(db) as cat:
        names = {r[0] for r in cat.db.execute("select name from sqlite_master where type = 'trigger'")}
        assert {"documents_ai", "documents_ad", "documents_au"} <= names
        assert cat.db.execute("select count(*) from documents_fts where documents_fts match '志愿服务'").fetchone()[0] == 1


def test_process_exits_cleanly_with_connections_left_open(catalogue):
    # Without fts.close_connections at exit, SQLite calls freed tokenizer callbacks during
    # interpreter teardown and the process dies with SIGILL/SIGSEGV.
    db, _ = catalogue
    script = (
        "import sqlite3, threading\n"
        "from pipeline import fts\n"
        f"conn = sqlite3.connect({str(db)!r}); fts.register(conn)\n"
        "assert conn.execute(\"select count(*) from documents_fts where documents_fts match '物业'\").fetchone()[0] == 2\n"
        "def other():\n"
        f"    global kept; kept = sqlite3.connect({str(db)!r}, check_same_thread=False); fts.register(kept)\n"
        "    kept.execute(\"select * from facts_fts where facts_fts match '网格'\").fetchall()\n"
        "thread = threading.Thread(target=other); thread.start(); thread.join()\n"
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr[-2000:]


def test_highlight_pieces_do_not_overlap():
    text = "宁海路街道推行红色物业模式"
    spans = [{"start": 0, "end": 5, "kind": "place", "label": "宁海路街道", "id": "p"},
             {"start": 7, "end": 11, "kind": "mechanism", "label": "红色物业", "id": "m"},
             {"start": 9, "end": 11, "kind": "fact", "label": "物业", "id": "f"}]
    pieces = highlight(text, spans)
    assert "".join(p["text"] for p in pieces) == text
    assert [(p["text"], p["kind"]) for p in pieces if p["kind"]] == [("宁海路街道", "place"), ("红色物业", "mechanism")]


# -- searches over HTTP ----------------------------------------------------------------------------
SEARCHES = [
    # table, column shown, query, expected values of that column
    ("practices", "name", "物业", {"红色物业"}),  # a two-character word inside a compound
    ("practices", "name", "红色物业", {"红色物业"}),
    ("mechanisms", "name", "物业", {"红色物业"}),
    ("facts", "text", "网格", {"12个", "86个"}),  # 网格 in 网格党支部 and alone
    ("facts", "text", "网格党支部", {"12个"}),
    ("documents", "source_name", "物业", {"a.txt", "b.txt"}),
    ("documents", "source_name", "网格", {"a.txt", "b.txt"}),
    ("documents", "source_name", "红色物业", {"a.txt", "b.txt"}),
    ("documents", "source_name", "宁海路 党员", {"a.txt"}),  # both words; c.txt has only 宁海路
    ("documents", "source_name", "宁海路", {"a.txt", "c.txt"}),
    ("documents", "source_name", "志愿服务", {"c.txt"}),
    ("documents", "source_name", "物业公司", {"b.txt"}),
    ("documents", "source_name", "蓝色物业", set()),
]


@pytest.mark.parametrize("table, column, query, expected", SEARCHES)
def test_search_json_api(server, table, column, query, expected):
    base, name, _ = server
    rows = get_json(base, f"/{name}/{table}.json", _search=query, _shape="array", _col=column)
    assert {r[column] for r in rows} == expected


def test_search_box_is_shown_on_every_searchable_table(server):
    base, name, _ = server
    for table in fts.FTS_COLUMNS:
        status, html = get(base, f"/{name}/{table}")
        assert status == 200
        assert 'name="_search"' in html, table


# -- metadata and canned queries -------------------------------------------------------------------
def test_metadata_describes_every_table_and_column(server):
    base, name, _ = server
    meta = get_json(base, "/-/metadata.json")
    for key in ("title", "description_html", "source", "license"):
        assert meta.get(key), key
    tables = meta["databases"][name]["tables"]
    for table, spec in TABLES.items():
        assert tables[table]["description"], table
        assert set(tables[table]["columns"]) == set(spec["columns"]), table
    for view in VIEWS:
        assert tables[view]["description"], view
        columns = get_json(base, f"/{name}/{view}.json", _size=1)["columns"]
        assert set(tables[view]["columns"]) == set(columns), view


@pytest.mark.parametrize("table, facets", [
    ("practices", {"kind", "category"}),
    ("mechanisms", {"kind", "locality_id"}),
    ("facts", {"unit", "locality_id"}),
    ("localities", {"level"}),
    ("practices_by_locality", {"locality", "level", "kind", "category"}),
])
def test_facets(server, table, facets):
    base, name, _ = server
    assert table not in get_json(base, "/-/metadata.json")["databases"][name]["queries"]  # not hidden by a query
    data = get_json(base, f"/{name}/{table}.json")
    assert facets <= set(data["facet_results"])


def test_canned_practices_by_locality(server):
    base, name, _ = server
    rows = get_json(base, f"/{name}/practices_in_locality.json", locality="鼓楼区", _shape="array")
    assert [(r["locality"], r["practice"]) for r in rows] == [("江苏省/南京市/鼓楼区/宁海路街道", "红色物业")]
    assert rows[0]["latitude"] and rows[0]["longitude"]  # so datasette-cluster-map draws it
    everywhere = get_json(base, f"/{name}/practices_in_locality.json", locality="", _shape="array")
    assert len(everywhere) == 2


def test_canned_figures_about_subject(server):
    base, name, _ = server
    rows = get_json(base, f"/{name}/figures_about_subject.json", subject="网格", _shape="array")
    assert {(r["subject"], r["figure"], r["locality"]) for r in rows} == {
        ("网格党支部", "12个", "江苏省/南京市/鼓楼区/宁海路街道"), ("网格", "86个", "浙江省/杭州市/上城区")}


def test_canned_practices_in_several_localities(server):
    base, name, _ = server
    rows = get_json(base, f"/{name}/practices_shared_by_localities.json", _shape="array")
    assert [(r["name"], r["localities"]) for r in rows] == [("红色物业", 2)]


def test_canned_document_extractions_and_highlighted_view(server):
    base, name, ids = server
    rows = get_json(base, f"/{name}/document_extractions.json", document_id=ids["a.txt"], _shape="array")
    assert [(r["kind"], r["text"]) for r in rows] == [("place", "宁海路街道"), ("practice", "红色物业"),
                                                      ("figure", "12个")]
    status, html = get(base, f"/{name}/document_extractions", document_id=ids["a.txt"])
    assert status == 200 and f'href="/{name}/-/document/{ids["a.txt"]}"' in html
    status, page = get(base, f"/{name}/-/document/{ids['a.txt']}")
    assert status == 200
    assert '<mark class="jy-mechanism"' in page and ">红色物业</mark>" in page
    assert ">12个</mark>" in page and ">宁海路街道</mark>" in page
    assert get(base, f"/{name}/-/document/nosuchdocument")[0] == 404


def test_read_only(server):
    base, name, _ = server
    status, body = get(base, f"/{name}.json", sql="delete from practices")
    assert status >= 400 or "error" in body
    assert get_json(base, f"/{name}/practices.json", _shape="array")  # still there


def test_map_plugin_is_loaded(server):
    base, _, _ = server
    names = {p["name"] for p in get_json(base, "/-/plugins.json")}
    assert {"datasette-cluster-map", "jingyan"} <= names


# -- plain datasette, plugin through the entry point -----------------------------------------------
def test_plain_datasette_starts_and_searches(catalogue):
    db, ids = catalogue
    port = free_port()
    with running([DATASETTE, str(db), "--port", str(port)], port) as (base, process):
        rows = get_json(base, f"/{db.stem}/practices.json", _search="物业", _shape="array", _col="name")
        assert {r["name"] for r in rows} == {"红色物业"}
        rows = get_json(base, f"/{db.stem}/documents.json", _search="宁海路 党员", _shape="array", _col="source_name")
        assert [r["source_name"] for r in rows] == ["a.txt"]
        assert get(base, f"/{db.stem}/-/document/{ids['a.txt']}")[0] == 200
        process.terminate()
        # uvicorn exits 0 or by re-raising SIGTERM; a crash closing the tokenizer would be SIGSEGV/SIGABRT
        assert process.wait(timeout=15) in (0, -15)


def test_sqlite3_reads_plain_tables_without_the_tokenizer(catalogue):
    db, _ = catalogue
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        assert conn.execute("select count(*) from documents").fetchone()[0] == 3
        with pytest.raises(sqlite3.OperationalError, match="no such tokenizer"):
            conn.execute("select * from documents_fts where documents_fts match '物业'").fetchall()
    finally:
        conn.close()


# -- serve says where it listens --------------------------------------------------------------------
def test_serve_prints_the_url_it_listens_on_and_the_database(catalogue, tmp_path):
    db, _ = catalogue
    log = tmp_path / "serve.log"
    with log.open("w") as out:
        process = subprocess.Popen([JINGYAN, "serve", "--db", str(db), "--port", "0"], stdout=out,
                                   stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + 30
        while not (printed := re.search(r"http://127\.0\.0\.1:(\d+)/", log.read_text())):
            assert process.poll() is None, log.read_text()
            assert time.monotonic() < deadline, f"no address printed: {log.read_text()!r}"
            time.sleep(0.1)
        line = log.read_text().splitlines()[0]
        assert str(db) in line and "read-only" in line
        base = printed.group(0).rstrip("/")  # --port 0: the port the system chose, not 0
        assert printed.group(1) != "0"
        deadline = time.monotonic() + 30
        while True:
            try:
                assert get_json(base, "/-/versions.json")
                break
            except OSError:
                assert time.monotonic() < deadline
                time.sleep(0.2)
    finally:
        process.terminate()
        process.wait(timeout=15)


def test_serve_on_a_port_in_use_is_a_usage_error(catalogue):
    db, _ = catalogue
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = subprocess.run([JINGYAN, "serve", "--db", str(db), "--port", str(port)], capture_output=True,
                                text=True, timeout=60)
    assert result.returncode == 2
    assert f"cannot listen on 127.0.0.1:{port}" in result.stderr and "Traceback" not in result.stderr
    assert "Serving" not in result.stdout


# -- pages lead with the table ------------------------------------------------------------------------
def test_table_page_folds_column_descriptions_above_the_rows(server):
    base, name, _ = server
    status, html = get(base, f"/{name}/facts")
    assert status == 200
    folded = html.index('<details class="jy-column-descriptions">')
    assert html.count('class="column-descriptions"') == 1  # Datasette's unfolded list is not printed
    assert folded < html.index('<dl class="column-descriptions">') < html.index("</details>", folded)
    assert html.index("</details>", folded) < html.index('<table class="rows-and-columns">')
    for column in TABLES["facts"]["columns"]:
        assert f"<dt>{column}</dt>" in html
    assert f"What the {len(TABLES['facts']['columns'])} columns hold" in html
    # each column header keeps its description for Datasette's column menu
    assert 'data-column-description="The figure exactly as written: documents.text[start:end]."' in html
    # the licence and source stay in the footer, not above the table
    assert html.count("Data license:") == 1 and html.index("Data license:") > html.index('<table class="rows-and-columns">')


# -- the map's offline base layer ---------------------------------------------------------------------
PROVINCES = Path(__file__).resolve().parent.parent / "pipeline" / "static" / "china_provinces.geojson"


def test_map_script_and_province_outlines_are_served(server):
    base, name, _ = server
    status, html = get(base, f"/{name}/localities")
    assert status == 200 and 'src="/-/jingyan/jingyan_map.js"' in html
    with urllib.request.urlopen(base + "/-/jingyan/jingyan_map.js", timeout=10) as response:
        assert response.headers["content-type"].startswith("text/javascript")
        assert b"china_provinces.geojson" in response.read()
    with urllib.request.urlopen(base + "/-/jingyan/china_provinces.geojson", timeout=10) as response:
        assert response.headers["content-type"] == "application/geo+json"
        served = response.read()
    assert served == PROVINCES.read_bytes()
    for missing in ("/-/jingyan/nothing.js", "/-/jingyan/..%2Fdatasette_plugin.py", "/-/jingyan/catalogue.db"):
        assert get(base, missing)[0] == 404, missing


def test_map_files_are_installed_with_the_package():
    """A non-editable install ships pipeline/static only when package-data names it."""
    import tomllib

    project = tomllib.loads((PROVINCES.parent.parent.parent / "pyproject.toml").read_text(encoding="utf-8"))
    assert "*" in project["tool"]["setuptools"]["package-data"].get("pipeline.static", [])


def _inside(lon: float, lat: float, geometry: dict) -> bool:
    """Even-odd rule over every ring of a (Multi)Polygon, holes included."""
    polygons = geometry["coordinates"] if geometry["type"] == "MultiPolygon" else [geometry["coordinates"]]
    crossings = 0
    for ring in (ring for polygon in polygons for ring in polygon):
        for (x1, y1), (x2, y2) in zip(ring, ring[1:] + ring[:1]):
            if (y1 > lat) != (y2 > lat) and lon < x1 + (lat - y1) * (x2 - x1) / (y2 - y1):
                crossings += 1
    return crossings % 2 == 1


def test_province_outlines_are_small_and_put_each_province_where_it_is():
    assert PROVINCES.stat().st_size < 1_000_000
    features = json.loads(PROVINCES.read_text(encoding="utf-8"))["features"]
    by_adcode = {f["properties"]["adcode"]: f for f in features}
    assert len(features) == len(by_adcode) == 34  # 23 provinces, 5 regions, 4 municipalities, 2 SARs
    assert by_adcode["320000"]["properties"]["name"] == "江苏省"
    for place in (JIANGSU, ZHEJIANG, NANJING, HANGZHOU):
        province = place.lineage()[0]
        holding = [a for a, f in by_adcode.items() if _inside(place.longitude, place.latitude, f["geometry"])]
        assert holding == [province.adcode], place.name


# -- the document picker ------------------------------------------------------------------------------
def test_document_picker_lists_documents_by_title_escaped(tmp_path):
    db = tmp_path / "catalogue.db"
    ids = build_catalogue(db)
    title = '<script>alert("标题")</script> & “红色物业”'
    untitled = Document(source_name="d.txt", path="tests/d.txt", sha256="d" * 64, file_sha256="d" * 64,
                        text="没有标题的文本。", title="")
    risky = Document(source_name="e.txt", path="tests/e.txt", sha256="e" * 64, file_sha256="e" * 64,
                     text="标题含有尖括号。", title=title, published="2025-01-01")
    with Catalogue(db) as catalogue:
        run_id = catalogue.start_run(["tests"], {})
        for document in (untitled, risky):
            catalogue.write(Extraction(document), run_id)
    port = free_port()
    with running(serve_command(db, port), port) as (base, _):
        status, html = get(base, f"/{db.stem}/document_extractions", document_id=ids["b.txt"])
    assert status == 200
    picker = html[html.index('<select hidden id="jy-document-picker"'):html.index("</select>")]
    options = re.findall(r'<option value="([^"]*)"( selected)?>([^<]*)</option>', picker)
    assert [(value, label) for value, _, label in options] == [
        ("", "— choose a document (5) —"),
        (risky.id, "&lt;script&gt;alert(&#34;标题&#34;)&lt;/script&gt; &amp; “红色物业” · 2025-01-01"),
        (ids["b.txt"], "上城区的红色物业 · 测试报 · 2024-05-01"),  # same date: by title
        (ids["c.txt"], "宁海路的志愿服务 · 测试报 · 2024-05-01"),
        (ids["a.txt"], "宁海路街道推行红色物业 · 测试报 · 2024-05-01"),
        (untitled.id, "“没有标题的文本。” (untitled)"),  # no title: its first words, not its file name
    ]
    assert [value for value, selected, _ in options if selected] == [ids["b.txt"]]
    assert "<script>alert(" not in html


def test_doctests_of_the_datasette_modules():
    import doctest

    from pipeline import datasette_app, datasette_plugin

    for module in (datasette_app, datasette_plugin):
        assert doctest.testmod(module).failed == 0, module.__name__


# -- a hostile visitor (issue 20) -------------------------------------------------------------------
@pytest.fixture(scope="module")
def logged_server(catalogue):
    """``jingyan serve`` with its log kept, for what a refused request writes there."""
    db, _ = catalogue
    port = free_port()
    log = Path(tempfile.mkdtemp()) / "serve.log"
    with log.open("w") as out:
        process = subprocess.Popen(serve_command(db, port), stdout=out, stderr=subprocess.STDOUT)
        base = f"http://127.0.0.1:{port}"
        try:
            for _ in range(150):
                try:
                    urllib.request.urlopen(base + "/-/versions.json", timeout=2).close()
                    break
                except OSError:
                    time.sleep(0.2)
            yield base, db.stem, log
        finally:
            process.terminate()
            process.wait(timeout=15)


@pytest.mark.parametrize("sql", ["select printf('%.*c', 2000000000, 'x')", "select zeroblob(1e8)",
                                 "select length(zeroblob(100000000))", "select format('%2000000000d', 1)"])
def test_a_call_that_would_build_a_huge_value_fails_at_once(logged_server, sql):
    base, name, _ = logged_server
    started = time.monotonic()
    status, body = get(base, f"/{name}.json", sql=sql)
    assert time.monotonic() - started < 5
    assert status == 400 and len(body) < 10_000 and json.loads(body)["ok"] is False


def test_printf_within_the_limits_answers_as_sqlite_does(logged_server):
    base, name, _ = logged_server
    assert get_json(base, f"/{name}.json", sql="select printf('%05d-%s', 12, '党员')")["rows"] == [["00012-党员"]]


@pytest.mark.parametrize("path", ["/-/insert", "/{db}/documents/-/insert", "/{db}/documents/-/upsert",
                                  "/{db}/documents/-/drop", "/{db}/-/create", "/{db}/facts/x/-/update",
                                  "/{db}/facts/x/-/delete"])
def test_write_endpoints_are_not_found(logged_server, path):
    base, name, _ = logged_server
    url = base + path.format(db=name)
    for request in (urllib.request.Request(url), urllib.request.Request(
            url, data=b'{"row": {"id": "x"}}', headers={"content-type": "application/json"}, method="POST")):
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(request, timeout=10)
        assert refused.value.code == 404


def test_a_refused_request_is_one_line_in_the_log(logged_server):
    base, name, log = logged_server
    assert get(base, f"/{name}/localities/-/insert")[0] == 404  # a path no other test asks for
    assert get(base, f"/{name}.json", sql="select printf('%.*c', 2000000000, 'x')")[0] == 400
    time.sleep(0.5)
    text = log.read_text()
    assert "Traceback" not in text and "locals" not in text, text[-2000:]
    assert len([line for line in text.splitlines() if "/localities/-/insert" in line]) == 1
