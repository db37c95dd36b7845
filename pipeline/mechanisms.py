"""Tagged → [Mechanism]. (Placeholder signature; being built.)"""
from __future__ import annotations

from .records import Mechanism
from .settings import Settings
from .tagging import Tagged


def extract_mechanisms(tagged: Tagged, settings: Settings) -> list[Mechanism]:
    return []


def name_spans(tagged: Tagged, settings: Settings) -> list[tuple[int, int]]:
    """Spans of names whose digits are not figures (15分钟党群服务圈, 阳光8号), found or not."""
    return []


def practice_key(name: str) -> str:
    return name


def categorize(name: str, definition: str = "") -> str:
    return "other"
