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
from .mechanism_rules import KindRule, MechanismRules, ProblemStatement
from .mechanism_text import clause_start
from .records import TOKEN_START, Token

VERB_TAGS = {"v", "vd", "vi", "vf", "vx", "vg", "p"}  # vn (工作, 管理) is a noun here
NEAR_BREAK = re.compile(r"[，,。；;、！!？?\n]")  # where the words right after a quote stop
PUNCT_AFTER = re.compile(r"[,，。;；!！]")  # a comma or a stop right after the quote
ORDINAL = re.compile(r"\s*(?:[一二三四五六七八九十]+是|[0-9]+[.．、])")  # 一是, 2.
CLOSES_CLAUSE = re.compile(r"(?:\s|[,，。;；!！?？、)）]|$)")  # a space, a mark or the end after it
ITEM_BREAK = re.compile(r"[、,，\s]+")


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
    base = max(0, c.core_start - 25)
    around = text[base:c.core_end + 25]
    for pair in rules.quote_pairs:
        for m in pair.regex.finditer(around):
            if base + m.start() <= c.core_start and c.core_end <= base + m.end():
                return pair.id
    if rules.pronoun.pattern.search(core):
        return rules.pronoun.id
    # what the cues below ask of the quote's own words, read once: its tokens, whether it
    # ends in a practice head (红棉驿站), whether it is named by a head or a count (四步法)
    inside = _tokens_in(tokens, c.core_start, c.core_end)
    head = has_head(core, kinds)
    named = head or numbered(core, kinds)
    why = _quotation(core, text, c, inside, rules, named)
    if why:
        return why
    long = rules.long_quote
    if long.bad_char_pattern.search(core) or (len(core) > long.max_chars and "、" not in core
                                              and not _chain(core, kinds)):
        return long.id
    if c.suffix:
        return ""  # a head noun makes the quoted part a name modifier: “盯得紧”督导考核队
    why = _state_not_practice(core, inside, rules, user, named)
    if why:
        return why
    quote_close = c.core_end + 1
    run_end = _chain_end(text, quote_close)
    right = text[run_end:run_end + 12]  # not text[run_end:]: a copy of the rest of the document
    why = _context_not_practice(core, text, c, run_end, tokens, rules, head)
    if why:
        return why
    if not core.endswith(rules.right_cue_exempt_heads.heads):
        near = NEAR_BREAK.split(right.removeprefix("的"), maxsplit=1)[0][:rules.right_cues.window]
        cues = rules.right_cues.pattern
        if cues.search(near) or cues.match(right):
            return rules.right_cues.id
    start = clause_start(text, c.core_start - 1)
    left = text[start:c.core_start - 1]
    left_window = left[-rules.left_cues.window:]
    if rules.left_cues.pattern.search(left_window) and not head:
        return rules.left_cues.id
    frame = rules.metaphor_frame
    if (frame.regex.search(left) and frame.followed_by.match(right) and not named
            and "、" not in core and not frame.build_verb_pattern.search(left)):
        return frame.id
    if len(inside) == 1 and rules.process_noun.regex.match(core):
        return rules.process_noun.id
    items = core.split("、")
    if len(items) >= 3 and all(len(i) <= 3 for i in items) and len({i[:1] for i in items}) == 1:
        return rules.same_prefix_list.id
    if inside and not named:
        nominal = rules.verbal_only.nominal_pos_prefixes
        if not any(t.pos.startswith(nominal) for t in inside if t.pos != "x"):
            return rules.verbal_only.id
        if (len(inside) == 1 and core not in user and core in general_words()
                and inside[0].pos not in rules.single_common_word.keep_pos):
            return rules.single_common_word.id
        if inside[0].pos == "v" and rules.verb_phrase.followed_by.match(right):
            return rules.verb_phrase.id
    if PUNCT_AFTER.match(right) and left and not head:
        ordinal = ORDINAL.match(left)
        subject_start = start + (ordinal.end() if ordinal else 0)
        before = _tokens_in(tokens, subject_start, c.core_start - 1)
        # a verbal noun right before the quote acts as its verb: 全要素建设“红色网格”
        if before and not any(t.pos in VERB_TAGS for t in before) and not (
                before[-1].pos == "vn" and (len(before) < 2 or before[-2].text != "的")):
            return rules.subjectless_predicate.id
    return ""


def _chain(core: str, kinds: tuple[KindRule, ...]) -> bool:
    """Is the quote a chain of bodies (区委—街道党工委—社区党委), by the MK-CHAIN kind rule?"""
    return any(k.id == "MK-CHAIN" and k.regex.search(core) for k in kinds if k.regex is not None)


def _quotation(core: str, text: str, c: Candidate, inside: list[Token], rules: MechanismRules,
               named: bool) -> str:
    """The id of the cue that marks a quote as a quotation, a problem or a title, or ''.
    ``inside``: the quote's tokens; ``named``: it ends in a practice head or makes a count.

    ``“党员站出来,大家就跟上来。”`` (a sentence), ``“有事找不到人、有人管不了事”`` (a problem),
    ``《践行“新时代的群众路线”》`` (inside a title).
    """
    sq = rules.sentence_quote
    if sq.end_char_pattern.search(core):
        return sq.id
    if ("," in core or "，" in core) and len(core) >= sq.min_chars and any(t.text in sq.spoken for t in inside):
        return sq.id
    ps = rules.problem_statement
    if not named and any(_negated(item, ps) for item in _items(inside)):
        return ps.id
    line_start = text.rfind("\n", 0, c.core_start) + 1
    before = text[line_start:c.core_start]
    if before.count("《") > before.count("》") and "的" in core:
        return rules.title.id
    return ""


