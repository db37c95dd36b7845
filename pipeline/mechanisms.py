"""Tagged → [Mechanism]: the named practices of a report (“四步法”, “1+3+N”, 兼职委员制).

Every rule reads the norm text (``norm_text``: each sentence's ``Sentence.norm``, punctuation
folded, same offsets), so ``"红色物业"``, ``「红色物业」`` and ``“红色物业”`` read alike; names,
definitions and parts are then cut from Document.text at the same offsets.

Candidates are quoted phrases (with a head the text attaches: “13335”工作法), unquoted
name shapes (…制度 after 建立; a specific modifier + a practice head: 红棉驿站, 银发志愿服务队,
老杨工作法; 码上办; formulas 1+3+N, 院落长+楼栋长+单元长). A quoted phrase is kept unless the
stoplist or a general cue marks it as a metaphor, stock phrase, slogan, quotation or problem:
``畅通基层治理的“神经末梢”`` (的“X” closing a clause), ``“共建、共治、共享”的社会治理格局``
(a slogan before 格局), ``“体检”`` (one everyday word), ``“党员站出来,大家就跟上来。”`` (a
sentence), ``“有事找不到人、有人管不了事”`` (a negated predicate). All lexicons, cues and
patterns are data (``data/mechanism_*.json|tsv``), each with the rule id that every record carries.
"""
from __future__ import annotations

import bisect
import functools
import json
import re
import unicodedata
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Mapping

from .records import Mechanism, Sentence, Token
from .settings import DATA_DIR, Settings
from .tables import read_table
from .tagging import Tagged, fold, jieba_word_tags

QUOTED = re.compile(r"[“「『]([^“”「」『』\n]{1,30})[”」』]")
CJK = r"\u4e00-\u9fff"
CJK_RUN = re.compile(rf"[{CJK}]*")
CLAUSE_BREAK = "，,；;。！!？?：:\n"
CLAUSE_END = "；;。！!？?\n"
VERB_TAGS = {"v", "vd", "vi", "vf", "vx", "vg", "p"}  # vn (工作, 管理) is a noun here
CN_DIGITS = {"一": 1, "二": 2, "两": 2, "双": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9, "十": 10}


# ---------------------------------------------------------------- data

@functools.lru_cache(maxsize=1)
def rules() -> dict:
    return json.loads((DATA_DIR / "mechanism_rules.json").read_text(encoding="utf-8"))


@functools.lru_cache(maxsize=1)
def stoplist() -> dict[str, str]:
    """phrase → rule id: 神经末梢 → MS-001."""
    return {row[1]: row[0] for row in read_table(DATA_DIR / "mechanism_stoplist.tsv")}


@functools.lru_cache(maxsize=1)
def category_table() -> list[tuple[str, str, str]]:
    return [(row[0], row[1], row[2]) for row in read_table(DATA_DIR / "mechanism_categories.tsv")]


@functools.lru_cache(maxsize=8)
def _user_words(dictionaries: tuple[Path, ...]) -> dict[str, str]:
    """Words of the domain dictionaries with their tag: 红色管家 → nz."""
    words: dict[str, str] = {}
    for path in dictionaries:
        if Path(path).exists():
            for line in Path(path).read_text(encoding="utf-8").splitlines():
                parts = line.split()
                if parts:
                    words[parts[0]] = parts[2] if len(parts) > 2 else ""
    return words


def _general_words() -> Mapping[str, str]:
    """jieba's general dictionary (word → part of speech), read from its file once per
    process (never from the global tokenizer); empty when jieba is missing or unreadable:
    the everyday-word cue then stays silent."""
    try:
        return jieba_word_tags()
    except Exception:  # pragma: no cover - jieba missing or unreadable
        return {}


# ---------------------------------------------------------------- norm text

QUOTE_CHARS = "“”\"「」『』"


def norm_text(tagged: Tagged) -> str:
    """Document.text with each body sentence replaced by its ``norm``: same length and offsets.

    Every rule matches on this string, so ``以"红帆领航"品牌，`` reads as ``以“红帆领航”品牌,``;
    names and definitions are then cut from Document.text at the same offsets.
    """
    if "norm_text" not in tagged.memo:
        text = tagged.document.text
        chars = list(text)
        for s in tagged.sentences:
            norm = s.norm if len(s.norm) == s.end - s.start else fold(text[s.start:s.end])
            chars[s.start:s.end] = norm
        tagged.memo["norm_text"] = "".join(chars)
    return tagged.memo["norm_text"]


def surface(text: str, start: int, end: int) -> str:
    """The name as the source writes it, quotes dropped: ``"红色物业"`` → 红色物业."""
    return re.sub(f"[{QUOTE_CHARS}]", "", text[start:end]).strip()


def _surface_parts(parts: tuple[str, ...], ntext: str, text: str, start: int) -> tuple[str, ...]:
    """Parts found in the norm text, cut from the source text at the same place, in order."""
    out, pos = [], start
    for part in parts:
        i = ntext.find(part, pos)
        if i < 0:
            out.append(part)
            continue
        out.append(text[i:i + len(part)])
        pos = i + len(part)
    return tuple(out)


# ---------------------------------------------------------------- names

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


@functools.lru_cache(maxsize=1)
def _suffix_heads() -> tuple[dict[str, tuple[tuple[str, int], ...]], int]:
    """{first character: ((head, the most characters allowed between quote and head), …)},
    longest head first, and the longest head's length."""
    cfg = rules()["name_suffixes"]
    heads = sorted(((h.split("|")[0], int(h.split("|")[1]) if "|" in h else cfg["max_gap"])
                    for h in cfg["heads"]), key=lambda hg: len(hg[0]), reverse=True)
    by_first: dict[str, list[tuple[str, int]]] = {}
    for head, max_gap in heads:
        by_first.setdefault(head[0], []).append((head, max_gap))
    return {c: tuple(hs) for c, hs in by_first.items()}, max(len(h) for h, _ in heads)


