"""annotations/ ↔ catalogue: annotators' corrections, applied on every run.

(First version: the hook the flow calls. Label Studio import/export and the full
accept/reject/edit/add semantics are being built for issue 9.)
"""
from __future__ import annotations

from pathlib import Path


def apply(catalogue, folder: str | Path) -> dict:
    """Apply the corrections in ``folder`` to the catalogue; report what was applied."""
    folder = Path(folder)
    files = sorted(folder.glob("*.jsonl")) if folder.is_dir() else []
    return {"files": len(files), "applied": 0, "unmatched": []}
