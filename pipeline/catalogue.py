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
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Iterator

from . import PIPELINE_VERSION, families, fts, practices
from .records import Extraction, Locality, band, stable_id

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
# When a document reports (metadata.document_date): its date as precise as the text gives it,
# which kind of date it is (published, dateline, stated) and that precision. Added to an older
# catalogue when opened, like every new column.
DOCUMENT_DATE_COLUMNS = {"date": str, "date_kind": str, "date_precision": str}
# P(right) of a pipeline row, from the trained scorer (pipeline.confidence); NULL on rows an
# annotator added. An older catalogue gets the column when opened (ALTER TABLE by _ensure_schema).
CONFIDENCE_COLUMNS = {"confidence": float, "confidence_band": str}  # the band: a facet (confidence.band)
# A mechanism found by a name an annotator taught (source = 'lexicon', pipeline.lexicon): the
# correction that taught it, "doc#anchor".
LEXICON_COLUMNS = {"taught_by": str}

TABLES: dict[str, dict] = {
    # text and body_spans last: a query touching a column after them reads through every text
    "documents": dict(columns={
        "id": str, "source_name": str, "path": str, "paths": str, "sha256": str, "file_sha256": str,
        "encoding": str, "title": str, "publisher": str, "published": str, "author": str,
        "url": str, "edition": str, "issuer": str, "original_title": str,
        "body_fingerprint": str, "locality_id": str, "chars": int, "pipeline_version": str, "run_id": str,
        "processed_at": str, "metadata_rules": str,
        # when a run of its folder last found none of its files (kept until a run with --prune)
        "missing_since": str, **DOCUMENT_DATE_COLUMNS, "text": str, "body_spans": str}, pk="id",
        foreign_keys=[("locality_id", "localities", "id")]),
    "facts": dict(columns={
        "id": str, "document_id": str, "start": int, "end": int, "text": str, "value": float,
        "value_max": float, "unit": str, "qualifier": str, "subject": str, "time": str, "change_from": float,
        "chinese_numeral": int, "locality_id": str, "sentence": str, "sentence_start": int,
        "sentence_end": int, "rule": str, "source": str, **CORRECTION_COLUMNS, **CONFIDENCE_COLUMNS}, pk="id",
        foreign_keys=[("document_id", "documents", "id"), ("locality_id", "localities", "id")]),
    "mechanisms": dict(columns={
        "id": str, "document_id": str, "name": str, "kind": str, "start": int, "end": int, "definition": str,
        "definition_start": int, "components": str, "locality_id": str, "practice_id": str, "sentence": str,
        "sentence_start": int, "sentence_end": int, "rule": str, "source": str, **CORRECTION_COLUMNS,
        **CONFIDENCE_COLUMNS, **LEXICON_COLUMNS},
        pk="id", foreign_keys=[("document_id", "documents", "id"), ("locality_id", "localities", "id"),
                               ("practice_id", "practices", "id")]),
    "practices": dict(columns={
        "id": str, "name": str, "kind": str, "category": str, "document_count": int, "locality_count": int,
        "mention_count": int, "family_id": str, "family_rule": str}, pk="id"),
    # practices grouped into families (pipeline.families): rebuilt by refresh_families on every run
    "families": dict(columns={"id": str, "name": str, "names": str, "name_count": int, "localities": int,
                              "documents": int, "first_reported": str, "latest_reported": str}, pk="id"),
    # a family's first report in each locality it is reported in (refresh_families counts them)
    "family_places": dict(columns={"id": str, "family_id": str, "locality_id": str, "first_reported": str,
                                   "first_document": str, "documents": int, "names_used": str}, pk="id"),
    "family_refresh": dict(columns={"id": str, "signature": str}, pk="id"),
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
        "processed": int, "skipped": int, "failed": int, "facts": int, "mechanisms": int, "gone": int,
        "seconds": float,
        "pipeline_version": str, "settings": str}, pk="id"),
    "errors": dict(columns={
        "id": str, "run_id": str, "path": str, "reason": str, "stage": str, "at": str}, pk="id"),
    # the names learned from annotations/ the catalogue's documents were made with
    # (pipeline.lexicon): a run whose corrections teach otherwise processes again the
    # documents a changed name occurs in
    "learned_names": dict(columns={"name": str, "status": str, "taught_by": str, "accepted_in": str}, pk="name"),
}

