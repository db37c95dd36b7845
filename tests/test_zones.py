"""Development zones as places under their host city: the national lists, jionlp's zones,
everyday forms by rule, and a clear error for a bad data row.

The tables below are facts of the public lists (which city hosts which zone), written
down independently of the data file; a wrong row in zones.tsv fails here.
"""
from __future__ import annotations

import shutil
from collections import Counter

import pytest

from pipeline import gazetteer, zones
from pipeline.settings import DATA_DIR


@pytest.fixture(scope="module")
def z() -> zones.Zones:
    return zones.load()


KNOWN = [
    # (name as written, official name, province, host city, kind)
    ("宝鸡高新技术产业开发区", "宝鸡高新技术产业开发区", "陕西省", "宝鸡市", "hi_tech_zone"),
    ("杨凌农业高新技术产业示范区", "杨凌农业高新技术产业示范区", "陕西省", "咸阳市", "hi_tech_zone"),
    ("燕郊高新技术产业开发区", "燕郊高新技术产业开发区", "河北省", "廊坊市", "hi_tech_zone"),
    ("武汉东湖新技术开发区", "武汉东湖新技术开发区", "湖北省", "武汉市", "hi_tech_zone"),
    ("东莞松山湖高新技术产业开发区", "东莞松山湖高新技术产业开发区", "广东省", "东莞市", "hi_tech_zone"),
    ("昆山高新技术产业开发区", "昆山高新技术产业开发区", "江苏省", "苏州市", "hi_tech_zone"),
    ("湖州莫干山高新技术产业开发区", "湖州莫干山高新技术产业开发区", "浙江省", "湖州市", "hi_tech_zone"),
    ("仙桃高新技术产业开发区", "仙桃高新技术产业开发区", "湖北省", "仙桃市", "hi_tech_zone"),
    ("莱芜高新技术产业开发区", "莱芜高新技术产业开发区", "山东省", "济南市", "hi_tech_zone"),
    ("宾西经济技术开发区", "宾西经济技术开发区", "黑龙江省", "哈尔滨市", "economic_development_zone"),
    ("红旗渠经济技术开发区", "红旗渠经济技术开发区", "河南省", "安阳市", "economic_development_zone"),
    ("明水经济技术开发区", "明水经济技术开发区", "山东省", "济南市", "economic_development_zone"),
    ("井冈山经济技术开发区", "井冈山经济技术开发区", "江西省", "吉安市", "economic_development_zone"),
    ("格尔木昆仑经济技术开发区", "格尔木昆仑经济技术开发区", "青海省", "海西蒙古族藏族自治州", "economic_development_zone"),
    ("苏州工业园区", "苏州工业园区", "江苏省", "苏州市", "economic_development_zone"),
    ("漕河泾新兴技术开发区", "漕河泾新兴技术开发区", "上海市", "上海市", "economic_development_zone"),
    ("两江新区", "重庆两江新区", "重庆市", "重庆市", "national_new_area"),
    ("西咸新区", "陕西西咸新区", "陕西省", "西安市", "national_new_area"),
    ("雄安新区", "河北雄安新区", "河北省", "保定市", "national_new_area"),
    ("金普新区", "大连金普新区", "辽宁省", "大连市", "national_new_area"),
    # from jionlp's tree, not from zones.tsv
    ("通辽经济技术开发区", "通辽经济技术开发区", "内蒙古自治区", "通辽市", "economic_development_zone"),
    ("安徽庐江经济开发区", "安徽庐江经济开发区", "安徽省", "合肥市", "economic_development_zone"),
    ("岳阳市屈原管理区", "岳阳市屈原管理区", "湖南省", "岳阳市", "other"),
]


@pytest.mark.parametrize("written, official, province, city, kind", KNOWN, ids=[k[0] for k in KNOWN])
def test_known_zone_is_under_its_host_city(z, written, official, province, city, kind):
    (zone,) = z.lookup(written)
    assert (zone.name, zone.province, zone.city, zone.kind) == (official, province, city, kind)
    chain = z.locality(zone).chain()
    assert chain[-1] == official and chain[0] == province
    assert chain[-2] == city  # directly under the city (a municipality is its own city)


