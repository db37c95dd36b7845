"""What the mechanism rules read from ``data/mechanism_rules.json`` and ``mechanism_stoplist.tsv``, as frozen dataclasses loaded once per data folder.

Each class is one entry of the file, its fields the keys the code reads, under the same
names; an entry's ``id`` is the rule id a record carries (or the id of a rejection).
``load_rules(settings.data_dir)`` reads and checks both files: a wrong entry is one
``RuleError`` (or ``TableError``) naming the file and the entry.

>>> from pipeline.settings import DATA_DIR
>>> rules = load_rules(DATA_DIR)
>>> rules.headed.by_head["驿站"].need, rules.stoplist["神经末梢"]
('specific', 'MS-001')
"""
from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Iterable, Literal, Mapping

from .rules import Rule, load_rule_file
from .tables import read_table

Kind = Literal["formula", "numbered", "institution", "platform", "brand"]


@functools.lru_cache(maxsize=8)
def load_rules(data_dir: Path) -> "MechanismRules":
    """The rules of ``data_dir`` (a folder holding an edited copy is read on its own)."""
    rules = load_rule_file(Path(data_dir) / "mechanism_rules.json", MechanismRules)
    stop = read_table(Path(data_dir) / "mechanism_stoplist.tsv", ("id", "phrase", "class", "note?"), unique_ids=True)
    return replace(rules, stoplist={row[1]: row[0] for row in stop})


def any_of(words: Iterable[str]) -> re.Pattern:
    """One pattern for a lexicon: ``search`` finds whether a text holds any of its words,
    ``match`` whether it starts with one; one scan in C where a loop over the words asked
    each in turn (the judging asks thousands of times per document). An empty lexicon
    matches nothing, as no word of it can be found.

    >>> bool(any_of(["格局", "作用"]).search("社会治理格局")), bool(any_of([]).search("格局"))
    (True, False)
    """
    words = list(words)
    return re.compile("|".join(map(re.escape, words)) if words else "(?!)")


# ---------------------------------------------------------------- shared shapes

@dataclass(frozen=True)
class WordsRule:
    id: str
    words: tuple[str, ...]
    window: int  # characters looked at

    @functools.cached_property
    def pattern(self) -> re.Pattern:
        return any_of(self.words)

    @functools.cached_property
    def short_words(self) -> tuple[str, ...]:
        """The words that fit in the window."""
        return tuple(w for w in self.words if len(w) <= self.window)


@dataclass(frozen=True)
class RegexRule:
    id: str
    regex: re.Pattern


@dataclass(frozen=True)
class FollowedRule:
    id: str
    followed_by: re.Pattern  # what the text after the closing quote starts with


# ---------------------------------------------------------------- finding candidates

@dataclass(frozen=True)
class NameSuffixes:
    """Heads a text attaches after a closing quote: “13335”工作法; ``融合|0`` allows no gap."""
    id: str
    max_gap: int
    gap_stop_chars: str
    heads: tuple[str, ...]

    def __post_init__(self):
        for h in self.heads:
            if not h or "|" in h and not re.fullmatch("[0-9]+", h.split("|")[1]):
                raise ValueError(f"heads: {h!r} is not a head, or a head|gap with a whole number")

    @functools.cached_property
    def by_first_char(self) -> dict[str, tuple[tuple[str, int], ...]]:
        """{first character: ((head, the most characters allowed between quote and head), …)}, longest head first."""
        heads = sorted(((h.split("|")[0], int(h.split("|")[1]) if "|" in h else self.max_gap) for h in self.heads),
                       key=lambda hg: len(hg[0]), reverse=True)
        by_first: dict[str, list[tuple[str, int]]] = {}
        for head, max_gap in heads:
            by_first.setdefault(head[0], []).append((head, max_gap))
        return {c: tuple(hs) for c, hs in by_first.items()}

    @functools.cached_property
    def longest(self) -> int:
        return max(len(h.split("|")[0]) for h in self.heads)


@dataclass(frozen=True)
class Unquoted:
    """A name shape written without quotes: 建立…制度, 1+3+N, 四步法, 码上办."""
    id: str
    kind_hint: Kind  # the kind such names usually have (documentation: kinds decide)
    regex: re.Pattern  # with a group ``name``
    generic: tuple[str, ...] = ()  # names that name nothing particular
    generic_prefixes: tuple[str, ...] = ()

    def __post_init__(self):
        if "name" not in self.regex.groupindex:
            raise ValueError("regex: no (?P<name>…) group to cut the name")


