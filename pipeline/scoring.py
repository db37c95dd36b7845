"""The genre's scoring (issue 21): how right a found fact's subject and a found record's place are.

``evaluate`` finds facts and mechanisms and judges their fields strictly (equal strings, equal
paths). A reader of governance news forgives two things the strict figures count as wrong, and
these functions judge them as issue 21 says, beside the strict figures:

- a **subject** is right when, quotes and spaces stripped, one contains the other and the
  shorter has at least half the longer's characters (改造面积/面积 right, 慰问品/品 wrong);
  an empty subject is wrong;
- a **locality is exact** when the most specific place is the gold's and the province and city
  agree; a level between may be missing or filled in on either side (a community's street the
  text never names); official and everyday names of one place are equal (长阳土家族自治县 =
  长阳县), by the rules of ``data/place_names.tsv``;
- a **locality's district is right** when the gold path's first three levels all lie on the
  predicted path;
- an **optional** gold mechanism absorbs every prediction that matches it, which then counts
  for nothing (``absorbed_by_optional``).

Which facts and mechanisms were found is ``evaluate``'s matching; ``genre_figures`` turns its
matched pairs and counts into the issue's table. Everything here is pure: rows and gold records
in, figures out.
"""
from __future__ import annotations

import functools
import re
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Iterable, Protocol

from .anchors import normalise_name
from .settings import DATA_DIR
from .tables import read_table

BRACKETS = re.compile(r"[()\[\]{}【】〔〕〖〗〈〉]")  # after NFKC: （）［］ are ASCII by then
MIN_BARE_STEM = 2  # 沙 alone does not name 沙县: a one-character stem is too loose to stand bare

PlacePath = list[str]  # a locality from the province down: ['湖北省', '宜昌市', '山庄路社区']
Pair = tuple[dict, dict]  # (gold record, predicted row) that evaluate matched


# ---------------------------------------------------------------- subjects

def subject_agrees(gold: str | None, predicted: str | None) -> bool:
    """One contains the other, the shorter at least half as long; empty is wrong.

    Quotes, spaces and bracket characters are stripped first, a bracket's contents kept: the
    gold writes 社区(村) for "communities (villages)", and 社区村 holds 社区, two of three
    characters (the issue's dev figure, 0.753, is scored so).

    >>> subject_agrees("改造面积", "面积"), subject_agrees("慰问品", "品")
    (True, False)
    >>> subject_agrees("“党员中心户”", "党员 中心"), subject_agrees("网格党支部", "")
    (True, False)
    >>> subject_agrees("社区（村）", "社区"), subject_agrees("【红色】驿站", "红色驿站")
    (True, True)
    """
    g, p = _subject_letters(gold), _subject_letters(predicted)
    if not g or not p:
        return False
    shorter, longer = sorted((g, p), key=len)
    return shorter in longer and 2 * len(shorter) >= len(longer)


def _subject_letters(subject: str | None) -> str:
    """社区（村） → 社区村: quotes and spaces (``normalise_name``, which also folds full-width
    brackets to ASCII) and bracket characters dropped."""
    return BRACKETS.sub("", normalise_name(subject))


# ---------------------------------------------------------------- place names

@dataclass(frozen=True)
class PlaceName:
    """A name cut into its proper stem and generic suffix: 宜昌市 → 宜昌 + 市 (bare allowed)."""

    stem: str
    suffix: str
    bare_ok: bool  # the stem alone names the place too (宜昌 = 宜昌市; not 山水印象 for 山水印象小区)


