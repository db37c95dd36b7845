"""Tagged → [Fact]: numeric statements, matched on sentence text, annotated from tokens.

Two steps per sentence:

1. match: find figures in the sentence text (``247个``, ``6万多名``, ``95%以上``,
   ``1—2名``, ``近1800个``, ``连续62个月``, ``第23名``) and drop what is not a figure
   (dates, ``第27版``, ``92号``, ``1+3+N``, digits inside “…”);
2. annotate: value (``pipeline.numbers``), unit, qualifier, subject (from the jieba
   tokens around the figure), time (nearest time expression before it in the sentence)
   and change (``由20项增加到70项``).

Rules read ``Sentence.norm``, the folded view (``"红帆驿站"６８个，`` → ``“红帆驿站”68个,``,
same length); spans found there are spans of the text, and ``Fact.text``, ``subject`` and
``time`` are quoted from the text as written.

All lexicons live in ``pipeline/data/fact_*.tsv``; every entry has an id, and each
fact's ``rule`` names the match pattern and the subject rule that made it, e.g.
``F-UNIT/S-AFTER``.
"""
from __future__ import annotations

import bisect
import functools
import re
from dataclasses import dataclass, replace
from operator import itemgetter
from typing import NamedTuple
from pathlib import Path

from .numbers import parse_number
from .records import TOKEN_END, TOKEN_START, Fact, Sentence
from .settings import DATA_DIR, Settings
from .tables import read_table
from .tagging import Tagged, fold

# ---------------------------------------------------------------- lexicons (data files)


@dataclass(frozen=True)
class Unit:
    rule: str
    written: str
    base: str
    kinds: frozenset[str]


@dataclass(frozen=True, eq=False)  # eq=False: hashed by identity, so it can key a cache
class Lexicon:
    units: tuple[Unit, ...]
    prefixes: dict[str, str]  # 近 → approx (kept in the span)
    before: dict[str, str]  # 突破 → more_than (outside the span)
    suffixes: dict[str, str]  # 以上 → more_than
    at_least: tuple[str, ...]  # 达 (…以上)
    times: tuple[tuple[str, re.Pattern], ...]
    reject_after: tuple[str, ...]
    reject_before: tuple[str, ...]
    rank_units: frozenset[str]  # units allowed after 第
    words: dict[str, dict[str, str]]  # kind → word → value (fact_subject.tsv)

    def unit(self, written: str) -> Unit | None:
        return self._units_by_written.get(written)

    @functools.cached_property
    def _units_by_written(self) -> dict[str, Unit]:  # the first of a spelling wins, as in the table order
        by_written: dict[str, Unit] = {}
        for u in self.units:
            by_written.setdefault(u.written, u)
        return by_written

    @functools.cached_property
    def predicates(self) -> tuple[str, ...]:
        """The ``skip`` words, longest first: a predicate cut tries the longest word first."""
        return tuple(sorted(self.words.get("skip", {}), key=len, reverse=True))

    @functools.cached_property
    def governing_verbs(self) -> tuple[str, ...]:
        """The ``verb`` words, longest first: the verb stripped from a phrase is the longest."""
        return tuple(sorted(self.words.get("verb", {}), key=len, reverse=True))

    @functools.cached_property
    def org_heads(self) -> tuple[str, ...]:
        """The ``org_head`` words (小组, 工作室): how the name of a body ends."""
        return tuple(self.words.get("org_head", {}))

    @functools.cached_property
    def glue_suffixes(self) -> frozenset[str]:
        """Every ending of a ``glue`` word: a word that ends none cannot complete one."""
        return frozenset(w[k:] for w in self.words.get("glue", {}) for k in range(len(w) + 1))

    @functools.cached_property
    def share_patterns(self) -> tuple[re.Pattern, ...]:
        """A share word (占比, 比例) with its predicate right before a figure, longest word first."""
        return tuple(re.compile(rf"{w}(?:为|达|达到)?$")
                     for w in sorted(self.words.get("share", {}), key=len, reverse=True))

    @functools.cached_property
    def change_between(self) -> re.Pattern | None:
        """What stands between the two figures of a change (增加到); None without change words."""
        verbs = "|".join(map(re.escape, self.words.get("change", {})))
        return re.compile(rf"(?:{verbs})(?:到|至|为)") if verbs else None


@functools.lru_cache(maxsize=2)
def lexicon(data_dir: Path = DATA_DIR) -> Lexicon:
    """The stage's lexicons (``fact_*.tsv``) in ``data_dir``, read once per folder; a row
    of the wrong width or a repeated id is a TableError naming the file and the line."""
    def table(name: str, *columns: str) -> list[list[str]]:
        return read_table(data_dir / name, ("id", *columns, "note?"), unique_ids=True)

    units = tuple(sorted((Unit(r[0], r[1], r[2], frozenset(r[3].split(","))) for r in
                          table("fact_units.tsv", "written", "base", "kind")), key=lambda u: -len(u.written)))
    prefixes, before, suffixes, at_least = {}, {}, {}, []
    for row in table("fact_qualifiers.tsv", "position", "word", "qualifier"):
        _, position, word, qualifier = row[:4]
        {"prefix": prefixes, "before": before, "suffix": suffixes}.get(position, {})[word] = qualifier
        if position == "at_least":
            at_least.append(word)
    times = tuple((r[0], re.compile(r[1])) for r in table("fact_times.tsv", "pattern"))
    rejects = table("fact_reject.tsv", "where", "text")
    words: dict[str, dict[str, str]] = {}
    for row in table("fact_subject.tsv", "kind", "word", "value?"):
        words.setdefault(row[1], {})[row[2]] = row[3] if len(row) > 3 else ""
    return Lexicon(
        units=units, prefixes=prefixes, before=before, suffixes=suffixes, at_least=tuple(at_least), times=times,
        reject_after=tuple(r[2] for r in rejects if r[1] == "after"),
        reject_before=tuple(r[2] for r in rejects if r[1] == "before"),
        rank_units=frozenset(r[2] for r in rejects if r[1] == "unit_after_di"),
        words=words,
    )


