"""The only module that runs SQL on a catalogue: schema, views, idempotent writes,
transactions, and the reads and row changes its writers (the flow, corrections) need.

Never VACUUM a catalogue: its tables have no INTEGER PRIMARY KEY, so VACUUM may
renumber rowids under the full-text indexes (content= tables keyed by rowid).

Every document is written atomically (its row, facts, mechanisms, places: a transaction,
or a savepoint in the flow writer's, ``batches.CatalogueWriter``), so a run killed at any
moment leaves whole documents or none. Ids derive from content
(document sha256 + span), so a re-run upserts the same rows instead of adding new ones.
"""
from __future__ import annotations

import contextlib
import json
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Iterator

from . import PIPELINE_VERSION, fts, practices
from .records import Extraction, Locality, stable_id

# What SQLite raises when it refuses a statement or a commit: the flow's writer catches it
# without a driver of its own to name.
CatalogueError = sqlite3.Error

SCHEMA_VERSION = 1

# The connection's page cache (SQLite's default is 2 MB): a transaction of a few hundred
# documents touches tens of MB of index pages, which would otherwise spill to the WAL
# before the commit writes them again. An upper bound, taken only as pages are read.
PAGE_CACHE_KIB = 128 * 1024

# Set by annotations/ (corrections.apply) on facts and mechanisms: 1 when an annotator accepted
# the row or set its fields, and the correction's who and when. A catalogue written before
# these columns existed gets them when opened (``_ensure_schema`` adds missing columns).
CORRECTION_COLUMNS = {"checked": int, "corrected_by": str, "corrected_at": str}

TABLES: dict[str, dict] = {
    # text and body_spans last: a query touching a column after them reads through every text
    "documents": dict(columns={
        "id": str, "source_name": str, "path": str, "paths": str, "sha256": str, "file_sha256": str,
        "encoding": str, "title": str, "publisher": str, "published": str, "author": str,
        "url": str, "edition": str, "issuer": str, "original_title": str,
        "body_fingerprint": str, "locality_id": str, "chars": int, "pipeline_version": str, "run_id": str,
        "processed_at": str, "metadata_rules": str, "text": str, "body_spans": str}, pk="id",
        foreign_keys=[("locality_id", "localities", "id")]),
    "facts": dict(columns={
        "id": str, "document_id": str, "start": int, "end": int, "text": str, "value": float,
        "value_max": float, "unit": str, "qualifier": str, "subject": str, "time": str, "change_from": float,
        "chinese_numeral": int, "locality_id": str, "sentence": str, "sentence_start": int,
        "sentence_end": int, "rule": str, "source": str, **CORRECTION_COLUMNS}, pk="id",
        foreign_keys=[("document_id", "documents", "id"), ("locality_id", "localities", "id")]),
    "mechanisms": dict(columns={
        "id": str, "document_id": str, "name": str, "kind": str, "start": int, "end": int, "definition": str,
        "definition_start": int, "components": str, "locality_id": str, "practice_id": str, "sentence": str,
        "sentence_start": int, "sentence_end": int, "rule": str, "source": str, **CORRECTION_COLUMNS},
        pk="id", foreign_keys=[("document_id", "documents", "id"), ("locality_id", "localities", "id"),
                               ("practice_id", "practices", "id")]),
    "practices": dict(columns={
        "id": str, "name": str, "kind": str, "category": str, "document_count": int, "locality_count": int,
        "mention_count": int}, pk="id"),
    "localities": dict(columns={
        "id": str, "name": str, "level": str, "parent_id": str, "adcode": str, "latitude": float,
        "longitude": float, "approximate": int, "path": str}, pk="id",
        foreign_keys=[("parent_id", "localities", "id")]),
    "locality_mentions": dict(columns={
        "id": str, "document_id": str, "locality_id": str, "start": int, "end": int, "name": str, "rule": str},
        pk="id", foreign_keys=[("document_id", "documents", "id"), ("locality_id", "localities", "id")]),
    # every file a document was found at, by path: which document a file holds, found by
    # index (documents.paths is the same list for reading; searching it scanned every row)
    "document_paths": dict(columns={"path": str, "document_id": str}, pk="path",
                           foreign_keys=[("document_id", "documents", "id")]),
    "runs": dict(columns={
        "id": str, "started": str, "finished": str, "status": str, "inputs": str, "seen": int,
        "processed": int, "skipped": int, "failed": int, "facts": int, "mechanisms": int, "seconds": float,
        "pipeline_version": str, "settings": str}, pk="id"),
    "errors": dict(columns={
        "id": str, "run_id": str, "path": str, "reason": str, "stage": str, "at": str}, pk="id"),
}

