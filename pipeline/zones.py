"""Development zones and other functional areas as places directly under their host city.

国家级新区, 高新区, 经开区 and 工业园区 are not in the administrative tree, yet articles set
their scene there (宝鸡高新区). Two sources, merged once per process:

1. ``data/zones.tsv``: the national lists (State Council 国家级新区, 科技部 国家高新区,
   商务部 国家级经开区, a few other national areas), each row with its province and host
   city; where it comes from and how to extend it: ``data/ZONES.md``.
2. jionlp's ``china_location.zip`` (a maintained package): zones that carry their own
   statistical code under a city (``\\t\\t包头稀土高新技术产业开发区\\t150271``) and zones that
   it lists as streets under a district (``\\t\\t\\t池州经济技术开发区`` under 贵池区). A
   jionlp zone that names a listed one gives it a host district; the others are added.

Everyday forms are derived, never listed per zone: the name's head becomes its everyday
heads (``data/zone_forms.tsv``: 高新技术产业开发区 → 高新区) and the prefix rules below drop
what a writer drops (国家, the province, 市 after the city, the city itself).

>>> z = load()
>>> [(x.city, x.kind) for x in z.lookup("宝鸡高新区")]
[('宝鸡市', 'hi_tech_zone')]
>>> z.lookup("天府新区")[0].name
'四川天府新区'
>>> [x.name for x in z.in_city("610300", "高新区")]
['宝鸡高新技术产业开发区']
>>> z.locality(z.lookup("宝鸡高新区")[0]).chain()
['陕西省', '宝鸡市', '宝鸡高新技术产业开发区']
"""
from __future__ import annotations

import functools
import re
from collections import Counter
from dataclasses import dataclass, field, replace
from pathlib import Path

from . import gazetteer as gaz
from .records import Locality
from .settings import DATA_DIR

ZONES_FILE = "zones.tsv"
FORMS_FILE = "zone_forms.tsv"
KINDS = ("national_new_area", "hi_tech_zone", "economic_development_zone", "industrial_park", "other")
LEVELS = ("national", "provincial")
SOURCES = ("SRC-NNA", "SRC-HTZ", "SRC-ETDZ", "SRC-OTHER", "SRC-PROV")
ZONE_COLUMNS = ("name", "kind", "level", "province", "city", "district", "source",
                "aliases", "latitude", "longitude", "note")
REQUIRED_COLUMNS = 7  # name … source; aliases, coordinates and note may be left off
SOURCE_JIONLP_CODE = "jionlp-code"  # a zone with its own statistical code (xxxx7x) in jionlp's tree
SOURCE_JIONLP_STREET = "jionlp-street"  # a zone jionlp lists as a street under a district
# a zone jionlp lists as a street is taken only with a development zone's head: its 新区,
# 示范区 and 管理区 streets are neighbourhoods the gazetteer already knows as streets
STREET_ZONE_KINDS = ("hi_tech_zone", "economic_development_zone", "industrial_park")
FUNCTIONAL_AREA_DIGIT = "7"  # statistical codes number a city's functional areas 71–79 (150271); 81– are county-level cities
MIN_PREFIX_CHARS = 2  # what is left of a prefix when a place's name is dropped: 净月, not 港
ADMIN_SUFFIXES = ("自治县", "自治旗", "市", "县", "区", "旗")
# what follows a short name cut from its full one (江苏|省扬州, 蚌埠|市经济开发区): no name of its own
CUT_NAME_STARTS = ("省", "市", "县", "区", "旗", "盟", "自治")
# The prefix rules (documented with their ids in data/ZONES.md) are _one_step's branches:
# ZF-NATIONAL 昆明国家 → 昆明; ZF-PROVINCE 四川天府 → 天府; ZF-ADMIN-SUFFIX 宣城市 → 宣城;
# ZF-CITY 长春净月 → 净月, 宝鸡 → "" (generic); ZF-NATIONAL-INFIX in everyday_forms.
NATIONAL_INFIX_HEADS = ("高新区", "经开区")  # ZF-NATIONAL-INFIX: 宝鸡国家高新区, 西安国家经开区
RULE_PATTERN = "ZF-PATTERN"  # Zones.guess: an administrative name + a zone's head


class ZoneDataError(ValueError):
    """A row of zones.tsv or zone_forms.tsv that cannot be read: the message names file and line."""


