"""Tagged → Places: the place names of a body, resolved, and the locality in effect at any offset.

Three steps:

1. *Mentions.* Administrative names from the gazetteer (江苏省, 南京市, 鼓楼区; short forms
   like 南京 only where jieba tags them ns), streets and communities that the gazetteer lists
   under a district the document names (宁海路街道), and unlisted names made of a proper-name
   prefix and a suffix from ``data/locality_suffixes.tsv`` (荆城楼宇社区, 风格城事小区).
   Adjacent mentions form a chain: 鄞州区中河街道城兴社区风格城事小区. Development zones
   (宝鸡高新区; ``zones.py``) stand where a district does, directly under their city, and a
   bare 高新区 is its city's zone (LOC-ZONE, LOC-ZONE-GENERIC). An estate no list names is
   recognised by its shape at a clause start (，经典名门小区…; LS-ESTATE-SHAPE).
   In a text naming no city or district, a street listed under one district in the whole
   country (LOC-UNIQUE-STREET) or the publisher's city (广州日报; LOC-PUBLISHER) places it.
2. *Resolution.* A chain narrows its own candidates (福建福州市鼓楼区 → 350102); a name
   still ambiguous takes the province or city the rest of the document names; a bare
   鼓楼区 in a text naming no city stays unresolved (no guess) and is not a place.
3. *Scope.* A mention at a clause start (or after 在/于) sets the locality from there to the
   end of its paragraph; a short lead-in sentence belongs to the next sentence's place;
   elsewhere the document's locality holds: the deepest place the article dwells on.
   A list of places (禅城区、南海区) sets no scope; an estate holds until a sentence opens
   with a bare 社区/街道; in a street's or community's article a clause whose actor is a
   city organ (，市委…) speaks at the city's level. One name is one place: a community named
   in full once (红岸街道奋斗社区) keeps that path when named alone.
   A place in passing does not take over: the article's own city or district spoken of as
   a clause's actor (，我市…; 全县…) weighs for it against a lower place one example names
   (LOC-WHOLE-WEIGHT), and ends that lower place's scope in the paragraph (LOC-WHOLE-RETURN);
   a resident's home (家住…小区的居民) weighs nothing and holds for its clause only (LST-R01).

The rules are data in ``settings.data_dir``: the suffixes (``locality_suffixes.tsv``), the
word lists (``locality_stoplist.tsv``), and the id each kind of mention writes on its rows
with the thresholds of the three steps (``locality_rules.json``, read into ``LocalityRules``
and checked: a file the code cannot use is refused with its path and the entry at fault).
"""
from __future__ import annotations

import bisect
import functools
import operator
import re
from collections import Counter
from dataclasses import dataclass, field, fields, replace
from pathlib import Path

from . import gazetteer as gaz
from . import zones as zones_stage
from .records import TOKEN_END, TOKEN_START, Locality, PlacedSpan, Sentence
from .rules import Rule, load_rule_file
from .settings import DATA_DIR, Settings
from .tables import TableError, read_table
from .tagging import Tagged

CJK = re.compile(r"[\u4e00-\u9fff]+")
# a development zone (宝鸡高新区) stands where a district does: directly under its city
LEVEL_RANK = {"province": 0, "city": 1, "district": 2, "zone": 2, "street": 3, "community": 4, "estate": 5}
RULES_FILE = "locality_rules.json"
# lone: a proper name alone at a clause start (东胜街道); chained: only after its parent place
# (城兴社区风格城事小区); shape: a name of common nouns alone at a clause start (经典名门小区),
# which no gazetteer lists and jieba does not tag as a proper name
SUFFIX_MODES = ("lone", "chained", "shape")


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

    admin: Rule
    alias: Rule
    district_alias: Rule
    known_sub: Rule
    zone: Rule
    publisher: Rule
    zone_generic: Words  # the generic forms looked for
    zone_guess: Words  # heads after a city or district name that make a zone no list names
    unique_street: Rule
    max_prefix_chars: Count
    max_listed_chars: Count
    shape_max_chars: Count
    listed_suffixes: Words
    name_pos: Words  # tag prefixes, for str.startswith
    proper_pos: Words
    clause_breaks: Characters
    actor_breaks: Characters
    dominance: Share
    title_weight: Count
    lead_weight: Count
    whole_weight: Count
    lead_in_max_chars: Count
    heading_max_chars: Count
    heading_ends: Characters
    whole_returns: Characters
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
    # an estate's name right after a place (…社区|山水人家小区): a short run of CJK + an estate suffix
    estate_next: re.Pattern = re.compile(r"(?!)")


def suffix_rules(path: Path) -> tuple[SuffixRule, ...]:
    """The suffix table's rows; a TableError naming the file and the rule for a level or
    mode the code does not know."""
    out = []
    for row in read_table(path, ("id", "suffix", "level", "mode", "note?"), unique_ids=True):
        rule = SuffixRule(*row[:4])
        if rule.level not in LEVEL_RANK or rule.mode not in SUFFIX_MODES or not rule.suffix:
            raise TableError(f"{path}: rule {rule.id}: want a suffix, a level ({', '.join(LEVEL_RANK)}) and "
                             f"a mode ({', '.join(SUFFIX_MODES)}), found {rule.suffix!r}, {rule.level!r}, {rule.mode!r}")
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
    heads = "|".join(sorted({re.escape(s.suffix) for s in suffixes if s.level == "estate"}, key=len, reverse=True))
    estate_next = re.compile(rf"[\u4e00-\u9fff]{{2,{rules.shape_max_chars.value}}}?(?:{heads})") if heads else re.compile(r"(?!)")
    return Lexicon(suffixes, words, rules, listed_endings, estate_next)


@dataclass(eq=False)
class ZoneIndex:
    """The development zones of a data folder with what a sentence scan needs, built once."""

    zones: zones_stage.Zones
    lengths: dict  # first two characters → the lengths of the zone names starting so, longest first
    min_chars: int = 3  # 光谷, 泰达: two-character nicknames are too often other words


