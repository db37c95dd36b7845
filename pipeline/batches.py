"""A catalogue run's work in batches, without Prefect: which files need work, a batch of
paths → outcomes, how many batches are in flight, and outcomes into the catalogue.

The flow (``flows/catalogue_flow.py``) only makes these Prefect tasks and runs them. The
policies live here: triage (an unchanged file is skipped with nothing written), the window
of batches in flight, the writer's commit policy (``CatalogueWriter``) and a process's
garbage-collector tuning. Every SQL statement they cause is a ``Catalogue`` method.
"""
from __future__ import annotations

import contextlib
import functools
import gc
import inspect
import queue
from collections import deque
from pathlib import Path
from typing import Callable, Iterator, Protocol

from . import fts, ingest
from .catalogue import (Catalogue, CatalogueError, CatalogueFileError, RunStats, damaged_message, index_tokens_for,
                        is_damage)
from .process import process_document
from .settings import Settings


# -- progress -------------------------------------------------------------------------------------
class DocumentProgress(Protocol):
    """What a run shows while it works: told of each document as it starts and finishes.

    Only a document processed in the command's own process can be told of one by one (a
    thread of the flow's task runner, or the flow's own lane beside a local cluster); a Dask
    worker's batch is counted when it comes back (``counted``).
    """

    def working_on(self, path: str) -> None: ...

    def finished(self, path: str) -> None: ...

    def counted(self, outcomes: list[dict]) -> None: ...


# -- a batch of paths → outcomes (on a worker) ---------------------------------------------------
def process_paths(paths: list[str], settings: Settings, progress: DocumentProgress | None = None) -> list[dict]:
    """Each path → {'path', 'extraction', 'fingerprint', 'search_tokens'} or {'path', 'error', 'stage'}.

    ``progress``, when the batch runs in the process that shows it, is told of each document."""
    outcomes = []
    for path in paths:
        if progress is not None:
            progress.working_on(path)
        outcomes.append(_process_path(path, settings))
        if progress is not None:
            progress.finished(path)
    return outcomes


def _process_path(path: str, settings: Settings) -> dict:
    try:
        document = ingest.read_document(path, settings)
    except ingest.IngestError as exc:
        return {"path": path, "error": exc.reason, "stage": "ingest"}
    try:
        extraction = process_document(document, settings)
        # tokens and words are not written; they would only weigh on the way back. The
        # sentences' tokens go before the index tokens are made, not after: both at once were
        # a third of a large document's peak memory
        extraction.sentences = []
        # the search indexes' tokens, made here so that workers share the work
        search_tokens = index_tokens_for(extraction)
        extraction.search_words = None
    except Exception as exc:  # one bad document must not sink its batch
        return {"path": path, "error": f"extraction failed: {type(exc).__name__}: {exc}", "stage": "extract"}
    return {"path": path, "extraction": extraction, "fingerprint": ingest.body_fingerprint(document),
            "search_tokens": search_tokens}


# Young-generation collections every this many new container objects (Python's default is
# 700): a document makes tens of thousands of short-lived tuples, and at 700 the collector
# took ~8% of a worker's time. Measured: 10,000 gives most of that back at the same peak RSS;
# raising the older generations' thresholds too held garbage long enough to add ~700 MB at
# 10,000 documents, so they stay at their defaults.
GC_YOUNG_THRESHOLD = 10_000


@functools.cache
def settle_garbage_collector() -> None:
    """Once per process, after its first batch has loaded the dictionaries and tables: those
    live to the end, so they leave the collector's view (``gc.freeze``), and young
    collections run less often."""
    gc.freeze()
    _, middle, old = gc.get_threshold()
    gc.set_threshold(GC_YOUNG_THRESHOLD, middle, old)


# -- which files need work -----------------------------------------------------------------------
def triage(paths: list[str], catalogue: Catalogue, run_id: str, stats: RunStats,
           errors: list[tuple[str, str]], prune: bool = False) -> list[str]:
    """The files that need processing: new or changed since the last run of this pipeline version.

    An unchanged file (same bytes, same pipeline version) is skipped unread beyond its hash,
    and with nothing written (a re-run of 10,000 unchanged files took 10,000 transactions);
    a new copy of a known file only adds its path to the document (a renamed file is one
    document). Catalogued files no longer under the folders given are let go
    (``let_go_of_gone_files``). Run it holding the catalogue (``pipeline.lock``), so that
    what another run wrote is known.
    """
    known = catalogue.known_files()
    pending = []
    found = set()
    for path in ingest.discover(paths):
        found.add(str(path))
        stats.seen += 1
        try:
            sha = ingest.file_sha256(path)
        except OSError as exc:
            reason = f"cannot read: {exc.strerror or exc}"
            catalogue.record_error(run_id, str(path), reason)
            errors.append((str(path), reason))
            stats.failed += 1
            continue
        if sha in known:
            document_id, document_paths = known[sha]
            if str(path) not in document_paths:  # a copy elsewhere, or a file back to an older version
                catalogue.add_path(document_id, str(path))
            stats.skipped += 1
        else:
            pending.append(str(path))
    stats.gone += let_go_of_gone_files(paths, found, catalogue, prune)
    return pending


