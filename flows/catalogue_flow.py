"""The Prefect flow: files → catalogue, in batches, incrementally, on threads or Dask.

Orchestration only; the work is ``pipeline``. One task per *batch* of documents (never
per document or sentence), so Prefect's per-task cost stays small next to the work
at 10,000 documents. The flow process is the only writer of the SQLite file; workers
return extractions. With ``--workers N`` the flow's process is one of the N and works on
documents between writes (``run_batches``).
"""
from __future__ import annotations

import functools
import gc
import os
import queue
import sqlite3
import time
from collections import deque
from pathlib import Path
from typing import Iterator

from prefect import flow, task
from prefect.cache_policies import NO_CACHE
from prefect.task_runners import ThreadPoolTaskRunner

from pipeline import corrections, fts, ingest, mechanisms
from pipeline.catalogue import Catalogue, RunStats, index_tokens_for
from pipeline.process import process_document
from pipeline.settings import Settings


def process_paths(paths: list[str], settings: Settings) -> list[dict]:
    """Each path → {'path', 'extraction', 'fingerprint', 'search_tokens'} or {'path', 'error', 'stage'}."""
    outcomes = []
    for path in paths:
        try:
            document = ingest.read_document(path, settings)
        except ingest.IngestError as exc:
            outcomes.append({"path": path, "error": exc.reason, "stage": "ingest"})
            continue
        try:
            extraction = process_document(document, settings)
            # the search indexes' tokens, made here so that workers share the work
            search_tokens = index_tokens_for(extraction, mechanisms.category_ids())
        except Exception as exc:  # one bad document must not sink its batch
            outcomes.append({"path": path, "error": f"extraction failed: {type(exc).__name__}: {exc}",
                             "stage": "extract"})
            continue
        # tokens and words are not written; they would only weigh on the way back
        extraction.sentences, extraction.search_words = [], None
        outcomes.append({"path": path, "extraction": extraction,
                         "fingerprint": ingest.body_fingerprint(document), "search_tokens": search_tokens})
    return outcomes


@task(name="process-batch", cache_policy=NO_CACHE, persist_result=False, retries=0)
def process_batch(paths: list[str], settings: dict) -> list[dict]:
    outcomes = process_paths(paths, Settings.from_dict(settings))
    _settle_garbage_collector()
    return outcomes


# Young-generation collections every this many new container objects (Python's default is
# 700): a document makes tens of thousands of short-lived tuples, and at 700 the collector
# took ~8% of a worker's time. Measured: 10,000 gives most of that back at the same peak RSS;
# raising the older generations' thresholds too held garbage long enough to add ~700 MB at
# 10,000 documents, so they stay at their defaults.
GC_YOUNG_THRESHOLD = 10_000


@functools.cache
def _settle_garbage_collector() -> None:
    """Once per process, after its first batch has loaded the dictionaries and tables: those
    live to the end, so they leave the collector's view (``gc.freeze``), and young
    collections run less often."""
    gc.freeze()
    _, middle, old = gc.get_threshold()
    gc.set_threshold(GC_YOUNG_THRESHOLD, middle, old)


def triage(paths: list[str], catalogue: Catalogue, run_id: str, stats: RunStats,
           errors: list[tuple[str, str]]) -> list[str]:
    """The files that need processing: new or changed since the last run of this pipeline version.

    An unchanged file (same bytes, same pipeline version) is skipped unread beyond its hash,
    and with nothing written (a re-run of 10,000 unchanged files took 10,000 transactions);
    a new copy of a known file only adds its path to the document.
    """
    known = catalogue.known_files()
    pending = []
    for path in ingest.discover(paths):
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
    return pending


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
            n_facts, n_mechs = catalogue.write(extraction, run_id, outcome["fingerprint"],
                                               mechanisms.practice_key, mechanisms.categorize)
    except Exception as exc:
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

    def __exit__(self, *exc) -> None:
        self.commit()  # what was written is whole documents: keep it, even when the run stops

    def write(self, outcomes: list[dict]) -> None:
        conn = self.catalogue.db.conn
        try:
            if not conn.in_transaction:
                conn.execute("BEGIN")
            for outcome in outcomes:
                write_outcome(outcome, self.catalogue, self.run_id, self._stats, self._errors)
                if not conn.in_transaction:
                    raise _TransactionAbandoned
        except (_TransactionAbandoned, sqlite3.Error):
            self._write_alone(self._held + outcomes)
            return
        # the index tokens are dropped: a rewrite after a failure lets the index cut the texts
        self._held += [{**outcome, "search_tokens": None} for outcome in outcomes]
        if len(self._held) >= self.commit_size:
            self.commit()

    def commit(self) -> None:
        conn = self.catalogue.db.conn
        if conn.in_transaction:
            try:
                conn.execute("COMMIT")
            except sqlite3.Error:
                self._write_alone(self._held)
                return
        self.stats.add(self._stats)
        self.errors += self._errors
        self._held, self._stats, self._errors = [], RunStats(), []

    def _write_alone(self, outcomes: list[dict]) -> None:
        conn = self.catalogue.db.conn
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        self._held, self._stats, self._errors = [], RunStats(), []
        for outcome in outcomes:
            write_outcome(outcome, self.catalogue, self.run_id, self.stats, self.errors)


