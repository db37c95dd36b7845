"""China's administrative divisions, loaded once per process from maintained data packages.

Provinces, cities and districts, with adcodes and coordinates, come from cpca's bundled
``resources/adcodes.csv`` (``320106000000,鼓楼区,118.770182,32.066601``); short names
(南京 for 南京市, 鄞州 for 鄞州区) and the streets and communities under each district
come from jionlp's ``dictionary/china_location.zip``, a tab-indented tree::

    \t\t鼓楼区\t320106\t鼓楼
    \t\t\t宁海路街道
    \t\t\t\t颐和路社区

Neither package is imported (both import slowly); their data files are read in place.
The street tree is indexed by district only; a district's block is parsed when a document
names that district.
"""
from __future__ import annotations

import csv
import functools
import importlib.util
import io
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path

from .records import Locality

PLACEHOLDER_NAMES = {"市辖区", "县", "省直辖县级行政区划", "自治区直辖县级行政区划"}
MUNICIPALITIES = {"11", "12", "31", "50"}  # 北京 天津 上海 重庆: districts hang off the province
# Districts whose streets and communities are kept parsed, ~25 KB each (a dict of ~250
# names; all 3,018 would hold ~75 MB). A run over articles from all over China meets ~2,600
# districts, ~18 per article with the other districts of the cities named: kept 2,048, half
# the parses of 1,024 are saved (1,000 articles: 3,264 parses, not 6,111).
SUBUNIT_DISTRICTS_KEPT = 2048


@dataclass(frozen=True)
class Region:
    """One province, city or district: 320106 鼓楼区 under 320100 南京市."""

    adcode: str  # six digits
    name: str
    level: str  # province, city, district
    parent: str  # parent's adcode, "" for a province
    latitude: float | None
    longitude: float | None


def _package_file(package: str, *parts: str) -> Path | None:
    # find_spec locates the package without running its __init__ (cpca imports pkg_resources)
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(list(spec.submodule_search_locations)[0], *parts)
    return path if path.exists() else None


class Gazetteer:
    """Name → regions, region → parent chain, district → its streets and communities.

    >>> g = load()
    >>> [g.regions[c].name for c in g.by_name["鼓楼区"]][:2]
    ['鼓楼区', '鼓楼区']
    >>> g.locality("320106").chain()
    ['江苏省', '南京市', '鼓楼区']
    """

    def __init__(self, regions: dict[str, Region], aliases: dict[str, str], tree_text: str = "",
                 blocks: dict[str, tuple[int, int]] | None = None):
        self.regions = regions
        self.aliases = aliases  # adcode → short name (南京市 → 南京)
        self.by_name: dict[str, list[str]] = {}
        self.by_alias: dict[str, list[str]] = {}
        for code, region in regions.items():
            self.by_name.setdefault(region.name, []).append(code)
        for code, alias in aliases.items():
            if code in regions and alias and alias != regions[code].name and len(alias) >= 2:
                self.by_alias.setdefault(alias, []).append(code)
        self.max_name = max((len(n) for n in list(self.by_name) + list(self.by_alias)), default=0)
        self.names_and_aliases = frozenset(n for n in list(self.by_name) + list(self.by_alias) if len(n) >= 2)
        self.districts_of: dict[str, list[str]] = {}  # city adcode → its districts' adcodes
        for code, region in regions.items():
            if region.level == "district":
                self.districts_of.setdefault(region.parent, []).append(code)
        self._tree = tree_text
        self._blocks = blocks or {}

    @property
    def tree_text(self) -> str:
        """jionlp's whole tree as read once (zones.py finds development zones in it)."""
        return self._tree

    def lineage(self, adcode: str) -> list[Region]:
        """[province, city, district] regions of an adcode, top first."""
        out: list[Region] = []
        code = adcode
        while code and code in self.regions:
            out.append(self.regions[code])
            code = self.regions[code].parent
        return out[::-1]

    def is_within(self, adcode: str, ancestor: str) -> bool:
        return any(r.adcode == ancestor for r in self.lineage(adcode))

    @functools.lru_cache(maxsize=4096)
    def locality(self, adcode: str) -> Locality:
        """The records.Locality of a region, parents included; equal objects for the same code."""
        region = self.regions[adcode]
        parent = self.locality(region.parent) if region.parent else None
        lat, lon, approx = region.latitude, region.longitude, False
        if lat is None and parent is not None:
            lat, lon, approx = parent.latitude, parent.longitude, True
        return Locality(region.name, region.level, adcode, parent, lat, lon, approx)

    @functools.lru_cache(maxsize=SUBUNIT_DISTRICTS_KEPT)
    def subunits(self, adcode: str) -> dict[str, str]:
        """Streets (街道, 镇, 乡) and communities (社区, 村) jionlp lists under a district, name
        → level; a name listed twice keeps its first line's level.

        >>> load().subunits("320106")["宁海路街道"], load().subunits("320106")["颐和路社区"]
        ('street', 'community')
        """
        span = self._blocks.get(adcode)
        if not span:
            return {}
        levels: dict[str, str] = {}
        # read bottom up, so that the first line of a name listed twice is written last; a
        # level string, not a record per name: a district lists ~250, parsed per district
        # a document concerns (~18 in a run over all of China)
        for deeper, name in reversed(_SUBUNIT_LINE.findall(self._tree, *span)):
            levels[name.strip()] = "community" if deeper else "street"
        return levels

    @functools.lru_cache(maxsize=1)
    def streets_by_name(self) -> dict[str, tuple[str, ...]]:
        """Every listed 街道 in the country → the districts listing it (one scan of the tree,
        once per process): {'宁海路街道': ('320106',), '城关街道': (…many…)}."""
        out: dict[str, list[str]] = {}
        for code, (start, end) in self._blocks.items():
            for m in _STREET_LINE.finditer(self._tree, start, end):
                out.setdefault(m.group(1).strip(), []).append(code)
        return {name: tuple(dict.fromkeys(codes)) for name, codes in out.items()}


