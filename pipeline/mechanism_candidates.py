"""Where a report may name a practice: every quoted phrase (with the head it attaches), unquoted name shape, practice-head phrase and + formula, as a Candidate span.

Quoted phrases with a head the text attaches (“13335”工作法); unquoted name shapes (…制度
after 建立; 1+3+N; 四步法; 码上办); a specific modifier + a practice head (红棉驿站,
银发志愿服务队, 老杨工作法); formulas of words (院落长+楼栋长+单元长). Finding is generous:
judging (``mechanism_rejection``) decides which candidates name no practice.
"""
from __future__ import annotations

import re
import string
from dataclasses import dataclass
from typing import Mapping

from .mechanism_rules import CountedList, Headed, MechanismRules, NameSuffixes, PlusFormula, Unquoted
from .mechanism_text import CJK, clause_start, count_in, inside_quote
from .records import TOKEN_END, Sentence, Token
from .tagging import jieba_word_tags

QUOTED = re.compile(r"[“「『]([^“”「」『』\n]{1,30})[”」』]")
CJK_RUN = re.compile(rf"[{CJK}]*")
CJK_WORD = re.compile(rf"[{CJK}]+")
SYSTEM_TAIL = re.compile(r"(制度|制)$")
PLUS_FORMULA = re.compile(r"[0-9A-Za-z\u4e00-\u9fff·]+(?:\+[0-9A-Za-z\u4e00-\u9fff·]+)+")
ALNUM = re.compile(r"[0-9A-Za-z]+")
ALNUM_PLUS = re.compile(r"[0-9A-Za-z+]+")
ALNUM_CHARS = frozenset(string.ascii_letters + string.digits)


@dataclass
class Candidate:
    start: int  # name span, quotes excluded
    end: int
    name: str
    core_start: int  # the quoted part, quotes excluded
    core_end: int
    quoted: bool
    suffix: str
    rule: str


def find_candidates(ntext: str, sentences: list[Sentence], rules: MechanismRules) -> list[tuple[Candidate, Sentence]]:
    """Every candidate of every sentence, with its sentence, in text order."""
    out = []
    for sent in sentences:
        # a precheck: most sentences quote nothing, and need not know where their words end
        quoted = []
        if QUOTED.search(ntext, sent.start, sent.end):
            word_ends = set(map(TOKEN_END, sent.tokens))
            quoted = quoted_candidates(ntext, rules.name_suffixes, sent.start, sent.end, word_ends)
        cands = quoted + unquoted_candidates(ntext, rules.unquoted, sent.start, sent.end)
        cands += headed_candidates(ntext, sent, rules.headed) + plus_candidates(ntext, sent, rules.plus_formula)
        counted = [c for c in cands if c.rule == rules.counted_list.counted_by]
        if counted:
            cands += list_candidates(ntext, sent, counted, rules.counted_list)
        out += [(c, sent) for c in cands]
    return sorted(out, key=lambda cs: cs[0].start)


def general_words() -> Mapping[str, str]:
    """jieba's general dictionary (word → part of speech), read from its file once per
    process (never from the global tokenizer); empty when jieba is missing or unreadable:
    the cues that ask whether a word is everyday then stay silent."""
    try:
        return jieba_word_tags()
    except Exception:  # pragma: no cover - jieba missing or unreadable
        return {}


# ---------------------------------------------------------------- quoted

