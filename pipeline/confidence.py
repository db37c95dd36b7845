"""How likely an extraction is right: features of a fact or a practice in its sentence, and the
trained scorer that turns them into a probability (``Fact.confidence``, ``Mechanism.confidence``).

A candidate is described by short feature strings — the rule ids that made it, its kind, its
quotes, the last characters of its name (its head: …制度, …工作法), the words right before and
after it, which cue lexicon of ``mechanism_rules.json`` those words belong to (build verbs,
metaphor cues, problem nouns), its length, its digits, whether it stands in a heading — and
each string is hashed into one of ``N_FEATURES`` slots (CRC-32, the same on every machine).
The model file (``data/confidence_model.json``, written by ``pipeline.training``) holds one
weight per slot seen in training and an intercept per record type: numbers only, no text of
the articles it learnt from. A document's records are scored together, one array sum each.

The model is read once per process per file (``load_scorer``, cached by path and
modification time, like the rule tables by folder); a missing file, or one written for another
``SPEC_VERSION`` of these features, is one ``ScorerError`` line saying what to run.
"""
from __future__ import annotations

import bisect
import functools
import json
import math
import re
import zlib
from dataclasses import dataclass
from itertools import chain
from pathlib import Path
from typing import Iterable, Sequence

import numpy as np

from .mechanism_rules import MechanismRules, any_of
from .records import TOKEN_END, TOKEN_START, Fact, Mechanism, Sentence
from .rules import RuleError

# bump when a feature below changes meaning: a model trained on the old features is then stale
SPEC_VERSION = 1
N_FEATURES = 1 << 14
RECORD_TYPES = ("fact", "mechanism")
QUOTES_OPEN, QUOTES_CLOSE = "“「『\"", "”」』\""
SENTENCE_ENDS = "。！？!?；;…"
ARABIC = re.compile(r"[0-9０-９]")
# the cue lexicons of mechanism_rules.json whose words, right before or after a name, say
# something about it: (side, rule, field)
CUE_LEXICONS = (("left", "metaphor_frame", "build_verbs"), ("left", "definition", "lead_verbs"),
                ("left", "left_cues", "words"), ("left", "left_closing", "words"),
                ("right", "right_cues", "words"), ("right", "problem_after", "nouns"),
                ("right", "date_after", "words"), ("right", "generic_kind", "categories"))
CUE_WINDOW = 6  # characters either side searched for a cue word


class ScorerError(RuleError):
    """The confidence model cannot be used: missing, unreadable, or trained for other features."""


# ---------------------------------------------------------------- features

@dataclass(frozen=True)
class DocumentView:
    """What the features read of one document: its folded text, sentences and title."""

    norm_text: str
    sentences: Sequence[Sentence]
    title: str
    cues: tuple[tuple[str, str, tuple[str, ...]], ...]  # (side, lexicon name, words)

    @classmethod
    def of(cls, tagged, rules: MechanismRules) -> "DocumentView":
        return cls(tagged.norm_text or tagged.document.text, tagged.sentences, tagged.document.title,
                   cue_lexicons(rules))

    @functools.cached_property
    def _starts(self) -> list[int]:  # once per document: a list per row made a long one quadratic
        return [s.start for s in self.sentences]

    @functools.cached_property
    def _cue_tests(self) -> tuple[tuple[bool, str, re.Pattern], ...]:
        """(left side?, feature, any of the words) per lexicon: one search of the window per
        lexicon instead of a test per word (2.8 million ``in`` tests over 200 documents)."""
        return tuple((side == "left", f"cue:{side}:{name}", _lexicon_pattern(tuple(words)))
                     for side, name, words in self.cues)

    @functools.cached_property
    def _mentions(self) -> dict[str, int]:
        return {}

    def mentions(self, name: str) -> int:
        """How often ``name`` stands in the text, counted once per document and name: a
        document names a practice many times, and each count reads the whole text."""
        count = self._mentions.get(name)
        if count is None:
            count = self._mentions[name] = self.norm_text.count(name)
        return count

    def sentence_at(self, pos: int) -> Sentence | None:
        i = bisect.bisect_right(self._starts, pos) - 1
        return self.sentences[i] if i >= 0 and pos < self.sentences[i].end else None

    def context(self, start: int, end: int) -> list[str]:
        """Features of where a span stands: the words and characters beside it, the cue
        lexicons those words are in, quotes, heading."""
        text, out = self.norm_text, []
        before, after = text[max(0, start - CUE_WINDOW):start], text[end:end + CUE_WINDOW]
        out += [f"c1<{before[-1:]}", f"c2<{before[-2:]}", f"c1>{after[:1]}", f"c2>{after[:2]}"]
        sent = self.sentence_at(start)
        if sent is not None:
            # tokens are in text order: the last ending by the span, the first starting after it
            tokens = sent.tokens
            k = bisect.bisect_right(tokens, start, key=TOKEN_END)
            n = bisect.bisect_left(tokens, end, key=TOKEN_START)
            out += [f"w<{tokens[k - 1].text if k else '^'}", f"w>{tokens[n].text if n < len(tokens) else '$'}"]
            body = sent.text.rstrip()
            if body and body[-1] not in SENTENCE_ENDS and len(body) < 50:
                out.append("heading")
            if start - sent.start < 3:
                out.append("sentence_first")
        for left, feature, words in self._cue_tests:
            if words.search(before if left else after):
                out.append(feature)
        if before[-1:] and before[-1] in QUOTES_OPEN:
            out.append("quote<")
        if after[:1] and after[0] in QUOTES_CLOSE:
            out.append("quote>")
        return out


