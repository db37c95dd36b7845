"""Tagged → the named practices of a report (“四步法”, “1+3+N”, 兼职委员制): candidates found, judged, and the kept ones described, one Mechanism per practice.

Every rule reads the norm text (``Tagged.norm_text``: each sentence's ``Sentence.norm``,
punctuation folded, same offsets), so ``"红色物业"``, ``「红色物业」`` and ``“红色物业”`` read
alike; names, definitions and parts are then cut from Document.text at the same offsets.

The steps, each its own module:

- finding: ``mechanism_candidates`` (quoted phrases, name shapes, practice heads, formulas);
- judging: ``mechanism_rejection`` (metaphors, slogans, quotations, problems: a rule id, or '');
- describing: ``mechanism_kinds`` (formula, numbered, …), ``mechanism_definitions`` (what
  the name stands for), ``mechanism_components`` (its parts);

all read ``mechanism_rules`` (``data/mechanism_rules.json`` and ``mechanism_stoplist.tsv``
of ``Settings.data_dir``), each lexicon, cue and pattern with the rule id every record carries.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, replace
from itertools import chain
from typing import Mapping

from .anchors import normalise_name
from .lexicon import Lexicon, from_json
from .mechanism_candidates import Candidate, find_candidates
from .mechanism_components import (abbreviation_parts, components_of, digit_components, list_after,
                                   sentence_parts, steps_after)
from .mechanism_definitions import find_definition
from .mechanism_kinds import kind_of
from .mechanism_rejection import reject_reason, user_words
from .mechanism_rules import MechanismRules, load_rules
from .practices import practice_key
from .records import Mechanism, Sentence
from .settings import Settings
from .tagging import Tagged

QUOTE_CHARS = "“”\"「」『』"
QUOTE_MARK = re.compile(f"[{QUOTE_CHARS}]")
DIGIT = re.compile(r"[0-9]")
SEMICOLON = re.compile(r"[;；]")


@dataclass(frozen=True)
class MechanismsFound:
    """The stage's answer: the practices, and where digits belong to a name."""
    mechanisms: list[Mechanism]
    # every candidate name holding a digit, kept or not (15分钟党群服务圈, 阳光8号, “1号方案”):
    # its digits are no figures
    digit_names: list[tuple[int, int]]

    def name_spans(self) -> list[tuple[int, int]]:
        """Where a number is part of a name, not a figure: each practice's name and each digit-bearing candidate."""
        return [(m.start, m.end) for m in self.mechanisms] + self.digit_names


def extract_mechanisms(tagged: Tagged, settings: Settings) -> MechanismsFound:
    """One Mechanism per named practice, at its first mention.

    ``深化“兼职委员”制度,将辖区内…`` → name 兼职委员制度, kind institution, definition 将辖区内….
    Rules read the norm text (``深化"兼职委员"制度，将…`` reads the same); the strings come
    from Document.text.
    """
    rules = load_rules(settings.data_dir)
    user = user_words(tuple(settings.dictionaries))
    ntext = tagged.norm_text
    tokens = list(chain.from_iterable(s.tokens for s in tagged.sentences))
    candidates = find_candidates(ntext, tagged.sentences, rules)
    groups: dict[str, list[tuple[Candidate, Sentence]]] = {}
    for c, sent in candidates:
        groups.setdefault(_group_key(c, ntext, groups, rules), []).append((c, sent))
    # a quoted name and its suffixed form are one practice: “四治” and “四治”融合
    out = []
    for key in sorted(groups, key=lambda k: groups[k][0][0].start):
        mentions = groups[key]
        verdicts = [reject_reason(c, ntext, tokens, rules, user) for c, _ in mentions]
        if any(v.startswith("MS-") for v in verdicts) or all(verdicts):
            continue
        accepted = next(c for (c, _), v in zip(mentions, verdicts) if not v)
        out.append(_describe(mentions, accepted, tagged.document.text, ntext, rules))
    digit_names = [(c.start, c.end) for c, _ in candidates if DIGIT.search(c.name)]
    kept = digit_components(_drop_nested(out), rules.components)
    return MechanismsFound(_learned(kept, tagged, from_json(settings.learned_names), rules), digit_names)


def _learned(kept: list[Mechanism], tagged: Tagged, lexicon: Lexicon, rules: MechanismRules) -> list[Mechanism]:
    """The names annotators taught (``pipeline.lexicon``): a rejected name dropped, unless
    accepted in this article; a taught one found where it is written (its first mention at
    word boundaries) and described as the rules describe any name, ``source = 'lexicon'``. A
    taught name wins over a kept name inside it (楼宇联络员 in 楼宇联络员制度), never over one
    around it or across its edge."""
    if not lexicon:
        return kept
    source_name = tagged.document.source_name
    kept = [m for m in kept if not lexicon.rejects(m.name, source_name)]
    have = {normalise_name(m.name) for m in kept}
    text, ntext = tagged.document.text, tagged.norm_text
    for match in lexicon.matcher().find(ntext, tagged.sentences, source_name):
        if match.entry.name in have:
            continue
        crossing = [m for m in kept if m.start < match.end and match.start < m.end]
        if any(not (match.start <= m.start and m.end <= match.end) for m in crossing):
            continue
        quoted = ntext[match.start - 1:match.start] == "“" and ntext[match.end:match.end + 1] == "”"
        cand = Candidate(match.start, match.end, surface(text, match.start, match.end), match.start, match.end,
                         quoted, "", "lexicon")
        found = _describe([(cand, match.sentence)], cand, text, ntext, rules)
        kept = [m for m in kept if m not in crossing] + [
            replace(found, source="lexicon", taught_by=match.entry.taught_by)]
        have.add(match.entry.name)
    return sorted(kept, key=lambda m: m.start)