def _suffix_after(text: str, pos: int) -> str:
    """The head a text attaches after a closing quote: ``”工作法`` → 工作法, ``”社区共治委员会``."""
    cfg = rules()["name_suffixes"]
    heads, longest = _suffix_heads()
    m = CJK_RUN.match(text, pos, pos + cfg["max_gap"] + longest)
    run = m.group(0) if m else ""
    best = ""
    for gap in range(0, cfg["max_gap"] + 1):
        if gap >= len(run) or (gap and run[gap - 1] in cfg["gap_stop_chars"]):
            break
        for head, max_gap in heads.get(run[gap], ()):
            if gap <= max_gap and run.startswith(head, gap):
                best = run[:gap + len(head)]
                break
        if best:
            break
    return best


def quoted_candidates(text: str, start: int = 0, end: int | None = None) -> list[Candidate]:
    """Quoted phrases with any attached head.

    >>> [c.name for c in quoted_candidates("军门社区“13335”工作法被列入")]
    ['13335工作法']
    """
    out = []
    for m in QUOTED.finditer(text, start, len(text) if end is None else end):
        core = m.group(1).strip()
        if len(core) < 2:
            continue
        suffix = _suffix_after(text, m.end())
        out.append(Candidate(m.start(1), m.end() + len(suffix) if suffix else m.end(1), core + suffix,
                             m.start(1), m.end(1), True, suffix, "MQ-QUOTED" + ("+SUFFIX" if suffix else "")))
    return out


@functools.lru_cache(maxsize=1)
def _unquoted_patterns() -> list[tuple[dict, re.Pattern]]:
    return [(rule, re.compile(rule["regex"])) for rule in rules()["unquoted"]]


def unquoted_candidates(text: str, start: int, end: int) -> list[Candidate]:
    """Names without quotes: 建立社区工作准入制度 → 社区工作准入制度; 1+3+N; 四步法."""
    out = []
    for rule, pattern in _unquoted_patterns():
        for m in pattern.finditer(text[start:end]):
            name = m.group("name")
            s = start + m.start("name")
            if _inside_quote(text, s):
                continue
            if name in rule.get("generic", ()):
                continue
            prefix_generic = rule.get("generic_prefixes", ())
            if any(name.startswith(p) for p in prefix_generic):
                continue
            if rule["id"] == "MU-SYSTEM" and _generic_system(name, rule):
                continue
            out.append(Candidate(s, s + len(name), name, s, s + len(name), False, "", rule["id"]))
    return out


@functools.lru_cache(maxsize=1)
def _head_pattern() -> tuple[re.Pattern, dict[str, dict]]:
    """Every practice head noun, longest first, as one pattern; each head's rule by its text."""
    heads = sorted(rules()["headed"]["heads"], key=lambda h: len(h["head"]), reverse=True)
    return re.compile("|".join(re.escape(h["head"]) for h in heads)), {h["head"]: h for h in heads}


def headed_candidates(ntext: str, sent: Sentence) -> list[Candidate]:
    """Unquoted names made of a specific modifier and a practice head noun.

    ``在每个社区建设红棉驿站`` → 红棉驿站; ``组建银发志愿服务队`` → 银发志愿服务队;
    ``每个驿站`` and ``社区议事厅`` name nothing particular and give nothing.
    """
    cfg = rules()["headed"]
    pattern, by_head = _head_pattern()
    matches = list(pattern.finditer(ntext, sent.start, sent.end))
    if not matches:
        return []
    tokens = [t for t in sent.tokens if t.text.strip()]
    ends = {t.end for t in tokens}
    out = []
    for m in matches:
        hs, he = m.start(), m.end()
        head = by_head[m.group(0)]
        if he not in ends or _inside_quote(ntext, hs):
            continue
        if len(head["head"]) == 1 and not any(t.start == hs and t.end == he for t in tokens):
            continue  # 通 of 沟通, 云 of 白云: a one-character head must be a word of its own
        if head.get("right") and not re.match(head["right"], ntext[he:sent.end]):
            continue
        mods = _modifier(ntext, tokens, hs, cfg)
        if mods and head.get("no_verb_before") and mods[-1].pos.startswith("v"):
            continue
        if not mods or not _specific(mods, ntext, head.get("need", "specific"), cfg):
            continue
        s = mods[0].start
        out.append(Candidate(s, he, ntext[s:he], s, he, False, "", cfg["id"] + "-" + head["id"]))
    return out


def _modifier(ntext: str, tokens: list[Token], head_start: int, cfg: dict) -> list[Token]:
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
        if (word in cfg["stop_words"] or not any(t.pos.startswith(p) for p in cfg["modifier_pos"])
                or chars + len(word) > cfg["max_modifier_chars"]):
            break
        mods.insert(0, Token(t.start, t.end, word, t.pos))
        chars += len(word)
    while mods and (_admin_place(mods[0]) or mods[0].pos.startswith("v")):
        mods.pop(0)
    if mods and mods[0].text in cfg["scope_words"]:  # 全街道院落议事会 → 院落议事会
        mods.pop(0)
        if mods and mods[0].text in cfg["scope_levels"]:
            mods.pop(0)
    return mods


def _admin_place(t: Token) -> bool:
    """越秀区, 金牛区, 幸福街道: a place with an administrative suffix."""
    return t.pos == "ns" and t.text.endswith(tuple(rules()["headed"]["admin_suffixes"])) and len(t.text) > 2


def _specific(mods: list[Token], ntext: str, need: str, cfg: dict) -> bool:
    """Does the modifier single something out? 红棉 yes, 社区/居民/各类 no.

    ``need`` is ``any`` (the head is itself a brand: 社区e家), ``specific`` (one word that is
    not a generic facility word: 小哥驿站) or ``named`` (a proper or invented word, not in the
    general dictionary: 根脉 in 红色根脉工程, not 党员先锋行动).
    """
    if need == "any":
        return True
    words = [t.text for t in mods]
    if any(w in cfg["determiners"] for w in words):
        return False
    rest = [t for t in mods if t.text not in cfg["generic_modifiers"]]
    if not rest or sum(len(t.text) for t in mods) < 2:
        return False
    if need == "specific":
        return True
    general = _general_words()
    return any(t.pos in cfg["named_pos"] or (general and t.text not in general) for t in rest)


