"""Catalogue vs gold → scores, by the rules at the end of GUIDELINES.md.

Gold files are JSON Lines, one per document (``<source_name>.jsonl``), each object
pinned to the text by ``anchor`` + ``occurrence``. The catalogue side is plain rows
(dicts) so that a SQLite catalogue and an in-memory run are scored the same way.

- A fact is found when a predicted fact in the same document overlaps the gold
  anchor's span and has the gold value; matching is one-to-one. Precision counts only
  predicted facts whose text has an Arabic digit (the gold records only those: 三级 and
  十余个 are neither rewarded nor punished).
- A mechanism is found when a predicted name, quotes and spaces stripped, contains or
  is contained in the gold name; each gold is found at most once per document
  (exact names matched first); predictions matching an optional gold count neither way:
  an optional entry absorbs every prediction that matches it, not only the one it takes.

Beside these strict figures (fields equal to the gold's), the report carries issue 21's
genre figures (``scoring``): the same found facts and mechanisms, their subject and place
judged as a reader of governance news judges them.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable

from .anchors import GoldError, anchor_span, normalise_name, read_records, same_number
from .scoring import (GenreFigures, Pair, absorbed_by_optional, format_genre_table, genre_errors,
                      genre_figures)

ARABIC_DIGIT = re.compile(r"[0-9０-９]")
COUNTED_FACTS = "facts written with Arabic digits only (GUIDELINES.md)"  # what fact precision counts


class NoGoldRecords(GoldError):
    """A gold folder without one fact or mechanism record: nothing to score against."""

    @staticmethod
    def message(gold_dir: str | Path) -> str:
        return (f"no gold records in {gold_dir}: expected <document>.jsonl files of fact and "
                f"mechanism records (GUIDELINES.md)")


def is_gold_record(obj: dict | None) -> bool:
    """A fact or mechanism the text holds; an annotator's rejection says what is wrong, not what is gold."""
    return bool(obj) and obj.get("action") != "reject" and obj.get("type") in ("fact", "mechanism")


def has_gold_records(gold_dir: str | Path) -> bool:
    """At least one fact or mechanism record in ``gold_dir/*.jsonl``, or a line in error
    (which ``load_gold`` reports with its file and line, more use than "no records")."""
    return any(error or is_gold_record(obj) for _, _, obj, error in read_records(gold_dir))


@dataclass
class Gold:
    facts: list[dict]
    mechanisms: list[dict]
    stale: list[str] = field(default_factory=list)  # annotators' records whose anchor is gone


def load_gold(gold_dir: str | Path, texts: dict[str, str]) -> dict[str, Gold]:
    """Gold per document name, each object given its span (``start``, ``end``) in the text.

    Documents whose text is not in ``texts`` (not in the catalogue) are still scored:
    their gold is all missed.
    """
    out: dict[str, Gold] = {}
    for path, lineno, obj, error in read_records(gold_dir):
        if error:
            raise GoldError(f"{path}:{lineno}: {error}")
        if not is_gold_record(obj):
            continue
        doc = obj.get("doc") or path.name[: -len(".jsonl")]
        gold = out.setdefault(doc, Gold([], []))
        text = texts.get(doc)
        if text is not None and obj.get("anchor"):
            try:
                obj["start"], obj["end"] = anchor_span(text, obj["anchor"], int(obj.get("occurrence", 1)))
            except GoldError as exc:
                if "action" not in obj:
                    raise GoldError(f"{path}:{lineno}: {exc}") from exc
                # an annotator's correction the text has outgrown: listed, not fatal
                gold.stale.append(f"{path.name}:{lineno}: {exc}")
                continue
        (gold.facts if obj.get("type") == "fact" else gold.mechanisms).append(obj)
    return out


