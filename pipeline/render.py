"""Extraction → HTML: the document with facts, mechanisms and places highlighted (displaCy spans).

For annotators and the catalogue's document view. Each body paragraph is a spaCy Doc
(from the tagging stage) whose ``doc.spans["jingyan"]`` holds what was extracted in it.
"""
from __future__ import annotations

import html

from .records import Extraction
from .settings import Settings
from .tagging import tag

SPAN_KEY = "jingyan"
COLORS = {"FACT": "#ffd166", "MECHANISM": "#9ad0f5", "PLACE": "#b5e48c"}


def labelled_spans(extraction: Extraction) -> list[tuple[int, int, str]]:
    """(start, end, label) for everything extracted, offsets into Document.text."""
    spans = [(f.start, f.end, "FACT") for f in extraction.facts]
    spans += [(m.start, m.end, "MECHANISM") for m in extraction.mechanisms]
    spans += [(p.start, p.end, "PLACE") for p in extraction.places]
    return sorted(spans)


def annotate_docs(docs: list, spans: list[tuple[int, int, str]]) -> list:
    """Put each span on the paragraph Doc it falls in, as ``doc.spans[SPAN_KEY]``."""
    for doc in docs:
        offset = doc.user_data.get("offset", 0)
        inside = []
        for start, end, label in spans:
            if offset <= start and end <= offset + len(doc.text):
                span = doc.char_span(start - offset, end - offset, label=label, alignment_mode="expand")
                if span is not None:
                    inside.append(span)
        doc.spans[SPAN_KEY] = inside
    return docs


PRIORITY = {"MECHANISM": 0, "FACT": 1, "PLACE": 2}


def non_overlapping(spans: list[tuple[int, int, str]]) -> list[tuple[int, int, str]]:
    """Drop spans that overlap a kept one; mechanisms first, then facts, then places."""
    kept: list[tuple[int, int, str]] = []
    for start, end, label in sorted(spans, key=lambda s: (PRIORITY.get(s[2], 9), s[0] - s[1])):
        if all(end <= s or start >= e for s, e, _ in kept):
            kept.append((start, end, label))
    return sorted(kept)


def render_html(extraction: Extraction, settings: Settings, page: bool = True) -> str:
    """The document's body as HTML with extractions highlighted, through displaCy.

    displaCy's entity style, fed by character offsets: its span style writes a space
    after every token, which breaks Chinese text into words on screen. The spans are
    also set on the paragraph Docs (``doc.spans["jingyan"]``) for anyone who wants them.
    """
    import warnings

    from spacy import displacy

    docs = annotate_docs(tag(extraction.document, settings).docs, labelled_spans(extraction))
    spans = non_overlapping(labelled_spans(extraction))
    paragraphs = []
    for doc in docs:
        offset = doc.user_data.get("offset", 0)
        ents = [{"start": s - offset, "end": e - offset, "label": label}
                for s, e, label in spans if offset <= s and e <= offset + len(doc.text)]
        paragraphs.append({"text": doc.text, "ents": ents, "title": None})
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=r"\[W006\]")  # a paragraph with nothing extracted is normal
        body = displacy.render(paragraphs, style="ent", manual=True, page=False, jupyter=False,
                               options={"colors": COLORS})
    if not page:
        return body
    doc = extraction.document
    title = html.escape(doc.title or doc.source_name)
    meta = " · ".join(html.escape(x) for x in (doc.publisher, doc.published, doc.source_name) if x)
    legend = " ".join(f'<span style="background:{c};padding:0 .4em">{k}</span>' for k, c in COLORS.items())
    return (f'<!doctype html><html lang="zh"><head><meta charset="utf-8"><title>{title}</title></head>'
            f'<body style="max-width:52em;margin:auto;font-family:sans-serif">'
            f"<h1>{title}</h1><p>{meta}</p><p>{legend}</p>{body}</body></html>")
