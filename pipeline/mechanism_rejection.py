"""Why a candidate names no practice: the id of the stoplist row or cue that marks it a metaphor, stock phrase, slogan, quotation or problem, or ''.

A quoted phrase is kept unless a cue marks it: ``畅通基层治理的“神经末梢”`` (的“X” closing a
clause), ``“共建、共治、共享”的社会治理格局`` (a slogan before 格局), ``“体检”`` (one
everyday word), ``“党员站出来,大家就跟上来。”`` (a sentence), ``“有事找不到人、有人管不了事”``
(a negated predicate). Unquoted candidates answer to the stoplist only: their shapes were
already strict.
"""
from __future__ import annotations

import bisect
import functools
import re
from pathlib import Path
from typing import Mapping

from .mechanism_candidates import Candidate, general_words
from .mechanism_kinds import has_head, numbered
from .mechanism_rules import MechanismRules, ProblemStatement
from .mechanism_text import clause_start
from .records import Token

VERB_TAGS = {"v", "vd", "vi", "vf", "vx", "vg", "p"}  # vn (工作, 管理) is a noun here


@functools.lru_cache(maxsize=8)
def user_words(dictionaries: tuple[Path, ...]) -> dict[str, str]:
    """Words of the domain dictionaries (``Settings.dictionaries``) with their tag: 红色管家 → nz."""
    words: dict[str, str] = {}
    for path in dictionaries:
        if Path(path).exists():
            for line in Path(path).read_text(encoding="utf-8").splitlines():
                parts = line.split()
                if parts:
                    words[parts[0]] = parts[2] if len(parts) > 2 else ""
    return words


def reject_reason(c: Candidate, text: str, tokens: list[Token], rules: MechanismRules,
                  user: Mapping[str, str]) -> str:
    """The id of the cue that marks a candidate as no practice, or ''; ``user``: the words
    of the domain dictionaries, never everyday words.

    >>> from pipeline.mechanism_candidates import quoted_candidates
    >>> from pipeline.mechanism_rules import load_rules
    >>> from pipeline.settings import DATA_DIR
    >>> rules = load_rules(DATA_DIR)
    >>> def why(text):
    ...     return reject_reason(quoted_candidates(text, rules.name_suffixes)[0], text, [], rules, {})
    >>> why("畅通基层治理的“神经末梢”"), why("形成“共建、共治、共享”的社会治理格局"), why("擦亮“洪城红”品牌")
    ('MS-001', 'MQ-RIGHT', '')
    """
    core = text[c.core_start:c.core_end]
    if core in rules.stoplist:
        return rules.stoplist[core]
    if not c.quoted:
        if c.rule == rules.plus_formula.id and any(p.endswith(rules.byline.words) for p in core.split("+")):
            return rules.byline.id
        return ""
    kinds = rules.kinds
    for pair in rules.quote_pairs:
        for m in pair.regex.finditer(text[max(0, c.core_start - 25):c.core_end + 25]):
            base = max(0, c.core_start - 25)
            if base + m.start() <= c.core_start and c.core_end <= base + m.end():
                return pair.id
    if any(ch in core for ch in rules.pronoun.chars):
        return rules.pronoun.id
    why = _quotation(core, text, c, tokens, rules)
    if why:
        return why
    long = rules.long_quote
    chain = any(k.id == "MK-CHAIN" and k.regex.search(core) for k in kinds if k.regex is not None)
    if any(ch in core for ch in long.bad_chars) or (len(core) > long.max_chars and "、" not in core and not chain):
        return long.id
    if c.suffix:
        return ""  # a head noun makes the quoted part a name modifier: “盯得紧”督导考核队
    why = _state_not_practice(core, tokens, c, rules, user)
    if why:
        return why
    quote_close = c.core_end + 1
    run_end = _chain_end(text, quote_close)
    right = text[run_end:run_end + 12]  # not text[run_end:]: a copy of the rest of the document
    why = _context_not_practice(core, text, c, run_end, tokens, rules)
    if why:
        return why
    exempt = any(core.endswith(h) for h in rules.right_cue_exempt_heads.heads)
    near = re.split(r"[，,。；;、！!？?\n]", right.removeprefix("的"))[0][:rules.right_cues.window]
    if not exempt and any(w in near or right.startswith(w) for w in rules.right_cues.words):
        return rules.right_cues.id
    start = clause_start(text, c.core_start - 1)
    left = text[start:c.core_start - 1]
    left_window = left[-rules.left_cues.window:]
    if any(w in left_window for w in rules.left_cues.words) and not has_head(core, kinds):
        return rules.left_cues.id
    frame = rules.metaphor_frame
    if (frame.regex.search(left) and frame.followed_by.match(right) and not has_head(core, kinds)
            and not numbered(core, kinds) and "、" not in core and not any(v in left for v in frame.build_verbs)):
        return frame.id
    inside = _tokens_in(tokens, c.core_start, c.core_end)
    if len(inside) == 1 and rules.process_noun.regex.match(core):
        return rules.process_noun.id
    items = core.split("、")
    if len(items) >= 3 and all(len(i) <= 3 for i in items) and len({i[:1] for i in items}) == 1:
        return rules.same_prefix_list.id
    if inside and not has_head(core, kinds) and not numbered(core, kinds):
        nominal = rules.verbal_only.nominal_pos_prefixes
        if not any(any(t.pos.startswith(p) for p in nominal) for t in inside if t.pos != "x"):
            return rules.verbal_only.id
        if (len(inside) == 1 and core not in user and core in general_words()
                and inside[0].pos not in rules.single_common_word.keep_pos):
            return rules.single_common_word.id
        if inside[0].pos == "v" and rules.verb_phrase.followed_by.match(right):
            return rules.verb_phrase.id
    if re.match(r"[,，。;；!！]", right) and left and not has_head(core, kinds):
        ordinal = re.match(r"\s*(?:[一二三四五六七八九十]+是|[0-9]+[.．、])", left)
        subject_start = start + (ordinal.end() if ordinal else 0)
        before = _tokens_in(tokens, subject_start, c.core_start - 1)
        # a verbal noun right before the quote acts as its verb: 全要素建设“红色网格”
        if before and not any(t.pos in VERB_TAGS for t in before) and not (
                before[-1].pos == "vn" and (len(before) < 2 or before[-2].text != "的")):
            return rules.subjectless_predicate.id
    return ""


