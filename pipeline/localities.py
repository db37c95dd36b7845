"""Tagged → Places: the place names of a body, resolved, and the locality in effect at any offset.

Three steps:

1. *Mentions.* Administrative names from the gazetteer (江苏省, 南京市, 鼓楼区; short forms
   like 南京 only where jieba tags them ns), streets and communities that the gazetteer lists
   under a district the document names (宁海路街道), and unlisted names made of a proper-name
   prefix and a suffix from ``data/locality_suffixes.tsv`` (荆城楼宇社区, 风格城事小区).
   Adjacent mentions form a chain: 鄞州区中河街道城兴社区风格城事小区.
2. *Resolution.* A chain narrows its own candidates (福建福州市鼓楼区 → 350102); a name
   still ambiguous takes the province or city the rest of the document names; a bare
   鼓楼区 in a text naming no city stays unresolved (no guess) and is not a place.
3. *Scope.* A mention at a clause start (or after 在/于) sets the locality from there to the
   end of its paragraph; a short lead-in sentence belongs to the next sentence's place;
   elsewhere the document's locality holds: the deepest place the article dwells on.

The rules are data in ``settings.data_dir``: the suffixes (``locality_suffixes.tsv``), the
word lists (``locality_stoplist.tsv``), and the id each kind of mention writes on its rows
with the thresholds of the three steps (``locality_rules.json``, read into ``LocalityRules``
and checked: a file the code cannot use is refused with its path and the entry at fault).
"""
from __future__ import annotations

import bisect
import functools
import re
from collections import Counter
from dataclasses import dataclass, field, fields, replace
from pathlib import Path

from . import gazetteer as gaz
from .records import Locality, PlacedSpan, Sentence
from .rules import load_rule_file
from .settings import DATA_DIR, Settings
from .tables import TableError, read_table
from .tagging import Tagged

CJK = re.compile(r"[\u4e00-\u9fff]+")
LEVEL_RANK = {"province": 0, "city": 1, "district": 2, "street": 3, "community": 4, "estate": 5}
RULES_FILE = "locality_rules.json"


@dataclass(frozen=True)
class MentionRule:
    """A way of finding a place name; its id goes on the rows it makes."""

    id: str


@dataclass(frozen=True)
class Count:
    id: str
    value: int

    def __post_init__(self):
        if self.value < 0:
            raise ValueError(f"want 0 or more, found {self.value}")


@dataclass(frozen=True)
class Share:
    id: str
    value: float

    def __post_init__(self):
        if not 0 < self.value <= 1:
            raise ValueError(f"want a share above 0 and at most 1, found {self.value}")


@dataclass(frozen=True)
class Characters:
    """Characters any one of which counts: ``text[i] in value``."""

    id: str
    value: str

    def __post_init__(self):
        if not self.value:
            raise ValueError("want one or more characters, found none")


@dataclass(frozen=True)
class Words:
    id: str
    value: tuple[str, ...]

    def __post_init__(self):
        if not self.value or not all(self.value):
            raise ValueError(f"want one or more non-empty words, found {list(self.value)}")


@dataclass(frozen=True)
class LocalityRules:
    """``data/locality_rules.json``, checked: the id each kind of mention writes on its rows,
    and the thresholds and word classes of the three steps (what each means: the file)."""

    admin: MentionRule
    alias: MentionRule
    district_alias: MentionRule
    known_sub: MentionRule
    max_prefix_chars: Count
    max_listed_chars: Count
    listed_suffixes: Words
    name_pos: Words  # tag prefixes, for str.startswith
    proper_pos: Words
    clause_breaks: Characters
    dominance: Share
    title_weight: Count
    lead_weight: Count
    lead_in_max_chars: Count
    heading_max_chars: Count
    heading_ends: Characters
    quotes_before_name: Characters

    def __post_init__(self):
        seen: dict[str, str] = {}
        for f in fields(self):
            rule_id = getattr(self, f.name).id
            if not rule_id.strip():
                raise ValueError(f"{f.name}: an empty id (every rule needs one)")
            if rule_id in seen:
                raise ValueError(f"id {rule_id} is both {seen[rule_id]}'s and {f.name}'s")
            seen[rule_id] = f.name


