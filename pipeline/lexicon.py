"""Names learned from corrections: what an annotator fixes once stays fixed everywhere.

An annotator's mechanism corrections in ``annotations/`` teach names (the spaCy way:
an EntityRuler built from annotations, matching kept apart from annotating):

- a name **rejected** anywhere (温暖港湾, a slogan) is not extracted from any article,
  unless an annotator accepted or added it in that article;
- a name **added, accepted or edited into** an article (楼宇联络员制度) is found wherever
  it is written in any article, as a row with ``source = 'lexicon'`` and ``taught_by``
  naming the correction that taught it (``a.txt#楼宇联络员制度``).

A name both rejected in one article and accepted in another is rejected everywhere but
in the articles that accepted it. Only mechanism names are learned: carrying fact
corrections over (a subject, a unit) would guess at other sentences and measured no better.

This module reads the names (:func:`read_lexicon`), matches them in one pass over a
document's folded text at word boundaries (:class:`Matcher`), and, each run, finds the
catalogued documents a changed lexicon affects and processes them again from their
stored text (:func:`refresh`); ``mechanisms.extract_mechanisms`` applies the lexicon
that ``Settings.learned_names`` carries (JSON, so that it crosses to Dask workers).
"""
from __future__ import annotations

import dataclasses
import functools
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable

from .anchors import normalise_name
from .corrections import latest_records
from .records import Document, Sentence


@dataclass(frozen=True)
class LearnedName:
    """One learned name: ``taught`` (found everywhere) or ``rejected`` (extracted nowhere),
    the correction that taught it, and the articles (source names) that accepted it."""

    name: str
    status: str  # "taught" or "rejected"
    taught_by: str  # "doc#anchor" of the (first) correction that taught it
    accepted_in: tuple[str, ...] = ()

    def found_in(self, source_name: str) -> bool:
        return self.status == "taught" or source_name in self.accepted_in

    def rejected_in(self, source_name: str) -> bool:
        return self.status == "rejected" and source_name not in self.accepted_in

    def as_row(self) -> dict:
        return {"name": self.name, "status": self.status, "taught_by": self.taught_by,
                "accepted_in": json.dumps(list(self.accepted_in), ensure_ascii=False)}


@dataclass(frozen=True)
class Lexicon:
    names: tuple[LearnedName, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.names)

    def to_json(self) -> str:
        """The lexicon as ``Settings.learned_names`` carries it ("" when empty)."""
        return json.dumps([n.as_row() for n in self.names], ensure_ascii=False) if self.names else ""

    def by_name(self) -> dict[str, LearnedName]:
        return {n.name: n for n in self.names}

    def rejects(self, name: str, source_name: str) -> bool:
        """Whether ``name`` is not to be extracted from the article ``source_name``.

        >>> lex = Lexicon((LearnedName("温暖港湾", "rejected", "a.txt#温暖港湾", ("c.txt",)),))
        >>> lex.rejects("“温暖港湾”", "b.txt"), lex.rejects("温暖港湾", "c.txt")
        (True, False)
        """
        entry = self._index.get(normalise_name(name))
        return entry is not None and entry.rejected_in(source_name)

    def matcher(self) -> "Matcher":
        return self._matcher

    # made once per Lexicon (``from_json`` hands every document the same one): a cache keyed by
    # the Lexicon hashed all its names again at each look-up, once per practice of every document
    @functools.cached_property
    def _index(self) -> dict[str, LearnedName]:
        return self.by_name()

    @functools.cached_property
    def _matcher(self) -> "Matcher":
        return Matcher(self)


@functools.lru_cache(maxsize=8)
def from_json(text: str) -> Lexicon:
    """``Settings.learned_names`` → the Lexicon (cached by the text that made it)."""
    if not text:
        return Lexicon()
    return Lexicon(tuple(LearnedName(r["name"], r["status"], r["taught_by"], tuple(r.get("accepted_in") or ()))
                         for r in json.loads(text)))


def taught_by(record: dict) -> str:
    """The correction a learned name comes from, as people read it.

    >>> taught_by({"doc": "a.txt", "anchor": "楼宇联络员制度", "occurrence": 1})
    'a.txt#楼宇联络员制度'
    >>> taught_by({"doc": "a.txt", "anchor": "温暖港湾", "occurrence": 2})
    'a.txt#温暖港湾@2'
    """
    occurrence = int(record.get("occurrence", 1) or 1)
    return f"{record['doc']}#{record['anchor']}" + (f"@{occurrence}" if occurrence > 1 else "")


