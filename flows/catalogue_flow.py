"""The Prefect flow: files → catalogue, in batches, incrementally, on threads or Dask.

Prefect only: the task, the flow and its task runner; the work and its policies (triage,
batches in flight, the writer's commits, GC tuning) are ``pipeline.batches``. One task per
*batch* of documents (never per document or sentence), so Prefect's per-task cost stays
small next to the work at 10,000 documents. The flow process is the only writer of the
SQLite file; workers return extractions. With ``--workers N`` the flow's process is one of
the N and works on documents between writes (``batches.run_batches``).
"""
from __future__ import annotations

import contextlib
import os
import signal
import sys
import threading
import time
from pathlib import Path
from typing import Iterator

from prefect import flow, task
from prefect.cache_policies import NO_CACHE
from prefect.task_runners import ThreadPoolTaskRunner

from flows import server as prefect_server
from pipeline import batches, corrections, families, lexicon, lock
from pipeline.catalogue import Catalogue, RunStats
from pipeline.process import process_document
from pipeline.settings import Settings


@task(name="process-batch", cache_policy=NO_CACHE, persist_result=False, retries=0)
def process_batch(paths: list[str], settings: dict, progress: batches.DocumentProgress | None = None) -> list[dict]:
    outcomes = batches.process_paths(paths, Settings.from_dict(settings), progress)
    batches.settle_garbage_collector()
    return outcomes


def run_batches(paths: list[str], settings: Settings,
                progress: batches.DocumentProgress | None = None) -> Iterator[list[dict]]:
    """Outcomes in batches as they complete, each batch a ``process_batch`` task on the flow's
    task runner (how many at once: ``batches.run_batches``).

    A batch on the flow's own threads tells ``progress`` of each document; one on a Dask
    worker (another process) is counted when it comes back."""
    payload = settings.as_dict()
    on_threads = progress if settings.workers <= 1 and not settings.dask_address else None
    return batches.run_batches(paths, settings, lambda batch: process_batch.submit(batch, payload, on_threads),
                               _cluster_threads, progress)


def _cluster_threads() -> int:
    """The worker threads of the Dask cluster this flow run's task runner is connected to."""
    from prefect.context import FlowRunContext

    return sum(FlowRunContext.get().task_runner.client.nthreads().values())


class ProgressBar:
    """The run's bar (``batches.DocumentProgress``): a document counts as it finishes in this
    process, or when the batch that held it comes back from a worker; the file being worked
    on here is shown beside the bar, so a slow one is seen."""

    def __init__(self, total: int):
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

        self._bar = Progress(TextColumn("[bold]cataloguing"), BarColumn(), MofNCompleteColumn(),
                             TextColumn("documents"), TimeElapsedColumn(), TextColumn("{task.fields[current]}"),
                             transient=False)
        self._task = self._bar.add_task("documents", total=total, current="")
        self._finished_here: set[str] = set()
        self._lock = threading.Lock()  # the task runner's thread tells, the flow's thread counts

    def __enter__(self) -> "ProgressBar":
        self._bar.start()
        return self

    def __exit__(self, *exc) -> None:
        self._bar.update(self._task, current="")
        self._bar.stop()

    def working_on(self, path: str) -> None:
        self._bar.update(self._task, current=Path(path).name)

    def finished(self, path: str) -> None:
        with self._lock:
            self._finished_here.add(path)
        self._bar.advance(self._task, 1)

    def counted(self, outcomes: list[dict]) -> None:
        with self._lock:
            new = [o["path"] for o in outcomes if o["path"] not in self._finished_here]
            self._finished_here.difference_update(o["path"] for o in outcomes)
        if new:
            self._bar.advance(self._task, len(new))

    @property
    def completed(self) -> int:
        return int(self._bar.tasks[0].completed)


def _progress(settings: Settings, total: int):
    """A bar when asked for and there is work (everything skipped: no ``0/0`` bar)."""
    if not settings.show_progress or not total:
        return contextlib.nullcontext()
    return ProgressBar(total)