def quoted_candidates(text: str, suffixes: NameSuffixes, start: int = 0, end: int | None = None,
                      word_ends: set[int] | None = None) -> list[Candidate]:
    """Quoted phrases with any attached head; with ``word_ends`` (where the text's words
    end), a head must end a word: ``“馨纯”志愿服务队伍`` attaches nothing (队 is inside 队伍).

    >>> from pipeline.mechanism_rules import load_rules
    >>> from pipeline.settings import DATA_DIR
    >>> [c.name for c in quoted_candidates("军门社区“13335”工作法被列入", load_rules(DATA_DIR).name_suffixes)]
    ['13335工作法']
    """
    out = []
    for m in QUOTED.finditer(text, start, len(text) if end is None else end):
        core = m.group(1).strip()
        if len(core) < 2:
            continue
        suffix = _suffix_after(text, m.end(), suffixes)
        if suffix and word_ends is not None and m.end() + len(suffix) not in word_ends:
            suffix = ""
        out.append(Candidate(m.start(1), m.end() + len(suffix) if suffix else m.end(1), core + suffix,
                             m.start(1), m.end(1), True, suffix, "MQ-QUOTED" + ("+SUFFIX" if suffix else "")))
    return out


def _suffix_after(text: str, pos: int, suffixes: NameSuffixes) -> str:
    """The head a text attaches after a closing quote: ``”工作法`` → 工作法, ``”社区共治委员会``."""
    heads = suffixes.by_first_char
    m = CJK_RUN.match(text, pos, pos + suffixes.max_gap + suffixes.longest)
    run = m.group(0) if m else ""
    best = ""
    for gap in range(0, suffixes.max_gap + 1):
        if gap >= len(run) or (gap and run[gap - 1] in suffixes.gap_stop_chars):
            break
        for head, max_gap in heads.get(run[gap], ()):
            if gap <= max_gap and run.startswith(head, gap):
                best = run[:gap + len(head)]
                break
        if best:
            break
    return best


# ---------------------------------------------------------------- unquoted shapes

def unquoted_candidates(text: str, shapes: tuple[Unquoted, ...], start: int, end: int) -> list[Candidate]:
    """Names without quotes: 建立社区工作准入制度 → 社区工作准入制度; 1+3+N; 四步法."""
    out = []
    sentence = text[start:end]
    for rule in shapes:
        for m in rule.regex.finditer(sentence):
            name = m.group("name")
            s = start + m.start("name")
            if inside_quote(text, s):
                continue
            if name in rule.generic:
                continue
            if any(name.startswith(p) for p in rule.generic_prefixes):
                continue
            if rule.id == "MU-SYSTEM" and _generic_system(name, rule):
                continue
            out.append(Candidate(s, s + len(name), name, s, s + len(name), False, "", rule.id))
    return out


def _generic_system(name: str, rule: Unquoted) -> bool:
    """社区工作制度 names nothing particular: strip known generic tails and see what is left."""
    core = SYSTEM_TAIL.sub("", name)
    return len(core) < 3 or any(name.endswith(g) and len(name) - len(g) < 3 for g in rule.generic)


# ---------------------------------------------------------------- a modifier and a practice head

def headed_candidates(ntext: str, sent: Sentence, cfg: Headed) -> list[Candidate]:
    """Unquoted names made of a specific modifier and a practice head noun.

    ``在每个社区建设红棉驿站`` → 红棉驿站; ``组建银发志愿服务队`` → 银发志愿服务队;
    ``每个驿站`` and ``社区议事厅`` name nothing particular and give nothing.
    """
    matches = list(cfg.pattern.finditer(ntext, sent.start, sent.end))
    if not matches:
        return []
    tokens = [t for t in sent.tokens if t.text.strip()]
    ends = {t.end for t in tokens}
    out = []
    for m in matches:
        hs, he = m.start(), m.end()
        head = cfg.by_head[m.group(0)]
        if he not in ends or inside_quote(ntext, hs):
            continue
        if len(head.head) == 1 and not any(t.start == hs and t.end == he for t in tokens):
            continue  # 通 of 沟通, 云 of 白云: a one-character head must be a word of its own
        if head.right is not None and not head.right.match(ntext[he:sent.end]):
            continue
        mods = _modifier(ntext, tokens, hs, cfg)
        if mods and head.no_verb_before and mods[-1].pos.startswith("v"):
            continue
        if not mods or not _specific(mods, head.need, cfg):
            continue
        s = mods[0].start
        out.append(Candidate(s, he, ntext[s:he], s, he, False, "", cfg.id + "-" + head.id))
    return out


