"""How a run gets its Prefect server (issue 25): the temporary one spawned before Prefect is
imported and gone with the run, after the writer lock; or a lasting `jingyan server` the run
reports to without starting its own.

The runs are the installed command on a folder of three sentences; their children are read
with psutil while they run.
"""
from __future__ import annotations

import os
import re
import signal
import sqlite3
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from .conftest import JINGYAN, REPO, free_port

psutil = pytest.importorskip("psutil")

LOCAL = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # 127.0.0.1, never through a proxy
SENTENCES = ["南京市鼓楼区建成网格党支部895个。", "杭州市西湖区新增养老床位1200张。", "成都市武侯区累计培训社区工作者360人次。"]


def tiny_folder(tmp_path: Path) -> Path:
    folder = tmp_path / "corpus"
    folder.mkdir()
    for i, sentence in enumerate(SENTENCES):
        (folder / f"news{i}.txt").write_text(sentence + "\n", encoding="utf-8")
    return folder


def without_api_url() -> dict:
    return {k: v for k, v in os.environ.items() if k != "PREFECT_API_URL"}


def start_run(tmp_path: Path, env: dict, stderr=subprocess.PIPE) -> subprocess.Popen:
    return subprocess.Popen([JINGYAN, "run", str(tiny_folder(tmp_path)), "--db", str(tmp_path / "c.db"),
                             "--no-progress", "--annotations", str(tmp_path / "no-annotations")],
                            stdout=subprocess.PIPE, stderr=stderr, text=True, env=env)


def prints_a_server_address(script: str, timeout: int) -> None:
    """Run ``script`` in a Python of its own (no PREFECT_API_URL): it succeeds and prints the
    address of the server it started, and nothing else."""
    done = subprocess.run([sys.executable, "-c", script], cwd=REPO, env=without_api_url(), capture_output=True,
                          text=True, timeout=timeout)
    assert done.returncode == 0, done.stderr[-2000:]
    assert re.fullmatch(r"http://127\.0\.0\.1:\d+/api\n", done.stdout)


def servers_below(pid: int) -> list:
    """The uvicorn (Prefect server) processes among ``pid``'s descendants."""
    try:
        children = psutil.Process(pid).children(recursive=True)
    except psutil.NoSuchProcess:
        return []
    found = []
    for child in children:
        try:
            if "uvicorn" in " ".join(child.cmdline()):
                found.append(child)
        except psutil.Error:
            pass
    return found


def watch(process: subprocess.Popen, timeout: float = 240) -> tuple[list, str, str]:
    """Until it exits: every server process seen below it, its stdout and stderr."""
    seen: dict[int, object] = {}
    deadline = time.monotonic() + timeout
    while process.poll() is None and time.monotonic() < deadline:
        seen.update((p.pid, p) for p in servers_below(process.pid))
        time.sleep(0.1)
    out, err = process.communicate(timeout=30)
    return list(seen.values()), out, err


def still_running(processes: list) -> list:
    return [p for p in processes if p.is_running() and p.status() != psutil.STATUS_ZOMBIE]


def runs(db: Path) -> list[tuple]:
    with sqlite3.connect(db) as conn:
        return conn.execute("select processed, status from runs").fetchall()


def test_the_temporary_server_is_spawned_before_prefect_is_imported(tmp_path):
    """The point of the early start: the server's child exists while Prefect is not loaded."""
    script = ("import sys\nfrom flows.server import starting\n"
              f"with starting({str(tmp_path / 'c.db')!r}) as start:\n"
              "    assert start.server is not None and start.server.process.poll() is None\n"
              "    assert not [m for m in sys.modules if m.split('.')[0] == 'prefect'], 'Prefect imported'\n"
              "    print(start.server.api_url)\n")
    prints_a_server_address(script, timeout=60)


@pytest.mark.slow
def test_a_port_taken_after_it_was_chosen_is_given_up_for_another():
    """uvicorn cannot bind (exit 3) when another process took the port meanwhile: a new port."""
    script = ("import socket\nimport flows.server as server\n"
              "held = socket.socket(); held.bind(('127.0.0.1', 0)); held.listen()\n"
              "taken = held.getsockname()[1]\nchosen = iter([taken])\nfree_port = server.free_port\n"
              "server.free_port = lambda: next(chosen, None) or free_port()\n"
              "started = server.PrefectServer().spawn()\nassert started.port == taken\n"
              "url = started.wait_until_healthy()\nassert started.port != taken and started.answers()\n"
              "print(url)\n")
    prints_a_server_address(script, timeout=240)


@pytest.mark.slow
def test_a_run_without_a_server_starts_one_and_leaves_none(tmp_path):
    process = start_run(tmp_path, without_api_url())
    servers, out, err = watch(process)
    assert process.returncode == 0, err[-2000:]
    assert runs(tmp_path / "c.db") == [(3, "ok")]
    assert len(servers) == 1, f"{len(servers)} servers started (Prefect's client started its own?)"
    assert not still_running(servers), "the temporary server outlived its run"


@pytest.mark.slow
def test_a_run_waiting_for_the_writer_lock_starts_no_server_meanwhile(tmp_path):
    from pipeline import lock

    err_file = (tmp_path / "err.txt").open("w+")
    with lock.writer_lock(tmp_path / "c.db"):
        process = start_run(tmp_path, without_api_url(), stderr=err_file)
        deadline = time.monotonic() + 60
        while "waiting for" not in Path(err_file.name).read_text() and time.monotonic() < deadline:
            assert process.poll() is None, Path(err_file.name).read_text()
            time.sleep(0.1)
        time.sleep(3)  # long enough for a spawned server to show
        assert not servers_below(process.pid), "a server booting while the run waits for the lock"
    servers, _, _ = watch(process)
    err_file.close()
    assert process.returncode == 0, Path(err_file.name).read_text()[-2000:]
    assert len(servers) == 1 and not still_running(servers)
    assert runs(tmp_path / "c.db") == [(3, "ok")]


@pytest.mark.slow
def test_jingyan_server_serves_runs_and_stays_up(tmp_path):
    port = free_port()
    api_url = f"http://127.0.0.1:{port}/api"
    server = subprocess.Popen([JINGYAN, "server", "--port", str(port)], stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True, env=without_api_url())
    try:
        deadline = time.monotonic() + 180
        while not healthy(api_url):
            assert server.poll() is None, server.communicate()
            assert time.monotonic() < deadline, "jingyan server never answered"
            time.sleep(0.5)
        run = start_run(tmp_path, {**os.environ, "PREFECT_API_URL": api_url})
        servers, _, err = watch(run)
        assert run.returncode == 0, err[-2000:]
        assert not servers, "the run started a server of its own"
        assert runs(tmp_path / "c.db") == [(3, "ok")]
        assert healthy(api_url), "the run took the server down"
        flow_runs = LOCAL.open(urllib.request.Request(
            f"{api_url}/flow_runs/count", data=b"{}", headers={"Content-Type": "application/json"}), timeout=10)
        assert int(flow_runs.read()) >= 1, "the run did not report to this server"
        uvicorn = servers_below(server.pid)
        server.send_signal(signal.SIGTERM)
        out, _ = server.communicate(timeout=30)
        assert f"export PREFECT_API_URL={api_url}" in out.splitlines()
        assert uvicorn and not still_running(uvicorn), "the server's process outlived jingyan server"
    finally:
        if server.poll() is None:
            server.kill()
            server.wait()


def healthy(api_url: str) -> bool:
    try:
        with LOCAL.open(f"{api_url}/health", timeout=2) as response:
            return response.status == 200
    except OSError:
        return False