FORMS = [
    # (everyday form, official name, rule that derives it)
    ("宝鸡高新区", "宝鸡高新技术产业开发区", "ZF-HTZ"),
    ("宝鸡国家高新区", "宝鸡高新技术产业开发区", "ZF-NATIONAL-INFIX"),
    ("大连高新区", "大连高新技术产业园区", "ZF-HTZ-PARK"),
    ("威海火炬高新区", "威海火炬高技术产业开发区", "ZF-HTZ-HIGH"),
    ("东湖高新区", "武汉东湖新技术开发区", "ZF-HTZ-NEW + ZF-CITY"),
    ("净月高新区", "长春净月高新技术产业开发区", "ZF-CITY"),
    ("杨凌农高区", "杨凌农业高新技术产业示范区", "ZF-AGRI"),
    ("南昌经开区", "南昌经济技术开发区", "ZF-ETDZ"),
    ("南昌经济开发区", "南昌经济技术开发区", "ZF-ETDZ-EDZ"),
    ("大连开发区", "大连经济技术开发区", "ZF-ETDZ-DZ"),
    ("漕河泾开发区", "漕河泾新兴技术开发区", "ZF-NTDZ"),
    ("苏州工业园", "苏州工业园区", "ZF-IP"),
    ("天府新区", "四川天府新区", "ZF-PROVINCE"),
    ("张江高新区", "上海张江高新技术产业开发区", "ZF-PROVINCE"),
    ("西海岸新区", "青岛西海岸新区", "ZF-CITY"),
    ("庐江经开区", "安徽庐江经济开发区", "ZF-PROVINCE + ZF-EDZ"),
    ("如东经济开发区", "如东县经济开发区", "ZF-ADMIN-SUFFIX"),
    ("屈原管理区", "岳阳市屈原管理区", "ZF-CITY"),
    ("昆明国家高新技术产业开发区", "昆明高新技术产业开发区", "jionlp's name, merged"),
    ("光谷", "武汉东湖新技术开发区", "an alias in zones.tsv"),
]


@pytest.mark.parametrize("form, official, rule", FORMS, ids=[f[0] for f in FORMS])
def test_everyday_form_names_the_zone(z, form, official, rule):
    assert [x.name for x in z.lookup(form)] == [official], rule
    assert z.same_zone(form, official)


NOT_ZONES = ["高新区", "经开区", "开发区", "新区", "工业园区", "中关村", "市经济技术开发区", "生物科技产业园区", "鼓楼区"]


@pytest.mark.parametrize("text", NOT_ZONES)
def test_generic_or_unrelated_words_name_no_zone(z, text):
    """A bare designation needs a city (in_city); a word that names no zone finds none."""
    assert z.lookup(text) == ()


GENERIC = [
    # (city adcode, generic form, zones it means there)
    ("610300", "高新区", ["宝鸡高新技术产业开发区"]),
    ("220100", "高新区", ["长春高新技术产业开发区"]),  # not 长春净月: named after the city alone
    ("150200", "高新区", ["包头稀土高新技术产业开发区"]),  # the city's only listed one
    ("210200", "开发区", ["大连经济技术开发区"]),
    ("620100", "新区", ["甘肃兰州新区"]),
    ("610300", "新区", []),  # 高新区 ends in 新区, and is none
    ("610300", "工业园区", []),
]


@pytest.mark.parametrize("city, generic, expected", GENERIC, ids=[f"{g[0]}-{g[1]}" for g in GENERIC])
def test_generic_form_inside_a_city(z, city, generic, expected):
    assert [x.name for x in z.in_city(city, generic)] == expected


def test_lookup_within_narrows_a_form_several_cities_share(z):
    assert {x.city for x in z.lookup("火炬高新区")} == {"厦门市", "威海市", "中山市"}
    assert [x.city for x in z.lookup("火炬高新区", within="370000")] == ["威海市"]