@dataclass(frozen=True, eq=False)  # eq=False: hashed by identity, so it can key a cache
class PlaceNames:
    """The rules of ``data/place_names.tsv``: official and everyday forms of one place."""

    autonomy: re.Pattern  # 长阳 + 土家族 + 自治县
    autonomy_suffix: dict[str, str]  # 自治县 → 县
    heads: tuple[tuple[str, str], ...]  # 高新技术产业开发区 → 高新区, longest first
    suffixes: tuple[tuple[str, bool], ...]  # (suffix, bare stem allowed), longest first
    parent_prefix: bool

    def everyday(self, name: str) -> str:
        """The everyday form of an official name.

        >>> names = place_names()
        >>> names.everyday("长阳土家族自治县"), names.everyday("广西壮族自治区"), names.everyday("宝鸡高新技术产业开发区")
        ('长阳县', '广西', '宝鸡高新区')
        """
        name = normalise_name(name)
        for official, short in self.heads:
            if name.endswith(official):
                name = name[: -len(official)] + short
                break
        m = self.autonomy.match(name)
        return m["stem"] + self.autonomy_suffix[m["head"]] if m else name

    def split(self, name: str) -> PlaceName:
        """宜昌市 → 宜昌 + 市; 山水印象小区 → 山水印象 + 小区, not to be written bare."""
        name = self.everyday(name)
        for suffix, bare_ok in self.suffixes:
            if name.endswith(suffix) and len(name) > len(suffix):
                return PlaceName(name[: -len(suffix)], suffix, bare_ok)
        return PlaceName(name, "", False)

    def same(self, a: str, b: str) -> bool:
        """One place, officially or every day named.

        >>> names = place_names()
        >>> names.same("长阳土家族自治县", "长阳县"), names.same("宜昌", "宜昌市"), names.same("吉林省", "吉林市")
        (True, True, False)
        >>> names.same("蒋王社区", "蒋王街道"), names.same("山水印象", "山水印象小区"), names.same("柳州", "柳州市")
        (False, False, True)
        """
        x, y = self.everyday(a), self.everyday(b)
        if x == y:
            return bool(x)
        return self._bare(x, self.split(y)) or self._bare(y, self.split(x))

    @staticmethod
    def _bare(name: str, full: PlaceName) -> bool:
        """柳州 is 柳州市 bare (though 柳州 itself ends in 州)."""
        return full.bare_ok and name == full.stem and len(name) >= MIN_BARE_STEM


@functools.lru_cache(maxsize=2)
def place_names(data_dir: Path = DATA_DIR) -> PlaceNames:
    rows = read_table(Path(data_dir) / "place_names.tsv")
    peoples = [p for r in rows if r[1] == "peoples" for p in r[2].split(",") if p]
    autonomy_suffix = {r[2]: r[3] for r in rows if r[1] == "autonomy"}
    people = "|".join(sorted(map(re.escape, peoples), key=len, reverse=True))  # 土家 before 土
    heads = "|".join(sorted(map(re.escape, autonomy_suffix), key=len, reverse=True))
    # the stem keeps two characters (内蒙古, not 内 + 蒙古); a 族 may follow it (鄂温克族自治旗)
    autonomy = re.compile(rf"(?P<stem>.{{{MIN_BARE_STEM},}}?)族?(?:(?:{people})族?)*(?P<head>{heads})$")
    return PlaceNames(
        autonomy=autonomy,
        autonomy_suffix=autonomy_suffix,
        heads=tuple(sorted(((r[2], r[3]) for r in rows if r[1] == "head"), key=lambda h: -len(h[0]))),
        suffixes=tuple(sorted(((r[2], r[3] == "drop") for r in rows if r[1] == "suffix"), key=lambda s: -len(s[0]))),
        parent_prefix=any(r[1] == "parent_prefix" for r in rows),
    )


def same_place(a: str, b: str, names: PlaceNames | None = None) -> bool:
    """长阳土家族自治县 = 长阳县; 宜昌 = 宜昌市; 吉林省 ≠ 吉林市.

    >>> same_place("长阳土家族自治县", "长阳县")
    True
    """
    return (names or place_names()).same(a, b)


# ---------------------------------------------------------------- localities

def _on_path_name(name: str, path: PlacePath, names: PlaceNames) -> str:
    """宝鸡高新区, 宝鸡市高新区 under 宝鸡市 → 高新区: without its province's or city's name in front."""
    if not names.parent_prefix:
        return name
    for above in path[:2]:
        for prefix in (above, names.split(above).stem):  # 宝鸡市高新区 before 宝鸡高新区
            if above != name and len(prefix) >= MIN_BARE_STEM and name.startswith(prefix) \
                    and len(name) - len(prefix) >= MIN_BARE_STEM:
                return name[len(prefix):]
    return name


