"""Practice families: the local variants of one practice grouped under one name.

A locality takes up 红色物业 and reports it as “红色物业”模式, 红色物业联盟 or
红色物业服务站; a formula is written 1+3+N, “1+3+N” or 1＋3＋N. Each is its own practice
(``practices.practice_key``); a *family* groups them, in two steps:

- **match** (:func:`family_core`): the rules of ``data/family_rules.json``, each with an
  id. Quotes and spaces go, a formula takes its normal form, generic heads and suffixes
  (模式, 机制, 联盟, 工作法, 服务站 …) are stripped; names with the same core are one
  family, named by the core. Never by a bare shared word: 红色物业 and 红色管家 share
  红色 but not their cores, and a core shorter than ``min_core_chars`` (党建联盟 → 党建)
  joins nothing.
- **annotate** (:func:`read_corrections`, :func:`assign`): an annotator's merges and
  splits, kept in ``annotations/families/*.jsonl`` and replayed on every run, after the
  rules, in file and line order::

    {"action": "merge", "names": ["红色物业", "红色管家"], "family": "红色物业", "who": "li", "when": "2024-05-01"}
    {"action": "split", "names": ["红色物业联盟"], "who": "li", "when": "2024-05-02"}

  A merge joins the families the names belong to (named ``family``, else the first name's
  family); a split takes the practices of those names out of their family into one of
  their own (named ``family``, else the first name). A bad line is refused with its file
  and line; the others are applied.

Pure functions: the catalogue (``Catalogue.refresh_families``) reads the practices, calls
:func:`assign` and writes what it returns.
"""
from __future__ import annotations

import functools
import json
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

from .records import stable_id
from .rules import load_rule_file
from .settings import DATA_DIR

CORRECTIONS_FOLDER = "families"  # under annotations/: not read as corrections of facts and mechanisms
ACTIONS = ("merge", "split")


@dataclass(frozen=True)
class Phrase:
    id: str
    phrase: str


@dataclass(frozen=True)
class Formula:
    id: str
    pattern: re.Pattern

    def __post_init__(self):
        if "v" not in self.pattern.groupindex:
            raise ValueError("the formula pattern needs a group named v (the formula itself)")


@dataclass(frozen=True)
class FamilyRules:
    min_core_chars: int
    quotes: str
    formula: Formula
    counted_tail: str = ""
    separators: str = ""
    suffixes: tuple[Phrase, ...] = ()
    heads: tuple[Phrase, ...] = ()

    @functools.cached_property
    def suffixes_longest_first(self) -> tuple[Phrase, ...]:
        return tuple(sorted(self.suffixes, key=lambda p: -len(p.phrase)))

    @functools.cached_property
    def suffix_at_end(self) -> re.Pattern:
        """The longest suffix a name ends with, in one search (a catalogue has tens of thousands)."""
        return re.compile("(?:" + "|".join(re.escape(p.phrase) for p in self.suffixes_longest_first) + ")$")

    @functools.cached_property
    def suffix_ids(self) -> dict[str, str]:
        return {p.phrase: p.id for p in self.suffixes}

    @functools.cached_property
    def dropped(self) -> dict[int, None]:
        """str.translate's table: quotes and spaces deleted."""
        return {ord(ch): None for ch in self.quotes + " \t\n\r\u3000\xa0"}


@functools.lru_cache(maxsize=None)
def load_rules(data_dir: Path = DATA_DIR) -> FamilyRules:
    return load_rule_file(Path(data_dir) / "family_rules.json", FamilyRules)


# -- match: a name's core -------------------------------------------------------------------------
def normal_form(name: str, rules: FamilyRules | None = None) -> str:
    """Full-width folded, quotes and spaces gone, Latin letters in upper case.

    >>> normal_form("“1＋3＋n”模式"), normal_form(" 红色 物业 ")
    ('1+3+N模式', '红色物业')
    """
    rules = rules or load_rules()
    text = unicodedata.normalize("NFKC", name or "").translate(rules.dropped)
    return text.upper()