@dataclass(frozen=True)
class SuffixRule:
    id: str
    suffix: str
    level: str
    mode: str  # lone or chained


@dataclass(frozen=True)
class Lexicon:
    suffixes: tuple[SuffixRule, ...]  # longest first
    words: dict  # kind → {word: rule id}
    rules: LocalityRules
    # how the listed streets and communities looked for end: a lone suffix or a listed ending (村)
    listed_endings: tuple[str, ...]


def suffix_rules(path: Path) -> tuple[SuffixRule, ...]:
    """The suffix table's rows; a TableError naming the file and the rule for a level or
    mode the code does not know."""
    out = []
    for row in read_table(path, ("id", "suffix", "level", "mode", "note?"), unique_ids=True):
        rule = SuffixRule(*row[:4])
        if rule.level not in LEVEL_RANK or rule.mode not in ("lone", "chained") or not rule.suffix:
            raise TableError(f"{path}: rule {rule.id}: want a suffix, a level ({', '.join(LEVEL_RANK)}) and "
                             f"a mode (lone or chained), found {rule.suffix!r}, {rule.level!r}, {rule.mode!r}")
        out.append(rule)
    return tuple(out)


@functools.lru_cache(maxsize=4)
def lexicon(data_dir: Path = DATA_DIR) -> Lexicon:
    """The stage's rule files in ``data_dir``, read once per folder."""
    suffixes = suffix_rules(data_dir / "locality_suffixes.tsv")
    words: dict[str, dict[str, str]] = {}
    for rid, word, kind, *_ in read_table(data_dir / "locality_stoplist.tsv", ("id", "word", "kind", "note?"),
                                          unique_ids=True):
        words.setdefault(kind, {})[word] = rid
    rules = load_rule_file(data_dir / RULES_FILE, LocalityRules)
    suffixes = tuple(sorted(suffixes, key=lambda s: -len(s.suffix)))
    listed_endings = tuple(s.suffix for s in suffixes if s.mode == "lone") + rules.listed_suffixes.value
    return Lexicon(suffixes, words, rules, listed_endings)


@dataclass
class Mention:
    """A place name at [start, end): admin candidates (adcodes) or a sub-district name."""

    start: int
    end: int
    text: str
    level: str
    rule: str
    candidates: tuple[str, ...] = ()  # adcodes, for province/city/district
    district: str = ""  # for a gazetteer-known street/community: its district's adcode
    paragraph: int = 0
    sentence: int = 0
    locality: Locality | None = None
    chained: bool = False  # directly after another mention: 鼓楼区|宁海路街道
    scoping: bool = False


@dataclass
class Places:
    """What find_places returns; ``locality_at`` answers for any offset of the text."""

    places: list[PlacedSpan] = field(default_factory=list)
    document_locality: Locality | None = None
    mentions: list[Mention] = field(default_factory=list)  # with rule ids, for provenance
    sentences: list[Sentence] = field(default_factory=list)
    rules: LocalityRules = field(default_factory=lambda: lexicon().rules)  # thresholds of scope

    def locality_at(self, offset: int) -> Locality | None:
        """Most specific locality in effect: earlier in the paragraph, else a lead-in's next
        sentence, else the document's.

        In 鼓楼区宁海路街道是…。今年,宁海路街道开展…247个…  247个 is at 宁海路街道.
        """
        i = self._sentence_index(offset)
        if i is None:
            return self.document_locality
        sent = self.sentences[i]
        scoped = [m for m in self.mentions if m.scoping and m.paragraph == sent.paragraph and m.start < offset]
        if scoped:
            return max(scoped, key=lambda m: (m.start, LEVEL_RANK[m.level])).locality
        if self._is_lead_in(i):
            nxt = [m for m in self.mentions if m.scoping and m.sentence == i + 1]
            if nxt:
                return min(nxt, key=lambda m: m.start).locality
        return self.document_locality

    def in_heading(self, offset: int) -> bool:
        """Is ``offset`` in a section heading (“三问于民”让老旧小区改造更贴民心), which says
        no place of its own?"""
        i = self._sentence_index(offset)
        return i is not None and self._is_heading(i)

    def adjacent(self, offset: int) -> Locality | None:
        """The place written right before ``offset`` (a quote between allowed), or None:
        南院门街道“书院红” → 南院门街道 for the name 书院红."""
        for m in self.mentions:
            if m.locality is not None and m.end <= offset <= m.end + 1 and (
                    m.end == offset or self._char(m.end) in self.rules.quotes_before_name.value):
                return m.locality
        return None

    @functools.cached_property
    def _sentence_starts(self) -> list[int]:
        return [s.start for s in self.sentences]

    def _sentence_index(self, offset: int) -> int | None:
        """Index of the body sentence holding ``offset``, or None outside the body."""
        i = bisect.bisect_right(self._sentence_starts, offset) - 1
        return i if i >= 0 and offset < self.sentences[i].end else None

    def _char(self, offset: int) -> str:
        i = self._sentence_index(offset)
        return "" if i is None else self.sentences[i].text[offset - self.sentences[i].start]

    def _opens_paragraph(self, i: int) -> bool:
        return i == 0 or self.sentences[i - 1].paragraph != self.sentences[i].paragraph

    def _closes_paragraph(self, i: int) -> bool:
        return i + 1 == len(self.sentences) or self.sentences[i + 1].paragraph != self.sentences[i].paragraph

    def _is_heading(self, i: int) -> bool:
        text = self.sentences[i].text
        return (self._opens_paragraph(i) and self._closes_paragraph(i)
                and len(text.strip()) <= self.rules.heading_max_chars.value
                and not text.rstrip().endswith(tuple(self.rules.heading_ends.value)))

    def _is_lead_in(self, i: int) -> bool:
        return (self._opens_paragraph(i) and not self._closes_paragraph(i)
                and len(self.sentences[i].text) <= self.rules.lead_in_max_chars.value)


