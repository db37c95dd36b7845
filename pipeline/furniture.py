"""Which lines of a text are page furniture (navigation, stamps, bylines, captions).

A web copy of a news article carries the page around it::

    第27版:全域党建·南京市                     ← F-EDITION
    中国城市报 2021年04月06日 星期二            ← F-DATE-STAMP
    返回目录  放大缩小全文复制                   ← F-NAV
    鼓楼区: 党建共同体聚合力 治理新格局添动力      ← headline (kept as body)
    《 中国城市报 》( 2021年04月06日   第 27 版) ← F-DATE-STAMP
      城市基层治理是实现国家治理现代化的基础工程。… ← body

``classify(text)`` gives one ``Line`` per line of the text with the id of the rule
that made it furniture (or ``""`` for body). Two kinds of rules, both data:

- patterns (``data/furniture_patterns.tsv``): a regular expression on one line;
- layout rules (``data/furniture_layout.tsv``): where a line stands. The *head zone*
  is everything before the first article paragraph, the *tail zone* everything after
  the last one; short lines there are labels and captions, never in the middle, where
  short lines are the article's own section headings (以统揽全局的视野) and stay body.

Headings and the headline stay body: they carry no facts, but they do carry names
(擦亮“洪城红”城市基层党建品牌), and the tagger keeps each line its own paragraph, so
a heading never joins a sentence of the body.
"""
from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from pathlib import Path

from .settings import DATA_DIR
from .tables import read_table

SENTENCE_PUNCT = re.compile(r"[,,。;;!!??]")
ANY_PUNCT = re.compile(r"[,,。;;!!??::、“”\"()()《》]")
HEADLINE_BAD_END = tuple("。,,;;::、")
# a numbered section heading (一、背景动因, 1. 坚持到边到底, (二)…) is never the headline
ENUMERATED = re.compile(r"^(?:[一二三四五六七八九十]+[、.．]|\d+\s*[、.．]|[((][一二三四五六七八九十\d]+[))]|第[一二三四五六七八九十]+[,,、])")
DIGIT = re.compile(r"[0-9０-９]")


@dataclass(frozen=True)
class Line:
    """One line of the text: [start, end) of its stripped content in the text."""

    index: int
    start: int
    end: int
    text: str  # stripped
    rule: str = ""  # id of the furniture rule, "" for body
    headline: bool = False

    @property
    def blank(self) -> bool:
        return not self.text

    @property
    def furniture(self) -> bool:
        return bool(self.rule)


@dataclass(frozen=True)
class Pattern:
    id: str
    max_chars: int
    regex: re.Pattern


@functools.lru_cache(maxsize=None)
def nav_regex(data_dir: Path = DATA_DIR) -> re.Pattern:
    """A line made only of navigation words: ``返回目录  放大缩小全文复制``."""
    rows = read_table(data_dir / "furniture_nav.tsv", ("id", "word"), unique_ids=True)
    words = sorted((row[1] for row in rows), key=len, reverse=True)
    alternation = "|".join(re.escape(w) for w in words)
    return re.compile(rf"^(?:\s*(?:{alternation})[::]?)+\s*$")  # 分享到: 字体:大 中 小


@functools.lru_cache(maxsize=None)
def patterns(data_dir: Path = DATA_DIR) -> tuple[Pattern, ...]:
    out = []
    for row in read_table(data_dir / "furniture_patterns.tsv", ("id", "max_chars", "pattern", "note?"), unique_ids=True):
        rule_id, max_chars, pattern = row[0], int(row[1]), row[2]
        regex = nav_regex(data_dir) if pattern == "@nav" else re.compile(pattern)
        out.append(Pattern(rule_id, max_chars, regex))
    return tuple(out)


@functools.lru_cache(maxsize=None)
def layout(data_dir: Path = DATA_DIR) -> dict[str, int]:
    rows = read_table(data_dir / "furniture_layout.tsv", ("id", "value", "note?"), unique_ids=True)
    return {row[0]: int(row[1]) for row in rows}


def split_lines(text: str) -> list[Line]:
    """Every line of ``text`` with the offsets of its stripped content.

    >>> [(l.start, l.end, l.text) for l in split_lines("标题\\n\\n  正文。\\r\\n")]
    [(0, 2, '标题'), (3, 3, ''), (6, 9, '正文。'), (11, 11, '')]
    """
    lines = []
    pos = 0
    for index, raw in enumerate(text.split("\n")):
        stripped = raw.strip()
        start = pos + (len(raw) - len(raw.lstrip())) if stripped else pos
        lines.append(Line(index, start, start + len(stripped), stripped))
        pos += len(raw) + 1
    return lines


def pattern_rule(line: str, data_dir: Path = DATA_DIR) -> str:
    """The id of the first furniture pattern the (stripped) line matches, else "".

    >>> pattern_rule("(下转B2版)")
    'F-JUMP'
    """
    n = len(line)
    for p in patterns(data_dir):
        if (p.max_chars == 0 or n <= p.max_chars) and p.regex.search(line):
            return p.id
    return ""


