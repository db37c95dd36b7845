"""Build a benchmark corpus of N documents from real text: the seeds' paragraphs recombined.

Each document takes 8–30 body paragraphs from the five seeds, swaps the seeds' districts
for other real districts (from the gazetteer) with their cities and provinces, and
rescales every Arabic figure, so documents differ as real ones do while keeping the
genre's sentences. Deterministic for a given N and seed.

    python bench/generate.py 1000 bench/out/corpus_1000
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


def generate(n: int, out: Path, seed: int = 7) -> Path:
    out.mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed)
    paras, places = seed_paragraphs(), districts()
    for i in range(n):
        path = out / f"doc{i:05d}.txt"
        if not path.exists():
            path.write_text(make_document(i, paras, places, rng), encoding="utf-8")
        else:
            make_document(i, paras, places, rng)  # keep the random stream identical
    return out


if __name__ == "__main__":
    count = int(sys.argv[1])
    target = Path(sys.argv[2]) if len(sys.argv) > 2 else REPO / "bench" / "out" / f"corpus_{count}"
    print(generate(count, target))
