"""How the mechanism rules measure the norm text: clause bounds, open quotes, leading verbs, and the counts a name makes (三张清单 → 3).

Shared by finding, judging and describing; no rule data here, only the reading of text.
"""
from __future__ import annotations

import functools
import re
from typing import Sequence

CJK = r"\u4e00-\u9fff"
CLAUSE_BREAK = "，,；;。！!？?：:\n"
CLAUSE_END = "；;。！!？?\n"
CN_DIGITS = {"一": 1, "二": 2, "两": 2, "双": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9, "十": 10}
# a count word in a name (三张, 四项, 六化), a count opening it (双报到), every count (两访三送)
COUNTED = re.compile(r"([一二两三四五六七八九十双])(?:个|项|张|份|类|级|步|大|化|社|治|联|条|清单)")
COUNT_LEAD = re.compile(r"([两双三四五六七八九])[\u4e00-\u9fff]")
COUNT_EACH = re.compile(r"([两双三四五六七八九十])(?=[\u4e00-\u9fff])")
OPENERS = "“(（「"
CLOSERS = "”)）」"
# everything up to the last clause break of a stretch of text (greedy, so one pass)
LAST_BREAK = re.compile(f".*[{re.escape(CLAUSE_BREAK)}]", re.S)
# how far back clause_start looks at a time: clauses are short, and a whole prefix per
# look-up would make a long document's look-ups quadratic
CLAUSE_LOOKBACK = 64
# the break sets clause_end is called with (a handful: CLAUSE_BREAK, CLAUSE_END, 。 and newline, brackets)
BREAK_SETS = 8


def clause_start(text: str, pos: int) -> int:
    """Where the clause holding ``pos`` starts: after the last comma, stop or colon before it.

    >>> clause_start("为民服务,建立“四步法”", 8), clause_start("建立“四步法”", 3)
    (5, 0)
    """
    end = pos
    while end > 0:
        start = max(0, end - CLAUSE_LOOKBACK)
        m = LAST_BREAK.match(text, start, end)
        if m:
            return m.end()
        end = start
    return pos if pos <= 0 else 0


@functools.lru_cache(maxsize=BREAK_SETS)
def _clause_stops(breaks: str) -> re.Pattern:
    """Every character clause_end must look at: quotes and brackets, and the breaks."""
    return re.compile("[" + re.escape("".join(sorted(set(OPENERS + CLOSERS + breaks)))) + "]")


def clause_end(text: str, pos: int, breaks: str = CLAUSE_BREAK) -> int:
    """End of the clause from pos, not counting breaks inside quotes or brackets.

    >>> text = "即“有事好商量,众人的事众人商量”,共商共议"
    >>> text[:clause_end(text, 0)]
    '即“有事好商量,众人的事众人商量”'
    """
    depth = 0
    # only quotes, brackets and breaks matter: jump from one to the next
    for m in _clause_stops(breaks).finditer(text, pos):
        ch = m.group()
        if ch in OPENERS:
            depth += 1
        elif ch in CLOSERS:
            depth = max(0, depth - 1)
        elif depth == 0:
            return m.start()
    return max(pos, len(text))


BRACKETS = re.compile("[(（)）]")


def bracket_end(text: str, pos: int) -> int:
    """Where the bracket opened at ``pos`` closes, brackets inside it counted (``len(text)``
    when it never does).

    >>> text = "“三个如何”(如何让(居民)满意)等"
    >>> text[7:bracket_end(text, 6)]
    '如何让(居民)满意'
    """
    depth = 0
    for m in BRACKETS.finditer(text, pos):
        depth += 1 if m.group() in "(（" else -1
        if depth == 0:
            return m.start()
    return len(text)


def inside_quote(text: str, pos: int) -> bool:
    """Is ``pos`` inside a quote opened earlier on its line? (Such a name is the quote's.)"""
    line_start = text.rfind("\n", 0, pos) + 1
    before = text[line_start:pos]
    return before.count("“") > before.count("”")


def strip_lead(text: str, verbs: Sequence[str], keep: int = 3) -> str:
    """Drop a leading verb, when at least ``keep`` characters remain: 构建责任机制 → 责任机制.

    >>> strip_lead("构建责任机制", ["构建", "建立"])
    '责任机制'
    """
    for v in _longest_first(tuple(verbs)):
        if text.startswith(v) and len(text) >= len(v) + keep:
            return text[len(v):]
    return text


# the verb lexicons strip_lead is called with (lead verbs, run breakers), a few per rule set
VERB_LEXICONS = 8


@functools.lru_cache(maxsize=VERB_LEXICONS)
def _longest_first(verbs: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(sorted(verbs, key=len, reverse=True))


def count_in(name: str) -> int:
    """三张清单 → 3, 六化融合 → 6, 实干为民七个一 → 7, 双报到 → 2; 0 when the name counts nothing.

    >>> [count_in(n) for n in ("三张清单", "实干为民七个一", "双报到", "红色物业")]
    [3, 7, 2, 0]
    """
    m = COUNTED.search(name)
    if m:
        return CN_DIGITS.get(m.group(1), 0)
    # a name that opens with a count counts its parts: 双报到 → 2, 三单制 → 3, 三事分流 → 3
    m = COUNT_LEAD.match(name)
    return CN_DIGITS[m.group(1)] if m else 0



def counts(name: str) -> list[int]:
    """Every count a name makes: 三联三亮三服务 → [3, 3, 3], 两访三送 → [2, 3].

    >>> counts("两访三送")
    [2, 3]
    """
    return [CN_DIGITS[d] for d in COUNT_EACH.findall(name)]
