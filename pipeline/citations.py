"""A figure from the catalogue, cited: exact quote, source, date, place in the text.

The quote is checked before it is given: the stored text must still hash to the
document's sha256, the fact's span must still be its text, its sentence must still
contain it, and a source file still on disk must still be the file that was read.
Anything else raises :class:`CitationError` with the reason: a flagged source, never
a wrong quote. For a catalogue at outputs/catalogue.db (``jingyan cite a1b6b5d1e80d3a8c``)::

    cite("outputs/catalogue.db", "a1b6b5d1e80d3a8c").as_gbt7714()
    → '鼓楼区: 党建共同体聚合力 治理新格局添动力[N]. 中国城市报, 2021-04-06(27).'
"""
from __future__ import annotations

import hashlib
import json
import math
import re
import sqlite3
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from .anchors import sentence_bounds

# below this confidence a figure no annotator checked is flagged (``jingyan cite --low-confidence``)
LOW_CONFIDENCE = 0.6

NEWSPAPER = re.compile(r"报$|日报|晚报|时报|城市报")
EDITION_NUMBER = re.compile(r"(\d+)")
QUALIFIER_WORDS = {"approx": "约", "more_than": "多于", "less_than": "少于", "at_least": "至少"}


class CitationError(Exception):
    """The figure cannot be cited as stored: no such fact, or its source no longer says it."""


@dataclass(frozen=True)
class Citation:
    fact_id: str
    quote: str  # the sentence, verbatim from the source text
    figure: str  # the fact's text: 895个
    value: float | None
    unit: str
    subject: str
    qualifier: str
    title: str
    publisher: str
    published: str
    author: str
    url: str
    path: str
    edition: str
    paragraph: int  # 1-based, counting the non-blank lines of the body
    start: int  # character range of the figure in the text, [start, end)
    end: int
    sentence_start: int
    sentence_end: int
    sha256: str
    source_file_checked: bool  # the file at ``path`` was found and is the one catalogued
    opening: str = ""  # the body's first heading or first words: an untitled document's name
    # when a run of its folder found its file gone (documents.missing_since), else ""
    source_missing_since: str = ""
    checked: bool = False  # an annotator accepted or set it (annotations/)
    confidence: float | None = None  # P(right) from the scorer; None when unknown
    low: float = LOW_CONFIDENCE  # below this an unchecked figure is flagged

    def caution(self) -> str:
        """A warning when no annotator checked the figure and its confidence is low ("" else).

        >>> c = Citation(*["x"] * 3, 895.0, *["x"] * 10, 1, 0, 4, 0, 9, "s", False, confidence=0.42)
        >>> c.caution()
        '注意：此数据未经人工核对，置信度 0.42（低于 0.60）'
        >>> Citation(*["x"] * 3, 895.0, *["x"] * 10, 1, 0, 4, 0, 9, "s", False, checked=True, confidence=0.42).caution()
        ''
        """
        if self.checked or self.confidence is None or self.confidence >= self.low:
            return ""
        return f"注意：此数据未经人工核对，置信度 {self.confidence:.2f}（低于 {self.low:.2f}）"

    def display_title(self) -> str:
        """The title, or for an untitled document what it opens with; never the file's name
        (a corpus file is often named by a hash: 002_6db4a9f55f89edc1.txt)."""
        return self.title or self.opening or "无题"

    # -- formats ----------------------------------------------------------------------------
    def _quoted(self) -> str:
        q = self.quote.strip()
        return f"「{q}」" if ("“" in q or "”" in q) else f"“{q}”"

    def _figure(self) -> str:
        """895个（网格党支部：895个）; 20多所（高等院校：多于20所）."""
        amount = f"{QUALIFIER_WORDS.get(self.qualifier, '')}{_number(self.value)}{self.unit}" \
            if self.value is not None else ""
        detail = "：".join(b for b in (self.subject, amount) if b)
        return f"{self.figure}（{detail}）" if detail else self.figure

    def locator(self) -> str:
        return f"第{self.paragraph}段，字符 {self.start}–{self.end}"

    def as_text(self) -> str:
        """The quote, the figure and the reference, for pasting into a report."""
        lines = [self._quoted(), f"数据：{self._figure()}", f"出处：{self.as_gbt7714()} {self.locator()}。"]
        if not self.url and self.path:
            lines.append(f"文件：{self.path}")
        if self.source_missing_since:
            lines.append(f"源文件已不在：the source file is gone (since {self.source_missing_since}); "
                         "the quote is the catalogued text")
        caution = self.caution()
        if caution:
            lines.append(caution)
        return "\n".join(lines)

    def kind(self) -> str:
        if self.edition or NEWSPAPER.search(self.publisher or ""):
            return "newspaper"
        return "online" if self.url else "file"

    def as_gbt7714(self, cited: str | None = None) -> str:
        """GB/T 7714-2015: ``作者. 题名[N]. 报纸名, 出版日期(版次).`` or ``[EB/OL]. (发布日期)[引用日期]. URL.``"""
        cited = cited or time.strftime("%Y-%m-%d")
        author = f"{self.author}. " if self.author else ""
        title = self.display_title()
        kind = self.kind()
        if kind == "newspaper":
            edition = EDITION_NUMBER.search(self.edition or "")
            where = ", ".join(x for x in (self.publisher, self.published) if x)
            ref = f"{author}{title}[N{'/OL' if self.url else ''}]. {where}"
            ref += f"({edition.group(1)})" if edition else ""
            return ref + (f"[{cited}]. {self.url}." if self.url else ".")
        if kind == "online":
            who = author or (f"{self.publisher}. " if self.publisher else "")
            date = f"({self.published})" if self.published else ""
            return f"{who}{title}[EB/OL]. {date}[{cited}]. {self.url}."
        # a file on disk: its path is no part of the reference (as_text gives it beside)
        who = author or (f"{self.publisher}. " if self.publisher else "")
        return f"{who}{title}[Z]." + (f" {self.published}." if self.published else "")

    def as_csl_json(self) -> dict:
        """A CSL-JSON item; the quote and character range in ``note`` and ``custom``."""
        kind = self.kind()
        item = {"id": self.fact_id,
                "type": {"newspaper": "article-newspaper", "online": "webpage"}.get(kind, "document"),
                "title": self.display_title()}
        if self.publisher:
            item["container-title" if kind == "newspaper" else "publisher"] = self.publisher
        parts = _date_parts(self.published)
        if parts:
            item["issued"] = {"date-parts": [parts]}
        if self.author:
            item["author"] = [{"literal": a} for a in re.split(r"[、,，;；\s]+", self.author) if a]
        if self.url:
            item["URL"] = self.url
            item["accessed"] = {"date-parts": [[int(x) for x in time.strftime("%Y-%m-%d").split("-")]]}
        if self.edition:
            item["section"] = self.edition
            edition = EDITION_NUMBER.search(self.edition)
            if edition:
                item["page"] = edition.group(1)
        item["note"] = f"{self._quoted()}（{self.locator()}）"
        item["custom"] = {"quote": self.quote, "figure": self.figure, "start": self.start, "end": self.end,
                          "paragraph": self.paragraph, "sha256": self.sha256, "path": self.path}
        return item

    def as_dict(self) -> dict:
        return {**asdict(self), "locator": self.locator(), "gbt7714": self.as_gbt7714(), "caution": self.caution()}


