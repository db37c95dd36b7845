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
import threading
import time
from pathlib import Path
from typing import Iterator

from prefect import flow, task
from prefect.cache_policies import NO_CACHE
from prefect.task_runners import ThreadPoolTaskRunner

from pipeline import batches, corrections
from pipeline.catalogue import Catalogue, RunStats
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
def catalogue_corpus(paths: list[str], db: str, settings: dict | None = None) -> dict:
    """Run the pipeline over files and folders into the catalogue at ``db``; return a summary."""
    settings_obj = Settings.from_dict(settings or {})
    started = time.perf_counter()
    stats = RunStats()
    errors: list[tuple[str, str]] = []
    with Catalogue(db) as catalogue:
        run_id = catalogue.start_run(paths, settings_obj.as_dict())
        pending = batches.triage(paths, catalogue, run_id, stats, errors)
        with _progress(settings_obj, len(pending)) as progress, \
                batches.CatalogueWriter(catalogue, run_id, stats, errors, settings_obj.commit_size) as writer:
            for outcomes in run_batches(pending, settings_obj, progress):
                writer.write(outcomes)
                batches.settle_garbage_collector()  # the writer's process too, when workers are elsewhere
                if progress:
                    progress.counted(outcomes)
        report = corrections.apply(catalogue, settings_obj.annotations_dir)
        catalogue.refresh_practices()
        seconds = time.perf_counter() - started
        catalogue.finish_run(run_id, stats, seconds)
        counts = catalogue.counts()
        localities = catalogue.run_localities(run_id)
    from prefect.runtime import flow_run

    return {"run_id": run_id, "flow_run_id": str(flow_run.id), **stats.__dict__, "seconds": round(seconds, 2),
            "localities": localities, "errors": [list(e) for e in errors], "corrections": report, "catalogue": counts}


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
