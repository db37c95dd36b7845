"""``jingyan serve``: the catalogue in Datasette, read-only, with metadata, facets and queries.

Datasette opens the file with ``mode=ro`` (not ``immutable``): nothing here can write to it,
and a ``jingyan run`` writing the same file meanwhile (WAL) shows up on the next page load.
Chinese search, the highlighted document view and the tokenizer come from the plugin
(``pipeline.datasette_plugin``), which plain ``datasette catalogue.db`` loads too; this module
adds the metadata in data/datasette_metadata.json, written for a database named
``catalogue`` and renamed here to the file's own name, and says where it listens.
"""
from __future__ import annotations

import asyncio
import copy
import json
import socket
from pathlib import Path

METADATA = Path(__file__).parent / "data" / "datasette_metadata.json"
SETTINGS = {
    "default_page_size": 50,
    "sql_time_limit_ms": 3000,  # a figure query over 10,000 documents may scan facts
    "facet_time_limit_ms": 500,
    # Suggesting facets runs a query per column on every table page: on 10,000 documents that
    # is over a second per search. Facets are configured in the metadata instead.
    "suggest_facets": False,
    "allow_download": False,  # the catalogue is served read-only; take a copy with `cp` instead
}


def metadata(database: str) -> dict:
    """The metadata file with its ``catalogue`` database block under ``database``.

    >>> sorted(metadata("dev")["databases"])
    ['dev']
    """
    data = json.loads(METADATA.read_text(encoding="utf-8"))
    data = copy.deepcopy(data)
    block = data.get("databases", {}).pop("catalogue", {})
    data["databases"] = {database: block}
    return data


def build(db: Path):
    """The Datasette instance ``serve`` runs: one read-only database, its metadata, our settings."""
    from datasette.app import Datasette

    db = Path(db)
    if not db.exists():
        raise FileNotFoundError(f"no catalogue at {db}: build one with `jingyan run corpus/ --db {db}`")
    return Datasette(files=[str(db)], metadata=metadata(db.stem), settings=SETTINGS)


def serve(db: Path, port: int = 8001, host: str = "127.0.0.1") -> None:
    """Serve the catalogue at http://host:port/ until interrupted (Ctrl-C or SIGTERM).

    The socket is bound before anything is printed, so the address printed is the one
    listening (``--port 0`` prints the port the system chose) and a port in use is an
    error at once, not a log line after start-up.
    """
    import uvicorn

    from . import fts

    ds = build(db)
    sock = listening_socket(host, port)
    print(f"Serving {db} (read-only) at {url(host, sock.getsockname()[1])}  Ctrl-C stops.", flush=True)
    asyncio.run(ds.invoke_startup())
    server = uvicorn.Server(uvicorn.Config(ds.app(), log_level="warning", lifespan="on", workers=1))
    try:
        server.run(sockets=[sock])
    finally:
        sock.close()
        # SQLite calls the tokenizer's Python callbacks while closing an FTS connection:
        # close them while Python is still whole, not during interpreter teardown.
        for database in ds.databases.values():
            database.close()
        fts.close_connections()


def listening_socket(host: str, port: int) -> socket.socket:
    """A TCP socket bound to host:port and listening; a port in use is a usage error."""
    import click

    try:
        family = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0][0]
        return socket.create_server((host, port), family=family, backlog=2048)
    except OSError as exc:
        raise click.BadParameter(f"cannot listen on {host}:{port}: {exc.strerror or exc}",
                                 param_hint="'--host'/'--port'") from exc


def url(host: str, port: int) -> str:
    """The address a browser opens for a server bound to host:port.

    >>> url("127.0.0.1", 8001), url("::1", 8001)
    ('http://127.0.0.1:8001/', 'http://[::1]:8001/')
    """
    return f"http://[{host}]:{port}/" if ":" in host else f"http://{host}:{port}/"
