"""What a name stands for: the span of text that defines it (after a cue like 即, in brackets, in a list or 的-phrase before it, in the next clause or sentence), with the rule id.

The spans are found in the norm text; the stage cuts the definition from Document.text at
the same offsets.
"""
from __future__ import annotations

import re

from .mechanism_candidates import Candidate
from .mechanism_kinds import numbered
from .mechanism_rules import MechanismRules
from .mechanism_text import CLAUSE_END, bracket_end, clause_end, clause_start, count_in, strip_lead
from .records import Sentence

CUE_GAP_STOP = re.compile(r"[。；;“]")  # a cue after these explains something else
QUOTED_NAME = re.compile(r"“[^”]*”")
LIST_MARK = re.compile("[、—]")
MODIFIER_END = re.compile(r"[的为]")
JOINED = re.compile("[和及与]")


def find_definition(text: str, c: Candidate, sent: Sentence, rules: MechanismRules) -> tuple[str, int | None, str]:
    """(definition, start, rule id): the span that says what the name stands for.

    >>> from pipeline.mechanism_candidates import quoted_candidates
    >>> from pipeline.mechanism_rules import load_rules
    >>> from pipeline.settings import DATA_DIR
    >>> rules = load_rules(DATA_DIR)
    >>> text = "推行“四议两公开”工作法,即村级重大事项由党支部提议、村两委商议。"
    >>> c = quoted_candidates(text, rules.name_suffixes)[0]
    >>> find_definition(text, c, Sentence(0, len(text), text, 0), rules)
    ('村级重大事项由党支部提议、村两委商议', 14, 'MD-CUE')
    """
    cfg = rules.definition
    spelled = _spelled_by_quotes(text, c, rules)
    if spelled[1] is not None:
        return spelled
    close = c.end + (1 if not c.suffix and c.quoted else 0)
    limit = sent.end
    # 1. an explicit cue shortly after the name: …工作机制,即…; “四项机制”就是…
    tail = text[close:limit]
    for m in cfg.explicit.pattern.finditer(tail[:cfg.explicit.max_gap + 4]):
        gap = tail[:m.start()]
        if m.start() > cfg.explicit.max_gap or CUE_GAP_STOP.search(gap):
            break
        if m.group(0) == "即" and gap.endswith(("立", "随")):
            continue
        s = close + m.end()
        e = clause_end(text, s, CLAUSE_END)
        if e - s >= 2:
            return text[s:e], s, cfg.explicit.id
    # 2. a bracket right after the name: “三个如何”(如何让…)
    if tail[:1] and tail[:1] in "(（":
        # its own closing bracket, within the sentence (clause_end with ")）" as breaks never
        # stopped: it takes closing brackets for the end of nested ones, so the rest of the
        # document became the definition)
        e = bracket_end(text, close)
        if e < limit and e - close > 4:
            return text[close + 1:e], close + 1, cfg.paren.id
    # 3. an enumeration or a long 的-modifier right before the name
    qs = c.start - (1 if c.quoted else 0)
    cs = clause_start(text, qs)
    before = text[cs:qs]
    bare = QUOTED_NAME.sub("", before)  # a list inside another quote is that name's
    items = LIST_MARK.split(MODIFIER_END.split(bare)[-1]) if LIST_MARK.search(bare) else []
    want = count_in(c.name)
    counted = numbered(c.name, rules.kinds)
    # only a counted name is spelled out by the list before it, and the count must agree
    listed = (len(items) >= 2 and sum(map(len, items)) / len(items) >= cfg.before.min_item_chars
              and "“" not in before and counted and (not want or want == len(items)))
    # 推广老杨工作法和“五步议事法”: a name list ending in 和 explains nothing
    if (len(before) >= cfg.before.min_chars and not before.endswith(("、", "”", "和", "及", "与"))
            and (listed or (before.endswith("的") and len(before) >= 8)
                 or (counted and JOINED.search(before)))):
        body = before[:-1] if before.endswith("的") else before
        stripped = strip_lead(body, cfg.lead_verbs)
        s = qs - len(before) + (len(body) - len(stripped))
        return stripped, s, cfg.before.id
    # 4. the clause after the name's clause, when it starts like an explanation
    e = clause_end(text, close)
    if e < limit and text[e] in "，,":
        nxt = e + 1
        gap = text[close:e]
        if len(gap) <= cfg.after.max_gap and "“" not in gap:
            if text.startswith(cfg.after.starters, nxt):
                end = clause_end(text, nxt, CLAUSE_END)
                if end - nxt >= 4:
                    return text[nxt:end], nxt, cfg.after.id
    # 5. the next sentence, when the name's sentence ends right after it: “四步法”化解矛盾。第一步是…
    nxt = cfg.next_sentence
    if sent.end - close <= nxt.max_gap:
        s = sent.end
        while s < len(text) and text[s] in " \u3000":
            s += 1
        if text.startswith(nxt.starters, s):
            e = clause_end(text, s, "。\n")
            return text[s:e], s, nxt.id
    return "", None, ""


QUOTE_RUN = re.compile(r"(?:“[^“”\n]{1,20}”[、]?)+$")


def _spelled_by_quotes(text: str, c: Candidate, rules: MechanismRules) -> tuple[str, int | None, str]:
    """A counted structure spelled by quotes right before it: the chain it is attached to
    (“区委—街道党工委—社区党委”三级组织架构 → the chain) or a run of as many quotes as it
    counts (“甲”“乙”“丙”三大举措 → “甲”“乙”“丙”).

    >>> from pipeline.mechanism_candidates import quoted_candidates
    >>> from pipeline.mechanism_rules import load_rules
    >>> from pipeline.settings import DATA_DIR
    >>> rules = load_rules(DATA_DIR)
    >>> text = "构建“区委—街道党工委—社区党委”三级组织架构。"
    >>> _spelled_by_quotes(text, quoted_candidates(text, rules.name_suffixes)[0], rules)
    ('区委—街道党工委—社区党委', 3, 'MD-CHAIN')
    """
    cfg = rules.definition
    core = text[c.core_start:c.core_end]
    if c.quoted and c.suffix and count_in(c.suffix) and core.count("—") + 1 == count_in(c.suffix):
        return core, c.core_start, cfg.chain.id
    if not c.quoted and count_in(c.name) >= 2:
        run = QUOTE_RUN.search(text, max(0, c.start - 80), c.start)
        if run and run.group(0).count("“") == count_in(c.name):
            return run.group(0), run.start(), cfg.quote_run.id
    return "", None, ""