@functools.lru_cache(maxsize=4)
def zone_index(data_dir: Path = DATA_DIR) -> ZoneIndex:
    """The zones of ``data_dir`` (``zones.load``) indexed by their first two characters."""
    zones = zones_stage.load(data_dir)
    lengths: dict[str, set[int]] = {}
    for name in zones.by_name:
        if len(name) >= 3:
            lengths.setdefault(name[:2], set()).add(len(name))
    return ZoneIndex(zones, {k: tuple(sorted(v, reverse=True)) for k, v in lengths.items()})


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
    zones: tuple = ()  # for a development zone: the zones.Zone candidates (宝鸡高新区)
    paragraph: int = 0
    sentence: int = 0
    locality: Locality | None = None
    chained: bool = False  # directly after another mention: 鼓楼区|宁海路街道
    scoping: bool = False
    clause_only: bool = False  # a resident's home (家住…小区的居民): the scope of its clause only


@dataclass
class Places:
    """What find_places returns; ``locality_at`` answers for any offset of the text."""

    places: list[PlacedSpan] = field(default_factory=list)
    document_locality: Locality | None = None
    mentions: list[Mention] = field(default_factory=list)  # with rule ids, for provenance
    sentences: list[Sentence] = field(default_factory=list)
    opens_up: frozenset = frozenset()  # sentences that open with a bare 社区/街道 (Places._moved_up)
    organs: tuple = ()  # (word, level): 市委 → city (Places._organ_level)
    returns: tuple = ()  # (offset, level): a whole word (全市) opening a clause (Places._returned)
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
        scoped = self._last_scoping(sent.paragraph, i, offset)
        if scoped is not None:
            return scoped.locality
        if self._is_lead_in(i):
            nxt = [m for m in self._scoping_by_sentence.get(i + 1, ()) if not m.clause_only]
            if nxt:
                return min(nxt, key=lambda m: m.start).locality
        return self._organ_level(sent, offset) or self.document_locality

    def _last_scoping(self, paragraph: int, i: int, offset: int) -> Mention | None:
        """The scoping mention of the paragraph in effect at ``offset`` (sentence ``i``): the
        latest one before it still holding, the higher level's rank winning at one start.

        Read backwards from ``offset`` through the paragraph's scoping mentions (sorted by
        start), so that a document's cost stays linear in its size: a scan of every mention
        for every fact made a 1 MB document quadratic."""
        in_paragraph = self._scoping_by_paragraph.get(paragraph)
        if not in_paragraph:
            return None
        starts, mentions = in_paragraph
        best = None
        for j in range(bisect.bisect_left(starts, offset) - 1, -1, -1):
            m = mentions[j]
            if best is not None and m.start < best.start:
                break
            if (m.level == "estate" and self._moved_up(m.sentence, i)) or (
                    m.clause_only and self._clause_ended(m.end, offset)) or self._returned(m, offset):
                continue
            # at one start the higher rank wins, and at one rank the mention listed first
            if best is None or LEVEL_RANK[m.level] >= LEVEL_RANK[best.level]:
                best = m
        return best

    @functools.cached_property
    def _scoping_by_paragraph(self) -> dict[int, tuple[list[int], list[Mention]]]:
        """paragraph → (starts, scoping mentions), in the order of ``mentions`` (by start)."""
        out: dict[int, tuple[list[int], list[Mention]]] = {}
        for m in sorted((m for m in self.mentions if m.scoping), key=lambda m: m.start):
            starts, mentions = out.setdefault(m.paragraph, ([], []))
            starts.append(m.start)
            mentions.append(m)
        return out

    @functools.cached_property
    def _scoping_by_sentence(self) -> dict[int, list[Mention]]:
        out: dict[int, list[Mention]] = {}
        for m in self.mentions:
            if m.scoping:
                out.setdefault(m.sentence, []).append(m)
        return out

    def _organ_level(self, sent: Sentence, offset: int) -> Locality | None:
        """市委…确定了21个市直机关: in an article about a street or community, a clause whose
        actor is a city's (district's) organ, with no place named, speaks at that level."""
        doc = self.document_locality
        if doc is None or LEVEL_RANK[doc.level] < LEVEL_RANK["street"]:
            return None  # in a district's article 市委… still speaks of the district's work
        before = sent.text[:offset - sent.start]
        breaks = self.rules.actor_breaks.value
        for word, level in self.organs:
            at = before.find(word)
            while at >= 0:
                if at == 0 or before[at - 1] in breaks:  # the organ as the clause's actor
                    up = [n for n in doc.lineage() if n.level == level]
                    if up:
                        return up[0]
                at = before.find(word, at + 1)
        return None

    def _clause_ended(self, start: int, offset: int) -> bool:
        """Is there a clause break between ``start`` and ``offset`` (LOC-CLAUSE-BREAK)?"""
        i, j = self._sentence_index(start), self._sentence_index(offset)
        if i is None or i != j:
            return True
        sent = self.sentences[i]
        return any(c in self.rules.clause_breaks.value for c in sent.text[start - sent.start:offset - sent.start])

    def _returned(self, m: Mention, offset: int) -> bool:
        """Has a clause opening with a whole word of a higher level (全市…, 我区…) come between
        mention ``m`` and ``offset`` (LOC-WHOLE-RETURN): the text has gone back from the lower
        place to the article's own (柳北区某社区…。全市共有党员… → the city)."""
        ats, levels = self._returns_by_offset
        rank = LEVEL_RANK[m.level]
        return any(LEVEL_RANK[levels[k]] < rank
                   for k in range(bisect.bisect_right(ats, m.start), bisect.bisect_left(ats, offset)))

    @functools.cached_property
    def _returns_by_offset(self) -> tuple[list[int], list[str]]:
        ordered = sorted(self.returns)
        return [at for at, _ in ordered], [level for _, level in ordered]

    def _moved_up(self, since: int, i: int) -> bool:
        """Has a sentence after ``since`` up to ``i`` opened with a bare higher unit (社区还…,
        街道…): the text has left the estate for the community or street that holds it."""
        k = bisect.bisect_right(self._opens_up_sorted, since)
        return k < len(self._opens_up_sorted) and self._opens_up_sorted[k] <= i

    @functools.cached_property
    def _opens_up_sorted(self) -> list[int]:
        return sorted(self.opens_up)

    def in_heading(self, offset: int) -> bool:
        """Is ``offset`` in a section heading (“三问于民”让老旧小区改造更贴民心), which says
        no place of its own?"""
        i = self._sentence_index(offset)
        return i is not None and self._is_heading(i)

    def adjacent(self, offset: int) -> Locality | None:
        """The place written right before ``offset`` (a quote between allowed), or None:
        南院门街道“书院红” → 南院门街道 for the name 书院红."""
        for _, m in sorted(self._mentions_by_end.get(offset, []) + self._mentions_by_end.get(offset - 1, []),
                           key=lambda pair: pair[0]):  # the first in ``mentions`` that fits
            if m.locality is not None and (m.end == offset or self._char(m.end) in self.rules.quotes_before_name.value):
                return m.locality
        return None

    @functools.cached_property
    def _mentions_by_end(self) -> dict[int, list[tuple[int, Mention]]]:
        """end → (position in ``mentions``, mention): ``adjacent`` looks at two ends, not at all."""
        out: dict[int, list[tuple[int, Mention]]] = {}
        for k, m in enumerate(self.mentions):
            out.setdefault(m.end, []).append((k, m))
        return out

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
    zi = zone_index(settings.data_dir)
    sentences = list(tagged.sentences)
    mentions: list[Mention] = []
    bounds = SentenceBounds(sentences)  # read by every step below
    for si, sent in enumerate(sentences):
        found = admin_mentions(sent, si, g, lex, bounds[si], zi)
        mentions += found + short_zone_mentions(sent, si, zi, lex, found, bounds[si])
    title_mentions = _title_mentions(tagged, g, lex, zi)
    resolve_admin(mentions + title_mentions, g)
    districts = _document_districts(mentions + title_mentions, g)
    if not districts[0] and not districts[1]:  # the text names no city: the paper's name may
        title_mentions += publisher_mentions(tagged.document, g, lex)
        resolve_admin(mentions + title_mentions, g)
        districts = _document_districts(mentions + title_mentions, g)
    city_zones = _generic_zones(mentions + title_mentions, g, zi, lex)
    by_sentence = _by_sentence(mentions)  # each step below reads its sentence's mentions only
    for si, sent in enumerate(sentences):
        mentions += generic_zone_mentions(sent, si, city_zones, lex, by_sentence.get(si, []), bounds[si])
    if not districts[0] and not districts[1]:  # no district or city named: a street unique in the country
        districts = (unique_street_districts(sentences, g), ())
    known = KnownSubunits(g, lex, *districts)
    by_sentence = _by_sentence(mentions)
    for si, sent in enumerate(sentences):
        found = by_sentence.get(si, [])
        extra = district_alias_mentions(sent, si, g, lex, districts[0], found, bounds[si])
        extra += sub_mentions(sent, si, known, lex, found + extra, bounds[si])
        mentions += extra
    mentions = [m for m in mentions if m.candidates or m.zones or m.level in ("street", "community", "estate")]
    mentions.sort(key=lambda m: m.start)
    _mark_chains(mentions)
    _mark_residents(mentions, sentences, lex)
    first_para = sentences[0].paragraph if sentences else 0
    wholes = whole_mentions(sentences, lex)
    starts = {m.start for m in mentions}
    # 我市/全县 as a clause's actor; 我市吴兴区… only says whose district it is
    wholes = [(at, end, level, opens and end not in starts) for at, end, level, opens in wholes]
    actors = Counter(level for _, _, level, opens in wholes if opens)
    attach_sub_units(mentions, g, _draft_document_locality(mentions, title_mentions, first_para, lex.rules, actors),
                     frozenset(r.id for r in lex.suffixes if r.mode == "shape"))
    mentions = [m for m in mentions if m.locality is not None]
    doc_loc = document_locality(mentions, [m for m in title_mentions if m.locality], first_para, lex.rules, actors)
    _mark_scoping(mentions, sentences, doc_loc, lex)
    places = [PlacedSpan(m.start, m.end, m.locality, m.rule) for m in mentions]
    opens_up = frozenset(i for i, sent in enumerate(sentences)
                         if sent.text.lstrip().startswith(tuple(lex.words.get("unit_back", {})) or ("\0",)))
    organs = tuple((w, "city" if "市" in w else "district") for w in lex.words.get("level_organ", {}))
    returns = tuple((at, level) for at, _, level, opens in wholes if opens)
    return Places(places, doc_loc, mentions, sentences, opens_up, organs, returns, lex.rules)