def find_places(tagged: Tagged, settings: Settings) -> Places:
    """Every place name of the body, resolved, with the document's locality.

    南京市鼓楼区开展… → 南京市 (320100), 鼓楼区 (320106); a later bare 鼓楼区 is 320106 too.
    """
    g = gaz.load()
    lex = lexicon(settings.data_dir)
    sentences = list(tagged.sentences)
    mentions: list[Mention] = []
    bounds = [_token_bounds(sent) for sent in sentences]  # read by every step below
    for si, sent in enumerate(sentences):
        mentions += admin_mentions(sent, si, g, lex, bounds[si])
    title_mentions = _title_mentions(tagged, g, lex)
    resolve_admin(mentions + title_mentions, g)
    districts = _document_districts(mentions + title_mentions, g)
    known = KnownSubunits(g, lex, *districts)
    for si, sent in enumerate(sentences):
        found = [m for m in mentions if m.sentence == si]
        extra = district_alias_mentions(sent, si, g, lex, districts[0], found, bounds[si])
        extra += sub_mentions(sent, si, known, lex, found + extra, bounds[si])
        mentions += extra
    mentions = [m for m in mentions if m.candidates or m.level in ("street", "community", "estate")]
    mentions.sort(key=lambda m: m.start)
    _mark_chains(mentions)
    first_para = sentences[0].paragraph if sentences else 0
    attach_sub_units(mentions, g, _draft_document_locality(mentions, title_mentions, first_para, lex.rules))
    mentions = [m for m in mentions if m.locality is not None]
    doc_loc = document_locality(mentions, [m for m in title_mentions if m.locality], first_para, lex.rules)
    _mark_scoping(mentions, sentences, doc_loc, lex)
    places = [PlacedSpan(m.start, m.end, m.locality, m.rule) for m in mentions]
    return Places(places, doc_loc, mentions, sentences, lex.rules)


# ---- step 1: mentions -------------------------------------------------------------------


TokenBounds = tuple[set[int], set[int], dict[int, str]]


def _token_bounds(sent: Sentence) -> TokenBounds:
    """Where the sentence's tokens start and end, and each one's tag by its start."""
    starts = {t.start for t in sent.tokens}
    ends = {t.end for t in sent.tokens}
    pos = {t.start: t.pos for t in sent.tokens}
    return starts, ends, pos


