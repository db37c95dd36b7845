"""Tagged → [Mechanism]: the named practices of a report (“四步法”, “1+3+N”, 兼职委员制).

Candidates are quoted phrases (with a head the text attaches: “13335”工作法) and a few
unquoted name shapes (…制度 after 建立, …驿站 after 建设, 1+3+N). A quoted phrase is kept
unless the stoplist or a general cue marks it as a metaphor, stock phrase or slogan:
``畅通基层治理的“神经末梢”`` (的“X” closing a clause), ``“共建、共治、共享”的社会治理格局``
(a slogan before 格局), ``“体检”`` (one everyday word). All lexicons, cues and patterns are
data (``data/mechanism_*.json|tsv``), each with the rule id that every record carries.
"""
from __future__ import annotations

import functools
import json
import re
import unicodedata
from dataclasses import dataclass, replace
from pathlib import Path

from .records import Mechanism, Sentence, Token
from .settings import DATA_DIR, Settings
from .tagging import Tagged

QUOTED = re.compile(r"[“「『]([^“”「」『』\n]{1,30})[”」』]")
CJK = r"\u4e00-\u9fff"
CLAUSE_BREAK = "，,；;。！!？?：:\n"
CLAUSE_END = "；;。！!？?\n"
VERB_TAGS = {"v", "vd", "vi", "vf", "vx", "vg", "p"}  # vn (工作, 管理) is a noun here
CN_DIGITS = {"一": 1, "二": 2, "两": 2, "双": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9, "十": 10}


# ---------------------------------------------------------------- data

@functools.lru_cache(maxsize=1)
def rules() -> dict:
    return json.loads((DATA_DIR / "mechanism_rules.json").read_text(encoding="utf-8"))


def _tsv(name: str) -> list[list[str]]:
    rows = []
    for line in (DATA_DIR / name).read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            rows.append(line.split("\t"))
    return rows


@functools.lru_cache(maxsize=1)
def stoplist() -> dict[str, str]:
    """phrase → rule id: 神经末梢 → MS-001."""
    return {row[1]: row[0] for row in _tsv("mechanism_stoplist.tsv")}


@functools.lru_cache(maxsize=1)
def category_table() -> list[tuple[str, str, str]]:
    return [(row[0], row[1], row[2]) for row in _tsv("mechanism_categories.tsv")]


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


@functools.lru_cache(maxsize=1)
def _general_words() -> frozenset[str]:
    """jieba's general dictionary, read from its file (not the global tokenizer).

    Empty when jieba is not installed: the everyday-word cue then stays silent.
    """
    try:
        import jieba

        path = jieba.Tokenizer().get_dict_file()
        with path as fh:
            return frozenset(line.split(b" ", 1)[0].decode("utf-8") for line in fh)
    except Exception:  # pragma: no cover - jieba missing or unreadable
        return frozenset()


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


def _suffix_after(text: str, pos: int) -> str:
    """The head a text attaches after a closing quote: ``”工作法`` → 工作法, ``”社区共治委员会``."""
    cfg = rules()["name_suffixes"]
    heads = sorted(((h.split("|")[0], int(h.split("|")[1]) if "|" in h else cfg["max_gap"])
                    for h in cfg["heads"]), key=lambda hg: len(hg[0]), reverse=True)
    window = text[pos:pos + cfg["max_gap"] + max(len(h) for h, _ in heads)]
    m = re.match(rf"[{CJK}]*", window)
    run = m.group(0) if m else ""
    best = ""
    for gap in range(0, cfg["max_gap"] + 1):
        if gap > len(run) or (gap and run[gap - 1] in cfg["gap_stop_chars"]):
            break
        for head, max_gap in heads:
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


def unquoted_candidates(text: str, start: int, end: int) -> list[Candidate]:
    """Names without quotes: 建立社区工作准入制度 → 社区工作准入制度; 1+3+N; 四步法."""
    out = []
    for rule in rules()["unquoted"]:
        for m in re.finditer(rule["regex"], text[start:end]):
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
    return [t for t in tokens if start <= t.start and t.end <= end and t.text.strip()]


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