def _modifier(ntext: str, tokens: list[Token], head_start: int, cfg: Headed) -> list[Token]:
    """Nominal tokens right before a head, nearest last: 建设红棉驿站 → [红棉].

    The walk stops at a verb of building (建设 is tagged vn), a determiner, a particle or a
    punctuation mark; leading place names with an admin suffix (越秀区) are the locality,
    not part of the name.
    """
    mods: list[Token] = []
    # a token holding the head's start holds the end of the modifier too: 邻里客厅 as one word
    inner = next((t for t in tokens if t.start < head_start < t.end), None)
    if inner is not None:
        mods.append(Token(inner.start, head_start, ntext[inner.start:head_start], "n"))
    chars = sum(len(t.text) for t in mods)
    for t in reversed([t for t in tokens if t.end <= head_start]):
        if mods and t.end != mods[0].start or (not mods and t.end != head_start):
            break
        word = ntext[t.start:t.end]
        if (word in cfg.stop_words or not any(t.pos.startswith(p) for p in cfg.modifier_pos)
                or chars + len(word) > cfg.max_modifier_chars):
            break
        mods.insert(0, Token(t.start, t.end, word, t.pos))
        chars += len(word)
    while mods and (_admin_place(mods[0], cfg) or mods[0].pos.startswith("v")):
        mods.pop(0)
    if mods and mods[0].text in cfg.scope_words:  # 全街道院落议事会 → 院落议事会
        mods.pop(0)
        if mods and mods[0].text in cfg.scope_levels:
            mods.pop(0)
    return mods


def _admin_place(t: Token, cfg: Headed) -> bool:
    """越秀区, 金牛区, 幸福街道: a place with an administrative suffix."""
    return t.pos == "ns" and t.text.endswith(cfg.admin_suffixes) and len(t.text) > 2


def _specific(mods: list[Token], need: str, cfg: Headed) -> bool:
    """Does the modifier single something out? 红棉 yes, 社区/居民/各类 no.

    ``need`` is ``any`` (the head is itself a brand: 社区e家), ``specific`` (one word that is
    not a generic facility word: 小哥驿站) or ``named`` (a proper or invented word, not in the
    general dictionary: 根脉 in 红色根脉工程, not 党员先锋行动).
    """
    if need == "any":
        return True
    words = [t.text for t in mods]
    if any(w in cfg.determiners for w in words):
        return False
    rest = [t for t in mods if t.text not in cfg.generic_modifiers]
    if not rest or sum(len(t.text) for t in mods) < 2:
        return False
    if need == "specific":
        return True
    general = general_words()
    return any(t.pos in cfg.named_pos or (general and t.text not in general) for t in rest)


# ---------------------------------------------------------------- the items of a counted set

def list_candidates(ntext: str, sent: Sentence, counted: list[Candidate], cfg: CountedList) -> list[Candidate]:
    """The items of a 、-list right before a counted set whose count they meet:
    ``开设甲乙书屋、丙丁讲堂、微型消防站三大服务项目`` → 甲乙书屋, 丙丁讲堂 (a standard
    facility such as 微型消防站 is no programme of its own). The first item starts after
    the clause's verb: whole tokens walked back from the first 、, no verb among them.
    """
    out = []
    tokens = [t for t in sent.tokens if t.text.strip()]
    for c in counted:
        start = max(sent.start, clause_start(ntext, c.start))
        segment = ntext[start:c.start]
        items = segment.split("、")
        if len(items) < 2 or len(items) != count_in(c.name):
            continue
        first_end = start + len(items[0])
        first_start = first_end
        for t in reversed([t for t in tokens if start <= t.start and t.end <= first_end]):
            if t.end != first_start or t.pos.startswith(("v", "p", "d", "c", "u")) and t.pos != "vn":
                break
            first_start = t.start
        pos = first_start
        for i, item in enumerate(items):
            s = pos if i == 0 else ntext.index(item, pos)
            e = first_end if i == 0 else s + len(item)
            name = ntext[s:e]
            pos = e
            if not 2 <= len(name) <= cfg.max_item_chars or not CJK_WORD.fullmatch(name):
                continue
            if name in cfg.generic_facilities or not name.endswith(cfg.venue_ends):
                continue  # a standard facility, or a field of work (矛盾调解, 就业帮扶)
            out.append(Candidate(s, e, name, s, e, False, "", cfg.id))
    return out


