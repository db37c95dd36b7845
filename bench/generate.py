"""Build a benchmark corpus of N documents from real text, in one of two kinds:

- ``bench`` (the default): the seeds' paragraphs recombined. Each document takes 8–30 body
  paragraphs from the five seeds, swaps the seeds' districts for other real districts (from
  the gazetteer) with their cities and provinces, and rescales every Arabic figure, so
  documents differ as real ones do while keeping the genre's sentences.
- ``seeds``: each document is a whole seed (cycling through corpus/), its page furniture,
  headings, places and names as they are, with every figure changed (dates and years kept):
  the texts users bring are denser in figures, places and names than recombined paragraphs.

Deterministic for a given N, kind and seed.

    python bench/generate.py 1000 bench/out/corpus_1000
    python bench/generate.py 1000 bench/out/seeds_1000 --kind seeds
"""
from __future__ import annotations

import random
import re
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from pipeline.gazetteer import load  # noqa: E402

# The seeds' own places, replaced by the chain of another district.
SEED_PLACES = [("江苏省", "南京市", "鼓楼区"), ("江西省", "南昌市", ""), ("浙江省", "宁波市", "鄞州区"),
               ("福建省", "福州市", "鼓楼区"), ("江苏省", "南京市", "栖霞区")]
FIGURE = re.compile(r"(?<![\d.])(\d+(?:\.\d+)?)(?=[万亿]?[个名家项所位次人户%条件场类])")


# Every figure of a seed-like document, but not a date's or a year's parts (2021年04月06日,
# 2021-04-14 15:09) nor the digits of a formula (1+3+N).
SEED_FIGURE = re.compile(r"(?<![\d.+\-:])(\d+(?:\.\d+)?)(?![\d.+\-:年月日号版期届]|\s*[年月日号版期])")


def seed_texts() -> list[str]:
    return [path.read_text(encoding="utf-8") for path in sorted((REPO / "corpus").glob("*.txt"))]


def rescale_figure(match: re.Match, rng: random.Random) -> str:
    """A new value for a seed's figure; a year (1900–2099) stays as it is."""
    figure = match.group(1)
    if len(figure) == 4 and figure[:2] in ("19", "20"):
        return figure
    return rescale(match, rng)


def make_seed_like(i: int, seeds: list[str], rng: random.Random) -> str:
    return SEED_FIGURE.sub(lambda m: rescale_figure(m, rng), seeds[i % len(seeds)])


def seed_paragraphs() -> list[str]:
    paras = []
    for path in sorted((REPO / "corpus").glob("*.txt")):
        for line in path.read_text(encoding="utf-8").splitlines():
            line = line.strip()
            if len(line) >= 60 and line[-1] in "。”":  # body paragraphs, not furniture
                paras.append(line)
    return paras


def districts() -> list[tuple[str, str, str]]:
    g = load()
    out = []
    for region in g.regions.values():
        if region.level != "district":
            continue
        chain = [r.name for r in g.lineage(region.adcode)]
        if len(chain) == 3:
            out.append(tuple(chain))
    return sorted(out)


def rescale(match: re.Match, rng: random.Random) -> str:
    value = float(match.group(1))
    new = value * rng.uniform(0.5, 2.0)
    return f"{new:.1f}" if "." in match.group(1) else str(max(1, round(new)))


def make_document(i: int, paras: list[str], places: list[tuple[str, str, str]], rng: random.Random) -> str:
    province, city, district = rng.choice(places)
    chosen = rng.sample(paras, rng.randint(8, min(30, len(paras))))
    text = "\n".join(chosen)
    for seed_province, seed_city, seed_district in SEED_PLACES:
        text = text.replace(seed_province, province).replace(seed_city, city)
        if seed_district:
            text = text.replace(seed_district, district)
    text = FIGURE.sub(lambda m: rescale(m, rng), text)
    title = f"{city}{district}:党建引领基层治理的实践探索(之{i})"
    return f"{title}\n\n{text}\n"


KINDS = ("bench", "seeds")


def generate(n: int, out: Path, seed: int = 7, kind: str = "bench") -> Path:
    out.mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed)
    if kind == "seeds":
        seeds = seed_texts()
        make = lambda i: make_seed_like(i, seeds, rng)  # noqa: E731
    else:
        paras, places = seed_paragraphs(), districts()
        make = lambda i: make_document(i, paras, places, rng)  # noqa: E731
    for i in range(n):
        path = out / f"doc{i:05d}.txt"
        text = make(i)  # made even when the file exists, to keep the random stream identical
        if not path.exists():
            path.write_text(text, encoding="utf-8")
    return out


if __name__ == "__main__":
    import argparse

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("count", type=int)
    parser.add_argument("target", nargs="?", type=Path)
    parser.add_argument("--kind", choices=KINDS, default="bench")
    args = parser.parse_args()
    prefix = "corpus" if args.kind == "bench" else "seeds"
    print(generate(args.count, args.target or REPO / "bench" / "out" / f"{prefix}_{args.count}", kind=args.kind))
