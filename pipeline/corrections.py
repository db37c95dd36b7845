"""annotations/ ↔ catalogue: annotators' corrections, applied on every run.

``annotations/<source_name>.jsonl`` holds one correction per line, in the gold scheme of
GUIDELINES.md (``type``, ``doc``, ``anchor``, ``occurrence`` and the fields) plus
``action`` (accept, reject, edit, add), ``who``, ``when``, ``document_sha256`` and the
extraction ``id`` where known, for example::

    {"type": "fact", "doc": "000_x.txt", "anchor": "895个", "occurrence": 1, "value": 895,
     "unit": "个", "subject": "网格党支部", "action": "edit", "who": "li@example.org",
     "when": "2024-05-01T10:00:00Z", "document_sha256": "9f…", "id": "a1b6b5d1e80d3a8c"}

Every run re-creates the pipeline's rows and :func:`apply` replays the folder on top:
rejected rows are deleted, edited fields win and the row becomes ``source='annotator'``
(rule ``annotation:edit``), added (and accepted rows the pipeline no longer makes) appear
with ``source='annotator'``. Every row an annotator accepted, edited or added has
``checked = 1`` and the record's ``who`` and ``when`` (``corrected_by``, ``corrected_at``). The folder is the truth, the
catalogue a product: corrections survive re-runs, a deleted catalogue and pipeline
changes. A record that no longer fits its text is reported, never dropped.

This module decides what changes; the catalogue (``Catalogue`` methods) reads and writes
the rows, in one transaction.
"""
from __future__ import annotations

import hashlib
import json
import math
import re
from pathlib import Path
from typing import Iterable

from .anchors import GoldError, anchor_span, normalise_name, read_records, same_number, sentence_bounds
from .records import stable_id

ACTIONS = ("accept", "reject", "edit", "add")
# the fields a record of the gold scheme gives (and a correction may set); what is scored of
# them is evaluate.SCORED_FACT_FIELDS
FACT_RECORD_FIELDS = ("value", "value_max", "unit", "qualifier", "subject", "time", "change_from", "locality")
MECHANISM_RECORD_FIELDS = ("name", "kind", "definition", "components", "locality")
NUMERIC_FIELDS = ("value", "value_max", "change_from")
ARABIC_DIGIT = re.compile(r"[0-9０-９]")


# -- records ------------------------------------------------------------------------------------
def record_key(record: dict) -> str:
    """Content hash of a record minus ``when``: the same correction imported twice is one."""
    body = {k: v for k, v in record.items() if k != "when"}
    return hashlib.sha256(json.dumps(body, ensure_ascii=False, sort_keys=True).encode("utf-8")).hexdigest()


def target_key(record: dict) -> tuple:
    """What a record is about; of several records on one target the latest wins."""
    return (record.get("type"), record.get("doc"), record.get("document_sha256") or "",
            record.get("anchor"), int(record.get("occurrence", 1) or 1))


def clean_fields(fields: dict) -> dict:
    """Gold style: empty fields omitted (the evaluator reads a missing qualifier as '')."""
    out = {}
    for k, v in fields.items():
        if v is None or v == "" or v == [] or v == ():
            continue
        if k in NUMERIC_FIELDS:
            v = float(v)
            v = int(v) if v.is_integer() else v
        out[k] = list(v) if isinstance(v, tuple) else v
    return out


def append_records(folder: Path, records: Iterable[dict]) -> dict[Path, int]:
    """Append records to ``folder/<doc>.jsonl``, skipping any already there; lines added per file."""
    folder.mkdir(parents=True, exist_ok=True)
    by_doc: dict[str, list[dict]] = {}
    for r in records:
        by_doc.setdefault(r["doc"], []).append(r)
    added: dict[Path, int] = {}
    for doc, recs in by_doc.items():
        path = folder / f"{Path(doc).name}.jsonl"
        seen = set()
        if path.exists():
            for line in path.read_text(encoding="utf-8").splitlines():
                try:
                    seen.add(record_key(json.loads(line)))
                except (json.JSONDecodeError, AttributeError):
                    continue
        new = []
        for r in recs:
            key = record_key(r)
            if key not in seen:
                seen.add(key)
                new.append(r)
        if new:
            with path.open("a", encoding="utf-8") as fh:
                for r in new:
                    fh.write(json.dumps(r, ensure_ascii=False) + "\n")
        added[path] = len(new)
    return added