# a lexicon's pattern, made once per process (a DocumentView is made per document): the
# rules' own ``any_of``, cached for the lexicons of a rules folder or two
_lexicon_pattern = functools.lru_cache(maxsize=2 * len(CUE_LEXICONS))(any_of)


def cue_lexicons(rules: MechanismRules) -> tuple[tuple[str, str, tuple[str, ...]], ...]:
    """The words of each lexicon in ``CUE_LEXICONS``, read from the loaded rules."""
    return tuple((side, f"{rule}.{field}", tuple(getattr(getattr(rules, rule), field)))
                 for side, rule, field in CUE_LEXICONS)


def _length(n: int) -> str:
    return f"len:{n if n <= 6 else 'mid' if n <= 12 else 'long'}"


def name_features(name: str) -> list[str]:
    """What a name's letters say: its head (last characters), first character, length, digits.

    >>> name_features("兼职委员制度")[:4]
    ['h1:度', 'h2:制度', 'h3:员制度', 'f1:兼']
    """
    out = [f"h1:{name[-1:]}", f"h2:{name[-2:]}", f"h3:{name[-3:]}", f"f1:{name[:1]}", _length(len(name))]
    if ARABIC.search(name):
        out.append("digits")
    if "+" in name or "＋" in name:
        out.append("plus")
    if re.search("[一二三四五六七八九十两百]", name):
        out.append("numeral")
    return out


def mechanism_features(view: DocumentView, start: int, end: int, name: str, kind: str, rule: str,
                       verdict: str = "", definition: str = "", components: int = 0) -> list[str]:
    """Features of a practice name (or a rejected candidate: ``verdict`` its rejection rule id).

    ``rule`` is the rule ids joined by + (MQ-QUOTED+SUFFIX+MD-…); each counts alone.
    """
    out = ["bias:mechanism", f"kind:{kind}", f"why:{verdict.split('-')[0] + '-' if verdict else 'kept'}",
           f"why_id:{verdict}"]
    out += [f"rule:{r}" for r in rule.split("+") if r]
    out += name_features(name)
    out += view.context(start, end)
    mentions = view.mentions(name) if name else 0
    out.append(f"mentions:{min(mentions, 3)}")
    if name and name in view.title:
        out.append("in_title")
    if definition:
        out.append("defined")
    out.append(f"components:{min(components, 3)}")
    return out


def fact_features(view: DocumentView, f: Fact) -> list[str]:
    """Features of a figure: its rule, unit, qualifier, subject's head, magnitude, context."""
    out = ["bias:fact", f"rule:{f.rule}", f"unit:{f.unit}", f"qualifier:{f.qualifier}",
           f"subject_h1:{f.subject[-1:]}", f"subject_h2:{f.subject[-2:]}", _length(len(f.subject)).replace("len", "slen"),
           f"magnitude:{int(math.log10(abs(f.value))) if f.value else 'zero'}"]
    out += [flag for flag, on in (("subject", bool(f.subject)), ("time", bool(f.time)),
                                  ("range", f.value_max is not None), ("change", f.change_from is not None),
                                  ("chinese_numeral", f.chinese_numeral), ("arabic", bool(ARABIC.search(f.text))),
                                  ("fraction", f.value != int(f.value))) if on]
    if f.unit == "年" and 1900 <= f.value <= 2100:
        out.append("year_like")
    out += view.context(f.start, f.end)
    return out


def hashed(features: Iterable[str]) -> list[int]:
    """Each feature's slot, sorted and without repeats (CRC-32 of its UTF-8: the same everywhere).

    >>> hashed(["kind:formula", "kind:formula"]) == hashed(["kind:formula"])
    True
    """
    return sorted(set(map(_slot, features)))