def learn(records: Iterable[dict]) -> Lexicon:
    """Correction records (the latest per target) → the names they teach.

    >>> lex = learn([
    ...     {"type": "mechanism", "action": "reject", "doc": "a.txt", "anchor": "温暖港湾", "name": "温暖港湾"},
    ...     {"type": "mechanism", "action": "add", "doc": "a.txt", "anchor": "楼宇联络员制度"},
    ...     {"type": "fact", "action": "reject", "doc": "a.txt", "anchor": "3000余人次"}])
    >>> [(n.name, n.status, n.taught_by, n.accepted_in) for n in lex.names]
    [('楼宇联络员制度', 'taught', 'a.txt#楼宇联络员制度', ('a.txt',)), ('温暖港湾', 'rejected', 'a.txt#温暖港湾', ())]
    """
    rejected: dict[str, str] = {}
    accepted: dict[str, str] = {}
    accepted_in: dict[str, set[str]] = {}
    for rec in records:
        if rec.get("type") != "mechanism":
            continue
        name = normalise_name(rec.get("name") or rec.get("anchor") or "")
        if not name:
            continue
        if rec.get("action") == "reject":
            rejected.setdefault(name, taught_by(rec))
        else:  # accept, add, edit: the name (as edited) is one an annotator stands behind
            accepted.setdefault(name, taught_by(rec))
            accepted_in.setdefault(name, set()).add(rec["doc"])
    names = [LearnedName(name, "rejected" if name in rejected else "taught",
                         rejected.get(name) or accepted[name], tuple(sorted(accepted_in.get(name, ()))))
             for name in set(rejected) | set(accepted)]
    return Lexicon(tuple(sorted(names, key=lambda n: n.name)))


def read_lexicon(folder: str | Path) -> Lexicon:
    """The names ``folder``'s corrections teach. Records refused as bad input (a one-character
    or control-character name, a figure that is no finite number…) teach nothing;
    ``corrections.apply`` reports them with file and line."""
    report = {"records": 0, "gold_only": 0, "unmatched": []}
    return learn(rec for _, _, rec in latest_records(folder, report))


# -- matching -------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Match:
    start: int
    end: int
    entry: LearnedName
    sentence: Sentence


class Matcher:
    """Every learned name, in one pass over each body sentence's folded text: one regular
    expression of all the names, longest first; a match counts only where it starts and ends
    at the tokens' word boundaries (联络员制度 is not found inside 楼宇联络员制度度假村 cut
    as …/制度/度假村… only if those are words). Names are folded as the text is (“”, 5, +)."""

    def __init__(self, lexicon: Lexicon):
        from .tagging import fold

        self.entries = {fold(n.name): n for n in lexicon.names}
        keys = sorted(self.entries, key=len, reverse=True)
        self.pattern = re.compile("|".join(map(re.escape, keys))) if keys else None

    def find(self, ntext: str, sentences: list[Sentence], source_name: str) -> list[Match]:
        """The first mention of each learned name found in the article ``source_name``."""
        if self.pattern is None:
            return []
        out, seen = [], set()
        for sent in sentences:
            starts, ends = {t.start for t in sent.tokens}, {t.end for t in sent.tokens}
            pos = sent.start
            while True:
                m = self.pattern.search(ntext, pos, sent.end)
                if m is None:
                    break
                entry = self.entries[m.group()]
                if m.start() in starts and m.end() in ends and entry.name not in seen \
                        and entry.found_in(source_name):
                    seen.add(entry.name)
                    out.append(Match(m.start(), m.end(), entry, sent))
                    pos = m.end()
                else:  # a shorter name may still start here, or a name just after
                    pos = m.start() + 1
        return out


# -- a changed lexicon: the documents it affects, processed again ---------------------------------
def changed_names(old: dict[str, dict], new: Lexicon) -> list[str]:
    """Names whose learning changed since the catalogue's documents were made (added,
    withdrawn, switched between taught and rejected, accepted in other articles).

    >>> changed_names({"温暖港湾": LearnedName("温暖港湾", "rejected", "a.txt#温暖港湾").as_row()}, Lexicon())
    ['温暖港湾']
    """
    now = {n.name: n.as_row() for n in new.names}
    return sorted(name for name in set(old) | set(now) if old.get(name) != now.get(name))


def stored_document(row: dict) -> Document:
    """A catalogued document as ``ingest`` made it, from its stored row (every column the
    row has of a ``Document`` field; spans and metadata rules stored as JSON)."""
    fields = {}
    for f in dataclasses.fields(Document):
        if f.name not in row:
            continue
        value = row[f.name]
        if f.name == "body_spans":
            value = tuple(tuple(s) for s in json.loads(value or "[]"))
        elif f.name == "metadata_rules":
            value = tuple(sorted(json.loads(value or "{}").items()))
        elif value is None:
            value = ""
        fields[f.name] = value
    return Document(**fields)


def refresh(catalogue, run_id: str, settings, process_document: Callable) -> int:
    """Bring the catalogue's documents up to ``settings.learned_names``: those a changed name
    occurs in (``instr`` over the stored texts; the ones this run wrote are already up to date)
    are processed again from their stored text and written again, in one transaction; then the
    lexicon is stored as the one the catalogue's documents were made with. Returns how many
    documents were processed again. A run killed before the end changes nothing, and the
    next run does it all again."""
    lexicon = from_json(settings.learned_names)
    changed = changed_names(catalogue.learned_names(), lexicon)
    if not changed:
        return 0
    failed = 0
    with catalogue.transaction():
        rows = catalogue.documents_containing(changed, not_of_run=run_id)
        for row in rows:
            try:
                extraction = process_document(stored_document(row), settings)
            except Exception as exc:  # one document must not stop the others; the next run tries again
                failed += 1
                catalogue.record_error(run_id, row.get("path") or row["source_name"],
                                       f"learned names: {type(exc).__name__}: {exc}", stage="relearn")
                continue
            catalogue.write(extraction, run_id, row.get("body_fingerprint") or "")
        if not failed:
            catalogue.save_learned_names([n.as_row() for n in lexicon.names])
    return len(rows) - failed
