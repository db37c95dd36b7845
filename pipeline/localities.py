"""Tagged → Places. (Placeholder signature; being built.)"""
from __future__ import annotations

from dataclasses import dataclass, field

from .records import Locality, PlacedSpan
from .settings import Settings
from .tagging import Tagged


@dataclass
class Places:
    places: list[PlacedSpan] = field(default_factory=list)
    document_locality: Locality | None = None

    def locality_at(self, offset: int) -> Locality | None:
        return self.document_locality


def find_places(tagged: Tagged, settings: Settings) -> Places:
    return Places()
