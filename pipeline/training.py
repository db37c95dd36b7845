"""The confidence scorer's training and its honest measurement (leave one article out).

Training examples are the candidates of every article of the gold sets (seeds and dev):

- every fact and practice the pipeline extracts, labelled right when ``evaluate`` matches it
  to a gold record (a fact: the gold's span and value; a practice: the gold's name, exact or
  contained, or an optional gold name), and counted only where the gold counts (facts with an
  Arabic digit);
- every practice candidate the rules rejected (``mechanism_rejection`` gives its rule id),
  right when its name is a gold name: what the scorer could win back;
- annotators' corrections (``annotations/``) on those articles overrule the gold's label: a
  rejected row is wrong, an accepted or edited one right.

Each article's features are computed once (tagging is the cost); a model is a logistic
regression per record type (scikit-learn, lbfgs, fixed C: no randomness), its weights rounded
into ``data/confidence_model.json`` so that training twice writes the same bytes.

``leave_one_article_out`` trains on all articles but one, scores that one, and sums the
figures over all: rules alone against rules with the scorer deciding, and the calibration of
the confidences (Brier score against the base rate, a reliability table).
"""
from __future__ import annotations

import hashlib
import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable

from .anchors import GoldError, anchor_span, normalise_name, read_records
from .confidence import (N_FEATURES, RECORD_TYPES, SPEC_VERSION, DocumentView, fact_features, hashed,
                         mechanism_features, model_as_json)
from .evaluate import ARABIC_DIGIT, Gold, Report, extraction_rows, load_gold, score_document
from .scoring import absorbed_by_optional
from .settings import Settings

DEFAULT_SETS = ((Path("corpus"), Path("../shared/gold")),
                (Path("../shared/dev/corpus"), Path("../shared/dev/gold")))
C = 1.0  # inverse L2 strength of the logistic regressions
DECIDE_AT = 0.5  # rules + scorer: a kept row below this is dropped, a rejected candidate at or above it kept
RELIABILITY_BINS = 5


class TrainingError(ValueError):
    """Nothing to train on, or an input that cannot be read: one line naming it."""


@dataclass
class Example:
    record_type: str  # fact, mechanism
    slots: list[int]
    label: int
    row: dict  # the row evaluate reads (for the measurement)
    kept: bool  # extracted by the rules (False: a candidate the rules rejected)
    counted: bool = True  # within what the gold judges (facts: an Arabic digit)


@dataclass
class Article:
    name: str
    text_sha256: str
    gold: Gold
    facts: list[dict]
    mechanisms: list[dict]
    examples: list[Example] = field(default_factory=list)


# ---------------------------------------------------------------- examples

def read_articles(sets: Iterable[tuple[Path, Path]], annotations_dir: Path | None, settings: Settings,
                  progress: Callable[[str], None] = lambda _: None) -> list[Article]:
    """Every article of each (corpus, gold) set that has gold or corrections, with its examples."""
    from .ingest import discover, read_document
    from .process import extract
    from .tagging import tag

    corrections = _corrections(annotations_dir)
    articles = []
    for corpus, gold_dir in sets:
        if not Path(corpus).is_dir() or not Path(gold_dir).is_dir():
            raise TrainingError(f"{corpus if not Path(corpus).is_dir() else gold_dir}: no such folder "
                                f"(training reads each --articles CORPUS GOLD pair)")
        documents = [read_document(p, settings) for p in discover([corpus])]
        texts = {d.source_name: d.text for d in documents}
        try:
            gold = load_gold(gold_dir, texts)
        except GoldError as exc:
            raise TrainingError(str(exc)) from None
        for document in sorted(documents, key=lambda d: d.source_name):
            name = document.source_name
            if name not in gold and name not in corrections:
                continue
            progress(name)
            tagged = tag(document, settings)
            extraction = extract(tagged, settings)
            facts, mechs = extraction_rows(extraction)
            article = Article(name, document.sha256, gold.get(name, Gold([], [])), facts, mechs)
            article.examples = _examples(article, tagged, extraction, settings)
            _apply_corrections(article, document.text, corrections.get(name, []))
            articles.append(article)
    if not articles:
        raise TrainingError("no article with gold records or corrections to train on")
    return articles


