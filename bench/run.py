"""Whole-run benchmark: documents/s, chars/s, peak RSS, ratio to bare jieba.lcut, re-run and
incremental cost (10 new documents into the catalogue of N, against the same 10 into an
empty one), and Datasette search latency, for corpora of N documents.

    python bench/run.py                 # N = 100 and 1000, both corpora
    python bench/run.py 100 1000 10000  # as in bench/RESULTS.md
    python bench/run.py 1000 --workers 2
    python bench/run.py 300 --kind seeds

Both corpora of ``bench/generate.py`` run back to back, each with lcut measured in the
same run: ``bench`` (the seeds' paragraphs recombined) and ``seeds`` (whole seeds, their
figures changed: denser in figures, places and names). Each also gets per-stage seconds,
measured in this process over the same documents (ingest, tag, localities, mechanisms,
facts, confidence, index tokens; the catalogue write is the flow's time less the rest).
Each N gets a fresh catalogue. Results are printed and written to
bench/out/results_N.json (results_seeds_N.json for the seed-like corpus).
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import sqlite3
import statistics
import subprocess
import sys
import threading
import time
import urllib.parse
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
OUT = REPO / "bench" / "out"
JINGYAN = str(Path(sys.executable).parent / "jingyan")
sys.path.insert(0, str(REPO))

from bench.generate import generate, make_document, seed_paragraphs, districts  # noqa: E402


def lcut_seconds(folder: Path) -> tuple[float, int]:
    """Bare jieba.lcut over every file's text (a private tokenizer, dictionary loaded first)."""
    import jieba

    tokenizer = jieba.Tokenizer()
    tokenizer.initialize()
    chars, started = 0, time.perf_counter()
    for path in sorted(folder.glob("*.txt")):
        text = path.read_text(encoding="utf-8")
        chars += len(text)
        tokenizer.lcut(text)
    return time.perf_counter() - started, chars


# Runs the command in its own process and prints the peak RSS (kB) of its largest process:
# RUSAGE_CHILDREN of this benchmark would carry the peak of every earlier run.
PEAK_WRAPPER = ("import resource, subprocess, sys; code = subprocess.run(sys.argv[1:]).returncode; "
                "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, file=sys.stderr); sys.exit(code)")


def largest_rss_mb(root) -> float:
    """RSS (MB) of the largest process under root (the flow's, or a Dask worker's)."""
    import psutil

    largest = 0
    for process in root.children(recursive=True):
        try:
            largest = max(largest, process.memory_info().rss)
        except psutil.Error:  # it ended between the listing and the reading
            pass
    return largest / 2 ** 20


def rss_by_tenth(samples: list[tuple[float, float]], wall: float) -> list[float]:
    """The peak RSS sampled so far at the end of each tenth of the run's wall time (samples are
    (seconds, MB)): it should level off once the bounded caches are full, however large N is.

    >>> rss_by_tenth([(0.5, 100.0), (1.5, 300.0), (1.7, 250.0)], 2.0)
    [0.0, 0.0, 100.0, 100.0, 100.0, 100.0, 100.0, 300.0, 300.0, 300.0]
    """
    curve, largest = [], 0.0
    for tenth in range(1, 11):
        largest = max([largest] + [mb for at, mb in samples if at <= wall * tenth / 10])
        curve.append(round(largest, 1))
    return curve


def timed_run(folder: Path, db: Path, extra: list[str]) -> dict:
    import psutil

    started = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-c", PEAK_WRAPPER, JINGYAN, "run", str(folder), "--db", str(db),
                             "--no-progress", *extra], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    samples: list[tuple[float, float]] = []

    def sample(root=psutil.Process(proc.pid)) -> None:
        while proc.poll() is None:
            samples.append((time.perf_counter() - started, largest_rss_mb(root)))
            time.sleep(1.0)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    stdout, stderr = proc.communicate()
    wall = time.perf_counter() - started
    sampler.join()
    if proc.returncode != 0:
        raise SystemExit(f"jingyan run failed:\n{stdout[-3000:]}\n{stderr[-3000:]}")
    peak_kb = int(stderr.strip().splitlines()[-1])
    conn = sqlite3.connect(db)
    flow_seconds = conn.execute("select seconds from runs order by started desc limit 1").fetchone()[0]
    conn.close()
    return {"wall_s": round(wall, 2), "flow_s": flow_seconds, "peak_rss_mb": round(peak_kb / 1024, 1),
            "rss_mb_by_tenth_of_run": rss_by_tenth(samples, wall)}