def _by_sentence(mentions: list[Mention]) -> dict[int, list[Mention]]:
    """sentence index → its mentions, in their order (a filter of all mentions per sentence
    made a long document quadratic)."""
    out: dict[int, list[Mention]] = {}
    for m in mentions:
        out.setdefault(m.sentence, []).append(m)
    return out


# ---- step 1: mentions -------------------------------------------------------------------


class TokenBounds:
    """Where a sentence's tokens start and end, and each one's tag by its start, each made
    when first read: most sentences hold no name, suffix or ending that needs them."""

    def __init__(self, sent: Sentence):
        self.tokens = sent.tokens

    # mapped with itemgetters, in C: a set and a dict for every token of the sentences that need them
    @functools.cached_property
    def starts(self) -> set[int]:
        return set(map(TOKEN_START, self.tokens))

    @functools.cached_property
    def ends(self) -> set[int]:
        return set(map(TOKEN_END, self.tokens))

    @functools.cached_property
    def pos(self) -> dict[int, str]:
        return dict(map(_TOKEN_START_POS, self.tokens))


_TOKEN_START_POS = operator.itemgetter(0, 3)  # records.Token's start and tag


class SentenceBounds:
    """``TokenBounds`` of each sentence by index, made when first read and kept for the
    passes over the document, up to ``keep`` sentences (an article has a few hundred); past
    that (a yearbook, a 12 MB report) they are made again when read again: a set and a dict
    per token of every sentence, held at once, cost ~100 bytes a token (~400 MB for 12 MB)."""

    def __init__(self, sentences: list[Sentence], keep: int = 2_000):
        self.sentences, self.keep = sentences, keep
        self._made: dict[int, TokenBounds] = {}

    def __getitem__(self, i: int) -> TokenBounds:
        made = self._made.get(i)
        if made is None:
            if len(self._made) >= self.keep:
                self._made.clear()
            made = self._made[i] = TokenBounds(self.sentences[i])
        return made


