"""The records that flow between stages: Document, Sentence, Fact, Mechanism, Locality.

Every offset is into ``Document.text``, the decoded source text, never rewritten.
Records are frozen dataclasses (Token a named tuple) with ``as_dict()`` so they cross
process boundaries (Prefect/Dask workers) as plain data.
"""
from __future__ import annotations

import dataclasses
import functools
import hashlib
import operator
from dataclasses import dataclass, field
from typing import NamedTuple


def stable_id(*parts: object, length: int = 16) -> str:
    """A content-derived id: the same inputs give the same id on every run and machine.

    >>> stable_id("fact", "abc", 3, 7)
    '9f26b0bff810b517'
    """
    joined = "\x1f".join(map(str, parts))
    return hashlib.sha256(joined.encode("utf-8")).hexdigest()[:length]


class _AsDict:
    def as_dict(self) -> dict:
        return dataclasses.asdict(self)


class _Extracted(_AsDict):
    """A fact or a mechanism: copied with a field changed for every one a document yields."""

    def with_(self, **changes):
        """A copy with these fields changed: ``dataclasses.replace`` made equal in two thirds of
        its time (every field is an init field, and nothing else is kept in ``__dict__``).

        >>> Fact(start=0, end=4, text="895个", value=895.0, unit="个").with_(subject="网格党支部").subject
        '网格党支部'
        """
        return type(self)(**{**vars(self), **changes})



# The bands Datasette facets on (``confidence_band``): the uncertain first, as annotators read them.
BANDS = ((0.5, "0–0.5"), (0.8, "0.5–0.8"), (float("inf"), "0.8–1"))


def band(confidence: float | None) -> str | None:
    """The facet band of a confidence: 0.42 → '0–0.5'; None (an annotator's row) → None.

    >>> band(0.42), band(0.5), band(0.97), band(None)
    ('0–0.5', '0.5–0.8', '0.8–1', None)
    """
    if confidence is None:
        return None
    return next(label for upper, label in BANDS if confidence < upper)


@dataclass(frozen=True)
class Document(_AsDict):
    """One source article as read from disk.

    ``body_spans`` are the [start, end) ranges of ``text`` that are article body;
    everything else (navigation, captions, bylines) is page furniture and nothing
    is extracted from it.
    """

    source_name: str
    path: str
    sha256: str  # of text, UTF-8 encoded: lets a citation check its quote
    file_sha256: str  # of the raw bytes: lets a re-run skip an unchanged file unread
    text: str
    encoding: str = "utf-8"
    title: str = ""
    publisher: str = ""
    published: str = ""  # ISO date, empty when the text does not say
    author: str = ""
    url: str = ""
    edition: str = ""
    issuer: str = ""
    original_title: str = ""
    body_spans: tuple[tuple[int, int], ...] = ()
    metadata_rules: tuple[tuple[str, str], ...] = ()  # (field, rule id): which pattern read each field
    # when it reports (metadata.document_date): published, else a dateline, else a date the text
    # states its figures as of (截至2020年底 → 2020); ISO as precise as the text (2021-03-05, 2021-03, 2021)
    date: str = ""
    date_kind: str = ""  # published, dateline or stated; empty with no date
    date_precision: str = ""  # day, month or year

    @property
    def id(self) -> str:
        return self.sha256[:16]

    def in_body(self, start: int, end: int) -> bool:
        if not self.body_spans:
            return True
        return any(s <= start and end <= e for s, e in self.body_spans)


class Token(NamedTuple):
    """A word of a sentence: offsets into Document.text, the word, its tag.

    A named tuple, not a dataclass like the other records: a document has tens of
    thousands of tokens, and a tuple is made in half the time.
    """

    start: int
    end: int
    text: str
    pos: str  # jieba/ICTCLAS tag: n, ns, v, m, q, ...

    def as_dict(self) -> dict:
        return self._asdict()


# a token's offsets, as keys to bisect a sentence's tokens (in text order) or to map over them
TOKEN_START, TOKEN_END = operator.itemgetter(0), operator.itemgetter(1)