def _strip_lead(text: str, verbs: list[str]) -> str:
    for v in sorted(verbs, key=len, reverse=True):
        if text.startswith(v) and len(text) > len(v) + 2:
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
    if (len(before) >= cfg["before"]["min_chars"] and not before.endswith(("、", "”"))
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
    """三张清单 → 3, 六化融合 → 6, 实干为民七个一 → 7; 0 when the name counts nothing."""
    m = re.search(r"([一二两三四五六七八九十双])(?:个|项|张|份|类|级|步|大|化|社|治|联|条|清单)", name)
    return CN_DIGITS.get(m.group(1), 0) if m else 0


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
            want = _count_in(name)
            pick = next((r for r in runs if want and len(r) == want), None)
            if pick is None and not want:
                pick = max(runs, key=len)
                pick = pick if len(pick) >= 3 else None  # a pair after a name is rarely its parts
            if pick:
                return tuple(pick), cfg["id"]
    return (), ""


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
            first = _strip_lead(items[0].split("“")[-1], breakers)
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


def _candidates(tagged: Tagged) -> list[tuple[Candidate, Sentence]]:
    text = tagged.document.text
    out = []
    for sent in tagged.sentences:
        cands = quoted_candidates(text, sent.start, sent.end) + unquoted_candidates(text, sent.start, sent.end)
        out += [(c, sent) for c in cands]
    return sorted(out, key=lambda cs: cs[0].start)


def extract_mechanisms(tagged: Tagged, settings: Settings) -> list[Mechanism]:
    """One Mechanism per named practice, at its first mention.

    ``深化“兼职委员”制度,将辖区内…`` → name 兼职委员制度, kind institution, definition 将辖区内….
    """
    text = tagged.document.text
    tokens = [t for s in tagged.sentences for t in s.tokens]
    groups: dict[str, list[tuple[Candidate, Sentence]]] = {}
    for c, sent in _candidates(tagged):
        groups.setdefault(practice_key(c.name), []).append((c, sent))
    # a quoted name and its suffixed form are one practice: “四治” and “四治”融合
    keys = sorted(groups, key=lambda k: groups[k][0][0].start)
    out = []
    for key in keys:
        mentions = groups[key]
        verdicts = [reject_reason(c, text, tokens, settings) for c, _ in mentions]
        if any(v.startswith("MS-") for v in verdicts) or all(verdicts):
            continue
        first, sent = mentions[0]
        accepted = next(c for (c, _), v in zip(mentions, verdicts) if not v)
        right = text[first.core_end + 1:first.core_end + 12] if first.quoted and not first.suffix else ""
        kind, _ = kind_of(first.name, right)
        definition, dstart, drule = "", None, ""
        comps: tuple[str, ...] = ()
        crule = ""
        for c, s in mentions:
            definition, dstart, drule = find_definition(text, c, s)
            if definition:
                break
        after = _list_after(text, first)
        core = text[first.core_start:first.core_end] if first.quoted else ""
        comps, crule = components_of(first.name, definition, after, core)
        rule = "+".join(x for x in (accepted.rule, drule, crule) if x)
        out.append(Mechanism(start=first.start, end=first.end, name=first.name, kind=kind,
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
        digits = re.match(r"^([1-9]{2,5})", m.name)
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


def _drop_nested(mechs: list[Mechanism]) -> list[Mechanism]:
    """A name whose span lies inside another kept name's span is part of it: 红色管家 in 红色管家社区共治委员会."""
    spans = [(m.start, m.end) for m in mechs]
    return [m for m in mechs
            if not any(s <= m.start and m.end <= e and (s, e) != (m.start, m.end) for s, e in spans)]


def name_spans(tagged: Tagged, settings: Settings) -> list[tuple[int, int]]:
    """Spans of names whose digits are not figures (15分钟党群服务圈, 阳光8号), found or not."""
    text = tagged.document.text
    spans = []
    for c, _ in _candidates(tagged):
        if re.search(r"[0-9０-９]", c.name):
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


def categorize(name: str, definition: str = "") -> str:
    """Category id from the keyword table: 红色物业 → property_management."""
    table = category_table()
    for source in (name, definition):
        for _, category, keyword in table:
            if keyword and keyword in source:
                return category
    return "other"