def _same_on_paths(gold: str, gold_path: PlacePath, predicted: str, predicted_path: PlacePath, names: PlaceNames) -> bool:
    return names.same(gold, predicted) or names.same(
        _on_path_name(gold, gold_path, names), _on_path_name(predicted, predicted_path, names))


def locality_exact(gold_path: Iterable[str] | None, predicted_path: Iterable[str] | None,
                   names: PlaceNames | None = None) -> bool:
    """The most specific place is the gold's, the province and city agree; levels between are free.

    >>> locality_exact(["湖北省", "宜昌市", "山庄路社区"], ["湖北省", "宜昌市", "西陵区", "云集街道", "山庄路社区"])
    True
    >>> locality_exact(["湖北省", "宜昌市", "长阳土家族自治县"], ["湖北省", "宜昌市", "长阳县"])
    True
    >>> locality_exact(["江苏省", "南京市", "鼓楼区", "宁海路街道"], ["江苏省", "南京市", "鼓楼区"])
    False
    """
    names = names or place_names()
    gold, predicted = list(gold_path or []), list(predicted_path or [])
    if not gold or not predicted:
        return not gold and not predicted

    def level_agrees(i: int) -> bool:  # i-th level from the top (-1: the most specific)
        return -len(predicted) <= i < len(predicted) and _same_on_paths(gold[i], gold, predicted[i], predicted, names)

    return all(level_agrees(i) for i in range(min(2, len(gold)))) and level_agrees(-1)


def locality_district(gold_path: Iterable[str] | None, predicted_path: Iterable[str] | None,
                      names: PlaceNames | None = None) -> bool:
    """The gold path's first three levels all lie on the predicted path.

    >>> locality_district(["湖北省", "宜昌市", "山庄路社区"], ["湖北省", "宜昌市", "西陵区", "山庄路社区"])
    True
    >>> locality_district(["江苏省", "南京市", "鼓楼区", "宁海路街道"], ["江苏省", "南京市"])
    False
    """
    names = names or place_names()
    gold, predicted = list(gold_path or []), list(predicted_path or [])
    if not gold:
        return not predicted
    return all(any(_same_on_paths(g, gold, p, predicted, names) for p in predicted) for g in gold[:3])


# ---------------------------------------------------------------- optional gold

def absorbed_by_optional(predicted_name: str, gold_mechanisms: Iterable[dict]) -> bool:
    """An optional gold entry absorbs every prediction whose name contains or is contained in its
    own (quotes and spaces stripped): such a prediction counts neither way. ``evaluate`` lets an
    optional entry take one prediction only; ask this of the predictions left unmatched.

    >>> absorbed_by_optional("四个零上访", [{"name": "“四个零”", "optional": True}])
    True
    >>> absorbed_by_optional("四个零上访", [{"name": "四个零"}])  # a required entry absorbs nothing
    False
    """
    name = normalise_name(predicted_name)
    optional_names = (normalise_name(g.get("name")) for g in gold_mechanisms if g.get("optional"))
    return bool(name) and any(o and (o in name or name in o) for o in optional_names)


# ---------------------------------------------------------------- the table

class Rates(Protocol):
    """What ``evaluate.Tally`` offers: precision, recall, F1 of a found/gold/predicted count."""

    @property
    def precision(self) -> float: ...

    @property
    def recall(self) -> float: ...

    @property
    def f1(self) -> float: ...


@dataclass(frozen=True)
class GenreFigures:
    """Issue 21's table: facts and mechanisms found as ``evaluate`` finds them, fields judged here."""

    facts_f1: float
    fact_subject: float
    fact_locality_exact: float
    fact_locality_district: float
    mechanisms_precision: float
    mechanisms_recall: float
    mechanism_locality_exact: float
    facts_found: int  # the found facts the field figures are over
    mechanisms_found: int  # the found required mechanisms

    LABELS = (  # the rows, in its order
        ("facts F1", "facts_f1"),
        ("fact subject", "fact_subject"),
        ("fact locality, most specific place exact", "fact_locality_exact"),
        ("fact locality, district", "fact_locality_district"),
        ("mechanisms P / R", ("mechanisms_precision", "mechanisms_recall")),
        ("mechanism locality exact", "mechanism_locality_exact"),
    )

    def rows(self) -> list[tuple[str, str]]:
        """(label, figure) in the issue's rows: ('mechanisms P / R', '0.704 / 0.760')."""
        def shown(key) -> str:
            return " / ".join(shown(k) for k in key) if isinstance(key, tuple) else f"{getattr(self, key):.3f}"
        return [(label, shown(key)) for label, key in self.LABELS]

    def as_dict(self) -> dict:
        return asdict(self)


