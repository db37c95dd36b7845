"""How practices spread (issue 24): practice families, document dates, the family views and
``jingyan practices``, over articles the tests write.

Six articles: 红色物业 in three cities and years (“红色物业”, 红色物业联盟, “红色物业”模式), one
of 红色管家, and one formula written two ways (1+3+N, “1＋3＋N”模式). They go through the real
pipeline (ingest, tagging, extraction) into a real SQLite catalogue; the families are then
made as every run makes them (``Catalogue.refresh_families`` with ``annotations/families``).
"""
from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from pipeline import families
from pipeline.catalogue import Catalogue, read_families
from pipeline.families import Correction, assign, family_core, parse_correction
from pipeline.ingest import read_document
from pipeline.process import process_document
from pipeline.settings import Settings

from .conftest import run_cli

ARTICLES = {
    "a.txt": "宁海路街道推行红色物业\n发布时间：2019-04-06\n"
             "江苏省南京市鼓楼区宁海路街道推行“红色物业”，组织在职党员进小区参与治理，物业公司与社区党委联席议事。"
             "街道共建立网格党支部12个，覆盖全部小区。\n",
    "b.txt": "上城区打造红色物业联盟\n"
             "新华社杭州2020年5月8日电 浙江省杭州市上城区成立“红色物业联盟”，推动物业企业参与社区治理。"
             "全区已有36家物业企业加入。\n",
    "c.txt": "武侯区推广红色物业模式\n"
             "四川省成都市武侯区推广“红色物业”模式，把党支部建在物业项目上。"
             "截至2021年底，全区已有48个小区实行这一做法，到2025年力争全覆盖。\n",
    "d.txt": "鄞州区的红色管家\n发布时间：2020-06-01\n"
             "浙江省宁波市鄞州区推出“红色管家”，由党员担任小区管家，帮助居民解决难题。目前全区已有120名红色管家。\n",
    "e.txt": "秦淮区推行1+3+N\n发布时间：2018-09-10\n"
             "江苏省南京市秦淮区推行“1+3+N”网格治理，1个网格党支部、3支队伍和N个志愿组织共同服务居民。\n",
    "f.txt": "西湖区的网格治理\n发布时间：2022-03-15\n"
             "浙江省杭州市西湖区探索“1＋3＋N”模式，由1名网格长、3名网格员和N名志愿者组成服务团队。\n",
}


def write_articles(folder: Path) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, text in ARTICLES.items():
        (folder / name).write_text(text, encoding="utf-8")
        paths.append(folder / name)
    return paths


def build(db: Path, articles: Path, annotations: Path) -> dict:
    """What a run does, without Prefect: every article processed and written, then the
    practices counted and the families made from the rules and annotations/families."""
    settings = Settings(annotations_dir=annotations)
    with Catalogue(db) as catalogue:
        run_id = catalogue.start_run([str(articles)], {})
        for path in write_articles(articles):
            catalogue.write(process_document(read_document(path, settings), settings), run_id)
        catalogue.refresh_practices()
        return catalogue.refresh_families(*families.corrections_in(annotations))


