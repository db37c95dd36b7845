"""Place names: gazetteer resolution, ambiguity from context, sub-district units, scope.

Every text here is written by the test (in the genre's style); offsets are found by
``text.index(marker)`` so a case reads as: in this text, at this word, this place.
"""
from __future__ import annotations

import hashlib
import time

import pytest

from pipeline import gazetteer
from pipeline.localities import find_places
from pipeline.records import Document
from pipeline.settings import Settings
from pipeline.tagging import tag

SETTINGS = Settings()


def places_of(text: str, title: str = ""):
    digest = hashlib.sha256(text.encode()).hexdigest()
    doc = Document("t.txt", "t.txt", digest, digest, text, title=title)
    return find_places(tag(doc, SETTINGS), SETTINGS)


def at(text: str, marker: str, title: str = ""):
    return places_of(text, title).locality_at(text.index(marker))


NANJING = "江苏省南京市鼓楼区推进城市基层党建工作。\n"
FUZHOU = "福建福州市鼓楼区推进城市基层党建工作。\n"
YINZHOU = "浙江省宁波市鄞州区推进城市基层党建工作。\n"

CASES = [
    # (id, text, marker, expected chain, expected adcode of the district level)
    ("full-chain-street", "江苏省南京市鼓楼区宁海路街道开展共建行动,汇聚了247个机关支部。", "247个",
     ["江苏省", "南京市", "鼓楼区", "宁海路街道"], "320106"),
    ("gulou-nanjing", NANJING + "鼓楼区共建立网格党支部895个。", "895个",
     ["江苏省", "南京市", "鼓楼区"], "320106"),
    ("gulou-fuzhou", FUZHOU + "鼓楼区共建立网格党支部534个。", "534个",
     ["福建省", "福州市", "鼓楼区"], "350102"),
    ("gulou-by-city-elsewhere", "南京市召开会议。\n鼓楼区共建立网格党支部895个。", "895个",
     ["江苏省", "南京市", "鼓楼区"], "320106"),
    ("bare-gulou-no-guess", "鼓楼区共建立网格党支部895个。", "895个", None, None),
    ("lone-street-inherits-district", YINZHOU + "东胜街道委派1名干部担任社区联络官。", "1名",
     ["浙江省", "宁波市", "鄞州区", "东胜街道"], "330212"),
    ("estate-in-chain", YINZHOU + "鄞州区中河街道城兴社区风格城事小区有9名委员。", "9名",
     ["浙江省", "宁波市", "鄞州区", "中河街道", "城兴社区", "风格城事小区"], "330212"),
    ("unlisted-community-after-district", YINZHOU + "鄞州区荆城楼宇社区引进企业198家。", "198家",
     ["浙江省", "宁波市", "鄞州区", "荆城楼宇社区"], "330212"),
    ("lone-community-after-zai", FUZHOU + "在三坊七巷社区成立11个坊巷党支部。", "11个",
     ["福建省", "福州市", "鼓楼区", "三坊七巷社区"], "350102"),
    ("university-is-not-the-city", NANJING + "鼓楼区湖南路街道南秀村社区毗邻南京大学,有15位院士。", "15位",
     ["江苏省", "南京市", "鼓楼区", "湖南路街道", "南秀村社区"], "320106"),
    ("later-sentence-inherits-paragraph", NANJING + "鼓楼区宁海路街道是省级机关所在地。今年,共有6028名党员报到。",
     "6028名", ["江苏省", "南京市", "鼓楼区", "宁海路街道"], "320106"),
    ("new-paragraph-returns-to-district",
     NANJING + "鼓楼区宁海路街道开展共建。\n全区13个街道全部实质化运行。", "13个",
     ["江苏省", "南京市", "鼓楼区"], "320106"),
    ("lead-in-takes-next-sentence", YINZHOU + "充分释放“第一书记”作用。鄞州区东柳街道为社区配备1—2名党员。",
     "第一书记", ["浙江省", "宁波市", "鄞州区", "东柳街道"], "330212"),
    ("venue-elsewhere-is-not-scope",
     "南京市栖霞区仙林街道辖区有10个社区。在深圳举行的活动中,仙林街道案例从324个案例中脱颖而出。", "324个",
     ["江苏省", "南京市", "栖霞区", "仙林街道"], "320113"),
    ("city-short-name-with-street", "南京仙林街道成立于2004年。街道辖区有12所高校。", "12所",
     ["江苏省", "南京市", "栖霞区", "仙林街道"], "320113"),
    ("city-level-document", "近年来,江西省南昌市推进城市基层党建,建立党组织4609个。", "4609个",
     ["江西省", "南昌市"], ""),
    # 位于 names the container of the place already in scope; the scope stays
    ("container-after-weiyu", "江苏省南京市秦淮区位于南京市中心,辖区面积49平方公里。", "49平方公里",
     ["江苏省", "南京市", "秦淮区"], "320104"),
    ("weiyu-without-earlier-place", NANJING + "该社区位于宁海路街道,有党员300名。", "300名",
     ["江苏省", "南京市", "鼓楼区", "宁海路街道"], "320106"),
]