def admin_mentions(sent: Sentence, si: int, g: gaz.Gazetteer, lex: Lexicon,
                   bounds: TokenBounds | None = None, zones: ZoneIndex | None = None) -> list[Mention]:
    """Province, city, district and development-zone names, longest first, starting on a token.

    江苏省南京市鼓楼区 → three mentions; 南京大学 and 江苏省委 → none (one token, or an
    organisation suffix); 南京 alone only when jieba tags it ns; 陕西省宝鸡高新区 → 陕西省
    and the zone 宝鸡高新区 (longer than the city 宝鸡).
    """
    bounds = bounds or TokenBounds(sent)
    text, base = sent.text, sent.start
    admin_lengths = _name_lengths(g)
    heads = _name_heads(g, zones)
    out: list[Mention] = []
    end = 0
    for t in sent.tokens:  # a name starts where a token does, and not inside the last name
        i = t.start - base
        if i < end:
            continue
        head = text[i:i + 2]
        if head not in heads:  # one look-up for the most tokens, which start no name of either kind
            continue
        zone = _longest_zone(text, i, zones) if zones is not None and head in zones.lengths else None
        admin_head = head in admin_lengths
        if not admin_head and zone is None:
            continue
        found = _longest_admin(text, i, base, g, bounds, lex.rules) if admin_head else None
        if zone is not None and (found is None or len(zone[0]) > found[0]):
            end = i + len(zone[0])
            if not _org_follows(text, end, lex):
                out.append(Mention(base + i, base + end, zone[0], "zone", lex.rules.zone.id, zones=zone[1],
                                   paragraph=sent.paragraph, sentence=si))
            continue
        if found is None:
            continue
        length, codes, rule = found
        end = i + length
        guessed = _guessed_zone(text, i, end, zones, lex) if zones is not None else None
        if guessed is not None:  # 庐江经开区 that no list names: the zone, not the county
            end = i + len(guessed.name)
            out.append(Mention(base + i, base + end, guessed.name, "zone", lex.rules.zone_guess.id,
                               zones=(guessed,), paragraph=sent.paragraph, sentence=si))
            continue
        if _org_follows(text, end, lex) and not _place_follows(text, end, base, g, bounds, lex.rules, codes):
            continue
        level = g.regions[codes[0]].level
        out.append(Mention(base + i, base + end, text[i:end], level, rule, tuple(codes),
                           paragraph=sent.paragraph, sentence=si))
    return _drop_unchained_common(out, lex)


def _longest_admin(text: str, i: int, base: int, g: gaz.Gazetteer, bounds: TokenBounds, rules: LocalityRules):
    room = len(text) - i
    for length in _name_lengths(g).get(text[i:i + 2], ()):  # only the lengths some name has
        if length > room:
            continue
        piece = text[i:i + length]
        if piece in g.by_name:
            return length, g.by_name[piece], rules.admin.id
        if piece in g.by_alias and base + i + length in bounds.ends and bounds.pos.get(base + i) == "ns":
            codes = [c for c in g.by_alias[piece] if g.regions[c].level in ("province", "city")]
            if codes:
                return length, codes, rules.alias.id
    return None


def short_zone_mentions(sent: Sentence, si: int, zones: ZoneIndex, lex: Lexicon, found: list[Mention],
                        bounds: TokenBounds | None = None) -> list[Mention]:
    """庐江工业园区: a short place name (no 县/区) + a zone's head, which no list names and the
    administrative scan does not see (short district names count only once named in full)."""
    heads = [h for h in lex.rules.zone_guess.value if h in sent.text]
    if not heads:
        return []
    starts = (bounds or TokenBounds(sent)).starts
    out: list[Mention] = []
    for head in heads:
        for m in re.finditer(re.escape(head), sent.text):
            for k in range(max(0, m.start() - 4), m.start() - 1):  # the longest place first
                s, e = sent.start + k, sent.start + m.end()
                if s not in starts or _covered(s, e, found + out):
                    continue
                zone = zones.zones.guess(sent.text[k:m.end()])
                if zone is not None:
                    out.append(Mention(s, e, zone.name, "zone", lex.rules.zone_guess.id, zones=(zone,),
                                       paragraph=sent.paragraph, sentence=si))
                    break
    return out


def _guessed_zone(text: str, i: int, end: int, zones: ZoneIndex, lex: Lexicon):
    """A place name followed by a zone's head (经开区, 工业园区) names a zone of that place
    (``Zones.guess``), or None."""
    rest = text[end:end + 8]
    head = next((h for h in lex.rules.zone_guess.value if rest.startswith(h)), "")
    return zones.zones.guess(text[i:end] + head) if head else None


def _longest_zone(text: str, i: int, zones: ZoneIndex) -> tuple[str, tuple] | None:
    """The longest zone name at ``text[i:]`` with its zones, or None; 浦东新区, a zone that is
    also a district, is left to the gazetteer."""
    for length in zones.lengths[text[i:i + 2]]:
        found = zones.zones.by_name.get(text[i:i + length]) if i + length <= len(text) else None
        if found:
            found = tuple(z for z in found if not z.is_admin_district)
            return (text[i:i + length], found) if found else None
    return None


def _place_follows(text: str, end: int, base: int, g: gaz.Gazetteer, bounds: TokenBounds, rules: LocalityRules,
                   codes) -> bool:
    """唐山市|路北区: what looks like an organisation suffix (路) begins a place inside this one."""
    found = _longest_admin(text, end, base, g, bounds, rules)
    return found is not None and any(g.is_within(c, u) for c in found[1] for u in codes)


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


