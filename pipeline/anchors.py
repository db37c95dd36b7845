"""How a gold or correction record is pinned to its text, read, and compared.

A record names its span by ``anchor`` (the exact text) and ``occurrence`` (which
appearance of it, 1-based), never by offsets, so that it survives re-extraction. Scoring
(``evaluate``), corrections, citations and the Label Studio bridge all place, read and
compare records the same way through here. Imports nothing of the pipeline.
"""
from __future__ import annotations

import json
import re
import unicodedata
from pathlib import Path
from typing import Iterator

QUOTES_AND_SPACES = re.compile(r"[\s“”‘’\"'「」『』《》]")
# Why not the tagger's splitter: corrections place an added fact in its sentence without
# loading jieba; this is the same rule (。!? end a sentence) on the line around the span.
SENTENCE_END = "。!?!?"


class GoldError(ValueError):
    """A record that cannot be placed in its text (or a gold file that cannot be read)."""


def anchor_span(text: str, anchor: str, occurrence: int) -> tuple[int, int]:
    """[start, end) of the ``occurrence``-th ``anchor`` in ``text``.

    >>> anchor_span("建立895个，又建立895个", "895个", 2)
    (10, 14)
    """
    pos = -1
    for _ in range(max(1, occurrence)):
        pos = text.find(anchor, pos + 1)
        if pos < 0:
            raise GoldError(f"anchor {anchor!r} (occurrence {occurrence}) not in the text")
    return pos, pos + len(anchor)


def occurrence_of(text: str, start: int, anchor: str) -> int:
    """Which appearance of ``anchor`` begins at ``start``, counted as ``anchor_span`` counts.

    >>> occurrence_of("建立895个，又建立895个", 10, "895个")
    2
    """
    count, pos = 0, -1
    while True:
        pos = text.find(anchor, pos + 1)
        if pos < 0 or pos > start:
            break
        count += 1
        if pos == start:
            return count
    raise ValueError(f"{anchor!r} does not begin at {start}")


def sentence_bounds(text: str, start: int, end: int) -> tuple[int, int]:
    """The sentence around [start, end): from the last 。!? or line break before to the next after.

    >>> sentence_bounds("前言。全区共建立网格党支部895个。后记", 13, 17)
    (3, 18)
    """
    lo = max(text.rfind("\n", 0, start), max(text.rfind(c, 0, start) for c in SENTENCE_END)) + 1
    while lo < start and text[lo].isspace():
        lo += 1
    hi = len(text)
    for c in SENTENCE_END + "\n":
        i = text.find(c, end)
        if i >= 0:
            hi = min(hi, i + (c != "\n"))
    return lo, hi


def normalise_name(name: str) -> str:
    """“红色管家” 社区共治委员会 → 红色管家社区共治委员会; 院落长＋楼栋长 → 院落长+楼栋长 (NFKC).

    >>> normalise_name("“红色管家” 社区共治委员会")
    '红色管家社区共治委员会'
    """
    return QUOTES_AND_SPACES.sub("", unicodedata.normalize("NFKC", name or ""))


def same_number(a, b) -> bool:
    """Two figures are the same number (to a millionth); two absent ones ('' or None) agree.

    >>> same_number(895, "895.0"), same_number(None, ""), same_number(None, 0)
    (True, True, False)
    """
    if a in (None, "") or b in (None, ""):
        return a in (None, "") and b in (None, "")
    try:
        return abs(float(a) - float(b)) < 1e-6 * max(1.0, abs(float(b)))
    except (TypeError, ValueError):
        return False


def read_records(folder: str | Path) -> Iterator[tuple[Path, int, dict | None, str]]:
    """(file, line number, record or None, error) for every line of ``folder/*.jsonl``.

    Gold and annotators' corrections are both read through here.
    """
    folder = Path(folder)
    if not folder.is_dir():
        return
    for path in sorted(folder.glob("*.jsonl")):
        for lineno, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if not line.strip():
                continue
            try:
                obj = json.loads(line)
            except json.JSONDecodeError as exc:
                yield path, lineno, None, f"not JSON: {exc}"
                continue
            if not isinstance(obj, dict):
                yield path, lineno, None, "not a JSON object"
                continue
            yield path, lineno, obj, ""