@dataclass
class Tally:
    found: int = 0
    gold: int = 0
    predicted: int = 0  # counted for precision
    correct_predicted: int = 0

    @property
    def precision(self) -> float:
        return self.correct_predicted / self.predicted if self.predicted else 1.0

    @property
    def recall(self) -> float:
        return self.found / self.gold if self.gold else 1.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    def add(self, other: "Tally") -> None:
        self.found += other.found
        self.gold += other.gold
        self.predicted += other.predicted
        self.correct_predicted += other.correct_predicted


@dataclass
class Accuracy:
    right: int = 0
    total: int = 0

    @property
    def value(self) -> float:
        return self.right / self.total if self.total else 1.0

    def count(self, ok: bool) -> None:
        self.total += 1
        self.right += bool(ok)

    def add(self, other: "Accuracy") -> None:
        self.right += other.right
        self.total += other.total


# the fields whose accuracy is scored on each matched fact or mechanism (the gold scheme's
# record fields are corrections.FACT_RECORD_FIELDS: what a record may set)
SCORED_FACT_FIELDS = ("subject", "unit", "qualifier", "value_max", "time", "change_from", "locality",
                      "locality_district")
SCORED_MECHANISM_FIELDS = ("kind", "definition", "components", "locality", "locality_district")


@dataclass
class DocumentScore:
    doc: str
    facts: Tally = field(default_factory=Tally)
    mechanisms: Tally = field(default_factory=Tally)
    fact_fields: dict[str, Accuracy] = field(
        default_factory=lambda: {f: Accuracy() for f in SCORED_FACT_FIELDS})
    mechanism_fields: dict[str, Accuracy] = field(
        default_factory=lambda: {f: Accuracy() for f in SCORED_MECHANISM_FIELDS})
    missed: list[str] = field(default_factory=list)
    false_positives: list[str] = field(default_factory=list)
    field_errors: list[str] = field(default_factory=list)
    fact_pairs: list[Pair] = field(default_factory=list)  # (gold, predicted) of each found fact
    mechanism_pairs: list[Pair] = field(default_factory=list)  # (gold, predicted) of each found required one
    facts_not_counted: int = 0  # predicted facts without an Arabic digit: outside precision

    def genre(self) -> GenreFigures:
        """Issue 21's figures over this score's found pairs and counts."""
        return genre_figures(self.fact_pairs, self.mechanism_pairs, self.facts, self.mechanisms)

    def genre_errors(self) -> list[str]:
        """What the genre's rules count wrong (subjects, places) among the found pairs."""
        return genre_errors(self.fact_pairs, self.mechanism_pairs)


@dataclass
class Report:
    documents: list[DocumentScore]

    def total(self) -> DocumentScore:
        total = DocumentScore("ALL")
        for d in self.documents:
            total.facts.add(d.facts)
            total.mechanisms.add(d.mechanisms)
            for k, v in d.fact_fields.items():
                total.fact_fields[k].add(v)
            for k, v in d.mechanism_fields.items():
                total.mechanism_fields[k].add(v)
            total.fact_pairs += d.fact_pairs
            total.mechanism_pairs += d.mechanism_pairs
            total.facts_not_counted += d.facts_not_counted
        return total

    def as_dict(self) -> dict:
        def one(d: DocumentScore) -> dict:
            return {
                "doc": d.doc,
                "facts": {"precision": d.facts.precision, "recall": d.facts.recall, "f1": d.facts.f1,
                          "found": d.facts.found, "gold": d.facts.gold, "predicted": d.facts.predicted,
                          "counted": COUNTED_FACTS, "not_counted": d.facts_not_counted},
                "fact_fields": {k: v.value for k, v in d.fact_fields.items()},
                "mechanisms": {"precision": d.mechanisms.precision, "recall": d.mechanisms.recall,
                               "f1": d.mechanisms.f1, "found": d.mechanisms.found, "gold": d.mechanisms.gold,
                               "predicted": d.mechanisms.predicted},
                "mechanism_fields": {k: v.value for k, v in d.mechanism_fields.items()},
                "missed": d.missed, "false_positives": d.false_positives, "field_errors": d.field_errors,
                "genre": d.genre().as_dict(), "genre_errors": d.genre_errors(),
            }
        overall = one(self.total())
        overall["missed"] = overall["false_positives"] = overall["field_errors"] = overall["genre_errors"] = []
        return {"overall": overall, "genre": overall["genre"], "documents": [one(d) for d in self.documents]}