@flow(name="catalogue-corpus", log_prints=False, validate_parameters=False)
@batches.refusals_as_summary  # a catalogue found damaged mid-run: one line, not Prefect's traceback
def catalogue_corpus(paths: list[str], db: str, settings: dict | None = None) -> dict:
    """Run the pipeline over files and folders into the catalogue at ``db``; return a summary."""
    keep_stop_on_signals()
    settings_obj = Settings.from_dict(settings or {})
    # the names annotators' corrections teach, read once here and carried to every worker
    settings_obj = settings_obj.with_(learned_names=lexicon.read_lexicon(settings_obj.annotations_dir).to_json())
    started = time.perf_counter()
    stats = RunStats()
    errors: list[tuple[str, str]] = []
    with Catalogue(db) as catalogue:
        run_id = catalogue.start_run(paths, settings_obj.as_dict())
        lock.note_run(db, run_id)  # a run waiting on this one names it
        pending = batches.triage(paths, catalogue, run_id, stats, errors, settings_obj.prune)
        with _progress(settings_obj, len(pending)) as progress, \
                batches.CatalogueWriter(catalogue, run_id, stats, errors, settings_obj.commit_size) as writer:
            for outcomes in run_batches(pending, settings_obj, progress):
                writer.write(outcomes)
                batches.settle_garbage_collector()  # the writer's process too, when workers are elsewhere
                if progress:
                    progress.counted(outcomes)
        # documents a changed learned name occurs in, made again from their stored text
        relearned = lexicon.refresh(catalogue, run_id, settings_obj, process_document)
        report = corrections.apply(catalogue, settings_obj.annotations_dir)
        catalogue.refresh_practices()
        report["families"] = catalogue.refresh_families(*families.corrections_in(settings_obj.annotations_dir))
        report["unmatched"] = report.get("unmatched", []) + report["families"]["unmatched"]
        seconds = time.perf_counter() - started
        catalogue.finish_run(run_id, stats, seconds)
        counts = catalogue.counts()
        localities = catalogue.run_localities(run_id)
    from prefect.runtime import flow_run

    return {"run_id": run_id, "flow_run_id": str(flow_run.id), **stats.__dict__, "seconds": round(seconds, 2),
            "localities": localities, "errors": [list(e) for e in errors], "corrections": report, "catalogue": counts,
            "relearned": relearned}


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
        # the worker processes import jieba too: its pkg_resources notice is not the user's business
        # there either (the command's own process filters it in pipeline.cli)
        os.environ.setdefault("PYTHONWARNINGS", "ignore:pkg_resources is deprecated:UserWarning")
        # the flow's own process works too (``run_batches``): one worker process fewer
        return DaskTaskRunner(cluster_kwargs={"n_workers": settings.workers - 1, "threads_per_worker": 1,
                                              "processes": True, "dashboard_address": None})
    return ThreadPoolTaskRunner(max_workers=1)


# -- stopping: SIGTERM, Ctrl-C, and a parent killed (issue 20) ----------------------------------
# the temporary Prefect server a run starts, and the death signal it gets: flows.server


