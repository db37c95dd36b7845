"""One large document against the same text as several small ones (issue 20): a document's
cost should be linear in its size.

Builds one document of ``--mb`` MB from seed-like documents (``bench/generate.py --kind
seeds``: whole seeds with their figures changed), and the same text cut at document
boundaries into ``--pieces`` files, runs ``jingyan run`` on each into a fresh catalogue,
and reports the flow's own seconds (the ``runs`` table), the wall time and the peak RSS of
the command's processes, and the ratio large / pieces (target ≤ 1.2, peak RSS < 1 GB).

    python bench/large.py                 # 12 MB against twelve 1 MB documents
    python bench/large.py --mb 2 --pieces 2

Raw numbers land in bench/out/large_<mb>mb.json.
"""
from __future__ import annotations

import argparse
import json
import shutil
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
OUT = REPO / "bench" / "out"
JINGYAN = str(Path(sys.executable).parent / "jingyan")
sys.path.insert(0, str(REPO))

from bench.generate import generate  # noqa: E402
from bench.run import PEAK_WRAPPER, remove_catalogue  # noqa: E402


def build(mb: float, pieces: int, where: Path) -> tuple[Path, Path, int]:
    """(folder with the one large document, folder with the pieces, characters)."""
    per_piece = mb * 2 ** 20 / pieces
    source = generate(int(mb * 110) + 10, OUT / f"seeds_{int(mb * 110) + 10}", kind="seeds")
    texts = iter(path.read_text(encoding="utf-8") for path in sorted(source.glob("*.txt")))
    parts: list[list[str]] = []
    for _ in range(pieces):
        part, size = [], 0
        while size < per_piece:
            text = next(texts)
            part.append(text)
            size += len(text.encode("utf-8"))
        parts.append(part)
    large, small = where / "large", where / "pieces"
    for folder in (large, small):
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
    (large / "large.txt").write_text("\n".join("\n".join(p) for p in parts), encoding="utf-8")
    for i, part in enumerate(parts):
        (small / f"piece{i:02d}.txt").write_text("\n".join(part), encoding="utf-8")
    return large, small, sum(len(t) for p in parts for t in p)


def timed_run(folder: Path, db: Path) -> dict:
    started = time.perf_counter()
    proc = subprocess.run([sys.executable, "-c", PEAK_WRAPPER, JINGYAN, "run", str(folder), "--db", str(db),
                           "--no-progress"], capture_output=True, text=True)
    wall = time.perf_counter() - started
    if proc.returncode != 0:
        raise SystemExit(f"jingyan run failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}")
    peak_kb = int(proc.stderr.strip().splitlines()[-1])
    conn = sqlite3.connect(db)
    flow_s = conn.execute("select seconds from runs order by started desc limit 1").fetchone()[0]
    conn.close()
    return {"flow_s": flow_s, "wall_s": round(wall, 2), "peak_rss_mb": round(peak_kb / 1024, 1)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--mb", type=float, default=12)
    parser.add_argument("--pieces", type=int, default=12)
    args = parser.parse_args()
    where = OUT / f"large_{args.mb:g}mb"
    large, small, chars = build(args.mb, args.pieces, where)
    pieces = timed_run(small, remove_catalogue(where / "pieces.db"))
    one = timed_run(large, remove_catalogue(where / "large.db"))
    result = {"mb": args.mb, "pieces": args.pieces, "chars": chars, "one_document": one, "as_pieces": pieces,
              "large_over_pieces": round(one["flow_s"] / pieces["flow_s"], 2)}
    (OUT / f"large_{args.mb:g}mb.json").write_text(json.dumps(result, indent=2))
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