def admin_mentions(sent: Sentence, si: int, g: gaz.Gazetteer, lex: Lexicon,
                   bounds: TokenBounds | None = None) -> list[Mention]:
    """Province, city and district names, longest first, starting on a token.

    江苏省南京市鼓楼区 → three mentions; 南京大学 and 江苏省委 → none (one token, or an
    organisation suffix); 南京 alone only when jieba tags it ns.
    """
    _, ends, pos = bounds or _token_bounds(sent)
    text, base = sent.text, sent.start
    prefixes = _prefixes(g.names_and_aliases)
    out: list[Mention] = []
    end = 0
    for t in sent.tokens:  # a name starts where a token does, and not inside the last name
        i = t.start - base
        if i < end or text[i:i + 2] not in prefixes:
            continue
        found = _longest_admin(text, i, base, g, ends, pos, lex.rules)
        if found is None:
            continue
        length, codes, rule = found
        end = i + length
        if _org_follows(text, end, lex):
            continue
        level = g.regions[codes[0]].level
        out.append(Mention(base + i, base + end, text[i:end], level, rule, tuple(codes),
                           paragraph=sent.paragraph, sentence=si))
    return _drop_unchained_common(out, lex)


def _longest_admin(text: str, i: int, base: int, g: gaz.Gazetteer, ends: set[int], pos: dict[int, str],
                   rules: LocalityRules):
    for length in range(min(g.max_name, len(text) - i), 1, -1):
        piece = text[i:i + length]
        if piece in g.by_name:
            return length, g.by_name[piece], rules.admin.id
        if piece in g.by_alias and base + i + length in ends and pos.get(base + i) == "ns":
            codes = [c for c in g.by_alias[piece] if g.regions[c].level in ("province", "city")]
            if codes:
                return length, codes, rules.alias.id
    return None


def _org_follows(text: str, end: int, lex: Lexicon) -> bool:
    rest = text[end:end + 4]
    return any(rest.startswith(w) for w in lex.words.get("org_suffix", {}))


def _drop_unchained_common(mentions: list[Mention], lex: Lexicon) -> list[Mention]:
    """城区, 新县: a two-character or common-word name counts only right after its parent."""
    common = lex.words.get("chained_only", {})
    out = []
    for k, m in enumerate(mentions):
        if m.text in common or len(m.text) <= 2 and m.rule == lex.rules.admin.id:
            prev = mentions[k - 1] if k else None
            if prev is None or prev.end != m.start:
                continue
        out.append(m)
    return out


def _title_mentions(tagged: Tagged, g: gaz.Gazetteer, lex: Lexicon) -> list[Mention]:
    """Mentions in a title that is not also a body line (for context and weight only: its
    offsets are the title's own). Tagged with the configured tokenizer, like the body."""
    title = tagged.document.title.strip()
    if not title or any(title in s.text or s.text in title for s in tagged.sentences[:3]):
        return []
    return admin_mentions(Sentence(0, len(title), title, -1, tagged.title_tokens), -1, g, lex)


def district_alias_mentions(sent: Sentence, si: int, g: gaz.Gazetteer, lex: Lexicon, districts: tuple[str, ...],
                            found: list[Mention], bounds: TokenBounds | None = None) -> list[Mention]:
    """鼓楼 / 鄞州 written short, once the document has named the district in full."""
    starts, ends, _ = bounds or _token_bounds(sent)
    out = []
    for code in districts:
        alias = g.aliases.get(code, "")
        if len(alias) < 2 or alias == g.regions[code].name:
            continue
        for m in re.finditer(re.escape(alias), sent.text):
            s, e = sent.start + m.start(), sent.start + m.end()
            if s in starts and e in ends and not _covered(s, e, found + out) \
                    and not _org_follows(sent.text, m.end(), lex):  # 鼓楼医院
                out.append(Mention(s, e, alias, "district", lex.rules.district_alias.id, (code,),
                                   paragraph=sent.paragraph, sentence=si))
    return out


def _covered(s: int, e: int, mentions: list[Mention]) -> bool:
    return any(m.start < e and s < m.end for m in mentions)