def _group_key(c: Candidate, ntext: str, groups: Mapping[str, object], rules: MechanismRules) -> str:
    """The practice a mention belongs to: its key, or the key of its quoted core when the
    head the text attaches only says what kind of thing it is (MX-SAME) and the core was
    named before: “四个一”举措 … “四个一”党建工作法 → one practice."""
    key = practice_key(c.name)
    heads = rules.same_practice_heads.heads
    head = next((h for h in heads if c.suffix.endswith(h)), "") if c.quoted and c.suffix else ""
    # what stands between quote and head is empty or a generic word (党建), not a part of
    # the name (“红色物业”星级评定制度 is a practice of its own)
    gap = c.suffix[:len(c.suffix) - len(head)]
    if head and (not gap or gap in rules.headed.generic_modifiers):
        core = practice_key(ntext[c.core_start:c.core_end])
        if core in groups:
            return core
    return key


def _describe(mentions: list[tuple[Candidate, Sentence]], accepted: Candidate, text: str, ntext: str,
              rules: MechanismRules) -> Mechanism:
    """The practice at its first mention: kind, definition (from the first mention that has
    one, else the spelled-out abbreviation), parts, and the rule ids that found them."""
    first, sent = mentions[0]
    right = ntext[first.core_end + 1:first.core_end + 12] if first.quoted and not first.suffix else ""
    kind, _ = kind_of(first.name, rules.kinds, right)
    definition, dstart, drule = "", None, ""
    for c, s in mentions:
        definition, dstart, drule = find_definition(ntext, c, s, rules)
        if definition:
            break
    cfg = rules.components
    after = list_after(ntext, first) or steps_after(ntext, definition, dstart, cfg)
    core = ntext[first.core_start:first.core_end] if first.quoted else ""
    comps, crule = components_of(first.name, definition, cfg, after, core)
    if not comps:
        comps, crule, span = abbreviation_parts(core or first.name, ntext, first.start, cfg.abbreviation)
        if comps and not definition:
            definition, dstart, drule = ntext[span[0]:span[1]], span[0], crule
    if not comps:
        # to the end of the name's sentence, but not past a semicolon: what follows one is
        # the next thing the article lists (…“两计划两行动”…;…搭建交流经验、碰撞思想的平台)
        rest = SEMICOLON.split(ntext[first.end:sent.end], maxsplit=1)[0]
        comps, crule = sentence_parts(core or first.name, rest, cfg)
    if comps:
        source_start = min(x for x in (dstart, first.core_start, first.end) if x is not None)
        comps = _surface_parts(comps, ntext, text, source_start)
    if dstart is not None:
        definition = text[dstart:dstart + len(definition)]
    rule = "+".join(x for x in (accepted.rule, drule, crule) if x)
    return Mechanism(start=first.start, end=first.end, name=surface(text, first.start, first.end), kind=kind,
                     definition=definition, definition_start=dstart, components=comps,
                     sentence_start=sent.start, sentence_end=sent.end, rule=rule)


def _drop_nested(mechs: list[Mechanism]) -> list[Mechanism]:
    """A name whose span lies inside another kept name's span is part of it: 红色管家 in 红色管家社区共治委员会.

    >>> def at(start, end):
    ...     return Mechanism(start=start, end=end, name="", kind="brand")
    >>> [(m.start, m.end) for m in _drop_nested([at(0, 4), at(0, 9), at(2, 5), at(0, 4), at(9, 12)])]
    [(0, 9), (9, 12)]
    """
    nested = _nested_spans(mechs)
    return [m for m in mechs if (m.start, m.end) not in nested]


def _nested_spans(mechs: list[Mechanism]) -> set[tuple[int, int]]:
    """The spans inside another span, in one sweep rather than every pair: taken by start
    and then longest first, a span lies inside another exactly when a span taken before it
    reaches as far as it does (a span taken before starts no later, or starts with it and
    is longer)."""
    nested, reach = set(), None  # reach: the furthest end of the spans taken so far
    for start, end in sorted({(m.start, m.end) for m in mechs}, key=lambda span: (span[0], -span[1])):
        if reach is not None and reach >= end:
            nested.add((start, end))
        reach = end if reach is None else max(reach, end)
    return nested


def surface(text: str, start: int, end: int) -> str:
    """The name as the source writes it, quotes dropped: ``"红色物业"`` → 红色物业.

    >>> surface('以"红色物业"为抓手', 1, 7)
    '红色物业'
    """
    return QUOTE_MARK.sub("", text[start:end]).strip()


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
