"""Prefect flows for jingyan. Importing this package configures Prefect's environment.

Set before Prefect is imported: telemetry off, Prefect's home in a per-user directory
(never inside the repo), quiet logs. A user's own settings win.
"""
import os
from pathlib import Path


def _data_home() -> Path:
    base = os.environ.get("XDG_DATA_HOME") or os.path.join(os.path.expanduser("~"), ".local", "share")
    return Path(base) / "jingyan"


for _key, _value in {
    "PREFECT_HOME": str(_data_home() / "prefect"),
    "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
    "DO_NOT_TRACK": "1",
    "PREFECT_LOGGING_LEVEL": "WARNING",
    "PREFECT_LOGGING_LOG_PRINTS": "false",
    "PREFECT_SERVER_LOGGING_LEVEL": "WARNING",
    # the temporary server's first start in a new home builds its database (~30 s of
    # migrations on a small machine), past Prefect's default wait of 20 s
    "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "180",
    # a local Dask cluster (--workers) logs every start and stop at INFO otherwise
    "DASK_LOGGING__DISTRIBUTED": "warning",
}.items():
    os.environ.setdefault(_key, _value)

# Prefect creates its home without parents, and its temporary server then cannot
# open its database: make the folder ourselves.
Path(os.environ["PREFECT_HOME"]).expanduser().mkdir(parents=True, exist_ok=True)