def sub_mentions(sent: Sentence, si: int, known: KnownSubunits, lex: Lexicon, found: list[Mention],
                 bounds: TokenBounds | None = None) -> list[Mention]:
    """Streets, communities and estates: gazetteer-listed ones first, then suffix patterns.

    鼓楼区湖南路街道南秀村社区 → 湖南路街道 (listed), 南秀村社区 (pattern, after a place).
    """
    prefixes = known.prefixes
    bounds = bounds or _token_bounds(sent)
    out: list[Mention] = []
    text, base = sent.text, sent.start
    for k in sorted(s - base for s in bounds[0]):  # a name starts where a token does
        if text[k:k + 2] not in prefixes or _covered(base + k, base + k + 1, found + out):
            continue
        for length in range(min(lex.rules.max_listed_chars.value, len(text) - k), 2, -1):
            hit = known.get(text[k:k + length])
            if hit:
                code, unit = hit
                length += _renamed_suffix(text[k + length:], unit, lex)
                out.append(Mention(base + k, base + k + length, text[k:k + length], unit.level, lex.rules.known_sub.id,
                                   district=code, paragraph=sent.paragraph, sentence=si))
                break
    out += _pattern_subs(sent, si, lex, found + out, bounds)
    return out


def _renamed_suffix(rest: str, unit: gaz.SubUnit, lex: Lexicon) -> int:
    """南秀村|社区, 仙林新村|小区: a listed village written with a community or estate suffix
    is that unit under its current name; the suffix joins the mention."""
    for rule in lex.suffixes:
        if rest.startswith(rule.suffix) and LEVEL_RANK[rule.level] >= LEVEL_RANK[unit.level]:
            return len(rule.suffix)
    return 0


class KnownSubunits:
    """Listed streets and communities of the districts a document concerns, by name.

    Districts the text names win; a name listed under two unnamed districts of the city is
    left to the suffix patterns (the text does not say which district it is). Each
    district's list is read once per process; the choice between districts is made per
    hit, since the set of districts differs from one document to the next."""

    def __init__(self, g: gaz.Gazetteer, lex: Lexicon, named: tuple[str, ...], others: tuple[str, ...]):
        self.named = tuple(dict.fromkeys(named))
        self.others = tuple(c for c in dict.fromkeys(others) if c not in self.named)
        endings = lex.listed_endings
        self.by_code = {c: _listed_subunits(g, c, endings) for c in self.named + self.others}
        self.prefixes = frozenset().union(*(_listed_prefixes(g, c, endings) for c in self.by_code))

    def get(self, name: str):
        """(district adcode, SubUnit) for a listed name, or None: 湖南路街道 → ('320106', …)."""
        for code in self.named:
            unit = self.by_code[code].get(name)
            if unit:
                return code, unit
        hits = [(code, self.by_code[code][name]) for code in self.others if name in self.by_code[code]]
        return hits[0] if len(hits) == 1 else None


@functools.lru_cache(maxsize=1024)
def _listed_subunits(g: gaz.Gazetteer, code: str, endings: tuple[str, ...]) -> dict:
    """{name: SubUnit}: a district's listed streets and communities whose names end in one
    of ``endings`` (``Lexicon.listed_endings``)."""
    return {n: u for n, u in g.subunits(code).items() if len(n) >= 3 and n.endswith(endings)}


@functools.lru_cache(maxsize=1024)
def _listed_prefixes(g: gaz.Gazetteer, code: str, endings: tuple[str, ...]) -> frozenset[str]:
    return frozenset(n[:2] for n in _listed_subunits(g, code, endings))


@functools.lru_cache(maxsize=64)
def _prefixes(names: frozenset[str]) -> frozenset[str]:
    """First two characters of each name: most positions in a sentence start none of them."""
    return frozenset(n[:2] for n in names)


def _pattern_subs(sent: Sentence, si: int, lex: Lexicon, found: list[Mention],
                  bounds: TokenBounds | None = None) -> list[Mention]:
    starts, _, pos = bounds or _token_bounds(sent)
    text, base = sent.text, sent.start
    out: list[Mention] = []
    for rule in lex.suffixes:
        if rule.suffix not in text:  # most sentences hold none of the suffixes
            continue
        for m in re.finditer(re.escape(rule.suffix), text):
            s_abs, e_abs = base + m.start(), base + m.end()
            if s_abs not in starts or _covered(s_abs, e_abs, found + out):
                continue
            prefix_start = _prefix_start(sent, m.start(), rule, found + out, starts, pos, lex)
            if prefix_start is None:
                continue
            prefix = text[prefix_start:m.start()]
            if _generic_prefix(prefix, lex):
                continue
            out.append(Mention(base + prefix_start, e_abs, prefix + rule.suffix, rule.level, rule.id,
                               paragraph=sent.paragraph, sentence=si))
    return out