INDEXES = [
    ("facts", ["document_id"]), ("facts", ["locality_id"]), ("facts", ["subject"]),
    # practice_id first, with what refresh_practices counts: every run counts from the index alone
    # (at 10,000 documents 0.4 s instead of 1.2 s reading 430,000 rows); no dearer to write
    ("mechanisms", ["document_id"]), ("mechanisms", ["practice_id", "document_id", "locality_id"]),
    ("mechanisms", ["locality_id"]), ("practices", ["family_id"]), ("family_places", ["family_id", "first_reported"]),
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
           coalesce(nullif(d.url, ''), d.path) as source, d.url, d.path, d.missing_since, d.sha256,
           f.start, f.end, f.sentence_start, f.sentence_end,
           length(substr(d.text, 1, f.start)) - length(replace(substr(d.text, 1, f.start), char(10), '')) + 1 as line
    from facts f join documents d on d.id = f.document_id"""

# How practices spread (issue 24). Counted by refresh_families into family_places (one row per
# family and locality: the first report there is the earliest documents.date, and the bare column
# d.id is the row of that min()) and onto families (reach); the views only join them to names.
FAMILY_PLACES_SQL = """
    insert into family_places (id, family_id, locality_id, first_reported, first_document, documents, names_used)
    select p.family_id || '/' || m.locality_id, p.family_id, m.locality_id, min(d.date), d.id,
           count(distinct m.document_id), group_concat(distinct m.name)
    from practices p join mechanisms m on m.practice_id = p.id
    left join documents d on d.id = m.document_id
    where p.family_id is not null and m.locality_id is not null
    group by p.family_id, m.locality_id"""
FAMILY_REACH_SQL = """
    with reach as (
      select p.family_id, count(distinct m.locality_id) as localities, count(distinct m.document_id) as documents,
             min(d.date) as first_reported, max(d.date) as latest_reported
      from practices p join mechanisms m on m.practice_id = p.id left join documents d on d.id = m.document_id
      where p.family_id is not null group by p.family_id)
    update families set localities = reach.localities, documents = reach.documents,
           first_reported = reach.first_reported, latest_reported = reach.latest_reported
    from reach where reach.family_id = families.id"""
# What the counts depend on, read from indexes in a few milliseconds: the mentions (added, removed,
# re-placed by an annotator) and the documents' dates.
FAMILY_SIGNATURE_SQL = """
    select (select count(*) || ':' || total(rowid) || ':' || max(rowid) from mechanisms),
           (select count(*) || ':' || max(corrected_at) from mechanisms where source = 'annotator'),
           (select count(*) || ':' || max(processed_at) || ':' || total(length(date)) from documents)"""

FAMILY_VIEWS = {
    "practice_spread": """
        select fp.family_id, f.name as family, l.path as locality,
               case when instr(l.path, '/') > 0 then substr(l.path, 1, instr(l.path, '/') - 1) else l.path end
                 as province,
               fp.first_reported, substr(fp.first_reported, 1, 4) as year, fp.documents, fp.names_used, l.level,
               l.latitude, l.longitude, fp.first_document, fp.locality_id
        from family_places fp join families f on f.id = fp.family_id join localities l on l.id = fp.locality_id
        order by f.name, fp.first_reported is null, fp.first_reported, l.path""",
    "practice_families": """
        select name as family, names, localities, documents, first_reported, latest_reported, name_count,
               id as family_id
        from families order by localities desc, documents desc, name""",
}

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
    **FAMILY_VIEWS,
}


SQLITE_HEADER = b"SQLite format 3\x00"  # the first 16 bytes of every SQLite database file

# Pages the file check samples (beyond page 1 and the last): enough to find a run of
# overwritten pages in a catalogue of any size, few enough that the check costs the same at
# 10 documents as at 100,000 (it never reads the catalogue through, as quick_check would).
SAMPLED_PAGES = 256

# A page's first byte: a b-tree page's type (2, 5, 10, 13), or 0, the high byte of an
# overflow or freelist page's next-page number (below 2**24 pages).
PAGE_FIRST_BYTES = {0, 2, 5, 10, 13}

SQLITE_CORRUPT, SQLITE_NOTADB = 11, 26  # SQLite's primary result codes for a damaged file


class CatalogueFileError(Exception):
    """A path a run must not write: not a SQLite file, a damaged one, a SQLite database of
    something else, or a catalogue written by a newer jingyan."""


def version_number() -> int:
    """``PIPELINE_VERSION`` as the catalogue stores it (``PRAGMA user_version``, page 1 of the
    file): the one place a catalogue says which version last wrote it."""
    return int(PIPELINE_VERSION)


def is_damage(exc: BaseException) -> bool:
    """Whether SQLite refused because the file is damaged (not merely busy or full)."""
    return isinstance(exc, sqlite3.DatabaseError) and \
        (getattr(exc, "sqlite_errorcode", 0) or 0) & 0xFF in (SQLITE_CORRUPT, SQLITE_NOTADB)


def damaged_message(path: str | Path, what: str) -> str:
    """The one line for a damaged catalogue: which file, what is wrong, what to do."""
    return (f"--db {path} is damaged ({what}): restore it from a copy, or catalogue the files again "
            f"into a new file (jingyan run PATH --db NEW.db)")


def catalogue_file_note(path: str | Path) -> str:
    """Whether a command may open the catalogue at ``path``, read without changing it, at a
    cost that does not grow with the catalogue: the header, the schema, the version, and a
    fixed sample of pages.

    "" for a missing or empty file or a catalogue of this version; a note for one written by
    an older version (a run adds the new columns and processes its documents again);
    ``CatalogueFileError`` for a folder, a file that is no SQLite database, a damaged one, a
    SQLite database without a catalogue's tables, or one written by a newer version.
    Damage outside the pages sampled is found when read, and ends the command in one line.
    """
    path = Path(path)
    if not path.exists():
        return ""
    if path.is_dir():
        raise CatalogueFileError(f"--db {path} is a folder, not a catalogue file")
    with path.open("rb") as fh:
        header = fh.read(100)
        if not header:
            return ""
        if header[:16] != SQLITE_HEADER:
            raise CatalogueFileError(f"--db {path} is not a SQLite file (a catalogue is one): choose another path")
        size = path.stat().st_size
        damage = _header_damage(header, size) or _sampled_page_damage(fh, header, size)
    if damage:
        raise CatalogueFileError(damaged_message(path, damage))
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            tables = {r[0] for r in conn.execute("select name from sqlite_master where type = 'table'")}
            stored = conn.execute("pragma user_version").fetchone()[0]
        finally:
            conn.close()
    except sqlite3.Error as exc:
        raise CatalogueFileError(damaged_message(path, str(exc))) from None
    ours = {"documents", "facts", "runs"}
    if tables and not ours <= tables:
        raise CatalogueFileError(f"--db {path} is a SQLite database but not a jingyan catalogue "
                                 f"(tables: {', '.join(sorted(tables)[:5])}): choose another path")
    if not tables:
        return ""
    if stored > version_number():
        raise CatalogueFileError(newer_message(path, stored))
    if stored < version_number():
        written = f"pipeline version {stored}" if stored else "a version that did not record itself"
        return (f"{path} was written by {written}: a run adds the new columns, and its documents of an "
                f"earlier pipeline version are processed again with version {PIPELINE_VERSION}")
    return ""


def newer_message(path: str | Path, stored: int) -> str:
    return (f"--db {path} was written by a newer jingyan (pipeline version {stored}; this one is "
            f"{PIPELINE_VERSION}): upgrade jingyan, or use another --db")


def _header_damage(header: bytes, size: int) -> str:
    """What the 100-byte header says is wrong with a file of ``size`` bytes ("" for nothing)."""
    if len(header) < 100:
        return "truncated: shorter than a SQLite header"
    page_size = _page_size(header)
    if page_size < 512 or page_size & (page_size - 1):
        return f"page size {page_size} in its header"
    if size % page_size:
        return f"truncated: {size} bytes is not a whole number of {page_size}-byte pages"
    pages = int.from_bytes(header[28:32], "big")
    counted_valid = header[24:28] == header[92:96]  # the header's page count is current
    if counted_valid and pages and size < pages * page_size:
        return f"truncated: {size // page_size} of its {pages} pages"
    if header[18] not in (1, 2) or header[19] not in (1, 2) or header[21:24] != b"\x40\x20\x20":
        return "overwritten header"
    return ""


def _page_size(header: bytes) -> int:
    """The page size a SQLite header gives (1 stands for 65,536)."""
    page_size = int.from_bytes(header[16:18], "big")
    return 65536 if page_size == 1 else page_size


def _sampled_page_damage(fh, header: bytes, size: int) -> str:
    """A page among page 1 and a fixed sample of the others, in a file of ``size`` bytes, that
    is no SQLite page ("" for none)."""
    page_size = _page_size(header)
    pages = size // page_size
    if int.from_bytes(header[52:56], "big"):  # auto-vacuum's pointer-map pages are another shape
        return ""
    fh.seek(100)
    if fh.read(1)[0] not in (5, 13):  # page 1 holds the schema table's root
        return "page 1 overwritten"
    step = max(1, (pages - 1) // SAMPLED_PAGES)
    for number in sorted({*range(2, pages + 1, step), pages} - {1}):
        fh.seek((number - 1) * page_size)
        head = fh.read(8)
        if len(head) < 8 or not _plausible_page(head, page_size, pages):
            return f"page {number} of {pages} overwritten"
    return ""


def _plausible_page(head: bytes, page_size: int, pages: int) -> bool:
    """A page's first 8 bytes could be a b-tree, overflow or freelist page's."""
    kind = head[0]
    if kind not in PAGE_FIRST_BYTES:
        return False
    if kind == 0:  # overflow or freelist: the next page's number
        return int.from_bytes(head[:4], "big") <= pages
    cells = int.from_bytes(head[3:5], "big")
    content = int.from_bytes(head[5:7], "big") or 65536
    # a page's fragmented bytes: SQLite defragments before they pass 60
    return cells * 2 + 8 <= page_size and content <= page_size and head[7] <= 60


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
    gone: int = 0  # documents whose files left the folders run: marked missing, or pruned

    def add(self, other: "RunStats") -> None:
        for key, value in other.__dict__.items():
            setattr(self, key, getattr(self, key) + value)


def import_sqlite_utils():
    """``sqlite_utils``, imported without pandas where nothing has imported pandas yet.

    sqlite-utils imports pandas if it can, only to map pandas' ``Timestamp`` to TEXT, which
    the catalogue never writes; that import was ~0.4 s of every run (nothing else a run loads
    needs pandas). Hidden for this one import only: a later ``import pandas`` works as ever.
    """
    hide = "sqlite_utils" not in sys.modules and "pandas" not in sys.modules
    if hide:
        sys.modules["pandas"] = None  # "import pandas" raises ImportError meanwhile
    try:
        import sqlite_utils
    finally:
        if hide:
            del sys.modules["pandas"]
    return sqlite_utils


class Catalogue:
    """A catalogue file. Open, write documents, close; safe to open while Datasette reads it."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        sqlite_utils = import_sqlite_utils()  # here: the CLI checks a --db file without it

        conn = sqlite3.connect(str(self.path), timeout=60, isolation_level=None)
        self.db = sqlite_utils.Database(conn)
        self.db.execute("pragma busy_timeout = 60000")
        self.db.enable_wal()
        # WAL with synchronous=NORMAL: a commit no longer waits for fsync. A killed process
        # still loses nothing committed; only a power cut can lose the last few documents,
        # and never leaves one half-written.
        self.db.execute("pragma synchronous = NORMAL")
        self.db.execute(f"pragma cache_size = -{PAGE_CACHE_KIB}")
        stored = self.db.execute("pragma user_version").fetchone()[0]
        if stored > version_number():  # never let an older jingyan write a newer catalogue
            self.close()
            raise CatalogueFileError(newer_message(self.path, stored))
        self._ensure_schema()
        if stored < version_number():  # the columns are added: this version wrote it now
            self.db.execute(f"pragma user_version = {version_number()}")

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
                # found at a new path (a moved file): no longer missing
                self.db.execute("update documents set paths = ?, missing_since = null where id = ?",
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

    # -- files gone from the folders a run was given ---------------------------------------------
    def paths_under(self, folder: str) -> dict[str, str | None]:
        """Every catalogued path under ``folder`` (as the runs wrote it), found by the path index,
        with its document's ``missing_since``."""
        prefix = folder.rstrip("/") + "/"
        # the paths that start with the prefix: those from it up to the prefix with "/" → "0"
        rows = self.db.execute("select p.path, d.missing_since from document_paths p "
                               "join documents d on d.id = p.document_id where p.path >= ? and p.path < ?",
                               [prefix, prefix[:-1] + "0"]).fetchall()
        return dict(rows)

    def found_again(self, paths: Iterable[str]) -> None:
        """The files at ``paths`` are back: their documents are no longer missing."""
        with self.db.atomic():
            for path in paths:
                self.db.execute("update documents set missing_since = null where id = "
                                "(select document_id from document_paths where path = ?)", [path])

    def let_go(self, gone: Iterable[str], prune: bool = False) -> int:
        """The files at ``gone`` are no more: a document still found at another path only loses
        these; one found nowhere else is marked missing (kept, with its path, so ``cite`` can say
        the file is gone), or with ``prune`` deleted with its rows. Returns the documents newly
        marked missing or deleted. Annotators' corrections stay in annotations/ (reported as
        no longer matching once their document is deleted)."""
        by_document: dict[str, set[str]] = {}
        for path in gone:
            row = self.db.execute("select document_id from document_paths where path = ?", [path]).fetchone()
            if row:
                by_document.setdefault(row[0], set()).add(path)
        changed = 0
        with self.db.atomic():
            for doc_id, lost in by_document.items():
                raw, missing = self.db.execute("select paths, missing_since from documents where id = ?",
                                               [doc_id]).fetchone() or ("[]", None)
                if self._drop_paths(doc_id, raw, lost):  # still found elsewhere (renamed, copied): only these go
                    self.db.conn.executemany("delete from document_paths where path = ?", [[p] for p in lost])
                elif prune:
                    self._delete_document(doc_id)
                    changed += 1
                elif not missing:
                    self.db.execute("update documents set missing_since = ? where id = ?", [now(), doc_id])
                    changed += 1
        return changed

    def _delete_document(self, document_id: str) -> None:
        """A document and every row of it (its search rows go with them, by trigger)."""
        for table in ("facts", "mechanisms", "locality_mentions", "document_paths"):
            self.db.execute(f"delete from {table} where document_id = ?", [document_id])
        self.db.execute("delete from documents where id = ?", [document_id])

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
                "date": doc.date or None, "date_kind": doc.date_kind or None,
                "date_precision": doc.date_precision or None,
                "locality_id": extraction.document_locality.id if extraction.document_locality else None,
                "chars": len(doc.text), "pipeline_version": PIPELINE_VERSION, "run_id": run_id,
                "processed_at": now(), "missing_since": None}
            self._insert_rows("documents", [row], on_conflict="update")
            for table in ("facts", "mechanisms", "locality_mentions"):
                # the rows the pipeline made (its rules' and the learned names'), not annotators'
                where = "document_id = ?" + (" and source in ('pipeline', 'lexicon')"
                                             if table != "locality_mentions" else "")
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
            if not self._drop_paths(other_id, raw, {path}):
                self._delete_document(other_id)
        self._hold(path, document_id)

    def _drop_paths(self, document_id: str, raw_paths: str | None, lost: set[str]) -> list[str]:
        """The document's paths (``documents.paths``, JSON) without ``lost``; written back, the
        first of them its ``path``, when any is left (none left: the caller decides)."""
        kept = [p for p in json.loads(raw_paths or "[]") if p not in lost]
        if kept:
            self.db.execute("update documents set paths = ?, path = ? where id = ?",
                            [json.dumps(kept, ensure_ascii=False), kept[0], document_id])
        return kept

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

    # -- names learned from corrections (pipeline.lexicon decides what) --------------------------
    def learned_names(self) -> dict[str, dict]:
        """The learned names the catalogue's documents were made with, by name (rows as stored)."""
        cursor = self.db.execute("select name, status, taught_by, accepted_in from learned_names")
        return {r[0]: {"name": r[0], "status": r[1], "taught_by": r[2], "accepted_in": r[3]} for r in cursor}

    def save_learned_names(self, rows: list[dict]) -> None:
        self.db.execute("delete from learned_names")
        self._insert_rows("learned_names", rows)

    def documents_containing(self, names: list[str], not_of_run: str = "") -> list[dict]:
        """Whole rows of the documents whose text holds any of ``names`` (one scan of the texts,
        ``instr``: exact, unlike the search index's words), except those run ``not_of_run`` wrote."""
        if not names:
            return []
        holds = " or ".join("instr(text, ?) > 0" for _ in names)
        cursor = self.db.execute(f"select * from documents where ({holds}) and coalesce(run_id, '') != ? "
                                 "order by source_name", [*names, not_of_run])
        columns = [c[0] for c in cursor.description]
        return [dict(zip(columns, row)) for row in cursor.fetchall()]

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

    def refresh_families(self, corrections: list = (), refused: list = ()) -> dict:
        """Every practice's family (``families.assign``: the rules, then an annotator's merges and
        splits in order), written to ``families`` and ``practices.family_id``; only what changed
        is written, so an unchanged catalogue is not re-indexed. Returns what was done:
        {families, joined (families of several names), applied, unmatched: [{file, line, reason}]}."""
        stored = {r[0]: r[1:] for r in self.db.execute("select id, name, family_id, family_rule from practices")}
        named = {pid: row[0] for pid, row in stored.items()}
        assignment = families.assign(named, list(corrections))
        members: dict[str, list[str]] = {}
        for practice_id, member in assignment.members.items():
            members.setdefault(member.family_id, []).append(named[practice_id])
        shown = {m.family_id: m.family for m in assignment.members.values()}
        rows = {fid: (shown[fid], "、".join(sorted(set(names))), len(set(names))) for fid, names in members.items()}
        with self.db.atomic():
            current = {r[0]: tuple(r[1:]) for r in self.db.execute("select id, name, names, name_count from families")}
            gone = [[fid] for fid in current if fid not in rows]
            self.db.conn.executemany("delete from families where id = ?", gone)
            changed = [{"id": fid, "name": r[0], "names": r[1], "name_count": r[2]}
                       for fid, r in rows.items() if current.get(fid) != r]
            self._insert_rows("families", changed, on_conflict="update")
            moved = [(m.family_id, m.rule, pid) for pid, m in assignment.members.items()
                     if stored[pid][1:] != (m.family_id, m.rule)]
            self.db.conn.executemany("update practices set family_id = ?, family_rule = ? where id = ?", moved)
            self._refresh_family_places(bool(gone or changed or moved))
        return {"families": len(rows), "joined": sum(1 for r in rows.values() if r[2] > 1),
                "applied": assignment.applied, "unmatched": list(refused) + assignment.unmatched}

    def _refresh_family_places(self, families_changed: bool) -> None:
        """``family_places`` (a family's first report in each locality) and each family's reach,
        counted again when the families or the mentions and dates they count changed since the
        last time (``FAMILY_SIGNATURE_SQL``): counting them reads every mention, seconds at
        10,000 documents, which the views would otherwise cost on every page."""
        signature = json.dumps(self.db.execute(FAMILY_SIGNATURE_SQL).fetchone())
        row = self.db.execute("select signature from family_refresh where id = 'places'").fetchone()
        if not families_changed and row and row[0] == signature:
            return
        self.db.execute("delete from family_places")
        self.db.execute(FAMILY_PLACES_SQL)
        self.db.execute(FAMILY_REACH_SQL)
        self.db.execute("insert or replace into family_refresh (id, signature) values ('places', ?)", [signature])

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
    # a row's searched columns only, a row at a time: whole rows (their ids hashed) were a quarter
    # of this, and all of a large document's rows at once (40,000 facts) held them all
    for table, rows in (("facts", (_fact_searched(doc, f) for f in extraction.facts)),
                        ("mechanisms", (_mechanism_searched(m) for m in extraction.mechanisms))):
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


# -- the uncertain first (Label Studio's export reads these on a read-only connection) -------------
def has_confidence(db) -> bool:
    """Whether the catalogue's facts and mechanisms have a ``confidence`` column (an older one may not)."""
    return all(any(r[1] == "confidence" for r in db.execute(f"pragma table_info({t})")) for t in ANNOTATED_TABLES)


def documents_least_confident_first(db, below: float | None = None, scored: bool | None = None) -> list[dict]:
    """Documents (with their texts), the one whose least confident fact or mechanism is least
    confident first; documents whose rows have no confidence last, by name. With ``below``,
    only documents with a row whose confidence is under it. ``scored``: ``has_confidence(db)``,
    when the caller knows it already."""
    columns = "d.id, d.source_name, d.sha256, d.text, d.title, d.publisher, d.published, d.url, d.path"
    if not (has_confidence(db) if scored is None else scored):
        if below is not None:
            return []  # no row has a confidence, none is below a threshold
        cursor = db.execute(f"select {columns}, null as least from documents d order by d.source_name, d.processed_at")
    else:
        cursor = db.execute(f"""
            select {columns}, min(coalesce((select min(confidence) from facts where document_id = d.id), 2),
                                  coalesce((select min(confidence) from mechanisms where document_id = d.id), 2)) as least
            from documents d where ? is null or least < ?
            order by least, d.source_name, d.processed_at""", [below, below])
    names = [c[0] for c in cursor.description]
    rows = [dict(zip(names, r)) for r in cursor.fetchall()]
    for row in rows:
        row["least"] = None if row["least"] is None or row["least"] > 1 else row["least"]
    return rows


def rows_least_confident_first(db, table: str, document_id: str, below: float | None = None,
                               scored: bool | None = None) -> list[dict]:
    """A document's facts or mechanisms, the least confident first, rows without a confidence
    after them in text order; with ``below``, only rows whose confidence is under it.
    ``scored``: ``has_confidence(db)``, when the caller knows it already (an export asks once,
    not twice per document)."""
    if table not in ANNOTATED_TABLES:
        raise ValueError(f"not a table annotators correct: {table}")
    if not (has_confidence(db) if scored is None else scored):
        if below is not None:
            return []
        cursor = db.execute(f"select * from {table} where document_id = ? order by start", [document_id])
    else:
        cursor = db.execute(f"select * from {table} where document_id = ? and (? is null or confidence < ?) "
                            "order by confidence is null, confidence, start", [document_id, below, below])
    names = [c[0] for c in cursor.description]
    return [dict(zip(names, r)) for r in cursor.fetchall()]


def _all_localities(extraction: Extraction) -> Iterable[Locality]:
    seeds = [f.locality for f in extraction.facts] + [m.locality for m in extraction.mechanisms]
    seeds += [p.locality for p in extraction.places] + [extraction.document_locality]
    for loc in {id(loc): loc for loc in seeds if loc is not None}.values():  # records share localities
        yield from loc.lineage()


def _sentence(doc, start: int, end: int) -> str:
    return doc.text[start:end] if end > start else ""


def _fact_row(doc, f) -> dict:
    return {"id": stable_id("fact", doc.sha256, f.start, f.end), "document_id": doc.id, "start": f.start,
            "end": f.end, **_fact_searched(doc, f), "value": f.value, "value_max": f.value_max,
            "unit": f.unit, "qualifier": f.qualifier or None, "time": f.time or None,
            "change_from": f.change_from, "chinese_numeral": int(f.chinese_numeral),
            "locality_id": f.locality.id if f.locality else None,
            "sentence": _sentence(doc, f.sentence_start, f.sentence_end), "sentence_start": f.sentence_start,
            "sentence_end": f.sentence_end, "rule": f.rule, "source": f.source, "confidence": f.confidence,
            "confidence_band": band(f.confidence)}


def _fact_searched(doc, f) -> dict:
    """The columns of a fact's row a search index may hold (``fts.FTS_COLUMNS``)."""
    return {"text": doc.text[f.start:f.end], "subject": f.subject or None}


def _mechanism_searched(m) -> dict:
    """The columns of a mechanism's row a search index may hold (``fts.FTS_COLUMNS``)."""
    return {"name": m.name, "definition": m.definition or None,
            "components": json.dumps(list(m.components), ensure_ascii=False) if m.components else None}


def _mechanism_row(doc, m, practice_id: str) -> dict:
    return {"id": stable_id("mechanism", doc.sha256, m.start, m.end), "document_id": doc.id,
            **_mechanism_searched(m), "kind": m.kind, "start": m.start, "end": m.end,
            "definition_start": m.definition_start,
            "locality_id": m.locality.id if m.locality else None, "practice_id": practice_id,
            "sentence": _sentence(doc, m.sentence_start, m.sentence_end), "sentence_start": m.sentence_start,
            "sentence_end": m.sentence_end, "rule": m.rule, "source": m.source, "confidence": m.confidence,
            "confidence_band": band(m.confidence), "taught_by": m.taught_by or None}


def read_families(path: str | Path, family: str = "", limit: int = 0) -> tuple[str, list[dict]]:
    """(the family's name, its spread: first report per locality, earliest first) for a
    ``family`` named by its name or any member's name (or a variant of one: 红色物业模式);
    ("", families by reach, most localities first) without one. ("", []) for an unknown name.
    Read-only: a catalogue being written is not disturbed."""
    conn = sqlite3.connect(f"file:{Path(path)}?mode=ro", uri=True)
    try:
        conn.row_factory = sqlite3.Row
        if not family:
            sql = "select * from practice_families" + (f" limit {int(limit)}" if limit else "")
            return "", [dict(r) for r in conn.execute(sql)]
        found = _family_named(conn, family)
        if found is None:
            return "", []
        rows = conn.execute("select * from practice_spread where family_id = ? "
                            "order by first_reported is null, first_reported, locality", [found[0]])
        return found[1], [dict(r) for r in rows]
    finally:
        conn.close()


def _family_named(conn, name: str) -> tuple[str, str] | None:
    """(id, name) of the family called ``name``, or holding a practice of that name or core."""
    row = conn.execute("select id, name from families where name = ?", [name]).fetchone()
    row = row or conn.execute("select f.id, f.name from practices p join families f on f.id = p.family_id "
                              "where p.name = ? limit 1", [name]).fetchone()
    if row is None:
        wanted = families.family_core(name)[0]
        for practice_name, family_id, family_name in conn.execute(
                "select p.name, f.id, f.name from practices p join families f on f.id = p.family_id"):
            if families.family_core(practice_name)[0] == wanted:
                return family_id, family_name
        return None
    return row[0], row[1]


def read_rows(path: str | Path) -> tuple[dict[str, str], list[dict], list[dict]]:
    """(texts by source name, fact rows, mechanism rows) as ``evaluate`` reads them."""
    sqlite_utils = import_sqlite_utils()

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