class StopOnSignals:
    """SIGTERM and Ctrl-C (SIGINT) stop ``jingyan run`` within seconds, wherever it is.

    The signal is read by a thread of its own from the wakeup descriptor Python's C handler
    writes at once, so a main thread busy in one huge document (or blocked in Prefect's wait
    for a task) does not delay it. It says so in one line, stops the temporary Prefect server
    and every process this one started (Dask workers), and exits 128 + the signal (130, 143)
    without waiting for the document at hand: the catalogue keeps what was committed (whole
    documents, as after any kill) and the next run does the rest, marking this one
    ``interrupted``.
    """

    def __init__(self, db: str | Path):
        self.db = db
        self._once = threading.Lock()

    def install(self) -> "StopOnSignals":
        import socket

        reader, writer = socket.socketpair()
        writer.setblocking(False)
        signal.set_wakeup_fd(writer.fileno(), warn_on_full_buffer=False)
        self._pair = (reader, writer)  # kept open for the life of the process
        for signum in (signal.SIGINT, signal.SIGTERM):
            signal.signal(signum, self)
        threading.Thread(target=self._watch, args=(reader,), name="stop-on-signals", daemon=True).start()
        return self

    def __call__(self, signum, frame) -> None:  # the Python-level handler: no KeyboardInterrupt
        self.stop(signum, wait=True)  # the main thread goes no further while the process ends

    def _watch(self, reader) -> None:
        while True:
            for signum in reader.recv(64):
                if signum in (signal.SIGINT, signal.SIGTERM):
                    self.stop(signum)

    def stop(self, signum: int, wait: bool = False) -> None:
        if not self._once.acquire(blocking=wait):
            return
        name = signal.Signals(signum).name
        print(f"jingyan run stopped by {name}: the documents committed so far stay in {self.db}; "
              "run it again to do the rest", file=sys.stderr, flush=True)
        try:
            stop_own_processes()
        finally:
            os._exit(128 + signum)


def keep_stop_on_signals() -> None:
    """Prefect puts its own SIGTERM handler in place for a flow run (it raises in the main
    thread, whose unwinding then waits for the document at hand): ours again, if installed."""
    handler = signal.getsignal(signal.SIGINT)
    if isinstance(handler, StopOnSignals):
        signal.signal(signal.SIGTERM, handler)


def stop_own_processes() -> None:
    """Every process this one started (the temporary Prefect server, Dask workers): terminated,
    then killed if still there after 3 s. Prefect's own objects are not touched: the main
    thread may be using them."""
    import psutil

    children = psutil.Process().children(recursive=True)
    for child in children:
        with contextlib.suppress(psutil.Error):
            child.terminate()
    _, alive = psutil.wait_procs(children, timeout=3)
    for child in alive:
        with contextlib.suppress(psutil.Error):
            child.kill()


def run(paths: list[str | Path], db: str | Path, settings: Settings,
        start: prefect_server.RunStart | None = None) -> dict:
    """Entry point for the CLI and tests: the flow with the task runner the settings ask for.

    One run writes a catalogue at a time (``pipeline.lock``): a second waits, before its
    Prefect server starts, and says on which run. ``start``: the CLI's own, made before this
    module (and Prefect) was imported, holding the lock, its server booting meanwhile; without
    it, lock and server are taken here."""
    if start is None:
        with prefect_server.starting(db) as start:
            return run(paths, db, settings, start)
    start.server_ready()
    configured = catalogue_corpus.with_options(task_runner=task_runner_for(settings))
    with heartbeats_as_configured():
        return configured([str(p) for p in paths], str(db), settings.as_dict())


def heartbeats_as_configured():
    """Prefect's flow-run heartbeats only where the user set their frequency
    (``PREFECT_FLOWS_HEARTBEAT_FREQUENCY``, in the environment or a Prefect profile).

    Prefect 3.8 sends them every 180 s unless told otherwise, and a run that ends joins its
    heartbeat thread, which sleeps in 1 s steps: a flow run took ~1.2 s with them and ~0.3 s
    without, most of a small batch's flow. They serve one thing, an automation the user sets
    up to mark silent runs crashed (Prefect's "detect zombie flows"), and whoever sets one up
    sets the frequency; jingyan's own ``runs`` table marks a stopped run ``interrupted``."""
    from prefect.settings import PREFECT_FLOWS_HEARTBEAT_FREQUENCY, get_current_settings, temporary_settings

    if "heartbeat_frequency" in get_current_settings().flows.model_fields_set:
        return contextlib.nullcontext()
    return temporary_settings(updates={PREFECT_FLOWS_HEARTBEAT_FREQUENCY: None})
