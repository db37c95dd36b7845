"""The parts a name enumerates, in order, with the rule id: from its own list or formula, its definition's lists and counts, a list after it, an abbreviation spelled out elsewhere, later counted names.

``“四项机制”,即构建责任机制、统筹机制、服务机制、保障机制`` → 责任机制, 统筹机制, 服务机制,
保障机制; ``1+3+N`` ← 设立党委, 下辖A、B、C支部, 设立若干个党小组; ``“三化”`` ← 标准化、规范化、
信息化. A count the text does not meet gives no parts rather than wrong ones.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import replace

from .mechanism_candidates import Candidate
from .mechanism_rules import Abbreviation, Components
from .mechanism_text import CJK, CN_DIGITS, clause_end, count_in, counts, strip_lead
from .records import Mechanism

FORMULA = re.compile(r"[0-9]{1,2}(?:\+(?:[0-9]{1,2}|[A-Za-z]))+")
WORD_PART = re.compile(r"[\u4e00-\u9fff]{2,}")  # a part of 院落长+楼栋长, not a count
CLAUSE_SPLIT = re.compile(r"[，,；;。]")
PAIR = re.compile(r"[^、]{4,}和[^、]{4,}")  # two long items joined by 和, no 、-list
ABBREVIATION = re.compile(r"^([一二两三四五六七八九十])([\u4e00-\u9fff])$")  # 三化, 四治
DIGIT_LEAD = re.compile(r"^([1-9]{2,5})")
CJK_START = re.compile(rf"[{CJK}]")


def components_of(name: str, definition: str, cfg: Components, after: str = "",
                  core: str = "") -> tuple[tuple[str, ...], str]:
    """Enumerated parts, in order, and the rule id; ``after``: a list right after the name,
    ``core``: the quoted part of the name.

    >>> from pipeline.mechanism_rules import load_rules
    >>> from pipeline.settings import DATA_DIR
    >>> cfg = load_rules(DATA_DIR).components
    >>> components_of("四项机制", "构建责任机制、统筹机制、服务机制、保障机制", cfg)
    (('责任机制', '统筹机制', '服务机制', '保障机制'), 'MC-ENUM')
    """
    name = core or name  # “周督导、月通报”制度: the parts are in the quoted part
    if "、" in name and "—" not in name:
        return tuple(p for p in name.split("、") if p), cfg.name_list.id
    if name.count("—") >= 2:
        return tuple(name.split("—")), cfg.chain.id
    if "+" in name and all(WORD_PART.fullmatch(p) for p in name.split("+")):
        return tuple(name.split("+")), cfg.plus_words.id
    counted = _formula_parts(name, definition, cfg)
    if counted:
        return counted, cfg.formula_counts.id
    made = counts(name)
    # 两访三送 lists 2 + 3 parts: a list of two is not all of them
    want = (sum(made) if len(made) >= 2 else count_in(name)) or (
        len(name.split("+")) if FORMULA.fullmatch(name) else 0)
    for source in (definition, after):
        if not source:
            continue
        if len(cfg.steps.regex.findall(source)) >= 2:
            steps = [p.strip("，,；;。 ") for p in cfg.steps.regex.split(source)]
            parts = [p for p in steps[1:] if p]
            if len(parts) >= 2:
                return tuple(parts), cfg.steps.id
        if source.count("—") >= 2 and "、" not in source:
            return tuple(p.strip() for p in source.split("—")), cfg.chain.id
        runs = _runs(source, cfg)
        if runs:
            pick = next((r for r in runs if want and len(r) == want), None)
            if pick is None and not want:
                pick = max(runs, key=len)
                pick = pick if len(pick) >= 3 else None  # a pair after a name is rarely its parts
            if pick:
                return _roles(tuple(pick), cfg)
        whole = _counted_list(source, want)
        if whole:
            return _roles(whole, cfg, cfg.counted_list.id)
    return (), ""


def sentence_parts(name: str, rest: str, cfg: Components) -> tuple[tuple[str, ...], str]:
    """A counted name's parts listed later in its own sentence, the count met (MC-SENTENCE):
    推行“三事分流”工作法,将居民诉求分为大事、小事、私事 → 大事, 小事, 私事; a name of
    several counts (三联三亮三服务) takes a list for each, in order, or nothing."""
    if not rest:
        return (), ""
    cues = tuple(cfg.same_sentence.cues)
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
    made = counts(name)
    if len(made) >= 2:
        parts: list[str] = []
        i = 0
        for want in made:
            while i < len(runs) and len(runs[i]) != want:
                i += 1
            if i == len(runs):
                return (), ""
            parts += runs[i]
            i += 1
        return tuple(parts), cfg.same_sentence.id
    want = count_in(name)
    pick = next((r for r in runs if len(r) == want), None) if want >= 2 else None
    return (tuple(pick), cfg.same_sentence.id) if pick else ((), "")


def _counted_list(source: str, want: int) -> tuple[str, ...]:
    """A clause's whole 、-list, when it has exactly ``want`` items (see MC-COUNTED)."""
    if want < 2:
        return ()
    for clause in CLAUSE_SPLIT.split(source):
        items = [i.strip("“”\"") for i in clause.split("、")]
        if len(items) == want and all(2 <= len(i) <= 40 for i in items):
            return tuple(items)
    return ()


