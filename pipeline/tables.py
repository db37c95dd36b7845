"""The rule tables in ``pipeline/data/*.tsv``: one reader for every stage.

Tab-separated rows; lines starting with ``#`` and blank lines are skipped, cells are
trimmed, and a cell written ``""`` is an explicitly empty value::

    Q-LIANXU	prefix	连续	""	连续62个月: a duration, no qualifier
    → ['Q-LIANXU', 'prefix', '连续', '', '连续62个月: a duration, no qualifier']
"""
from __future__ import annotations

from pathlib import Path


def read_table(path: Path) -> list[list[str]]:
    rows = []
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        rows.append(["" if c == '""' else c for c in (cell.strip() for cell in line.split("\t"))])
    return rows