@dataclass(frozen=True)
class Sentence(_AsDict):
    """A sentence of the body, with its tokens; offsets into Document.text."""

    start: int
    end: int
    text: str
    paragraph: int  # index of the paragraph (line) it stands in
    tokens: tuple[Token, ...] = ()
    # text with punctuation folded to one form, same length and offsets: "红色物业"，５个 → “红色物业”,5个.
    # Rules match on norm; spans they find are spans of text.
    norm: str = ""


@dataclass(frozen=True)
class Locality(_AsDict):
    """A place, with its chain of parents: 宁海路街道 → 鼓楼区 → 南京市 → 江苏省."""

    name: str
    level: str  # province, city, district, street, community, estate
    adcode: str = ""
    parent: "Locality | None" = None
    latitude: float | None = None
    longitude: float | None = None
    approximate: bool = False  # coordinates borrowed from the parent

    def __hash__(self) -> int:
        # name, level and code tell places apart (equal places have them equal); the dataclass's
        # hash of every field, up the parent chain, cost ~1.3 µs a look-up, ~700 per article
        return hash((self.name, self.level, self.adcode))

    @functools.cached_property  # read for every row written; a street's id is a hash of its chain
    def id(self) -> str:
        return self.adcode if self.level in ("province", "city", "district") and self.adcode else stable_id(
            "locality", *self.chain()
        )

    def chain(self) -> list[str]:
        """Names from province down: ['江苏省', '南京市', '鼓楼区', '宁海路街道']."""
        names = [] if self.parent is None else self.parent.chain()
        return names + [self.name]

    def lineage(self) -> list["Locality"]:
        up = [] if self.parent is None else self.parent.lineage()
        return up + [self]


@dataclass(frozen=True)
class Fact(_Extracted):
    """A numeric statement: 网格党支部895个 → value 895, unit 个, subject 网格党支部."""

    start: int
    end: int
    text: str  # Document.text[start:end]
    value: float
    unit: str
    value_max: float | None = None
    qualifier: str = ""  # approx, more_than, less_than, at_least
    subject: str = ""
    time: str = ""
    change_from: float | None = None
    chinese_numeral: bool = False  # 三级网格: written only in Chinese numerals
    sentence_start: int = 0
    sentence_end: int = 0
    locality: Locality | None = None
    rule: str = ""
    source: str = "pipeline"  # or "annotator"
    confidence: float | None = None  # P(right), from the trained scorer (pipeline.confidence)


@dataclass(frozen=True)
class Mechanism(_Extracted):
    """A named practice: “四步法”, “1+3+N”, 红色管家, 兼职委员制度."""

    start: int
    end: int
    name: str
    kind: str  # formula, numbered, brand, institution, platform
    definition: str = ""
    definition_start: int | None = None
    components: tuple[str, ...] = ()
    sentence_start: int = 0
    sentence_end: int = 0
    locality: Locality | None = None
    rule: str = ""
    source: str = "pipeline"  # or "lexicon" (a name annotators taught: pipeline.lexicon), "annotator"
    confidence: float | None = None  # P(right), from the trained scorer (pipeline.confidence)
    taught_by: str = ""  # source "lexicon": the correction that taught the name, "a.txt#楼宇联络员制度"


@dataclass(frozen=True)
class PlacedSpan(_AsDict):
    """A place name found in the text and resolved: 宁海路街道 at 1203–1208."""

    start: int
    end: int
    locality: Locality
    rule: str = ""  # the pattern that found it: LOC-ADMIN, LS-STREET, ...


@dataclass
class Extraction:
    """Everything the pipeline found in one document; what the catalogue writes."""

    document: Document
    facts: list[Fact] = field(default_factory=list)
    mechanisms: list[Mechanism] = field(default_factory=list)
    places: list[PlacedSpan] = field(default_factory=list)
    sentences: list[Sentence] = field(default_factory=list)
    document_locality: Locality | None = None
    # the body paragraphs as the search index cuts them, when the tagger's route gave that
    # cut too (Tagged.search_words): the index's tokens then need no second segmentation
    search_words: list[tuple[int, int, list[str]]] | None = None

    def as_dict(self) -> dict:
        return dataclasses.asdict(self)