# ---------------------------------------------------------------- formulas of words

def plus_candidates(ntext: str, sent: Sentence, cfg: PlusFormula) -> list[Candidate]:
    """Formulas of words joined by +, without quotes: ``建立院落长+楼栋长+单元长三级联动`` → 院落长+楼栋长+单元长.

    The first and last parts are cut at token boundaries, no longer than their neighbour
    part and a character, and never across a verb of building (建立, 形成).
    """
    if ntext.find("+", sent.start, sent.end) < 0:
        return []
    tokens = [t for t in sent.tokens if t.text.strip()]
    out = []
    for m in PLUS_FORMULA.finditer(ntext[sent.start:sent.end]):
        start, end = sent.start + m.start(), sent.start + m.end()
        parts = m.group(0).split("+")
        if all(ALNUM.fullmatch(p) for p in parts) or inside_quote(ntext, start):
            continue  # digits and letters alone: MU-FORMULA
        first_start = _cut_left(ntext, tokens, start + len(parts[0]), len(parts[1]) + 1, cfg)
        if first_start is None:
            continue
        # the last part is no longer than the one before it (once cut, when that is the first)
        before_last = len(parts[-2]) if len(parts) > 2 else start + len(parts[0]) - first_start
        last_end = _cut_right(ntext, tokens, end - len(parts[-1]), before_last + 1, cfg)
        if last_end is None:
            continue
        if ALNUM_PLUS.fullmatch(ntext[first_start:last_end]):
            continue  # digits and letters once cut (走访3+5次): MU-FORMULA decides
        out.append(Candidate(first_start, last_end, ntext[first_start:last_end], first_start, last_end,
                             False, "", cfg.id))
    return out


def _cut_left(ntext: str, tokens: list[Token], end: int, limit: int, cfg: PlusFormula) -> int | None:
    """Start of the first part, walking back whole tokens from the first +."""
    start = end
    for t in reversed([t for t in tokens if t.end <= end]):
        word = ntext[t.start:t.end]
        if t.end != start or word in cfg.stop_words or t.pos in cfg.stop_pos or end - t.start > limit:
            break
        if t.pos.startswith("v") and t.end != end:
            break  # a verb ends a part (前台指挥+), but before the part it is the clause's: 采取前台指挥
        start = t.start
    if ALNUM.match(ntext, end - 1, end):  # 1+党建: a digit part is whole
        start = min(start, _alnum_run_start(ntext, end))
    return start if end - start >= 1 and (end - start >= 2 or ntext[start].isascii()) else None


def _alnum_run_start(text: str, end: int) -> int:
    """Where the run of ASCII digits and letters ending at ``end`` starts (walked back, not a
    search of everything before it).

    >>> _alnum_run_start("党建1+3", 3)
    2
    """
    start = end
    while start > 0 and text[start - 1] in ALNUM_CHARS:
        start -= 1
    return start


def _cut_right(ntext: str, tokens: list[Token], start: int, limit: int, cfg: PlusFormula) -> int | None:
    """End of the last part, walking forward whole tokens from the last +."""
    end = start
    for t in [t for t in tokens if t.start >= start]:
        word = ntext[t.start:t.end]
        if t.start != end or word in cfg.right_stop_words or t.pos in cfg.stop_pos or t.end - start > limit:
            break
        end = t.end
    digits = ALNUM.match(ntext, start)  # at start, without copying the rest of the document
    if digits:
        end = max(end, digits.end())
    return end if end - start >= 2 or ntext[start:end].isascii() and end > start else None