@dataclass(frozen=True)
class HeadRule:
    """One row of zone_forms.tsv: 高新技术产业开发区 is written 高新区; such a zone is a hi_tech_zone."""

    id: str
    official: str
    everyday: str
    kind: str


@dataclass(frozen=True)
class Zone:
    """A development zone or functional area under its host city.

    ``forms`` name this zone alone (宝鸡高新区, 宝鸡国家高新区); ``generic`` is what it is
    called inside its own city (高新区), answered by ``Zones.in_city``.
    """

    name: str  # official: 宝鸡高新技术产业开发区
    kind: str  # one of KINDS
    level: str  # national, provincial, "" when only jionlp lists it
    province: str
    city: str  # host city (地级市), a municipality (重庆市) or a county-level city under the province
    city_adcode: str
    district: str = ""  # host district or county where known
    district_adcode: str = ""
    adcode: str = ""  # the zone's own statistical code where jionlp gives one: 150271
    forms: tuple[str, ...] = ()
    generic: tuple[str, ...] = ()
    latitude: float | None = None
    longitude: float | None = None
    approximate: bool = True  # coordinates are the host district's or city's
    source: str = ""  # SRC-* for a list row, jionlp-code / jionlp-street
    where: str = ""  # zones.tsv:42, or the jionlp line, for provenance
    note: str = ""

    @property
    def names(self) -> tuple[str, ...]:
        return (self.name, *self.forms)

    @property
    def is_admin_district(self) -> bool:
        """浦东新区 is a zone and a district: the gazetteer's district is the place to use."""
        return bool(self.district) and self.district in {self.name, *self.forms}


@dataclass
class Zones:
    """Zone name or everyday form → zones; a city's generic form (高新区) → its zones."""

    zones: list[Zone]
    gazetteer: gaz.Gazetteer
    heads: tuple[HeadRule, ...]
    conflicts: list["Conflict"] = field(default_factory=list)  # jionlp against zones.tsv, for review

    def __post_init__(self):
        index: dict[str, list[Zone]] = {}
        for zone in self.zones:
            for name in zone.names:
                bucket = index.setdefault(name, [])
                if zone not in bucket:
                    bucket.append(zone)
        self.by_name: dict[str, tuple[Zone, ...]] = {name: tuple(zs) for name, zs in index.items()}
        self.max_name = max(map(len, self.by_name), default=0)
        self._by_city: dict[str, list[Zone]] = {}
        for zone in self.zones:
            self._by_city.setdefault(zone.city_adcode, []).append(zone)

    def lookup(self, name: str, within: str = "") -> tuple[Zone, ...]:
        """Zones named so, officially or in everyday form; ``within`` an adcode keeps those inside it.

        >>> sorted(z.city for z in load().lookup("临港经开区"))[:2]  # more than one city has one
        ['临沂市', '威海市']
        >>> [z.city for z in load().lookup("临港经开区", within="371300")]
        ['临沂市']
        """
        found = self.by_name.get(name, ())
        if within:
            found = tuple(z for z in found if self._inside(z, within))
        return found

    def in_city(self, city_adcode: str, generic: str) -> tuple[Zone, ...]:
        """The zones a city calls by a generic form: 宝鸡's 高新区.

        The zones named after the city alone (宝鸡高新技术产业开发区); when there is none, the
        city's listed zones of that designation (包头's 高新区 is 包头稀土高新技术产业开发区),
        never a county's zone that jionlp lists as a street. More than one is ambiguous.

        >>> [z.name for z in load().in_city("150200", "高新区")]
        ['包头稀土高新技术产业开发区']
        """
        zones = self._by_city.get(city_adcode, [])
        exact = tuple(z for z in zones if generic in z.generic)
        if exact:
            return exact
        return tuple(z for z in zones if z.source != SOURCE_JIONLP_STREET and generic in self._designation(z))

    def _designation(self, zone: Zone) -> set[str]:
        """The official and everyday heads of a zone's name: 高新技术产业开发区 and 高新区."""
        return {h for r in _head_rules(zone.name, self.heads) for h in (r.official, r.everyday)}

    def guess(self, name: str, within: str = "") -> Zone | None:
        """A zone no list names, from an administrative name and a zone's head: 庐江经开区.

        The prefix must be one place of the gazetteer (a city or district, full or short name,
        unique or unique ``within`` an adcode); the zone is then placed under that place's city.
        Source ``ZF-PATTERN``; level unknown.

        >>> z = load().guess("庐江经开区")
        >>> (z.city, z.district, z.kind)
        ('合肥市', '庐江县', 'economic_development_zone')
        >>> load().guess("幸福高新区") is None
        True
        """
        heads = sorted({h for r in self.heads for h in (r.official, r.everyday)}, key=len, reverse=True)
        head = next((h for h in heads if name.endswith(h)), "")
        if not head or head == name:  # 高新区 alone is a generic form, no zone
            return None
        rules = [r for r in self.heads if r.official == head] or [r for r in self.heads if r.everyday == head]
        prefix = name[: -len(head)]
        for word in ("国家级", "国家"):  # ZF-NATIONAL
            prefix = prefix.replace(word, "")
        g = self.gazetteer
        named = [prefix] + [prefix + suffix for suffix in ("市", "县", "区")]  # 宁乡 is cpca's 宁乡县
        codes = [c for n in named for c in g.by_name.get(n, []) + g.by_alias.get(n, [])
                 if g.regions[c].level in ("city", "district") and (not within or g.is_within(c, within))]
        codes = list(dict.fromkeys(codes))
        if len(codes) != 1:
            return None
        region = g.regions[codes[0]]
        if region.level == "city" or (region.parent.endswith("0000") and region.parent[:2] not in gaz.MUNICIPALITIES):
            city, district = codes[0], ""  # a city, or a county-level city under its province (仙桃市)
        else:
            city, district = region.parent, codes[0]  # a district: of its city, or of a municipality
        lineage = g.lineage(city)
        zone = Zone(name, rules[0].kind, "", lineage[0].name, g.regions[city].name, city,
                    g.regions[district].name if district else "", district, source=RULE_PATTERN, where=name)
        return _placed(zone, g)

    def same_zone(self, a: str, b: str) -> bool:
        """Official and everyday names of one zone are equal.

        >>> load().same_zone("宝鸡高新技术产业开发区", "宝鸡高新区")
        True
        """
        return bool(set(self.lookup(a)) & set(self.lookup(b)))

    def locality(self, zone: Zone) -> Locality:
        """The zone as a records.Locality of level ``zone``, directly under its host city."""
        return _zone_locality(self.gazetteer, zone)

    def _inside(self, zone: Zone, adcode: str) -> bool:
        return any(self.gazetteer.is_within(code, adcode) for code in (zone.city_adcode, zone.district_adcode) if code)


