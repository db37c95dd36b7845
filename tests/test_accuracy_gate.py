"""The eval gate: scores on gold may only go up.

Floors live in ``tests/accuracy_floors.json``, one table per gold set; each holds the strict
figures (``facts.subject``: the gold's string exactly) and issue 21's genre figures
(``genre.fact_subject``: as a reader judges it), both from ``pipeline.evaluate``. When a
change lifts a score, raise its floor in the same commit (``python -m tests.test_accuracy_gate``
raises every floor to today's score, never lowers one); a change that lowers one fails here
and must explain itself.

- ``seeds``: the five articles of ``corpus/`` against ``../shared/gold``, scored on the
  catalogue the Prefect flow writes (so the catalogue's round trip is held too);
- ``dev``: twenty real published articles, ``../shared/dev/corpus`` against
  ``../shared/dev/gold`` (issue 21), through the library in memory;
- ``heldout``: articles written for this project (tests/heldout/README.md), in memory.

``../shared`` lies beside the repository in CI: there these tests never skip, they fail.
Each corpus is run once per session, whatever the number of tests that read it.
"""
from __future__ import annotations

import json
import math
import os
from pathlib import Path

import pytest

from pipeline.catalogue import read_rows
from pipeline.evaluate import evaluate, rows_in_memory
from pipeline.settings import Settings

from .conftest import CORPUS, GOLD

HERE = Path(__file__).parent
FLOORS_FILE = HERE / "accuracy_floors.json"
DEV = HERE.parent.parent / "shared" / "dev"
HELDOUT = HERE / "heldout"
# (articles, gold) scored in memory; the seeds' floors are held on the flow's catalogue below
IN_MEMORY = {"seeds": (CORPUS, GOLD), "dev": (DEV / "corpus", DEV / "gold"),
             "heldout": (HELDOUT / "articles", HELDOUT / "gold")}
GENRE_FIGURES = ("facts_f1", "fact_subject", "fact_locality_exact", "fact_locality_district",
                 "mechanisms_precision", "mechanisms_recall", "mechanism_locality_exact")


def needs_shared(folder: Path):
    """Skip where ../shared is not beside the repository, except in CI, where it must be."""
    return pytest.mark.skipif(not folder.is_dir() and not os.environ.get("CI"),
                              reason=f"{folder} is not beside the repository")


def floors() -> dict:
    return json.loads(FLOORS_FILE.read_text(encoding="utf-8"))


def scores(report) -> dict[str, float]:
    """Every figure the gate holds: strict (``facts.*``, ``mechanisms.*``) and genre (``genre.*``)."""
    total = report.total()
    out = {"facts.precision": total.facts.precision, "facts.recall": total.facts.recall,
           "mechanisms.precision": total.mechanisms.precision, "mechanisms.recall": total.mechanisms.recall}
    out |= {f"facts.{k}": v.value for k, v in total.fact_fields.items()}
    out |= {f"mechanisms.{k}": v.value for k, v in total.mechanism_fields.items()}
    genre = total.genre()
    out |= {f"genre.{k}": getattr(genre, k) for k in GENRE_FIGURES}
    return out


def check(measured: dict[str, float], floors: dict[str, float]) -> None:
    below = {k: (round(measured[k], 4), floor) for k, floor in floors.items() if measured[k] < floor - 1e-9}
    assert not below, f"scores below their floors (measured, floor): {below}"


def measure(articles: Path, gold: Path) -> dict[str, float]:
    """Scores of an in-memory run of the library over ``articles`` (no annotators' corrections)."""
    texts, facts, mechs = rows_in_memory(articles, Settings(annotations_dir=HERE / "no-annotations"))
    return scores(evaluate(gold, texts, facts, mechs))


@pytest.fixture(scope="session")
def dev_scores() -> dict[str, float]:
    return measure(*IN_MEMORY["dev"])


@pytest.fixture(scope="session")
def heldout_scores() -> dict[str, float]:
    return measure(*IN_MEMORY["heldout"])


@pytest.mark.slow
@needs_shared(GOLD)
def test_seed_gold_scores_hold_their_floors(seed_catalogue):
    texts, facts, mechs = read_rows(seed_catalogue)
    check(scores(evaluate(GOLD, texts, facts, mechs)), floors()["seeds"])


@needs_shared(DEV)
@pytest.mark.parametrize("kind", ["strict", "genre"])
def test_dev_scores_hold_their_floors(dev_scores, kind):
    """Issue 21's dev set, by GUIDELINES.md's strict rules and by the genre's (one run for both)."""
    held = {k: v for k, v in floors()["dev"].items() if k.startswith("genre.") == (kind == "genre")}
    assert held, f"no {kind} floors for the dev set"
    check(dev_scores, held)


@pytest.mark.parametrize("kind", ["strict", "genre"])
def test_heldout_scores_hold_their_floors(heldout_scores, kind):
    held = {k: v for k, v in floors()["heldout"].items() if k.startswith("genre.") == (kind == "genre")}
    check(heldout_scores, held)


def test_floors_cover_every_score():
    names = set(scores(evaluate(HELDOUT / "gold", {}, [], [])))
    assert {k: set(v) for k, v in floors().items()} == {k: names for k in IN_MEMORY}


def raise_floors() -> dict:
    """Floors up to today's scores (rounded down to 0.01); never down.

    python -m tests.test_accuracy_gate
    """
    old = floors() if FLOORS_FILE.exists() else {}
    now = {name: measure(*folders) for name, folders in IN_MEMORY.items()}
    new = {k: {n: max(old.get(k, {}).get(n, 0.0), math.floor(v * 100 + 1e-9) / 100) for n, v in now[k].items()}
           for k in now}
    FLOORS_FILE.write_text(json.dumps(new, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    return new


if __name__ == "__main__":
    print(json.dumps(raise_floors(), indent=2))