def _district(chain: list[str]) -> list[str]:
    return list(chain or [])[:3]


def _definition_ok(predicted: str, gold: str) -> bool:
    p, g = normalise_name(predicted), normalise_name(gold)
    if not p:
        return False
    if p in g or g in p:
        return True
    # enough of the gold definition covered, allowing a different cut at either end
    common = _longest_common_substring(p, g)
    return common >= 0.6 * len(g)


def _longest_common_substring(a: str, b: str) -> int:
    best = 0
    prev = [0] * (len(b) + 1)
    for ca in a:
        cur = [0] * (len(b) + 1)
        for j, cb in enumerate(b, 1):
            if ca == cb:
                cur[j] = prev[j - 1] + 1
                best = max(best, cur[j])
        prev = cur
    return best


def _components_ok(predicted: list[str], gold: list[str]) -> bool:
    """Same count, and each part matches its gold part in order (one contains the other)."""
    p = [normalise_name(x) for x in predicted or []]
    g = [normalise_name(x) for x in gold]
    return len(p) == len(g) and all(a and (a in b or b in a) for a, b in zip(p, g))


def score_document(doc: str, gold: Gold, facts: list[dict], mechanisms: list[dict]) -> DocumentScore:
    score = DocumentScore(doc)
    _score_facts(score, gold.facts, facts)
    _score_mechanisms(score, gold.mechanisms, mechanisms)
    return score


def _score_facts(score: DocumentScore, gold_facts: list[dict], predicted: list[dict]) -> None:
    score.facts.gold = len(gold_facts)
    counted = [p for p in predicted if ARABIC_DIGIT.search(p.get("text") or "")]
    score.facts.predicted = len(counted)
    score.facts_not_counted = len(predicted) - len(counted)
    taken: set[int] = set()
    for g in sorted(gold_facts, key=lambda g: g.get("start", -1)):
        if "start" not in g:
            score.missed.append(f"fact {g['anchor']}#{g.get('occurrence', 1)} (document not in catalogue)")
            continue
        best = None
        for i, p in enumerate(predicted):
            if i in taken or not (p["start"] < g["end"] and g["start"] < p["end"]):
                continue
            if same_number(p.get("value"), g.get("value")):
                best = i
                break
        if best is None:
            near = [f"{p.get('text')}={p.get('value')}" for p in predicted
                    if p["start"] < g["end"] and g["start"] < p["end"]]
            score.missed.append(f"fact {g['anchor']}#{g.get('occurrence', 1)} value={g['value']}"
                                + (f" (overlapping: {', '.join(near)})" if near else ""))
            continue
        taken.add(best)
        p = predicted[best]
        score.facts.found += 1
        score.fact_pairs.append((g, p))
        if ARABIC_DIGIT.search(p.get("text") or ""):
            score.facts.correct_predicted += 1
        checks = {
            "subject": (p.get("subject") or "") == g.get("subject", ""),
            "unit": (p.get("unit") or "") == g.get("unit", ""),
            "qualifier": (p.get("qualifier") or "") == g.get("qualifier", ""),
            "value_max": same_number(p.get("value_max"), g.get("value_max")),
            "time": (p.get("time") or "") == g.get("time", ""),
            "change_from": same_number(p.get("change_from"), g.get("change_from")),
            "locality": list(p.get("locality") or []) == list(g.get("locality") or []),
            "locality_district": _district(p.get("locality")) == _district(g.get("locality")),
        }
        for name, ok in checks.items():
            score.fact_fields[name].count(ok)
            if not ok:
                want = g.get(name) if name != "locality_district" else _district(g.get("locality"))
                got = p.get(name) if name != "locality_district" else _district(p.get("locality"))
                score.field_errors.append(f"fact {g['anchor']}#{g.get('occurrence', 1)} {name}: got {got!r}, want {want!r}")
    for i, p in enumerate(predicted):
        if i not in taken and ARABIC_DIGIT.search(p.get("text") or ""):
            score.false_positives.append(f"fact {p.get('text')}@{p['start']} value={p.get('value')}")