# ---------------------------------------------------------------- step 1: match figures

ARABIC = r"[0-9０-９]+(?:[.．][0-9０-９]+)?"
CHINESE = r"[一二两三四五六七八九十][零〇一二两三四五六七八九十百千]*"
ONE_NUMBER = rf"(?:{ARABIC}|{CHINESE})[多余]?[万亿]*[多余]?"
RANGE_SEP = r"(?:——|[—–~～至到\-])"
OPEN_QUOTES, CLOSE_QUOTES = "“‘「『", "”’」』"
HAS_ARABIC = re.compile(r"[0-9０-９]")
HAN = re.compile(r"[\u4e00-\u9fff]")
BAND = re.compile(r"(?:以下|以上|以内)$")
CLAUSE_BREAK = re.compile(r"[,，;；。]")
LETTER_OR_DIGIT = re.compile(r"[A-Za-z0-9]")
LETTER_END = re.compile(r"[A-Za-z]$")
QUOTE_MARK = re.compile(f"[{OPEN_QUOTES}{CLOSE_QUOTES}]")


@functools.lru_cache(maxsize=2)
def _figure_pattern(lex: Lexicon) -> re.Pattern:
    """近1800个, 6万多名, 1—2名, 5个以内, 95%以上, 连续62个月, 第23名, 5大项, 72万."""
    prefixes = "|".join(sorted(map(re.escape, lex.prefixes), key=len, reverse=True))
    units = "|".join(re.escape(u.written) for u in lex.units)
    suffixes = "|".join(sorted(map(re.escape, lex.suffixes), key=len, reverse=True))
    return re.compile(
        rf"(?P<pre>{prefixes})?"
        rf"(?P<num>{ONE_NUMBER}(?:{RANGE_SEP}{ONE_NUMBER})?)"
        rf"(?:(?P<mod>[大小])?(?P<unit>{units}))?"
        rf"(?P<post>{suffixes})?"
    )


@dataclass(frozen=True)
class Figure:
    """A matched figure, offsets local to the sentence text."""

    start: int
    end: int
    num_start: int
    value: float
    value_max: float | None
    unit: str
    qualifier: str
    chinese: bool
    duration: bool
    prefix: str
    rule: str


def quote_depth(text: str) -> list[int]:
    """Depth of “…” nesting at each character: 说“13335”工作法 → 1 on the digits.

    >>> quote_depth("说“13”法”」")
    [0, 0, 1, 1, 0, 0, 0, 0]
    """
    depth, out, at = 0, [], 0
    for m in QUOTE_MARK.finditer(text):  # the depth changes only at a quote mark: runs between them
        mark = m.start()
        out += [depth] * (mark - at)
        if text[mark] in CLOSE_QUOTES:
            depth = max(0, depth - 1)
        out.append(depth)
        if text[mark] in OPEN_QUOTES:
            depth += 1
        at = mark + 1
    out += [depth] * (len(text) - at)
    return out


def normalised(sentence: Sentence) -> str:
    """The folded view rules match on: ``建成"红帆驿站"68个，`` → ``建成“红帆驿站”68个,``.

    Same length as ``sentence.text``, so a span found in it is a span of the text.
    """
    if len(sentence.norm) == len(sentence.text):
        return sentence.norm
    return fold(sentence.text)  # a Sentence built without the tagging stage


def find_figures(sentence: Sentence, lex: Lexicon) -> list[Figure]:
    """Figures in a sentence: ``辖区面积32.67平方公里,有12所高校`` → 32.67平方公里, 12所."""
    text = normalised(sentence)
    matches = list(_figure_pattern(lex).finditer(text))
    if not matches:  # most sentences: nothing more to work out
        return []
    quoted = any(q in text for q in OPEN_QUOTES)
    depth = None  # worked out for the first figure a sentence with quotes keeps
    figures = []
    for m in matches:
        figure = _figure(m, text, sentence, lex)
        if figure is not None and quoted:
            if depth is None:
                depth = quote_depth(text)
            if depth[figure.num_start]:
                continue  # “13335”工作法, “1号方案”: a name, not a figure
        if figure is not None:
            figures.append(figure)
    return figures