# distinct features remembered: rows repeat most of theirs (rules, units, the words beside
# them), so a slot is mostly looked up, not hashed; 65,536 short strings hold ~10 MB
SLOT_CACHE = 1 << 16


@functools.lru_cache(maxsize=SLOT_CACHE)
def _slot(feature: str) -> int:
    return zlib.crc32(feature.encode("utf-8")) % N_FEATURES


# ---------------------------------------------------------------- the scorer

@dataclass(frozen=True, eq=False)
class Scorer:
    """A logistic model per record type: P(right) = σ(intercept + Σ weights of its slots)."""

    weights: dict[str, np.ndarray]  # record type → N_FEATURES weights
    intercepts: dict[str, float]
    fingerprint: str = ""

    def probabilities(self, record_type: str, rows: list[list[int]]) -> list[float]:
        """One probability per row of slots, computed together (one gather and sum per document)."""
        if not rows:
            return []
        w = self.weights[record_type]
        lengths = np.array([len(r) for r in rows])
        flat = np.fromiter(chain.from_iterable(rows), dtype=np.int64, count=int(lengths.sum()))
        sums = np.zeros(len(rows))
        if flat.size:
            owner = np.repeat(np.arange(len(rows)), lengths)
            np.add.at(sums, owner, w[flat])
        z = sums + self.intercepts[record_type]
        return [round(float(p), 4) for p in 1.0 / (1.0 + np.exp(-z))]

    def score(self, tagged, rules: MechanismRules, facts: list[Fact],
              mechanisms: list[Mechanism]) -> tuple[list[Fact], list[Mechanism]]:
        """The records with their ``confidence`` set."""
        view = DocumentView.of(tagged, rules)
        pf = self.probabilities("fact", [hashed(fact_features(view, f)) for f in facts])
        pm = self.probabilities("mechanism", [hashed(mechanism_features(
            view, m.start, m.end, m.name, m.kind, m.rule, "", m.definition, len(m.components))) for m in mechanisms])
        return ([f.with_(confidence=p) for f, p in zip(facts, pf)],
                [m.with_(confidence=p) for m, p in zip(mechanisms, pm)])


def model_as_json(weights: dict[str, dict[int, float]], intercepts: dict[str, float], fingerprint: str,
                  trained_on: dict) -> str:
    """The model file's text: slots and weights (rounded, so a retrain gives the same bytes)."""
    body = {"spec_version": SPEC_VERSION, "n_features": N_FEATURES, "hash": "crc32-utf8",
            "fingerprint": fingerprint, "trained_on": trained_on,
            "models": {t: {"intercept": round(intercepts[t], 6),
                           "slots": sorted(weights[t]),
                           "weights": [round(weights[t][i], 6) for i in sorted(weights[t])]}
                       for t in RECORD_TYPES}}
    return json.dumps(body, sort_keys=True, separators=(",", ":")) + "\n"


def load_scorer(path: str | Path) -> Scorer:
    """The scorer in ``path``, read once per process while the file is unchanged.

    Raises ScorerError (one line: the file, the reason, the command that writes it)."""
    path = Path(path)
    try:
        stat = path.stat()
    except OSError:
        raise ScorerError(f"{path}: no confidence model; write it with `jingyan train` (make scorer)") from None
    return _read_scorer(str(path), stat.st_mtime_ns, stat.st_size)


@functools.lru_cache(maxsize=4)
def _read_scorer(path: str, _mtime_ns: int, _size: int) -> Scorer:
    try:
        body = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ScorerError(f"{path}: not a confidence model ({exc}); write it with `jingyan train`") from None
    version = body.get("spec_version") if isinstance(body, dict) else None
    if version != SPEC_VERSION or body.get("n_features") != N_FEATURES:
        raise ScorerError(f"{path}: confidence model for features version {version}, this code reads "
                          f"version {SPEC_VERSION}: stale, retrain it with `jingyan train` (make scorer)")
    weights, intercepts = {}, {}
    try:
        for t in RECORD_TYPES:
            m = body["models"][t]
            w = np.zeros(N_FEATURES)
            w[np.asarray(m["slots"], dtype=np.int64)] = np.asarray(m["weights"], dtype=float)
            weights[t], intercepts[t] = w, float(m["intercept"])
    except (KeyError, TypeError, ValueError, IndexError) as exc:
        raise ScorerError(f"{path}: confidence model is damaged ({exc!r}); retrain it with `jingyan train`") from None
    return Scorer(weights, intercepts, body.get("fingerprint", ""))


def scorer_for(settings) -> Scorer:
    """The scorer ``Settings.confidence_model`` names."""
    return load_scorer(settings.confidence_model)
