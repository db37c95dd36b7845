"""Catalogue ↔ Label Studio (and CSV): annotators correct what the pipeline extracted.

Export: one task per document, ``data.text`` the document text, the catalogue's facts,
mechanisms and place names as *predictions* (pre-annotations): ``labels`` regions FACT,
MECHANISM, LOCALITY on the text, each field a per-region TextArea/Choices result that
shares the region's ``id`` (the extraction id)::

    {"id": "a1b6b5d1e80d3a8c", "from_name": "label", "to_name": "text", "type": "labels",
     "value": {"start": 120, "end": 124, "text": "895个", "labels": ["FACT"]}}
    {"id": "a1b6b5d1e80d3a8c", "from_name": "subject", "to_name": "text", "type": "textarea",
     "value": {"start": 120, "end": 124, "text": ["网格党支部"]}}

Import: a Label Studio JSON export (tasks with ``annotations``) or an edited CSV →
correction records in annotations/ (see :mod:`pipeline.corrections`): each annotation's
regions compared with the task's predictions — kept unchanged → accept, removed →
reject, kept with other fields → edit, new → add (a moved span is reject + add).
"""
from __future__ import annotations

import csv
import hashlib
import json
import os
import sqlite3
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from . import PIPELINE_VERSION
from .anchors import GoldError, anchor_span, occurrence_of
from .catalogue import (documents_least_confident_first, has_confidence, locality_chains,
                        rows_least_confident_first)
from .corrections import (FACT_RECORD_FIELDS, MECHANISM_RECORD_FIELDS, append_records, clean_fields,
                          record_problem, row_fields, sentence_problem)

LABEL_CONTROL = "label"
TEXT_OBJECT = "text"
TYPES = {"FACT": "fact", "MECHANISM": "mechanism", "LOCALITY": "locality"}
LABELS = {v: k for k, v in TYPES.items()}
QUALIFIERS = ("approx", "more_than", "less_than", "at_least")
KINDS = ("formula", "numbered", "brand", "institution", "platform")
# per-region controls: (field, control type); "components" one part per line, "locality" 省/市/区
CONTROLS = {
    "fact": [("value", "textarea"), ("value_max", "textarea"), ("unit", "textarea"), ("qualifier", "choices"),
             ("subject", "textarea"), ("time", "textarea"), ("change_from", "textarea"), ("locality", "textarea")],
    "mechanism": [("name", "textarea"), ("kind", "choices"), ("definition", "textarea"),
                  ("components", "textarea"), ("locality", "textarea")],
}

LABELING_CONFIG = """<View>
  <Style>.htx-text {{ white-space: pre-wrap; line-height: 1.8; }}</Style>
  <Header value="$title"/>
  <Labels name="{label}" toName="{text}" choice="single">
    <Label value="FACT" background="#f4a261" hint="数字事实：895个、78%、6万多名"/>
    <Label value="MECHANISM" background="#2a9d8f" hint="具名做法：四步法、1+3+N、红色管家"/>
    <Label value="LOCALITY" background="#8ecae6" hint="地名：鼓楼区、宁海路街道"/>
  </Labels>
  <Text name="{text}" value="$text" granularity="symbol"/>
  <View visibleWhen="region-selected" whenTagName="{label}" whenLabelValue="FACT">
    <Header value="FACT fields (value in base units: 6万多名 → 60000)"/>
    <TextArea name="value" toName="{text}" perRegion="true" editable="true" maxSubmissions="1" placeholder="value"/>
    <TextArea name="value_max" toName="{text}" perRegion="true" editable="true" maxSubmissions="1" placeholder="value_max (range 1—2名 → 2)"/>
    <TextArea name="unit" toName="{text}" perRegion="true" editable="true" maxSubmissions="1" placeholder="unit: 个 名 % 元"/>
    <Choices name="qualifier" toName="{text}" perRegion="true" choice="single" showInline="true">
{qualifiers}
    </Choices>
    <TextArea name="subject" toName="{text}" perRegion="true" editable="true" maxSubmissions="1" placeholder="subject: 网格党支部"/>
    <TextArea name="time" toName="{text}" perRegion="true" editable="true" maxSubmissions="1" placeholder="time: 今年, 2020年"/>
    <TextArea name="change_from" toName="{text}" perRegion="true" editable="true" maxSubmissions="1" placeholder="change_from (由20项增加到70项 → 20)"/>
  </View>
  <View visibleWhen="region-selected" whenTagName="{label}" whenLabelValue="MECHANISM">
    <Header value="MECHANISM fields"/>
    <TextArea name="name" toName="{text}" perRegion="true" editable="true" maxSubmissions="1" placeholder="name without quotes"/>
    <Choices name="kind" toName="{text}" perRegion="true" choice="single" showInline="true">
{kinds}
    </Choices>
    <TextArea name="definition" toName="{text}" perRegion="true" editable="true" maxSubmissions="1" placeholder="definition: exact text"/>
    <TextArea name="components" toName="{text}" perRegion="true" editable="true" maxSubmissions="1" rows="4" placeholder="components, one per line"/>
  </View>
  <View visibleWhen="region-selected" whenTagName="{label}">
    <TextArea name="locality" toName="{text}" perRegion="true" editable="true" maxSubmissions="1" placeholder="locality: 江苏省/南京市/鼓楼区/宁海路街道"/>
  </View>
</View>
"""