def plus_candidates(ntext: str, sent: Sentence) -> list[Candidate]:
    """Formulas of words joined by +, without quotes: ``建立院落长+楼栋长+单元长三级联动`` → 院落长+楼栋长+单元长.

    The first and last parts are cut at token boundaries, no longer than their neighbour
    part and a character, and never across a verb of building (建立, 形成).
    """
    cfg = rules()["plus_formula"]
    if "+" not in ntext[sent.start:sent.end]:
        return []
    tokens = [t for t in sent.tokens if t.text.strip()]
    out = []
    for m in re.finditer(r"[0-9A-Za-z\u4e00-\u9fff·]+(?:\+[0-9A-Za-z\u4e00-\u9fff·]+)+", ntext[sent.start:sent.end]):
        start, end = sent.start + m.start(), sent.start + m.end()
        parts = m.group(0).split("+")
        if all(re.fullmatch(r"[0-9A-Za-z]+", p) for p in parts) or _inside_quote(ntext, start):
            continue  # digits and letters alone: MU-FORMULA
        first_start = _cut_left(ntext, tokens, start + len(parts[0]), len(parts[1]) + 1, cfg)
        if first_start is None:
            continue
        # the last part is no longer than the one before it (once cut, when that is the first)
        before_last = len(parts[-2]) if len(parts) > 2 else start + len(parts[0]) - first_start
        last_end = _cut_right(ntext, tokens, end - len(parts[-1]), before_last + 1, cfg)
        if last_end is None:
            continue
        if re.fullmatch(r"[0-9A-Za-z+]+", ntext[first_start:last_end]):
            continue  # digits and letters once cut (走访3+5次): MU-FORMULA decides
        out.append(Candidate(first_start, last_end, ntext[first_start:last_end], first_start, last_end,
                             False, "", cfg["id"]))
    return out


def _cut_left(ntext: str, tokens: list[Token], end: int, limit: int, cfg: dict) -> int | None:
    """Start of the first part, walking back whole tokens from the first +."""
    start = end
    for t in reversed([t for t in tokens if t.end <= end]):
        word = ntext[t.start:t.end]
        if t.end != start or word in cfg["stop_words"] or t.pos in cfg["stop_pos"] or end - t.start > limit:
            break
        if t.pos.startswith("v") and t.end != end:
            break  # a verb ends a part (前台指挥+), but before the part it is the clause's: 采取前台指挥
        start = t.start
    if re.match(r"[0-9A-Za-z]", ntext[end - 1:end]):  # 1+党建: a digit part is whole
        start = min(start, end - len(re.search(r"[0-9A-Za-z]+$", ntext[:end]).group(0)))
    return start if end - start >= 1 and (end - start >= 2 or ntext[start].isascii()) else None


def _cut_right(ntext: str, tokens: list[Token], start: int, limit: int, cfg: dict) -> int | None:
    """End of the last part, walking forward whole tokens from the last +."""
    end = start
    for t in [t for t in tokens if t.start >= start]:
        word = ntext[t.start:t.end]
        if t.start != end or word in cfg["right_stop_words"] or t.pos in cfg["stop_pos"] or t.end - start > limit:
            break
        end = t.end
    if re.match(r"[0-9A-Za-z]", ntext[start:start + 1]):
        end = max(end, start + len(re.match(r"[0-9A-Za-z]+", ntext[start:]).group(0)))
    return end if end - start >= 2 or ntext[start:end].isascii() and end > start else None


def _generic_system(name: str, rule: dict) -> bool:
    """社区工作制度 names nothing particular: strip known generic tails and see what is left."""
    core = re.sub(r"(制度|制)$", "", name)
    return len(core) < 3 or any(name.endswith(g) and len(name) - len(g) < 3 for g in rule["generic"])


def _inside_quote(text: str, pos: int) -> bool:
    line_start = text.rfind("\n", 0, pos) + 1
    before = text[line_start:pos]
    return before.count("“") > before.count("”")


# ---------------------------------------------------------------- metaphor / slogan cues

def _tokens_in(tokens: list[Token], start: int, end: int) -> list[Token]:
    """Tokens wholly inside [start, end); ``tokens`` are in text order, so bisect (a
    document has thousands of tokens and each quoted phrase asks)."""
    first = bisect.bisect_left(tokens, start, key=lambda t: t.start)
    inside = []
    for i in range(first, len(tokens)):
        t = tokens[i]
        if t.start >= end:
            break
        if t.end <= end and t.text.strip():
            inside.append(t)
    return inside


def _chain_end(text: str, end: int) -> int:
    """End of a run of adjacent quotes: “明清建筑博物馆”“半部中国近代史”之誉 → before 之誉."""
    pos = end
    while True:
        m = re.match(r"[、]?[“「『][^“”\n]{1,30}[”」』]", text[pos:])
        if not m:
            return pos
        pos += m.end()


