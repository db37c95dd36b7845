"""Every extraction of a corpus, all fields, as sorted JSON Lines: the check that a change
which should not alter output did not.

    python bench/dump.py corpus/ > before.jsonl      # on the old code
    python bench/dump.py corpus/ > after.jsonl       # on the new code
    cmp before.jsonl after.jsonl

    python bench/dump.py --index-tokens corpus/ > before.jsonl   # with the search index's tokens

One line per record: the document's metadata and locality, each fact, each mechanism (with
its practice key and category), each placed span. Sorted, so the order stages emit them in
does not matter; nothing but the extraction (no timings, no paths outside the corpus).
"""
from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from pipeline import catalogue, ingest, practices  # noqa: E402
from pipeline.process import process_document  # noqa: E402
from pipeline.settings import Settings  # noqa: E402


def records(path: Path, settings: Settings, index_tokens: bool = False) -> list[dict]:
    doc = ingest.read_document(path, settings)
    ex = process_document(doc, settings)
    name = path.name
    meta = {k: v for k, v in doc.as_dict().items() if k not in ("text", "path")}
    out = [{"kind": "document", "file": name, **meta,
            "document_locality": ex.document_locality.as_dict() if ex.document_locality else None}]
    out += [{"kind": "fact", "file": name, **f.as_dict()} for f in ex.facts]
    out += [{"kind": "mechanism", "file": name, **m.as_dict(), "practice_key": practices.practice_key(m.name),
             "category": practices.categorize(m.name, m.definition)} for m in ex.mechanisms]
    out += [{"kind": "place", "file": name, **p.as_dict()} for p in ex.places]
    if index_tokens:  # every indexed text's tokens, as the writer hands them to FTS5 (hashed)
        out += [{"kind": "index_tokens", "file": name, "text": hashlib.sha1(text.encode()).hexdigest(),
                 "tokens": hashlib.sha1(tokens.words + b"|" + tokens.flags).hexdigest()}
                for text, tokens in catalogue.index_tokens_for(ex).items()]
    return out


def main(argv: list[str]) -> int:
    settings = Settings()
    index_tokens = "--index-tokens" in argv
    lines = []
    for path in ingest.discover([a for a in argv if a != "--index-tokens"]):
        try:
            recs = records(Path(path), settings, index_tokens)
        except ingest.IngestError as e:
            recs = [{"kind": "refused", "file": Path(path).name, "reason": str(e)}]
        lines += [json.dumps(r, ensure_ascii=False, sort_keys=True, default=list) for r in recs]
    sys.stdout.write("".join(line + "\n" for line in sorted(lines)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