def _prefix_start(sent: Sentence, at: int, rule: SuffixRule, found: list[Mention], starts: set[int],
                  pos: dict[int, str], lex: Lexicon) -> int | None:
    """Where the proper-name prefix before a suffix begins, or None when there is none.

    After a mention (鼓楼区|宁海路|街道) the prefix runs from its end; a lone name must run
    back to a clause start or a locative (…,东胜|街道; 在|三坊七巷|社区).
    """
    text, base, rules = sent.text, sent.start, lex.rules
    before = [m for m in found if m.end <= base + at and base + at - m.end <= rules.max_prefix_chars.value]
    if before:
        prev = max(before, key=lambda m: m.end)
        begin = prev.end - base
        if _prefix_ok(text[begin:at], base + begin, base + at, starts, pos, rules.name_pos.value) \
                and LEVEL_RANK.get(prev.level, 9) < LEVEL_RANK[rule.level]:
            return begin
    if rule.mode != "lone":
        return None
    toks = [t for t in sent.tokens if t.end <= base + at]
    begin = at
    for t in reversed(toks):
        if base + at - t.start > rules.max_prefix_chars.value or not CJK.fullmatch(t.text) \
                or not t.pos.startswith(rules.name_pos.value):
            break
        begin = t.start - base
    if begin == at or at - begin < 2:
        return None
    if not _clause_start(text, begin, sent, lex):
        return None
    proper = any(p.startswith(rules.proper_pos.value) for st, p in pos.items() if base + begin <= st < base + at)
    if not proper or not _prefix_ok(text[begin:at], base + begin, base + at, starts, pos, rules.name_pos.value):
        return None
    return begin


def _prefix_ok(prefix: str, s: int, e: int, starts: set[int], pos: dict[int, str], name_pos: tuple[str, ...]) -> bool:
    """All CJK, starting on a token, every token a noun (宁海/ns 路/n; not 在/p 新一届/b)."""
    if not prefix or not CJK.fullmatch(prefix) or s not in starts:
        return False
    return all(p.startswith(name_pos) for st, p in pos.items() if s <= st < e)


def _generic_prefix(prefix: str, lex: Lexicon) -> bool:
    """街道社区, 老旧小区, 该社区, 各街道: a determiner or a type word, not a name."""
    if prefix in lex.words.get("prefix", {}):
        return True
    return any(prefix.startswith(w) for w in lex.words.get("prefix_start", {}))


def _clause_start(text: str, at: int, sent: Sentence, lex: Lexicon) -> bool:
    """At the sentence start, after a clause break, or after 在/于."""
    if at == 0 or text[at - 1] in lex.rules.clause_breaks.value:
        return True
    return any(text[:at].endswith(w) for w in lex.words.get("locative", {}))


# ---- step 2: resolution ------------------------------------------------------------------


def _mark_chains(mentions: list[Mention]) -> None:
    for a, b in zip(mentions, mentions[1:]):
        if a.end == b.start and a.sentence == b.sentence:
            b.chained = True


def _chains(mentions: list[Mention]) -> list[list[Mention]]:
    chains: list[list[Mention]] = []
    for m in sorted(mentions, key=lambda m: (m.sentence, m.start)):
        if chains and chains[-1][-1].end == m.start and chains[-1][-1].sentence == m.sentence:
            chains[-1].append(m)
        else:
            chains.append([m])
    return chains


def resolve_admin(mentions: list[Mention], g: gaz.Gazetteer) -> None:
    """Narrow each admin mention's candidates: by its chain, then by the document's context.

    福建福州市鼓楼区 → 350102. A bare 鼓楼区 takes the city the document names elsewhere
    (南京市 → 320106); with no such city it keeps all four and is dropped later.
    """
    for chain in _chains(mentions):
        _narrow_chain(chain, g)
    context = Counter()
    for m in mentions:
        if len(m.candidates) == 1:
            for r in g.lineage(m.candidates[0])[:-1] + [g.regions[m.candidates[0]]]:
                context[r.adcode] += 1
    for m in mentions:
        if len(m.candidates) > 1:
            m.candidates = _by_context(m.candidates, context, g)


