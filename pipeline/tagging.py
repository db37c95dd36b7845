"""Document → Tagged: body sentences with jieba (or HanLP) tokens and POS, as spaCy Docs.

The stage every extractor reads. Paragraphs are the lines of the body; sentences end
at 。!? (and their ASCII forms) unless inside “…” quotes, and take a closing quote
with them: ``他说:“好。”然后`` splits after ``”``.
"""
from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator, Protocol

from .records import Document, Sentence, Token
from .settings import Settings

SENTENCE_END = set("。!?!?")
OPEN_QUOTES = set("“‘「『")
CLOSE_QUOTES = set("”’」』")
MAX_SENTENCE_CHARS = 600  # a runaway unbalanced quote must not swallow a paragraph


class TaggerUnavailable(RuntimeError):
    """The configured tagger cannot run here (models missing, package not installed)."""


@dataclass
class Tagged:
    """A document with its body sentences tokenised and tagged.

    ``docs`` holds one spaCy ``Doc`` per body paragraph, with ``doc.user_data['offset']``
    its start in ``Document.text``, so spans found later can be drawn on them.
    """

    document: Document
    sentences: list[Sentence]
    docs: list = field(default_factory=list)


def paragraphs(document: Document) -> Iterator[tuple[int, int]]:
    """[start, end) of each non-blank body line: offsets into Document.text."""
    spans = document.body_spans or ((0, len(document.text)),)
    for span_start, span_end in spans:
        pos = span_start
        for line in document.text[span_start:span_end].split("\n"):
            start, end = pos, pos + len(line)
            pos = end + 1
            stripped_start = start + (len(line) - len(line.lstrip()))
            stripped_end = start + len(line.rstrip())
            if stripped_end > stripped_start:
                yield stripped_start, stripped_end


def split_sentences(text: str, offset: int = 0) -> list[tuple[int, int]]:
    """Sentence spans within one paragraph.

    >>> split_sentences("近年来,南京市鼓楼区开展“将军讲党史”活动。首场邀请朱文泉将军。")
    [(0, 23), (23, 32)]
    """
    spans: list[tuple[int, int]] = []
    start, depth, i, n = 0, 0, 0, len(text)
    while i < n:
        ch = text[i]
        if ch in OPEN_QUOTES:
            depth += 1
        elif ch in CLOSE_QUOTES:
            depth = max(0, depth - 1)
        if ch in SENTENCE_END:
            j = i + 1
            while j < n and (text[j] in SENTENCE_END or text[j] in CLOSE_QUOTES):
                if text[j] in CLOSE_QUOTES:
                    depth = max(0, depth - 1)
                j += 1
            if depth == 0 or i - start > MAX_SENTENCE_CHARS:
                spans.append((offset + start, offset + j))
                start, depth = j, 0
            i = j
            continue
        i += 1
    if start < n:
        spans.append((offset + start, offset + n))
    return [(s, e) for s, e in spans if text[s - offset:e - offset].strip()]


class Backend(Protocol):
    name: str

    def tokenize(self, text: str) -> list[tuple[str, str]]:
        """(word, tag) pairs whose words concatenate back to text."""