INDEXES = [
    ("facts", ["document_id"]), ("facts", ["locality_id"]), ("facts", ["subject"]),
    # practice_id first, with what refresh_practices counts: every run counts from the index alone
    # (at 10,000 documents 0.4 s instead of 1.2 s reading 430,000 rows); no dearer to write
    ("mechanisms", ["document_id"]), ("mechanisms", ["practice_id", "document_id", "locality_id"]),
    ("mechanisms", ["locality_id"]),
    ("documents", ["file_sha256"]), ("documents", ["body_fingerprint"]), ("localities", ["parent_id"]),
    ("locality_mentions", ["document_id"]), ("errors", ["run_id"]), ("document_paths", ["document_id"]),
]

ANNOTATED_TABLES = ("facts", "mechanisms")  # the tables annotators correct (annotations/)

# The citations view (Datasette): every fact with its quote and source, unchecked (``citations.cite``
# checks them against the text). ``line`` is the 1-based line of the text the figure stands on
# (newlines before it + 1).
CITATIONS_VIEW_SQL = """
    select f.id as fact_id, f.document_id,
           coalesce(nullif(f.sentence, ''), f.text) as quote,
           f.text as figure, f.value, f.unit, f.subject, f.source as fact_source,
           d.title, d.publisher, d.published, d.author, d.edition,
           coalesce(nullif(d.url, ''), d.path) as source, d.url, d.path, d.sha256,
           f.start, f.end, f.sentence_start, f.sentence_end,
           length(substr(d.text, 1, f.start)) - length(replace(substr(d.text, 1, f.start), char(10), '')) + 1 as line
    from facts f join documents d on d.id = f.document_id"""

VIEWS = {
    "practices_by_locality": """
        select l.id as locality_id, l.path as locality, l.level, p.id as practice_id, p.name as practice,
               p.kind, p.category, count(distinct m.document_id) as documents, count(*) as mentions
        from mechanisms m join practices p on p.id = m.practice_id
        join localities l on l.id = m.locality_id
        group by l.id, p.id order by l.path, p.name""",
    "practices_in_several_localities": """
        select p.id, p.name, p.kind, p.category, count(distinct m.locality_id) as localities,
               group_concat(distinct l.path) as where_found, count(distinct m.document_id) as documents
        from practices p join mechanisms m on m.practice_id = p.id
        join localities l on l.id = m.locality_id
        group by p.id having count(distinct m.locality_id) >= 2 order by localities desc, p.name""",
    "citations": CITATIONS_VIEW_SQL,
}


SQLITE_HEADER = b"SQLite format 3\x00"  # the first 16 bytes of every SQLite database file


class CatalogueFileError(Exception):
    """A path a run must not write: not a SQLite file, or a SQLite database of something else."""


def catalogue_file_note(path: str | Path) -> str:
    """Whether a run may write a catalogue at ``path``, read without changing it.

    "" for a missing or empty file or one of our catalogues; a note when the catalogue's
    documents were made by another pipeline version (they will be processed again);
    ``CatalogueFileError`` for a folder, a file that is no SQLite database, or a SQLite
    database without a catalogue's tables.
    """
    path = Path(path)
    if not path.exists():
        return ""
    if path.is_dir():
        raise CatalogueFileError(f"--db {path} is a folder, not a catalogue file")
    with path.open("rb") as fh:
        head = fh.read(16)
    if not head:
        return ""
    if head != SQLITE_HEADER:
        raise CatalogueFileError(f"--db {path} is not a SQLite file (a catalogue is one): choose another path")
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            tables = {r[0] for r in conn.execute("select name from sqlite_master where type = 'table'")}
            ours = {"documents", "facts", "runs"}
            if tables and not ours <= tables:
                raise CatalogueFileError(f"--db {path} is a SQLite database but not a jingyan catalogue "
                                         f"(tables: {', '.join(sorted(tables)[:5])}): choose another path")
            if not tables:
                return ""
            versions = [r[0] for r in conn.execute("select distinct pipeline_version from documents "
                                                   "where pipeline_version != ?", [PIPELINE_VERSION])]
        finally:
            conn.close()
    except sqlite3.Error as exc:
        raise CatalogueFileError(f"--db {path} cannot be read as a catalogue: {exc}") from None
    if versions:
        return (f"{path} holds documents of pipeline version {', '.join(sorted(map(str, versions)))}: "
                f"they are processed again with version {PIPELINE_VERSION}")
    return ""


