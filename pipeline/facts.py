"""Tagged → [Fact]. (Placeholder signature; being built.)"""
from __future__ import annotations

from .records import Fact
from .settings import Settings
from .tagging import Tagged


def extract_facts(tagged: Tagged, settings: Settings) -> list[Fact]:
    return []