def reject_reason(c: Candidate, text: str, tokens: list[Token], settings: Settings) -> str:
    """The id of the cue that marks a quoted phrase as no practice, or ''.

    >>> # 畅通基层治理的“神经末梢” → 'MS-001' (stoplist)
    """
    core = text[c.core_start:c.core_end]
    stop = stoplist()
    if core in stop:
        return stop[core]
    if not c.quoted:
        return ""
    r = rules()
    for pair in r["quote_pairs"]:
        for m in re.finditer(pair["regex"], text[max(0, c.core_start - 25):c.core_end + 25]):
            base = max(0, c.core_start - 25)
            if base + m.start() <= c.core_start and c.core_end <= base + m.end():
                return pair["id"]
    if any(ch in core for ch in r["pronoun"]["chars"]):
        return r["pronoun"]["id"]
    why = _quotation(core, text, c, tokens)
    if why:
        return why
    long = r["long_quote"]
    if any(ch in core for ch in long["bad_chars"]) or (len(core) > long["max_chars"] and "、" not in core):
        return long["id"]
    if c.suffix:
        return ""  # a head noun makes the quoted part a name modifier: “盯得紧”督导考核队
    quote_close = c.core_end + 1
    right = text[_chain_end(text, quote_close):][:12]
    exempt = any(core.endswith(h) for h in r["right_cue_exempt_heads"]["heads"])
    near = re.split(r"[，,。；;、！!？?\n]", right.removeprefix("的"))[0][:r["right_cues"]["window"]]
    if not exempt and any(w in near or right.startswith(w) for w in r["right_cues"]["words"]):
        return r["right_cues"]["id"]
    clause_start = _clause_start(text, c.core_start - 1)
    left = text[clause_start:c.core_start - 1]
    left_window = left[-r["left_cues"]["window"]:]
    if any(w in left_window for w in r["left_cues"]["words"]) and not _has_head(core):
        return r["left_cues"]["id"]
    frame = r["metaphor_frame"]
    if (re.search(frame["regex"], left) and re.match(frame["followed_by"], right) and not _has_head(core)
            and "、" not in core and not any(v in left for v in frame["build_verbs"])):
        return frame["id"]
    inside = _tokens_in(tokens, c.core_start, c.core_end)
    if len(inside) == 1 and re.match(r["process_noun"]["regex"], core):
        return r["process_noun"]["id"]
    items = core.split("、")
    if len(items) >= 3 and all(len(i) <= 3 for i in items) and len({i[:1] for i in items}) == 1:
        return r["same_prefix_list"]["id"]
    if inside and not _has_head(core) and not _numbered(core):
        nominal = r["verbal_only"]["nominal_pos_prefixes"]
        if not any(any(t.pos.startswith(p) for p in nominal) for t in inside if t.pos != "x"):
            return r["verbal_only"]["id"]
        user = _user_words(tuple(settings.dictionaries))
        if (len(inside) == 1 and core not in user and core in _general_words()
                and inside[0].pos not in r["single_common_word"]["keep_pos"]):
            return r["single_common_word"]["id"]
        if inside[0].pos == "v" and re.match(r["verb_phrase"]["followed_by"], right):
            return r["verb_phrase"]["id"]
    if re.match(r"[,，。;；!！]", right) and left and not _has_head(core):
        ordinal = re.match(r"\s*(?:[一二三四五六七八九十]+是|[0-9]+[.．、])", left)
        subject_start = clause_start + (ordinal.end() if ordinal else 0)
        before = _tokens_in(tokens, subject_start, c.core_start - 1)
        # a verbal noun right before the quote acts as its verb: 全要素建设“红色网格”
        if before and not any(t.pos in VERB_TAGS for t in before) and not (
                before[-1].pos == "vn" and (len(before) < 2 or before[-2].text != "的")):
            return r["subjectless_predicate"]["id"]
    return ""


def _quotation(core: str, text: str, c: Candidate, tokens: list[Token]) -> str:
    """The id of the cue that marks a quote as a quotation, a problem or a title, or ''.

    ``“党员站出来,大家就跟上来。”`` (a sentence), ``“有事找不到人、有人管不了事”`` (a problem),
    ``《践行“新时代的群众路线”》`` (inside a title).
    """
    r = rules()
    sq = r["sentence_quote"]
    if any(ch in core for ch in sq["end_chars"]):
        return sq["id"]
    inside = _tokens_in(tokens, c.core_start, c.core_end)
    if re.search("[,，]", core) and len(core) >= sq["min_chars"] and any(t.text in sq["spoken"] for t in inside):
        return sq["id"]
    ps = r["problem_statement"]
    if not _numbered(core) and not _has_head(core) and any(_negated(item, ps) for item in _items(inside)):
        return ps["id"]
    line_start = text.rfind("\n", 0, c.core_start) + 1
    before = text[line_start:c.core_start]
    if before.count("《") > before.count("》") and "的" in core:
        return r["title"]["id"]
    return ""


def _items(tokens: list[Token]) -> list[list[Token]]:
    """Tokens split at 、 and commas: 有事找不到人、有人管不了事 → two items."""
    items: list[list[Token]] = [[]]
    for t in tokens:
        if t.text in ("、", ",", "，"):
            items.append([])
        else:
            items[-1].append(t)
    return [i for i in items if i]


def _negated(item: list[Token], ps: dict) -> bool:
    """A negation whose scope runs to the end of the item: 难奏效, 找不到人, 管不了事, 办事不便.

    不见面审批 (a head noun after the negated verb) and 未来社区 (未来 is a noun) are names.
    """
    last = len(item) - 1
    for i, t in enumerate(item):
        nominal = t.pos.startswith(("n", "t", "vn", "j", "m"))
        if not nominal and t.text.startswith(tuple(ps["negators"])) and len(t.text) <= 3 and i >= last - 1:
            return True
        if t.pos.startswith(("v", "l")) and len(t.text) >= 3 and any(n in t.text[1:-1] for n in ps["inner"]):
            if i == last or (i == last - 1 and len(item[last].text) == 1):
                return True
    return False


def _clause_start(text: str, pos: int) -> int:
    i = pos
    while i > 0 and text[i - 1] not in CLAUSE_BREAK:
        i -= 1
    return i


def _clause_end(text: str, pos: int, breaks: str = CLAUSE_BREAK) -> int:
    """End of the clause from pos, not counting breaks inside quotes or brackets."""
    depth = 0
    i = pos
    while i < len(text):
        ch = text[i]
        if ch in "“(（「":
            depth += 1
        elif ch in "”)）」":
            depth = max(0, depth - 1)
        elif ch in breaks and depth == 0:
            return i
        i += 1
    return i


def _has_head(name: str) -> bool:
    return any(re.search(k["regex"], name) for k in rules()["kinds"]
               if k["id"] in ("MK-PLATFORM-HEAD", "MK-INSTITUTION-HEAD") and k["regex"])


def _numbered(name: str) -> bool:
    return any(re.search(k["regex"], name) for k in rules()["kinds"] if k["id"] == "MK-NUMBERED")