class ImportError_(ValueError):
    """A malformed export: names the file and the reason."""


def labeling_config() -> str:
    def choices(values):
        return "\n".join(f'      <Choice value="{v}"/>' for v in values)

    return LABELING_CONFIG.format(label=LABEL_CONTROL, text=TEXT_OBJECT, qualifiers=choices(QUALIFIERS),
                                  kinds=choices(KINDS))


# -- export -------------------------------------------------------------------------------------
def _connect(db: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(f"file:{Path(db)}?mode=ro", uri=True)
    conn.row_factory = sqlite3.Row
    return conn


def _field_text(name: str, value) -> str:
    if name == "locality":
        return "/".join(value)
    if name == "components":
        return "\n".join(value)
    return str(value)


def region_results(rid: str, kind: str, start: int, end: int, text: str, fields: dict,
                   confidence: float | None = None) -> list[dict]:
    """One region as Label Studio result items: the label (with the row's confidence as its
    ``score``, which Label Studio shows on the region), then one item per field given."""
    span = {"start": start, "end": end}
    items = [{"id": rid, "from_name": LABEL_CONTROL, "to_name": TEXT_OBJECT, "type": "labels",
              "value": {**span, "text": text, "labels": [LABELS[kind]]}}]
    if confidence is not None:
        items[0]["score"] = confidence
    for name, control in CONTROLS.get(kind, []):
        if name not in fields:
            continue
        value = {**span, "choices": [str(fields[name])]} if control == "choices" else \
            {**span, "text": [_field_text(name, fields[name])]}
        items.append({"id": rid, "from_name": name, "to_name": TEXT_OBJECT, "type": control, "value": value})
    return items


def _rows(conn, sql: str, args) -> list[dict]:
    return [dict(r) for r in conn.execute(sql, args).fetchall()]


def document_predictions(conn, doc: dict, chains: dict, below: float | None = None,
                         scored: bool | None = None) -> list[dict]:
    """The catalogue's extractions of one document as prediction result items, the least
    confident first (rows without a confidence after them, in text order), place names last.
    With ``below``, only the facts and mechanisms whose confidence is under it (and no places)."""
    text = doc["text"]
    regions = []
    for kind, table in (("fact", "facts"), ("mechanism", "mechanisms")):
        for row in rows_least_confident_first(conn, table, doc["id"], below, scored):
            regions.append((kind, row))
    regions.sort(key=lambda kr: (kr[1].get("confidence") is None, kr[1].get("confidence") or 0, kr[1]["start"]))
    result = []
    for kind, row in regions:
        result += region_results(row["id"], kind, row["start"], row["end"], text[row["start"]:row["end"]],
                                 row_fields(kind, row, chains), row.get("confidence"))
    if below is None:
        for row in _rows(conn, "select * from locality_mentions where document_id = ? order by start", [doc["id"]]):
            result += region_results(row["id"], "locality", row["start"], row["end"],
                                     text[row["start"]:row["end"]], {})
    return result


def _corrections_count(annotations_dir: Path, source_name: str) -> int:
    path = Path(annotations_dir) / f"{source_name}.jsonl"
    return sum(1 for line in path.read_text(encoding="utf-8").splitlines() if line.strip()) if path.exists() else 0


def export_tasks(db: Path, out_dir: Path, annotations_dir: Path = Path("annotations"),
                 as_csv: bool = False, below: float | None = None) -> list[Path]:
    """Write tasks.json (one task per document) and labeling_config.xml; facts/mechanisms.csv with as_csv.

    The catalogue already has annotations/ applied, so the pre-annotations show the
    corrected state; each task says how many corrections its document already has.
    Annotators see the uncertain first: tasks in ascending order of their least confident
    fact or mechanism (its confidence is the task's prediction ``score``), regions within a
    task likewise; with ``below`` (0.6), only the rows whose confidence is under it, and only
    the documents that have one.
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    conn = _connect(db)
    try:
        chains = locality_chains(conn)
        tasks = []
        scored = has_confidence(conn)  # once: the catalogue does not change while it is read
        docs = documents_least_confident_first(conn, below, scored)
        for doc in docs:
            meta = {"document_id": doc["id"], "source_name": doc["source_name"], "sha256": doc["sha256"]}
            data = {"text": doc["text"], **meta, "title": doc["title"] or doc["source_name"],
                    "publisher": doc["publisher"] or "", "published": doc["published"] or "",
                    "url": doc["url"] or "", "path": doc["path"] or "",
                    "corrections": _corrections_count(annotations_dir, doc["source_name"])}
            tasks.append({"data": data, "meta": meta, "predictions": [{
                "model_version": f"jingyan-{PIPELINE_VERSION}",
                "score": 1.0 if doc["least"] is None else doc["least"],
                "result": document_predictions(conn, doc, chains, below, scored)}]})
        written = [out_dir / "tasks.json", out_dir / "labeling_config.xml"]
        written[0].write_text(json.dumps(tasks, ensure_ascii=False, indent=1), encoding="utf-8")
        written[1].write_text(labeling_config(), encoding="utf-8")
        if as_csv:
            written += _export_csv(conn, out_dir, chains, docs, below, scored)
        return written
    finally:
        conn.close()


CSV_COMMON = ["action", "id", "doc", "document_sha256", "start", "end", "anchor", "occurrence", "confidence"]
CSV_COLUMNS = {
    "fact": CSV_COMMON + list(FACT_RECORD_FIELDS) + ["sentence", "who"],
    "mechanism": CSV_COMMON + list(MECHANISM_RECORD_FIELDS) + ["sentence", "who"],
}
COMPONENT_SEP = " | "


def _csv_cell(name: str, value) -> str:
    if value is None:
        return ""
    if name == "locality":
        return "/".join(value)
    if name == "components":
        return COMPONENT_SEP.join(value)
    return str(value)


def _export_csv(conn, out_dir: Path, chains: dict, docs: list[dict], below: float | None,
                scored: bool) -> list[Path]:
    """facts.csv and mechanisms.csv: one row per extraction; fill ``action`` (accept/reject), edit
    cells, or add a row without ``id`` (doc, anchor, occurrence and the fields) for a new one.
    Documents in the tasks' order, each document's rows the least confident first."""
    written = []
    for kind, table in (("fact", "facts"), ("mechanism", "mechanisms")):
        path = out_dir / f"{table}.csv"
        rows = [{**row, "source_name": doc["source_name"], "doc_sha": doc["sha256"], "doc_text": doc["text"]}
                for doc in docs for row in rows_least_confident_first(conn, table, doc["id"], below, scored)]
        with path.open("w", encoding="utf-8-sig", newline="") as fh:  # BOM: spreadsheets read it as UTF-8
            writer = csv.DictWriter(fh, CSV_COLUMNS[kind])
            writer.writeheader()
            for row in rows:
                anchor = row["doc_text"][row["start"]:row["end"]]
                fields = row_fields(kind, row, chains)
                out = {"action": "", "id": row["id"], "doc": row["source_name"], "document_sha256": row["doc_sha"],
                       "start": row["start"], "end": row["end"], "anchor": anchor,
                       "occurrence": occurrence_of(row["doc_text"], row["start"], anchor),
                       "sentence": row.get("sentence") or "", "who": "",
                       "confidence": "" if row.get("confidence") is None else row["confidence"]}
                out.update({k: _csv_cell(k, fields.get(k)) for k in CSV_COLUMNS[kind] if k in fields})
                writer.writerow(out)
        written.append(path)
    return written


# -- import -------------------------------------------------------------------------------------
@dataclass
class ImportReport:
    export_file: str
    tasks: int = 0
    annotations: int = 0
    records: int = 0
    added: int = 0
    by_action: Counter = field(default_factory=Counter)
    files: dict = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    # records refused as bad input, each with the file and task (or line) it came from; the
    # others are written all the same
    refused: list[str] = field(default_factory=list)

    def summary(self) -> str:
        actions = ", ".join(f"{a} {self.by_action[a]}" for a in ("accept", "reject", "edit", "add"))
        lines = [f"{self.export_file}: {self.tasks} tasks, {self.annotations} annotations → {self.records} "
                 f"corrections ({actions}); {self.added} new, {self.records - self.added} already recorded"
                 + (f"; {len(self.refused)} refused" if self.refused else "")]
        lines += [f"  {path}: +{n}" for path, n in sorted(self.files.items()) if n]
        lines += [f"  note: {n}" for n in self.notes]
        lines += [f"  refused: {r}" for r in self.refused]
        return "\n".join(lines)


@dataclass
class Region:
    id: str
    kind: str  # fact, mechanism, locality
    start: int
    end: int
    fields: dict


def parse_regions(result: list, where: str, text: str) -> dict[str, Region]:
    """Label Studio result items → regions by id, the per-region fields gathered onto each."""
    if not isinstance(result, list):
        raise ImportError_(f"{where}: 'result' is not a list")
    regions: dict[str, Region] = {}
    extra: list[dict] = []
    for item in result:
        if not isinstance(item, dict) or not isinstance(item.get("value"), dict):
            raise ImportError_(f"{where}: a result item has no 'value' object")
        if item.get("type") == "labels":
            v = item["value"]
            labels = v.get("labels") or []
            if not labels or labels[0] not in TYPES:
                raise ImportError_(f"{where}: region {item.get('id')} has label {labels!r}, want one of {list(TYPES)}")
            try:
                start, end = int(v["start"]), int(v["end"])
            except (KeyError, TypeError, ValueError):
                raise ImportError_(f"{where}: region {item.get('id')} has no character start/end "
                                   f"(export as JSON, not JSON-MIN or a paragraph/HTML config)") from None
            if not (0 <= start < end <= len(text)):
                raise ImportError_(f"{where}: region {item.get('id')} span {start}–{end} outside the text")
            rid = str(item.get("id") or f"{start}-{end}")
            regions[rid] = Region(rid, TYPES[labels[0]], start, end, {})
        else:
            extra.append(item)
    for item in extra:
        region = regions.get(str(item.get("id")))
        name = item.get("from_name")
        if region is None or name is None:
            continue  # a per-task control, or an orphan of a deleted region
        v = item["value"]
        raw = v.get("choices") if item.get("type") == "choices" else v.get("text")
        if isinstance(raw, list):
            raw = "\n".join(str(x) for x in raw)
        region.fields[name] = "" if raw is None else str(raw)
    for region in regions.values():
        region.fields = _typed_fields(region.kind, region.fields, where)
    return regions


def _typed_fields(kind: str, raw: dict, where: str) -> dict:
    """Text from the form → gold-scheme values: numbers, 省/市/区 lists, one component per line."""
    out = {}
    for name, value in raw.items():
        value = value.strip()
        if name in ("value", "value_max", "change_from"):
            if value:
                try:
                    out[name] = float(value.replace(",", "").replace("，", ""))
                except ValueError:
                    raise ImportError_(f"{where}: {kind} field {name} is {value!r}, not a number") from None
        elif name == "locality":
            out[name] = [p.strip() for p in value.replace("→", "/").split("/") if p.strip()]
        elif name == "components":
            sep = "\n" if "\n" in value else COMPONENT_SEP.strip()
            out[name] = [p.strip() for p in value.split(sep) if p.strip()]
        else:
            out[name] = value
    allowed = FACT_RECORD_FIELDS if kind == "fact" else MECHANISM_RECORD_FIELDS if kind == "mechanism" else ()
    return clean_fields({k: v for k, v in out.items() if k in allowed})


def _who(annotation: dict) -> str:
    who = annotation.get("completed_by")
    if isinstance(who, dict):
        return str(who.get("email") or who.get("username") or who.get("id") or "unknown")
    if who is None:
        return "unknown"
    return f"labelstudio-user-{who}"


class _Baseline:
    """The pre-annotations an annotation is compared with: the export's predictions, else the catalogue."""

    def __init__(self, db: Path | None):
        self.conn = _connect(db) if db and Path(db).exists() else None
        self.chains = locality_chains(self.conn) if self.conn else {}

    def for_task(self, task: dict, doc: dict, where: str) -> dict[str, Region] | None:
        preds = [p for p in task.get("predictions") or [] if isinstance(p, dict) and "result" in p]
        if preds:
            return parse_regions(preds[-1]["result"], f"{where} predictions", doc["text"])
        if self.conn is None:
            return None
        row = self.conn.execute("select id, text from documents where sha256 = ?", [doc["sha256"]]).fetchone()
        if row is None:
            return None
        return parse_regions(document_predictions(self.conn, {"id": row["id"], "text": row["text"]}, self.chains),
                             f"{where} catalogue", doc["text"])

    def fields_of(self, kind: str, rid: str) -> dict | None:
        if self.conn is None:
            return None
        table = "facts" if kind == "fact" else "mechanisms"
        row = self.conn.execute(f"select * from {table} where id = ?", [rid]).fetchone()
        return row_fields(kind, dict(row), self.chains) if row else None


def _record(kind: str, action: str, doc: dict, start: int, end: int, fields: dict, rid: str | None,
            who: str, when: str) -> dict:
    text = doc["text"]
    anchor = text[start:end]
    rec = {"type": kind, "doc": doc["source_name"], "anchor": anchor,
           "occurrence": occurrence_of(text, start, anchor), **fields, "action": action, "who": who,
           "when": when, "document_sha256": doc["sha256"]}
    if rid:
        rec["id"] = rid
    return rec


def compare(doc: dict, predicted: dict[str, Region] | None, annotated: dict[str, Region], who: str,
            when: str, notes: list[str]) -> list[dict]:
    """Regions of one annotation vs the predictions → accept / reject / edit / add records."""
    recs: list[dict] = []
    predicted = predicted or {}
    by_span = {(r.kind, r.start, r.end): r for r in predicted.values()}
    matched: set[str] = set()
    skipped_places = 0
    for region in annotated.values():
        pred = predicted.get(region.id)
        if pred is None or (pred.kind, pred.start, pred.end) != (region.kind, region.start, region.end):
            pred = by_span.get((region.kind, region.start, region.end), pred)
        if region.kind == "locality" or (pred is not None and pred.kind == "locality"):
            if pred is not None and pred.kind == "locality":
                matched.add(pred.id)
            if pred is None or (pred.start, pred.end) != (region.start, region.end):
                skipped_places += 1
            continue
        if pred is not None and (pred.kind, pred.start, pred.end) == (region.kind, region.start, region.end):
            matched.add(pred.id)
            # Fields the form left empty keep the prediction's value only if the annotator
            # never saw that control; Label Studio drops empty per-region results, so an
            # emptied field and an untouched one look alike: the annotation's fields win.
            action = "accept" if region.fields == pred.fields else "edit"
            recs.append(_record(region.kind, action, doc, region.start, region.end, region.fields, pred.id, who, when))
        else:
            if pred is not None:
                notes.append(f"{doc['source_name']}: {pred.kind} {pred.start}–{pred.end} moved to "
                             f"{region.start}–{region.end}: recorded as reject + add")
            recs.append(_record(region.kind, "add", doc, region.start, region.end, region.fields, None, who, when))
    for pred in predicted.values():
        if pred.id in matched:
            continue
        if pred.kind == "locality":
            skipped_places += 1
            continue
        recs.append(_record(pred.kind, "reject", doc, pred.start, pred.end, pred.fields, pred.id, who, when))
    if skipped_places:
        notes.append(f"{doc['source_name']}: {skipped_places} LOCALITY region change(s) not recorded "
                     f"(set the locality field of the fact or mechanism instead)")
    return recs


def _load_export(path: Path) -> list[dict]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError as exc:
        raise ImportError_(f"{path}: not UTF-8 text: {exc}") from None
    except json.JSONDecodeError as exc:
        raise ImportError_(f"{path}: not JSON ({exc}); want a Label Studio JSON export or a .csv") from None
    if isinstance(data, dict) and "data" in data:
        data = [data]
    if not isinstance(data, list):
        raise ImportError_(f"{path}: want a JSON list of tasks (Label Studio 'JSON' export), got {type(data).__name__}")
    return data


def _task_document(task, index: int, path: Path) -> dict:
    where = f"{path}: task {index + 1}"
    if not isinstance(task, dict) or not isinstance(task.get("data"), dict):
        raise ImportError_(f"{where}: no 'data' object (is this a Label Studio JSON export?)")
    data, meta = task["data"], task.get("meta") or {}
    text = data.get("text")
    sha = data.get("sha256") or meta.get("sha256")
    name = data.get("source_name") or meta.get("source_name")
    if not isinstance(text, str) or not sha or not name:
        raise ImportError_(f"{where}: data lacks text, sha256 or source_name (tasks must come from "
                           f"`jingyan annotate export`)")
    if hashlib.sha256(text.encode("utf-8")).hexdigest() != sha:
        raise ImportError_(f"{where} ({name}): data.text no longer hashes to its sha256; offsets cannot be trusted")
    return {"text": text, "sha256": sha, "source_name": name}


def import_corrections(export_file: Path, annotations_dir: Path, db: Path | None = None) -> ImportReport:
    """Turn a Label Studio JSON export or an edited CSV into records in ``annotations_dir``.

    Appends to ``annotations/<source_name>.jsonl``; importing the same file twice adds nothing.
    """
    export_file, annotations_dir = Path(export_file), Path(annotations_dir)
    if export_file.suffix.lower() == ".csv":
        return _import_csv(export_file, annotations_dir, db)
    tasks = _load_export(export_file)
    report = ImportReport(str(export_file))
    baseline = _Baseline(db)
    records: list[dict] = []
    for index, task in enumerate(tasks):
        doc = _task_document(task, index, export_file)
        task_id = f", id {task['id']}" if isinstance(task, dict) and task.get("id") is not None else ""
        where = f"{export_file}: task {index + 1}{task_id} ({doc['source_name']})"
        report.tasks += 1
        annotations = [a for a in task.get("annotations") or [] if isinstance(a, dict) and not a.get("was_cancelled")]
        if not annotations:
            continue
        predicted = baseline.for_task(task, doc, where)
        if predicted is None:
            report.notes.append(f"{doc['source_name']}: no predictions in the export and not in --db: "
                                f"every region recorded as add, nothing as reject")
        for ann in sorted(annotations, key=lambda a: str(a.get("updated_at") or a.get("created_at") or "")):
            report.annotations += 1
            regions = parse_regions(ann.get("result"), f"{where} annotation {ann.get('id', '?')}", doc["text"])
            when = str(ann.get("updated_at") or ann.get("created_at") or _now())
            records += _sound(compare(doc, predicted, regions, _who(ann), when, report.notes), doc, where,
                              report)
    return _write(report, annotations_dir, records)


def _sound(records: list[dict], doc: dict, where: str, report: ImportReport) -> list[dict]:
    """The records that are no bad input; each refused one named in ``report.refused``
    (a figure of 1e999, a name with a NUL byte, of one or 300 characters, a whole sentence)."""
    kept = []
    for rec in records:
        problem = record_problem(rec) or sentence_problem(rec, doc["text"])
        if problem:
            report.refused.append(f"{where}: {rec['type']} {rec['anchor'][:30]!r} ({rec['action']}): {problem}")
        else:
            kept.append(rec)
    return kept


def _write(report: ImportReport, annotations_dir: Path, records: list[dict]) -> ImportReport:
    report.records = len(records)
    report.by_action = Counter(r["action"] for r in records)
    added = append_records(annotations_dir, records)
    report.files = {str(p): n for p, n in added.items()}
    report.added = sum(added.values())
    return report


def _now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


# -- CSV ----------------------------------------------------------------------------------------
def _import_csv(path: Path, annotations_dir: Path, db: Path | None) -> ImportReport:
    """facts.csv / mechanisms.csv as exported, edited: ``action`` accept/reject, edited cells → edit,
    rows without ``id`` → add. Untouched rows say nothing (a spreadsheet has no 'submitted')."""
    try:
        # a NUL byte reads as itself (Python 3.11's csv): the cell holding it is refused by its line
        with path.open(encoding="utf-8-sig", newline="") as fh:
            rows = list(csv.DictReader(fh))
    except (UnicodeDecodeError, csv.Error) as exc:
        raise ImportError_(f"{path}: unreadable CSV: {exc}") from None
    header = set(rows[0]) if rows else set()
    kind = "mechanism" if "kind" in header else "fact" if "value" in header else None
    if kind is None or not {"doc", "anchor"} <= header:
        raise ImportError_(f"{path}: not a jingyan facts.csv/mechanisms.csv (want columns doc, anchor, "
                           f"and value or kind)")
    report = ImportReport(str(path), tasks=len(rows))
    baseline = _Baseline(db)
    texts = _texts(baseline, annotations_dir)
    who_default = f"csv:{os.environ.get('USER', 'unknown')}"
    records = []
    for lineno, row in enumerate(rows, 2):
        where = f"{path}: line {lineno}"
        action = (row.get("action") or "").strip().lower()
        given = {k: row.get(k) or "" for k in CSV_COLUMNS[kind]
                 if k in FACT_RECORD_FIELDS + MECHANISM_RECORD_FIELDS and k in row}
        fields = _typed_fields(kind, given, where)
        rid = (row.get("id") or "").strip()
        old = baseline.fields_of(kind, rid) if rid else None
        if not action:
            action = "add" if not rid else "edit" if old is not None and old != fields else ""
        if not action:
            continue
        if action not in ("accept", "reject", "edit", "add"):
            raise ImportError_(f"{where}: action {action!r}, want accept, reject, edit or add")
        doc = _csv_document(row, texts, where)
        try:
            occurrence = int(row.get("occurrence") or 1)
        except ValueError:
            raise ImportError_(f"{where}: occurrence {row.get('occurrence')!r} is not a number") from None
        try:
            start, end = anchor_span(doc["text"], row["anchor"], occurrence)
        except GoldError:
            raise ImportError_(
                f"{where}: anchor {row['anchor']!r} (occurrence {occurrence}) not in {doc['source_name']}") from None
        who = (row.get("who") or "").strip() or who_default
        records += _sound([_record(kind, action, doc, start, end, fields, rid or None, who, _now())], doc, where,
                          report)
    return _write(report, annotations_dir, records)


def _texts(baseline: _Baseline, annotations_dir: Path) -> dict[str, dict]:
    if baseline.conn is None:
        return {}
    rows = baseline.conn.execute("select source_name, sha256, text from documents order by processed_at").fetchall()
    out = {}
    for r in rows:
        out[r["sha256"]] = {"source_name": r["source_name"], "sha256": r["sha256"], "text": r["text"]}
        out[r["source_name"]] = out[r["sha256"]]  # the latest version by name
    return out


def _csv_document(row: dict, texts: dict, where: str) -> dict:
    doc = texts.get((row.get("document_sha256") or "").strip()) or texts.get((row.get("doc") or "").strip())
    if doc is None:
        raise ImportError_(f"{where}: document {row.get('doc')!r} not in the catalogue (pass --db)")
    return doc


__all__ = ["export_tasks", "import_corrections", "ImportError_", "ImportReport", "labeling_config"]