def _figure(m: re.Match, text: str, sentence: Sentence, lex: Lexicon) -> Figure | None:
    """The figure a match is, or None. Each test only refuses, so the cheap ones go first:
    most matches are a bare numeral (一, 二) in a word."""
    pre, num, unit_written, post = m.group("pre") or "", m.group("num"), m.group("unit"), m.group("post") or ""
    chinese = not HAS_ARABIC.search(num)
    unit = lex.unit(unit_written) if unit_written else None
    if unit is None:
        if chinese or not ("万" in num or "亿" in num) or m.group("mod"):
            return None  # a bare number (1. headings, 8日) is not a figure
    elif chinese and "chinese_ok" not in unit.kinds:
        return None  # 统一, 三坊七巷: a numeral inside a word
    num_start, num_end = m.start("num"), m.end("num")
    end = m.end()
    next_char = text[end:end + 1]
    if chinese and (next_char == "是" or num == "一"):
        return None  # 一是, 一个: enumerators and articles
    if pre == "第" and (unit is None or unit.written not in lex.rank_units):
        return None  # 第二个月, 第27版: ordinals, not quantities
    if unit is None and next_char in ("年", "月", "日", "时", "点"):
        return None
    if unit is not None and "duration" in unit.kinds:
        if unit.written == "年" and (pre not in ("连续", "累计", "近", "超过") or next_char in "来以"):
            return None  # 2020年, 10年来: dates and time expressions, not durations
    before_end = num_start - len(pre)  # the text before the figure is text[:before_end]
    # 92号楼道: the word right after the digits, before any unit
    if text.startswith(lex.reject_after, num_end) or text.endswith(lex.reject_before, 0, before_end):
        return None  # 92号楼道, 第27版, 1+3+N
    if LETTER_OR_DIGIT.match(next_char) or LETTER_END.search(text, 0, before_end):
        return None  # B2版, 2021-04-14 pieces
    if unit is not None and "whole_word" in unit.kinds and not _token_bound(sentence, m.end("unit"), TOKEN_END):
        return None  # 3部门: the unit is the start of another word
    if chinese and not _token_bound(sentence, num_start, TOKEN_START):
        return None  # 统一, 三坊七巷: a numeral inside a word
    try:
        value, value_max, more = parse_number(num)
    except ValueError:
        return None
    qualifier = lex.prefixes.get(pre, "") or lex.suffixes.get(post, "") or (more or "")
    if post and lex.suffixes.get(post) == "more_than" and any(
            w in text[max(0, before_end - 3):before_end] for w in lex.at_least):
        qualifier = "at_least"  # 达95%以上
    if not qualifier:
        qualifier = next((q for w, q in lex.before.items()
                          if text.endswith(w, 0, before_end) and not text.endswith("多" + w, 0, before_end)), "")
    rule = ("F-ZH" if chinese else "F-RANK" if pre == "第" else "F-RANGE" if value_max is not None
            else "F-BIG" if unit is None else "F-DURATION" if "duration" in unit.kinds else "F-UNIT")
    return Figure(start=m.start(), end=end, num_start=num_start, value=value, value_max=value_max,
                  unit=unit.base if unit else "", qualifier=qualifier, chinese=chinese,
                  duration=bool(unit and "duration" in unit.kinds), prefix=pre, rule=rule)


def _token_bound(sentence: Sentence, at: int, side: itemgetter) -> bool:
    """Whether a token of the sentence starts (``side`` TOKEN_START) or ends (TOKEN_END) at
    local offset ``at``; tokens are in text order, so bisect, not a set of every token's offsets."""
    tokens, at = sentence.tokens, sentence.start + at
    k = bisect.bisect_left(tokens, at, key=side)
    return k < len(tokens) and side(tokens[k]) == at


# ---------------------------------------------------------------- step 2: annotate

NOUNISH = {"n", "nr", "nrfg", "nrt", "ns", "nt", "nz", "ng", "vn", "j", "l", "b", "s", "an", "eng", "nl"}
MODIFIER = {"a", "zg"}
PUNCT_CLAUSE = set(",，;；。!！?？:：")
JOINERS = {"、", "和", "或", "及"}
LOCATIVES = {"上", "中", "里", "内", "下"}
LEVEL = re.compile(r"^[一二三四五六七八九十]+[级类星]$")  # 一级网格: a level, part of the noun


_TRIPLE_START, _TRIPLE_END = itemgetter(0), itemgetter(1)  # of the (start, end, Tok) of ``_tokens``


class Tok(NamedTuple):
    """A word as the subject rules read it (folded text, genre-fixed tag); a tuple, made often."""

    text: str
    pos: str


def _tokens(sentence: Sentence, lex: Lexicon) -> list[tuple[int, int, Tok]]:
    """(local start, end, token) over the folded text, with this genre's tag fixes (组织 n, 选派 v)."""
    fixes = lex.words.get("pos", {})
    norm = normalised(sentence)
    offset, out = sentence.start, []
    for start, end, _, pos in sentence.tokens:
        s, e = start - offset, end - offset
        word = norm[s:e]
        # tuple.__new__ makes the named tuple without its Python-level __new__: half the time
        out.append((s, e, tuple.__new__(Tok, (word, fixes.get(word, pos)))))
    return out


def _split(tokens, start: int, end: int, lex: Lexicon, tag_of) -> tuple[list[Tok], list[Tok]]:
    """Tokens before ``start`` and after ``end``; a token cut by the figure keeps its outer part.

    ``274/m 个集/n 党建`` with the figure ``274个`` → after starts ``集`` (tagged by lookup).
    """
    fixes = lex.words.get("pos", {})
    # tokens are in text order: those ending by start, those cut by [start, end), the rest
    cut_from = bisect.bisect_right(tokens, start, key=_TRIPLE_END)
    cut_to = bisect.bisect_left(tokens, end, lo=cut_from, key=_TRIPLE_START)
    before = [tok for _, _, tok in tokens[:cut_from]]
    after = []
    for s, e, tok in tokens[cut_from:cut_to]:
        if s < start:
            part = tok.text[:start - s]
            before.append(Tok(part, fixes.get(part) or tag_of(part)))
        if e > end:
            part = tok.text[end - s:]
            after.append(Tok(part, fixes.get(part) or tag_of(part)))
    after += [tok for _, _, tok in tokens[cut_to:]]
    return _glue(before, lex), after  # glued only backwards: 7名党员、占比78% keeps 占比 out of the list


def _is_noun(tok: Tok, lex: Lexicon, following: Tok | None = None) -> bool:
    """A noun of a subject; a stop noun (基础, 方面) only heads a locative: 在…基础/n 上/f."""
    if not (tok.pos in NOUNISH or LEVEL.match(tok.text)):
        return False
    if tok.text in lex.words.get("stop", {}):
        return following is not None and following.pos != "f" and following.text not in LOCATIVES
    return True


def _glue(tokens: list[Tok], lex: Lexicon) -> list[Tok]:
    """Words jieba splits (or that a cut split) joined back: ``占/v 比/p`` → 占比/n, ``占/v 道/q`` → 占道."""
    glue = lex.words.get("glue", {})
    out: list[Tok] = []
    suffixes = lex.glue_suffixes
    for tok in tokens:
        if out and tok.text in suffixes and out[-1].text + tok.text in glue:
            word = out.pop().text + tok.text
            out.append(Tok(word, glue[word] or "n"))
        else:
            out.append(tok)
    return out


