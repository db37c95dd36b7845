"""The Prefect server a run reports to, started without importing Prefect (issue 25).

With no ``PREFECT_API_URL``, Prefect's client starts a temporary server and waits for it
before anything else happens: ~5 s of uvicorn booting Prefect's app, most of a small run.
Here the same server (Prefect's ``SubprocessASGIServer`` command line) is spawned as soon as
the run is known to go ahead, before this process has imported Prefect, so that the boot
overlaps the run's own start-up (importing Prefect and the flow, loading the dictionaries);
``RunStart.server_ready`` then waits for its health. Its address goes into
``PREFECT_API_URL`` before Prefect reads its settings, so Prefect's client uses it and never
starts its own.

The child is spawned from the main thread and asks the kernel for SIGTERM when that thread
dies (``PR_SET_PDEATHSIG``, Linux): a ``kill -9`` of the run takes the server with it.

``serve`` is ``jingyan server``: the same app as a lasting server (services and UI on), for
anyone who runs batches often and should not pay the boot on every run.
"""
from __future__ import annotations

import atexit
import contextlib
import functools
import importlib.util
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator

from pipeline import lock

PR_SET_PDEATHSIG = 1  # linux/prctl.h
UVICORN_STARTUP_FAILURE = 3  # uvicorn's exit code when it cannot bind (or its app cannot start)
DEFAULT_STARTUP_TIMEOUT = 180.0  # flows/__init__ sets Prefect's own setting to this
LOCAL = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # 127.0.0.1: never through a proxy


class ServerError(RuntimeError):
    """The Prefect server did not come up: why, in one line."""


def _die_with_parent(parent: int) -> None:
    """In a child before it runs: on Linux, SIGTERM when the thread that started it dies (the
    main thread of ``jingyan run``, even under ``kill -9``); a parent already gone ends it."""
    import ctypes

    ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)
    if os.getppid() != parent:
        os._exit(1)


def free_port() -> int:
    with contextlib.closing(socket.socket()) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def port_taken(host: str, port: int) -> bool:
    with contextlib.closing(socket.socket()) as sock:
        try:
            sock.bind((host, port))
        except OSError:
            return True
        return False


def _site_packages() -> str:
    """The folder Prefect is installed in (uvicorn's ``--app-dir``), found without importing it."""
    spec = importlib.util.find_spec("prefect")
    return str(Path(spec.origin).parent.parent)


def _startup_timeout() -> float:
    return float(os.environ.get("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", DEFAULT_STARTUP_TIMEOUT))


class PrefectServer:
    """Prefect's server app under uvicorn, a child of this process that dies with it.

    ``temporary``: the server Prefect's client would start for one run (no UI, its services
    the ephemeral subset); else a lasting one (``jingyan server``)."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0, temporary: bool = True):
        self.host, self.port, self.temporary = host, port, temporary
        self._chosen_port = not port  # a port we picked may be taken meanwhile: pick another
        self.process: subprocess.Popen | None = None
        self.deadline = 0.0

    @property
    def api_url(self) -> str:
        host = "127.0.0.1" if self.host in ("0.0.0.0", "") else self.host
        return f"http://{host}:{self.port}/api"

    def command(self) -> list[str]:
        return [sys.executable, "-m", "uvicorn", "--app-dir", _site_packages(), "--factory",
                "prefect.server.api.server:create_app", "--host", self.host, "--port", str(self.port),
                "--log-level", "error" if self.temporary else "warning", "--lifespan", "on"]

    def environment(self) -> dict[str, str]:
        """This process's environment (Prefect's settings from it, its profile and its files are
        read by the child itself) plus the switches ``SubprocessASGIServer`` passes."""
        env = {k: v for k, v in os.environ.items() if k != "PREFECT_API_URL"}  # not a client
        env["PREFECT__SERVER_FINAL"] = "1"
        if self.temporary:
            env.update(PREFECT_UI_ENABLED="0", PREFECT__SERVER_EPHEMERAL="1")
        else:  # the UI asks the API at the address these make (Prefect's 4200 otherwise)
            env.update(PREFECT_SERVER_API_HOST=self.host, PREFECT_SERVER_API_PORT=str(self.port))
        return env

    def spawn(self) -> "PrefectServer":
        """Start the child; call from the main thread (the death signal follows the spawning thread)."""
        if self._chosen_port:
            self.port = free_port()
        preexec = functools.partial(_die_with_parent, os.getpid()) if sys.platform == "linux" else None
        self.process = subprocess.Popen(self.command(), env=self.environment(), preexec_fn=preexec)
        if not self.deadline:
            self.deadline = time.monotonic() + _startup_timeout()
            atexit.register(self.stop)  # before Prefect registers its own: runs after their drains
        return self

    def wait_until_healthy(self) -> str:
        """Poll ``/api/health`` until it answers 200 (a chosen port taken meanwhile: another);
        the API's address, or ``ServerError`` with the child's exit code."""
        while True:  # asked once at least: the deadline may have passed while this process loaded
            code = self.process.poll()
            if code == UVICORN_STARTUP_FAILURE and self._chosen_port and port_taken(self.host, self.port):
                self.spawn()  # taken between our choice and uvicorn's bind: another port
            elif code is not None:
                raise ServerError(f"Prefect's server exited with code {code} before it answered on "
                                  f"{self.api_url} (its messages are above)")
            elif self.answers():
                return self.api_url
            if time.monotonic() >= self.deadline:
                break
            time.sleep(0.1)
        code = self.process.poll()
        raise ServerError(f"Prefect's server did not answer on {self.api_url}/health within "
                          f"{_startup_timeout():.0f} s ({'still running' if code is None else f'exit code {code}'}; "
                          "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS sets the wait)")

    def answers(self) -> bool:
        try:
            with LOCAL.open(f"{self.api_url}/health", timeout=2) as response:
                return response.status == 200
        except OSError:
            return False

    def stop(self) -> None:
        """Terminate the child and wait for it (killed after 5 s)."""
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


# -- a run's start -------------------------------------------------------------------------------
def temporary_server_needed() -> bool:
    """No Prefect server configured and temporary ones allowed, as Prefect would decide.

    Before Prefect is imported this reads the environment and, when a settings file could say
    otherwise (a profile, ``prefect.toml``, ``.env``, ``[tool.prefect]``), asks Prefect."""
    if "prefect.settings" not in sys.modules:
        if os.environ.get("PREFECT_API_URL"):
            return False
        if not _settings_elsewhere():
            return True
    from prefect.settings import PREFECT_API_URL, PREFECT_SERVER_EPHEMERAL_ENABLED

    return not PREFECT_API_URL.value() and bool(PREFECT_SERVER_EPHEMERAL_ENABLED.value())


EPHEMERAL_SWITCHES = ("PREFECT_SERVER_EPHEMERAL_ENABLED", "PREFECT_SERVER_ALLOW_EPHEMERAL_MODE")


def _settings_elsewhere() -> bool:
    """Whether anything but ``PREFECT_API_URL`` in the environment may set Prefect's API
    address or turn temporary servers off (then Prefect's own settings decide, at the cost of
    importing them first). A file is suspected on a word, not parsed: a false alarm costs a
    second, a miss a run that ignores the user's server."""
    if any(key in os.environ for key in EPHEMERAL_SWITCHES):
        return True
    home = Path(os.environ.get("PREFECT_HOME", "~/.prefect")).expanduser()
    profiles = Path(os.environ.get("PREFECT_PROFILES_PATH", home / "profiles.toml")).expanduser()
    suspects = {profiles: ("PREFECT_API_URL", "EPHEMERAL"), Path(".env"): ("PREFECT_",),
                Path("prefect.toml"): ("api", "ephemeral"), Path("pyproject.toml"): ("tool.prefect",)}
    for path, words in suspects.items():
        try:
            text = path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            continue
        if any(word in text for word in words):
            return True
    return False