# -- catalogue rows as records ------------------------------------------------------------------
def row_fields(kind: str, row: dict, chains: dict[str, list[str]]) -> dict:
    """A facts/mechanisms row → its fields in the gold scheme."""
    locality = chains.get(row.get("locality_id") or "", [])
    if kind == "fact":
        fields = {k: row.get(k) for k in FACT_RECORD_FIELDS if k != "locality"}
    else:
        comps = row.get("components")
        fields = {"name": row.get("name"), "kind": row.get("kind"), "definition": row.get("definition"),
                  "components": json.loads(comps) if isinstance(comps, str) and comps else comps}
    fields["locality"] = [x for x in locality if x]
    return clean_fields(fields)


# -- locating -----------------------------------------------------------------------------------
class _Docs:
    """The catalogue's documents by sha256 and by source name (a changed file has several)."""

    def __init__(self, catalogue):
        self.catalogue = catalogue
        # without their texts, read only for the documents records are about: every run
        # applies the corrections, and 10,000 documents' texts are ~45 MB read for nothing
        self.by_sha = {d["sha256"]: {"id": d["id"], "source_name": d["source_name"], "sha256": d["sha256"],
                                     "at": d["processed_at"] or ""} for d in catalogue.document_versions()}
        self.by_name: dict[str, list[dict]] = {}
        for d in self.by_sha.values():
            self.by_name.setdefault(d["source_name"], []).append(d)
        for versions in self.by_name.values():
            versions.sort(key=lambda d: d["at"])

    def locate(self, record: dict) -> tuple[list[dict], str, str]:
        """(documents to apply to, reason when none, note when the text moved on)."""
        sha, name = record.get("document_sha256") or "", record.get("doc") or ""
        versions = self.by_name.get(name, [])
        if sha:
            doc = self.by_sha.get(sha)
            if doc is None:
                if versions:
                    return [], (f"document changed: annotated version sha256 {sha[:12]}… is not in the catalogue "
                                f"(now {', '.join(v['sha256'][:12] + '…' for v in versions)})"), ""
                return [], f"document not in the catalogue (sha256 {sha[:12]}…)", ""
            newer = [v for v in versions if v["sha256"] != sha and v["at"] >= doc["at"]]
            note = (f"document changed: applied to the annotated version only, not to the newer sha256 "
                    f"{newer[-1]['sha256'][:12]}…") if newer else ""
            return self._with_texts([doc]), "", note
        if not versions:
            return [], f"document {name!r} not in the catalogue", ""
        return self._with_texts(versions), "", ""

    def _with_texts(self, docs: list[dict]) -> list[dict]:
        for doc in docs:
            if "text" not in doc:
                doc["text"] = self.catalogue.document_text(doc["id"])
        return docs