def _quoted(tokens: list[Tok], i: int, step: int) -> tuple[str, int] | None:
    """A “…” group starting at i (forward, step 1) or ending at i (backward, step -1)."""
    opener, closer = (OPEN_QUOTES, CLOSE_QUOTES) if step > 0 else (CLOSE_QUOTES, OPEN_QUOTES)
    if tokens[i].text not in opener:
        return None
    j = i + step
    while 0 <= j < len(tokens) and tokens[j].text not in closer:
        if tokens[j].text in PUNCT_CLAUSE:
            return None
        j += step
    if not 0 <= j < len(tokens):
        return None
    inner = tokens[i + step:j:step] if step > 0 else tokens[j + 1:i][::1]
    return "".join(t.text for t in inner), j


def _is_place(tokens: list[Tok], i: int, lex: Lexicon) -> bool:
    """A place name or a scope word that opens a subject but is not part of it.

    ``玉林/nr 街道/n 辖区面积`` → 玉林街道 and ``全区`` are places; ``社区/n 两委`` (a bare
    社区 after no name) and ``小区`` are not: they say what kind of thing is counted.
    """
    tok = tokens[i]
    if tok.pos == "ns" or tok.text in lex.words.get("scope", {}):
        return True
    if tok.text in lex.words.get("kind_place", {}):
        return False  # 住宅小区: a kind of place, what is counted
    names = ("nr", "ns", "nz", "nt", "nrt", "nrfg")
    if tok.text in lex.words.get("place_word", {}):
        return i > 0 and len(tokens[i - 1].text) >= 2 and tokens[i - 1].pos in NOUNISH  # 水井坊/n 街道
    for suffix, min_name in lex.words.get("place_suffix", {}).items():
        if tok.text == suffix:
            return i > 0 and tokens[i - 1].pos in names
        if tok.text.endswith(suffix) and len(tok.text) - len(suffix) >= int(min_name or 2):
            return True
    return False


def noun_run(tokens: list[Tok], lex: Lexicon, step: int = 1, places: bool = True) -> tuple[str, int]:
    """The noun phrase at the start (step 1) or end (step -1) of ``tokens``: (text, tokens used).

    Nouns, quoted names (quotes dropped; a quoted formula with digits is skipped),
    parentheticals that a noun continues (党(工)委), and lists joined by 、/和/或 when
    both sides are nouns: ``机关/n 和/c 企事业/n 单位/n 党组织/n 选派/v`` → 机关和企事业单位党组织.
    """
    n = len(tokens)
    order = range(n) if step > 0 else range(n - 1, -1, -1)
    parts: list[str] = []
    i = order[0] if n else 0
    used = 0
    last_noun_used = 0
    dets = lex.words.get("determiner", {})
    while 0 <= i < n:
        tok = tokens[i]
        q = _quoted(tokens, i, step)
        if q is not None:
            inner, j = q
            if inner and (not HAS_ARABIC.search(inner) or len(HAN.findall(inner)) >= 3):
                # a formula (“1+3+N”) is skipped; a name with a figure in it (“15分钟生活圈”) is kept
                parts.append(inner)
                last_noun_used = abs(j - order[0]) + 1
            i = j + step
            continue
        if tok.text in lex.words.get("suffix", {}) and 0 <= i + step < n and step < 0 \
                and tokens[i + step].text not in PUNCT_CLAUSE and tokens[i + step].pos not in ("m", "p", "x"):
            # 收缴/v 率: a noun suffix takes the word before it into the noun
            parts += [tok.text, tokens[i + step].text]
            last_noun_used = abs(i + step - order[0]) + 1
            i += 2 * step
            continue
        if tok.text in lex.words.get("verb", {}) and not _inner_verb(tokens, i, step, parts, lex):
            break  # 惠及/ns: a governing verb jieba tagged as a noun ends the phrase
        if step > 0 and parts and len(tok.text) > 2 and _starts_with_verb(tok.text, lex):
            break  # 单位/n 签订协议/n: a verb fused with its object starts the predicate
        if _inner_verb(tokens, i, step, parts, lex):
            parts.append(tok.text)  # 楼栋 自治 小组, 白蚁 防治 费用: the verb is inside the name
            i += step
            continue
        if step > 0 and not parts and (tok.pos in MODIFIER or tok.text in lex.words.get("lead", {})) \
                and i + 1 < n and _is_noun(tokens[i + 1], lex):
            parts.append(tok.text)  # 6个 老/a 旧楼院, 900个 无 物业小区: a modifier opens the phrase
            i += step
            continue
        if step < 0 and parts and places and _is_place(tokens, i, lex):
            break  # 玉林街道辖区面积 → 辖区面积: the place is the fact's locality, not its subject
        following = tokens[i + 1] if i + 1 < n else None
        if _is_noun(tok, lex, following) or (parts and tok.pos in MODIFIER) or (step < 0 and tok.pos in MODIFIER) \
                or (parts and tok.text in lex.words.get("attributive", {})):
            # 直接/ad 听众/n: an adverb-tagged word that also modifies nouns (明确/ad does not)
            parts.append(tok.text)
            if _is_noun(tok, lex, following):
                last_noun_used = abs(i - order[0]) + 1
        elif tok.text in dets and (step < 0 or not parts):
            parts.append(tok.text)
        elif tok.text in JOINERS and parts and 0 <= i + step < n and _is_noun(tokens[i + step], lex):
            parts.append(tok.text)
        elif tok.text in ("(", "(") and step > 0 and parts:
            close = next((k for k in range(i + 1, min(n, i + 6)) if tokens[k].text in (")", ")")), None)
            ends = close is not None and (close + 1 >= n or tokens[close + 1].text in PUNCT_CLAUSE)
            if close is None or not (ends and close - i <= 3) and (close + 1 >= n or not (
                    _is_noun(tokens[close + 1], lex) or tokens[close + 1].pos in MODIFIER)):
                break  # 社区(村)。 a short parenthesis closing the clause is kept
            parts.append("".join(t.text for t in tokens[i:close + 1]))
            i = close + 1
            continue
        elif tok.text in (")", ")") and step < 0 and parts:
            close = next((k for k in range(i - 1, max(-1, i - 6), -1) if tokens[k].text in ("(", "(")), None)
            if close is None:
                break
            parts.append("".join(t.text for t in tokens[close:i + 1]))
            i = close - 1
            continue
        else:
            break
        i += step
    # keep up to the last noun: a trailing modifier or joiner is not part of the phrase
    while parts and parts[-1] in JOINERS:
        parts.pop()
    if step < 0:
        parts = parts[::-1]
    return _strip_verb("".join(parts), lex), last_noun_used