def point_prefect_at(api_url: str) -> None:
    """Make ``api_url`` Prefect's API for this process and those it starts (Dask workers).

    Prefect reads its settings when imported; imported already (a run that waited for the
    writer lock, tests), its process-wide settings are read again."""
    os.environ["PREFECT_API_URL"] = api_url
    if "prefect.context" not in sys.modules:
        return
    from prefect.context import refresh_global_settings_context
    from prefect.settings import PREFECT_API_URL

    if PREFECT_API_URL.value() != api_url:
        refresh_global_settings_context()


@dataclass
class RunStart:
    """A run between the writer lock and its flow: ``server`` boots meanwhile (None: a server
    is configured)."""

    server: PrefectServer | None

    def server_ready(self) -> None:
        """Wait for the temporary server's health (``ServerError`` when it does not come up)."""
        if self.server is not None:
            point_prefect_at(self.server.wait_until_healthy())


def _say(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


@contextlib.contextmanager
def starting(db: str | Path, on_wait: Callable[[str], None] = _say) -> Iterator[RunStart]:
    """Hold the catalogue's writer lock, then spawn the temporary server when one is needed.

    The lock first: a run that waits for another spawns nothing until its turn (``on_wait``
    is told once, before the wait). The server's address is Prefect's from here on, even
    before it answers (nothing asks it before ``RunStart.server_ready``); it stops when this
    process exits, after Prefect's own exit handlers have sent what they hold."""
    with lock.writer_lock(db, on_wait=on_wait):
        server = PrefectServer().spawn() if temporary_server_needed() else None
        if server is not None:
            point_prefect_at(server.api_url)
        yield RunStart(server)


# -- jingyan server ------------------------------------------------------------------------------
def serve(host: str, port: int, announce: Callable[[str], None] = print) -> None:
    """Run a lasting Prefect server in the foreground until Ctrl-C or SIGTERM; ``announce``
    is told how to point runs at it once it answers."""
    if port_taken(host, port):
        raise ServerError(f"port {port} on {host} is in use (a Prefect server there already? "
                          f"curl http://{host}:{port}/api/health); choose another with --port")
    server = PrefectServer(host, port, temporary=False)
    signal.signal(signal.SIGTERM, signal.default_int_handler)  # SIGTERM stops it as Ctrl-C does
    try:
        server.spawn()
        api_url = server.wait_until_healthy()
        announce(f"Prefect server up at {api_url} (Ctrl-C stops it). In the shell you run jingyan from:\n"
                 f"export PREFECT_API_URL={api_url}")
        code = server.process.wait()
        if code:  # 0: it stopped on the same Ctrl-C as this process, which is still to see it
            raise ServerError(f"Prefect's server exited with code {code}")
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
