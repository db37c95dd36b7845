"""Title, publisher, date, edition, byline, issuer and original title of a web copy.

Read only from what the page says, never guessed: the furniture lines that
``furniture.classify`` found (stamps, bylines, labels) and the headline line::

    中国城市报 2021年04月06日 星期二   → publisher 中国城市报, published 2021-04-06
    第27版:全域党建·南京市             → edition 第27版
    ■中共南昌市委组织部               → issuer 中共南昌市委组织部
    (龚捷)                          → author 龚捷
    (原稿题:《践行…》)                → original_title 践行…

Patterns are data (``data/metadata_patterns.tsv``), each with an id; ``Metadata.rules``
says which rule gave each field. A field the text does not state stays empty. An HTML
page also states its metadata in ``<meta>`` tags (rules of scope ``meta``, read by
:func:`read_meta_tags`).

Title: the headline line (``F-HEADLINE`` in furniture). When the copy prints no
headline but names the article's original title (原稿题), the title is that original
title (rule ``M-TITLE-ORIGINAL``): it is the article's own title as the text states
it, not a guess; ``original_title`` keeps it too.
"""
from __future__ import annotations

import datetime as dt
import functools
import re
from dataclasses import dataclass, field, fields
from pathlib import Path

from .furniture import Line
from .settings import DATA_DIR
from .tables import TableError, read_table

# Furniture lines that state nothing about this article: a copyright year is not a
# publication date, a jump note's 第1版 is not this article's edition.
SKIP_RULES = frozenset({"F-COPYRIGHT", "F-JUMP", "F-NAV", "F-BREADCRUMB", "F-BREADCRUMB-HOME",
                        "F-CAPTION-MARK", "F-PHOTO-CREDIT", "F-SOCIAL", "F-LINK-LABEL", "F-LINK-TARGET",
                        "F-CALL-TO-ACTION", "F-TAIL-SHORT", "F-HEAD-SHORT", "F-REPEATED-TITLE"})
DATE_PARTS = re.compile(r"(\d{4})\s*[年\-/.]\s*(\d{1,2})\s*[月\-/.]\s*(\d{1,2})")
# The author must not be read from the line that named the issuing body: (鼓楼区委).
ROLE_WORDS = frozenset({"记者", "本报记者", "特约记者", "通讯员", "本报通讯员", "实习生", "见习记者", "摄影"})
FIELD_ORDER = ("published", "publisher", "edition", "original_title", "issuer", "author")


@dataclass(frozen=True)
class Metadata:
    title: str = ""
    publisher: str = ""
    published: str = ""  # ISO date
    author: str = ""
    edition: str = ""
    issuer: str = ""
    original_title: str = ""
    url: str = ""
    rules: dict = field(default_factory=dict, compare=False)  # field → rule id

    def merged(self, other: "Metadata") -> "Metadata":
        """Fields of self, gaps filled from other."""
        values = {f.name: getattr(self, f.name) or getattr(other, f.name) for f in fields(self) if f.name != "rules"}
        rules = {**other.rules, **self.rules}
        rules = {k: v for k, v in rules.items() if values.get(k)}
        return Metadata(**values, rules=rules)


@dataclass(frozen=True)
class Rule:
    id: str
    field: str
    scope: str  # label or layout
    regex: re.Pattern


@functools.lru_cache(maxsize=None)
def rules(data_dir: Path = DATA_DIR) -> tuple[Rule, ...]:
    rows = read_table(data_dir / "metadata_patterns.tsv", ("id", "field", "scope", "pattern", "note?"), unique_ids=True)
    return tuple(Rule(r[0], r[1], r[2], re.compile(r[3])) for r in rows)


def iso_date(raw: str) -> str:
    """``2021年04月06日`` → ``2021-04-06``; "" when it is no real calendar date.

    >>> iso_date("2021年4月6日"), iso_date("2021-04-14"), iso_date("2021-13-40")
    ('2021-04-06', '2021-04-14', '')
    """
    m = DATE_PARTS.search(raw)
    if not m:
        return ""
    try:
        return dt.date(int(m[1]), int(m[2]), int(m[3])).isoformat()
    except ValueError:
        return ""


def _clean(field_name: str, raw: str) -> str:
    value = re.sub(r"\s+", " ", raw).strip()
    if field_name == "published":
        return iso_date(value)
    if field_name == "edition":
        return f"第{value}版"
    if field_name == "author":  # 张三 通讯员 李四 → 张三、李四
        names = [w for w in re.split(r"[\s,，、]+", value) if w and w not in ROLE_WORDS]
        return "、".join(names)
    return value


# A line this short may be a page's label line (来源：中国组织人事报) though furniture did not
# mark it: on a page, labels stand in their own <div>; a body paragraph is longer.
LABEL_LINE_MAX = 40


def read_metadata(lines: list[Line], scopes: tuple[str, ...] = ("label", "layout"),
                  data_dir: Path = DATA_DIR, short_lines: bool = False) -> Metadata:
    """Metadata stated in the furniture lines (and the headline) of a classified text.

    ``scopes=("label",)`` reads only labelled values (来源:…, 发布时间:…): safe on the
    whole text of an HTML page, whose sidebars carry other articles' dates.
    ``short_lines`` reads labels from any short line too (a page's own ``来源：…`` line).
    """
    candidates = [l for l in lines if (l.furniture or (short_lines and 0 < len(l.text) <= LABEL_LINE_MAX))
                  and l.rule not in SKIP_RULES]
    values: dict[str, str] = {}
    used: dict[str, int] = {}
    for name in FIELD_ORDER:
        for rule in rules(data_dir):
            if rule.field != name or rule.scope not in scopes:
                continue
            for line in candidates:
                if name == "author" and used.get("issuer") == line.index:
                    continue
                m = rule.regex.search(line.text)
                value = _clean(name, m["v"]) if m else ""
                if value:
                    values[name], values[f"rule:{name}"], used[name] = value, rule.id, line.index
                    break
            if name in values:
                break
    # the headline is known only from where it stands: a layout reading
    title, title_rule = (headline(lines) if "layout" in scopes else ""), "F-HEADLINE"
    if not title and values.get("original_title"):
        title, title_rule = values["original_title"], "M-TITLE-ORIGINAL"
    if title:
        values["title"], values["rule:title"] = title, title_rule
    found = {k: v for k, v in values.items() if not k.startswith("rule:")}
    return Metadata(**found, rules={k[5:]: v for k, v in values.items() if k.startswith("rule:")})