class JiebaBackend:
    """A private jieba Tokenizer with the domain dictionary; POS by dictionary lookup.

    Lookup in jieba's own word/tag table is what ``posseg`` returns for known words,
    at ``lcut`` speed; words jieba's HMM invents get a tag from their shape.
    """

    name = "jieba"

    def __init__(self, dictionaries: tuple[Path, ...] = (), cache_dir: Path | None = None):
        import jieba
        import jieba.posseg

        self._tokenizer = jieba.Tokenizer()
        if cache_dir is not None:
            cache_dir.mkdir(parents=True, exist_ok=True)
            self._tokenizer.tmp_dir = str(cache_dir)
        _quiet_jieba()
        self._tokenizer.initialize()
        for path in dictionaries:
            if Path(path).exists():
                self._tokenizer.load_userdict(str(path))
        self._tags = jieba.posseg.POSTokenizer(self._tokenizer).word_tag_tab
        self._user_tags = self._tokenizer.user_word_tag_tab

    def tag_of(self, word: str) -> str:
        tag = self._user_tags.get(word) or self._tags.get(word)
        if tag:
            return tag
        if word.isspace():
            return "x"
        if re.fullmatch(r"[0-9０-９.．%％]+", word):
            return "m"
        if re.fullmatch(r"[A-Za-z]+", word):
            return "eng"
        if re.fullmatch(r"[^\w]+", word):
            return "x"
        return "n"  # an HMM-found word in this genre is nearly always a name or a noun

    def tokenize(self, text: str) -> list[tuple[str, str]]:
        return [(w, self.tag_of(w)) for w in self._tokenizer.cut(text, HMM=True)]


@functools.lru_cache(maxsize=1)
def _quiet_jieba() -> None:
    import logging

    import jieba

    jieba.setLogLevel(logging.WARNING)


class HanLPBackend:
    """HanLP 2.x tokenisation and POS (CTB tags mapped to jieba's) from ``HANLP_HOME``.

    HanLP downloads models on first use; here the models must already be in
    ``HANLP_HOME``: we check before loading, because HanLP's loader waits on the
    network for ~25 s before it fails.
    """

    name = "hanlp"
    TOK_MODEL = "COARSE_ELECTRA_SMALL_ZH"
    POS_MODEL = "CTB9_POS_ELECTRA_SMALL"
    CTB_TO_JIEBA = {"NN": "n", "NR": "nr", "NT": "t", "VV": "v", "VA": "a", "CD": "m", "M": "q",
                    "AD": "d", "P": "p", "PU": "x", "JJ": "a", "DEG": "uj", "DEC": "uj", "LC": "f",
                    "PN": "r", "CC": "c", "OD": "m", "DT": "r"}

    def __init__(self, hanlp_home: str):
        try:
            import hanlp  # noqa: F401
        except ImportError as exc:
            raise TaggerUnavailable(
                "the HanLP tagger needs the optional extra: pip install 'jingyan[hanlp]'") from exc
        home = Path(hanlp_home) if hanlp_home else None
        missing = hanlp_models_missing(home, (self.TOK_MODEL, self.POS_MODEL))
        if missing:
            raise TaggerUnavailable(
                f"HanLP models not found in HANLP_HOME={home or '(unset)'}: missing {', '.join(missing)}. "
                "Download them on a machine with internet access (python -c \"import hanlp; "
                f"hanlp.load(hanlp.pretrained.tok.{self.TOK_MODEL})\"), then copy that HANLP_HOME here "
                "and set HANLP_HOME to it.")
        import os

        import hanlp

        os.environ["HANLP_HOME"] = str(home)
        self._tok = hanlp.load(getattr(hanlp.pretrained.tok, self.TOK_MODEL))
        self._pos = hanlp.load(getattr(hanlp.pretrained.pos, self.POS_MODEL))

    def tokenize(self, text: str) -> list[tuple[str, str]]:
        words = self._tok(text)
        tags = self._pos(words)
        return [(w, self.CTB_TO_JIEBA.get(t, "n")) for w, t in zip(words, tags)]


def hanlp_models_missing(home: Path | None, names: tuple[str, ...]) -> list[str]:
    """Which of HanLP's pretrained models have no unpacked folder under ``home``.

    HanLP unpacks a model ``…/close_tok_pku_electra_small_20210111_…zip`` into a
    folder of the same stem under ``$HANLP_HOME``; we look for any folder whose name
    contains the model's identifying stem.
    """
    if home is None or not home.is_dir():
        return list(names)
    try:
        import hanlp
        urls = {n: getattr(getattr(hanlp.pretrained, "tok"), n, None) or getattr(hanlp.pretrained.pos, n, "")
                for n in names}
    except Exception:
        urls = {n: n for n in names}
    folders = [p.name for p in home.rglob("*") if p.is_dir()]
    missing = []
    for name, url in urls.items():
        stem = Path(str(url)).name.split(".zip")[0] if url else name.lower()
        if not any(stem and stem in folder for folder in folders):
            missing.append(name)
    return missing