def family_core(name: str, rules: FamilyRules | None = None) -> tuple[str, str]:
    """(core, rule id) of a practice's name: names with one core are one family.

    >>> family_core("“红色物业”模式"), family_core("红色物业联盟"), family_core("红色物业")
    (('红色物业', 'FS-MOSHI'), ('红色物业', 'FS-LIANMENG'), ('红色物业', 'FAM-NAME'))
    >>> family_core("“1＋3＋N”模式"), family_core("红色管家")
    (('1+3+N', 'FF-FORMULA'), ('红色管家', 'FAM-NAME'))
    >>> family_core("党建联盟")  # 党建 alone is too bare a word to join anything
    ('党建联盟', 'FAM-NAME')
    >>> family_core("四项机制"), family_core("两计划两行动")
    (('四项机制', 'FAM-NAME'), ('两计划两行动', 'FAM-NAME'))
    """
    rules = rules or load_rules()
    text = normal_form(name, rules)
    formula = rules.formula.pattern.match(text)
    if formula:
        return formula["v"], rules.formula.id
    core, rule = text, "FAM-NAME"
    for head in rules.heads:
        if core.startswith(head.phrase) and _may_be_core(core[len(head.phrase):], rules):
            core, rule = core[len(head.phrase):], head.id
            break
    while True:
        # the longest suffix the name ends with decides: 四项机制 is not 四项机 + 制
        suffix = rules.suffix_at_end.search(core)
        if suffix is None or not _may_be_core(core[: suffix.start()], rules):
            return core, rule
        core, rule = core[: suffix.start()], rules.suffix_ids[suffix.group()]


def _may_be_core(core: str, rules: FamilyRules) -> bool:
    """Long enough to name a practice, and not a counted list cut short (两计划两|行动) or a
    list's punctuation left in front (党建引领|、红色物业)."""
    return (len(core) >= rules.min_core_chars and core[-1] not in rules.counted_tail
            and core[0] not in rules.separators)


# -- annotate: an annotator's merges and splits ----------------------------------------------------
@dataclass(frozen=True)
class Correction:
    action: str  # merge or split
    names: tuple[str, ...]
    family: str = ""
    who: str = ""
    when: str = ""
    file: str = ""
    line: int = 0


class CorrectionError(ValueError):
    """A line of a family corrections file that cannot be applied: file, line, why."""


def read_corrections(folder: str | Path) -> tuple[list[Correction], list[dict]]:
    """(corrections in file and line order, refused lines as {file, line, reason}).

    ``folder`` is ``annotations/families``; a missing folder holds no corrections.
    """
    folder = Path(folder)
    corrections, refused = [], []
    for path in sorted(folder.glob("*.jsonl")) if folder.is_dir() else []:
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if not line.strip():
                continue
            try:
                corrections.append(parse_correction(line, str(path), number))
            except CorrectionError as exc:
                refused.append({"file": str(path), "line": number, "reason": str(exc)})
    return corrections, refused


def corrections_in(annotations_dir: str | Path) -> tuple[list[Correction], list[dict]]:
    """``read_corrections`` of the families folder in an annotations folder."""
    return read_corrections(Path(annotations_dir) / CORRECTIONS_FOLDER)


def parse_correction(line: str, file: str = "", number: int = 0) -> Correction:
    """One line of a corrections file, checked.

    >>> parse_correction('{"action": "split", "names": ["红色物业联盟"]}').names
    ('红色物业联盟',)
    >>> parse_correction('{"action": "merge", "names": ["红色物业"]}')
    Traceback (most recent call last):
    ...
    pipeline.families.CorrectionError: a merge names at least two practices (names: ["红色物业"])
    """
    try:
        record = json.loads(line)
    except json.JSONDecodeError as exc:
        raise CorrectionError(f"not JSON: {exc.msg} (column {exc.colno})") from None
    if not isinstance(record, dict):
        raise CorrectionError("not a JSON object")
    unknown = sorted(set(record) - {"action", "names", "family", "who", "when", "note"})
    if unknown:
        raise CorrectionError(f"unknown field {unknown[0]!r} (the fields are action, names, family, who, when, note)")
    action, names = record.get("action"), record.get("names")
    if action not in ACTIONS:
        raise CorrectionError(f"action must be merge or split, found {json.dumps(action, ensure_ascii=False)}")
    if not isinstance(names, list) or not names or not all(isinstance(n, str) and n.strip() for n in names):
        raise CorrectionError("names must be a list of practice names")
    if action == "merge" and len(names) < 2:
        raise CorrectionError(f"a merge names at least two practices (names: {json.dumps(names, ensure_ascii=False)})")
    for key in ("family", "who", "when"):
        if not isinstance(record.get(key, ""), str):
            raise CorrectionError(f"{key} must be a string")
    return Correction(action, tuple(n.strip() for n in names), record.get("family", "").strip(),
                      record.get("who", ""), record.get("when", ""), file, number)