def _inner_verb(tokens: list[Tok], i: int, step: int, parts: list[str], lex: Lexicon) -> bool:
    """A verb inside a compound noun, read from its head: a noun on the far side, the head just
    read; a governing verb (调解矛盾纠纷) only before the head of a named body (调解工作室)."""
    tok, far = tokens[i], i + step
    if not parts or tok.text not in lex.words.get("attr_verb", {}) or not 0 <= far < len(tokens):
        return False
    if step < 0:
        head = parts[-1]
    else:  # forward the head is after the verb: read through the nouns that follow it
        if not _is_noun(tokens[far], lex):
            return False
        k = far
        while k + 1 < len(tokens) and _is_noun(tokens[k + 1], lex):
            k += 1
        head = tokens[k].text
    if head.endswith(lex.org_heads):
        return True  # 成立调解小组: the name of a body opens with what it does
    far_noun = _is_noun(tokens[far], lex) and tokens[far].text not in lex.words.get("verb", {})
    return far_noun and tok.text not in lex.words.get("verb", {})


def _starts_with_verb(word: str, lex: Lexicon) -> bool:
    return word.startswith(lex.governing_verbs)


def _strip_verb(phrase: str, lex: Lexicon) -> str:
    """化解矛盾纠纷 → 矛盾纠纷: a governing verb fused into the first word is not the subject.

    What is left must be a word (two characters or more): in 慰问品 and 组建率 the verb is
    the stem of the noun, not its governor.
    """
    if not phrase.startswith(lex.governing_verbs):  # a precheck: most phrases open with no verb
        return phrase
    body = phrase.endswith(lex.org_heads)
    for verb in lex.governing_verbs:
        if phrase.startswith(verb) and len(phrase) >= len(verb) + 2:
            if body and verb in lex.words.get("attr_verb", {}):
                return phrase  # 调解小组: what a body does opens its name
            return phrase[len(verb):]
    return phrase


def _clause_before(before: list[Tok]) -> list[Tok]:
    """The tokens after the last clause break: ``…,全区共建立网格党支部`` → 全区 共 建立 网格党支部."""
    k = len(before)
    while k > 0 and before[k - 1].text not in PUNCT_CLAUSE:
        k -= 1
    return before[k:]


def _strip_skips(tokens: list[Tok], lex: Lexicon) -> list[Tok]:
    """Drop the words between a subject and its number: 注册资本达 → 注册资本, 职责明确为 → 职责."""
    skips = lex.words.get("skip", {})
    k = len(tokens)
    while k > 0 and (tokens[k - 1].text in skips or tokens[k - 1].pos in ("p", "d", "ad", "ul")):
        k -= 1
    return tokens[:k]


def subject_after(after: list[Tok], lex: Lexicon) -> tuple[str, str]:
    """``247个机关支部、6028名`` → 机关支部; ``90%以上的省级机关`` → 省级机关."""
    rule = "S-AFTER"
    if after and after[0].pos == "uj":
        after, rule = after[1:], "S-AFTER-DE"
    text, used = noun_run(after, lex, 1)
    if _closed_by_deng(after, used):
        first = next((k for k in range(1, used + 1) if after[k].text in ("、", "及")), None)
        if first is not None:
            # 2257个单元网格及专职巡查员、公安警力等: the figure counts the first of a list of kinds
            text, _ = noun_run(after[:first], lex, 1)
            rule += "-FIRST"
    return text, rule


def _closed_by_deng(after: list[Tok], used: int) -> bool:
    """The noun phrase opens a list of kinds closed by 等 in the same clause, before any verb."""
    k = used
    while k < len(after) and after[k].text not in PUNCT_CLAUSE and after[k].pos[:1] not in ("v", "p", "m"):
        if after[k].text == "等":
            return True
        k += 1
    return False


def money_verb_subject(before: list[Tok], after: list[Tok], fig: Figure, lex: Lexicon) -> str:
    """``投资8000余万元建设指挥中心`` → 投资: a sum between its verb and its purpose is the verb's;
    ``筹集326万元共建资金`` keeps its money noun."""
    if fig.unit != "元" or not before or not after:
        return ""
    verb = before[-1].text
    if verb not in lex.words.get("money_verb", {}) or after[0].pos not in ("v", "vn"):
        return ""  # 投入300万元专项资金: the noun after is what the sum is
    phrase, _ = noun_run(after[1:], lex, 1)
    if any(phrase.startswith(w) for w in lex.words.get("money_noun", {})):
        return ""  # 筹集326万元共建资金: the verb modifies a money noun, which is the sum's noun
    return verb


MOD_TAGS = {"v", "vn", "a", "ad", "an", "b", "f", "vd", "z"}