def search_p95(db: Path, queries: list[str], rounds: int = 20) -> float | None:
    """p95 latency (ms) of Datasette's full-text search on the documents table."""
    port = 8700 + os.getpid() % 200
    server = subprocess.Popen([JINGYAN, "serve", "--db", str(db), "--port", str(port)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        base = f"http://127.0.0.1:{port}/{db.stem}/documents.json?_shape=objects&_col=id&_search="
        for _ in range(100):
            try:
                urllib.request.urlopen(base + urllib.parse.quote("网格"), timeout=5).read()
                break
            except OSError:
                time.sleep(0.3)
        else:
            return None
        latencies = []
        for _ in range(rounds):
            for q in queries:
                started = time.perf_counter()
                urllib.request.urlopen(base + urllib.parse.quote(q), timeout=30).read()
                latencies.append((time.perf_counter() - started) * 1000)
        return round(statistics.quantiles(latencies, n=20)[18], 1)
    finally:
        server.terminate()
        server.wait(timeout=30)


def remove_catalogue(db: Path) -> Path:
    """No catalogue at ``db`` (nor its WAL files), so that a run starts from nothing."""
    for suffix in ("", "-wal", "-shm"):
        Path(str(db) + suffix).unlink(missing_ok=True)
    return db


STAGES = (("", "tag"), ("localities_stage", "find_places"), ("mechanisms_stage", "extract_mechanisms"),
          ("facts_stage", "extract_facts"), ("", "with_confidence"))


def stage_seconds(folder: Path) -> dict:
    """Seconds per stage over the folder's documents, in this process (after one document to
    load the dictionaries), by timing the functions ``process`` composes."""
    from collections import Counter

    from pipeline import catalogue, ingest, process
    from pipeline.settings import Settings

    spent: Counter = Counter()

    def timed(name, function):
        def run(*args, **kwargs):
            started = time.perf_counter()
            try:
                return function(*args, **kwargs)
            finally:
                spent[name] += time.perf_counter() - started
        return run

    saved = []
    for module_name, function in STAGES:
        owner = getattr(process, module_name) if module_name else process
        if hasattr(owner, function):
            saved.append((owner, function, getattr(owner, function)))
            setattr(owner, function, timed(function, getattr(owner, function)))
    settings = Settings()
    paths = sorted(folder.glob("*.txt"))
    try:
        for i, path in enumerate(paths):
            if i == 1:
                spent.clear()  # the first document loads the dictionaries
            started = time.perf_counter()
            document = ingest.read_document(path, settings)
            spent["ingest"] += time.perf_counter() - started
            started = time.perf_counter()
            extraction = process.process_document(document, settings)
            spent["process"] += time.perf_counter() - started
            started = time.perf_counter()
            catalogue.index_tokens_for(extraction)
            spent["index_tokens"] += time.perf_counter() - started
    finally:
        for owner, function, original in saved:
            setattr(owner, function, original)
    staged = sum(spent[f] for _, f in STAGES)
    out = {name: round(spent[name], 2) for name in ("ingest",) + tuple(f for _, f in STAGES) + ("index_tokens",)}
    out["process_rest"] = round(spent["process"] - staged, 2)
    out["documents"] = len(paths) - 1
    return out


def bench(n: int, workers: int, kind: str = "bench") -> dict:
    folder = generate(n, OUT / (f"corpus_{n}" if kind == "bench" else f"seeds_{n}"), kind=kind)
    db = remove_catalogue(OUT / (f"bench_{n}.db" if kind == "bench" else f"bench_seeds_{n}.db"))
    extra = ["--workers", str(workers)] if workers > 1 else []
    # lcut before and after the first run, and their mean: this machine's speed drifts by 10%
    # and more within the hour, which a single measurement puts in the ratio
    lcut_before, chars = lcut_seconds(folder)
    first = timed_run(folder, db, extra)
    lcut_after, _ = lcut_seconds(folder)
    lcut_s = (lcut_before + lcut_after) / 2
    again = timed_run(folder, db, extra)
    # ten new documents into the catalogue of n: new files in the same folder, as a team adds
    # articles to its corpus (a copy of the folder elsewhere would be n new paths to record)
    import random
    rng = random.Random(n)
    paras, places = seed_paragraphs(), districts()
    extras = [folder / f"extra{i:02d}.txt" for i in range(10)]
    try:
        for i, path in enumerate(extras):
            path.write_text(make_document(10 ** 6 + i, paras, places, rng), encoding="utf-8")
        plus10 = timed_run(folder, db, extra)
        alone = OUT / "ten_alone"  # what the same 10 documents cost on their own, for comparison
        shutil.rmtree(alone, ignore_errors=True)
        alone.mkdir()
        for path in extras:
            shutil.copy(path, alone)
        ten_alone = timed_run(alone, remove_catalogue(OUT / "bench_ten_alone.db"), extra)
        shutil.rmtree(alone)
    finally:
        for path in extras:  # the folder stays the corpus of n for the next benchmark
            path.unlink(missing_ok=True)
    p95 = search_p95(db, ["物业", "网格", "红色物业", "宁海路 党员", "党建引领"])
    stages = stage_seconds(folder)
    in_process = sum(v for k, v in stages.items() if k != "documents")
    stages["catalogue_write_and_flow"] = round(first["flow_s"] - in_process * n / max(1, stages["documents"]), 2)
    result = {
        "documents": n, "corpus": kind, "chars": chars, "workers": workers, "stage_seconds": stages,
        "first_run": first, "rerun_unchanged": again, "add_10_documents": plus10,
        "ten_documents_alone": ten_alone,
        "documents_per_s": round(n / first["flow_s"], 1), "chars_per_s": round(chars / first["flow_s"]),
        "lcut_s": round(lcut_s, 2), "lcut_before_and_after_s": [round(lcut_before, 2), round(lcut_after, 2)],
        "ratio_to_lcut": round(first["flow_s"] / lcut_s, 2),
        "rerun_share_of_first": round(again["flow_s"] / first["flow_s"], 4),
        "add_10_over_ten_alone": round(plus10["flow_s"] / ten_alone["flow_s"], 2),
        "search_p95_ms": p95,
    }
    (OUT / (f"results_{n}.json" if kind == "bench" else f"results_seeds_{n}.json")).write_text(
        json.dumps(result, indent=2))
    print(json.dumps(result, indent=2))
    return result


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("sizes", nargs="*", type=int, default=[100, 1000])
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--kind", choices=("bench", "seeds", "both"), default="both",
                        help="which corpus of bench/generate.py (default: both, back to back)")
    args = parser.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    for size in args.sizes:
        for kind in (("bench", "seeds") if args.kind == "both" else (args.kind,)):
            bench(size, args.workers, kind)
