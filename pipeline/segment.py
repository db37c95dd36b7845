"""jieba's word segmentation, exactly as ``jieba.Tokenizer.cut`` cuts, many times faster.

jieba builds a DAG of dictionary words for each run of Han characters, then a route
through it (two passes, a dict of lists and a dict of tuples); here one backward pass over
the run does both with two flat lists, and the whole cut (runs, routes, the words along
them) is C (``_route.c``) where that was compiled, the same cut in Python where not. With
``hmm=True``, runs of single characters the dictionary does not know as a word go to
jieba's own HMM (``jieba.finalseg``), as in ``cut(text, HMM=True)``; without, single Latin
letters and digits join into one word, as in ``cut(text, HMM=False)``. The tagging stage
cuts with the HMM (it finds names); the search index and its queries cut without (a query
and a document must be cut alike).

    >>> segmenter().cut("推行红色物业。")
    ['推行', '红色物业', '。']

A process holds one segmenter over jieba's dictionary and ``data/domain_dict.txt``
(``segmenter()``): the search index cuts with it, and so does the tagger whenever its
dictionaries are that same one (jieba's tables are ~40 MB each; two equal ones are waste).
"""
from __future__ import annotations

import functools
import math
import re
import sys
import threading
from pathlib import Path
from typing import Callable, Iterator

try:  # the route in C, compiled from _route.c at install where a C compiler is (setup.py)
    from . import _route as _compiled
except ImportError:  # pragma: no cover - then the same route in Python, ~6 times slower
    _compiled = None

# Full-width ASCII (ＡＢＣ２０２３，) → ASCII, as a str.translate table: the tagger and the search
# index fold with it alike, so the tagger's cut of a paragraph is also the index's.
FULL_WIDTH_ASCII = {c: c - 0xFEE0 for c in range(0xFF01, 0xFF5F)}
WORD_CHAR = re.compile("[\u4E00-\u9FD5a-zA-Z0-9+#&\\._%\\-]")  # what jieba may join into a word
_HAN = re.compile(f"({WORD_CHAR.pattern}+)")  # jieba's re_han_default
_SKIP = re.compile(r"(\r\n|\s)")  # jieba's re_skip_default
_LATIN_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")
PREFIX = 1.0
HMM_MEMO_MAX = 200_000  # distinct runs whose HMM cut a process remembers (~40 MB at most)
# the words the search index cuts with (beside jieba's own); the tagger adds annotators' lists
DICTIONARY = Path(__file__).parent / "data" / "domain_dict.txt"

_load_lock = threading.Lock()  # held while jieba loads (~1 s)
_segmenter = None  # the process's Segmenter over DICTIONARY, loaded on first use


def load_tokenizer(dictionaries=(), cache_dir: Path | None = None):
    """A private jieba.Tokenizer (never jieba's global one) with these user dictionaries;
    jieba keeps its dictionary cache in ``cache_dir`` (in memory only if that is unwritable)."""
    import logging

    import jieba

    jieba.setLogLevel(logging.WARNING)
    tokenizer = jieba.Tokenizer()
    if cache_dir is not None:
        try:
            cache_dir.mkdir(parents=True, exist_ok=True)
            tokenizer.tmp_dir = str(cache_dir)
        except OSError:
            pass  # read-only home: jieba builds its table in memory
    tokenizer.initialize()
    for path in dictionaries:
        if Path(path).exists():
            tokenizer.load_userdict(str(path))
    return tokenizer


def segmenter(cache_dir: Path | None = None) -> "Segmenter":
    """The process's segmenter over a private jieba tokenizer with ``DICTIONARY``, loaded
    once (~1 s) on first use and shared by the search index and the tagger; jieba keeps its
    dictionary cache in ``cache_dir`` (default: the user cache) when this first use builds it."""
    global _segmenter
    if _segmenter is None:
        with _load_lock:
            if _segmenter is None:
                _segmenter = Segmenter(load_jieba(cache_dir))
    return _segmenter


def load_jieba(cache_dir: Path | None = None):
    """A private jieba.Tokenizer (never jieba's global one) with ``DICTIONARY``; its
    dictionary cache in ``cache_dir``, by default the user cache (as the tagging stage's)."""
    from .settings import user_cache_dir

    return load_tokenizer((DICTIONARY,), cache_dir or user_cache_dir() / "jieba")


