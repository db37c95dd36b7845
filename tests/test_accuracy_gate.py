"""The eval gate: scores on gold may only go up.

Floors live in ``tests/accuracy_floors.json``. When a change lifts a score, raise its
floor in the same commit; a change that lowers one fails here and must explain itself.
The seed gold is scored on the catalogue the Prefect flow writes; the held-out set
(articles written for this project, see tests/heldout/README.md) through the library.
"""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from pipeline.catalogue import read_rows
from pipeline.evaluate import evaluate, rows_in_memory
from pipeline.settings import Settings

from .conftest import GOLD

HERE = Path(__file__).parent
FLOORS_FILE = HERE / "accuracy_floors.json"


def floors() -> dict:
    return json.loads(FLOORS_FILE.read_text(encoding="utf-8"))


def scores(report) -> dict[str, float]:
    total = report.total()
    out = {"facts.precision": total.facts.precision, "facts.recall": total.facts.recall,
           "mechanisms.precision": total.mechanisms.precision, "mechanisms.recall": total.mechanisms.recall}
    out |= {f"facts.{k}": v.value for k, v in total.fact_fields.items()}
    out |= {f"mechanisms.{k}": v.value for k, v in total.mechanism_fields.items()}
    return out


def check(measured: dict[str, float], floors: dict[str, float]) -> None:
    below = {k: (round(measured[k], 4), floor) for k, floor in floors.items() if measured[k] < floor - 1e-9}
    assert not below, f"scores below their floors (measured, floor): {below}"


@pytest.mark.slow
@pytest.mark.skipif(not GOLD.is_dir(), reason="../shared/gold is not beside the repo")
def test_seed_gold_scores_hold_their_floors(seed_catalogue):
    texts, facts, mechs = read_rows(seed_catalogue)
    check(scores(evaluate(GOLD, texts, facts, mechs)), floors()["seeds"])


def measure(articles: Path, gold: Path) -> dict[str, float]:
    """Scores of an in-memory run of the library over ``articles``."""
    texts, facts, mechs = rows_in_memory(articles, Settings(annotations_dir=HERE / "no-annotations"))
    return scores(evaluate(gold, texts, facts, mechs))


def test_heldout_scores_hold_their_floors():
    check(measure(HERE / "heldout" / "articles", HERE / "heldout" / "gold"), floors()["heldout"])


def test_floors_cover_every_score():
    names = set(scores(evaluate(HERE / "heldout" / "gold", {}, [], [])))
    assert set(floors()["seeds"]) == names == set(floors()["heldout"])


def raise_floors() -> dict:
    """Floors up to today's scores (rounded down to 0.01); never down.

    python -m tests.test_accuracy_gate
    """
    import math

    old = floors() if FLOORS_FILE.exists() else {"seeds": {}, "heldout": {}}
    now = {"seeds": measure(HERE.parent / "corpus", GOLD),
           "heldout": measure(HERE / "heldout" / "articles", HERE / "heldout" / "gold")}
    new = {k: {n: max(old[k].get(n, 0.0), math.floor(v * 100) / 100) for n, v in now[k].items()} for k in now}
    FLOORS_FILE.write_text(json.dumps(new, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    return new


if __name__ == "__main__":
    print(json.dumps(raise_floors(), indent=2))