def now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S%z")


@dataclass
class RunStats:
    seen: int = 0
    processed: int = 0
    skipped: int = 0
    failed: int = 0
    facts: int = 0
    mechanisms: int = 0

    def add(self, other: "RunStats") -> None:
        for key, value in other.__dict__.items():
            setattr(self, key, getattr(self, key) + value)


class Catalogue:
    """A catalogue file. Open, write documents, close; safe to open while Datasette reads it."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        import sqlite_utils  # here: it imports pandas (~1 s), and the CLI checks a --db file without it

        conn = sqlite3.connect(str(self.path), timeout=60, isolation_level=None)
        self.db = sqlite_utils.Database(conn)
        self.db.execute("pragma busy_timeout = 60000")
        self.db.enable_wal()
        # WAL with synchronous=NORMAL: a commit no longer waits for fsync. A killed process
        # still loses nothing committed; only a power cut can lose the last few documents,
        # and never leaves one half-written.
        self.db.execute("pragma synchronous = NORMAL")
        self.db.execute(f"pragma cache_size = -{PAGE_CACHE_KIB}")
        self._ensure_schema()

    def close(self) -> None:
        self.db.conn.close()

    def __enter__(self) -> "Catalogue":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # -- schema ---------------------------------------------------------------------------------
    def _ensure_schema(self) -> None:
        # referenced tables first: sqlite-utils checks a foreign key's table exists
        order = ["localities", "practices", "documents"] + [t for t in TABLES if t not in
                                                             ("localities", "practices", "documents")]
        for name in order:
            spec = TABLES[name]
            self.db[name].create(spec["columns"], pk=spec["pk"], foreign_keys=spec.get("foreign_keys"),
                                 if_not_exists=True)
            table = self.db[name]
            for column, kind in spec["columns"].items():
                if column not in table.columns_dict:
                    table.add_column(column, kind)
        for table, columns in INDEXES:
            self.db[table].create_index(columns, if_not_exists=True)
        self.db.execute("drop index if exists idx_mechanisms_practice_id")  # a prefix of the one above
        for table in ANNOTATED_TABLES:
            # every run looks for annotators' rows (a handful among hundreds of thousands, see
            # corrections.apply): an index of only those, which the pipeline's writes never touch
            self.db.execute(f"create index if not exists idx_{table}_annotator on {table}(id) "
                            "where source = 'annotator'")
        for name, sql in VIEWS.items():
            self.db.create_view(name, sql, replace=True)
        fts.prepare(self.db)
        self._fill_document_paths()

    def _fill_document_paths(self) -> None:
        """A catalogue written before document_paths existed gets it from documents.paths."""
        if self.db["document_paths"].count or not self.db["documents"].count:
            return
        with self.db.atomic():
            for doc_id, raw in self.db.execute("select id, paths from documents").fetchall():
                for path in json.loads(raw or "[]"):
                    self._hold(path, doc_id)

    # -- runs and errors ------------------------------------------------------------------------
    def start_run(self, inputs: Iterable[str], settings: dict) -> str:
        # A run that was killed left status 'running': say so, so nobody trusts its counts.
        self.db.execute("update runs set status = 'interrupted' where status = 'running'")
        run_id = stable_id("run", time.time_ns())
        self.db["runs"].insert({"id": run_id, "started": now(), "status": "running",
                                "inputs": json.dumps(list(inputs), ensure_ascii=False),
                                "pipeline_version": PIPELINE_VERSION,
                                "settings": json.dumps(settings, ensure_ascii=False)})
        return run_id

    def finish_run(self, run_id: str, stats: RunStats, seconds: float) -> None:
        self.db["runs"].update(run_id, {"finished": now(), "status": "failed" if stats.failed else "ok",
                                        "seconds": round(seconds, 3), **stats.__dict__})

    def record_error(self, run_id: str, path: str, reason: str, stage: str = "ingest") -> None:
        self.db["errors"].upsert({"id": stable_id("error", run_id, path), "run_id": run_id, "path": path,
                                  "reason": reason, "stage": stage, "at": now()}, pk="id")

    # -- incremental runs -----------------------------------------------------------------------
    def known_files(self) -> dict[str, tuple[str, list[str]]]:
        """file sha256 → (document id, paths) for documents made by this pipeline version."""
        rows = self.db.execute("select file_sha256, id, paths from documents where pipeline_version = ?",
                               [PIPELINE_VERSION]).fetchall()
        return {sha: (doc_id, json.loads(paths or "[]")) for sha, doc_id, paths in rows}

    def add_path(self, document_id: str, path: str) -> None:
        """Record one more place the same document was found (a duplicate file); a document
        the file held before loses it."""
        with self.db.atomic():
            row = self.db.execute("select paths from documents where id = ?", [document_id]).fetchone()
            if row is None:
                return
            self._take_path(document_id, path)
            paths = json.loads(row[0] or "[]")
            if path not in paths:
                paths.append(path)
                self.db.execute("update documents set paths = ? where id = ?",
                                [json.dumps(paths, ensure_ascii=False), document_id])

    def _hold(self, path: str, document_id: str) -> None:
        self.db.execute("insert or replace into document_paths (path, document_id) values (?, ?)",
                        [path, document_id])

    def duplicate_of(self, extraction: Extraction, fingerprint: str) -> str | None:
        """The id of an already catalogued document with the same body, if another one."""
        if not fingerprint:
            return None
        row = self.db.execute("select id from documents where body_fingerprint = ? and id != ?",
                              [fingerprint, extraction.document.id]).fetchone()
        return row[0] if row else None

    # -- writing --------------------------------------------------------------------------------
    def write(self, extraction: Extraction, run_id: str, fingerprint: str = "") -> tuple[int, int]:
        """Write one document and all it yielded, atomically; returns (facts, mechanisms)."""
        doc = extraction.document
        # One transaction: all of this document or nothing. sqlite-utils nests its own
        # writes inside it as savepoints, so none of them commits early.
        with self.db.atomic():
            old = self.db.execute("select paths from documents where id = ?", [doc.id]).fetchone()
            paths = json.loads(old[0]) if old and old[0] else []
            if doc.path not in paths:
                paths.append(doc.path)
            localities = {}
            for loc in _all_localities(extraction):
                localities[loc.id] = loc
            self._upsert_localities(localities.values())
            row = {
                "id": doc.id, "source_name": doc.source_name, "path": doc.path,
                "paths": json.dumps(paths, ensure_ascii=False), "sha256": doc.sha256,
                "file_sha256": doc.file_sha256, "encoding": doc.encoding, "text": doc.text, "title": doc.title,
                "publisher": doc.publisher, "published": doc.published, "author": doc.author, "url": doc.url,
                "edition": doc.edition, "issuer": doc.issuer, "original_title": doc.original_title,
                "body_spans": json.dumps(doc.body_spans), "body_fingerprint": fingerprint,
                "metadata_rules": json.dumps(dict(doc.metadata_rules), ensure_ascii=False),
                "locality_id": extraction.document_locality.id if extraction.document_locality else None,
                "chars": len(doc.text), "pipeline_version": PIPELINE_VERSION, "run_id": run_id,
                "processed_at": now()}
            self._insert_rows("documents", [row], on_conflict="update")
            for table in ("facts", "mechanisms", "locality_mentions"):
                where = "document_id = ?" + (" and source = 'pipeline'" if table != "locality_mentions" else "")
                self.db.execute(f"delete from {table} where {where}", [doc.id])
            self._take_path(doc.id, doc.path)
            self._insert_rows("facts", [_fact_row(doc, f) for f in extraction.facts])
            practice_ids = [practice_id_of(m.name) for m in extraction.mechanisms]
            known = self._existing_practices(set(practice_ids))
            mech_rows, new_practices = [], {}
            for m, practice_id in zip(extraction.mechanisms, practice_ids):
                # the first mention names a practice: an existing row is never renamed
                if practice_id not in new_practices and practice_id not in known:
                    new_practices[practice_id] = _practice_row(practice_id, m.name, m.kind, m.definition)
                mech_rows.append(_mechanism_row(doc, m, practice_id))
            self._insert_rows("practices", list(new_practices.values()), on_conflict="ignore")
            self._insert_rows("mechanisms", mech_rows)
            self._insert_rows("locality_mentions", [
                {"id": stable_id("mention", doc.id, p.start, p.end), "document_id": doc.id,
                 "locality_id": p.locality.id, "start": p.start, "end": p.end, "name": doc.text[p.start:p.end],
                 "rule": p.rule}
                for p in extraction.places])
        return len(extraction.facts), len(mech_rows)

    def _existing_practices(self, ids: set[str]) -> set[str]:
        if not ids:
            return set()
        rows = self.db.execute(f"select id from practices where id in ({', '.join('?' * len(ids))})", list(ids))
        return {r[0] for r in rows}

    def _insert_rows(self, table: str, rows: list[dict], on_conflict: str = "replace") -> None:
        """Rows of one shape, in one statement: sqlite-utils' ``insert_all(replace=True)`` (or
        ``ignore=True``) without its per-value type checks, which cost a fifth of the writer's
        time. Every value here is already a str, number or None.

        ``on_conflict="update"`` is SQLite's own upsert by ``id``: an existing row is updated
        in place, a new one only inserted (sqlite-utils' ``upsert_all`` inserts and then
        updates every row, so a new document's text would be indexed for search twice)."""
        if not rows:
            return
        columns = list(rows[0])
        head = f"into [{table}] ({', '.join(f'[{c}]' for c in columns)}) values ({', '.join('?' * len(columns))})"
        if on_conflict == "update":
            updates = ", ".join(f"[{c}] = excluded.[{c}]" for c in columns if c != "id")
            sql = f"insert {head} on conflict ([id]) do update set {updates}"
        else:
            sql = f"insert or {on_conflict} {head}"
        self.db.conn.executemany(sql, [tuple(row[c] for c in columns) for row in rows])

    def _take_path(self, document_id: str, path: str) -> None:
        """The file at ``path`` now holds this document (``document_paths`` says so): an earlier
        version loses the path, and goes (with its rows) once no path holds it. Annotators'
        corrections stay in annotations/ and are reported as no longer matching."""
        rows = self.db.execute(
            "select d.id, d.paths from document_paths p join documents d on d.id = p.document_id "
            "where p.path = ? and p.document_id != ?", [path, document_id]).fetchall()
        for other_id, raw in rows:
            paths = [p for p in json.loads(raw or "[]") if p != path]
            if paths:
                self.db.execute("update documents set paths = ?, path = ? where id = ?",
                                [json.dumps(paths, ensure_ascii=False), paths[0], other_id])
                continue
            for table in ("facts", "mechanisms", "locality_mentions", "document_paths"):
                self.db.execute(f"delete from {table} where document_id = ?", [other_id])
            self.db.execute("delete from documents where id = ?", [other_id])
        self._hold(path, document_id)

    def _upsert_localities(self, localities: Iterable[Locality]) -> None:
        rows = [{"id": loc.id, "name": loc.name, "level": loc.level,
                 "parent_id": loc.parent.id if loc.parent else None, "adcode": loc.adcode or None,
                 "latitude": loc.latitude, "longitude": loc.longitude, "approximate": int(loc.approximate),
                 "path": "/".join(loc.chain())} for loc in localities]
        self._insert_rows("localities", rows, on_conflict="update")

    # -- the flow's open transaction (its policy: batches.CatalogueWriter) -----------------------
    @property
    def in_transaction(self) -> bool:
        """False also once SQLite has ended a transaction itself (RAISE(ROLLBACK), a full disk)."""
        return self.db.conn.in_transaction

    def begin(self) -> None:
        """Open a transaction unless one is open; ``write`` makes each document a savepoint in it."""
        if not self.db.conn.in_transaction:
            self.db.conn.execute("BEGIN")

    def commit(self) -> None:
        """Commit the open transaction, if any; raises ``CatalogueError`` when SQLite refuses."""
        if self.db.conn.in_transaction:
            self.db.conn.execute("COMMIT")

    def rollback(self) -> None:
        if self.db.conn.in_transaction:
            self.db.conn.execute("ROLLBACK")

    @contextlib.contextmanager
    def transaction(self) -> Iterator[None]:
        """All of what the caller does or none of it, holding the write lock from the start
        (``begin immediate``), so what it reads stays true until it writes."""
        with self.db.conn:
            self.db.execute("begin immediate")
            yield

    # -- what corrections read and change (corrections.py decides what) -------------------------
    def document_versions(self) -> list[dict]:
        """Every document's id, source name, sha256 and processed_at, without its text."""
        rows = self.db.execute("select id, source_name, sha256, processed_at from documents").fetchall()
        return [{"id": r[0], "source_name": r[1], "sha256": r[2], "processed_at": r[3]} for r in rows]

    def document_text(self, document_id: str) -> str:
        return self.db.execute("select text from documents where id = ?", [document_id]).fetchone()[0]

    def locality_chains(self) -> dict[str, list[str]]:
        return locality_chains(self.db)

    def rows_overlapping(self, table: str, document_id: str, start: int, end: int) -> list[dict]:
        """Rows of ``table`` (facts, mechanisms) in the document whose span overlaps [start, end)."""
        cursor = self.db.execute(f"select * from {table} where document_id = ? and start < ? and ? < end "
                                 "order by start", [document_id, end, start])
        columns = [c[0] for c in cursor.description]
        return [dict(zip(columns, row)) for row in cursor.fetchall()]

    def practice_for(self, name: str, kind: str | None, definition: str | None) -> str:
        """The id of the practice ``name`` belongs to, the practice added if it is new (an
        existing one is never renamed)."""
        practice_id = practice_id_of(name)
        self._insert_rows("practices", [_practice_row(practice_id, name, kind, definition)], on_conflict="ignore")
        return practice_id

    def put_row(self, table: str, row: dict) -> None:
        """Insert a whole row, replacing any with its id."""
        self.db[table].insert(row, pk="id", replace=True)

    def update_row(self, table: str, row_id: str, changes: dict) -> None:
        self.db[table].update(row_id, changes)

    def delete_row(self, table: str, row_id: str) -> None:
        self.db.execute(f"delete from {table} where id = ?", [row_id])

    def annotator_row_ids(self, table: str) -> list[str]:
        """Ids of the rows annotators made (``source = 'annotator'``), found by their own index."""
        return [r[0] for r in self.db.execute(f"select id from {table} where source = 'annotator'").fetchall()]

    def refresh_practices(self) -> None:
        """Counts on practices, and practices no mention points to any more removed."""
        with self.db.atomic():
            self.db.execute("delete from practices where id not in (select distinct practice_id from mechanisms "
                            "where practice_id is not null)")
            self.db.execute("""
                update practices set
                  document_count = (select count(distinct document_id) from mechanisms m where m.practice_id = practices.id),
                  locality_count = (select count(distinct locality_id) from mechanisms m where m.practice_id = practices.id),
                  mention_count = (select count(*) from mechanisms m where m.practice_id = practices.id)""")

    def run_localities(self, run_id: str) -> int:
        """Localities named in the documents this run wrote (a skipped document is not this run's)."""
        return self.db.execute("select count(distinct m.locality_id) from locality_mentions m "
                               "join documents d on d.id = m.document_id where d.run_id = ?", [run_id]).fetchone()[0]

    def counts(self) -> dict[str, int]:
        return {t: self.db[t].count for t in ("documents", "facts", "mechanisms", "practices", "localities", "errors")}


def index_tokens_for(extraction: Extraction) -> dict[str, fts.IndexTokens]:
    """Every text ``Catalogue.write`` puts in a search index for this extraction (and every
    practice category it may give), tokenised ahead: run by the flow's workers so that the
    single writer only hands tokens over (``fts.provided``) and never loads jieba. The
    document's body reuses the tagger's cut where it can.

    A text left out here is still indexed, tokenised by the writer.
    """
    doc = extraction.document
    texts = {doc.text: fts.index_tokens(doc.text, extraction.search_words)}
    values = [doc.title, *practices.category_ids()]  # practices' names are their mechanisms' names
    for table, rows in (("facts", [_fact_row(doc, f) for f in extraction.facts]),
                        ("mechanisms", [_mechanism_row(doc, m, None) for m in extraction.mechanisms])):
        values += [row[c] for row in rows for c in fts.FTS_COLUMNS[table]]
    for value in values:
        if value and value not in texts:
            texts[value] = fts.index_tokens(value)
    return texts


def practice_id_of(name: str) -> str:
    """The practice a mechanism's name belongs to across documents (``practices.practice_key``)."""
    return stable_id("practice", practices.practice_key(name))


def _practice_row(practice_id: str, name: str, kind: str | None, definition: str | None) -> dict:
    return {"id": practice_id, "name": name, "kind": kind, "category": practices.categorize(name, definition)}


def locality_chains(db) -> dict[str, list[str]]:
    """Locality id → its names from the province down, on any connection to a catalogue
    (Label Studio's export reads one opened read-only)."""
    return {r[0]: (r[1] or "").split("/") for r in db.execute("select id, path from localities").fetchall()}


def _all_localities(extraction: Extraction) -> Iterable[Locality]:
    seeds = [f.locality for f in extraction.facts] + [m.locality for m in extraction.mechanisms]
    seeds += [p.locality for p in extraction.places] + [extraction.document_locality]
    for loc in {id(loc): loc for loc in seeds if loc is not None}.values():  # records share localities
        yield from loc.lineage()


def _sentence(doc, start: int, end: int) -> str:
    return doc.text[start:end] if end > start else ""


def _fact_row(doc, f) -> dict:
    return {"id": stable_id("fact", doc.sha256, f.start, f.end), "document_id": doc.id, "start": f.start,
            "end": f.end, "text": doc.text[f.start:f.end], "value": f.value, "value_max": f.value_max,
            "unit": f.unit, "qualifier": f.qualifier or None, "subject": f.subject or None,
            "time": f.time or None, "change_from": f.change_from, "chinese_numeral": int(f.chinese_numeral),
            "locality_id": f.locality.id if f.locality else None,
            "sentence": _sentence(doc, f.sentence_start, f.sentence_end), "sentence_start": f.sentence_start,
            "sentence_end": f.sentence_end, "rule": f.rule, "source": f.source}


def _mechanism_row(doc, m, practice_id: str) -> dict:
    return {"id": stable_id("mechanism", doc.sha256, m.start, m.end), "document_id": doc.id, "name": m.name,
            "kind": m.kind, "start": m.start, "end": m.end, "definition": m.definition or None,
            "definition_start": m.definition_start,
            "components": json.dumps(list(m.components), ensure_ascii=False) if m.components else None,
            "locality_id": m.locality.id if m.locality else None, "practice_id": practice_id,
            "sentence": _sentence(doc, m.sentence_start, m.sentence_end), "sentence_start": m.sentence_start,
            "sentence_end": m.sentence_end, "rule": m.rule, "source": m.source}


def read_rows(path: str | Path) -> tuple[dict[str, str], list[dict], list[dict]]:
    """(texts by source name, fact rows, mechanism rows) as ``evaluate`` reads them."""
    import sqlite_utils

    db = sqlite_utils.Database(str(path))
    try:
        chains = {r["id"]: r["path"].split("/") for r in db["localities"].rows}
        names = {}
        texts = {}
        for r in db.execute("select id, source_name, text from documents").fetchall():
            names[r[0]] = r[1]
            texts[r[1]] = r[2]
        facts = [{**r, "doc": names.get(r["document_id"]), "locality": chains.get(r["locality_id"], [])}
                 for r in db["facts"].rows]
        mechs = [{**r, "doc": names.get(r["document_id"]), "locality": chains.get(r["locality_id"], []),
                  "components": json.loads(r["components"]) if r["components"] else []}
                 for r in db["mechanisms"].rows]
        return texts, facts, mechs
    finally:
        db.conn.close()