def _score_mechanisms(score: DocumentScore, gold_mechs: list[dict], predicted: list[dict]) -> None:
    required = [g for g in gold_mechs if not g.get("optional")]
    score.mechanisms.gold = len(required)
    # one prediction per distinct name in a document
    seen: dict[str, dict] = {}
    for p in sorted(predicted, key=lambda p: p.get("start", 0)):
        seen.setdefault(normalise_name(p.get("name", "")), p)
    preds = [(k, p) for k, p in seen.items() if k]
    golds = [(normalise_name(g["name"]), g) for g in gold_mechs]
    pairs: dict[int, int] = {}  # gold index → prediction index
    used: set[int] = set()
    for exact in (True, False):
        for gi, (gname, g) in enumerate(golds):
            if gi in pairs:
                continue
            for pi, (pname, _) in enumerate(preds):
                if pi in used:
                    continue
                if (pname == gname) if exact else (pname in gname or gname in pname):
                    pairs[gi] = pi
                    used.add(pi)
                    break
    for gi, (gname, g) in enumerate(golds):
        if g.get("optional"):
            continue
        if gi not in pairs:
            score.missed.append(f"mechanism {g['name']}")
            continue
        p = preds[pairs[gi]][1]
        score.mechanisms.found += 1
        score.mechanism_pairs.append((g, p))
        fields = score.mechanism_fields
        fields["kind"].count(p.get("kind") == g.get("kind"))
        if p.get("kind") != g.get("kind"):
            score.field_errors.append(f"mechanism {g['name']} kind: got {p.get('kind')!r}, want {g.get('kind')!r}")
        if g.get("definition"):
            ok = _definition_ok(p.get("definition") or "", g["definition"])
            fields["definition"].count(ok)
            if not ok:
                score.field_errors.append(f"mechanism {g['name']} definition: got {p.get('definition')!r}")
        if g.get("components"):
            ok = _components_ok(p.get("components") or [], g["components"])
            fields["components"].count(ok)
            if not ok:
                score.field_errors.append(f"mechanism {g['name']} components: got {p.get('components')!r}")
        fields["locality"].count(list(p.get("locality") or []) == list(g.get("locality") or []))
        fields["locality_district"].count(_district(p.get("locality")) == _district(g.get("locality")))
    optional_hits = {pairs[gi] for gi, (_, g) in enumerate(golds) if g.get("optional") and gi in pairs}
    for pi, (pname, p) in enumerate(preds):
        if pi in optional_hits or (pi not in used and absorbed_by_optional(pname, gold_mechs)):
            continue  # matches an optional entry: neither way
        score.mechanisms.predicted += 1
        if pi in used:
            score.mechanisms.correct_predicted += 1
        else:
            score.false_positives.append(f"mechanism {p.get('name')}")


def evaluate(gold_dir: str | Path, texts: dict[str, str], facts: Iterable[dict], mechanisms: Iterable[dict]) -> Report:
    """Score predicted rows (each with ``doc``) against the gold folder.

    Raises ``NoGoldRecords`` when the folder holds no fact or mechanism record: a report
    over nothing would read as a perfect score.
    """
    gold = load_gold(gold_dir, texts)
    if not gold:
        raise NoGoldRecords(NoGoldRecords.message(gold_dir))
    by_doc_f: dict[str, list[dict]] = {}
    by_doc_m: dict[str, list[dict]] = {}
    for f in facts:
        by_doc_f.setdefault(f["doc"], []).append(f)
    for m in mechanisms:
        by_doc_m.setdefault(m["doc"], []).append(m)
    docs = []
    for d in sorted(gold):
        score = score_document(d, gold[d], by_doc_f.get(d, []), by_doc_m.get(d, []))
        score.missed += [f"stale gold record {s}" for s in gold[d].stale]
        docs.append(score)
    return Report(docs)


