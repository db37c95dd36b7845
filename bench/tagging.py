"""Tagging throughput (chars/s) beside bare ``jieba.lcut`` over the same text.

    python bench/tagging.py [FOLDER]     (default: corpus/)
"""
from __future__ import annotations

import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from pipeline.ingest import discover, read_document  # noqa: E402
from pipeline.settings import Settings  # noqa: E402
from pipeline.tagging import tag  # noqa: E402


def best_of(runs: int, fn) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return min(times)


def main(folder: Path) -> dict:
    import jieba

    settings = Settings()
    docs = [read_document(p, settings) for p in discover([folder])]
    chars = sum(len(d.text) for d in docs)
    tag(docs[0], settings)  # load dictionaries outside the timing
    tokenizer = jieba.Tokenizer()
    tokenizer.initialize()
    repeat = max(1, 200_000 // max(1, chars))
    t_tag = best_of(3, lambda: [tag(d, settings) for d in docs * repeat])
    t_lcut = best_of(3, lambda: [tokenizer.lcut(d.text) for d in docs * repeat])
    result = {"documents": len(docs) * repeat, "chars": chars * repeat,
              "tag_chars_per_s": round(chars * repeat / t_tag), "lcut_chars_per_s": round(chars * repeat / t_lcut),
              "ratio": round(t_tag / t_lcut, 2)}
    for k, v in result.items():
        print(f"{k:>18}: {v}")
    return result


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else REPO / "corpus")