def _title_mentions(tagged: Tagged, g: gaz.Gazetteer, lex: Lexicon, zones: ZoneIndex | None = None) -> list[Mention]:
    """Mentions in a title that is not also a body line (for context and weight only: its
    offsets are the title's own). Tagged with the configured tokenizer, like the body."""
    title = tagged.document.title.strip()
    if not title or any(title in s.text or s.text in title for s in tagged.sentences[:3]):
        return []
    return admin_mentions(Sentence(0, len(title), title, -1, tagged.title_tokens), -1, g, lex, zones=zones)


def district_alias_mentions(sent: Sentence, si: int, g: gaz.Gazetteer, lex: Lexicon, districts: tuple[str, ...],
                            found: list[Mention], bounds: TokenBounds | None = None) -> list[Mention]:
    """鼓楼 / 鄞州 written short, once the document has named the district in full."""
    bounds = bounds or TokenBounds(sent)
    out = []
    for code in districts:
        alias = g.aliases.get(code, "")
        if len(alias) < 2 or alias == g.regions[code].name or alias not in sent.text:
            continue
        for m in re.finditer(re.escape(alias), sent.text):
            s, e = sent.start + m.start(), sent.start + m.end()
            if s in bounds.starts and e in bounds.ends and not _covered(s, e, found + out) \
                    and not _org_follows(sent.text, m.end(), lex):  # 鼓楼医院
                out.append(Mention(s, e, alias, "district", lex.rules.district_alias.id, (code,),
                                   paragraph=sent.paragraph, sentence=si))
    return out


def publisher_mentions(document, g: gaz.Gazetteer, lex: Lexicon) -> list[Mention]:
    """The city or district a local paper or issuing office is named after, as a title-like
    mention: 广州日报 → 广州市, 中共鄞州区委组织部 → 鄞州区. A short name counts for a city
    only (新华网 names no 新华区); national media (中国…报, 人民网) name no place.

    >>> from pipeline.records import Document
    >>> [m.text for m in publisher_mentions(Document("a", "a", "", "", "", publisher="宝鸡日报"), gaz.load(), lexicon())]
    ['宝鸡']
    """
    out = []
    for source in (document.publisher, document.issuer):
        name = source.strip()
        for lead in lex.words.get("publisher_lead", {}):  # 中共
            if name.startswith(lead):
                name = name[len(lead):]
        for length in range(min(g.max_name, len(name) - 1), 1, -1):
            piece = name[:length]
            codes = [c for c in g.by_name.get(piece, []) if g.regions[c].level in ("city", "district")] + [
                c for c in g.by_alias.get(piece, []) if g.regions[c].level == "city"]  # 新华网 is no 新华区
            if codes:
                out.append(Mention(0, length, piece, g.regions[codes[0]].level, lex.rules.publisher.id,
                                   tuple(dict.fromkeys(codes)), paragraph=-1, sentence=-1))
                break
    return out


def _generic_zones(mentions: list[Mention], g: gaz.Gazetteer, zones: ZoneIndex, lex: Lexicon) -> dict[str, tuple]:
    """{generic form: (zone,)} for the one city a document names (cities of its districts and
    zones included): 宝鸡's 高新区. Nothing when it names none or several."""
    cities = set()
    for m in mentions:
        if len(m.candidates) == 1:
            city = next((r.adcode for r in g.lineage(m.candidates[0]) if r.level == "city"), "")
            if city:
                cities.add(city)
        elif len(m.zones) == 1:
            cities.add(m.zones[0].city_adcode)
    if len(cities) != 1:
        return {}
    city = cities.pop()
    out = {}
    for form in lex.rules.zone_generic.value:
        found = zones.zones.in_city(city, form)
        if len(found) == 1:
            out[form] = found
    return out


def generic_zone_mentions(sent: Sentence, si: int, city_zones: dict[str, tuple], lex: Lexicon,
                          found: list[Mention], bounds: TokenBounds | None = None) -> list[Mention]:
    """高新区 written bare in an article about its city, on a token, not after a determiner (各高新区)."""
    if not city_zones:
        return []
    bounds = bounds or TokenBounds(sent)
    out: list[Mention] = []
    for form in sorted(city_zones, key=len, reverse=True):
        if form not in sent.text:
            continue
        for m in re.finditer(re.escape(form), sent.text):
            s, e = sent.start + m.start(), sent.start + m.end()
            if s not in bounds.starts or _covered(s, e, found + out) or not _bare_form_start(sent.text, m.start(), lex):
                continue
            out.append(Mention(s, e, form, "zone", lex.rules.zone_generic.id, zones=city_zones[form],
                               paragraph=sent.paragraph, sentence=si))
    return out


def _bare_form_start(text: str, at: int, lex: Lexicon) -> bool:
    """A bare generic form names the zone at a clause start or after 在/于; not after a
    determiner (各高新区) nor inside a longer name (西安高新区 is a zone of its own)."""
    return at == 0 or not CJK.fullmatch(text[at - 1]) or _clause_start(text, at, None, lex)


def unique_street_districts(sentences: list[Sentence], g: gaz.Gazetteer) -> tuple[str, ...]:
    """Districts of streets (…街道) written in a document naming no city or district, where the
    whole country lists the street under one district only: 潍州路街道 → 奎文区."""
    index = g.streets_by_name()
    out = []
    for sent in sentences:
        at = sent.text.find("街道")
        while at >= 0:
            for begin in range(max(0, at - 6), at - 1):
                codes = index.get(sent.text[begin:at + 2], ())
                if len(codes) == 1:
                    out.append(codes[0])
                    break
            at = sent.text.find("街道", at + 2)
    return tuple(dict.fromkeys(out))


def _covered(s: int, e: int, mentions: list[Mention]) -> bool:
    return any(m.start < e and s < m.end for m in mentions)