def subject_after_mod(after: list[Tok], lex: Lexicon) -> str:
    """The counted noun with the modifiers between classifier and head: ``4300余家 沿街/f 商户/n``
    → 沿街商户, ``1100个 见习/v 岗位/n,`` → 见习岗位, ``6800余名 注册/v 志愿者/n 参与`` → 注册志愿者.

    Up to two modifier words (verb, adjective, locative tags; two characters or more), then a
    noun run whose head is a true noun, ending the clause or followed by a verb.
    """
    skips = lex.words.get("skip", {})
    for m in (1, 2):
        mods = after[:m]
        if len(after) <= m or not all(
                t.pos in MOD_TAGS and len(t.text) >= 2 and t.text not in skips for t in mods):
            return ""
        rest, used = noun_run(after[m:], lex, 1)
        if not rest or not used or after[m + used - 1].pos in ("vn", "v"):
            continue
        nxt = after[m + used] if m + used < len(after) else None
        if nxt is None or nxt.text in PUNCT_CLAUSE or nxt.text == "、" or nxt.pos[:1] in ("v", "p", "d", "c"):
            return "".join(t.text for t in mods) + rest
    return ""


def predicate_cut(text: str, start: int, tokens: list[tuple[int, int, Tok]], lex: Lexicon) -> int:
    """Where the subject ends when a predicate stands before the figure: ``办结率达99.2%`` → before 达.

    Predicates (``skip`` words: 达, 为, 下降, 提高, 共计…) are stripped from the text, repeatedly;
    a cut inside a jieba word is allowed only when it leaves a noun suffix (``率达`` → 率,
    ``比达`` → 比), so that ``行为12起`` keeps its 为.
    """
    preds = lex.predicates
    tails = lex.words.get("tail", {})
    cut, moved = start, True
    while moved and text.endswith(preds, 0, cut):  # a precheck: most figures follow no predicate
        moved = False
        for word in preds:
            new = cut - len(word)
            if new < 0 or not text.endswith(word, 0, cut):
                continue
            inside = next((s for s, e, _ in tokens if s < new < e), None)
            at_bound = any(s == new or e == new for s, e, _ in tokens)  # a word starts or ends there
            if at_bound or (inside is not None and text[inside:new] in tails):
                cut, moved = new, True
                break
    return cut


def subject_before(before: list[Tok], lex: Lexicon, list_item: bool = True, places: bool = True) -> tuple[str, str]:
    """``全区共建立网格党支部`` → 网格党支部; ``实行交叉任职的小区`` → 实行交叉任职的小区.

    After 、 the governing verb is not repeated, so the whole list item is the subject
    (``、依法协助政府工作事项45项``); 将/把 fronts its object (``将党员履职尽责情况分为``).
    A phrase that is only a place or scope (``全区6800余名…``) is no subject.
    """
    clause = _clause_before(before)
    head = _strip_skips(clause, lex)
    text, used = noun_run(head, lex, -1, places)
    if not text:
        return "", ""
    if places and used and all(_is_place(head, k, lex) for k in range(len(head) - used, len(head))):
        return "", ""
    text, used = _ratio_phrase(head, text, used, lex)
    rest = head[:len(head) - used]
    if rest and rest[-1].pos == "uj":
        ext, k = [], len(rest) - 1
        stops = lex.words.get("ext_stop", {})
        while k > 0 and rest[k - 1].text not in PUNCT_CLAUSE and rest[k - 1].text != "、" \
                and rest[k - 1].pos not in ("p", "t") and rest[k - 1].text not in stops:
            k -= 1
            ext.insert(0, rest[k])
        if k > 0 and rest[k - 1].text == "、":
            return text, "S-BEFORE"  # 由律师、退休干部等组成的调解队伍: a modifier cut mid-list is dropped
        ext = _after_governor(ext, lex)
        if ext:
            return "".join(t.text for t in ext) + "的" + text, "S-BEFORE-DE"
    # 发展楼长、巷长、街长7219名: a noun list the figure counts as a whole, unless its first item
    # is the tail of another figure (开展活动3000余场、服务居民40万人次: one figure each)
    shared = "、" in text and not (len(head) > used and head[len(head) - used - 1].pos == "m")
    item = _list_item(head, lex) if list_item and not shared else ""
    if item:
        return item, "S-LIST"
    ba = lex.words.get("ba", {})
    for k in range(len(rest) - 1, -1, -1):
        if rest[k].text in ba:
            chunk = "".join(t.text for t in rest[k + 1:]) + text
            return chunk, "S-BA"
        if rest[k].text == "、":
            break
    return text, "S-BEFORE"


def _ratio_phrase(head: list[Tok], text: str, used: int, lex: Lexicon) -> tuple[str, int]:
    """A ratio takes the verb phrase that says of what: ``成员/n 交叉/v 任职/v 比例/n`` → 成员交叉任职比例,
    ``调解/v 成功率`` → 调解成功率. Stops at a clause break, preposition, adverb, 的, number or place."""
    if not any(text.endswith(w) for w in lex.words.get("ratio", {})):
        return text, used
    k = len(head) - used
    if k == 0 or not head[k - 1].pos.startswith("v"):
        return text, used
    while k > 0:
        tok = head[k - 1]
        if tok.text in CLOSE_QUOTES:
            q = _quoted(head, k - 1, -1)
            if q is None:
                break
            k = q[1]
            continue
        if tok.text in PUNCT_CLAUSE or tok.pos[:1] in ("p", "d", "u", "m", "q", "x", "r", "c") \
                or tok.text in lex.words.get("skip", {}) or _is_place(head, k - 1, lex):
            break
        if not (tok.pos.startswith("v") or _is_noun(tok, lex) or tok.pos in MODIFIER):
            break
        k -= 1
    phrase = "".join(t.text for t in head[k:] if t.text not in OPEN_QUOTES + CLOSE_QUOTES)
    return phrase, len(head) - k


