"""Datasette plugin (entry point ``jingyan``): Chinese search and a highlighted document view.

Loaded by any ``datasette`` where jingyan is installed, so ``datasette catalogue.db`` works
as well as ``jingyan serve``:

- ``prepare_connection`` registers the jieba FTS5 tokenizer on every connection, so the
  search box and ``?_search=物业`` work on documents, facts, mechanisms and practices;
- ``/<database>/-/document/<id>`` shows one document with its figures, practices and
  places highlighted where they stand in the text;
- a column named ``highlighted_view`` (as in the ``document_extractions`` canned query)
  renders as a link to that view;
- table pages lead with the rows: column descriptions fold into a ``<details>``
  (templates/table.html);
- a query with a ``document_id`` parameter offers a select of documents by title
  (templates/query.html, ``document_choices``); one with a ``family_id`` parameter a select of
  practice families (``family_choices``), and practice_families' ``family_id`` links to the
  family's page, the canned query ``practice_spread_of_family``;
- the map of datasette-cluster-map gets an offline base layer, province outlines shipped in
  static/china_provinces.geojson, under the tiles that load when there is a network
  (static/jingyan_map.js).
"""
from __future__ import annotations

import functools
import logging
import re
import sqlite3
from pathlib import Path

from datasette import hookimpl
from markupsafe import Markup, escape

from . import fts
from .settings import Settings

TEMPLATES = Path(__file__).parent / "templates"
STATIC = Path(__file__).parent / "static"
STATIC_FILES = {"jingyan_map.js": "text/javascript; charset=utf-8",
                "china_provinces.geojson": "application/geo+json"}
PICKER_LIMIT = 1000  # options in the document picker; Datasette returns at most 1,000 rows too
KIND_ORDER = {"mechanism": 0, "fact": 1, "place": 2}  # on overlap, the practice wins


# SQLite's limits on every connection Datasette opens (issue 20): no single call may build a
# value larger than twice the largest file a run takes (settings.max_file_bytes, 20 MB), so
# printf('%.*c', 2000000000, 'x') or zeroblob(1e8) fail at once with an error page instead of
# running past the time limit into gigabytes or sending a 200 MB response.
SQLITE_LIMITS = {
    sqlite3.SQLITE_LIMIT_LENGTH: 2 * Settings.max_file_bytes,  # a string, blob or row
    sqlite3.SQLITE_LIMIT_SQL_LENGTH: 100_000,  # the text of one statement
    sqlite3.SQLITE_LIMIT_COLUMN: 2_000,
    sqlite3.SQLITE_LIMIT_EXPR_DEPTH: 500,
    sqlite3.SQLITE_LIMIT_COMPOUND_SELECT: 100,
    sqlite3.SQLITE_LIMIT_FUNCTION_ARG: 100,
    sqlite3.SQLITE_LIMIT_LIKE_PATTERN_LENGTH: 1_000,
    sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER: 1_000,
    sqlite3.SQLITE_LIMIT_TRIGGER_DEPTH: 10,
}
# Datasette's write API: the catalogue is served read-only, so these are pages that do not exist
# (Datasette's own answer to /-/insert was a 500).
WRITE_ENDPOINT = r"^/(?:[^/]+/){0,3}-/(?:insert|upsert|update|delete|drop|create|alter)$"


@hookimpl
def prepare_connection(conn):
    for limit, value in SQLITE_LIMITS.items():
        conn.setlimit(limit, value)
    # SQLite's printf runs a width or precision of 2,000,000,000 to its end (15 s, 1.2 GB) before
    # the length limit stops it: a call asking for more than the limit is refused before it runs
    for name in ("printf", "format"):
        conn.create_function(name, -1, _bounded_printf, deterministic=True)
    fts.register(conn)


def _bounded_printf(*args):
    """SQLite's own printf, on a private connection, unless a number asks for more characters
    than a value may hold."""
    limit = SQLITE_LIMITS[sqlite3.SQLITE_LIMIT_LENGTH]
    written = [int(n) for n in re.findall(r"\d{1,12}", args[0])] if args and isinstance(args[0], str) else []
    if any(isinstance(a, (int, float)) and abs(a) > limit for a in [*args[1:], *written]):
        raise ValueError(f"printf: a width or precision above {limit} characters")
    return _printf_connection().execute(f"select printf({', '.join('?' * len(args))})", args).fetchone()[0]