@pytest.mark.parametrize("name, city, district, kind", [
    ("庐江经开区", "合肥市", "庐江县", "economic_development_zone"),
    ("泸州国家高新区", "泸州市", "", "hi_tech_zone"),
    ("宁乡工业园区", "长沙市", "宁乡县", "industrial_park"),
    ("璧山经开区", "重庆市", "璧山区", "economic_development_zone"),  # a municipality's district
    ("仙桃经开区", "仙桃市", "", "economic_development_zone"),  # a county-level city under its province
])
def test_guess_places_an_unlisted_zone_by_its_administrative_prefix(z, name, city, district, kind):
    zone = z.guess(name)
    assert (zone.city, zone.district, zone.kind, zone.source) == (city, district, kind, "ZF-PATTERN")
    assert zone.approximate and zone.latitude is not None


@pytest.mark.parametrize("name", ["鼓楼高新区", "幸福经开区", "高新区", "天府新城"])
def test_guess_refuses_an_ambiguous_or_unknown_prefix(z, name):
    assert z.guess(name) is None  # 鼓楼: several districts; 幸福: no place; 新城: no zone head


def test_guess_takes_the_context_for_an_ambiguous_prefix(z):
    assert z.guess("鼓楼高新区", within="320100").city == "南京市"


def test_zone_locality_under_a_municipality_and_a_county_level_city(z):
    (liangjiang,) = z.lookup("两江新区")
    assert z.locality(liangjiang).chain() == ["重庆市", "重庆两江新区"]
    (xiantao,) = z.lookup("仙桃高新区")
    assert z.locality(xiantao).chain() == ["湖北省", "仙桃市", "仙桃高新技术产业开发区"]
    assert z.locality(xiantao).level == "zone"


def test_coordinates_are_the_host_districts_or_citys_and_marked_approximate(z):
    g = gazetteer.load()
    (yanjiao,) = z.lookup("燕郊高新区")  # host district 三河市 known
    sanhe = g.locality(yanjiao.district_adcode)
    assert (yanjiao.latitude, yanjiao.longitude, yanjiao.approximate) == (sanhe.latitude, sanhe.longitude, True)
    (baoji,) = z.lookup("宝鸡高新区")  # no host district: the city's
    city = g.locality("610300")
    assert (baoji.latitude, baoji.longitude) == (city.latitude, city.longitude)
    assert all(x.latitude is not None and x.longitude is not None for x in z.zones)


def test_a_zone_that_is_also_a_district_says_so(z):
    (pudong,) = z.lookup("浦东新区")
    assert pudong.is_admin_district and pudong.district_adcode == "310115"
    assert not z.lookup("宝鸡高新区")[0].is_admin_district


def test_no_everyday_form_is_an_administrative_name(z):
    """A form equal to a district's or city's name would take a place away from the gazetteer."""
    g = gazetteer.load()
    clashes = [(x.name, n) for x in z.zones if not x.is_admin_district
               for n in x.names if n in g.by_name or n in g.by_alias]
    assert clashes == []


def test_the_national_lists_are_complete_enough_and_agree_with_jionlp(z):
    listed = Counter(x.source for x in z.zones)
    assert listed["SRC-NNA"] == 19  # every 国家级新区
    assert listed["SRC-HTZ"] >= 165 and listed["SRC-ETDZ"] >= 215
    assert z.conflicts == []  # no jionlp zone of the same name under another city or district


def test_load_reads_the_settings_data_folder(tmp_path):
    shutil.copy(DATA_DIR / zones.FORMS_FILE, tmp_path / zones.FORMS_FILE)
    (tmp_path / zones.ZONES_FILE).write_text(
        "# a one-row list\n示例高新技术产业开发区\thi_tech_zone\tprovincial\t陕西省\t宝鸡市\t渭滨区\tSRC-PROV\n",
        encoding="utf-8")
    own = zones.load(tmp_path)
    (zone,) = own.lookup("示例高新区")
    assert (zone.city, zone.district, zone.where) == ("宝鸡市", "渭滨区", f"{tmp_path / zones.ZONES_FILE}:2")
    assert own.lookup("宝鸡高新区") == ()  # the repo's list is not read


