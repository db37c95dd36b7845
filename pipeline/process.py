"""Document → Extraction: the stages composed, in one place, without Prefect.

tag → localities, facts, mechanisms (each reads only the Tagged document) → place each
record in its most specific locality (a practice by its first mention outside headings,
and by a place written right before its name) → drop facts that are digits inside a
mechanism's name (阳光8号, 1+3+N). Corrections from annotations/ are applied by the catalogue writer.
"""
from __future__ import annotations

from dataclasses import replace

from . import facts as facts_stage
from . import localities as localities_stage
from . import mechanisms as mechanisms_stage
from .records import Document, Extraction
from .settings import Settings
from .tagging import tag


def process_document(document: Document, settings: Settings) -> Extraction:
    tagged = tag(document, settings)
    places = localities_stage.find_places(tagged, settings)
    found = mechanisms_stage.extract_mechanisms(tagged, settings)
    name_spans = found.name_spans()
    facts = [
        f for f in facts_stage.extract_facts(tagged, settings)
        if not any(s <= f.start and f.end <= e for s, e in name_spans)
    ]
    facts = [replace(f, locality=places.locality_at(f.start)) for f in facts]
    mechanisms = [replace(m, locality=_practice_place(m, document.text, places)) for m in found.mechanisms]
    return Extraction(document=document, facts=facts, mechanisms=mechanisms, places=places.places,
                      sentences=tagged.sentences, document_locality=places.document_locality,
                      search_words=tagged.search_words)


def check_rules(settings: Settings) -> None:
    """Load every stage's rule files from ``settings.data_dir`` once, so a bad one stops a run
    before any document (``rules.RuleError`` or ``tables.TableError``, naming file and entry)
    instead of failing every document with the same error."""
    from . import furniture, metadata, practices
    from .mechanism_rules import load_rules

    for load in (facts_stage.lexicon, localities_stage.lexicon, load_rules, furniture.nav_regex,
                 furniture.patterns, furniture.layout, metadata.rules):
        load(settings.data_dir)
    practices.category_table()


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