# ---------------------------------------------------------------- kind, definition, components

def kind_of(name: str, right: str = "") -> tuple[str, str]:
    """(kind, rule id): 1+3+N → formula; 四步法 → numbered; 兼职委员制 → institution."""
    for k in rules()["kinds"]:
        if "right" in k:
            if right and re.match(k["right"], right):
                return k["kind"], k["id"]
            continue
        if k.get("unless") and re.search(k["unless"], name):
            continue
        if re.search(k["regex"], name):
            return k["kind"], k["id"]
    return "brand", "MK-DEFAULT"


def _strip_lead(text: str, verbs: list[str], keep: int = 3) -> str:
    """Drop a leading verb, when at least ``keep`` characters remain: 构建责任机制 → 责任机制."""
    for v in sorted(verbs, key=len, reverse=True):
        if text.startswith(v) and len(text) >= len(v) + keep:
            return text[len(v):]
    return text


def find_definition(text: str, c: Candidate, sent: Sentence) -> tuple[str, int | None, str]:
    """(definition, start, rule id): the span that says what the name stands for."""
    cfg = rules()["definition"]
    close = c.end + (1 if not c.suffix and c.quoted else 0)
    limit = sent.end
    # 1. an explicit cue shortly after the name: …工作机制,即…; “四项机制”就是…
    tail = text[close:limit]
    for m in re.finditer("|".join(map(re.escape, cfg["explicit"]["cues"])), tail[:cfg["explicit"]["max_gap"] + 4]):
        gap = tail[:m.start()]
        if m.start() > cfg["explicit"]["max_gap"] or re.search(r"[。；;“]", gap):
            break
        if m.group(0) == "即" and gap.endswith(("立", "随")):
            continue
        s = close + m.end()
        e = _clause_end(text, s, CLAUSE_END)
        if e - s >= 2:
            return text[s:e], s, cfg["explicit"]["id"]
    # 2. a bracket right after the name: “三个如何”(如何让…)
    if tail[:1] and tail[:1] in "(（":
        e = _clause_end(text, close + 1, ")）")
        if e - close > 4:
            return text[close + 1:e], close + 1, cfg["paren"]["id"]
    # 3. an enumeration or a long 的-modifier right before the name
    qs = c.start - (1 if c.quoted else 0)
    cs = _clause_start(text, qs)
    before = text[cs:qs]
    bare = re.sub(r"“[^”]*”", "", before)  # a list inside another quote is that name's
    items = re.split("[、—]", re.split(r"[的为]", bare)[-1]) if re.search("[、—]", bare) else []
    want = _count_in(c.name)
    # only a counted name is spelled out by the list before it, and the count must agree
    listed = (len(items) >= 2 and sum(map(len, items)) / len(items) >= cfg["before"]["min_item_chars"]
              and "“" not in before and _numbered(c.name) and (not want or want == len(items)))
    # 推广老杨工作法和“五步议事法”: a name list ending in 和 explains nothing
    if (len(before) >= cfg["before"]["min_chars"] and not before.endswith(("、", "”", "和", "及", "与"))
            and (listed or (before.endswith("的") and len(before) >= 8)
                 or (_numbered(c.name) and re.search("[和及与]", before)))):
        body = before[:-1] if before.endswith("的") else before
        stripped = _strip_lead(body, cfg["lead_verbs"])
        s = qs - len(before) + (len(body) - len(stripped))
        return stripped, s, cfg["before"]["id"]
    # 4. the clause after the name's clause, when it starts like an explanation
    e = _clause_end(text, close)
    if e < limit and text[e] in "，,":
        nxt = e + 1
        gap = text[close:e]
        if len(gap) <= cfg["after"]["max_gap"] and "“" not in gap:
            if any(text.startswith(w, nxt) for w in cfg["after"]["starters"]):
                end = _clause_end(text, nxt, CLAUSE_END)
                if end - nxt >= 4:
                    return text[nxt:end], nxt, cfg["after"]["id"]
    # 5. the next sentence, when the name's sentence ends right after it: “四步法”化解矛盾。第一步是…
    nxt = cfg["next_sentence"]
    if sent.end - close <= nxt["max_gap"]:
        s = sent.end
        while s < len(text) and text[s] in " \u3000":
            s += 1
        if any(text.startswith(w, s) for w in nxt["starters"]):
            e = _clause_end(text, s, "。\n")
            return text[s:e], s, nxt["id"]
    return "", None, ""


def _count_in(name: str) -> int:
    """三张清单 → 3, 六化融合 → 6, 实干为民七个一 → 7, 双报到 → 2; 0 when the name counts nothing."""
    m = re.search(r"([一二两三四五六七八九十双])(?:个|项|张|份|类|级|步|大|化|社|治|联|条|清单)", name)
    if m:
        return CN_DIGITS.get(m.group(1), 0)
    # a name that opens with a count counts its parts: 双报到 → 2, 三单制 → 3, 三事分流 → 3
    m = re.match(r"([两双三四五六七八九])[\u4e00-\u9fff]", name)
    return CN_DIGITS[m.group(1)] if m else 0


def _counts(name: str) -> list[int]:
    """Every count a name makes: 三联三亮三服务 → [3, 3, 3], 两访三送 → [2, 3]."""
    return [CN_DIGITS[d] for d in re.findall(r"([两双三四五六七八九十])(?=[\u4e00-\u9fff])", name)]