def sub_mentions(sent: Sentence, si: int, known: KnownSubunits, lex: Lexicon, found: list[Mention],
                 bounds: TokenBounds | None = None) -> list[Mention]:
    """Streets, communities and estates: gazetteer-listed ones first, then suffix patterns.

    鼓楼区湖南路街道南秀村社区 → 湖南路街道 (listed), 南秀村社区 (pattern, after a place).
    """
    bounds = bounds or TokenBounds(sent)
    out: list[Mention] = []
    text, base = sent.text, sent.start
    longest = lex.rules.max_listed_chars.value
    # a listed name looked for ends where one of the endings does (most sentences hold none),
    # so only the pieces from the token starts 3 to ``longest`` characters before such an end
    # are looked up: token start → the ends of the pieces there that some district lists
    listed: dict[int, list[int]] = {}
    for e in _ends_of(text, known.endings):
        for k in range(max(0, e - longest), e - 2):
            if base + k in bounds.starts and text[k:e] in known.names:
                listed.setdefault(k, []).append(e)
    for k in sorted(listed):
        hit = _longest_listed(text, k, listed[k], known)
        if hit is None or _covered(base + k, base + k + 1, found + out):
            continue
        end, code, level = hit
        end += _renamed_suffix(text[end:], level, lex)
        out.append(Mention(base + k, base + end, text[k:end], level, lex.rules.known_sub.id,
                           district=code, paragraph=sent.paragraph, sentence=si))
    out += _pattern_subs(sent, si, lex, found + out, bounds)
    return out


def _longest_listed(text: str, start: int, ends: list[int], known: KnownSubunits) -> tuple[int, str, str] | None:
    """(end, district adcode, level) of the longest listed name ``text[start:end]`` for one of
    ``ends`` (in order), or None."""
    for end in reversed(ends):
        hit = known.get(text[start:end])
        if hit:
            return end, *hit
    return None


def _ends_of(text: str, words: tuple[str, ...]) -> list[int]:
    """Where each occurrence of one of ``words`` in ``text`` ends, in order, each once.

    >>> _ends_of("东胜街道城兴社区", ("街道", "社区", "村"))
    [4, 8]
    """
    ends = set()
    for word in words:
        at = text.find(word)
        while at >= 0:
            ends.add(at + len(word))
            at = text.find(word, at + 1)
    return sorted(ends)


def _renamed_suffix(rest: str, level: str, lex: Lexicon) -> int:
    """南秀村|社区, 仙林新村|小区: a listed village written with a community or estate suffix
    is that unit under its current name; the suffix joins the mention."""
    for rule in lex.suffixes:
        if rest.startswith(rule.suffix) and LEVEL_RANK[rule.level] >= LEVEL_RANK[level]:
            return len(rule.suffix)
    return 0


class KnownSubunits:
    """Listed streets and communities of the districts a document concerns, by name.

    Districts the text names win; a name listed under two unnamed districts of the city is
    left to the suffix patterns (the text does not say which district it is). Each
    district's list is read once per process (``Gazetteer.subunits``, kept for a bounded
    number of districts); the choice between districts is made per hit, since the set of
    districts differs from one document to the next."""

    def __init__(self, g: gaz.Gazetteer, lex: Lexicon, named: tuple[str, ...], others: tuple[str, ...]):
        self.named = tuple(dict.fromkeys(named))
        self.others = tuple(c for c in dict.fromkeys(others) if c not in self.named)
        self.endings = lex.listed_endings
        self.by_code = {c: g.subunits(c) for c in self.named + self.others}
        # every name the districts list (a union in C): a piece of a sentence is looked up here
        # first, and ``get`` runs for listed names only (a few a document)
        self.names = frozenset().union(*self.by_code.values())

    def get(self, name: str) -> tuple[str, str] | None:
        """(district adcode, level) for a listed name ending in one of ``Lexicon.listed_endings``,
        or None: 湖南路街道 → ('320106', 'street')."""
        if len(name) < 3 or not name.endswith(self.endings):
            return None
        for code in self.named:
            level = self.by_code[code].get(name)
            if level:
                return code, level
        # the unnamed districts listing it, found per piece looked up (a few a sentence that
        # holds an ending): an index of all their names cost more than these look-ups
        codes = [code for code in self.others if name in self.by_code[code]]
        return (codes[0], self.by_code[codes[0]][name]) if len(codes) == 1 else None


@functools.lru_cache(maxsize=4)
def _name_lengths(g: gaz.Gazetteer) -> dict[str, tuple[int, ...]]:
    """First two characters of the administrative names and aliases → the lengths of those
    starting so, longest first: most positions in a sentence start none of them, and at the
    others only these lengths are tried.

    >>> _name_lengths(gaz.load())["鼓楼"]
    (3, 2)
    """
    lengths: dict[str, set[int]] = {}
    for name in g.names_and_aliases:
        lengths.setdefault(name[:2], set()).add(len(name))
    return {head: tuple(sorted(found, reverse=True)) for head, found in lengths.items()}


@functools.lru_cache(maxsize=8)
def _name_heads(g: gaz.Gazetteer, zones: ZoneIndex | None) -> frozenset[str]:
    """The first two characters of the administrative names and of the zone names."""
    return frozenset(_name_lengths(g)) | frozenset(zones.lengths if zones is not None else ())


def _pattern_subs(sent: Sentence, si: int, lex: Lexicon, found: list[Mention],
                  bounds: TokenBounds | None = None) -> list[Mention]:
    bounds = bounds or TokenBounds(sent)
    text, base = sent.text, sent.start
    out: list[Mention] = []
    for rule in lex.suffixes:
        if rule.suffix not in text:  # most sentences hold none of the suffixes
            continue
        for m in re.finditer(re.escape(rule.suffix), text):
            s_abs, e_abs = base + m.start(), base + m.end()
            if s_abs not in bounds.starts or _covered(s_abs, e_abs, found + out):
                continue
            prefix_start = _prefix_start(sent, m.start(), rule, found + out, bounds.starts, bounds.pos, lex)
            if prefix_start is None:
                continue
            prefix = text[prefix_start:m.start()]
            if _generic_prefix(prefix, lex) or rule.mode == "shape" and _generic_shape(prefix, lex):
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
    if rule.mode == "chained":
        return None
    # the tokens ending by the suffix (in text order: bisect, not a scan of the sentence per suffix)
    toks = sent.tokens[:bisect.bisect_right(sent.tokens, base + at, key=lambda t: t.end)]
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
    if rule.mode == "shape":  # no proper noun needed, but a short name: 经典名门|小区, not a clause
        proper = at - begin <= rules.shape_max_chars.value
    elif not proper and rule.level == "community" and at - begin <= rules.shape_max_chars.value:
        # 菱溪社区山水人家小区: a community named before one of its estates is a place though
        # jieba tags its name a common noun (LS-COMMUNITY with an estate after it)
        proper = lex.estate_next.match(text, at + len(rule.suffix)) is not None
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