def _narrow_chain(chain: list[Mention], g: gaz.Gazetteer) -> None:
    for upper, lower in zip(chain, chain[1:]):
        if not upper.candidates or not lower.candidates:
            continue
        inside = tuple(c for c in lower.candidates if any(g.is_within(c, u) for u in upper.candidates))
        if inside:
            lower.candidates = inside
            upper.candidates = tuple(u for u in upper.candidates if any(g.is_within(c, u) for c in inside))


def _by_context(candidates: tuple[str, ...], context: Counter, g: gaz.Gazetteer) -> tuple[str, ...]:
    """Keep the candidate whose city (else province) the document names most; ties stay."""
    for depth in (1, 0):  # city, then province
        scores = {}
        for c in candidates:
            lineage = g.lineage(c)
            scores[c] = context[lineage[depth].adcode] if len(lineage) > depth + 1 else 0
        best = max(scores.values())
        winners = tuple(c for c, v in scores.items() if v == best)
        if best > 0 and len(winners) == 1:
            return winners
    return candidates


def _document_districts(mentions: list[Mention], g: gaz.Gazetteer) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Districts whose streets are looked for: those named, then the other districts of the
    cities named (南京仙林街道 names no district; the gazetteer finds 仙林街道 in 栖霞区)."""
    resolved = [m.candidates[0] for m in mentions if len(m.candidates) == 1]
    named = [c for c in resolved if g.regions[c].level == "district"]
    cities = {c for c in resolved if g.regions[c].level == "city"}
    cities |= {g.regions[c].parent for c in named if g.regions[g.regions[c].parent].level == "city"}
    others = [c for city in cities for c in g.districts_of.get(city, ())]
    return tuple(sorted(set(named))), tuple(sorted(set(others) - set(named)))


def attach_sub_units(mentions: list[Mention], g: gaz.Gazetteer, draft: Locality | None) -> None:
    """Give every mention its Locality: admin by adcode; a sub-unit under the place before it
    in its chain, else under its listed district, else under the district in effect.

    东胜街道 alone in a 鄞州区 article → 浙江省/宁波市/鄞州区/东胜街道 (approximate coordinates).
    """
    last_district: dict[int, Locality] = {}  # paragraph → latest district named in it
    prev: Mention | None = None
    for m in mentions:
        if m.candidates:
            m.locality = g.locality(m.candidates[0]) if len(m.candidates) == 1 else None
            if m.locality is not None and m.level == "district":
                last_district[m.paragraph] = m.locality
        else:
            parent = _sub_parent(m, prev, g, draft, last_district.get(m.paragraph))
            m.locality = _sub_locality(m, parent) if parent is not None else None
        prev = m


def _sub_parent(m: Mention, prev: Mention | None, g: gaz.Gazetteer, draft: Locality | None,
                para_district: Locality | None) -> Locality | None:
    if m.chained and prev is not None and prev.locality is not None \
            and LEVEL_RANK[prev.level] < LEVEL_RANK[m.level]:
        parent = prev.locality
        if parent.level in ("province", "city"):  # 南京仙林街道: find the district below the city
            below = _district_below(parent, m, g, draft)
            parent = below or parent
        return parent
    if m.level == "estate":
        return None  # an estate counts only inside a chain (城兴社区风格城事小区)
    district = g.locality(m.district) if m.district else None
    doc_district = _district_of(draft)
    if district is None:
        district = para_district or doc_district
    if m.level == "community" and draft is not None and draft.level == "street" \
            and doc_district == district:
        return draft  # a community in an article about one street: under that street
    return district


def _district_below(city: Locality, m: Mention, g: gaz.Gazetteer, draft: Locality | None) -> Locality | None:
    if m.district and g.is_within(m.district, city.adcode):
        return g.locality(m.district)
    doc_district = _district_of(draft)
    if doc_district is not None and g.is_within(doc_district.adcode, city.adcode):
        return doc_district
    return None


def _district_of(loc: Locality | None) -> Locality | None:
    for node in (loc.lineage() if loc else [])[::-1]:
        if node.level == "district":
            return node
    return None


@functools.lru_cache(maxsize=4096)
def _sub_locality_cached(name: str, level: str, parent: Locality) -> Locality:
    return Locality(name, level, "", parent, parent.latitude, parent.longitude, True)


def _sub_locality(m: Mention, parent: Locality) -> Locality:
    """Streets and below carry their district's coordinates, marked approximate."""
    return _sub_locality_cached(m.text, m.level, parent)