# ── everyday forms ───────────────────────────────────────────────────────────────────

@dataclass(frozen=True)
class Host:
    """What the prefix rules need to know of a zone's place: names a writer drops."""

    province_names: tuple[str, ...]  # 四川省, 四川
    city_names: tuple[str, ...]  # 宝鸡市, 宝鸡
    short_names: tuple[str, ...]  # short names of city and district that may carry 市/县/区: 宣城, 如东


def everyday_forms(name: str, host: Host, heads: tuple[HeadRule, ...], national: bool) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(forms naming this zone alone, generic forms inside its city).

    >>> rules = (HeadRule("ZF-HTZ", "高新技术产业开发区", "高新区", "hi_tech_zone"),)
    >>> host = Host(("吉林省", "吉林"), ("长春市", "长春"), ("长春",))
    >>> everyday_forms("长春净月高新技术产业开发区", host, rules, True)[0]
    ('净月高新技术产业开发区', '净月高新区', '净月国家高新区', '长春净月高新区', '长春净月国家高新区')
    >>> everyday_forms("长春高新技术产业开发区", host, rules, True)
    (('长春高新区', '长春国家高新区'), ('高新技术产业开发区', '高新区'))
    """
    head_rules = _head_rules(name, heads)
    if not head_rules:
        return (), ()
    official = head_rules[0].official
    everyday = tuple(dict.fromkeys([official] + [r.everyday for r in head_rules]))
    prefixes = _prefix_variants(name[: -len(official)], host)
    forms: list[str] = []
    for prefix in sorted(prefixes - {""}):
        for head in everyday:
            forms.append(prefix + head)
            if national and head in NATIONAL_INFIX_HEADS:
                forms.append(prefix + "国家" + head)  # ZF-NATIONAL-INFIX
    generic = everyday if "" in prefixes else ()
    forms = [f for f in dict.fromkeys(forms) if f != name]
    return tuple(forms), generic


def _head_rules(name: str, heads: tuple[HeadRule, ...]) -> tuple[HeadRule, ...]:
    """The rules of the longest official head the name ends in (several rows may share it)."""
    ending = [r for r in heads if name.endswith(r.official) and len(name) > len(r.official)]
    if not ending:
        return ()
    longest = max(len(r.official) for r in ending)
    return tuple(r for r in ending if len(r.official) == longest)


def _prefix_variants(prefix: str, host: Host) -> set[str]:
    """Every prefix the rules reach from the official one: 四川天府 → {四川天府, 天府}.

    >>> sorted(_prefix_variants("江苏省扬州", Host(("江苏省", "江苏"), ("扬州市", "扬州"), ("扬州",))))
    ['', '扬州', '江苏省扬州']
    """
    seen = {prefix}
    todo = [prefix]
    while todo:
        p = todo.pop()
        for q in _one_step(p, host):
            if q not in seen:
                seen.add(q)
                todo.append(q)
    return seen


def _one_step(p: str, host: Host) -> list[str]:
    out = []
    for word in ("国家级", "国家"):  # ZF-NATIONAL
        if word in p:
            out.append(p.replace(word, "", 1))
    for short in host.short_names:  # ZF-ADMIN-SUFFIX
        for suffix in ADMIN_SUFFIXES:
            if p.startswith(short + suffix):
                out.append(short + p[len(short) + len(suffix):])
    for names in (host.province_names, host.city_names):  # ZF-PROVINCE, ZF-CITY
        out += [p[len(name):] for name in names if p.startswith(name) and _rest_ok(p[len(name):])]
    return out


def _rest_ok(rest: str) -> bool:
    """What is left when a place's name is dropped: nothing (a generic form) or a name of its own.

    >>> [_rest_ok(r) for r in ("", "净月", "港", "市汉沽")]
    [True, True, False, False]
    """
    return rest == "" or (len(rest) >= MIN_PREFIX_CHARS and not rest.startswith(CUT_NAME_STARTS))


# ── reading the data ─────────────────────────────────────────────────────────────────

def _numbered_rows(path: Path):
    """(line number, cells) of a rule table, read as tables.read_table reads it."""
    for number, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip() or line.startswith("#"):
            continue
        yield number, ["" if c == '""' else c for c in (cell.strip() for cell in line.split("\t"))]


def read_heads(path: Path) -> tuple[HeadRule, ...]:
    rules = []
    for number, cells in _numbered_rows(path):
        if len(cells) < 4 or not all(cells[:4]):
            raise ZoneDataError(f"{path}:{number}: expected id, official_head, everyday_head, kind; got {cells}")
        if cells[3] not in KINDS:
            raise ZoneDataError(f"{path}:{number}: unknown kind {cells[3]!r} (one of {', '.join(KINDS)})")
        rules.append(HeadRule(*cells[:4]))
    return tuple(rules)


@dataclass(frozen=True)
class ZoneRow:
    """One row of zones.tsv, checked: its place names resolved to adcodes."""

    name: str
    kind: str
    level: str
    province: str
    city: str
    city_adcode: str
    district: str
    district_adcode: str
    source: str
    aliases: tuple[str, ...]
    latitude: float | None
    longitude: float | None
    note: str
    where: str


def read_zone_rows(path: Path, g: gaz.Gazetteer) -> list[ZoneRow]:
    """The rows of zones.tsv, each place checked against the gazetteer; a bad row raises ZoneDataError."""
    rows, seen = [], {}
    for number, cells in _numbered_rows(path):
        where = f"{path}:{number}"
        row = _zone_row(cells, where, g)
        key = (row.name, row.city_adcode)
        if key in seen:
            raise ZoneDataError(f"{where}: {row.name} in {row.city} is listed twice (first at {seen[key]})")
        seen[key] = where
        rows.append(row)
    return rows


def _zone_row(cells: list[str], where: str, g: gaz.Gazetteer) -> ZoneRow:
    if len(cells) < REQUIRED_COLUMNS or len(cells) > len(ZONE_COLUMNS):
        raise ZoneDataError(f"{where}: expected {REQUIRED_COLUMNS} to {len(ZONE_COLUMNS)} tab-separated cells "
                            f"({', '.join(ZONE_COLUMNS)}); got {len(cells)}")
    cells = cells + [""] * (len(ZONE_COLUMNS) - len(cells))
    name, kind, level, province, city, district, source, aliases, lat, lon, note = cells
    if not name:
        raise ZoneDataError(f"{where}: empty name")
    for value, allowed, what in ((kind, KINDS, "kind"), (level, LEVELS, "level"), (source, SOURCES, "source")):
        if value not in allowed:
            raise ZoneDataError(f"{where}: unknown {what} {value!r} (one of {', '.join(allowed)})")
    province_code = _province_code(province, g)
    if not province_code:
        raise ZoneDataError(f"{where}: unknown province {province!r}")
    city_code = _city_code(city, province_code, g)
    if not city_code:
        raise ZoneDataError(f"{where}: no city {city!r} in {province}")
    district_code = ""
    if district:
        district_code = _district_code(district, city_code, g)
        if not district_code:
            raise ZoneDataError(f"{where}: no district {district!r} in {city}")
    latitude, longitude = _coordinate(lat, where, -90, 90), _coordinate(lon, where, -180, 180)
    if (latitude is None) != (longitude is None):
        raise ZoneDataError(f"{where}: give both latitude and longitude, or neither")
    return ZoneRow(name, kind, level, province, city, city_code, district, district_code, source,
                   tuple(a.strip() for a in aliases.split(",") if a.strip()), latitude, longitude, note, where)


def _coordinate(value: str, where: str, low: float, high: float) -> float | None:
    if not value:
        return None
    try:
        number = float(value)
    except ValueError:
        raise ZoneDataError(f"{where}: coordinate {value!r} is not a number") from None
    if not low <= number <= high:
        raise ZoneDataError(f"{where}: coordinate {value} out of range [{low}, {high}]")
    return number


def _province_code(name: str, g: gaz.Gazetteer) -> str:
    codes = [c for c in g.by_name.get(name, []) if g.regions[c].level == "province"]
    return codes[0] if len(codes) == 1 else ""


def _city_code(name: str, province_code: str, g: gaz.Gazetteer) -> str:
    """A city of the province; the municipality itself (重庆市); a county-level city under the province (仙桃市)."""
    if g.regions[province_code].name == name:
        return province_code if province_code[:2] in gaz.MUNICIPALITIES else ""
    codes = [c for c in g.by_name.get(name, []) if g.regions[c].parent == province_code]
    return codes[0] if len(codes) == 1 else ""


def _district_code(name: str, city_code: str, g: gaz.Gazetteer) -> str:
    """A district of the city by name, else by stem (海门区 is cpca's 海门市: renamed since)."""
    under = g.districts_of.get(city_code, [])  # a municipality's districts are filed under the province
    exact = [c for c in under if g.regions[c].name == name]
    if len(exact) == 1:
        return exact[0]
    stem = _stem(name)
    by_stem = [c for c in under if _stem(g.regions[c].name) == stem]
    return by_stem[0] if len(by_stem) == 1 else ""


def _stem(name: str) -> str:
    for suffix in ADMIN_SUFFIXES:
        if name.endswith(suffix) and len(name) > len(suffix) + 1:
            return name[: -len(suffix)]
    return name


# ── jionlp's zones ───────────────────────────────────────────────────────────────────

@dataclass(frozen=True)
class TreeZone:
    """A zone line of jionlp's tree: its own code (coded) or a street under a district."""

    name: str
    city_adcode: str
    district_adcode: str
    adcode: str
    source: str
    where: str


def _tree_line(heads: tuple[str, ...]) -> re.Pattern:
    """A province/city/district line (one or two tabs, a code) or a street line that may end in a zone head.

    Street lines are matched only when they end in a head's last character (区), so the
    regex skips most of the tree's 700,000 streets and communities; tree_zones checks the head.
    """
    last = "".join(sorted({h[-1] for h in heads}))
    return re.compile(rf"^(?:(?P<indent>\t{{1,2}})(?P<name>[^\t\r\n]+)\t(?P<code>\d{{6}})"
                      rf"|\t\t\t(?P<street>[^\t\r\n]*[{last}])\r?$)", re.M)


def tree_zones(text: str, g: gaz.Gazetteer, heads: tuple[HeadRule, ...]) -> list[TreeZone]:
    """jionlp's zones: coded lines the gazetteer lacks (xxxx7x), and streets with a zone's head.

    >>> tree = "吉林省\\t220000\\t吉林\\n\\t长春市\\t220100\\t长春\\n\\t\\t长春净月高新技术产业开发区\\t220172\\t净月\\n"
    >>> [(t.name, t.city_adcode, t.adcode) for t in tree_zones(tree, gaz.load(), load_heads())]
    [('长春净月高新技术产业开发区', '220100', '220172')]
    """
    street_heads = tuple(r.official for r in heads if r.kind in STREET_ZONE_KINDS)
    found: list[TreeZone] = []
    city = district = ""
    for m in _tree_line(street_heads).finditer(text):
        if m.group("street") is not None:
            name = m.group("street").strip()
            if district and city and name.endswith(street_heads):
                found.append(TreeZone(name, city, district, "", SOURCE_JIONLP_STREET, f"jionlp {district} {name}"))
            continue
        depth, name, code = len(m.group("indent")), m.group("name").strip(), m.group("code")
        if depth == 1:
            city, district = _city_of(code, g), ""
        else:
            district = code if code in g.regions else ""
            if code not in g.regions and code[4] == FUNCTIONAL_AREA_DIGIT and city:
                found.append(TreeZone(name, city, "", code, SOURCE_JIONLP_CODE, f"jionlp {code} {name}"))
    return found


def _city_of(city_code: str, g: gaz.Gazetteer) -> str:
    """The host city's adcode as the gazetteer has it: a municipality's districts hang off the province."""
    if city_code[:2] in gaz.MUNICIPALITIES:
        return city_code[:2] + "0000"
    return city_code if city_code in g.regions else ""


# ── merging and loading ──────────────────────────────────────────────────────────────

@dataclass(frozen=True)
class Conflict:
    """A jionlp zone that disagrees with zones.tsv: same name, another city; or another district."""

    name: str
    what: str  # city or district
    listed: str  # zones.tsv's
    jionlp: str


def build_zones(rows: list[ZoneRow], tree: list[TreeZone], g: gaz.Gazetteer,
                heads: tuple[HeadRule, ...]) -> tuple[list[Zone], list[Conflict]]:
    """Listed zones, each enriched by the jionlp zone naming it in its city; jionlp's others added."""
    zones = [_listed_zone(row, g, heads) for row in rows]
    by_city: dict[str, list[int]] = {}
    by_official: dict[str, list[int]] = {}
    for i, z in enumerate(zones):
        by_city.setdefault(z.city_adcode, []).append(i)
        by_official.setdefault(z.name, []).append(i)
    conflicts: list[Conflict] = []
    codes = Counter(t.adcode for t in tree if t.adcode)
    for t in _grouped(tree):
        if t.adcode and codes[t.adcode] > 1:
            t = replace(t, adcode="")  # jionlp gives one code to two zones (410471): trust neither
        candidate = _tree_zone(t, g, heads)
        if candidate is None:
            continue
        names = set(candidate.names)
        conflicts += [Conflict(zones[i].name, "city", zones[i].city, candidate.city)
                      for i in by_official.get(t.name, []) if zones[i].city_adcode != t.city_adcode]
        same_city = [i for i in by_city.get(t.city_adcode, []) if names & set(zones[i].names)]
        if len(same_city) == 1:
            i = same_city[0]
            zones[i], conflict = _enriched(zones[i], t, g)
            conflicts += [conflict] if conflict else []
        elif not same_city and (candidate.forms or candidate.generic or t.adcode):
            by_city.setdefault(t.city_adcode, []).append(len(zones))
            zones.append(candidate)
    return [_placed(z, g) for z in zones], conflicts


def _grouped(tree: list[TreeZone]) -> list[TreeZone]:
    """One entry per name and city: a street zone under several districts has none of them."""
    out: dict[tuple[str, str], TreeZone] = {}
    for t in tree:
        key = (t.name, t.city_adcode)
        if key in out and out[key].district_adcode != t.district_adcode:
            out[key] = replace(out[key], district_adcode="")
        else:
            out.setdefault(key, t)
    return list(out.values())


def _names(g: gaz.Gazetteer, code: str) -> tuple[str, ...]:
    """A region's full and short names: (宝鸡市, 宝鸡)."""
    if not code:
        return ()
    alias = g.aliases.get(code, "")
    return tuple(dict.fromkeys(n for n in (g.regions[code].name, alias) if n and len(n) >= 2))


def _host(g: gaz.Gazetteer, province: str, city: str, district: str = "") -> Host:
    shorts = tuple(n for code in (city, district) for n in _names(g, code)[1:])
    return Host(_names(g, province), _names(g, city), shorts)


def _listed_zone(row: ZoneRow, g: gaz.Gazetteer, heads: tuple[HeadRule, ...]) -> Zone:
    province = g.lineage(row.city_adcode)[0].adcode
    host = _host(g, province, row.city_adcode, row.district_adcode)
    forms, generic = everyday_forms(row.name, host, heads, row.level == "national")
    return Zone(row.name, row.kind, row.level, row.province, row.city, row.city_adcode, row.district,
                row.district_adcode, "", tuple(dict.fromkeys(forms + row.aliases)), generic,
                row.latitude, row.longitude, row.latitude is None, row.source, row.where, row.note)


def _tree_zone(t: TreeZone, g: gaz.Gazetteer, heads: tuple[HeadRule, ...]) -> Zone | None:
    lineage = g.lineage(t.city_adcode)
    province, city = lineage[0], lineage[-1]
    host = _host(g, province.adcode, t.city_adcode, t.district_adcode)
    forms, generic = everyday_forms(t.name, host, heads, False)
    if t.source == SOURCE_JIONLP_STREET:
        # ZF-STREET-NAMED: a street-listed zone is taken by names that start with its host's
        # name (禄劝工业园区 under 禄劝县); 生物科技产业园区, 市经济技术开发区 name no zone
        host_names = host.province_names + host.city_names + host.short_names + _names(g, t.district_adcode)
        forms = tuple(f for f in forms if f.startswith(host_names))
        if not t.name.startswith(host_names) and not forms:
            return None
    rules = _head_rules(t.name, heads)
    kind = rules[0].kind if rules else "other"
    district = g.regions[t.district_adcode].name if t.district_adcode else ""
    return Zone(t.name, kind, "", province.name, city.name, t.city_adcode, district, t.district_adcode,
                t.adcode, forms, generic, source=t.source, where=t.where)


def _enriched(zone: Zone, t: TreeZone, g: gaz.Gazetteer) -> tuple[Zone, Conflict | None]:
    """A listed zone with what jionlp adds: its code, its host district, jionlp's name as a form."""
    forms = zone.forms if t.name in zone.names else zone.forms + (t.name,)
    conflict = None
    district, district_code = zone.district, zone.district_adcode
    if t.district_adcode and not district_code:
        district, district_code = g.regions[t.district_adcode].name, t.district_adcode
    elif t.district_adcode and t.district_adcode != district_code:
        conflict = Conflict(zone.name, "district", zone.district, g.regions[t.district_adcode].name)
    return replace(zone, adcode=zone.adcode or t.adcode, forms=forms, district=district,
                   district_adcode=district_code), conflict


def _placed(zone: Zone, g: gaz.Gazetteer) -> Zone:
    """Coordinates: the zone's own where listed, else its host district's or city's (approximate)."""
    if not zone.approximate:
        return zone
    host = g.locality(zone.district_adcode or zone.city_adcode)
    return replace(zone, latitude=host.latitude, longitude=host.longitude)


@functools.lru_cache(maxsize=4)
def load_heads(data_dir: Path = DATA_DIR) -> tuple[HeadRule, ...]:
    return read_heads(Path(data_dir) / FORMS_FILE)


@functools.lru_cache(maxsize=4)
def load(data_dir: Path = DATA_DIR) -> Zones:
    """The process's zones for a data folder (Settings.data_dir), built once (about 0.3 s after the gazetteer)."""
    g = gaz.load()
    heads = load_heads(data_dir)
    rows = read_zone_rows(Path(data_dir) / ZONES_FILE, g)
    zones, conflicts = build_zones(rows, tree_zones(g.tree_text, g, heads), g, heads)
    return Zones(zones, g, heads, conflicts)


def locality_of(zone: Zone) -> Locality:
    """``Zones.locality`` without the Zones: the zone under its host city, from the process's gazetteer."""
    return _zone_locality(gaz.load(), zone)


@functools.lru_cache(maxsize=2048)
def _zone_locality(g: gaz.Gazetteer, zone: Zone) -> Locality:
    return Locality(zone.name, "zone", zone.adcode, g.locality(zone.city_adcode),
                    zone.latitude, zone.longitude, zone.approximate)