def extraction_rows(extraction) -> tuple[list[dict], list[dict]]:
    """An in-memory Extraction as the rows ``evaluate`` reads."""
    doc = extraction.document.source_name
    facts = [{"doc": doc, "start": f.start, "end": f.end, "text": f.text, "value": f.value,
              "value_max": f.value_max, "unit": f.unit, "qualifier": f.qualifier, "subject": f.subject,
              "time": f.time, "change_from": f.change_from,
              "locality": f.locality.chain() if f.locality else []} for f in extraction.facts]
    mechs = [{"doc": doc, "start": m.start, "end": m.end, "name": m.name, "kind": m.kind,
              "definition": m.definition, "components": list(m.components),
              "locality": m.locality.chain() if m.locality else []} for m in extraction.mechanisms]
    return facts, mechs


def rows_in_memory(folder: str | Path, settings=None) -> tuple[dict[str, str], list[dict], list[dict]]:
    """(texts, fact rows, mechanism rows) of the library run over a folder, no catalogue."""
    from .ingest import discover, read_document
    from .process import process_document
    from .settings import Settings

    settings = settings or Settings()
    texts, facts, mechs = {}, [], []
    for path in discover([folder]):
        doc = read_document(path, settings)
        texts[doc.source_name] = doc.text
        f, m = extraction_rows(process_document(doc, settings))
        facts += f
        mechs += m
    return texts, facts, mechs


def format_report(report: Report, details: bool = True) -> str:
    """Per document (with every miss, false positive and wrong field, strict and genre) unless
    ``details`` is off, then the totals: the strict figures and issue 21's genre table."""
    lines = []

    def block(d: DocumentScore) -> None:
        f, m = d.facts, d.mechanisms
        lines.append(f"== {d.doc}")
        lines.append(f"  facts       P {f.precision:.3f}  R {f.recall:.3f}  F1 {f.f1:.3f}  "
                     f"(found {f.found}/{f.gold}, predicted {f.predicted})")
        lines.append("  fact fields " + "  ".join(f"{k} {v.value:.3f}" for k, v in d.fact_fields.items()))
        lines.append(f"  mechanisms  P {m.precision:.3f}  R {m.recall:.3f}  F1 {m.f1:.3f}  "
                     f"(found {m.found}/{m.gold}, predicted {m.predicted})")
        lines.append("  mech fields " + "  ".join(f"{k} {v.value:.3f}" for k, v in d.mechanism_fields.items()))

    if details:
        for d in report.documents:
            block(d)
            for label, items in (("missed", d.missed), ("false positive", d.false_positives),
                                 ("field", d.field_errors), ("genre", d.genre_errors())):
                lines += [f"    {label}: {item}" for item in items]
    total = report.total()
    block(total)
    lines.append(f"  fact precision counts {COUNTED_FACTS}: {total.facts_not_counted} predicted facts "
                 f"without one (三级, 十余个) not counted")
    lines.append(format_genre_table(total.genre(), "== ALL by issue 21's genre rules (subject and place "
                                                   "as a reader judges them; found as above)"))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    """Developer shortcut: score an in-memory run over a folder, no catalogue needed.

    python -m pipeline.evaluate corpus ../shared/gold [--quiet]
    """
    import sys

    args = list(sys.argv[1:] if argv is None else argv)
    quiet = "--quiet" in args
    args = [a for a in args if a != "--quiet"]
    corpus, gold_dir = args[0], args[1]
    texts, facts, mechs = rows_in_memory(corpus)
    try:
        report = evaluate(gold_dir, texts, facts, mechs)
    except NoGoldRecords as exc:
        print(f"error: {exc}", file=sys.stderr)
        sys.exit(2)
    print(format_report(report, details=not quiet))


if __name__ == "__main__":
    main()