class WordMemo(dict):
    """word → ``work_out(word)``, each word worked out on its first look-up (``__missing__``),
    so that ``map(memo.__getitem__, words)`` runs at C speed over the words seen before: a
    corpus repeats few distinct words. Bounded: emptied when it holds ``max_words`` (names
    the HMM finds keep coming).

    >>> lengths = WordMemo(len, max_words=2)
    >>> list(map(lengths.__getitem__, ["党建", "网格", "党建", "红色物业"])), len(lengths)
    ([2, 2, 2, 4], 1)
    """

    def __init__(self, work_out: Callable[[str], object], max_words: int):
        super().__init__()
        self._work_out, self._max_words = work_out, max_words

    def __missing__(self, word: str):
        if len(self) >= self._max_words:
            self.clear()
        value = self[word] = self._work_out(word)
        return value


class Segmenter:
    """The segmentation of one loaded ``jieba.Tokenizer`` (its dictionary and user words).

    Read the tokenizer after its dictionaries are loaded: the word table is shared, the
    total frequency is read once.
    """

    def __init__(self, jieba_tokenizer):
        from jieba import finalseg

        jieba_tokenizer.check_initialized()
        self.tokenizer = jieba_tokenizer
        self.freq = jieba_tokenizer.FREQ  # words and their prefixes (prefixes with frequency 0)
        self.logtotal = math.log(jieba_tokenizer.total)
        # the compiled route keeps the word table as a trie (~9 MB), its log probabilities
        # worked out in C from the frequencies (the Python route makes the 38 MB ``_logp``)
        self._trie = _compiled.build(self.freq, PREFIX, self.logtotal) if _compiled else None
        self._finalseg = finalseg
        # the HMM's words for a run of characters: runs repeat (的是, 并在, names), and the HMM is
        # a quarter of the cut. Bounded; emptied if jieba's force-split words change (add_word).
        self._hmm_memo: dict[str, tuple[str, ...]] = {}
        self._forced = len(finalseg.Force_Split_Words)

    def cut(self, text: str, hmm: bool = False) -> list[str]:
        """The words of text, with jieba's HMM or without (``jieba.Tokenizer.cut(text, HMM=hmm)``)."""
        with_hmm, plain = self._cut(text, hmm, not hmm)
        return with_hmm if hmm else plain

    def cut_both(self, text: str) -> tuple[list[str], list[str]]:
        """``(cut(text, hmm=True), cut(text))`` from one route per block: the tagger's words
        and the search index's words of the same text for the price of one cut."""
        return self._cut(text, True, True)

    def _cut(self, text: str, hmm: bool, plain: bool) -> tuple[list[str] | None, list[str] | None]:
        """(the words with the HMM if ``hmm``, the plain words if ``plain``).

        Every word is interned (``sys.intern``): a long document repeats few words, and its
        tokens hold one string per distinct word, not a copy per token.
        """
        if self._trie is None:
            return self._python_cut(text, hmm, plain)
        if not hmm:
            return _compiled.cut(self._trie, text, self.logtotal, plain)
        # the compiled cut looks runs up in the HMM's memo itself, and asks _hmm only for new ones
        self._check_force_split_words()
        return _compiled.cut(self._trie, text, self.logtotal, plain, (self.freq, self._hmm_memo, self._hmm))

    def _python_cut(self, text: str, hmm: bool, plain: bool) -> tuple[list[str] | None, list[str] | None]:
        """``_cut`` in Python, as the compiled cut does it."""
        with_hmm_words: list[str] | None = [] if hmm else None
        plain_words: list[str] | None = [] if plain else None
        for block, is_words in _blocks(text):
            if is_words:
                end = self._route(block)
                if with_hmm_words is not None:
                    with_hmm_words += map(sys.intern, self._with_hmm(block, end))
                if plain_words is not None:
                    plain_words += map(sys.intern, self._plain(block, end))
            else:
                if with_hmm_words is not None:
                    with_hmm_words += map(sys.intern, block)
                if plain_words is not None:
                    plain_words += map(sys.intern, block)
        return with_hmm_words, plain_words

    @functools.cached_property
    def _logp(self) -> dict[str, float]:
        """Each word's log probability, worked out once (a cut would take ~2 logarithms per
        character); prefixes map to PREFIX, which no log probability (<= 0) can equal."""
        return {w: (math.log(f) - self.logtotal if f else PREFIX) for w, f in self.freq.items()}

    def _route(self, s: str) -> list[int]:
        """end[k]: where the first word of the most probable route through s[k:] ends.

        >>> segmenter()._route("推行红色物业")  # 推行 | 红色物业
        [2, 2, 6, 4, 6, 6, 0]
        """
        if self._trie is not None:
            return _compiled.route(self._trie, s, self.logtotal)
        return self._python_route(s)

    def _python_route(self, s: str) -> list[int]:
        """``_route`` in Python: jieba's DAG and route in one backward pass with flat lists."""
        n, logp_get, logtotal = len(s), self._logp.get, self.logtotal
        best = [0.0] * (n + 1)  # best[k]: log probability of the best route through s[k:]
        end = [0] * (n + 1)
        for k in range(n - 1, -1, -1):
            score, stop, i = None, k + 1, k + 1
            p = logp_get(s[k])
            while p is not None:  # every dictionary word starting at k
                if p != PREFIX:
                    v = p + best[i]
                    if score is None or v >= score:  # ties go to the longer word, as in jieba
                        score, stop = v, i
                if i >= n:
                    break
                i += 1
                p = logp_get(s[k:i])
            if score is None:  # unknown character: a word of its own with frequency 1
                score, stop = best[k + 1] - logtotal, k + 1
            best[k], end[k] = score, stop
        return end

    @staticmethod
    def _plain(s: str, end: list[int]) -> Iterator[str]:
        x, n, latin = 0, len(s), ""
        while x < n:  # single Latin letters and digits join into one word: 895, ABC
            word = s[x:end[x]]
            if len(word) == 1 and word in _LATIN_CHARS:
                latin += word
            else:
                if latin:
                    yield latin
                    latin = ""
                yield word
            x = end[x]
        if latin:
            yield latin

    def _with_hmm(self, s: str, end: list[int]) -> Iterator[str]:
        x = x_start = 0  # s[x_start:x] is a run of one-character words
        n = len(s)
        while x < n:
            y = end[x]
            if y - x == 1:
                x = y
                continue
            if x > x_start:
                yield from self._singles(s[x_start:x])
            yield s[x:y]
            x = x_start = y
        if n > x_start:
            yield from self._singles(s[x_start:n])

    def _check_force_split_words(self) -> None:
        """Forget the HMM's cuts when jieba's force-split words changed (``add_word(w, freq=0)``)."""
        forced = len(self._finalseg.Force_Split_Words)
        if forced != self._forced:
            self._hmm_memo.clear()
            self._forced = forced

    def _singles(self, run: str) -> tuple[str, ...]:
        """A run of one-character words: the HMM joins it into words unless the run itself
        is a dictionary word (then jieba keeps the characters apart, and so do we)."""
        if len(run) == 1:
            return (sys.intern(run),)
        if not self.freq.get(run):
            return self._hmm(run)
        return tuple(map(sys.intern, run))

    def _hmm(self, run: str) -> tuple[str, ...]:
        self._check_force_split_words()
        if len(self._hmm_memo) >= HMM_MEMO_MAX:
            self._hmm_memo.clear()
        words = self._hmm_memo.get(run)
        if words is None:
            words = self._hmm_memo[run] = tuple(map(sys.intern, self._finalseg.cut(run)))
        return words


def _blocks(text: str) -> Iterator[tuple[object, bool]]:
    """(a run of Han characters, Latin letters and digits, True) to segment, or (its
    punctuation and spaces as a list of words, False): one character each, a run of \r\n
    one word, as jieba does."""
    for block in _HAN.split(text):
        if not block:
            continue
        if _HAN.match(block):
            yield block, True
        else:
            pieces: list[str] = []
            for piece in _SKIP.split(block):
                if piece:
                    pieces += (piece,) if _SKIP.match(piece) else piece
            yield pieces, False