def _share(oks: list[bool]) -> float:
    return sum(oks) / len(oks) if oks else 1.0  # as evaluate.Accuracy: nothing to judge is not wrong


def genre_figures(fact_pairs: Iterable[Pair], mechanism_pairs: Iterable[Pair], facts: Rates, mechanisms: Rates,
                  names: PlaceNames | None = None) -> GenreFigures:
    """The table from evaluate's matching: its (gold, predicted) pairs of found facts and found
    required mechanisms, and its fact and mechanism counts (``evaluate.Tally``)."""
    names = names or place_names()
    fact_pairs, mechanism_pairs = list(fact_pairs), list(mechanism_pairs)
    return GenreFigures(
        facts_f1=facts.f1,
        fact_subject=_share([subject_agrees(g.get("subject"), p.get("subject")) for g, p in fact_pairs]),
        fact_locality_exact=_share([locality_exact(g.get("locality"), p.get("locality"), names)
                                    for g, p in fact_pairs]),
        fact_locality_district=_share([locality_district(g.get("locality"), p.get("locality"), names)
                                       for g, p in fact_pairs]),
        mechanisms_precision=mechanisms.precision,
        mechanisms_recall=mechanisms.recall,
        mechanism_locality_exact=_share([locality_exact(g.get("locality"), p.get("locality"), names)
                                         for g, p in mechanism_pairs]),
        facts_found=len(fact_pairs),
        mechanisms_found=len(mechanism_pairs),
    )


def genre_errors(fact_pairs: Iterable[Pair], mechanism_pairs: Iterable[Pair],
                 names: PlaceNames | None = None) -> list[str]:
    """Each field the genre's scoring counts wrong, for reading beside evaluate's field errors.

    >>> genre_errors([({"anchor": "3000份", "subject": "慰问品", "locality": ["湖北省"]},
    ...                {"subject": "品", "locality": ["湖北省"]})], [])
    ["fact 3000份#1 subject: got '品', want '慰问品'"]
    """
    names = names or place_names()
    out = []
    for g, p in fact_pairs:
        where = f"fact {g.get('anchor')}#{g.get('occurrence', 1)}"
        if not subject_agrees(g.get("subject"), p.get("subject")):
            out.append(f"{where} subject: got {p.get('subject')!r}, want {g.get('subject')!r}")
        out += _locality_errors(where, g, p, names)
    for g, p in mechanism_pairs:
        if not locality_exact(g.get("locality"), p.get("locality"), names):
            out.append(f"mechanism {g.get('name')} locality exact: got {p.get('locality')!r}, want {g.get('locality')!r}")
    return out


def _locality_errors(where: str, gold: dict, predicted: dict, names: PlaceNames) -> list[str]:
    wrong = [label for label, judge in (("exact", locality_exact), ("district", locality_district))
             if not judge(gold.get("locality"), predicted.get("locality"), names)]
    if not wrong:
        return []
    return [f"{where} locality {' and '.join(wrong)}: got {predicted.get('locality')!r}, want {gold.get('locality')!r}"]


def format_genre_table(figures: GenreFigures, title: str = "") -> str:
    """The issue's table as text, one row a line."""
    rows = figures.rows()
    width = max(len(label) for label, _ in rows)
    head = [title] if title else []
    counts = f"(over {figures.facts_found} found facts, {figures.mechanisms_found} found mechanisms)"
    return "\n".join(head + [f"  {label:<{width}}  {value}" for label, value in rows] + [f"  {counts}"])
