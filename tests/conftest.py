"""Shared fixtures: the repo's corpus, a Prefect test harness, a catalogue built from the seeds."""
from __future__ import annotations

import os
import shutil
import socket
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

import flows  # noqa: F401  (sets Prefect's environment before Prefect is imported)

REPO = Path(__file__).resolve().parent.parent
CORPUS = REPO / "corpus"
GOLD = REPO.parent / "shared" / "gold"
JINGYAN = str(Path(sys.executable).parent / "jingyan")


def pytest_make_parametrize_id(config, val, argname):
    """Chinese test ids as written (新区…), not escaped (\\u65b0…); anything unprintable
    is left to pytest's own escaping."""
    if isinstance(val, str) and not val.isascii() and val.isprintable():
        return val
    return None


@pytest.fixture(scope="session")
def prefect_harness():
    """Prefect's own test harness: a temporary database and server for in-process flow runs."""
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=120):
        yield


@pytest.fixture(scope="session")
def seed_catalogue(tmp_path_factory, prefect_harness) -> Path:
    """The five seeds catalogued once by the real flow; tests must not write to it."""
    from flows.catalogue_flow import run
    from pipeline.settings import Settings

    db = tmp_path_factory.mktemp("seed") / "catalogue.db"
    summary = run([CORPUS], db, Settings(annotations_dir=tmp_path_factory.mktemp("no-annotations")))
    assert summary["failed"] == 0, summary["errors"]
    return db


@pytest.fixture
def corpus_copy(tmp_path) -> Path:
    folder = tmp_path / "corpus"
    shutil.copytree(CORPUS, folder)
    return folder


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run_cli(*args: str, cwd: Path | None = None, timeout: int = 300, env: dict | None = None) -> subprocess.CompletedProcess:
    """The installed ``jingyan`` command, as a user runs it."""
    full_env = {**os.environ, **(env or {})}
    return subprocess.run([JINGYAN, *args], cwd=cwd, capture_output=True, text=True, timeout=timeout, env=full_env)


def rows(db: Path, sql: str, args=()) -> list[tuple]:
    """The rows of one query on the catalogue at ``db``, on a connection of its own."""
    conn = sqlite3.connect(db)
    try:
        return conn.execute(sql, args).fetchall()
    finally:
        conn.close()