def run_batches(paths: list[str], settings: Settings) -> Iterator[list[dict]]:
    """Outcomes in batches, each as it completes, with at most a few batches in flight.

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
    """
    here = settings.workers > 1 and not settings.dask_address
    size = max(1, settings.batch_size)
    window = max(2, 2 * (settings.workers - here))
    reserve = size // (settings.workers - 1) if here else 0
    todo = deque(paths)
    running: dict = {}  # future → the paths of its batch
    finished: queue.SimpleQueue = queue.SimpleQueue()  # futures as they complete
    local: list[dict] = []  # outcomes of documents processed here, not yet written
    payload = settings.as_dict()
    while todo or running or local:
        if settings.dask_address and todo:  # two batches a worker thread, counted as workers come and go
            window = max(2, 2 * _cluster_threads())
        while todo and len(todo) > reserve and len(running) < window:
            batch = [todo.popleft() for _ in range(min(size, len(todo) - reserve))]
            future = process_batch.submit(batch, payload)
            running[future] = batch
            future.add_done_callback(finished.put)
        if finished.empty() and here and todo:  # nothing to write: work here
            local += _outcomes(process_paths, [todo.popleft()], settings)
            if len(local) >= size:
                yield local
                local = []
        elif finished.empty() and local:  # nothing left to do here: write it before waiting
            yield local
            local = []
        else:
            future = finished.get()
            yield _outcomes(lambda paths: future.result(), running.pop(future))


def _cluster_threads() -> int:
    """The worker threads of the Dask cluster this flow run's task runner is connected to."""
    from prefect.context import FlowRunContext

    return sum(FlowRunContext.get().task_runner.client.nthreads().values())


def _outcomes(process, paths: list[str], *args) -> list[dict]:
    try:
        return process(paths, *args)
    except Exception as exc:  # a worker lost: every file of its batch is reported
        return [{"path": p, "error": f"batch failed: {exc}", "stage": "worker"} for p in paths]


def _progress(settings: Settings, total: int):
    if not settings.show_progress:
        return None
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    progress = Progress(TextColumn("[bold]cataloguing"), BarColumn(), MofNCompleteColumn(),
                        TextColumn("documents"), TimeElapsedColumn(), transient=False)
    progress.start()
    progress.add_task("docs", total=total)
    return progress


@flow(name="catalogue-corpus", log_prints=False, validate_parameters=False)
def catalogue_corpus(paths: list[str], db: str, settings: dict | None = None) -> dict:
    """Run the pipeline over files and folders into the catalogue at ``db``; return a summary."""
    settings_obj = Settings.from_dict(settings or {})
    started = time.perf_counter()
    stats = RunStats()
    errors: list[tuple[str, str]] = []
    with Catalogue(db) as catalogue:
        run_id = catalogue.start_run(paths, settings_obj.as_dict())
        pending = triage(paths, catalogue, run_id, stats, errors)
        progress = _progress(settings_obj, len(pending))
        try:
            with CatalogueWriter(catalogue, run_id, stats, errors, settings_obj.commit_size) as writer:
                for outcomes in run_batches(pending, settings_obj):
                    writer.write(outcomes)
                    _settle_garbage_collector()  # the writer's process too, when workers are elsewhere
                    if progress:
                        progress.advance(progress.task_ids[0], len(outcomes))
        finally:
            if progress:
                progress.stop()
        report = corrections.apply(catalogue, settings_obj.annotations_dir)
        catalogue.refresh_practices()
        seconds = time.perf_counter() - started
        catalogue.finish_run(run_id, stats, seconds)
        counts = catalogue.counts()
    from prefect.runtime import flow_run

    return {"run_id": run_id, "flow_run_id": str(flow_run.id), **stats.__dict__, "seconds": round(seconds, 2),
            "errors": [list(e) for e in errors], "corrections": report, "catalogue": counts}


def task_runner_for(settings: Settings):
    """Threads on one machine by default; a Dask cluster (local or at an address) for scale-out."""
    if settings.dask_address:
        from prefect_dask import DaskTaskRunner

        return DaskTaskRunner(address=settings.dask_address)
    if settings.workers > 1:
        import dask
        from prefect_dask import DaskTaskRunner

        # Dask's workers sample their own stacks every 10 ms for its dashboard (off here): a
        # thread contending for the GIL with the work, ~4% of a worker's time.
        dask.config.set({"distributed.worker.profile.enabled": False})
        # the flow's own process works too (``run_batches``): one worker process fewer
        return DaskTaskRunner(cluster_kwargs={"n_workers": settings.workers - 1, "threads_per_worker": 1,
                                              "processes": True, "dashboard_address": None})
    return ThreadPoolTaskRunner(max_workers=1)


def share_api_with_local_workers(settings: Settings) -> str | None:
    """The address of the Prefect server a local Dask cluster's workers should report to.

    With no ``PREFECT_API_URL`` set, Prefect starts a temporary server for the flow; each
    spawned worker process would start one more of its own (~10 s and a core's worth of
    CPU each, on the machine the workers share). Starting the temporary server here and
    putting its address in the environment the workers inherit gives them the flow's.
    """
    if settings.workers <= 1 or settings.dask_address:
        return None  # threads share the flow's client; remote workers need a shared server
    from prefect.settings import PREFECT_API_URL, PREFECT_SERVER_EPHEMERAL_ENABLED

    if PREFECT_API_URL.value() or not PREFECT_SERVER_EPHEMERAL_ENABLED.value():
        return None
    from prefect.server.api.server import SubprocessASGIServer

    server = SubprocessASGIServer()  # the same instance Prefect's own client starts
    server.start()
    os.environ["PREFECT_API_URL"] = server.api_url
    return server.api_url


def run(paths: list[str | Path], db: str | Path, settings: Settings) -> dict:
    """Entry point for the CLI and tests: the flow with the task runner the settings ask for."""
    share_api_with_local_workers(settings)
    configured = catalogue_corpus.with_options(task_runner=task_runner_for(settings))
    return configured([str(p) for p in paths], str(db), settings.as_dict())
