"""Issue 21's table for a gold folder and an in-memory run of a corpus folder, no catalogue.

    python bench/genre_scores.py ../shared/dev/gold ../shared/dev/corpus [--errors] [--json]

The figures are ``pipeline.evaluate``'s (``jingyan eval`` and ``python -m pipeline.evaluate``
print the same table after their strict totals): facts and mechanisms found as GUIDELINES.md
says, subject and locality judged by ``pipeline.scoring``. This script only prints them with
evaluate's strict figures on one line, and with ``--errors`` every field the genre's rules
count wrong, by document.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from pipeline import evaluate as ev  # noqa: E402
from pipeline import scoring  # noqa: E402


def genre_scores(gold_dir: Path, corpus: Path) -> tuple[ev.Report, scoring.GenreFigures, dict[str, list[str]]]:
    """evaluate's report, the issue's figures, and per document what the issue's rules count wrong."""
    texts, facts, mechanisms = ev.rows_in_memory(corpus)
    report = ev.evaluate(gold_dir, texts, facts, mechanisms)
    return report, report.total().genre(), {d.doc: d.genre_errors() for d in report.documents}


def strict_figures(total: ev.DocumentScore) -> dict[str, str]:
    return {"facts P / R": f"{total.facts.precision:.3f} / {total.facts.recall:.3f}",
            "mechanisms P / R": f"{total.mechanisms.precision:.3f} / {total.mechanisms.recall:.3f}",
            **{f"fact {k}": f"{total.fact_fields[k].value:.3f}" for k in ("subject", "locality", "locality_district")},
            **{f"mechanism {k}": f"{total.mechanism_fields[k].value:.3f}" for k in ("locality", "locality_district")}}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("gold", type=Path)
    parser.add_argument("corpus", type=Path)
    parser.add_argument("--errors", action="store_true", help="list what the issue's rules count wrong")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    report, figures, details = genre_scores(args.gold, args.corpus)
    strict = strict_figures(report.total())
    if args.json:
        print(json.dumps({"genre": figures.as_dict(), "strict": strict, "details": details if args.errors else {}},
                         ensure_ascii=False, indent=1))
        return 0
    print(scoring.format_genre_table(figures, f"issue 21 scoring: {args.gold} ← {args.corpus}"))
    print("strict (jingyan eval): " + ", ".join(f"{k} {v}" for k, v in strict.items()))
    if args.errors:
        for doc, items in details.items():
            for item in items:
                print(f"  {doc}: {item}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