def _after_governor(ext: list[Tok], lex: Lexicon) -> list[Tok]:
    """A 的-modifier without the verb that governs the whole phrase, and that verb's object.

    ``推动/v 区级/n 部门/n 下放/v 街道/n`` (…的服务管理事项) → 下放 街道: what is counted is
    the 事项 that were handed down, not the pushing.
    """
    governors = lex.words.get("govern", {})
    last = max((k for k, t in enumerate(ext) if t.text in governors), default=-1)
    if last < 0:
        return ext
    rest = ext[last + 1:]
    k = 0
    while k < len(rest) and _is_noun(rest[k], lex):
        k += 1
    if 0 < k < len(rest) and rest[k].pos.startswith("v"):
        rest = rest[k:]  # 推动 [区级部门] 下放…: the agent of the inner verb goes with the governor
    return rest


def verb_run_before(before: list[Tok], lex: Lexicon) -> str:
    """``开展“六进”巡回宣讲110场`` → 巡回宣讲: an activity counted in 场/次.

    One verb right after its doer counts the doing: ``居民/n 参与/v 2.1万人次`` → 居民参与.
    """
    head = _strip_skips(_clause_before(before), lex)
    parts = []
    for tok in reversed(head):
        if tok.pos not in ("v", "vn") or len(tok.text) < 2:
            break
        parts.insert(0, tok.text)
    rest = head[:len(head) - len(parts)]
    if len(parts) == 1 and rest and rest[-1].pos in NOUNISH and not _is_place(rest, len(rest) - 1, lex):
        doer, _ = noun_run(rest, lex, -1)
        if doer:
            return doer + parts[0]
    return "".join(parts)


def _list_item(head: list[Tok], lex: Lexicon) -> str:
    """The whole chunk since a 、 when the clause is a list: 、出具证明事项(20项)."""
    k = len(head)
    while k > 0 and head[k - 1].text != "、":
        if head[k - 1].pos in ("m", "q") or head[k - 1].text in OPEN_QUOTES + CLOSE_QUOTES + "等":
            return ""  # 等 closes a list: 律师、退休干部等组成的队伍 is no list item
        k -= 1
    if k == 0 or k == len(head):
        return ""
    return "".join(t.text for t in head[k:])


def subject_in_clause(after: list[Tok], lex: Lexicon) -> str:
    """``274个集党建宣传、服务群众…于一体的“红色驿站”`` → 红色驿站: the head after 的."""
    k = 0
    while k < len(after) and after[k].text not in PUNCT_CLAUSE and after[k].pos != "m":
        k += 1
    clause = after[:k]
    des = [i for i, t in enumerate(clause) if t.pos == "uj"]
    if not des:
        return ""
    tail = clause[des[-1] + 1:]
    text, used = noun_run(tail, lex, 1)
    if not text or used != len(tail):
        return ""
    return text.split("、")[-1]


def subject_duration(after: list[Tok], lex: Lexicon) -> str:
    """``连续62个月蝉联第一`` → 蝉联第一; ``连续10年实现了信访“四个零”`` → 信访四个零."""
    k = 0
    while k < len(after) and after[k].text not in PUNCT_CLAUSE:
        k += 1
    clause = after[:k]
    if len(clause) >= 2 and clause[0].pos.startswith("v") and clause[1].pos in ("ul", "uz", "ug"):
        clause = clause[2:]
    return "".join(t.text for t in clause if t.text not in OPEN_QUOTES + CLOSE_QUOTES)


def find_time(sentence: Sentence, position: int, lex: Lexicon, figures: list[Figure]) -> str:
    """The time expression nearest before ``position`` in the sentence, as written (quotes dropped).

    ``截至今年4月,全区共有网格员2300名`` → 截至今年4月; ``“十四五”以来`` → 十四五以来.
    """
    return _nearest_time(sentence, position, time_spans(sentence, lex, figures))


def time_spans(sentence: Sentence, lex: Lexicon, figures: list[Figure]) -> list[tuple[int, int]]:
    """Every time expression of the sentence outside its figures, in pattern order: found once
    per sentence, for all its figures."""
    text = normalised(sentence)
    spans = []
    for _, pattern in lex.times:
        for m in pattern.finditer(text):
            if m.end() > m.start() and not any(f.start <= m.start() < f.end for f in figures):
                spans.append((m.start(), m.end()))
    return spans


def _nearest_time(sentence: Sentence, position: int, found: list[tuple[int, int]]) -> str:
    spans = [sp for sp in found if sp[1] <= position]
    if not spans:
        return ""
    # the longest match at the latest start: 2019年10月31日 over 2019年
    start = max(s for s, _ in spans)
    best = [sp for sp in spans if sp[0] == start] + [sp for sp in spans if sp[1] > start]
    s, e = max(best, key=lambda sp: (sp[1] - sp[0]))
    # a longer match that contains the latest start (截至目前 over 目前)
    for s2, e2 in spans:
        if s2 < s and e2 >= e:
            s, e = s2, e2
    text = normalised(sentence)
    return "".join(ch for n, ch in zip(text[s:e], sentence.text[s:e]) if n not in OPEN_QUOTES + CLOSE_QUOTES)


def infer_unit(figure: Figure, subject: str, lex: Lexicon) -> str:
    """``常住人口72万`` has no classifier; a population subject counts 人."""
    if figure.unit or not subject:
        return figure.unit
    if any(w in subject for w in lex.words.get("population", {})):
        return "人"
    return ""