def _examples(article: Article, tagged, extraction, settings: Settings) -> list[Example]:
    from .mechanism_rules import load_rules

    rules = load_rules(settings.data_dir)
    view = DocumentView.of(tagged, rules)
    score = score_document(article.name, article.gold, article.facts, article.mechanisms)
    right = {id(p) for _, p in score.fact_pairs + score.mechanism_pairs}
    out = []
    for f, row in zip(extraction.facts, article.facts):
        out.append(Example("fact", hashed(fact_features(view, f)), int(id(row) in right), row, True,
                           bool(ARABIC_DIGIT.search(row["text"]))))
    for m, row in zip(extraction.mechanisms, article.mechanisms):
        label = id(row) in right or absorbed_by_optional(m.name, article.gold.mechanisms)
        out.append(Example("mechanism", hashed(mechanism_features(
            view, m.start, m.end, m.name, m.kind, m.rule, "", m.definition, len(m.components))), int(label), row, True))
    gold_names = [normalise_name(g["name"]) for g in article.gold.mechanisms]
    for start, end, name, kind, rule, verdict in rejected_candidates(tagged, extraction.mechanisms, settings):
        key = normalise_name(name)
        label = any(g and (g in key or key in g) for g in gold_names)
        row = {"doc": article.name, "start": start, "end": end, "name": name, "kind": kind,
               "definition": "", "components": [], "locality": []}
        out.append(Example("mechanism", hashed(mechanism_features(view, start, end, name, kind, rule, verdict)),
                           int(label), row, False))
    return out


def rejected_candidates(tagged, kept, settings: Settings) -> list[tuple[int, int, str, str, str, str]]:
    """(start, end, name, kind, rule, rejection rule id) of each practice candidate the rules
    rejected, first mention per name, none of a kept practice's name."""
    from .mechanism_candidates import find_candidates
    from .mechanism_kinds import kind_of
    from .mechanism_rejection import reject_reason, user_words
    from .mechanism_rules import load_rules
    from .mechanisms import surface
    from .practices import practice_key

    rules = load_rules(settings.data_dir)
    user = user_words(tuple(settings.dictionaries))
    ntext, text = tagged.norm_text, tagged.document.text
    tokens = [t for s in tagged.sentences for t in s.tokens]
    seen = {practice_key(m.name) for m in kept}
    out = []
    for c, _ in find_candidates(ntext, tagged.sentences, rules):
        key = practice_key(c.name)
        if key in seen:
            continue
        verdict = reject_reason(c, ntext, tokens, rules, user)
        if not verdict:
            continue  # accepted, then merged into or nested in a kept practice
        seen.add(key)
        out.append((c.start, c.end, surface(text, c.start, c.end), kind_of(c.name, rules.kinds)[0], c.rule, verdict))
    return out


def _corrections(annotations_dir: Path | None) -> dict[str, list[dict]]:
    """Annotators' corrections by document, in file order (a later one on a target wins)."""
    out: dict[str, list[dict]] = {}
    if annotations_dir is None:
        return out
    for path, lineno, obj, error in read_records(annotations_dir):
        if error:
            raise TrainingError(f"{path}:{lineno}: {error}")
        if obj.get("type") in RECORD_TYPES and obj.get("anchor") and obj.get("action"):
            out.setdefault(obj.get("doc") or path.name[:-len(".jsonl")], []).append(obj)
    return out


def _apply_corrections(article: Article, text: str, records: list[dict]) -> None:
    """An annotator's verdict is the label of the examples it targets: a reject 0, else 1."""
    for rec in records:
        try:
            start, end = anchor_span(text, rec["anchor"], int(rec.get("occurrence", 1) or 1))
        except GoldError:
            continue  # a correction the text has outgrown teaches nothing
        name = normalise_name(rec.get("name") or "")
        for ex in article.examples:
            if ex.record_type != rec["type"]:
                continue
            overlaps = ex.row["start"] < end and start < ex.row["end"]
            same_name = rec["type"] == "mechanism" and name and normalise_name(ex.row["name"]) == name
            if overlaps or same_name:
                ex.label = 0 if rec["action"] == "reject" else 1
                ex.counted = True


# ---------------------------------------------------------------- fitting

@dataclass
class Fitted:
    """A logistic model as weights by slot and an intercept."""

    weights: dict[int, float]
    intercept: float

    def probability(self, slots: list[int]) -> float:
        z = self.intercept + sum(self.weights.get(i, 0.0) for i in slots)
        return 1.0 / (1.0 + math.exp(-z))


def fit(examples: list[Example]) -> Fitted:
    """A logistic regression over the examples' slots (binary features); one class only: its rate."""
    import numpy as np
    from scipy.sparse import csr_matrix
    from sklearn.linear_model import LogisticRegression

    labels = [e.label for e in examples]
    if len(set(labels)) < 2:
        rate = (sum(labels) + 1) / (len(labels) + 2)
        return Fitted({}, math.log(rate / (1 - rate)))
    indptr, indices = [0], []
    for e in examples:
        indices += e.slots
        indptr.append(len(indices))
    X = csr_matrix((np.ones(len(indices)), indices, indptr), shape=(len(examples), N_FEATURES))
    model = LogisticRegression(C=C, solver="lbfgs", max_iter=1000)
    model.fit(X, labels)
    used = sorted(set(indices))
    coef = model.coef_[0]
    return Fitted({i: float(coef[i]) for i in used}, float(model.intercept_[0]))


