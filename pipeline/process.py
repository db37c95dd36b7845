"""Document → Extraction: the stages composed, in one place, without Prefect.

tag → localities, facts, mechanisms (each reads only the Tagged document) → place each
record in its most specific locality (a practice by its first mention outside headings,
and by a place written right before its name) → drop facts that are digits inside a
mechanism's name (阳光8号, 1+3+N) → give each fact and mechanism its confidence (the trained
scorer, ``pipeline.confidence``: it scores, it does not decide; docs/confidence.md says why).
Corrections from annotations/ are applied by the catalogue writer.
"""
from __future__ import annotations

import bisect
from itertools import accumulate

from . import confidence
from . import facts as facts_stage
from . import localities as localities_stage
from . import mechanisms as mechanisms_stage
from .mechanism_rules import load_rules
from .records import Document, Extraction
from .settings import Settings
from .tagging import tag


def process_document(document: Document, settings: Settings) -> Extraction:
    """The document's extraction, each fact and mechanism with its ``confidence`` (the scorer
    of ``Settings.confidence_model``, read once per process)."""
    tagged = tag(document, settings)
    return with_confidence(extract(tagged, settings), tagged, settings)


def with_confidence(extraction: Extraction, tagged, settings: Settings) -> Extraction:
    """Every fact and mechanism scored by the trained scorer, a document's rows together."""
    scorer = confidence.scorer_for(settings)
    extraction.facts, extraction.mechanisms = scorer.score(
        tagged, load_rules(settings.data_dir), extraction.facts, extraction.mechanisms)
    return extraction


def extract(tagged, settings: Settings) -> Extraction:
    """The stages over a tagged document, unscored (the scorer's training reads this)."""
    document = tagged.document
    places = localities_stage.find_places(tagged, settings)
    found = mechanisms_stage.extract_mechanisms(tagged, settings)
    name_spans = found.name_spans()
    inside = _within(name_spans)
    facts = [f for f in facts_stage.extract_facts(tagged, settings) if not inside(f.start, f.end)]
    facts = [f.with_(locality=places.locality_at(f.start)) for f in facts]
    mechanisms = [m.with_(locality=_practice_place(m, document.text, places)) for m in found.mechanisms]
    return Extraction(document=document, facts=facts, mechanisms=mechanisms, places=places.places,
                      sentences=tagged.sentences, document_locality=places.document_locality,
                      search_words=tagged.search_words)


def _within(spans: list[tuple[int, int]]):
    """A test whether [start, end) lies inside one of ``spans`` (阳光8号's 8 inside the name
    阳光8号), by bisection: every fact against every name made a long document quadratic.

    >>> inside = _within([(10, 15), (2, 4)])
    >>> inside(11, 13), inside(3, 5), inside(2, 4), inside(16, 17)
    (True, False, True, False)
    """
    ordered = sorted(spans)
    starts = [s for s, _ in ordered]
    furthest = list(accumulate((e for _, e in ordered), max))  # the furthest end of any span starting by here

    def inside(start: int, end: int) -> bool:
        k = bisect.bisect_right(starts, start)
        return k > 0 and furthest[k - 1] >= end

    return inside


def check_rules(settings: Settings) -> None:
    """Load every stage's rule files from ``settings.data_dir`` once, so a bad one stops a run
    before any document (``rules.RuleError`` or ``tables.TableError``, naming file and entry)
    instead of failing every document with the same error."""
    from . import families, furniture, metadata, practices

    for load in (facts_stage.lexicon, localities_stage.lexicon, load_rules, furniture.nav_regex,
                 furniture.patterns, furniture.layout, metadata.rules, metadata.date_rules, families.load_rules):
        load(settings.data_dir)
    practices.category_table()
    confidence.scorer_for(settings)  # a missing or stale model: one ScorerError line


def _practice_place(m, text: str, places) -> "Locality | None":
    """Where a practice is: at its first mention outside section headings (a heading names
    the practice its section then places), the place written right before the name
    (南院门街道“书院红”), else the place in effect there."""
    name, at = text[m.start:m.end], m.start
    while places.in_heading(at):
        later = text.find(name, at + 1)
        if later < 0:
            at = m.start
            break
        at = later
    return places.adjacent(at) or places.locality_at(at)
