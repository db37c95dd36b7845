"""``jingyan serve``: the catalogue in Datasette, read-only, with metadata, facets and queries.

Datasette opens the file with ``mode=ro`` (not ``immutable``): nothing here can write to it,
and a ``jingyan run`` writing the same file meanwhile (WAL) shows up on the next page load.
Chinese search, the highlighted document view and the tokenizer come from the plugin
(``pipeline.datasette_plugin``), which plain ``datasette catalogue.db`` loads too; this module
adds the metadata in data/datasette_metadata.json, written for a database named
``catalogue`` and renamed here to the file's own name.
"""
from __future__ import annotations

import asyncio
import copy
import json
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
    """Serve the catalogue at http://host:port/ until interrupted (Ctrl-C or SIGTERM)."""
    import uvicorn

    from . import fts

    ds = build(db)
    asyncio.run(ds.invoke_startup())
    try:
        uvicorn.run(ds.app(), host=host, port=port, log_level="warning", lifespan="on", workers=1)
    finally:
        # SQLite calls the tokenizer's Python callbacks while closing an FTS connection:
        # close them while Python is still whole, not during interpreter teardown.
        for database in ds.databases.values():
            database.close()
        fts.close_connections()
