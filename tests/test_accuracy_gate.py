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
from pipeline.evaluate import evaluate, extraction_rows
from pipeline.ingest import discover, read_document
from pipeline.process import process_document
from pipeline.settings import Settings

from .conftest import GOLD

HERE = Path(__file__).parent
FLOORS = json.loads((HERE / "accuracy_floors.json").read_text(encoding="utf-8"))


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
    check(scores(evaluate(GOLD, texts, facts, mechs)), FLOORS["seeds"])


def test_heldout_scores_hold_their_floors():
    settings = Settings(annotations_dir=HERE / "no-annotations")
    texts, facts, mechs = {}, [], []
    for path in discover([HERE / "heldout" / "articles"]):
        doc = read_document(path, settings)
        texts[doc.source_name] = doc.text
        f, m = extraction_rows(process_document(doc, settings))
        facts += f
        mechs += m
    check(scores(evaluate(HERE / "heldout" / "gold", texts, facts, mechs)), FLOORS["heldout"])


def test_floors_cover_every_score():
    names = set(scores(evaluate(HERE / "heldout" / "gold", {}, [], [])))
    assert set(FLOORS["seeds"]) == names == set(FLOORS["heldout"])