# -- both: every practice's family -----------------------------------------------------------------
@dataclass(frozen=True)
class Membership:
    """The family a practice belongs to, and the rule (or correction) that put it there."""

    family_id: str
    family: str
    rule: str


@dataclass
class Assignment:
    members: dict[str, Membership] = field(default_factory=dict)  # practice id → its family
    applied: int = 0
    unmatched: list[dict] = field(default_factory=list)  # corrections naming no practice in the catalogue


def family_id_of(name: str, by_annotator: bool = False) -> str:
    return stable_id("family", "annotation" if by_annotator else "rule", name)


def assign(practices: dict[str, str], corrections: list[Correction] = (),
           rules: FamilyRules | None = None) -> Assignment:
    """Practice id → its family, by the rules and then the corrections in order.

    >>> a = assign({"p1": "红色物业", "p2": "“红色物业”模式", "p3": "红色管家", "p4": "红色物业联盟"},
    ...            [Correction("split", ("红色物业联盟",))])
    >>> sorted((a.members[p].family, a.members[p].rule) for p in ("p1", "p2", "p3", "p4"))
    [('红色物业', 'FAM-NAME'), ('红色物业', 'FS-MOSHI'), ('红色物业联盟', 'annotation:split'), ('红色管家', 'FAM-NAME')]
    """
    rules = rules or load_rules()
    out = Assignment()
    keys: dict[str, list[str]] = {}  # a name's normal form → practices of that name
    ids: dict[str, str] = {}  # core → family id
    for practice_id, name in practices.items():
        core, rule = family_core(name, rules)
        family_id = ids.get(core) or ids.setdefault(core, family_id_of(core))
        out.members[practice_id] = Membership(family_id, core, rule)
        keys.setdefault(normal_form(name, rules), []).append(practice_id)
    normal = {pid: form for form, pids in keys.items() for pid in pids}  # practice id → its name's normal form
    shown = _display_names(practices, out.members, normal)
    out.members = {pid: Membership(m.family_id, shown[m.family_id], m.rule) for pid, m in out.members.items()}
    for correction in corrections:
        named = [pid for n in correction.names for pid in keys.get(normal_form(n, rules), [])]
        missing = [n for n in correction.names if normal_form(n, rules) not in keys]
        where = {"file": correction.file, "line": correction.line}
        if missing:
            out.unmatched.append({**where, "reason": f"no practice named {'、'.join(missing)} in the catalogue"})
        if not named:
            continue
        if correction.action == "merge":
            families = {out.members[pid].family_id for pid in named}
            if len(families) < 2 and not correction.family:
                continue
            name = correction.family or out.members[named[0]].family
            joined = Membership(family_id_of(name, True), name, "annotation:merge")
            for pid, member in list(out.members.items()):
                if member.family_id in families:
                    out.members[pid] = joined
            out.applied += 1
        else:
            name = correction.family or correction.names[0]
            split = Membership(family_id_of(name, True), name, "annotation:split")
            for pid in named:
                out.members[pid] = split
            out.applied += 1
    return out


def _display_names(practices: dict[str, str], members: dict[str, Membership], normal: dict[str, str]) -> dict[str, str]:
    """A family's name as readers write it: the member named by the core itself (红色物业), else
    the shortest member's name (网格党群服务站, not the bare core 网格党群)."""
    names: dict[str, list[tuple[str, str]]] = {}
    cores: dict[str, str] = {}
    for pid, member in members.items():
        names.setdefault(member.family_id, []).append((practices[pid], normal[pid]))
        cores[member.family_id] = member.family
    shown = {}
    for family_id, members_names in names.items():
        if len(members_names) == 1:
            shown[family_id] = members_names[0][0]
            continue
        exact = sorted(n for n, form in members_names if form == cores[family_id])
        shown[family_id] = exact[0] if exact else min((n for n, _ in members_names), key=lambda n: (len(n), n))
    return shown