def components_of(name: str, definition: str, after: str = "", core: str = "") -> tuple[tuple[str, ...], str]:
    """Enumerated parts, in order, and the rule id.

    >>> components_of("四项机制", "构建责任机制、统筹机制、服务机制、保障机制")[0]
    ('责任机制', '统筹机制', '服务机制', '保障机制')
    """
    cfg = rules()["components"]
    name = core or name  # “周督导、月通报”制度: the parts are in the quoted part
    if "、" in name and "—" not in name:
        return tuple(p for p in name.split("、") if p), cfg["name_list"]["id"]
    if name.count("—") >= 2:
        return tuple(name.split("—")), cfg["chain"]["id"]
    if "+" in name and all(re.fullmatch(r"[\u4e00-\u9fff]{2,}", p) for p in name.split("+")):
        return tuple(name.split("+")), cfg["plus_words"]["id"]
    counted = _formula_parts(name, definition, cfg)
    if counted:
        return counted, cfg["formula_counts"]["id"]
    counts = _counts(name)
    # 两访三送 lists 2 + 3 parts: a list of two is not all of them
    want = (sum(counts) if len(counts) >= 2 else _count_in(name)) or (
        len(name.split("+")) if re.fullmatch(FORMULA, name) else 0)
    for source in (definition, after):
        if not source:
            continue
        steps = [p.strip("，,；;。 ") for p in re.split(cfg["steps"]["regex"], source)]
        if len(re.findall(cfg["steps"]["regex"], source)) >= 2:
            parts = [p for p in steps[1:] if p]
            if len(parts) >= 2:
                return tuple(parts), cfg["steps"]["id"]
        if source.count("—") >= 2 and "、" not in source:
            return tuple(p.strip() for p in source.split("—")), cfg["chain"]["id"]
        runs = _runs(source, cfg)
        if runs:
            pick = next((r for r in runs if want and len(r) == want), None)
            if pick is None and not want:
                pick = max(runs, key=len)
                pick = pick if len(pick) >= 3 else None  # a pair after a name is rarely its parts
            if pick:
                return _roles(tuple(pick), cfg)
        whole = _counted_list(source, want, cfg)
        if whole:
            return _roles(whole, cfg, cfg["counted_list"]["id"])
    return (), ""


def _sentence_parts(name: str, rest: str) -> tuple[tuple[str, ...], str]:
    """A counted name's parts listed later in its own sentence, the count met (MC-SENTENCE):
    推行“三事分流”工作法,将居民诉求分为大事、小事、私事 → 大事, 小事, 私事; a name of
    several counts (三联三亮三服务) takes a list for each, in order, or nothing."""
    cfg = rules()["components"]
    if not rest:
        return (), ""
    cues = tuple(cfg["same_sentence"]["cues"])
    runs = []
    for run in _runs(rest, cfg):
        head = next((c for c in cues if run[0].startswith(c) and len(run[0]) > len(c)), "")
        if head:  # 即走访农户、走访企业: the cue stayed in the first item
            run = [run[0][len(head):]] + run[1:]
        if runs or head or rest[:max(0, rest.find(run[0]))].endswith(cues):
            runs.append(run)
    if not runs:
        return (), ""  # 使社区干部用权更规范、…: a list no cue introduces may be anything
    # 三联三亮三服务 counts three lists of three: each met in turn, in order
    counts = _counts(name)
    if len(counts) >= 2:
        parts: list[str] = []
        i = 0
        for want in counts:
            while i < len(runs) and len(runs[i]) != want:
                i += 1
            if i == len(runs):
                return (), ""
            parts += runs[i]
            i += 1
        return tuple(parts), cfg["same_sentence"]["id"]
    want = _count_in(name)
    pick = next((r for r in runs if len(r) == want), None) if want >= 2 else None
    return (tuple(pick), cfg["same_sentence"]["id"]) if pick else ((), "")


FORMULA = r"[0-9]{1,2}(?:\+(?:[0-9]{1,2}|[A-Za-z]))+"


def _counted_list(source: str, want: int, cfg: dict) -> tuple[str, ...]:
    """A clause's whole 、-list, when it has exactly ``want`` items (see MC-COUNTED)."""
    if want < 2:
        return ()
    for clause in re.split(r"[，,；;。]", source):
        items = [i.strip("“”\"") for i in clause.split("、")]
        if len(items) == want and all(2 <= len(i) <= 40 for i in items):
            return tuple(items)
    return ()


def _roles(parts: tuple[str, ...], cfg: dict, rule: str = "") -> tuple[tuple[str, ...], str]:
    """以A为龙头、B为支撑、C为节点 → (A, B, C), counts and quotes dropped (see MC-ROLES)."""
    roles = cfg["roles"]
    plain = [p.replace("“", "").replace("”", "").replace('"', "") for p in parts]
    found = [re.match(roles["regex"], p) for p in plain]
    if len(parts) >= 2 and all(found):
        cleaned = tuple(re.sub(roles["count_prefix"], "", m.group(1)) for m in found)
        if all(len(c) >= 2 for c in cleaned):
            return cleaned, roles["id"]
    return parts, rule or cfg["id"]


def _abbreviation_parts(name: str, ntext: str, near: int) -> tuple[tuple[str, ...], str, tuple[int, int]]:
    """The items a counted abbreviation stands for, from anywhere in the document, nearest first.

    >>> _abbreviation_parts("三化", "以基层党建标准化、规范化、信息化建设为抓手", 0)[0]
    ('标准化', '规范化', '信息化')
    """
    m = re.match(r"^([一二两三四五六七八九十])([\u4e00-\u9fff])$", name)
    if not m or m.group(1) not in CN_DIGITS:
        return (), "", (0, 0)
    n, ch = CN_DIGITS[m.group(1)], m.group(2)
    cfg = rules()["components"]["abbreviation"]
    k = cfg["max_item_chars"]
    item = rf"[\u4e00-\u9fff]{{0,{k - 1}}}"
    ends = rf"(?:{item}{ch}、){{{n - 1}}}{item}{ch}(?![\u4e00-\u9fff]{{0,1}}、)"
    starts = rf"(?<![\u4e00-\u9fff、]){ch}{item}(?:、{ch}{item}){{{n - 1}}}(?![、\u4e00-\u9fff]*、)"
    best = None
    for pattern in (ends, starts):
        for found in re.finditer(pattern, ntext):
            parts = found.group(0).split("、")
            if len(parts) != n:
                continue
            if pattern is ends and len(parts[0]) > len(parts[1]):
                # the first item swallowed words before the list: 基层党建标准化 → 标准化
                cut = len(parts[0]) - len(parts[1])
                parts[0] = parts[0][cut:]
                span = (found.start() + cut, found.end())
            else:
                span = (found.start(), found.end())
            if any(len(p) < 2 for p in parts):
                continue
            if best is None or abs(span[0] - near) < abs(best[1][0] - near):
                best = (tuple(parts), span)
    if best is None:
        return (), "", (0, 0)
    return best[0], cfg["id"], best[1]


