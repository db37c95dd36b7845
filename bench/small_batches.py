"""The batches users run most: a few new documents into a catalogue, and the same folder again.

Wall times of the installed `jingyan run` (issue 25), on seed-like documents: each seed of
corpus/ with its figures changed (dates and years kept), so texts are as dense in figures,
places and names as the seeds.

    python bench/small_batches.py                 # with Prefect's temporary server
    python bench/small_batches.py --server        # also with a running `jingyan server`

Temporary server: the five seeds are catalogued, then a folder of the seeds and 10 new
documents is run (target ≤ 9 s wall), then run again unchanged. Running server: a catalogue
of 600 seed-like documents, 10 new ones added (target ≤ 4 s), the unchanged 610 again
(target ≤ 3 s). Every run is a real flow run with its `runs` row; the row's seconds are
reported beside the wall time. Raw numbers land in bench/out/small_batches.json.
"""
from __future__ import annotations

import argparse
import json
import os
import random
import re
import shutil
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
JINGYAN = str(Path(sys.executable).parent / "jingyan")
FIGURE = re.compile(r"(?<![\d.])(\d+(?:\.\d+)?)(?![\d.]*[年月日])")  # a date's parts stay


def seed_like(count: int, out: Path, first: int = 0, seed: int = 11) -> Path:
    """``count`` documents, seed i % 5 with every figure rescaled by 0.5–2 (deterministic)."""
    out.mkdir(parents=True, exist_ok=True)
    seeds = sorted((REPO / "corpus").glob("*.txt"))
    for i in range(first, first + count):
        rng = random.Random(seed * 100_003 + i)

        def rescale(match: re.Match) -> str:
            value = match.group(1)
            if "." in value:
                return f"{float(value) * rng.uniform(0.5, 2):.1f}"
            return str(max(1, round(int(value) * rng.uniform(0.5, 2))))

        text = seeds[i % len(seeds)].read_text(encoding="utf-8")
        (out / f"seedlike{i:05d}.txt").write_text(FIGURE.sub(rescale, text), encoding="utf-8")
    return out


def timed_run(folder: Path, db: Path, env: dict) -> dict:
    load = os.getloadavg()[0]  # on 2 cores, above ~1.2 the wall times say more about the neighbours
    started = time.perf_counter()
    done = subprocess.run([JINGYAN, "run", str(folder), "--db", str(db), "--no-progress",
                           "--annotations", str(db.parent / "no-annotations")],
                          capture_output=True, text=True, env=env)
    wall = time.perf_counter() - started
    if done.returncode:
        raise SystemExit(f"jingyan run failed ({done.returncode}): {done.stderr[-2000:]}")
    with sqlite3.connect(db) as conn:
        processed, skipped, seconds = conn.execute(
            "select processed, skipped, seconds from runs order by started desc limit 1").fetchone()
    return {"wall_s": round(wall, 2), "flow_s": seconds, "processed": processed, "skipped": skipped,
            "load_1min": round(load, 2)}


def with_temporary_server(work: Path, env: dict) -> dict:
    env = {k: v for k, v in env.items() if k != "PREFECT_API_URL"}
    folder, db = work / "tmp_corpus", work / "tmp" / "catalogue.db"
    db.parent.mkdir(parents=True)
    shutil.copytree(REPO / "corpus", folder)
    timed_run(folder, db, env)  # the seeds' catalogue
    seed_like(10, folder, first=10_000)
    return {"ten_new_into_seeds": timed_run(folder, db, env), "unchanged_again": timed_run(folder, db, env)}


def with_running_server(work: Path, env: dict) -> dict:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    # the set-up README.md recommends to anyone who runs batches often
    server = subprocess.Popen([JINGYAN, "server", "--port", str(port)], env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    env = {**env, "PREFECT_API_URL": f"http://127.0.0.1:{port}/api"}
    try:
        for _ in range(600):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/api/health", timeout=2).close()
                break
            except OSError:
                time.sleep(0.5)
        folder, db = seed_like(600, work / "srv_corpus"), work / "srv" / "catalogue.db"
        db.parent.mkdir(parents=True)
        first = timed_run(folder, db, env)
        seed_like(10, folder, first=10_000)
        return {"catalogue_of_600": first, "ten_new_into_600": timed_run(folder, db, env),
                "unchanged_610_again": timed_run(folder, db, env)}
    finally:
        server.terminate()
        server.wait(timeout=30)


def commit_measured() -> str:
    """``git rev-parse --short HEAD``, and whether the tree had changes besides."""
    def git(*args: str) -> str:
        return subprocess.run(["git", *args], cwd=REPO, capture_output=True, text=True).stdout.strip()

    dirty = git("status", "--porcelain", "--untracked-files=no")
    return git("rev-parse", "--short", "HEAD") + (" plus uncommitted work" if dirty else "")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--server", action="store_true", help="also measure with a running Prefect server")
    parser.add_argument("--work", type=Path, default=REPO / "bench" / "out" / "small_batches")
    args = parser.parse_args()
    shutil.rmtree(args.work, ignore_errors=True)
    args.work.mkdir(parents=True)
    results = {"commit": commit_measured(), "temporary_server": with_temporary_server(args.work, dict(os.environ))}
    if args.server:
        results["running_server"] = with_running_server(args.work, dict(os.environ))
    for mode, runs in results.items():
        if isinstance(runs, dict):
            for name, r in runs.items():
                print(f"{mode:17} {name:20} wall {r['wall_s']:6.2f} s  flow {r['flow_s']:6.2f} s  "
                      f"processed {r['processed']}, skipped {r['skipped']}  (load {r['load_1min']:.2f})")
    (REPO / "bench" / "out").mkdir(exist_ok=True)
    (REPO / "bench" / "out" / "small_batches.json").write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