def _quotation(core: str, text: str, c: Candidate, tokens: list[Token], rules: MechanismRules) -> str:
    """The id of the cue that marks a quote as a quotation, a problem or a title, or ''.

    ``“党员站出来,大家就跟上来。”`` (a sentence), ``“有事找不到人、有人管不了事”`` (a problem),
    ``《践行“新时代的群众路线”》`` (inside a title).
    """
    sq = rules.sentence_quote
    if any(ch in core for ch in sq.end_chars):
        return sq.id
    inside = _tokens_in(tokens, c.core_start, c.core_end)
    if re.search("[,，]", core) and len(core) >= sq.min_chars and any(t.text in sq.spoken for t in inside):
        return sq.id
    ps = rules.problem_statement
    if (not numbered(core, rules.kinds) and not has_head(core, rules.kinds)
            and any(_negated(item, ps) for item in _items(inside))):
        return ps.id
    line_start = text.rfind("\n", 0, c.core_start) + 1
    before = text[line_start:c.core_start]
    if before.count("《") > before.count("》") and "的" in core:
        return rules.title.id
    return ""


def _state_not_practice(core: str, tokens: list[Token], c: Candidate, rules: MechanismRules,
                        user: Mapping[str, str]) -> str:
    """The id of the rule that reads a quote, by its own words, as a state, a motto, a
    complaint or a figure of speech rather than a named practice, or ''.

    >>> from pipeline.mechanism_candidates import quoted_candidates
    >>> from pipeline.mechanism_rules import load_rules
    >>> from pipeline.settings import DATA_DIR
    >>> rules = load_rules(DATA_DIR)
    >>> def why(text):
    ...     return _state_not_practice(quoted_candidates(text, rules.name_suffixes)[0].name, [],
    ...                                quoted_candidates(text, rules.name_suffixes)[0], rules, {})
    >>> why("做到“人人有事做、家家有人帮”"), why("推动“居民变股民、村庄变社区”"), why("针对“三多一少”")
    ('MQ-MOTTO', 'MQ-CHANGE', 'MQ-COUNT-STATE')
    >>> why("实现“90%”"), why("发挥“青春力量”"), why("打造“特色品牌”"), why("推行“三找一定”")
    ('MQ-FIGURE', 'MQ-ABSTRACT', 'MQ-GENERIC', '')
    """
    kinds = rules.kinds
    if rules.figure.regex.match(core):
        return rules.figure.id
    if rules.state_count.regex.match(core):
        return rules.state_count.id
    if any(w in core for w in rules.complaint.words):
        return rules.complaint.id
    items = [i for i in re.split(r"[、,，\s]+", core) if i]
    if len(items) >= 2 and all(rules.motto.regex.match(i) for i in items):
        return rules.motto.id
    if len(items) >= 2 and all(rules.change_pair.regex.match(i) for i in items):
        return rules.change_pair.id
    if _existential(_items(_tokens_in(tokens, c.core_start, c.core_end)), rules.existential.words):
        return rules.existential.id
    if has_head(core, kinds) or numbered(core, kinds):
        return ""
    gk = rules.generic_kind
    if any(core.startswith(q) and core[len(q):] in gk.categories for q in gk.qualities):
        return gk.id
    ab = rules.abstract_head
    if any(core.endswith(h) and len(core) > len(h) for h in ab.heads):
        return ab.id
    inside = _tokens_in(tokens, c.core_start, c.core_end)
    if (len(inside) == 2 and inside[0].text in rules.size_metaphor.prefixes and inside[1].text not in user
            and inside[1].text in general_words() and inside[1].pos.startswith("n")):
        return rules.size_metaphor.id
    return ""