def let_go_of_gone_files(paths: list[str], found: set[str], catalogue: Catalogue, prune: bool = False) -> int:
    """Documents catalogued under a folder of ``paths`` whose files were not ``found`` there:
    marked missing, or with ``prune`` deleted (``Catalogue.let_go``); how many.

    Only folders that exist count: a path that is not there marks nothing (the CLI refuses
    it before), and documents from folders not given are untouched.
    """
    gone, back = [], []
    for folder in {str(Path(p)) for p in paths if Path(p).is_dir()}:
        under = catalogue.paths_under(folder)
        # not found, and not there (a file in a hidden folder is not found, yet still there)
        gone += [p for p in under if p not in found and not Path(p).exists()]
        back += [p for p, missing in under.items() if missing and p in found]  # a missing file returned
    if back:
        catalogue.found_again(back)
    return catalogue.let_go(gone, prune) if gone else 0


# -- batches in flight ---------------------------------------------------------------------------
def run_batches(paths: list[str], settings: Settings, submit: Callable[[list[str]], object],
                cluster_threads: Callable[[], int], progress: DocumentProgress | None = None) -> Iterator[list[dict]]:
    """Outcomes in batches, each as it completes, with at most a few batches in flight.

    ``submit(batch)`` starts ``process_paths`` on a worker and returns its future (with
    ``add_done_callback`` and ``result``); ``cluster_threads()`` counts the worker threads of
    the cluster at ``settings.dask_address``.

    A bounded window (two batches per worker thread), not one future per batch held to the
    end: memory stays flat as the corpus grows, and workers are never idle waiting for the
    writer. An existing cluster (``dask_address``) is asked its size each time a batch comes
    back, so workers that join during a run get work too.

    On a local cluster the flow's own process is one of the ``workers``: it writes what the
    others return and, whenever nothing waits to be written, processes the next document
    itself (the writer needs a fraction of a core; one more worker process would pay its own
    start-up and share the cores with the writer). It keeps the last ``batch_size ÷ (workers
    − 1)`` documents for itself, to work on while the workers finish their last batches
    instead of waiting for them (the more workers, the more it writes meanwhile). Its
    documents are no Prefect tasks: a task per document would cost more than the document.
    ``progress`` is told of each document processed here as it starts and finishes.
    """
    here = settings.workers > 1 and not settings.dask_address
    size = max(1, settings.batch_size)
    window = max(2, 2 * (settings.workers - here))
    reserve = size // (settings.workers - 1) if here else 0
    todo = deque(paths)
    running: dict = {}  # future → the paths of its batch
    finished: queue.SimpleQueue = queue.SimpleQueue()  # futures as they complete
    local: list[dict] = []  # outcomes of documents processed here, not yet written
    while todo or running or local:
        if settings.dask_address and todo:  # two batches a worker thread, counted as workers come and go
            window = max(2, 2 * cluster_threads())
        while todo and len(todo) > reserve and len(running) < window:
            batch = [todo.popleft() for _ in range(min(size, len(todo) - reserve))]
            future = submit(batch)
            running[future] = batch
            future.add_done_callback(finished.put)
        if finished.empty() and here and todo:  # nothing to write: work here
            local += _outcomes(process_paths, [todo.popleft()], settings, progress)
            if len(local) >= size:
                yield local
                local = []
        elif finished.empty() and local:  # nothing left to do here: write it before waiting
            yield local
            local = []
        else:
            future = finished.get()
            yield _outcomes(lambda paths: future.result(), running.pop(future))


def _outcomes(process, paths: list[str], *args) -> list[dict]:
    try:
        return process(paths, *args)
    except Exception as exc:  # a worker lost: every file of its batch is reported
        return [{"path": p, "error": f"batch failed: {exc}", "stage": "worker"} for p in paths]