def annotate(sentence: Sentence, figures: list[Figure], lex: Lexicon, tag_of) -> list[Fact]:
    """Facts for the figures of one sentence; rules read the folded text, fields quote the text."""
    tokens = _tokens(sentence, lex)
    text = normalised(sentence)
    facts: list[Fact] = []
    times = time_spans(sentence, lex, figures)
    for fig in figures:
        cut = predicate_cut(text, fig.start, tokens, lex)
        before, after = _split(tokens, cut, fig.end, lex, tag_of)
        subject, srule = "", ""
        raw_before = text[:fig.start]
        share = next((m for pattern in lex.share_patterns if (m := pattern.search(raw_before))), None)
        band = share_band(text, share.start(), facts, sentence.start) if share else ""
        if fig.duration and fig.prefix in ("连续", "累计"):
            subject, srule = subject_duration(after, lex), "S-DURATION"
        elif band:
            subject, srule = band + "占比", "S-SHARE-BAND"
        elif share and facts and facts[-1].subject and not _own_share_holder(text, share.start(), lex):
            subject, srule = facts[-1].subject + "占比", "S-SHARE"
        elif money := money_verb_subject(before, after, fig, lex):
            subject, srule = money, "S-MONEY-VERB"
        else:
            subject, srule = subject_after(after, lex)
            continues = bool(after) and after[0].text not in PUNCT_CLAUSE and after[0].text != "、"
            if not subject and continues:
                # 274个集…于一体的“红色驿站”: the figure modifies a head further on
                subject, srule = subject_in_clause(after, lex), "S-CLAUSE-DE"
            if not subject:
                subject, srule = subject_before(before, lex, list_item=not continues, places=fig.rule != "F-RANK")
                subject, srule = with_premodifier(subject, srule, text[:cut], lex)
            if not subject and raw_before.endswith("、") and facts:
                subject, srule = facts[-1].subject, "S-LIST-INHERIT"  # 5大项、15小项
            if not subject and facts and not _strip_skips(_clause_before(before), lex) and not continues:
                # 满意率达98.6%,同比提高3.2个百分点; 共有居民2660户,5728人: the figure alone in its clause
                subject, srule = facts[-1].subject, "S-ELLIPSIS" if cut < fig.start else "S-ELLIPSIS-BARE"
            if not subject:
                subject, srule = subject_after_mod(after, lex), "S-AFTER-MOD"
            if not subject and not continues:
                subject, srule = verb_run_before(before, lex), "S-BEFORE-V"
        facts.append(Fact(
            start=sentence.start + fig.start, end=sentence.start + fig.end, text=sentence.text[fig.start:fig.end],
            value=fig.value, unit=infer_unit(fig, subject, lex), value_max=fig.value_max, qualifier=fig.qualifier,
            subject=as_written(subject, sentence), time=_nearest_time(sentence, fig.start, times),
            chinese_numeral=fig.chinese, sentence_start=sentence.start, sentence_end=sentence.end,
            rule=f"{fig.rule}/{srule or 'S-NONE'}",
        ))
    return link_changes(facts, text, sentence.start, lex)


def _own_share_holder(text: str, at: int, lex: Lexicon) -> bool:
    """The share names its own holder: ``其中老旧小区占比70%``, not ``7名党员、占比78%``
    (where the share is of the figure just before). A holder is any word left in the clause
    once scope and predicate words are dropped."""
    clause = re.split(r"[,，;；:：。、]", text[:at])[-1]
    # longest first, and words of one length in a fixed order: in a set's order (which string
    # hashing changes from process to process) two overlapping words could leave different rests
    for word in sorted({*lex.words.get("skip", {}), *lex.words.get("scope", {})}, key=lambda w: (-len(w), w)):
        clause = clause.replace(word, "")
    return len(clause) >= 2


def share_band(text: str, at: int, facts: list[Fact], offset: int) -> str:
    """``35周岁以下占比76.3%`` → 35周岁以下: a band (a figure and 以下/以上) holds the share."""
    if not facts:
        return ""
    prev = facts[-1]
    start, end = prev.start - offset, prev.end - offset
    band = text[start:at] if 0 <= start <= end <= at and at - end <= 4 else ""
    if band and BAND.search(band) and not re.search(r"[,，;；、]", text[end:at]):
        return band
    return ""


def with_premodifier(subject: str, rule: str, before: str, lex: Lexicon) -> tuple[str, str]:
    """``税收超亿元楼宇52栋`` → 税收超亿元楼宇: a modifier jieba cannot tag as one (``premod`` patterns)."""
    if not subject or not before.endswith(subject):
        return subject, rule
    head = before[:len(before) - len(subject)]
    for pattern in lex.words.get("premod", {}):
        m = re.search(rf"(?:{pattern})$", head)
        if m and m.group(0):
            return m.group(0) + subject, rule + "-PREMOD"
    return subject, rule


def as_written(phrase: str, sentence: Sentence) -> str:
    """A phrase built on the folded text, in the text's own characters: 党（工）委 stays 党（工）委."""
    if not phrase:
        return phrase
    norm = normalised(sentence)
    at = norm.find(phrase)
    if at >= 0:
        return sentence.text[at:at + len(phrase)]
    back = {n: t for n, t in zip(norm, sentence.text) if n != t}
    return "".join(back.get(ch, ch) for ch in phrase)


def link_changes(facts: list[Fact], text: str, offset: int, lex: Lexicon) -> list[Fact]:
    """``由20项增加到70项``: the after figure gets change_from=20 and the before's subject."""
    between_changes = lex.change_between
    froms = lex.words.get("from", {})
    if between_changes is None or len(facts) < 2:
        return facts
    out = list(facts)
    for i in range(1, len(out)):
        a, b = out[i - 1], out[i]
        between = text[a.end - offset:b.start - offset]
        if not between_changes.fullmatch(between):
            continue
        clause = CLAUSE_BREAK.split(text[:a.start - offset])[-1]
        if not any(w in clause for w in froms):
            continue
        subject = b.subject if "/S-AFTER" in b.rule and b.subject else a.subject
        out[i] = replace(b, change_from=a.value, subject=subject,
                         rule=b.rule if subject == b.subject else b.rule.split("/")[0] + "/S-CHANGE")
    return out


def extract_facts(tagged: Tagged, settings: Settings) -> list[Fact]:
    """Every figure in the body sentences, annotated; ordered by position."""
    lex = lexicon(settings.data_dir)
    tag_of = tagged.tag_of
    facts: list[Fact] = []
    for sentence in tagged.sentences:
        figures = find_figures(sentence, lex)
        if figures:
            facts.extend(annotate(sentence, figures, lex, tag_of))
    return facts
