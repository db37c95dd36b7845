"""Tiny HanLP components the tagging tests save to disk and load through ``hanlp.load``.

Real HanLP models download from the internet; these are made from a word list the
test writes, so the adapter's real loading path runs offline.
"""
from __future__ import annotations

from pathlib import Path

from hanlp.common.component import Component


class _Tiny(Component):
    def __init__(self) -> None:
        super().__init__()
        self.config = {}  # HanLP's loader records the load path here


class WordListTokenizer(_Tiny):
    """Forward maximum matching over ``words.txt``; a character where no word fits."""

    def load(self, save_dir, **kwargs):
        self.words = set(Path(save_dir, "words.txt").read_text(encoding="utf-8").split())
        self.longest = max(map(len, self.words))

    def predict(self, text: str, **kwargs) -> list[str]:
        out, i = [], 0
        while i < len(text):
            for size in range(min(self.longest, len(text) - i), 0, -1):
                if size == 1 or text[i:i + size] in self.words:
                    out.append(text[i:i + size])
                    i += size
                    break
        return out


class WordListTagger(_Tiny):
    """CTB tags from ``tags.txt`` (word TAB tag); NN for the rest."""

    def load(self, save_dir, **kwargs):
        lines = Path(save_dir, "tags.txt").read_text(encoding="utf-8").splitlines()
        self.tags = dict(line.split("\t") for line in lines if line)

    def predict(self, words: list[str], **kwargs) -> list[str]:
        return [self.tags.get(w, "NN") for w in words]