def _roles(parts: tuple[str, ...], cfg: Components, rule: str = "") -> tuple[tuple[str, ...], str]:
    """以A为龙头、B为支撑、C为节点 → (A, B, C), counts and quotes dropped (see MC-ROLES)."""
    roles = cfg.roles
    plain = [p.replace("“", "").replace("”", "").replace('"', "") for p in parts]
    found = [roles.regex.match(p) for p in plain]
    if len(parts) >= 2 and all(found):
        cleaned = tuple(roles.count_prefix.sub("", m.group(1)) for m in found)
        if all(len(c) >= 2 for c in cleaned):
            return cleaned, roles.id
    return parts, rule or cfg.id


def abbreviation_parts(name: str, ntext: str, near: int, cfg: Abbreviation) -> tuple[tuple[str, ...], str, tuple[int, int]]:
    """The items a counted abbreviation stands for, from anywhere in the document, nearest
    first, with the rule id and their span.

    >>> from pipeline.mechanism_rules import load_rules
    >>> from pipeline.settings import DATA_DIR
    >>> cfg = load_rules(DATA_DIR).components.abbreviation
    >>> abbreviation_parts("三化", "以基层党建标准化、规范化、信息化建设为抓手", 0, cfg)[0]
    ('标准化', '规范化', '信息化')
    """
    m = ABBREVIATION.match(name)
    if not m or CN_DIGITS.get(m.group(1), 0) < 2:  # 一化 lists nothing (and made no list of one)
        return (), "", (0, 0)
    n, ch = CN_DIGITS[m.group(1)], m.group(2)
    k = cfg.max_item_chars
    item = rf"[\u4e00-\u9fff]{{0,{k - 1}}}"
    ends = rf"(?:{item}{ch}、){{{n - 1}}}{item}{ch}(?![\u4e00-\u9fff]{{0,1}}、)"
    starts = rf"(?<![\u4e00-\u9fff、]){ch}{item}(?:、{ch}{item}){{{n - 1}}}(?![、\u4e00-\u9fff]*、)"
    best = None
    # a precheck: a list of several items needs ch、 (ends) or 、ch (starts) somewhere in
    # the document; most documents have neither, and each pattern would scan all of it
    for pattern, joint in ((ends, ch + "、"), (starts, "、" + ch)):
        if n > 1 and joint not in ntext:
            continue
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
    return best[0], cfg.id, best[1]