@functools.cache
def _printf_connection() -> sqlite3.Connection:
    conn = sqlite3.connect(":memory:", check_same_thread=False)
    for limit, value in SQLITE_LIMITS.items():
        conn.setlimit(limit, value)
    return conn


@hookimpl
def startup():
    # Datasette awaits every handle_exception hook, and its own prints a traceback with locals
    # even for a refused query: ours answers in its place (and hands it the faults it does not own).
    from datasette import handle_exception as default
    from datasette.plugins import pm

    if pm.is_registered(default):
        pm.unregister(default)
    # a refused printf (``_bounded_printf``) is the query's error, not a traceback in the log
    sqlite3.enable_callback_tracebacks(False)

    async def warm_up():
        import asyncio

        # Load jieba's dictionary (~1 s) in the background now, not during the first search.
        asyncio.get_running_loop().run_in_executor(None, fts.segmenter)

    return warm_up


@hookimpl
def prepare_jinja2_environment(env):
    from jinja2 import ChoiceLoader, FileSystemLoader

    # Before Datasette's loaders: table.html and query.html here extend Datasette's own
    # ("default:table.html"), changing a block each; jingyan_document.html is a page of ours.
    env.loader = ChoiceLoader([FileSystemLoader(str(TEMPLATES)), env.loader])


@hookimpl
def register_routes():
    return [(WRITE_ENDPOINT, no_write_endpoint),
            (r"^/(?P<database>[^/]+)/-/document/(?P<document_id>[^/]+)$", document_view),
            (r"^/-/jingyan/(?P<name>[a-z_]+\.(?:js|geojson))$", static_file)]


@hookimpl
def extra_js_urls(view_name, datasette):
    # On every page that may show a map; the script does nothing where datasette-cluster-map
    # draws none.
    if view_name in ("table", "database", "query"):
        return [{"url": datasette.urls.path("-/jingyan/jingyan_map.js"), "module": True}]
    return []


@hookimpl
def extra_template_vars(request, datasette):
    async def jingyan_document_choices(database: str, current: str | None) -> dict:
        return await document_choices(datasette, request, database, current)

    async def jingyan_family_choices(database: str, current: str | None) -> dict:
        return await family_choices(datasette, request, database, current)

    return {"jingyan_document_choices": jingyan_document_choices, "jingyan_family_choices": jingyan_family_choices}


@hookimpl
def render_cell(value, column, database, datasette):
    if column == "highlighted_view" and isinstance(value, str) and value:
        href = f"{datasette.urls.database(database)}/-/document/{value}"
        return Markup(f'<a href="{escape(href)}">highlighted text</a>')
    if column == "family_id" and isinstance(value, str) and value:  # practice_families: the family's page
        href = f"{datasette.urls.database(database)}/{FAMILY_QUERY}?family_id={value}"
        return Markup(f'<a href="{escape(href)}">where it spread</a>')
    return None


async def no_write_endpoint(request):
    from datasette.utils.asgi import NotFound

    raise NotFound("this catalogue is served read-only: there is no write API")


LOG = logging.getLogger("jingyan.serve")


@hookimpl(tryfirst=True)
def handle_exception(datasette, request, exception):
    """A refused request (a bad or too costly query, a page that does not exist) answered as
    Datasette answers it, logged in one line instead of Datasette's traceback with locals."""
    from datasette.utils.asgi import Base400
    from datasette.views.base import DatasetteError

    if not isinstance(exception, (Base400, DatasetteError)):
        from datasette import handle_exception as default  # a fault of ours: its traceback is wanted

        return default.handle_exception(datasette, request, exception)

    async def inner():
        from datasette import Response

        status = exception.status
        message = exception.args[0] if isinstance(exception, Base400) else exception.message
        LOG.warning("refused %s %s: %s %s", request.method, request.path, status,
                    " ".join(str(message).split())[:300])
        info = {"ok": False, "error": str(message), "status": status,
                "title": getattr(exception, "title", None)}
        if request.path.endswith(".json"):
            return Response.json(info, status=status)
        if isinstance(exception, DatasetteError) and exception.message_is_html:
            info["error"] = Markup(message)
        template = datasette.jinja_env.select_template([f"{status}.html", "error.html"])
        html = await template.render_async(dict(info, urls=datasette.urls, app_css_hash=datasette.app_css_hash(),
                                                menu_links=lambda: []))
        return Response.html(html, status=status)

    return inner