def trainable(examples: Iterable[Example], record_type: str) -> list[Example]:
    return [e for e in examples if e.record_type == record_type and e.counted]


def fingerprint(articles: list[Article], annotations_dir: Path | None) -> str:
    """What the model was trained from: each article's text hash and gold, the corrections, the
    feature version and the learner (no text)."""
    import sklearn

    h = hashlib.sha256(f"spec {SPEC_VERSION} C {C} sklearn {sklearn.__version__.rsplit('.', 1)[0]}".encode())
    for a in articles:
        h.update(f"\n{a.name} {a.text_sha256} ".encode())
        h.update(json.dumps([a.gold.facts, a.gold.mechanisms], sort_keys=True, ensure_ascii=False).encode())
    for _, lineno, obj, _ in read_records(annotations_dir) if annotations_dir else ():
        h.update(json.dumps(obj, sort_keys=True, ensure_ascii=False).encode())
    return h.hexdigest()[:16]


def train(sets: Iterable[tuple[Path, Path]] = DEFAULT_SETS, annotations_dir: Path | None = Path("annotations"),
          out: Path | None = None, settings: Settings | None = None,
          progress: Callable[[str], None] = lambda _: None) -> dict:
    """Train on every article of ``sets`` (and the corrections) and write the model file.

    Returns a summary: articles, examples per type, positives, the file and its fingerprint."""
    settings = settings or Settings()
    out = out or settings.confidence_model  # the shipped model by default
    articles = read_articles(sets, annotations_dir, settings, progress)
    examples = [e for a in articles for e in a.examples]
    models = {t: fit(trainable(examples, t)) for t in RECORD_TYPES}
    counts = {t: {"examples": len(trainable(examples, t)),
                  "right": sum(e.label for e in trainable(examples, t))} for t in RECORD_TYPES}
    stamp = fingerprint(articles, annotations_dir)
    text = model_as_json({t: m.weights for t, m in models.items()}, {t: m.intercept for t, m in models.items()},
                         stamp, {"articles": len(articles), **counts})
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text, encoding="utf-8")
    return {"model": str(out), "fingerprint": stamp, "articles": len(articles), **counts}


# ---------------------------------------------------------------- leave one article out

@dataclass
class Held:
    """One article's examples with the probability a model trained without it gives each."""

    article: Article
    scored: list[tuple[Example, float]]
    base_rate: dict[tuple[str, bool], float]  # the training folds' rate of right rows, by (type, kept)


def leave_one_article_out(articles: list[Article]) -> list[Held]:
    out = []
    for i, article in enumerate(articles):
        rest = [e for j, a in enumerate(articles) if j != i for e in a.examples]
        models = {t: fit(trainable(rest, t)) for t in RECORD_TYPES}
        rates = {(t, kept): _rate([e for e in trainable(rest, t) if e.kept == kept])
                 for t in RECORD_TYPES for kept in (True, False)}
        out.append(Held(article, [(e, models[e.record_type].probability(e.slots)) for e in article.examples], rates))
    return out


def _rate(examples: list[Example]) -> float:
    return sum(e.label for e in examples) / max(1, len(examples))


def decided_report(held: list[Held], drop_below: float | None, add_from: float | None,
                   drop_facts_below: float | None = None) -> Report:
    """The evaluate report when the scorer decides: kept rows below ``drop_below`` dropped,
    rejected candidates from ``add_from`` kept (None: that decision not taken)."""
    docs = []
    for h in held:
        facts = [e.row for e, p in h.scored if e.record_type == "fact"
                 and (drop_facts_below is None or p >= drop_facts_below)]
        mechs = [e.row for e, p in h.scored if e.record_type == "mechanism" and (
            (e.kept and (drop_below is None or p >= drop_below))
            or (not e.kept and add_from is not None and p >= add_from))]
        docs.append(score_document(h.article.name, h.article.gold, facts, mechs))
    return Report(docs)