# -- applying -----------------------------------------------------------------------------------
class _Applier:
    def __init__(self, catalogue):
        self.catalogue = catalogue
        self.chains = catalogue.locality_chains()
        self.paths = {"/".join(c): i for i, c in self.chains.items()}
        self.touched: dict[str, set[str]] = {"facts": set(), "mechanisms": set()}
        # what this application changed in the catalogue, per table: removed, edited, added
        self.changed: dict[str, dict[str, int]] = {t: {"removed": 0, "edited": 0, "added": 0, "checked": 0}
                                                   for t in self.touched}
        self.warnings: list[str] = []

    def table(self, record: dict) -> str:
        return "facts" if record.get("type") == "fact" else "mechanisms"

    def find_row(self, table: str, doc: dict, record: dict, start: int, end: int) -> dict | None:
        """The row the record is about: same span id, else an overlapping row with the same figure/name."""
        kind = "fact" if table == "facts" else "mechanism"
        rid = stable_id(kind, doc["sha256"], start, end)
        rows = self.catalogue.rows_overlapping(table, doc["id"], start, end)
        for r in rows:
            if r["id"] == rid or (record.get("id") and r["id"] == record["id"]):
                return r
        for r in rows:
            if kind == "fact" and _same_figure(r.get("value"), record.get("value")):
                return r
            if kind == "mechanism":
                a, b = normalise_name(r.get("name") or ""), normalise_name(record.get("name") or "")
                if a and b and (a in b or b in a):
                    return r
        return None

    def locality_id(self, chain) -> str | None:
        if not chain:
            return None
        found = self.paths.get("/".join(chain))
        if found is None:
            self.warnings.append(f"locality {'/'.join(chain)} not in the catalogue's localities: left unset")
        return found

    def changes(self, table: str, record: dict, text: str) -> dict:
        """The row columns a record sets (only the fields it gives)."""
        fields = FACT_RECORD_FIELDS if table == "facts" else MECHANISM_RECORD_FIELDS
        out = {}
        for f in fields:
            if f not in record:
                # an edit states the whole extraction: a field it leaves out was emptied
                # (value, name and kind are never emptied: a row cannot be without them)
                if record.get("action") == "edit" and f not in ("value", "name", "kind"):
                    out["locality_id" if f == "locality" else f] = None
                    if f == "definition":
                        out["definition_start"] = None
                continue
            v = record[f]
            if f == "locality":
                out["locality_id"] = self.locality_id(v)
            elif f == "components":
                out["components"] = json.dumps(list(v), ensure_ascii=False) if v else None
            elif f == "definition":
                out["definition"] = v or None
                pos = text.find(v) if v else -1
                out["definition_start"] = pos if pos >= 0 else None
            else:
                out[f] = v if v != "" else None
        if table == "mechanisms" and "name" in out:
            # the practice the pipeline would give this name (added to the catalogue if new)
            out["practice_id"] = self.catalogue.practice_for(out["name"], out.get("kind") or record.get("kind"),
                                                             record.get("definition", ""))
        return out

    def insert(self, table: str, doc: dict, record: dict, start: int, end: int) -> str:
        text = doc["text"]
        kind = "fact" if table == "facts" else "mechanism"
        s_start, s_end = sentence_bounds(text, start, end)
        row = {"id": stable_id(kind, doc["sha256"], start, end), "document_id": doc["id"], "start": start,
               "end": end, "sentence": text[s_start:s_end], "sentence_start": s_start, "sentence_end": s_end,
               "rule": f"annotation:{record.get('action')}", "source": "annotator", **checked_by(record)}
        if table == "facts":
            row.update(text=text[start:end], chinese_numeral=int(not ARABIC_DIGIT.search(text[start:end])))
        else:
            record = {"name": normalise_name(text[start:end]), **record}
            row.update(kind=record.get("kind") or "brand")
        row.update(self.changes(table, record, text))
        self.catalogue.put_row(table, row)
        return row["id"]

    def apply(self, record: dict, doc: dict) -> str:
        """Apply one record to one document; returns what happened (or raises GoldError)."""
        table, action = self.table(record), record["action"]
        start, end = anchor_span(doc["text"], record["anchor"], int(record.get("occurrence", 1) or 1))
        row = self.find_row(table, doc, record, start, end)
        if action == "reject":
            if row is None:
                return "already_absent"
            self.catalogue.delete_row(table, row["id"])
            self.changed[table]["removed"] += 1
            return "applied"
        if row is None:
            self.touched[table].add(self.insert(table, doc, record, start, end))
            self.changed[table]["added"] += 1
            return "applied"
        self.touched[table].add(row["id"])
        changes = {}
        if action in ("edit", "add"):
            changes = {k: v for k, v in self.changes(table, record, doc["text"]).items() if row.get(k) != v}
            if changes:
                # a row whose fields an annotator set is no longer the rule's: it says whose it is
                changes.update(source="annotator", rule=f"annotation:{action}")
        checked = {k: v for k, v in checked_by(record).items() if row.get(k) != v}
        if changes or checked:
            self.catalogue.update_row(table, row["id"], {**changes, **checked})
            self.changed[table]["edited" if changes else "checked"] += 1
        return "applied"

    def drop_stale(self) -> int:
        """Annotator rows no record claims any more (the correction was withdrawn)."""
        dropped = 0
        for table, ids in self.touched.items():
            stale = [rid for rid in self.catalogue.annotator_row_ids(table) if rid not in ids]
            for rid in stale:
                self.catalogue.delete_row(table, rid)
            dropped += len(stale)
            self.changed[table]["removed"] += len(stale)
        return dropped


def checked_by(record: dict) -> dict:
    """The columns that say an annotator looked at a row: checked, by whom, when.

    >>> checked_by({"action": "accept", "who": "li@example.org", "when": "2024-05-01T10:00:00Z"})
    {'checked': 1, 'corrected_by': 'li@example.org', 'corrected_at': '2024-05-01T10:00:00Z'}
    """
    return {"checked": 1, "corrected_by": record.get("who") or None, "corrected_at": record.get("when") or None}