def _formula_parts(name: str, definition: str, cfg: Components) -> tuple[str, ...]:
    """Parts of a digit formula, one count at a time, or () when any count is not met.

    >>> from pipeline.mechanism_rules import load_rules
    >>> from pipeline.settings import DATA_DIR
    >>> _formula_parts("1+3+N", "在一级网格设立党委,下辖甲支部、乙支部、丙支部,设立若干个党小组", load_rules(DATA_DIR).components)
    ('党委', '甲支部', '乙支部', '丙支部', '党小组')
    """
    if not FORMULA.fullmatch(name) or not definition:
        return ()
    fc = cfg.formula_counts
    verbs = "|".join(map(re.escape, sorted(fc.object_verbs, key=len, reverse=True)))
    markers = "|".join(map(re.escape, fc.open_markers))
    weak = "|".join(map(re.escape, fc.weak_markers))
    clauses = [c for c in CLAUSE_SPLIT.split(definition) if c]
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


def _runs(text: str, cfg: Components) -> list[list[str]]:
    """Lists of 、-separated items: 组织市、县区、街镇三级领导干部开展定点接访、重点约访 → two runs."""
    breakers = cfg.run_breakers
    runs = []
    for clause in CLAUSE_SPLIT.split(text):
        if "、" in clause:
            pieces = clause.split("、")
        elif len(clause) <= 30 and PAIR.search(clause):
            pieces = clause.split("和", 1)
        else:
            continue
        # a verb inside an item ends one list and starts the next: …领导干部开展定点接访、重点约访
        segs: list[list[str]] = [[]]
        for piece in pieces:
            # a precheck: most items hold no breaker after their first character
            cut = (min((i for i in map(piece.find, breakers) if i > 0), default=-1)
                   if cfg.breaker_pattern.search(piece, 1) else -1)
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
            first = strip_lead(head, breakers, keep=2)  # 分为大事、小事 → 大事
            items[0] = first.split("的")[-1] if len(first.split("的")[-1]) >= 2 else first
            last = items[-1]
            for cut in cfg.item_cut:
                i = last.find(cut)
                if i >= 2:
                    last = last[:i]
            items[-1] = last
            items = [i.strip("“”") for i in items if i.strip("“”")]
            if len(items) >= 2 and all(2 <= len(i) <= 40 for i in items):
                runs.append(items)
    return runs


# ---------------------------------------------------------------- where the parts stand

def digit_components(mechs: list[Mechanism], cfg: Components) -> list[Mechanism]:
    """“134” followed later by “一条主线” “三个目标” “四项机制”: those are its parts.

    Only for a formula of bare digits without parts yet, and only when every digit is
    matched, in order, by a later counted name.
    """
    rule = cfg.digit_formula.id
    out = []
    for m in mechs:
        digits = DIGIT_LEAD.match(unicodedata.normalize("NFKC", m.name))
        if m.kind == "formula" and digits and "+" not in m.name:
            want = [int(d) for d in digits.group(1)]
            parts: list[str] = []
            # look only up to the next formula: its parts are its own
            stop = min((o.start for o in mechs if o.start > m.start and o.kind == "formula"), default=len(mechs) and 10**9)
            for later in mechs:
                if (m.start < later.start < stop and len(parts) < len(want)
                        and count_in(later.name) == want[len(parts)]):
                    parts.append(later.name)
            if len(parts) == len(want):
                m = replace(m, components=tuple(parts), rule=m.rule + "+" + rule)
        out.append(m)
    return out


def list_after(text: str, c: Candidate) -> str:
    """An enumeration that directly follows the name: “红色物业”联合处理、议事协调…等机制."""
    close = c.end + (1 if c.quoted and not c.suffix else 0)
    e = clause_end(text, close)
    clause = text[close:e]
    starts_list = bool(CJK_START.match(clause)) and "“" not in clause
    return clause if starts_list and "、" in clause and "等" in clause else ""


def steps_after(text: str, definition: str, start: int | None, cfg: Components) -> str:
    """A definition that opens a numbered run (第一步，…；第二步，…) goes on to its sentence's end."""
    if start is None or not cfg.steps.regex.match(definition):
        return ""
    return text[start:clause_end(text, start, "。\n")]