def calibration(held: list[Held], record_type: str, kept: bool = True) -> dict:
    """Brier score of the held-out probabilities against the training folds' base rate, and the
    reliability table (bins of predicted probability: count, mean predicted, rate right)."""
    pairs = [(p, e.label, h.base_rate[record_type, kept]) for h in held for e, p in h.scored
             if e.record_type == record_type and e.kept == kept and e.counted]
    n = len(pairs)
    if not n:
        return {"n": 0}
    brier = sum((p - y) ** 2 for p, y, _ in pairs) / n
    base = sum((r - y) ** 2 for _, y, r in pairs) / n
    bins = []
    for b in range(RELIABILITY_BINS):
        lo, hi = b / RELIABILITY_BINS, (b + 1) / RELIABILITY_BINS
        inside = [(p, y) for p, y, _ in pairs if lo <= p < hi or (b == RELIABILITY_BINS - 1 and p == 1.0)]
        if inside:
            bins.append({"bin": f"{lo:.1f}–{hi:.1f}", "n": len(inside),
                         "predicted": sum(p for p, _ in inside) / len(inside),
                         "right": sum(y for _, y in inside) / len(inside)})
    return {"n": n, "right": sum(y for _, y, _ in pairs), "brier": brier, "brier_base_rate": base, "bins": bins}


POLICIES = (("rules alone", None, None, None),
            (f"rules + scorer: drop kept < {DECIDE_AT}, add rejected ≥ {DECIDE_AT}", DECIDE_AT, DECIDE_AT, None),
            (f"rules + scorer: drop kept < {DECIDE_AT} only", DECIDE_AT, None, None),
            (f"rules + scorer: add rejected ≥ {DECIDE_AT} only", None, DECIDE_AT, None),
            (f"rules + scorer: also drop facts < {DECIDE_AT}", DECIDE_AT, DECIDE_AT, DECIDE_AT))


def loao_figures(articles: list[Article]) -> dict:
    """Every figure of the leave-one-article-out measurement, as plain data."""
    held = leave_one_article_out(articles)
    rows = []
    for label, drop, add, drop_f in POLICIES:
        t = decided_report(held, drop, add, drop_f).total()
        g = t.genre()
        rows.append({"policy": label, "mech_p": t.mechanisms.precision, "mech_r": t.mechanisms.recall,
                     "mech_f1": t.mechanisms.f1, "mech_found": t.mechanisms.found, "mech_gold": t.mechanisms.gold,
                     "mech_predicted": t.mechanisms.predicted, "fact_p": t.facts.precision,
                     "fact_r": t.facts.recall, "subject": t.fact_fields["subject"].value,
                     "subject_genre": g.fact_subject})
    return {"articles": len(articles), "policies": rows,
            "calibration": {"facts": calibration(held, "fact"), "mechanisms": calibration(held, "mechanism"),
                            "rejected mechanism candidates": calibration(held, "mechanism", kept=False)}}


def format_loao(figures: dict) -> str:
    """The figures as the Markdown tables docs/confidence.md shows."""
    lines = [f"Leave one article out over {figures['articles']} articles (seeds + dev): each article scored "
             f"by a scorer trained on the other {figures['articles'] - 1}.", "",
             "| policy | mech P | mech R | mech F1 | found/gold (predicted) | fact P | fact R | subject strict | subject genre |",
             "|---|---|---|---|---|---|---|---|---|"]
    for r in figures["policies"]:
        lines.append(f"| {r['policy']} | {r['mech_p']:.3f} | {r['mech_r']:.3f} | {r['mech_f1']:.3f} | "
                     f"{r['mech_found']}/{r['mech_gold']} ({r['mech_predicted']}) | {r['fact_p']:.3f} | "
                     f"{r['fact_r']:.3f} | {r['subject']:.3f} | {r['subject_genre']:.3f} |")
    for name, c in figures["calibration"].items():
        lines += ["", f"Calibration, {name}: {c['n']} held-out rows"
                  + (f", {c['right']} right; Brier {c['brier']:.4f} against {c['brier_base_rate']:.4f} "
                     f"for the constant base rate" if c["n"] else ""), ""]
        if c["n"]:
            lines += ["| predicted | rows | mean predicted | rate right |", "|---|---|---|---|"]
            lines += [f"| {b['bin']} | {b['n']} | {b['predicted']:.3f} | {b['right']:.3f} |" for b in c["bins"]]
    return "\n".join(lines)


def loao(sets: Iterable[tuple[Path, Path]] = DEFAULT_SETS, annotations_dir: Path | None = Path("annotations"),
         settings: Settings | None = None, progress: Callable[[str], None] = lambda _: None) -> str:
    """The leave-one-article-out report (Markdown) over ``sets``."""
    articles = read_articles(sets, annotations_dir, settings or Settings(), progress)
    return format_loao(loao_figures(articles))


def main(argv: list[str] | None = None) -> None:
    """python -m pipeline.training [--loao]: train the shipped scorer, or print the LOAO figures."""
    import sys

    args = list(sys.argv[1:] if argv is None else argv)
    if "--loao" in args:
        print(loao())
    else:
        print(json.dumps(train(), ensure_ascii=False))


if __name__ == "__main__":
    main()