# A street's line in the tree has three tabs, a community's four.
_SUBUNIT_LINE = re.compile(r"^\t\t\t(\t?)([^\r\n]+)", re.M)
_STREET_LINE = re.compile(r"^\t\t\t([^\t\r\n]+街道)\r?$", re.M)


def _read_regions() -> dict[str, Region]:
    path = _package_file("cpca", "resources", "adcodes.csv")
    if path is None:
        raise RuntimeError("cpca's adcodes.csv not found: pip install 'cpca==0.5.5'")
    rows = list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"))))
    raw = {r["adcode"][:6]: r for r in rows}
    regions: dict[str, Region] = {}
    for code, r in raw.items():
        if r["name"] in PLACEHOLDER_NAMES:
            continue
        level, parent = _level_and_parent(code, raw)
        regions[code] = Region(code, r["name"], level, parent, _float(r["latitude"]), _float(r["longitude"]))
    return regions


def _level_and_parent(code: str, raw: dict[str, dict]) -> tuple[str, str]:
    """320106 → district under 320100; 110105 → district under 110000 (a municipality)."""
    province = code[:2] + "0000"
    city = code[:4] + "00"
    if code == province:
        return "province", ""
    if code == city:
        return "city", province
    city_row = raw.get(city)
    if code[:2] in MUNICIPALITIES or city_row is None or city_row["name"] in PLACEHOLDER_NAMES:
        return "district", province
    return "district", city


def _float(value: str) -> float | None:
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


# a province, city or district line of jionlp's tree: indent, name, six-digit code, alias
_CODED_LINE = re.compile(r"^(\t{0,2})([^\t\r\n]+)\t(\d{6})\t([^\t\r\n]*)\r?$", re.M)


def _read_tree() -> tuple[str, dict[str, str], dict[str, tuple[int, int]]]:
    """jionlp's tree as text, short names by adcode, and each district's [start, end) block."""
    path = _package_file("jionlp", "dictionary", "china_location.zip")
    if path is None:
        return "", {}, {}
    with zipfile.ZipFile(path) as archive:
        text = archive.read("china_location.txt").decode("utf-8")
    aliases: dict[str, str] = {}
    blocks: dict[str, tuple[int, int]] = {}
    open_district: tuple[str, int] | None = None
    for m in _CODED_LINE.finditer(text):
        if open_district is not None:
            blocks[open_district[0]] = (open_district[1], m.start())
            open_district = None
        indent, _, code, alias = m.groups()
        aliases.setdefault(code, alias.split("/")[0])
        if len(indent) == 2:
            open_district = (code, m.end())
    if open_district is not None:
        blocks[open_district[0]] = (open_district[1], len(text))
    return text, aliases, blocks


@functools.lru_cache(maxsize=1)
def load() -> Gazetteer:
    """The process's one Gazetteer (about 0.5 s to build; every worker pays it once)."""
    regions = _read_regions()
    text, aliases, blocks = _read_tree()
    return Gazetteer(regions, aliases, text, blocks)