def _number(v: float | None) -> str:
    if v is None:
        return ""
    return str(int(v)) if float(v).is_integer() else f"{v:g}"


def _date_parts(date: str) -> list[int]:
    m = re.match(r"(\d{4})(?:-(\d{1,2}))?(?:-(\d{1,2}))?", date or "")
    return [int(x) for x in m.groups() if x] if m else []


def paragraph_number(text: str, body_spans: list, pos: int) -> int:
    """1-based index of the non-blank body line holding ``pos`` (the tagger's paragraphs).

    >>> text = "标题\\n\\n全区建立网格党支部895个。\\n服务居民12万人。"
    >>> paragraph_number(text, [], text.index("12万")), paragraph_number(text, [(3, len(text))], 23)
    (3, 2)
    """
    spans = body_spans or [(0, len(text))]
    count = 0
    for span_start, span_end in spans:
        line_start = span_start
        for line in text[span_start:span_end].split("\n"):
            line_end = line_start + len(line)
            if line.strip():
                count += 1
                if line_start <= pos <= line_end:
                    return count
            line_start = line_end + 1
    return count or 1


OPENING_CHARS = 24  # an untitled document is named by this many of its first characters


def opening_words(text: str, body_spans: list) -> str:
    """What an untitled document opens with: its first body line when short enough to be a
    heading, else its first words and an ellipsis.

    >>> opening_words("鄞州区党建经验\\n近年来，全区……", [])
    '鄞州区党建经验'
    >>> opening_words("近年来,浙江省宁波市鄞州区认真贯彻落实党中央和省委市委关于加强城市基层党建的工作部署。", [])
    '近年来,浙江省宁波市鄞州区认真贯彻落实党中央和省…'
    """
    for span_start, span_end in body_spans or [(0, len(text))]:
        for line in text[span_start:span_end].split("\n"):
            line = line.strip().lstrip("#").strip()
            if line:
                return line if len(line) <= OPENING_CHARS else line[:OPENING_CHARS].rstrip("，,、；;：: ") + "…"
    return ""