@pytest.fixture(scope="module")
def catalogue_db(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("families")
    db = folder / "catalogue.db"
    build(db, folder / "articles", folder / "annotations")
    return db


def family_of(db: Path, name: str) -> tuple[str, list[dict]]:
    return read_families(db, name)


# -- the rules ------------------------------------------------------------------------------------
@pytest.mark.parametrize("name", ["红色物业", "“红色物业”模式", "红色物业联盟", "红色物业服务站", "「红色物业」机制"])
def test_variants_of_one_practice_have_one_core(name):
    assert family_core(name)[0] == "红色物业"


@pytest.mark.parametrize("name", ["1+3+N", "“1＋3＋N”模式", "1＋3＋n", "“1+3+N”工作机制"])
def test_a_formula_written_differently_has_one_core(name):
    assert family_core(name) == ("1+3+N", "FF-FORMULA")


@pytest.mark.parametrize("name, core", [
    ("红色管家", "红色管家"),  # shares 红色 with 红色物业, and nothing more
    ("党建联盟", "党建联盟"),  # 党建 alone is a bare generic word: joins nothing
    ("四项机制", "四项机制"),  # not 四项机 + 制
    ("两计划两行动", "两计划两行动"),  # a counted list, not 两计划两 + 行动
    ("党建引领、红色物业", "党建引领、红色物业"),  # a list, not a variant of 红色物业
    ("1+3+X", "1+3+X"),  # another formula
])
def test_no_join_by_a_bare_shared_word(name, core):
    assert family_core(name)[0] == core


def test_every_rule_id_a_core_comes_from_is_in_the_rule_file():
    rules = families.load_rules()
    ids = {p.id for p in rules.suffixes + rules.heads} | {rules.formula.id, "FAM-NAME"}
    for name in ["“红色物业”模式", "红色物业联盟", "1＋3＋N", "红色管家", "兼职委员制度", "全面推行红色物业"]:
        assert family_core(name, rules)[1] in ids


# -- the catalogue: families, dates, spread ---------------------------------------------------------
def test_red_property_is_one_family_in_three_localities_first_reported_in_2019(catalogue_db):
    name, spread = family_of(catalogue_db, "红色物业联盟")  # found by any member's name
    assert name == "红色物业"
    assert [row["locality"] for row in spread] == ["江苏省/南京市/鼓楼区/宁海路街道", "浙江省/杭州市/上城区",
                                                   "四川省/成都市/武侯区"]
    assert [row["year"] for row in spread] == ["2019", "2020", "2021"]  # first report per place, earliest first
    assert [row["province"] for row in spread] == ["江苏省", "浙江省", "四川省"]
    listed = {row["family"]: row for row in read_families(catalogue_db)[1]}
    assert listed["红色物业"]["localities"] == 3 and listed["红色物业"]["documents"] == 3
    assert listed["红色物业"]["first_reported"] == "2019-04-06"
    assert listed["红色物业"]["latest_reported"] == "2021"  # 截至2021年底; never the target 到2025年
    assert set(listed["红色物业"]["names"].split("、")) == {"红色物业", "红色物业联盟"}


def test_red_housekeeper_stays_apart(catalogue_db):
    name, spread = family_of(catalogue_db, "红色管家")
    assert name == "红色管家" and [row["locality"] for row in spread] == ["浙江省/宁波市/鄞州区"]
    assert "红色管家" not in read_families(catalogue_db, "红色物业")[1][0]["names_used"]


def test_a_formula_written_two_ways_is_one_family(catalogue_db):
    name, spread = family_of(catalogue_db, "“1+3+N”模式")
    assert name == "1+3+N"
    assert [(row["year"], row["locality"]) for row in spread] == [("2018", "江苏省/南京市/秦淮区"),
                                                                  ("2022", "浙江省/杭州市/西湖区")]


def test_documents_have_their_date_and_its_kind(catalogue_db):
    with Catalogue(catalogue_db) as catalogue:
        rows = catalogue.db.execute("select source_name, date, date_kind, date_precision from documents "
                                    "order by source_name").fetchall()
    assert rows[:3] == [("a.txt", "2019-04-06", "published", "day"), ("b.txt", "2020-05-08", "dateline", "day"),
                        ("c.txt", "2021", "stated", "year")]


def test_search_finds_a_family_by_a_member_name(catalogue_db):
    with Catalogue(catalogue_db) as catalogue:
        found = catalogue.db.execute("select f.name from families_fts join families f on f.rowid = families_fts.rowid "
                                     "where families_fts match ?", ["红色物业联盟"]).fetchall()
    assert found == [("红色物业",)]


# -- an annotator's corrections, replayed on a rebuild -----------------------------------------------
def test_merge_and_split_are_replayed_on_a_rebuild(tmp_path):
    annotations = tmp_path / "annotations"
    (annotations / "families").mkdir(parents=True)
    (annotations / "families" / "li.jsonl").write_text(
        '{"action": "split", "names": ["红色物业联盟"], "who": "li", "when": "2024-05-01"}\n'
        'not json at all\n'
        '{"action": "merge", "names": ["红色物业", "红色管家"], "family": "红色物业与红色管家", "who": "li"}\n',
        encoding="utf-8")
    db = tmp_path / "catalogue.db"
    first = build(db, tmp_path / "articles", annotations)
    assert first["applied"] == 2
    assert first["unmatched"] == [{"file": str(annotations / "families" / "li.jsonl"), "line": 2,
                                   "reason": first["unmatched"][0]["reason"]}]
    assert first["unmatched"][0]["reason"].startswith("not JSON")
    db.unlink()  # a rebuild: the catalogue gone, the annotations kept
    build(db, tmp_path / "articles", annotations)
    merged_name, merged = family_of(db, "红色管家")
    assert merged_name == "红色物业与红色管家"
    assert sorted(row["locality"] for row in merged) == ["四川省/成都市/武侯区", "江苏省/南京市/鼓楼区/宁海路街道",
                                                         "浙江省/宁波市/鄞州区"]
    split_name, split = family_of(db, "红色物业联盟")
    assert split_name == "红色物业联盟" and [row["locality"] for row in split] == ["浙江省/杭州市/上城区"]
    with Catalogue(db) as catalogue:
        rules = dict(catalogue.db.execute("select name, family_rule from practices"))
    assert rules["红色物业联盟"] == "annotation:split" and rules["红色管家"] == "annotation:merge"


@pytest.mark.parametrize("line, reason", [
    ('{"action": "join", "names": ["a", "b"]}', "action must be merge or split"),
    ('{"action": "merge", "names": "红色物业"}', "names must be a list"),
    ('{"action": "split", "names": ["x"], "famliy": "y"}', "unknown field 'famliy'"),
    ('[1, 2]', "not a JSON object"),
])
def test_a_bad_correction_line_is_refused_with_its_reason(line, reason):
    with pytest.raises(families.CorrectionError, match=reason):
        parse_correction(line)


def test_a_correction_naming_no_practice_is_reported():
    out = assign({"p1": "红色物业"}, [Correction("split", ("不存在的做法",), file="x.jsonl", line=3)])
    assert out.applied == 0 and out.unmatched[0]["line"] == 3 and "不存在的做法" in out.unmatched[0]["reason"]


# -- jingyan practices ---------------------------------------------------------------------------
def test_practices_command_lists_families_and_one_familys_spread(catalogue_db):
    listed = run_cli("practices", "--db", str(catalogue_db), "--json")
    assert listed.returncode == 0, listed.stderr
    top = json.loads(listed.stdout)[0]
    assert (top["family"], top["localities"]) == ("红色物业", 3)

    spread = run_cli("practices", "红色物业模式", "--db", str(catalogue_db), "--csv")
    assert spread.returncode == 0, spread.stderr
    rows = list(csv.DictReader(io.StringIO(spread.stdout)))
    assert [(r["year"], r["locality"]) for r in rows] == [
        ("2019", "江苏省/南京市/鼓楼区/宁海路街道"), ("2020", "浙江省/杭州市/上城区"), ("2021", "四川省/成都市/武侯区")]

    table = run_cli("practices", "红色物业", "--db", str(catalogue_db))
    assert table.returncode == 0 and "上城区" in table.stdout and "2019-04-06" in table.stdout

    unknown = run_cli("practices", "没有这个做法", "--db", str(catalogue_db))
    assert unknown.returncode == 2 and len(unknown.stderr.strip().splitlines()) == 1
    assert "没有这个做法" in unknown.stderr
