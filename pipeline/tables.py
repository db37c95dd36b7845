"""The rule tables in ``pipeline/data/*.tsv``: one reader for every stage, checking each row.

Tab-separated rows; lines starting with ``#`` and blank lines are skipped, cells are
trimmed, and a cell written ``""`` is an explicitly empty value::

    Q-LIANXU	prefix	连续	""	连续62个月: a duration, no qualifier
    → ['Q-LIANXU', 'prefix', '连续', '', '连续62个月: a duration, no qualifier']

A reader that names its columns (``("id", "phrase", "class", "note?")``: a name ending in
``?`` may be left off the end of a row) gets a row of the wrong width refused, and with
``unique_ids`` an empty or repeated id in the first column: a ``TableError`` naming the
file and the line, so an edited table fails where it is read, not as a wrong extraction.
"""
from __future__ import annotations

from pathlib import Path
from typing import Sequence


class TableError(ValueError):
    """A rule table row its reader cannot take: file, line and what is wrong."""


def read_table(path: Path, columns: Sequence[str] = (), *, unique_ids: bool = False) -> list[list[str]]:
    """The rows of a table, each a list of its cells.

    >>> import tempfile
    >>> path = Path(tempfile.mkdtemp()) / "stoplist.tsv"
    >>> _ = path.write_text("# id\\tphrase\\tnote\\nMS-001\\t神经末梢\\nMS-001\\t最后一米\\n", encoding="utf-8")
    >>> read_table(path, ("id", "phrase", "note?"))
    [['MS-001', '神经末梢'], ['MS-001', '最后一米']]
    >>> read_table(path, ("id", "phrase", "note?"), unique_ids=True)
    Traceback (most recent call last):
    ...
    pipeline.tables.TableError: ...stoplist.tsv, line 3: id MS-001 again (first on line 2)
    """
    required = [c for c in columns if not c.endswith("?")]
    if columns and list(columns[:len(required)]) != required:
        raise ValueError(f"optional columns come last: {columns}")
    rows, first_line = [], {}
    for number, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip() or line.startswith("#"):
            continue
        row = ["" if c == '""' else c for c in (cell.strip() for cell in line.split("\t"))]
        if columns and not len(required) <= len(row) <= len(columns):
            raise TableError(f"{path}, line {number}: {len(row)} cell{'s' * (len(row) != 1)}, want {_width(columns)} "
                             f"({', '.join(c.rstrip('?') for c in columns)}; cells are separated by tabs)")
        if unique_ids:
            if not row[0]:
                raise TableError(f"{path}, line {number}: no id in the first cell")
            if row[0] in first_line:
                raise TableError(f"{path}, line {number}: id {row[0]} again (first on line {first_line[row[0]]})")
            first_line[row[0]] = number
        rows.append(row)
    return rows


def _width(columns: Sequence[str]) -> str:
    required = sum(not c.endswith("?") for c in columns)
    return str(required) if required == len(columns) else f"{required} to {len(columns)}"