# -- outcomes into the catalogue -----------------------------------------------------------------
def write_outcome(outcome: dict, catalogue: Catalogue, run_id: str, stats: RunStats,
                  errors: list[tuple[str, str]]) -> None:
    path = outcome["path"]
    if "error" in outcome:
        catalogue.record_error(run_id, path, outcome["error"], outcome["stage"])
        errors.append((path, outcome["error"]))
        stats.failed += 1
        return
    extraction = outcome["extraction"]
    duplicate = catalogue.duplicate_of(extraction, outcome["fingerprint"])
    if duplicate:
        catalogue.add_path(duplicate, path)  # same body, other furniture: one document
        stats.skipped += 1
        return
    try:
        with fts.provided(outcome.get("search_tokens") or {}):
            n_facts, n_mechs = catalogue.write(extraction, run_id, outcome["fingerprint"])
    except Exception as exc:
        if is_damage(exc):  # the file, not this document: the run ends (refusals_as_summary)
            raise
        reason = f"catalogue write failed: {type(exc).__name__}: {exc}"
        catalogue.record_error(run_id, path, reason, "catalogue")
        errors.append((path, reason))
        stats.failed += 1
        return
    stats.processed += 1
    stats.facts += n_facts
    stats.mechanisms += n_mechs


class _TransactionAbandoned(Exception):
    """SQLite ended the open transaction itself (RAISE(ROLLBACK), a full disk)."""


class CatalogueWriter:
    """Writes batches of outcomes as they come, into one open transaction committed every
    ``commit_size`` documents and when the run ends.

    Why not a transaction per batch: a commit writes every page the transaction touched, and
    the documents' rows land all over the id and subject indexes (ids are content hashes), so
    once a catalogue holds a few thousand documents each commit rewrites most of those pages.
    Measured: writing 1,000 documents into a catalogue of 9,000 took ~18.5 s with a commit
    per 50 documents, ~15.4 s with a commit per 500 (12.4 s into an empty catalogue).

    Each document is a savepoint, so one that SQLite refuses leaves the others. Should SQLite
    abandon the whole transaction, nothing since the last commit was kept: all of it is
    written again, one document per transaction, so each one's fate is known and reported.
    Counts and errors reach ``stats`` and ``errors`` when their documents are committed.
    """

    def __init__(self, catalogue: Catalogue, run_id: str, stats: RunStats, errors: list[tuple[str, str]],
                 commit_size: int = Settings.commit_size):
        self.catalogue, self.run_id, self.stats, self.errors = catalogue, run_id, stats, errors
        self.commit_size = max(1, commit_size)
        self._held: list[dict] = []  # outcomes written since the last commit, without their tokens
        self._stats, self._errors = RunStats(), []

    def __enter__(self) -> "CatalogueWriter":
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc is not None and is_damage(exc):  # a damaged file is given nothing more
            with contextlib.suppress(CatalogueError):
                self.catalogue.rollback()
            return
        self.commit()  # what was written is whole documents: keep it, even when the run stops

    def write(self, outcomes: list[dict]) -> None:
        try:
            self.catalogue.begin()
            for outcome in outcomes:
                write_outcome(outcome, self.catalogue, self.run_id, self._stats, self._errors)
                if not self.catalogue.in_transaction:
                    raise _TransactionAbandoned
        except (_TransactionAbandoned, CatalogueError) as exc:
            if is_damage(exc):
                raise
            self._write_alone(self._held + outcomes)
            return
        # the index tokens are dropped: a rewrite after a failure lets the index cut the texts
        self._held += [{**outcome, "search_tokens": None} for outcome in outcomes]
        if len(self._held) >= self.commit_size:
            self.commit()

    def commit(self) -> None:
        try:
            self.catalogue.commit()
        except CatalogueError as exc:
            if is_damage(exc):
                raise
            self._write_alone(self._held)
            return
        self.stats.add(self._stats)
        self.errors += self._errors
        self._held, self._stats, self._errors = [], RunStats(), []

    def _write_alone(self, outcomes: list[dict]) -> None:
        self.catalogue.rollback()
        self._held, self._stats, self._errors = [], RunStats(), []
        for outcome in outcomes:
            write_outcome(outcome, self.catalogue, self.run_id, self.stats, self.errors)


# -- a catalogue a run must stop on ---------------------------------------------------------------
def refusals_as_summary(run: Callable[..., dict]) -> Callable[..., dict]:
    """``run(paths, db, …)`` → its summary, or ``{"refused": one line}`` when the catalogue at
    ``db`` turns out damaged while it runs (or written by a newer version): the command prints
    that line, no traceback (a flow that raises would have Prefect log one)."""
    signature = inspect.signature(run)

    @functools.wraps(run)
    def guarded(*args, **kwargs) -> dict:
        try:
            return run(*args, **kwargs)
        except CatalogueFileError as exc:
            return {"refused": str(exc)}
        except CatalogueError as exc:
            if not is_damage(exc):
                raise
            db = signature.bind(*args, **kwargs).arguments.get("db", "")
            return {"refused": damaged_message(db, str(exc))}

    return guarded