@dataclass(frozen=True)
class Head:
    """A practice head noun an unquoted name ends with: 驿站, 工作法."""
    id: str
    head: str
    # any: the head is a brand itself (社区e家); specific: one word that is not a generic
    # facility word; named: a proper or invented word, not in the general dictionary
    need: Literal["any", "specific", "named"] = "specific"
    no_verb_before: bool = False
    right: re.Pattern | None = None  # what must follow the head

    def __post_init__(self):
        if not self.head:
            raise ValueError("head: empty")


@dataclass(frozen=True)
class Headed:
    id: str
    max_modifier_chars: int
    modifier_pos: tuple[str, ...]
    named_pos: tuple[str, ...]
    admin_suffixes: tuple[str, ...]
    stop_words: tuple[str, ...]
    determiners: tuple[str, ...]
    generic_modifiers: tuple[str, ...]
    heads: tuple[Head, ...]
    scope_words: tuple[str, ...]
    scope_levels: tuple[str, ...]

    def __post_init__(self):
        seen = [h.head for h in self.heads]
        again = next((h for h in seen if seen.count(h) > 1), None)
        if again:
            raise ValueError(f"heads: {again} is there twice")

    @functools.cached_property
    def pattern(self) -> re.Pattern:
        """Every head, longest first, as one pattern."""
        heads = sorted(self.heads, key=lambda h: len(h.head), reverse=True)
        return re.compile("|".join(re.escape(h.head) for h in heads))

    @functools.cached_property
    def by_head(self) -> dict[str, Head]:
        return {h.head: h for h in self.heads}


@dataclass(frozen=True)
class PlusFormula:
    id: str
    stop_words: tuple[str, ...]
    stop_pos: tuple[str, ...]
    right_stop_words: tuple[str, ...]


# ---------------------------------------------------------------- judging them

@dataclass(frozen=True)
class QuotePair:
    id: str
    regex: re.Pattern
    why: str = ""


@dataclass(frozen=True)
class HeadsRule:
    id: str
    heads: tuple[str, ...]


@dataclass(frozen=True)
class MetaphorFrame:
    id: str
    regex: re.Pattern
    followed_by: re.Pattern
    build_verbs: tuple[str, ...]

    @functools.cached_property
    def build_verb_pattern(self) -> re.Pattern:
        return any_of(self.build_verbs)


@dataclass(frozen=True)
class PosRule:
    id: str
    keep_pos: tuple[str, ...]


@dataclass(frozen=True)
class VerbalOnly:
    id: str
    nominal_pos_prefixes: tuple[str, ...]


@dataclass(frozen=True)
class CharsRule:
    id: str
    chars: tuple[str, ...]

    @functools.cached_property
    def pattern(self) -> re.Pattern:
        return any_of(self.chars)


@dataclass(frozen=True)
class LongQuote:
    id: str
    max_chars: int
    bad_chars: str

    @functools.cached_property
    def bad_char_pattern(self) -> re.Pattern:
        return any_of(self.bad_chars)


@dataclass(frozen=True)
class SentenceQuote:
    id: str
    end_chars: str
    spoken: tuple[str, ...]
    min_chars: int

    @functools.cached_property
    def end_char_pattern(self) -> re.Pattern:
        return any_of(self.end_chars)


@dataclass(frozen=True)
class ProblemStatement:
    id: str
    negators: tuple[str, ...]
    inner: tuple[str, ...]


@dataclass(frozen=True)
class ProblemAfter:
    """Quotes followed by a problem noun: “X”“Y”等老旧小区顽疾; between them 等 and at most
    ``max_gap`` characters of words whose tag starts with one of ``gap_pos``."""
    id: str
    nouns: tuple[str, ...]
    max_gap: int
    gap_pos: tuple[str, ...]

    @functools.cached_property
    def noun_pattern(self) -> re.Pattern:
        return any_of(self.nouns)


@dataclass(frozen=True)
class ListRule:
    id: str
    words: tuple[str, ...]

    @functools.cached_property
    def pattern(self) -> re.Pattern:
        return any_of(self.words)


@dataclass(frozen=True)
class PrefixRule:
    id: str
    prefixes: tuple[str, ...]


@dataclass(frozen=True)
class GenericKind:
    """A generic quality + a generic category word: “特色品牌”."""
    id: str
    qualities: tuple[str, ...]
    categories: tuple[str, ...]