def is_paragraph(line: Line, min_chars: int) -> bool:
    """An article paragraph: long and with sentence punctuation (not a heading, not a label)."""
    return not line.furniture and len(line.text) >= min_chars and bool(SENTENCE_PUNCT.search(line.text))


def classify(text: str, data_dir: Path = DATA_DIR) -> list[Line]:
    """Each line of the text, marked furniture (rule id) or body, the headline flagged."""
    lines = split_lines(text)
    longest = max(p.max_chars if p.max_chars else 1 << 30 for p in patterns(data_dir))
    for i, line in enumerate(lines):
        if line.text and len(line.text) <= longest:  # long paragraphs match no pattern: skip them fast
            rule = pattern_rule(line.text, data_dir)
            if rule:
                lines[i] = _with(line, rule=rule)
    params = layout(data_dir)
    paras = [l.index for l in lines if is_paragraph(l, params["F-LAYOUT-BODY-MIN"])]
    if not paras:
        return lines  # no article paragraph at all: no zones to reason about
    head_end, tail_start = paras[0], paras[-1]
    lines = _mark_link_targets(lines, params["F-LINK-TARGET"])
    lines = _mark_head(lines, head_end, params)
    lines = _mark_tail(lines, tail_start, params["F-TAIL-SHORT"])
    return lines


def _with(line: Line, **changes) -> Line:
    return Line(**{**line.__dict__, **changes})


def _mark_link_targets(lines: list[Line], max_chars: int) -> list[Line]:
    """``详细了解本次活动,请点击:`` then ``……活动公告``: the second line is the link's text."""
    out = list(lines)
    previous: Line | None = None
    for i, line in enumerate(lines):
        if line.blank:
            continue
        if (previous is not None and previous.rule == "F-CALL-TO-ACTION" and previous.text[-1:] in "::"
                and not line.furniture and len(line.text) <= max_chars and not SENTENCE_PUNCT.search(line.text)):
            out[i] = _with(line, rule="F-LINK-TARGET")
        previous = out[i]
    return out


def _mark_head(lines: list[Line], head_end: int, params: dict[str, int]) -> list[Line]:
    """Head zone: short labels (``探索``) are furniture; the longest title-like line is the
    headline (a kicker may stand above it); a later line repeating the headline is furniture."""
    out = list(lines)
    candidates = []
    for i in range(head_end):
        line = out[i]
        if line.blank or line.furniture:
            continue
        if len(line.text) <= params["F-HEAD-SHORT"] and not ANY_PUNCT.search(line.text):
            out[i] = _with(line, rule="F-HEAD-SHORT")
        elif _headline_like(line.text, params["F-HEADLINE"]):
            candidates.append(line)
    headline = max(candidates, key=lambda l: len(l.text), default=None)  # max keeps the first of equals
    if headline is not None:
        out[headline.index] = headline = _with(headline, headline=True)
    if headline is not None and len(headline.text) <= params["F-REPEATED-TITLE"]:
        for i in range(headline.index + 1, len(out)):
            if out[i].text == headline.text and not out[i].furniture:
                out[i] = _with(out[i], rule="F-REPEATED-TITLE")
    return out


def _headline_like(text: str, max_chars: int) -> bool:
    return (5 <= len(text) <= max_chars and not text.endswith(HEADLINE_BAD_END) and not text.startswith("—")
            and not ENUMERATED.match(text))


def _mark_tail(lines: list[Line], tail_start: int, max_chars: int) -> list[Line]:
    """Tail zone: a short line after the last paragraph is a caption or a label (``南昌市区风景。``);
    one with an Arabic digit may be a short closing fact (共建成党群服务中心18个。) and stays body."""
    out = list(lines)
    for i in range(tail_start + 1, len(out)):
        line = out[i]
        if not line.blank and not line.furniture and len(line.text) <= max_chars and not DIGIT.search(line.text):
            out[i] = _with(line, rule="F-TAIL-SHORT")
    return out


def body_spans(lines: list[Line]) -> tuple[tuple[int, int], ...]:
    """[start, end) ranges of body: runs of body lines (blank lines inside a run are harmless).

    Never empty: a text with no body gets ``((0, 0),)``, because an empty tuple means
    "everything is body" to ``Document.in_body``.
    """
    spans: list[tuple[int, int]] = []
    run_start: int | None = None
    run_end = 0
    for line in lines:
        if line.blank:
            continue
        if line.furniture:
            if run_start is not None:
                spans.append((run_start, run_end))
                run_start = None
            continue
        if run_start is None:
            run_start = line.start
        run_end = line.end
    if run_start is not None:
        spans.append((run_start, run_end))
    return tuple(spans) or ((0, 0),)
