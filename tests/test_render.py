"""A document rendered as HTML with its extractions highlighted."""
from __future__ import annotations

import re

from pipeline.ingest import read_document
from pipeline.process import process_document
from pipeline.render import SPAN_KEY, annotate_docs, labelled_spans, non_overlapping, render_html
from pipeline.settings import Settings
from pipeline.tagging import tag

from .conftest import CORPUS


def test_rendered_page_keeps_the_text_and_marks_each_extraction():
    settings = Settings()
    document = read_document(sorted(CORPUS.glob("*.txt"))[0], settings)
    extraction = process_document(document, settings)
    page = render_html(extraction, settings)
    labels = re.sub(r"<span[^>]*>\s*(FACT|MECHANISM|PLACE)\s*</span>", "", page)
    visible = re.sub(r"\s+", "", re.sub(r"<[^>]+>", "", labels))
    # every body paragraph is on the page, whole: no text lost or broken around the marks
    for paragraph in document.text.splitlines():
        if len(paragraph.strip()) > 40:
            assert re.sub(r"\s+", "", paragraph) in visible
    for fact in extraction.facts[:5]:
        assert fact.text in visible
    assert page.count(">FACT<") >= min(5, len(extraction.facts))


def test_spans_are_set_on_the_paragraph_docs():
    settings = Settings()
    document = read_document(sorted(CORPUS.glob("*.txt"))[0], settings)
    extraction = process_document(document, settings)
    docs = annotate_docs(tag(document, settings).docs, labelled_spans(extraction))
    spans = [s for d in docs for s in d.spans[SPAN_KEY]]
    assert {s.label_ for s in spans} >= {"FACT", "MECHANISM"}
    for d in docs:
        for s in d.spans[SPAN_KEY]:
            start = d.user_data["offset"] + s.start_char
            assert document.text[start:start + len(s.text)] == s.text


def test_overlapping_spans_keep_the_mechanism():
    spans = [(0, 4, "PLACE"), (0, 6, "MECHANISM"), (5, 9, "FACT"), (10, 12, "FACT")]
    assert non_overlapping(spans) == [(0, 6, "MECHANISM"), (10, 12, "FACT")]