def _formula_parts(name: str, definition: str, cfg: dict) -> tuple[str, ...]:
    """Parts of a digit formula, one count at a time, or () when any count is not met.

    >>> _formula_parts("1+3+N", "在一级网格设立党委,下辖甲支部、乙支部、丙支部,设立若干个党小组", rules()["components"])
    ('党委', '甲支部', '乙支部', '丙支部', '党小组')
    """
    if not re.fullmatch(FORMULA, name) or not definition:
        return ()
    fc = cfg["formula_counts"]
    verbs = "|".join(map(re.escape, sorted(fc["object_verbs"], key=len, reverse=True)))
    markers = "|".join(map(re.escape, fc["open_markers"]))
    weak = "|".join(map(re.escape, fc["weak_markers"]))
    clauses = [c for c in re.split(r"[,，;；。]", definition) if c]
    parts: list[str] = []
    i = 0
    for count in name.split("+"):
        found = None
        while i < len(clauses) and found is None:
            clause = clauses[i]
            if count.isdigit() and int(count) == 1 and "、" not in clause:
                m = re.search(rf"(?:{verbs})([^、]{{2,16}})$", clause)
                found = [m.group(1)] if m else None
            elif count.isdigit():
                found = next((r for r in _runs(clause, cfg) if len(r) == int(count)), None)
                if found:
                    # what the clause says after the list may hold the next, open count: …等自选特色功能室
                    rest = clause[clause.find(found[-1]) + len(found[-1]):]
                    if rest and not rest.startswith("等" + count) and "、" not in rest:
                        rest = ""
                    clauses[i] = rest.split("、")[-1] if rest else ""
                    parts += found
                    break
            else:
                found = _open_part(clauses[i:], markers) or _open_part(clauses[i:], weak)
                break
            i += 1
        if found is None:
            return ()
        if count.isdigit() and int(count) > 1:
            continue
        parts += found
    return tuple(parts)


def _open_part(clauses: list[str], markers: str) -> list[str] | None:
    """The open count of a formula (N, X): what a clause ends with after 若干/多个: 设立若干个党小组 → 党小组."""
    for clause in clauses:
        m = re.search(rf"(?:{markers})([^、等]{{2,16}})$", clause)
        if m:
            return [m.group(1)]
    return None


def _runs(text: str, cfg: dict) -> list[list[str]]:
    """Lists of 、-separated items: 组织市、县区、街镇三级领导干部开展定点接访、重点约访 → two runs."""
    breakers = sorted(cfg["run_breakers"], key=len, reverse=True)
    runs = []
    for clause in re.split(r"[，,；;。]", text):
        if "、" in clause:
            pieces = clause.split("、")
        elif len(clause) <= 30 and re.search(r"[^、]{4,}和[^、]{4,}", clause):
            pieces = re.split("和", clause, maxsplit=1)
        else:
            continue
        # a verb inside an item ends one list and starts the next: …领导干部开展定点接访、重点约访
        segs: list[list[str]] = [[]]
        for piece in pieces:
            cut = min((piece.find(b) for b in breakers if piece.find(b) > 0), default=-1)
            if cut > 0:
                segs[-1].append(piece[:cut])
                segs.append([piece[cut:]])
            else:
                segs[-1].append(piece)
        for items in segs:
            for i, item in enumerate(items[:-1]):
                if item.find("等") >= 2:  # 警务室等8个必设功能室: the list ends at 等
                    items[:] = items[:i] + [item[:item.find("等")]]
                    break
            if len(items) < 2:
                continue
            head = items[0]
            # the list opens inside a quote (构建“红色物业、…) or with a quoted item (推行“红色物业”、…);
            # a quote inside the item stays (以街道“大工委”为龙头)
            if head.rfind("“") > head.rfind("”") or head.endswith("”"):
                head = head.split("“")[-1]
            first = _strip_lead(head, breakers, keep=2)  # 分为大事、小事 → 大事
            items[0] = first.split("的")[-1] if len(first.split("的")[-1]) >= 2 else first
            last = items[-1]
            for cut in cfg["item_cut"]:
                i = last.find(cut)
                if i >= 2:
                    last = last[:i]
            items[-1] = last
            items = [i.strip("“”") for i in items if i.strip("“”")]
            if len(items) >= 2 and all(2 <= len(i) <= 40 for i in items):
                runs.append(items)
    return runs


# ---------------------------------------------------------------- public API

def _sentence_at(sentences: list[Sentence], pos: int) -> Sentence | None:
    for s in sentences:
        if s.start <= pos < s.end:
            return s
    return None


def _candidates(tagged: Tagged, ntext: str) -> list[tuple[Candidate, Sentence]]:
    if "mechanism_candidates" in tagged.memo:
        return tagged.memo["mechanism_candidates"]
    out = []
    for sent in tagged.sentences:
        cands = quoted_candidates(ntext, sent.start, sent.end) + unquoted_candidates(ntext, sent.start, sent.end)
        cands += headed_candidates(ntext, sent) + plus_candidates(ntext, sent)
        out += [(c, sent) for c in cands]
    tagged.memo["mechanism_candidates"] = sorted(out, key=lambda cs: cs[0].start)
    return tagged.memo["mechanism_candidates"]


