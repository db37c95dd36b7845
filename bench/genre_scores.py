"""Issue 21's table for a gold folder and an in-memory run of a corpus folder, no catalogue.

    python bench/genre_scores.py ../shared/dev/gold ../shared/dev/corpus [--errors] [--json]

Facts and mechanisms are found as ``jingyan eval`` finds them (``pipeline.evaluate``), except
that an optional gold mechanism absorbs every prediction matching it, not one (the issue's rule,
``scoring.absorbed_by_optional``); subject and locality are judged by ``pipeline.scoring``.
``evaluate``'s strict figures are printed beside them. ``--errors`` lists every field the
genre's rules count wrong, and every prediction only the issue's rule absorbs, by document.
"""
from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from pipeline import evaluate as ev  # noqa: E402
from pipeline import scoring  # noqa: E402
from pipeline.anchors import normalise_name, same_number  # noqa: E402


@dataclass
class Matching:
    """One document's found pairs, and its mechanism predictions as the issue counts them."""

    fact_pairs: list = field(default_factory=list)  # (gold, predicted) of found facts
    mechanism_pairs: list = field(default_factory=list)  # (gold, predicted) of found required mechanisms
    mechanisms_predicted: int = 0  # distinct names, less those optional entries absorb
    absorbed_only_here: list[str] = field(default_factory=list)  # absorbed by the rule, not evaluate's


def _fact_pairs(gold_facts: list[dict], predicted: list[dict]) -> list:
    pairs, taken = [], set()
    for g in sorted(gold_facts, key=lambda g: g.get("start", -1)):
        if "start" not in g:
            continue  # the document is not in the run: all missed
        for i, p in enumerate(predicted):
            if i not in taken and p["start"] < g["end"] and g["start"] < p["end"] \
                    and same_number(p.get("value"), g.get("value")):
                taken.add(i)
                pairs.append((g, p))
                break
    return pairs


def matched(gold: ev.Gold, facts: list[dict], mechanisms: list[dict]) -> Matching:
    """The matching of ``evaluate._score_facts`` and ``_score_mechanisms``, step for step (they
    keep their pairs to themselves; ``genre_scores`` checks the counts against theirs)."""
    seen: dict[str, dict] = {}
    for p in sorted(mechanisms, key=lambda p: p.get("start", 0)):
        seen.setdefault(normalise_name(p.get("name", "")), p)
    preds = [(k, p) for k, p in seen.items() if k]
    golds = [(normalise_name(g["name"]), g) for g in gold.mechanisms]
    pairs: dict[int, int] = {}  # gold index → prediction index, exact names first
    used: set[int] = set()
    for exact in (True, False):
        for gi, (gname, _) in enumerate(golds):
            if gi in pairs:
                continue
            for pi, (pname, _) in enumerate(preds):
                if pi in used:
                    continue
                if (pname == gname) if exact else (pname in gname or gname in pname):
                    pairs[gi] = pi
                    used.add(pi)
                    break
    out = Matching(_fact_pairs(gold.facts, facts),
                   [(g, preds[pairs[gi]][1]) for gi, (_, g) in enumerate(golds) if gi in pairs and not g.get("optional")])
    taken_by_optional = {pairs[gi] for gi, (_, g) in enumerate(golds) if g.get("optional") and gi in pairs}
    for pi, (pname, p) in enumerate(preds):
        if pi in taken_by_optional:
            continue
        if pi not in used and scoring.absorbed_by_optional(pname, gold.mechanisms):
            out.absorbed_only_here.append(p.get("name", ""))
            continue
        out.mechanisms_predicted += 1
    return out


def genre_scores(gold_dir: Path, corpus: Path) -> tuple[ev.Report, scoring.GenreFigures, dict[str, list[str]]]:
    """evaluate's report, the issue's figures, and per document what the issue's rules count wrong."""
    texts, facts, mechanisms = ev.rows_in_memory(corpus)
    report = ev.evaluate(gold_dir, texts, facts, mechanisms)
    gold = ev.load_gold(gold_dir, texts)
    fact_pairs, mechanism_pairs, details = [], [], {}
    mechanism_tally = ev.Tally()
    for score in report.documents:
        m = matched(gold[score.doc], [r for r in facts if r["doc"] == score.doc],
                    [r for r in mechanisms if r["doc"] == score.doc])
        if (len(m.fact_pairs), len(m.mechanism_pairs)) != (score.facts.found, score.mechanisms.found) or \
                m.mechanisms_predicted + len(m.absorbed_only_here) != score.mechanisms.predicted:
            raise SystemExit(f"{score.doc}: the counts here differ from evaluate's: its matching changed; follow it")
        fact_pairs += m.fact_pairs
        mechanism_pairs += m.mechanism_pairs
        mechanism_tally.add(ev.Tally(found=score.mechanisms.found, gold=score.mechanisms.gold,
                                     predicted=m.mechanisms_predicted, correct_predicted=score.mechanisms.found))
        details[score.doc] = scoring.genre_errors(m.fact_pairs, m.mechanism_pairs) + [
            f"mechanism {name}: absorbed by an optional entry (a false positive to evaluate)"
            for name in m.absorbed_only_here]
    figures = scoring.genre_figures(fact_pairs, mechanism_pairs, report.total().facts, mechanism_tally)
    return report, figures, details


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("gold", type=Path)
    parser.add_argument("corpus", type=Path)
    parser.add_argument("--errors", action="store_true", help="list what the issue's rules count wrong")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    report, figures, details = genre_scores(args.gold, args.corpus)
    total = report.total()
    strict = {"facts P / R": f"{total.facts.precision:.3f} / {total.facts.recall:.3f}",
              "mechanisms P / R": f"{total.mechanisms.precision:.3f} / {total.mechanisms.recall:.3f}",
              **{f"fact {k}": f"{total.fact_fields[k].value:.3f}" for k in ("subject", "locality", "locality_district")},
              **{f"mechanism {k}": f"{total.mechanism_fields[k].value:.3f}" for k in ("locality", "locality_district")}}
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
