"""SIGTERM and Ctrl-C stop a `jingyan run` within seconds and leave no process of its own
behind; a `kill -9` of the command alone takes Prefect's temporary server with it (issue 20).

The run is the installed command in a subprocess, busy in one large document made of seed
sentences; its children (the temporary Prefect server, uvicorn) are found through /proc.
"""
from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from .conftest import CORPUS, JINGYAN

pytestmark = [pytest.mark.slow, pytest.mark.skipif(sys.platform != "linux", reason="reads /proc")]


def descendants(pid: int) -> set[int]:
    """Every live process below ``pid``, from /proc."""
    parents = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            parents[int(entry.name)] = int(stat.rsplit(")", 1)[1].split()[1])
    found, frontier = set(), {pid}
    while frontier:
        frontier = {child for child, parent in parents.items() if parent in frontier} - found
        found |= frontier
    return found


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def large_document(folder: Path, megabytes: float = 3) -> Path:
    """One text of seed sentences, about ``megabytes`` large."""
    sentences = [s + "。" for path in sorted(CORPUS.glob("*.txt"))
                 for s in path.read_text(encoding="utf-8").replace("\n", "").split("。") if len(s) > 20]
    parts, size, i = [], 0, 0
    while size < megabytes * 1024 * 1024:
        sentence = sentences[i % len(sentences)]
        parts.append(sentence + ("\n" if i % 7 == 6 else ""))
        size += len(sentence.encode("utf-8"))
        i += 1
    folder.mkdir()
    path = folder / "large.txt"
    path.write_text("".join(parts), encoding="utf-8")
    return path


def start_run(tmp_path: Path) -> subprocess.Popen:
    folder = tmp_path / "corpus"
    large_document(folder)
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_API_URL")}
    return subprocess.Popen([JINGYAN, "run", str(folder), "--db", str(tmp_path / "c.db"), "--no-progress",
                             "--annotations", str(tmp_path / "annotations")],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)


def wait_for_server(process: subprocess.Popen, timeout: float = 240) -> set[int]:
    """The run's children once its temporary Prefect server is among them."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        children = descendants(process.pid)
        if any(b"uvicorn" in Path(f"/proc/{c}/cmdline").read_bytes() for c in children if alive(c)):
            return children
        assert process.poll() is None, process.communicate()
        time.sleep(0.5)
    raise AssertionError("no temporary Prefect server started")


def wait_for_the_document(process: subprocess.Popen, db: Path, timeout: float = 240) -> None:
    """Until the flow has started its run (its `runs` row) and a few seconds into the document."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert process.poll() is None, process.communicate()
        try:
            with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=1) as conn:
                if conn.execute("select count(*) from runs where status = 'running'").fetchone()[0]:
                    time.sleep(5)  # hashed, and tagging the 3 MB document (a minute or more)
                    return
        except sqlite3.Error:
            pass
        time.sleep(0.5)
    raise AssertionError("the run never started")


@pytest.mark.parametrize("signum, code", [(signal.SIGTERM, 143), (signal.SIGINT, 130)], ids=["SIGTERM", "SIGINT"])
def test_a_signal_stops_a_run_busy_in_a_large_document(tmp_path, signum, code):
    process = start_run(tmp_path)
    try:
        children = wait_for_server(process)
        wait_for_the_document(process, tmp_path / "c.db")
        process.send_signal(signum)
        started = time.monotonic()
        assert process.poll() is None, "the run ended before the signal: the document is too small"
        _, err = process.communicate(timeout=60)  # a hang, before: the document runs for minutes
        print(f"stopped in {time.monotonic() - started:.1f} s")
        assert process.returncode == code, err[-2000:]
        lines = [line for line in err.splitlines() if "stopped by" in line]
        assert len(lines) == 1 and signal.Signals(signum).name in lines[0], err[-2000:]
        time.sleep(1)
        assert not [c for c in children | descendants(process.pid) if alive(c)]
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def test_kill_9_of_the_command_takes_the_temporary_server_with_it(tmp_path):
    process = start_run(tmp_path)
    try:
        children = wait_for_server(process)
        process.kill()
        process.wait()
        deadline = time.monotonic() + 30
        while [c for c in children if alive(c)] and time.monotonic() < deadline:
            time.sleep(0.5)
        assert not [c for c in children if alive(c)]
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