def extract_mechanisms(tagged: Tagged, settings: Settings) -> list[Mechanism]:
    """One Mechanism per named practice, at its first mention.

    ``深化“兼职委员”制度,将辖区内…`` → name 兼职委员制度, kind institution, definition 将辖区内….
    Rules read the norm text (``深化"兼职委员"制度，将…`` reads the same); the strings come
    from Document.text.
    """
    text = tagged.document.text
    ntext = norm_text(tagged)
    tokens = [t for s in tagged.sentences for t in s.tokens]
    groups: dict[str, list[tuple[Candidate, Sentence]]] = {}
    for c, sent in _candidates(tagged, ntext):
        groups.setdefault(practice_key(c.name), []).append((c, sent))
    # a quoted name and its suffixed form are one practice: “四治” and “四治”融合
    keys = sorted(groups, key=lambda k: groups[k][0][0].start)
    out = []
    for key in keys:
        mentions = groups[key]
        verdicts = [reject_reason(c, ntext, tokens, settings) for c, _ in mentions]
        if any(v.startswith("MS-") for v in verdicts) or all(verdicts):
            continue
        first, sent = mentions[0]
        accepted = next(c for (c, _), v in zip(mentions, verdicts) if not v)
        right = ntext[first.core_end + 1:first.core_end + 12] if first.quoted and not first.suffix else ""
        kind, _ = kind_of(first.name, right)
        definition, dstart, drule = "", None, ""
        for c, s in mentions:
            definition, dstart, drule = find_definition(ntext, c, s)
            if definition:
                break
        after = _list_after(ntext, first) or _steps_after(ntext, definition, dstart)
        core = ntext[first.core_start:first.core_end] if first.quoted else ""
        comps, crule = components_of(first.name, definition, after, core)
        if not comps:
            comps, crule, span = _abbreviation_parts(core or first.name, ntext, first.start)
            if comps and not definition:
                definition, dstart, drule = ntext[span[0]:span[1]], span[0], crule
        if not comps:
            # to the end of the name's sentence, but not past a semicolon: what follows one is
            # the next thing the article lists (…“两计划两行动”…;…搭建交流经验、碰撞思想的平台)
            rest = re.split(r"[;；]", ntext[first.end:sent.end], maxsplit=1)[0]
            comps, crule = _sentence_parts(core or first.name, rest)
        if comps:
            source_start = min(x for x in (dstart, first.core_start, first.end) if x is not None)
            comps = _surface_parts(comps, ntext, text, source_start)
        if dstart is not None:
            definition = text[dstart:dstart + len(definition)]
        rule = "+".join(x for x in (accepted.rule, drule, crule) if x)
        out.append(Mechanism(start=first.start, end=first.end, name=surface(text, first.start, first.end), kind=kind,
                             definition=definition, definition_start=dstart, components=comps,
                             sentence_start=sent.start, sentence_end=sent.end, rule=rule))
    return _digit_components(_drop_nested(out))


def _digit_components(mechs: list[Mechanism]) -> list[Mechanism]:
    """“134” followed later by “一条主线” “三个目标” “四项机制”: those are its parts.

    Only for a formula of bare digits without parts yet, and only when every digit is
    matched, in order, by a later counted name.
    """
    rule = rules()["components"]["digit_formula"]["id"]
    out = []
    for m in mechs:
        digits = re.match(r"^([1-9]{2,5})", unicodedata.normalize("NFKC", m.name))
        if m.kind == "formula" and digits and "+" not in m.name:
            want = [int(d) for d in digits.group(1)]
            parts: list[str] = []
            # look only up to the next formula: its parts are its own
            stop = min((o.start for o in mechs if o.start > m.start and o.kind == "formula"), default=len(mechs) and 10**9)
            for later in mechs:
                if (m.start < later.start < stop and len(parts) < len(want)
                        and _count_in(later.name) == want[len(parts)]):
                    parts.append(later.name)
            if len(parts) == len(want):
                m = replace(m, components=tuple(parts), rule=m.rule + "+" + rule)
        out.append(m)
    return out


def _list_after(text: str, c: Candidate) -> str:
    """An enumeration that directly follows the name: “红色物业”联合处理、议事协调…等机制."""
    close = c.end + (1 if c.quoted and not c.suffix else 0)
    e = _clause_end(text, close)
    clause = text[close:e]
    starts_list = bool(re.match(rf"[{CJK}]", clause)) and "“" not in clause
    return clause if starts_list and "、" in clause and "等" in clause else ""


def _steps_after(text: str, definition: str, start: int | None) -> str:
    """A definition that opens a numbered run (第一步，…；第二步，…) goes on to its sentence's end."""
    if start is None or not re.match(rules()["components"]["steps"]["regex"], definition):
        return ""
    return text[start:_clause_end(text, start, "。\n")]


def _drop_nested(mechs: list[Mechanism]) -> list[Mechanism]:
    """A name whose span lies inside another kept name's span is part of it: 红色管家 in 红色管家社区共治委员会."""
    spans = [(m.start, m.end) for m in mechs]
    return [m for m in mechs
            if not any(s <= m.start and m.end <= e and (s, e) != (m.start, m.end) for s, e in spans)]


def name_spans(tagged: Tagged, settings: Settings) -> list[tuple[int, int]]:
    """Spans of names whose digits are not figures (15分钟党群服务圈, 阳光8号), found or not."""
    spans = []
    for c, _ in _candidates(tagged, norm_text(tagged)):
        if re.search(r"[0-9]", c.name):
            spans.append((c.start, c.end))
    return spans


def practice_key(name: str) -> str:
    """One key for one practice across documents.

    >>> practice_key("“兼职委员”制度") == practice_key("兼职委员制")
    True
    """
    key = unicodedata.normalize("NFKC", name or "")
    key = re.sub(r"[\s“”‘’\"'「」『』《》·•・]", "", key).lower()
    for tail in ("工作法", "工作机制", "机制", "制度", "制"):
        if key.endswith(tail) and len(key) - len(tail) >= 2:
            key = key[: -len(tail)]
            break
    return key


@functools.lru_cache(maxsize=1)
def category_ids() -> tuple[str, ...]:
    """Every id ``categorize`` can return: property_management, …, other."""
    return tuple(sorted({category for _, category, _ in category_table()} | {"other"}))


def categorize(name: str, definition: str = "") -> str:
    """Category id from the keyword table: 红色物业 → property_management."""
    table = category_table()
    for source in (name, definition):
        for _, category, keyword in table:
            if keyword and keyword in source:
                return category
    return "other"