def read_meta_tags(tags: list[tuple[str, str]], data_dir: Path = DATA_DIR) -> Metadata:
    """Metadata an HTML page states in its ``<meta>`` tags, given as (name or property, content).

    >>> m = read_meta_tags([("author", "张三"), ("og:site_name", "中国组织人事报"),
    ...                     ("article:published_time", "2021-04-06T10:00:00+08:00")])
    >>> m.author, m.publisher, m.published, m.rules["publisher"]
    ('张三', '中国组织人事报', '2021-04-06', 'M-META-PUBLISHER')
    """
    values: dict[str, str] = {}
    rule_ids: dict[str, str] = {}
    for rule in rules(data_dir):
        if rule.scope != "meta" or rule.field in values:
            continue
        for name, content in tags:
            value = _clean(rule.field, content) if rule.regex.search(name.strip().lower()) else ""
            if rule.field == "publisher" and "." in value:
                value = ""  # a hostname is not a publisher's name
            if value:
                values[rule.field], rule_ids[rule.field] = value, rule.id
                break
    return Metadata(**values, rules=rule_ids)


def headline(lines: list[Line]) -> str:
    """The text of the headline line, a Markdown ``#`` taken off: ``# 鼓楼区经验`` → ``鼓楼区经验``."""
    for line in lines:
        if line.headline:
            return re.sub(r"^#+\s*", "", line.text)
    return ""


# -- a document's date: published, else a dateline, else a date the text reports as of -------------
@dataclass(frozen=True)
class DocumentDate:
    """When a document reports what it says: ``date`` ISO 8601 as precise as the text is
    (2021-03-05, 2021-03, 2021), ``kind`` published / dateline / stated, and the rule."""

    date: str = ""
    kind: str = ""
    precision: str = ""  # day, month, year
    rule: str = ""


@dataclass(frozen=True)
class DateRule:
    id: str
    kind: str  # dateline or stated
    regex: re.Pattern


@functools.lru_cache(maxsize=None)
def date_rules(data_dir: Path = DATA_DIR) -> tuple[DateRule, ...]:
    rows = read_table(data_dir / "document_dates.tsv", ("id", "kind", "pattern", "note?"), unique_ids=True)
    out = []
    for row in rows:
        if row[1] not in ("dateline", "stated"):
            raise TableError(f"{data_dir / 'document_dates.tsv'}: {row[0]}: kind must be dateline or stated, "
                             f"found {row[1]!r}")
        regex = re.compile(row[2])
        if "y" not in regex.groupindex:
            raise TableError(f"{data_dir / 'document_dates.tsv'}: {row[0]}: the pattern needs a group named y")
        out.append(DateRule(row[0], row[1], regex))
    return tuple(out)


def document_date(text: str, published: str = "", published_rule: str = "",
                  data_dir: Path = DATA_DIR) -> DocumentDate:
    """The document's date and which kind it is: its publication date, else the first dateline
    in the text, else the latest date the text states its figures as of; never a target year.

    >>> document_date("正文", "2021-04-06", "M-DATE-STAMP")
    DocumentDate(date='2021-04-06', kind='published', precision='day', rule='M-DATE-STAMP')
    >>> document_date("新华社南京2021年3月5日电 鼓楼区推行红色物业。截至2020年底，建成12个。").date
    '2021-03-05'
    >>> document_date("截至2020年底，全区建成网格党支部12个；截至2021年3月，又建8个。")
    DocumentDate(date='2021-03', kind='stated', precision='month', rule='ST-JIEZHI')
    >>> document_date("到2025年，力争2025年前实现全覆盖。")
    DocumentDate(date='', kind='', precision='', rule='')
    """
    if published:
        return DocumentDate(published, "published", _precision(published), published_rule)
    datelines, stated = [], []
    for rule in date_rules(data_dir):
        for m in rule.regex.finditer(text or ""):
            value = _partial_date(m)
            if value:
                (datelines if rule.kind == "dateline" else stated).append((m.start(), value, rule.id))
                if rule.kind == "dateline":
                    break
    if datelines:
        _, value, rule_id = min(datelines)
        return DocumentDate(value, "dateline", _precision(value), rule_id)
    if stated:
        _, value, rule_id = max(stated, key=lambda s: (s[1], -s[0]))
        return DocumentDate(value, "stated", _precision(value), rule_id)
    return DocumentDate()


def _partial_date(m: re.Match) -> str:
    """2021-03-05, 2021-03 or 2021 from a match's groups y, m, d; "" when no calendar date."""
    groups = m.groupdict()
    year, month, day = int(groups["y"]), groups.get("m"), groups.get("d")
    if not 1900 <= year <= 2100:
        return ""
    try:
        if month and day:
            return dt.date(year, int(month), int(day)).isoformat()
        if month:
            return dt.date(year, int(month), 1).isoformat()[:7]
    except ValueError:
        return ""
    return f"{year:04d}"


def _precision(value: str) -> str:
    return {10: "day", 7: "month", 4: "year"}.get(len(value), "")