def _generic_shape(prefix: str, lex: Lexicon) -> bool:
    """辖区老旧小区, 城市住宅小区: a shape name made of a generic word at either end is a kind of
    estate, not one estate."""
    generic = lex.words.get("prefix", {})
    return any(prefix.startswith(w) or prefix.endswith(w) for w in generic)


def _clause_start(text: str, at: int, sent: Sentence, lex: Lexicon) -> bool:
    """At the sentence start, after a clause break, or after 在/于; spaces before do not
    count (a paragraph break written as spaces inside one line: …说。  安吉县推出…)."""
    head = text[:at].rstrip()
    if not head or head[-1] in lex.rules.clause_breaks.value:
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
        if len(m.zones) == 1:  # a zone names its host city
            for r in g.lineage(m.zones[0].city_adcode):
                context[r.adcode] += 1
    for m in mentions:
        if len(m.candidates) > 1:
            m.candidates = _by_context(m.candidates, context, g)
        if len(m.zones) > 1:
            m.zones = _zones_by_context(m.zones, context)


def _zones_by_context(zones: tuple, context: Counter) -> tuple:
    """临港经开区 in a document naming 临沂市: the zone of the city (else province) named most."""
    for key in (lambda z: z.city_adcode, lambda z: z.city_adcode[:2] + "0000"):
        scores = {z: context[key(z)] for z in zones}
        best = max(scores.values())
        winners = tuple(z for z, v in scores.items() if v == best)
        if best > 0 and len(winners) == 1:
            return winners
    return zones


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
    named += [m.zones[0].district_adcode for m in mentions if len(m.zones) == 1 and m.zones[0].district_adcode]
    cities = {c for c in resolved if g.regions[c].level == "city"}
    cities |= {m.zones[0].city_adcode for m in mentions if len(m.zones) == 1 and m.zones[0].city_adcode in g.regions}
    cities |= {g.regions[c].parent for c in named if g.regions[g.regions[c].parent].level == "city"}
    others = [c for city in cities for c in g.districts_of.get(city, ())]
    return tuple(sorted(set(named))), tuple(sorted(set(others) - set(named)))


def attach_sub_units(mentions: list[Mention], g: gaz.Gazetteer, draft: Locality | None,
                     shape_rules: frozenset[str] = frozenset()) -> None:
    """Give every mention its Locality: admin by adcode; a sub-unit under the place before it
    in its chain, else under its listed district, else under the district in effect.

    东胜街道 alone in a 鄞州区 article → 浙江省/宁波市/鄞州区/东胜街道 (approximate coordinates).
    """
    last_district: dict[int, Locality] = {}  # paragraph → latest district named in it
    last_unit: dict[int, Locality] = {}  # paragraph → latest street or community named in it
    prev: Mention | None = None
    for m in mentions:
        if m.zones:
            m.locality = zones_stage.locality_of(m.zones[0]) if len(m.zones) == 1 else None
            if m.locality is not None:
                last_district[m.paragraph] = m.locality
        elif m.candidates:
            m.locality = g.locality(m.candidates[0]) if len(m.candidates) == 1 else None
            if m.locality is not None and m.level == "district":
                last_district[m.paragraph] = m.locality
        else:
            parent = _sub_parent(m, prev, g, draft, last_district.get(m.paragraph))
            if parent is None and m.level == "estate" and not m.chained and m.rule in shape_rules:
                parent = last_unit.get(m.paragraph) or _unit_of(draft) or last_district.get(m.paragraph) \
                    or _district_of(draft)
            m.locality = _sub_locality(m, parent) if parent is not None else None
            if m.locality is not None and m.level in ("street", "community"):
                last_unit[m.paragraph] = m.locality
        prev = m
    _one_place_per_name(mentions)


def _one_place_per_name(mentions: list[Mention]) -> None:
    """A street, community or estate named in full once (红岸街道奋斗社区) is the same place
    when named alone later (奋斗社区): every mention of the name in that district takes the
    fullest path, so the article's weight is not split between two paths of one place."""
    fullest: dict[tuple, Locality] = {}
    for m in mentions:
        if m.locality is not None and m.level in ("street", "community", "estate"):
            key = (m.text, _district_of(m.locality))
            if key not in fullest or len(m.locality.chain()) > len(fullest[key].chain()):
                fullest[key] = m.locality
    for m in mentions:
        if m.locality is not None and m.level in ("street", "community", "estate"):
            m.locality = fullest[(m.text, _district_of(m.locality))]


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
    if district is not None and doc_district is not None and doc_district.level == "zone" \
            and doc_district.parent in district.lineage() and para_district in (None, doc_district):
        district = doc_district  # a listed community in an article about a zone of its city: in the zone
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
    if doc_district is not None and city in doc_district.lineage():
        return doc_district
    return None


def _unit_of(loc: Locality | None) -> Locality | None:
    """The street or community a locality is or lies in: where an estate named alone hangs."""
    for node in (loc.lineage() if loc else [])[::-1]:
        if node.level in ("street", "community"):
            return node
    return None


def _district_of(loc: Locality | None) -> Locality | None:
    """The district (or development zone, which stands in its place) on a locality's path."""
    for node in (loc.lineage() if loc else [])[::-1]:
        if node.level in ("district", "zone"):
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
        if m.locality is None or m.clause_only:  # a resident's home is named in passing
            continue
        w = (1 + (rules.title_weight.value if m.sentence < 0 else 0)
             + (rules.lead_weight.value if m.paragraph == first_para else 0))
        for node in m.locality.lineage():
            weights[node] += w
    return weights