def _context_not_practice(core: str, text: str, c: Candidate, run_end: int, tokens: list[Token],
                          rules: MechanismRules) -> str:
    """The id of the rule that reads a quote, by the words around it, as a problem, a date,
    a need or a figure of speech, or ''. ``run_end``: where the run of adjacent quotes ends.

    >>> from pipeline.mechanism_candidates import quoted_candidates
    >>> from pipeline.mechanism_rules import load_rules
    >>> from pipeline.settings import DATA_DIR
    >>> rules = load_rules(DATA_DIR)
    >>> def why(text):
    ...     c = quoted_candidates(text, rules.name_suffixes)[0]
    ...     return _context_not_practice(c.name, text, c, _chain_end(text, c.core_end + 1), [], rules)
    >>> why("在“七一”前夕,"), why("解决“看门难”问题"), why("居民关心的“身边事”正在落地"), why("擦亮“滨江红”。")
    ('MQ-DATE', 'MQ-PROBLEM-NOUN', 'MQ-CONCERN', 'MQ-LEFT-CLOSE')
    """
    kinds = rules.kinds
    right = text[run_end:run_end + 12]
    if any(right.startswith(w) for w in rules.date_after.words if len(w) <= rules.date_after.window):
        return rules.date_after.id
    if has_head(core, kinds):
        return ""
    if _problem_after(text, run_end, tokens, rules.problem_after):
        return rules.problem_after.id
    start = clause_start(text, c.core_start - 1)
    left = text[start:c.core_start - 1]
    if rules.concern.regex.search(left):
        return rules.concern.id
    lc = rules.left_closing
    if any(w in left[-lc.window:] for w in lc.words) and re.match(r"(?:\s|[,，。;；!！?？、)）]|$)", right):
        return lc.id
    return ""


def _problem_after(text: str, pos: int, tokens: list[Token], rule) -> bool:
    """Does a problem noun follow ``pos``, after an optional 等 and a few nominal words?
    ``“X”等老旧小区顽疾`` yes; ``“X”破解物业难题`` (a verb between) no."""
    rest = text[pos:pos + rule.max_gap + 8]
    skip = len(rest) - len(rest.lstrip("等"))
    for noun in rule.nouns:
        i = rest.find(noun, skip)
        if i < 0 or i - skip > rule.max_gap:
            continue
        between = _tokens_in(tokens, pos + skip, pos + i)
        covered = sum(len(t.text) for t in between)
        if covered == i - skip and all(t.pos.startswith(rule.gap_pos) or t.text == "的" for t in between):
            return True
    return False


def _existential(items: list[list[Token]], words: tuple[str, ...]) -> bool:
    """Is every clause X有Y, 有 a word of its own after its first word: 户户 有人 联, 奉献者 有 荣光?"""
    return bool(items) and all(any(t.text in words for t in item[1:-1]) for item in items)


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


ADJACENT_QUOTE = re.compile(r"[、]?[“「『][^“”\n]{1,30}[”」』]")


def _chain_end(text: str, end: int) -> int:
    """End of a run of adjacent quotes: “明清建筑博物馆”“半部中国近代史”之誉 → before 之誉."""
    pos = end
    while True:
        m = ADJACENT_QUOTE.match(text, pos)  # at pos, without copying the rest of the document
        if not m:
            return pos
        pos = m.end()


def _items(tokens: list[Token]) -> list[list[Token]]:
    """Tokens split at 、 and commas: 有事找不到人、有人管不了事 → two items."""
    items: list[list[Token]] = [[]]
    for t in tokens:
        if t.text in ("、", ",", "，"):
            items.append([])
        else:
            items[-1].append(t)
    return [i for i in items if i]


def _negated(item: list[Token], ps: ProblemStatement) -> bool:
    """A negation whose scope runs to the end of the item: 难奏效, 找不到人, 管不了事, 办事不便.

    不见面审批 (a head noun after the negated verb) and 未来社区 (未来 is a noun) are names.
    """
    last = len(item) - 1
    for i, t in enumerate(item):
        nominal = t.pos.startswith(("n", "t", "vn", "j", "m"))
        if not nominal and t.text.startswith(ps.negators) and len(t.text) <= 3 and i >= last - 1:
            return True
        if t.pos.startswith(("v", "l")) and len(t.text) >= 3 and any(n in t.text[1:-1] for n in ps.inner):
            if i == last or (i == last - 1 and len(item[last].text) == 1):
                return True
    return False