@pytest.mark.parametrize("text,marker,chain,adcode", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_locality_at(text, marker, chain, adcode):
    loc = at(text, marker)
    if chain is None:
        assert loc is None
        return
    assert loc is not None and loc.chain() == chain
    district = next((n for n in loc.lineage() if n.level == "district"), None)
    assert (district.adcode if district else "") == adcode


GENERIC = [
    "该社区有老旧小区12个。",
    "街道社区与两新组织党员一起开展活动。",
    "其中近八成是无物业管理小区,且大部分是开放式小区。",
    "各社区全面推行网格化管理。",
    "全市城市社区全部建立党群服务中心。",
    "打造有文化、有温度的人文社区。",
    "规范街道“大工委”运行机制。",
    "鼓楼区在新一届社区党组织班子中开展行动。",
    "位于老城区,设施老化。",
    "作为南京市中心城区,鼓楼区汇集了省级机关。",
]


@pytest.mark.parametrize("sentence", GENERIC)
def test_generic_words_are_not_places(sentence):
    places = places_of(NANJING + sentence)
    below_district = [p for p in places.places if p.locality.level in ("street", "community", "estate")]
    assert below_district == []
    assert all(p.locality.name not in ("城区", "老城区") for p in places.places)


def test_same_place_gives_equal_localities():
    text = NANJING + "鼓楼区宁海路街道开展共建。\n今年,宁海路街道开展联盟行动。"
    spans = [p for p in places_of(text).places if p.locality.name == "宁海路街道"]
    assert len(spans) == 2
    assert spans[0].locality == spans[1].locality and spans[0].locality.id == spans[1].locality.id


def test_street_carries_district_coordinates_marked_approximate():
    loc = at(YINZHOU + "东胜街道委派1名干部。", "1名")
    assert loc.approximate and loc.parent is not None
    assert (loc.latitude, loc.longitude) == (loc.parent.latitude, loc.parent.longitude)
    assert loc.parent.adcode == "330212" and not loc.parent.approximate


def test_document_locality_is_the_dominant_street():
    text = ("栖霞区仙林街道成立于2004年。仙林街道有40个小区。\n仙林街道连续10年实现信访四个零。\n"
            "仙林街道会同86家单位开展活动。")
    assert places_of(text).document_locality.chain() == ["江苏省", "南京市", "栖霞区", "仙林街道"]


def test_document_locality_from_separate_title():
    text = "鼓楼区坚持系统思维,建立网格党支部895个。"
    places = places_of(text, title="福建福州市鼓楼区:探索城市基层党建新路径")
    assert places.document_locality.adcode == "350102"
    assert places.locality_at(text.index("895个")).adcode == "350102"


@pytest.mark.xfail(reason="known error: a place named later in the same clause does not reach back "
                          "(gold puts 坊巷党建 at 三坊七巷社区, but 里坊制 in the same clause at the district)")
def test_place_later_in_clause():
    text = FUZHOU + "推动服务下沉。结合“里坊制”打造“坊巷党建”,在三坊七巷社区成立11个坊巷党支部。"
    assert at(text, "坊巷党建").chain() == ["福建省", "福州市", "鼓楼区", "三坊七巷社区"]


def test_gazetteer_loads_fast_from_package_data():
    started = time.perf_counter()
    regions = gazetteer._read_regions()
    _, aliases, blocks = gazetteer._read_tree()
    assert time.perf_counter() - started < 2.0
    assert regions["320106"].name == "鼓楼区" and regions["320106"].parent == "320100"
    assert regions["310101"].parent == "310000"  # a municipality's district hangs off it directly
    assert aliases["320100"] == "南京" and "320106" in blocks


def test_practice_placed_at_its_first_mention_outside_headings_and_by_the_place_before_it():
    from pipeline.process import process_document

    text = (NANJING + "“睦邻议事”让小区更和谐\n居民的事大家商量。宁海路街道推行“睦邻议事”工作法,每月开展协商。\n"
            "全区形成了湖南路街道“红色驿家”等一批党建品牌。\n")
    digest = hashlib.sha256(text.encode()).hexdigest()
    extraction = process_document(Document("t.txt", "t.txt", digest, digest, text), SETTINGS)
    where = {m.name: m.locality.chain() for m in extraction.mechanisms if m.locality}
    assert where["睦邻议事"] == ["江苏省", "南京市", "鼓楼区", "宁海路街道"]  # the heading says no place
    assert where["红色驿家"] == ["江苏省", "南京市", "鼓楼区", "湖南路街道"]  # not 全区: the street before it
