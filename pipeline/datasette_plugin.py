"""Datasette plugin (entry point ``jingyan``): Chinese search and a highlighted document view.

Loaded by any ``datasette`` where jingyan is installed, so ``datasette catalogue.db`` works
as well as ``jingyan serve``:

- ``prepare_connection`` registers the jieba FTS5 tokenizer on every connection, so the
  search box and ``?_search=物业`` work on documents, facts, mechanisms and practices;
- ``/<database>/-/document/<id>`` shows one document with its figures, practices and
  places highlighted where they stand in the text;
- a column named ``highlighted_view`` (as in the ``document_extractions`` canned query)
  renders as a link to that view.
"""
from __future__ import annotations

from pathlib import Path

from datasette import hookimpl
from markupsafe import Markup, escape

from . import fts

TEMPLATES = Path(__file__).parent / "templates"
KIND_ORDER = {"mechanism": 0, "fact": 1, "place": 2}  # on overlap, the practice wins


@hookimpl
def prepare_connection(conn):
    fts.register(conn)


@hookimpl
def startup():
    async def warm_up():
        import asyncio

        # Load jieba's dictionary (~1 s) in the background now, not during the first search.
        asyncio.get_running_loop().run_in_executor(None, fts.segmenter)

    return warm_up


@hookimpl
def prepare_jinja2_environment(env):
    from jinja2 import ChoiceLoader, FileSystemLoader

    # After Datasette's own loaders: these templates add pages, they override nothing.
    env.loader = ChoiceLoader([env.loader, FileSystemLoader(str(TEMPLATES))])


@hookimpl
def register_routes():
    return [(r"^/(?P<database>[^/]+)/-/document/(?P<document_id>[^/]+)$", document_view)]


@hookimpl
def render_cell(value, column, database, datasette):
    if column == "highlighted_view" and isinstance(value, str) and value:
        href = f"{datasette.urls.database(database)}/-/document/{value}"
        return Markup(f'<a href="{escape(href)}">highlighted text</a>')
    return None


async def document_view(datasette, request):
    from datasette.utils.asgi import NotFound, Response

    database = request.url_vars["database"]
    document_id = request.url_vars["document_id"]
    try:
        db = datasette.get_database(database)
    except KeyError:
        raise NotFound(f"no database {database}")
    await datasette.ensure_permissions(request.actor, [("view-table", (database, "documents")),
                                                       ("view-database", database), "view-instance"])
    doc = (await db.execute("select id, title, publisher, published, url, source_name, text "
                            "from documents where id = ?", [document_id])).first()
    if doc is None:
        raise NotFound(f"no document {document_id}")
    spans = [dict(r) for r in (await db.execute(SPANS_SQL, {"id": document_id})).rows]
    context = {"database": database, "doc": dict(doc), "spans": spans,
               "pieces": highlight(doc["text"] or "", spans),
               "db_url": datasette.urls.database(database)}
    return Response.html(await datasette.render_template("jingyan_document.html", context, request=request))


SPANS_SQL = """
select 'mechanism' as kind, m.id, m.start, m.end, m.name as label,
       m.kind || coalesce(': ' || m.definition, '') as detail, m.rule, 'mechanisms' as tbl
from mechanisms m where m.document_id = :id
union all
select 'fact', f.id, f.start, f.end, f.text,
       coalesce(f.subject, '') || ' = ' || printf('%g', f.value)
       || case when f.value_max is null then '' else '–' || printf('%g', f.value_max) end
       || ' ' || coalesce(f.unit, ''),
       f.rule, 'facts'
from facts f where f.document_id = :id
union all
select 'place', lm.id, lm.start, lm.end, lm.name, coalesce(l.path, ''), '', 'locality_mentions'
from locality_mentions lm left join localities l on l.id = lm.locality_id where lm.document_id = :id
order by start, end desc
"""


def highlight(text: str, spans: list[dict]) -> list[dict]:
    """The text cut into plain and marked pieces, marks never overlapping.

    Where spans overlap, the one starting first wins (at the same start the longer, then a
    practice over a figure over a place); every span is still listed under the text.

    >>> [(p["text"], p["kind"]) for p in highlight("推行红色物业模式", [
    ...     {"start": 2, "end": 6, "kind": "mechanism", "label": "红色物业", "id": "m1"}])]
    [('推行', None), ('红色物业', 'mechanism'), ('模式', None)]
    """
    ordered = sorted((s for s in spans if 0 <= s["start"] < s["end"] <= len(text)),
                     key=lambda s: (s["start"], -s["end"], KIND_ORDER.get(s["kind"], 9)))
    pieces, pos = [], 0
    for span in ordered:
        if span["start"] < pos:
            continue
        if span["start"] > pos:
            pieces.append({"text": text[pos:span["start"]], "kind": None})
        pieces.append({"text": text[span["start"]:span["end"]], "kind": span["kind"],
                       "title": span.get("detail") or span.get("label", ""), "id": span.get("id")})
        pos = span["end"]
    if pos < len(text):
        pieces.append({"text": text[pos:], "kind": None})
    return pieces