def _source_file_state(paths: list[str], file_sha: str) -> tuple[bool, str]:
    """(a file on disk is the catalogued one, reason when every file found differs)."""
    found = []
    for p in paths:
        path = Path(p)
        if path.is_file():
            sha = hashlib.sha256(path.read_bytes()).hexdigest()
            if sha == file_sha:
                return True, ""
            found.append(p)
    if found:
        return False, f"source file changed since it was catalogued: {', '.join(found)}"
    return False, ""


def cite(db: Path, fact_id: str, low: float = LOW_CONFIDENCE) -> Citation:
    """The citation of fact ``fact_id`` in catalogue ``db``, checked against its source."""
    db = Path(db)
    if not db.exists():
        raise CitationError(f"no catalogue at {db}")
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    conn.row_factory = sqlite3.Row
    try:
        fact = conn.execute("select * from facts where id = ?", [fact_id]).fetchone()
        if fact is None:
            raise CitationError(f"no fact {fact_id!r} in {db}")
        doc = conn.execute("select * from documents where id = ?", [fact["document_id"]]).fetchone()
        if doc is None:
            raise CitationError(f"fact {fact_id}: its document {fact['document_id']} is not in {db}")
        fact, doc = dict(fact), dict(doc)
    finally:
        conn.close()
    return _checked(fact, doc, low)


def _checked(fact: dict, doc: dict, low: float = LOW_CONFIDENCE) -> Citation:
    text, fid = doc["text"] or "", fact["id"]
    for key in ("value", "value_max"):
        if fact.get(key) is not None and not math.isfinite(fact[key]):
            raise CitationError(f"fact {fid}: its {key} is no finite number ({fact[key]}): not cited; "
                                f"correct it in annotations/ and run again")
    actual = hashlib.sha256(text.encode("utf-8")).hexdigest()
    if actual != doc["sha256"]:
        raise CitationError(f"fact {fid}: the stored text of {doc['source_name']} no longer hashes to its sha256 "
                            f"({actual[:12]}… ≠ {doc['sha256'][:12]}…): source changed, not cited")
    start, end = fact["start"], fact["end"]
    if text[start:end] != fact["text"]:
        raise CitationError(f"fact {fid}: text[{start}:{end}] is {text[start:end]!r}, not the figure "
                            f"{fact['text']!r}: not cited")
    s_start, s_end = fact.get("sentence_start") or 0, fact.get("sentence_end") or 0
    if s_end <= s_start:
        s_start, s_end = sentence_bounds(text, start, end)
    quote = text[s_start:s_end]
    if not (s_start <= start and end <= s_end) or fact["text"] not in quote:
        raise CitationError(f"fact {fid}: its sentence {s_start}–{s_end} does not contain {fact['text']!r}: not cited")
    if fact.get("sentence") and fact["sentence"] != quote:
        raise CitationError(f"fact {fid}: the stored sentence is no longer text[{s_start}:{s_end}]: not cited")
    paths = json.loads(doc.get("paths") or "[]") or [doc.get("path") or ""]
    checked, reason = _source_file_state([p for p in paths if p], doc.get("file_sha256") or "")
    if reason:
        raise CitationError(f"fact {fid}: {reason}; re-run the catalogue before citing")
    spans = json.loads(doc.get("body_spans") or "[]")
    return Citation(
        fact_id=fid, quote=quote, figure=fact["text"], value=fact.get("value"), unit=fact.get("unit") or "",
        subject=fact.get("subject") or "", qualifier=fact.get("qualifier") or "", title=doc.get("title") or "", publisher=doc.get("publisher") or "",
        published=doc.get("published") or "", author=doc.get("author") or "", url=doc.get("url") or "",
        path=doc.get("path") or "", edition=doc.get("edition") or "",
        paragraph=paragraph_number(text, [tuple(s) for s in spans], start), start=start, end=end,
        sentence_start=s_start, sentence_end=s_end, sha256=doc["sha256"], source_file_checked=checked,
        opening="" if doc.get("title") else opening_words(text, [tuple(s) for s in spans]),
        source_missing_since=doc.get("missing_since") or "",
        checked=bool(fact.get("checked")), confidence=fact.get("confidence"), low=low)