@functools.lru_cache(maxsize=4)
def _backend(tagger: str, dictionaries: tuple[Path, ...], cache_dir: Path, hanlp_home: str) -> Backend:
    # One loaded backend per process and configuration: loading jieba's tables takes ~1 s.
    if tagger == "jieba":
        return JiebaBackend(dictionaries, cache_dir / "jieba")
    if tagger == "hanlp":
        return HanLPBackend(hanlp_home)
    raise TaggerUnavailable(f"unknown tagger {tagger!r}: choose jieba or hanlp")


def backend_for(settings: Settings) -> Backend:
    dicts = tuple(settings.dictionaries) + annotation_dictionaries(settings.annotations_dir)
    return _backend(settings.tagger, dicts, settings.cache_dir, settings.hanlp_home)


def annotation_dictionaries(folder: Path) -> tuple[Path, ...]:
    """Annotators' word lists (``annotations/*.dict.txt``) join the domain dictionary."""
    folder = Path(folder)
    return tuple(sorted(folder.glob("*.dict.txt"))) if folder.is_dir() else ()


class _SpacyTokenizer:
    """A spaCy tokenizer that asks our backend; tags land in ``token.tag_``.

    It also sets sentence starts (our splitter, see ``split_sentences``) and keeps the
    (word, tag) pairs in ``doc.user_data`` so that ``tag`` never iterates spaCy tokens
    (that iteration cost as much as jieba itself).
    """

    def __init__(self, vocab, backend: Backend):
        self.vocab = vocab
        self.backend = backend

    def __call__(self, text: str):
        from spacy.tokens import Doc

        pairs = [(w, t) for w, t in self.backend.tokenize(text) if w] or [(text, "x")]
        words = [w for w, _ in pairs]
        bounds = split_sentences(text)
        starts = {s for s, _ in bounds}
        sent_starts, pos = [], 0
        for w in words:
            sent_starts.append(pos in starts or pos == 0)
            pos += len(w)
        doc = Doc(self.vocab, words=words, spaces=[False] * len(words), tags=[t for _, t in pairs],
                  sent_starts=sent_starts)
        doc.user_data["pairs"] = pairs
        doc.user_data["sentences"] = bounds
        return doc


@functools.lru_cache(maxsize=4)
def _nlp(backend: Backend):
    import spacy

    nlp = spacy.blank("zh")
    nlp.tokenizer = _SpacyTokenizer(nlp.vocab, backend)
    return nlp


def tag(document: Document, settings: Settings) -> Tagged:
    """Tokenise and tag the document's body, a spaCy Doc per paragraph (never one per file)."""
    nlp = _nlp(backend_for(settings))
    paras = list(paragraphs(document))
    sentences: list[Sentence] = []
    docs = []
    texts = (document.text[s:e] for s, e in paras)
    for index, ((p_start, _), doc) in enumerate(zip(paras, nlp.pipe(texts, batch_size=256))):
        doc.user_data["offset"] = p_start
        doc.user_data["paragraph"] = index
        tokens, pos = [], p_start
        for word, word_tag in doc.user_data.pop("pairs"):
            tokens.append(Token(pos, pos + len(word), word, word_tag))
            pos += len(word)
        ti = 0
        for s_start, s_end in doc.user_data.pop("sentences"):
            s_start, s_end = s_start + p_start, s_end + p_start
            first = ti
            while ti < len(tokens) and tokens[ti].start < s_end:
                ti += 1
            sentences.append(Sentence(s_start, s_end, document.text[s_start:s_end], index, tuple(tokens[first:ti])))
        docs.append(doc)
    return Tagged(document, sentences, docs)
