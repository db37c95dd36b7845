"""The Prefect flow: files → catalogue, in batches, incrementally, on threads or Dask.

Prefect only: the task, the flow and its task runner; the work and its policies (triage,
batches in flight, the writer's commits, GC tuning) are ``pipeline.batches``. One task per
*batch* of documents (never per document or sentence), so Prefect's per-task cost stays
small next to the work at 10,000 documents. The flow process is the only writer of the
SQLite file; workers return extractions. With ``--workers N`` the flow's process is one of
the N and works on documents between writes (``batches.run_batches``).
"""
from __future__ import annotations

import os
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
def process_batch(paths: list[str], settings: dict) -> list[dict]:
    outcomes = batches.process_paths(paths, Settings.from_dict(settings))
    batches.settle_garbage_collector()
    return outcomes


def run_batches(paths: list[str], settings: Settings) -> Iterator[list[dict]]:
    """Outcomes in batches as they complete, each batch a ``process_batch`` task on the flow's
    task runner (how many at once: ``batches.run_batches``)."""
    payload = settings.as_dict()
    return batches.run_batches(paths, settings, lambda batch: process_batch.submit(batch, payload),
                               _cluster_threads)


def _cluster_threads() -> int:
    """The worker threads of the Dask cluster this flow run's task runner is connected to."""
    from prefect.context import FlowRunContext

    return sum(FlowRunContext.get().task_runner.client.nthreads().values())


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
        pending = batches.triage(paths, catalogue, run_id, stats, errors)
        progress = _progress(settings_obj, len(pending))
        try:
            with batches.CatalogueWriter(catalogue, run_id, stats, errors, settings_obj.commit_size) as writer:
                for outcomes in run_batches(pending, settings_obj):
                    writer.write(outcomes)
                    batches.settle_garbage_collector()  # the writer's process too, when workers are elsewhere
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