BAD_ROWS = [
    ("too few cells", "宝鸡高新技术产业开发区\thi_tech_zone\tnational\t陕西省\t宝鸡市", "expected 7 to 11"),
    ("unknown kind", "宝鸡高新技术产业开发区\thigh_tech\tnational\t陕西省\t宝鸡市\t\"\"\tSRC-HTZ", "unknown kind 'high_tech'"),
    ("unknown level", "宝鸡高新技术产业开发区\thi_tech_zone\tstate\t陕西省\t宝鸡市\t\"\"\tSRC-HTZ", "unknown level 'state'"),
    ("unknown source", "宝鸡高新技术产业开发区\thi_tech_zone\tnational\t陕西省\t宝鸡市\t\"\"\tWIKI", "unknown source 'WIKI'"),
    ("unknown province", "宝鸡高新技术产业开发区\thi_tech_zone\tnational\t陕西\t宝鸡市\t\"\"\tSRC-HTZ", "unknown province '陕西'"),
    ("city of another province", "宝鸡高新技术产业开发区\thi_tech_zone\tnational\t甘肃省\t宝鸡市\t\"\"\tSRC-HTZ", "no city '宝鸡市' in 甘肃省"),
    ("district of another city", "宝鸡高新技术产业开发区\thi_tech_zone\tnational\t陕西省\t宝鸡市\t雁塔区\tSRC-HTZ", "no district '雁塔区' in 宝鸡市"),
    ("coordinate not a number", "宝鸡高新技术产业开发区\thi_tech_zone\tnational\t陕西省\t宝鸡市\t\"\"\tSRC-HTZ\t\"\"\t北纬34\t107.2", "'北纬34' is not a number"),
    ("latitude without longitude", "宝鸡高新技术产业开发区\thi_tech_zone\tnational\t陕西省\t宝鸡市\t\"\"\tSRC-HTZ\t\"\"\t34.3", "both latitude and longitude"),
]


@pytest.mark.parametrize("case, row, message", BAD_ROWS, ids=[b[0] for b in BAD_ROWS])
def test_a_malformed_row_names_file_and_line(tmp_path, case, row, message):
    path = tmp_path / "zones.tsv"
    good = "西安高新技术产业开发区\thi_tech_zone\tnational\t陕西省\t西安市\t\"\"\tSRC-HTZ"
    path.write_text(f"# header\n{good}\n\n{row}\n", encoding="utf-8")
    with pytest.raises(zones.ZoneDataError) as error:
        zones.read_zone_rows(path, gazetteer.load())
    assert str(error.value).startswith(f"{path}:4: ") and message in str(error.value)


def test_a_zone_listed_twice_names_both_lines(tmp_path):
    path = tmp_path / "zones.tsv"
    row = "西安高新技术产业开发区\thi_tech_zone\tnational\t陕西省\t西安市\t\"\"\tSRC-HTZ"
    path.write_text(f"{row}\n{row}\n", encoding="utf-8")
    with pytest.raises(zones.ZoneDataError, match=rf"{path}:2: .* listed twice \(first at {path}:1\)"):
        zones.read_zone_rows(path, gazetteer.load())


def test_a_malformed_form_rule_names_file_and_line(tmp_path):
    path = tmp_path / "zone_forms.tsv"
    path.write_text("ZF-HTZ\t高新技术产业开发区\t高新区\thi_tech_zone\nZF-BAD\t开发区\t区\tzone\n", encoding="utf-8")
    with pytest.raises(zones.ZoneDataError, match=rf"{path}:2: unknown kind 'zone'"):
        zones.read_heads(path)


def test_the_repo_data_reads_without_error():
    rows = zones.read_zone_rows(DATA_DIR / zones.ZONES_FILE, gazetteer.load())
    assert len({(r.name, r.city_adcode) for r in rows}) == len(rows)
    assert {r.kind for r in rows} <= set(zones.KINDS)


def test_docstring_examples_hold():
    import doctest

    assert doctest.testmod(zones).failed == 0