@dataclass(frozen=True)
class CountedList:
    """The items of a 、-list before a counted set of programmes it spells."""
    id: str
    counted_by: str  # the id of the Unquoted shape that finds the counted set: MU-COUNTED
    max_item_chars: int
    venue_ends: tuple[str, ...]  # an item names a programme when it ends in a place or body
    generic_facilities: tuple[str, ...]


# ---------------------------------------------------------------- describing them

@dataclass(frozen=True)
class KindRule:
    """The first kind rule whose ``regex`` matches the name (or ``right`` the text after it) gives its kind."""
    id: str
    kind: Kind
    regex: re.Pattern | None = None
    right: re.Pattern | None = None
    unless: re.Pattern | None = None

    def __post_init__(self):
        if (self.regex is None) == (self.right is None):
            raise ValueError("want one of regex (on the name) or right (on the text after it)")


@dataclass(frozen=True)
class CueRule:
    id: str
    cues: tuple[str, ...]


@dataclass(frozen=True)
class ExplicitCue:
    id: str
    cues: tuple[str, ...]
    max_gap: int

    @functools.cached_property
    def pattern(self) -> re.Pattern:
        """The cues as one alternation, in the file's order (the first cue listed wins at a place)."""
        return re.compile("|".join(map(re.escape, self.cues)))


@dataclass(frozen=True)
class Before:
    id: str
    min_chars: int
    min_item_chars: float


@dataclass(frozen=True)
class Starters:
    id: str
    max_gap: int
    starters: tuple[str, ...]


@dataclass(frozen=True)
class Definition:
    explicit: ExplicitCue
    paren: Rule
    before: Before
    after: Starters
    lead_verbs: tuple[str, ...]
    next_sentence: Starters
    chain: Rule
    quote_run: Rule


@dataclass(frozen=True)
class Abbreviation:
    id: str
    max_item_chars: int


@dataclass(frozen=True)
class FormulaCounts:
    id: str
    object_verbs: tuple[str, ...]
    open_markers: tuple[str, ...]
    weak_markers: tuple[str, ...]


@dataclass(frozen=True)
class Roles:
    id: str
    regex: re.Pattern  # group 1: the part
    count_prefix: re.Pattern

    def __post_init__(self):
        if self.regex.groups < 1:
            raise ValueError("regex: no group to hold the part")


@dataclass(frozen=True)
class Components:
    id: str
    run_breakers: tuple[str, ...]
    item_cut: tuple[str, ...]
    steps: RegexRule
    chain: Rule
    name_list: Rule
    digit_formula: Rule
    abbreviation: Abbreviation
    formula_counts: FormulaCounts
    plus_words: Rule
    roles: Roles
    counted_list: Rule
    same_sentence: CueRule

    @functools.cached_property
    def breaker_pattern(self) -> re.Pattern:
        return any_of(self.run_breakers)


# ---------------------------------------------------------------- the file

@dataclass(frozen=True)
class MechanismRules:
    name_suffixes: NameSuffixes
    quote_pairs: tuple[QuotePair, ...]
    left_cues: WordsRule
    right_cues: WordsRule
    right_cue_exempt_heads: HeadsRule
    metaphor_frame: MetaphorFrame
    subjectless_predicate: Rule
    single_common_word: PosRule
    verbal_only: VerbalOnly
    pronoun: CharsRule
    same_prefix_list: Rule
    process_noun: RegexRule
    unquoted: tuple[Unquoted, ...]
    kinds: tuple[KindRule, ...]
    definition: Definition
    components: Components
    long_quote: LongQuote
    verb_phrase: FollowedRule
    headed: Headed
    plus_formula: PlusFormula
    sentence_quote: SentenceQuote
    problem_statement: ProblemStatement
    title: Rule
    motto: RegexRule
    change_pair: RegexRule
    state_count: RegexRule
    complaint: ListRule
    problem_after: ProblemAfter
    date_after: WordsRule
    figure: RegexRule
    abstract_head: HeadsRule
    size_metaphor: PrefixRule
    left_closing: WordsRule
    concern: RegexRule
    generic_kind: GenericKind
    byline: ListRule
    same_practice_heads: HeadsRule
    existential: ListRule
    counted_list: CountedList
    # quoted phrase → the id of its row in mechanism_stoplist.tsv: 神经末梢 → MS-001
    stoplist: Mapping[str, str] = field(default_factory=dict, metadata={"not_in_file": True})