async def static_file(request):
    from datasette.utils.asgi import NotFound, Response

    name = request.url_vars["name"]
    if name not in STATIC_FILES:
        raise NotFound(name)
    return Response((STATIC / name).read_bytes(), content_type=STATIC_FILES[name],
                    headers={"cache-control": "max-age=3600"})


async def document_choices(datasette, request, database: str, current: str | None) -> dict:
    """The documents a picker offers: up to PICKER_LIMIT, newest first, and the current one.

    Each is labelled by what a reader knows it by (``document_label``). Without permission to
    see the documents table the picker offers nothing and the text box stays.
    """
    return await _choices(datasette, request, database, "documents", PICKER_SQL, current, document_label)


async def _choices(datasette, request, database: str, table: str, sql: str, current: str | None,
                   label) -> dict:
    """{table: [{id, label}], total}: the rows of ``sql`` a picker offers, each labelled by
    ``label(row)``; none without permission to see ``table``."""
    actor = request.actor if request else None
    if not await datasette.permission_allowed(actor, "view-table", (database, table), default=True):
        return {table: [], "total": 0}
    db = datasette.get_database(database)
    total = (await db.execute(f"select count(*) from {table}")).single_value()
    rows = (await db.execute(sql, {"limit": PICKER_LIMIT, "current": current or ""})).rows
    return {table: [{"id": r["id"], "label": label(dict(r))} for r in rows], "total": total}


PICKER_SQL = """
select id, title, source_name, publisher, published,
       -- an untitled document is known by the start of its body (body_spans: [[start, end], ...])
       case when coalesce(title, '') = '' then
         substr(text, coalesce(json_extract(body_spans, '$[0][0]'), 0) + 1, 60) end as opening
from documents
where id = :current or id in (select id from documents order by coalesce(published, '') desc,
                                     coalesce(nullif(title, ''), source_name) limit :limit)
order by coalesce(published, '') desc, coalesce(nullif(title, ''), source_name)
"""
OPENING_CHARS = 24  # of an untitled document's first line, in its label


def document_label(doc: dict) -> str:
    """How a document reads in a list: its title, publisher and date; an untitled one by the
    first words of its body (a file name such as 002_6db4a9f55f89edc1.txt tells a reader nothing).

    >>> document_label({"title": "宁海路街道推行红色物业", "publisher": "南京日报", "published": "2024-05-01"})
    '宁海路街道推行红色物业 · 南京日报 · 2024-05-01'
    >>> document_label({"title": "", "opening": "\\n近年来，浙江省宁波市鄞州区认真贯彻落实党中央的工作部署。\\n以理念转变",
    ...                 "source_name": "002_6db4a9f55f89edc1.txt", "publisher": None, "published": ""})
    '“近年来，浙江省宁波市鄞州区认真贯彻落实党中央的工…” (untitled)'
    """
    name = doc.get("title")
    if not name:
        first_line = next((line.strip() for line in (doc.get("opening") or "").splitlines() if line.strip()), "")
        cut = first_line[:OPENING_CHARS] + ("…" if len(first_line) > OPENING_CHARS else "")
        name = f"“{cut}” (untitled)" if cut else doc.get("source_name") or doc.get("id") or ""
    return " · ".join(p for p in (name, doc.get("publisher"), doc.get("published")) if p)


# -- practice families (issue 24) ----------------------------------------------------------------------
FAMILY_QUERY = "practice_spread_of_family"  # the canned query that is a family's page
FAMILY_PICKER_SQL = """
select family_id as id, family, names, localities from practice_families
where family_id = :current or family_id in (select family_id from practice_families limit :limit)
order by localities desc, documents desc, family
"""


async def family_choices(datasette, request, database: str, current: str | None) -> dict:
    """The families a picker offers (up to PICKER_LIMIT), most localities first, as
    practice_families orders them, and the current one."""
    return await _choices(datasette, request, database, "families", FAMILY_PICKER_SQL, current, family_label)


def family_label(row: dict) -> str:
    """How a family reads in the picker: its name, its other names, its reach.

    >>> family_label({"family": "红色物业", "names": "红色物业、红色物业联盟", "localities": 3})
    '红色物业 (红色物业联盟) · 3 localities'
    """
    others = [n for n in (row.get("names") or "").split("、") if n and n != row.get("family")]
    reach = row.get("localities") or 0
    return (f"{row.get('family')}" + (f" ({'、'.join(others)})" if others else "")
            + f" · {reach} localit{'y' if reach == 1 else 'ies'}")


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
