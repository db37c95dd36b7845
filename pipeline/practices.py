"""A mechanism's name → the practice it belongs to across documents, and its category.

Data only (``data/mechanism_categories.tsv``); the catalogue uses it directly. The table is
read from the package's ``DATA_DIR``, not ``Settings.data_dir``: the catalogue asks for
categories where no settings are at hand (its views and practice rows).
"""
from __future__ import annotations

import functools
import re
import unicodedata

from .settings import DATA_DIR
from .tables import read_table

# spaces, quotes, book-title marks and middle dots: how a name is written, not which it is
NAME_PUNCTUATION = re.compile(r"[\s“”‘’\"'「」『』《》·•・]")


def practice_key(name: str) -> str:
    """One key for one practice across documents.

    >>> practice_key("“兼职委员”制度") == practice_key("兼职委员制")
    True
    """
    key = unicodedata.normalize("NFKC", name or "")
    key = NAME_PUNCTUATION.sub("", key).lower()
    for tail in ("工作法", "工作机制", "机制", "制度", "制"):
        if key.endswith(tail) and len(key) - len(tail) >= 2:
            key = key[: -len(tail)]
            break
    return key


@functools.lru_cache(maxsize=1)
def category_table() -> list[tuple[str, str, str]]:
    """(rule id, category id, keyword) rows: (MC-001, property_management, 物业)."""
    rows = read_table(DATA_DIR / "mechanism_categories.tsv", ("id", "category", "keyword"), unique_ids=True)
    return [(row[0], row[1], row[2]) for row in rows]


@functools.lru_cache(maxsize=1)
def category_ids() -> tuple[str, ...]:
    """Every id ``categorize`` can return: property_management, …, other."""
    return tuple(sorted({category for _, category, _ in category_table()} | {"other"}))


def categorize(name: str, definition: str = "") -> str:
    """Category id from the keyword table, the name before the definition.

    >>> categorize("红色物业"), categorize("四步法", "化解网格内的矛盾"), categorize("洪城红")
    ('property_management', 'grid_governance', 'other')
    """
    table = category_table()
    for source in (name, definition):
        for _, category, keyword in table:
            if keyword and keyword in source:
                return category
    return "other"
