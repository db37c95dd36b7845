"""One writer at a time per catalogue: a run holds ``<catalogue>.lock`` for its whole write phase.

Two ``jingyan run`` on one catalogue used to write at once, and SQLite refused some of their
documents (``database is locked``). Now the second waits its turn, says once that it waits
and on which run, and then triages against what the first wrote (so it skips those files).

The lock is ``fcntl.flock`` on a file beside the catalogue: the kernel releases it when its
holder ends, ``kill -9`` included, so a dead run never blocks the next. The file stays
(removing a lock file another process may be opening would let two hold "the" lock); its
text says who holds it: pid, run id, when it started. Readers (serve, cite, eval, export)
never take it: SQLite's WAL lets them read while a run writes.
"""
from __future__ import annotations

import contextlib
import fcntl
import json
import os
import time
from pathlib import Path
from typing import Callable, Iterator


def lock_path(db: str | Path) -> Path:
    """The lock file of the catalogue at ``db``.

    >>> str(lock_path("outputs/catalogue.db"))
    'outputs/catalogue.db.lock'
    """
    db = Path(db)
    return db.with_name(db.name + ".lock")


def describe_holder(info: dict) -> str:
    """The waiting line's words for a holder, from what it wrote in the lock file.

    >>> describe_holder({"pid": 4242, "run_id": "9f3c2a", "started": "2026-12-04T21:40:03+0000"})
    'run 9f3c2a (pid 4242, started 2026-12-04T21:40:03+0000)'
    >>> describe_holder({})
    'another run (it has not said which yet)'
    """
    if not info.get("pid"):
        return "another run (it has not said which yet)"
    name = f"run {info['run_id']}" if info.get("run_id") else "a run"
    return f"{name} (pid {info['pid']}, started {info.get('started', '?')})"


def read_holder(db: str | Path) -> dict:
    """What the holder (or the last holder) wrote in the lock file; {} when nothing readable."""
    try:
        return json.loads(lock_path(db).read_text(encoding="utf-8") or "{}")
    except (OSError, ValueError):
        return {}


@contextlib.contextmanager
def writer_lock(db: str | Path, on_wait: Callable[[str], None] | None = None) -> Iterator[None]:
    """Hold the catalogue at ``db`` for writing; wait for the run holding it, telling
    ``on_wait`` once (a line naming that run) before waiting."""
    path = lock_path(db)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            if on_wait is not None:
                on_wait(f"waiting for {describe_holder(read_holder(db))} to finish writing {db}")
            fcntl.flock(fd, fcntl.LOCK_EX)
        _write_holder(fd, {"pid": os.getpid(), "started": time.strftime("%Y-%m-%dT%H:%M:%S%z")})
        yield
    finally:
        os.close(fd)  # closing the descriptor releases the flock


def note_run(db: str | Path, run_id: str) -> None:
    """Add the run id to what this process, the holder, wrote in the lock file."""
    info = read_holder(db)
    if info.get("pid") != os.getpid():
        return  # not ours (a caller writing without the lock): leave the holder's words alone
    fd = os.open(lock_path(db), os.O_RDWR)
    try:
        _write_holder(fd, {**info, "run_id": run_id})
    finally:
        os.close(fd)


def _write_holder(fd: int, info: dict) -> None:
    data = json.dumps(info).encode("utf-8")
    os.ftruncate(fd, 0)
    os.pwrite(fd, data, 0)