def _same_figure(a, b) -> bool:
    """A row is found by its figure only when both sides give one: two facts without a
    value are not thereby the same fact (``same_number`` calls two absent values equal)."""
    return a not in (None, "") and b not in (None, "") and same_number(a, b)


def latest_records(folder: str | Path, report: dict) -> list[tuple[Path, int, dict]]:
    """Valid action records, the latest per target (by ``when``, then file order)."""
    latest: dict[tuple, tuple[str, int, Path, int, dict]] = {}
    order = 0
    for path, lineno, rec, error in read_records(folder):
        where = {"file": str(path), "line": lineno}
        if rec is None:
            report["unmatched"].append({**where, "reason": error})
            continue
        report["records"] += 1
        if "action" not in rec:
            report["gold_only"] += 1  # plain gold: scored by eval, nothing to apply
            continue
        problem = _invalid(rec)
        if problem:
            report["unmatched"].append({**where, **_brief(rec), "reason": problem})
            continue
        order += 1
        key = target_key(rec)
        cand = (str(rec.get("when") or ""), order, path, lineno, rec)
        if key not in latest or cand[:2] >= latest[key][:2]:
            latest[key] = cand
    return [(p, n, r) for _, _, p, n, r in sorted(latest.values(), key=lambda c: c[1])]


def _invalid(rec: dict) -> str:
    if rec.get("action") not in ACTIONS:
        return f"unknown action {rec.get('action')!r} (want one of {', '.join(ACTIONS)})"
    if rec.get("type") not in ("fact", "mechanism"):
        return f"unknown type {rec.get('type')!r}"
    if not rec.get("anchor") or not rec.get("doc"):
        return "no doc or anchor"
    return record_problem(rec)


# -- bad input: what no correction may carry ------------------------------------------------------
# A name is a practice's name, not a passage: the gold's longest has 26 characters
# (数字管理无处不在、智能监管无时不有、精准服务无处不享), its shortest 2 (六稳).
NAME_CHARS = (2, 40)
# what ends a sentence: a name holding one is (at least) a whole sentence
SENTENCE_PUNCTUATION = re.compile(r"[。！？!?；;]")
TEXT_FIELDS = ("anchor", "doc", "unit", "qualifier", "subject", "time", "name", "kind", "definition")


def record_problem(rec: dict) -> str:
    """Why a correction record is bad input ("" when it is not): a figure that is no finite
    number (1e999 reads as infinity), text with a control character (a NUL byte), a name that
    is empty, one character, longer than a name runs, or a whole sentence.

    >>> record_problem({"type": "fact", "value": float("inf")})
    'value is not a finite number (inf)'
    >>> record_problem({"type": "mechanism", "name": "楼宇联络员制度"})
    ''
    >>> record_problem({"type": "mechanism", "name": "楼"})
    'name 楼 has 1 character (a name has 2 to 40)'
    >>> record_problem({"type": "mechanism", "name": "街道设立楼宇联络员制度。"})
    "name '街道设立楼宇联络员制度。' is a whole sentence (it holds 。), not a name"
    """
    for key in NUMERIC_FIELDS:
        value = rec.get(key)
        if value is None or value == "":
            continue
        try:
            number = float(value)
        except (TypeError, ValueError):
            return f"{key} is not a number ({value!r})"
        if isinstance(value, bool) or not math.isfinite(number):
            return f"{key} is not a finite number ({value!r})"
    for key in TEXT_FIELDS:
        value = rec.get(key)
        if value is not None and not isinstance(value, str):
            return f"{key} is not text ({type(value).__name__})"
        if value and CONTROL.search(value):
            return f"{key} holds a control character ({_control_names(value)})"
    parts = rec.get("components")
    if parts is not None:
        if not isinstance(parts, list) or not all(isinstance(p, str) for p in parts):
            return "components is not a list of texts"
        if any(CONTROL.search(p) for p in parts):
            return "components hold a control character"
    if "locality" in rec and not (isinstance(rec["locality"], list) and all(isinstance(p, str) for p in rec["locality"])):
        return "locality is not a list of place names"
    if rec.get("type") == "mechanism" and "name" in rec:
        return name_problem(rec["name"])
    return ""


CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\u2060-\u2064\ufeff]")


def _control_names(text: str) -> str:
    return ", ".join(sorted({f"U+{ord(c):04X}" for c in CONTROL.findall(text)}))