def _state_not_practice(core: str, inside: list[Token], rules: MechanismRules, user: Mapping[str, str],
                        named: bool) -> str:
    """The id of the rule that reads a quote, by its own words (``inside``: its tokens), as a
    state, a motto, a complaint or a figure of speech rather than a named practice, or '';
    ``named``: it ends in a practice head or makes a count.

    >>> from pipeline.mechanism_candidates import quoted_candidates
    >>> from pipeline.mechanism_rules import load_rules
    >>> from pipeline.settings import DATA_DIR
    >>> rules = load_rules(DATA_DIR)
    >>> def why(text):
    ...     core = quoted_candidates(text, rules.name_suffixes)[0].name
    ...     named = has_head(core, rules.kinds) or numbered(core, rules.kinds)
    ...     return _state_not_practice(core, [], rules, {}, named)
    >>> why("做到“人人有事做、家家有人帮”"), why("推动“居民变股民、村庄变社区”"), why("针对“三多一少”")
    ('MQ-MOTTO', 'MQ-CHANGE', 'MQ-COUNT-STATE')
    >>> why("实现“90%”"), why("发挥“青春力量”"), why("打造“特色品牌”"), why("推行“三找一定”")
    ('MQ-FIGURE', 'MQ-ABSTRACT', 'MQ-GENERIC', '')
    """
    if rules.figure.regex.match(core):
        return rules.figure.id
    if rules.state_count.regex.match(core):
        return rules.state_count.id
    if rules.complaint.pattern.search(core):
        return rules.complaint.id
    items = [i for i in ITEM_BREAK.split(core) if i]
    if len(items) >= 2 and all(rules.motto.regex.match(i) for i in items):
        return rules.motto.id
    if len(items) >= 2 and all(rules.change_pair.regex.match(i) for i in items):
        return rules.change_pair.id
    if _existential(_items(inside), rules.existential.words):
        return rules.existential.id
    if named:
        return ""
    gk = rules.generic_kind
    # startswith/endswith with the whole lexicon first: most quotes open with no quality
    if core.startswith(gk.qualities) and any(core.startswith(q) and core[len(q):] in gk.categories
                                              for q in gk.qualities):
        return gk.id
    ab = rules.abstract_head
    if core.endswith(ab.heads) and any(core.endswith(h) and len(core) > len(h) for h in ab.heads):
        return ab.id
    if (len(inside) == 2 and inside[0].text in rules.size_metaphor.prefixes and inside[1].text not in user
            and inside[1].text in general_words() and inside[1].pos.startswith("n")):
        return rules.size_metaphor.id
    return ""


def _context_not_practice(core: str, text: str, c: Candidate, run_end: int, tokens: list[Token],
                          rules: MechanismRules, head: bool) -> str:
    """The id of the rule that reads a quote, by the words around it, as a problem, a date,
    a need or a figure of speech, or ''. ``run_end``: where the run of adjacent quotes ends;
    ``head``: the quote ends in a practice head.

    >>> from pipeline.mechanism_candidates import quoted_candidates
    >>> from pipeline.mechanism_rules import load_rules
    >>> from pipeline.settings import DATA_DIR
    >>> rules = load_rules(DATA_DIR)
    >>> def why(text):
    ...     c = quoted_candidates(text, rules.name_suffixes)[0]
    ...     return _context_not_practice(c.name, text, c, _chain_end(text, c.core_end + 1), [], rules,
    ...                                  has_head(c.name, rules.kinds))
    >>> why("在“七一”前夕,"), why("解决“看门难”问题"), why("居民关心的“身边事”正在落地"), why("擦亮“滨江红”。")
    ('MQ-DATE', 'MQ-PROBLEM-NOUN', 'MQ-CONCERN', 'MQ-LEFT-CLOSE')
    """
    right = text[run_end:run_end + 12]
    if right.startswith(rules.date_after.short_words):
        return rules.date_after.id
    if head:
        return ""
    if _problem_after(text, run_end, tokens, rules.problem_after):
        return rules.problem_after.id
    start = clause_start(text, c.core_start - 1)
    left = text[start:c.core_start - 1]
    if rules.concern.regex.search(left):
        return rules.concern.id
    lc = rules.left_closing
    if lc.pattern.search(left[-lc.window:]) and CLOSES_CLAUSE.match(right):
        return lc.id
    return ""


def _problem_after(text: str, pos: int, tokens: list[Token], rule) -> bool:
    """Does a problem noun follow ``pos``, after an optional 等 and a few nominal words?
    ``“X”等老旧小区顽疾`` yes; ``“X”破解物业难题`` (a verb between) no."""
    rest = text[pos:pos + rule.max_gap + 8]
    skip = len(rest) - len(rest.lstrip("等"))
    if not rule.noun_pattern.search(rest, skip):
        return False  # a precheck: most quotes have no problem noun after them at all
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
    first = bisect.bisect_left(tokens, start, key=TOKEN_START)
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