# ---- step 3: document locality and scope -------------------------------------------------


def _weights(mentions: list[Mention], title: list[Mention], first_para: int, rules: LocalityRules) -> Counter:
    """Mentions counted for each place and its ancestors; the title (a separate line, or the
    body's first paragraph when the title is part of the body) and lead count extra."""
    weights: Counter = Counter()
    for m in mentions + title:
        if m.locality is None:
            continue
        w = (1 + (rules.title_weight.value if m.sentence < 0 else 0)
             + (rules.lead_weight.value if m.paragraph == first_para else 0))
        for node in m.locality.lineage():
            weights[node] += w
    return weights


def document_locality(mentions: list[Mention], title: list[Mention], first_para: int,
                      rules: LocalityRules) -> Locality | None:
    """The deepest place that holds at least half its parent's weight, from the top down.

    仙林街道 in an article about 仙林街道 (20 of 栖霞区's 22 mentions); 鄞州区 in one that
    names five of its streets once each.
    """
    weights = _weights(mentions, title, first_para, rules)
    roots = [loc for loc in weights if loc.parent is None and loc.level == "province"]
    if not roots:
        roots = [loc for loc in weights if loc.parent is None]
    if not roots:
        return None
    node = max(roots, key=lambda loc: weights[loc])
    while True:
        children = [loc for loc in weights if loc.parent == node]
        if not children:
            return node
        best = max(children, key=lambda loc: weights[loc])
        if (weights[best] < rules.dominance.value * weights[node]
                or sum(weights[c] == weights[best] for c in children) > 1):
            return node
        node = best


def _draft_document_locality(mentions: list[Mention], title: list[Mention], first_para: int,
                             rules: LocalityRules) -> Locality | None:
    """Before sub-units get parents: the document locality from admin names and listed streets."""
    draft = []
    g = gaz.load()
    for m in mentions:
        if m.candidates and len(m.candidates) == 1:
            draft.append(replace(m, locality=g.locality(m.candidates[0])))
        elif m.rule == rules.known_sub.id and m.level == "street":
            draft.append(replace(m, locality=_sub_locality(m, g.locality(m.district))))
    titles = [replace(m, locality=g.locality(m.candidates[0])) for m in title if len(m.candidates) == 1]
    return document_locality(draft, titles, first_para, rules)


def _mark_scoping(mentions: list[Mention], sentences: list[Sentence], doc_loc: Locality | None,
                  lex: Lexicon) -> None:
    """A chain sets the scope when it starts a clause (or follows 在/于) and lies in the
    document's city; 在深圳举行的… in a Nanjing street's article is a venue, not a scope."""
    scoped_in: dict[int, list[Mention]] = {}  # sentence → its scoping mentions so far
    for chain in _chains(mentions):
        head = chain[0]
        sent = sentences[head.sentence]
        if not _clause_start(sent.text, head.start - sent.start, sent, lex):
            continue
        last = chain[-1]
        if _foreign(last.locality, doc_loc):
            continue
        earlier = scoped_in.get(head.sentence, [])
        before = sent.text[:head.start - sent.start]
        if earlier and any(before.endswith(w) for w in lex.words.get("container", {})) and any(
                last.locality in m.locality.lineage() for m in earlier if m.locality):
            continue  # 碑林区位于西安城市中心: 西安 holds 碑林区, which stays the scope
        last.scoping = True
        scoped_in.setdefault(head.sentence, []).append(last)


def _foreign(loc: Locality | None, doc_loc: Locality | None) -> bool:
    if loc is None:
        return True
    if doc_loc is None or LEVEL_RANK[doc_loc.level] <= LEVEL_RANK["city"]:
        return False
    lineage = doc_loc.lineage()
    if loc in lineage:
        return False
    city = next((n for n in lineage if n.level == "city"), lineage[0])
    return city not in loc.lineage()