def name_problem(name: str) -> str:
    """Why ``name`` cannot be a mechanism's name ("" when it can).

    >>> name_problem(""), name_problem("红色物业")
    ('name is empty', '')
    """
    core = normalise_name(name)
    low, high = NAME_CHARS
    if not core:
        return "name is empty"
    if len(core) < low:
        return f"name {core} has {len(core)} character (a name has {low} to {high})"
    if len(core) > high:
        return f"name has {len(core)} characters (a name has {low} to {high}): {core[:20]}…"
    found = SENTENCE_PUNCTUATION.search(name)
    if found:
        return f"name {name!r} is a whole sentence (it holds {found.group()}), not a name"
    return ""


def sentence_problem(rec: dict, text: str) -> str:
    """A mechanism's name that is its whole sentence in the document (where the text shows it).

    >>> text = "前言。设立楼宇联络员制度。后记"
    >>> rec = {"type": "mechanism", "anchor": "设立楼宇联络员制度", "name": "设立楼宇联络员制度"}
    >>> sentence_problem(rec, text)
    'name is the whole sentence 设立楼宇联络员制度, not a name'
    >>> sentence_problem({**rec, "anchor": "楼宇联络员制度", "name": "楼宇联络员制度"}, text)
    ''
    """
    if rec.get("type") != "mechanism" or rec.get("action") == "reject":
        return ""
    try:
        start, end = anchor_span(text, rec["anchor"], int(rec.get("occurrence", 1) or 1))
    except (GoldError, KeyError, TypeError, ValueError):
        return ""  # reported as an anchor not found
    s_start, s_end = sentence_bounds(text, start, end)
    whole = text[s_start:s_end].strip()
    sentence = whole.rstrip("。！？!?；;")
    name = normalise_name(rec.get("name") or text[start:end])
    # a heading line without an end mark may well be a practice's name (“四步法”工作法)
    if sentence != whole and name == normalise_name(sentence):
        return f"name is the whole sentence {sentence}, not a name"
    return ""


def _brief(rec: dict) -> dict:
    return {k: rec.get(k) for k in ("type", "doc", "anchor", "occurrence", "action", "id") if rec.get(k) is not None}


def apply(catalogue, folder: str | Path) -> dict:
    """Apply the corrections in ``folder`` to the catalogue; report what was applied.

    Returns ``{"files", "records", "applied", "by_action", "already_absent", "gold_only",
    "dropped_stale", "changed": {table: {removed, edited, added, checked}}, "unmatched": [{file, line,
    doc, anchor, …, reason}], "warnings"}``; ``changed`` counts only what this call changed
    (a re-run over unchanged documents finds the corrections already in place).
    """
    folder = Path(folder)
    files = sorted(folder.glob("*.jsonl")) if folder.is_dir() else []
    report = {"folder": str(folder), "files": len(files), "records": 0, "applied": 0,
              "by_action": {a: 0 for a in ACTIONS}, "already_absent": 0, "gold_only": 0, "dropped_stale": 0,
              "unmatched": [], "warnings": []}
    records = latest_records(folder, report)
    with catalogue.transaction():  # all corrections or none: a crash leaves the last good state
        docs = _Docs(catalogue)
        applier = _Applier(catalogue)
        for path, lineno, rec in records:
            where = {"file": str(path), "line": lineno, **_brief(rec)}
            targets, reason, note = docs.locate(rec)
            if not targets:
                report["unmatched"].append({**where, "reason": reason})
                continue
            if note:
                report["unmatched"].append({**where, "reason": note})
            outcomes = []
            for doc in targets:
                problem = sentence_problem(rec, doc["text"])
                if problem:
                    outcomes.append(problem)
                    continue
                try:
                    outcomes.append(applier.apply(rec, doc))
                except GoldError as exc:
                    outcomes.append(f"anchor not found in {doc['source_name']} "
                                    f"(sha256 {doc['sha256'][:12]}…): {exc}")
            if "applied" in outcomes:
                report["applied"] += 1
                report["by_action"][rec["action"]] += 1
            elif "already_absent" in outcomes:
                report["already_absent"] += 1
            else:
                report["unmatched"].append({**where, "reason": "; ".join(outcomes)})
        report["dropped_stale"] = applier.drop_stale()
        report["changed"] = applier.changed
        report["warnings"] = sorted(set(applier.warnings))
    return report