def document_locality(mentions: list[Mention], title: list[Mention], first_para: int,
                      rules: LocalityRules, wholes: Counter | None = None) -> Locality | None:
    """The deepest place that holds at least half its parent's weight, from the top down;
    ``wholes`` counts, by level, the article's own city or district spoken of as a whole
    as a clause's actor (…,我市建立…; 全县划分…), which weigh for the place of that level
    (LOC-WHOLE-WEIGHT).

    仙林街道 in an article about 仙林街道 (20 of 栖霞区's 22 mentions); 鄞州区 in one that
    names five of its streets once each; 湖州市, not 吴兴区, in a report that names 吴兴区
    twice in one example and opens its other clauses with 我市/全市.
    """
    wholes = wholes or Counter()
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
        own = weights[node] + rules.whole_weight.value * wholes[WHOLE_LEVEL.get(node.level, node.level)]
        if (weights[best] < rules.dominance.value * own
                or sum(weights[c] == weights[best] for c in children) > 1):
            return node
        node = best


WHOLE_LEVEL = {"zone": "district"}  # 全区 in a development zone's article is the zone


def whole_mentions(sentences: list[Sentence], lex: Lexicon) -> list[tuple[int, int, str, bool]]:
    """(start, end, level, opens a clause) of each whole word of the body (whole_city, whole_district
    in locality_stoplist.tsv): 近年来,我市… → (…, …, "city", True); 召开全市…会议 → (…, …, "city", False)."""
    breaks = lex.rules.whole_returns.value
    out = []
    for kind, level in (("whole_city", "city"), ("whole_district", "district")):
        for word in lex.words.get(kind, {}):
            for sent in sentences:
                at = sent.text.find(word)
                while at >= 0:
                    head = sent.text[:at].rstrip()
                    out.append((sent.start + at, sent.start + at + len(word), level, not head or head[-1] in breaks))
                    at = sent.text.find(word, at + len(word))
    return sorted(out)


def _draft_document_locality(mentions: list[Mention], title: list[Mention], first_para: int,
                             rules: LocalityRules, wholes: Counter | None = None) -> Locality | None:
    """Before sub-units get parents: the document locality from admin names and listed streets."""
    draft = []
    g = gaz.load()
    for m in mentions:
        if len(m.zones) == 1:
            draft.append(replace(m, locality=zones_stage.locality_of(m.zones[0])))
        elif m.candidates and len(m.candidates) == 1:
            draft.append(replace(m, locality=g.locality(m.candidates[0])))
        elif m.rule == rules.known_sub.id and m.level == "street":
            draft.append(replace(m, locality=_sub_locality(m, g.locality(m.district))))
    titles = [replace(m, locality=g.locality(m.candidates[0])) for m in title if len(m.candidates) == 1]
    return document_locality(draft, titles, first_para, rules, wholes)


def _mark_scoping(mentions: list[Mention], sentences: list[Sentence], doc_loc: Locality | None,
                  lex: Lexicon) -> None:
    """A chain sets the scope when it starts a clause (or follows 在/于) and lies in the
    document's city; 在深圳举行的… in a Nanjing street's article is a venue, not a scope."""
    scoped_in: dict[int, list[Mention]] = {}  # sentence → its scoping mentions so far
    chains = _chains(mentions)
    listed = _listed_chains(chains, sentences, lex)
    for k, chain in enumerate(chains):
        if k in listed:
            continue  # 在禅城区、南海区打造…: a list of places, the place that holds them stays
        head = chain[0]
        sent = sentences[head.sentence]
        last = chain[-1]
        if _foreign(last.locality, doc_loc):
            continue
        if head.clause_only:  # 家住翠竹小区的72岁居民…: the resident's facts, in this clause only
            for m in chain:
                m.scoping = True
            continue
        if not _clause_start(sent.text, head.start - sent.start, sent, lex):
            continue
        earlier = scoped_in.get(head.sentence, [])
        before = sent.text[:head.start - sent.start]
        if earlier and any(before.endswith(w) for w in lex.words.get("container", {})) and any(
                last.locality in m.locality.lineage() for m in earlier if m.locality):
            continue  # 碑林区位于西安城市中心: 西安 holds 碑林区, which stays the scope
        last.scoping = True
        if last.level == "estate" and len(chain) > 1:
            chain[-2].scoping = True  # 黄家社区中基宿舍小区…: after the sentence, the community holds
        scoped_in.setdefault(head.sentence, []).append(last)


def _mark_residents(mentions: list[Mention], sentences: list[Sentence], lex: Lexicon) -> None:
    """A chain right after a verb of residence (resident in locality_stoplist.tsv: 家住, 住在)
    is a resident's home: named in passing, it weighs nothing for the article's place and
    holds for its own clause only."""
    words = tuple(lex.words.get("resident", {}))
    if not words:
        return
    for chain in _chains(mentions):
        sent = sentences[chain[0].sentence]
        if sent.text[:chain[0].start - sent.start].endswith(words):
            for m in chain:
                m.clause_only = True


def _listed_chains(chains: list[list[Mention]], sentences: list[Sentence], lex: Lexicon) -> set[int]:
    """Indexes of chains that are items of a list of places of one level (禅城区、南海区;
    甲街道和乙街道): what follows concerns them all, so none of them sets the scope."""
    joins = lex.words.get("list_join", {})
    out: set[int] = set()
    for k in range(len(chains) - 1):
        a, b = chains[k][-1], chains[k + 1][0]
        if a.sentence != b.sentence or a.level != b.level or len(chains[k + 1]) > 1:
            continue
        sent = sentences[a.sentence]
        if sent.text[a.end - sent.start:b.start - sent.start] in joins:
            out |= {k, k + 1}
    return out


def _foreign(loc: Locality | None, doc_loc: Locality | None) -> bool:
    """A place outside the document's city (a visit, a comparison, a meeting elsewhere) is
    named in passing; in a city's article too (深圳 in an article about 佛山)."""
    if loc is None:
        return True
    if doc_loc is None or LEVEL_RANK[doc_loc.level] < LEVEL_RANK["city"]:
        return False
    lineage = doc_loc.lineage()
    if loc in lineage:
        return False
    city = next((n for n in lineage if n.level == "city"), lineage[0])
    return city not in loc.lineage()
