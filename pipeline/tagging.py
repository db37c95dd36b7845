"""Document → Tagged: body sentences with jieba (or HanLP) tokens and POS (spaCy Docs on demand).

The stage every extractor reads. Paragraphs are the lines of the body; sentences end
at 。!? (and their ASCII forms) unless inside “…” quotes, and take a closing quote
with them: ``他说:“好。”然后`` splits after ``”``.
"""
from __future__ import annotations

import bisect
import functools
import re
import sys
from dataclasses import dataclass, field
from itertools import accumulate, repeat
from operator import add
from pathlib import Path
from typing import Callable, Iterator, Protocol

from .records import Document, Sentence, Token
from .segment import DICTIONARY, FULL_WIDTH_ASCII, Segmenter, WordMemo, load_tokenizer, segmenter
from .settings import Settings

SENTENCE_END = set("。!?!?")
OPEN_QUOTES = set("“‘「『")
CLOSE_QUOTES = set("”’」』")
# what split_sentences reads of a paragraph (nothing else moves a sentence bound): a quote
# opening or closing, and a sentence end with the ends and closing quotes right after it
_SENTENCE_MARKS = re.compile("[{0}]|[{1}]|[{2}][{2}{1}]*".format(
    *("".join(map(re.escape, sorted(marks))) for marks in (OPEN_QUOTES, CLOSE_QUOTES, SENTENCE_END))))
# a runaway unbalanced quote, or a line with no sentence punctuation (a flattened table, a
# scraped page), must not make one huge sentence: the stages' work per figure and per name
# grows with its sentence. Real reports' sentences stay under ~320 characters.
MAX_SENTENCE_CHARS = 600
# spaCy refuses texts over 1,000,000 characters (E088); a paragraph is cut well before that
MAX_PARAGRAPH_CHARS = 100_000
# where a too-long run is cut, best first: a sentence end, a clause break, a space
CUT_AT = ("。!?!?", "，,；;：:、", " \t\u3000")
MEMO_MAX_WORDS = 500_000  # distinct words whose tag a process remembers (~60 MB at most)


# Full-width and variant punctuation folded to the forms the rules are written for, one
# character for one so that offsets do not move. Every full-width ASCII form (，５Ａ＃) folds as
# the search index folds it, so the tagger's cut of a paragraph is also the index's.
FOLD = str.maketrans({**FULL_WIDTH_ASCII,
                      "\u3000": " ", "「": "“", "」": "”", "『": "‘", "』": "’", "﹃": "“", "﹄": "”"})


# the characters fold() may change (it changes no other): FOLD's, and the straight double quote
_FOLDED_CHARS = re.compile("[{}]".format("".join(map(re.escape, sorted(map(chr, FOLD)) + ['"']))))
# what fold() reads to pair straight quotes: the quotes, and the sentence ends pairing may restart at
_QUOTE_OR_SENTENCE_END = re.compile("[\"{}]".format("".join(map(re.escape, sorted(SENTENCE_END)))))


def fold(text: str) -> str:
    """One form of punctuation, same length: straight quotes alternate into “ and ”.

    >>> fold('以"红帆领航"品牌，建成５个驿站')
    '以“红帆领航”品牌,建成5个驿站'

    With an odd number of straight quotes in the text, pairing restarts at every
    sentence end, so one stray quote cannot flip every quote after it.
    """
    folded = text.translate(FOLD)
    if '"' not in folded:
        return folded
    restart = folded.count('"') % 2 == 1
    # the text between the quotes and sentence ends is kept whole (a loop over every character
    # of a paragraph with a quote cost as much as its cut)
    out, at, opening = [], 0, True
    for mark in _QUOTE_OR_SENTENCE_END.finditer(folded):
        i = mark.start()
        if folded[i] == '"':
            out += folded[at:i], "“" if opening else "”"
            at, opening = i + 1, not opening
        elif restart:
            opening = True
    out.append(folded[at:])
    return "".join(out)


class TaggerUnavailable(RuntimeError):
    """The configured tagger cannot run here (models missing, package not installed)."""


@dataclass
class Tagged:
    """A document with its body sentences tokenised and tagged.

    ``docs`` holds one spaCy ``Doc`` per body paragraph, with ``doc.user_data['offset']``
    its start in ``Document.text``, so spans found later can be drawn on them. They are
    made when first asked for (``render`` draws on them; no stage reads them): making a
    Doc per paragraph for every document cost a tenth of a run and held ~100 bytes a token.
    ``search_words``: each paragraph's (start, end, words) as the search index cuts it,
    from the same route as the tokens (see ``fts.index_tokens``); None when the
    backend cannot say.
    """

    document: Document
    sentences: list[Sentence]
    _docs: list | None = field(default=None, repr=False, compare=False)
    search_words: list[tuple[int, int, list[str]]] | None = None
    # Document.text with each body sentence replaced by its ``norm`` (same length and
    # offsets): rules match on it, names are cut from Document.text at the same offsets
    norm_text: str = ""
    # the title cut and tagged like the body; offsets are the title's own
    title_tokens: tuple[Token, ...] = ()
    # word → tag from the tagger's dictionary, for pieces a rule cuts out of a token
    tag_of: Callable[[str], str] = field(default=lambda word: "n")  # a noun unless the tagger knows
    # the backend that cut the body: the spaCy Docs are made with it when asked for
    backend: "Backend | None" = field(default=None, repr=False, compare=False)

    @property
    def docs(self) -> list:
        if self._docs is None:
            self._docs = spacy_docs(self.document, self.backend) if self.backend is not None else []
        return self._docs


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
                yield from cut_long(document.text, stripped_start, stripped_end, MAX_PARAGRAPH_CHARS)


def cut_long(text: str, start: int, end: int, limit: int) -> Iterator[tuple[int, int]]:
    """[start, end) in pieces of at most ``limit`` characters, each cut after the last sentence
    end, else clause break, else space in its second half, else at the limit.

    >>> [("党员" * 5 + "，" + "居民" * 5)[s:e] for s, e in cut_long("党员" * 5 + "，" + "居民" * 5, 0, 21, 12)]
    ['党员党员党员党员党员，', '居民居民居民居民居民']
    """
    while end - start > limit:
        cut = start + limit
        for marks in CUT_AT:
            at = max(text.rfind(m, start + limit // 2, start + limit) for m in marks)
            if at >= 0:
                cut = at + 1
                break
        yield start, cut
        start = cut
    yield start, end


def split_sentences(text: str, offset: int = 0) -> list[tuple[int, int]]:
    """Sentence spans within one paragraph.

    >>> split_sentences("近年来,南京市鼓楼区开展“将军讲党史”活动。首场邀请朱文泉将军。")
    [(0, 22), (22, 32)]
    """
    spans: list[tuple[int, int]] = []
    start, depth, n = 0, 0, len(text)
    for mark in _SENTENCE_MARKS.finditer(text):
        i, j = mark.span()
        ch = text[i]
        if ch in OPEN_QUOTES:
            depth += 1
        elif ch in CLOSE_QUOTES:
            depth = max(0, depth - 1)
        else:  # a sentence end, with the ends and closing quotes right after it
            if depth:
                depth = max(0, depth - sum(map(mark[0].count, CLOSE_QUOTES)))
            if depth == 0 or i - start > MAX_SENTENCE_CHARS:
                spans.append((offset + start, offset + j))
                start, depth = j, 0
    if start < n:
        spans.append((offset + start, offset + n))
    pieces = (piece for s, e in spans for piece in cut_long(text, s - offset, e - offset, MAX_SENTENCE_CHARS))
    return [(offset + s, offset + e) for s, e in pieces if text[s:e].strip()]


class Backend(Protocol):
    name: str

    def tokenize(self, text: str) -> list[tuple[str, str]]:
        """(word, tag) pairs whose words concatenate back to text."""

    def tag_for_search(self, text: str) -> tuple[list[str], list[str], list[str] | None]:
        """The words and the tags of ``tokenize(text)``, and the search index's words of text
        when this backend cuts as the index does (else None); every word interned
        (``sys.intern``): a long document repeats few words, and a copy per token (~80 bytes
        each, twice with the index's words) was a third of a 12 MB document's memory."""


class JiebaBackend:
    """jieba with the domain dictionary (the search index's own tokenizer when their
    dictionaries agree); POS by dictionary lookup.

    Words are exactly what ``jieba.cut(text, HMM=True)`` returns (see ``segment``).
    Lookup in jieba's own word/tag table is what ``posseg`` returns for known words,
    at ``lcut`` speed; words jieba's HMM invents get a tag from their shape.
    """

    name = "jieba"

    def __init__(self, dictionaries: tuple[Path, ...] = (), cache_dir: Path | None = None):
        self._tags = jieba_word_tags()
        # The search index cuts with segment.DICTIONARY alone. With the same dictionaries,
        # this tagger's cut without HMM is the index's, and one route through the text serves
        # both (annotators' word lists make them differ: then the index cuts on its own).
        loaded = [Path(p).resolve() for p in dictionaries if Path(p).exists()]
        self.cuts_for_search = loaded == [DICTIONARY.resolve()]
        if self.cuts_for_search:
            # the process's segmenter has loaded the same words: a process holds one jieba
            # dictionary and one table of word probabilities (~40 MB each), not two equal ones
            self._segmenter = segmenter(cache_dir)
            self._tokenizer = self._segmenter.tokenizer
        else:
            self._tokenizer = load_tokenizer(dictionaries, cache_dir)
            self._segmenter = Segmenter(self._tokenizer)
        self._user_tags = self._tokenizer.user_word_tag_tab
        # a word's tag never changes once the dictionaries are loaded; the memo spares the
        # fallbacks' regular expressions (a corpus repeats few distinct words), and a
        # paragraph's words are looked up in it at C speed (map over its __getitem__)
        self._memo = WordMemo(self._look_up, MEMO_MAX_WORDS)

    def tag_of(self, word: str) -> str:
        return self._memo[word]

    def _look_up(self, word: str) -> str:
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
        words = self._segmenter.cut(text, hmm=True)
        return list(zip(words, map(self._memo.__getitem__, words)))

    def tag_for_search(self, text: str) -> tuple[list[str], list[str], list[str] | None]:
        if self.cuts_for_search:
            words, plain = self._segmenter.cut_both(text)
        else:
            words, plain = self._segmenter.cut(text, hmm=True), None
        return words, list(map(self._memo.__getitem__, words)), plain


@functools.lru_cache(maxsize=1)
def jieba_word_tags() -> dict[str, str]:
    """jieba's general dictionary, word → part of speech (党员 → n), read from its file once
    per process: the table ``jieba.posseg`` looks words up in, without importing posseg
    (whose global tokenizer would build the same table once more at import)."""
    import jieba

    tags: dict[str, str] = {}
    with jieba.Tokenizer().get_dict_file() as fh:
        for line in fh:
            line = line.strip().decode("utf-8")
            if line:
                word, _, tag = line.split(" ")
                tags[word] = tag
    return tags


class HanLPBackend:
    """HanLP 2.x tokenisation and POS (CTB tags mapped to jieba's), from models already on disk.

    ``tok_model``/``pos_model`` are HanLP pretrained names (``COARSE_ELECTRA_SMALL_ZH``)
    resolved under ``HANLP_HOME`` the way HanLP resolves them, or model folders. HanLP
    downloads a missing model on first use; we check first and fail at once, because
    with no network its loader waits ~25 s before it fails.
    """

    name = "hanlp"
    CTB_TO_JIEBA = {"NN": "n", "NR": "nr", "NT": "t", "VV": "v", "VA": "a", "VC": "v", "VE": "v", "CD": "m",
                    "M": "q", "AD": "d", "P": "p", "PU": "x", "JJ": "a", "DEG": "uj", "DEC": "uj", "LC": "f",
                    "PN": "r", "CC": "c", "CS": "c", "OD": "m", "DT": "r", "AS": "ul", "SP": "y", "ETC": "u",
                    "NR-SHORT": "nr", "FW": "eng", "URL": "x", "BA": "p", "LB": "p", "SB": "p", "MSP": "u"}

    def __init__(self, tok_model: str, pos_model: str, hanlp_home: str = ""):
        import os

        if hanlp_home:
            os.environ["HANLP_HOME"] = hanlp_home  # read by HanLP at import
        try:
            import hanlp
        except ImportError as exc:
            raise TaggerUnavailable(
                "the HanLP tagger needs the optional extra: pip install 'jingyan[hanlp]'") from exc
        home = hanlp_home or os.environ.get("HANLP_HOME", "")
        paths = {m: hanlp_model_path(m, home) for m in (tok_model, pos_model)}
        missing = [m for m, p in paths.items() if p is None]
        if missing:
            raise TaggerUnavailable(
                f"HanLP models not found under HANLP_HOME={home or '(unset: ~/.hanlp)'}: {', '.join(missing)}. "
                "On a machine with internet access run: python -c \"import hanlp; "
                f"hanlp.load('{tok_model}'); hanlp.load('{pos_model}')\" "
                "then copy its HANLP_HOME folder (and the Hugging Face cache its models use) here and set "
                "HANLP_HOME to it, or pass model folders with --hanlp-tok and --hanlp-pos.")
        self._tok = hanlp.load(paths[tok_model])
        self._pos = hanlp.load(paths[pos_model])

    def tokenize(self, text: str) -> list[tuple[str, str]]:
        words = [w for w in self._tok(text) if w]
        tags = self._pos(words) if words else []
        return [(w, self.CTB_TO_JIEBA.get(t, "n")) for w, t in zip(words, tags)]

    def tag_for_search(self, text: str) -> tuple[list[str], list[str], list[str] | None]:
        tagged = self.tokenize(text)  # HanLP's words are not the search index's
        return [sys.intern(w) for w, _ in tagged], [t for _, t in tagged], None


def hanlp_model_path(identifier: str, home: str = "") -> str | None:
    """Where HanLP would find this model on disk, or None when it would have to download it.

    >>> hanlp_model_path("/nonexistent/model")  # neither a folder nor a known name
    """
    if Path(identifier).is_dir():
        return identifier
    import hanlp
    from hanlp.utils.io_util import path_from_url, split_if_compressed

    url = None
    for group in (hanlp.pretrained.tok, hanlp.pretrained.pos):
        url = url or getattr(group, identifier, None)
    url = url or hanlp.pretrained.ALL.get(identifier)
    if not url or not str(url).startswith("http"):
        return None
    kwargs = {"save_dir": home} if home else {}
    realpath, _ = split_if_compressed(path_from_url(url.split("#")[0], **kwargs))
    return realpath if Path(realpath).is_dir() else None


@functools.lru_cache(maxsize=4)
def _backend(tagger: str, dictionaries: tuple[Path, ...], cache_dir: Path, hanlp: tuple[str, str, str]) -> Backend:
    # One loaded backend per process and configuration: loading jieba's tables takes ~1 s.
    if tagger == "jieba":
        return JiebaBackend(dictionaries, cache_dir / "jieba")
    if tagger == "hanlp":
        return HanLPBackend(*hanlp)
    raise TaggerUnavailable(f"unknown tagger {tagger!r}: choose jieba or hanlp")


def backend_for(settings: Settings) -> Backend:
    dicts = tuple(settings.dictionaries) + annotation_dictionaries(settings.annotations_dir)
    return _backend(settings.tagger, dicts, settings.cache_dir,
                    (settings.hanlp_tok, settings.hanlp_pos, settings.hanlp_home))


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
        self._tag_hashes: dict[str, int] = {}

    def _tag_hash(self, tag: str) -> int:
        h = self._tag_hashes.get(tag)
        if h is None:
            h = self._tag_hashes[tag] = self.vocab.strings.add(tag)
        return h

    def __call__(self, text: str):
        import numpy as np
        from spacy.attrs import SENT_START, TAG
        from spacy.tokens import Doc

        words, tags, starts, bounds, _, _ = cut_paragraph(text, self.backend)
        token_at = dict(zip(starts, range(len(starts))))
        sent_starts = np.full(len(words), -1, dtype="int64")
        sent_starts[0] = 1
        for s_start, _ in bounds:
            if s_start in token_at:
                sent_starts[token_at[s_start]] = 1
        doc = Doc(self.vocab, words=words, spaces=[False] * len(words))
        # tags and sentence starts as one array: Doc(tags=..., sent_starts=...) costs three
        # times as much (it looks every tag string up again)
        tag_hashes = np.fromiter(map(self._tag_hash, tags), dtype="uint64", count=len(tags))
        doc.from_array([TAG, SENT_START], np.stack([tag_hashes, sent_starts.astype("uint64")], axis=1))
        return doc


def cut_paragraph(text: str, backend: "Backend") -> tuple[list[str], list[str], list[int],
                                                         list[tuple[int, int]], str, list[str] | None]:
    """A paragraph's words (as written), tags, word starts and sentence bounds (offsets into
    ``text``), its folded text, and the search index's words of it (None when the backend
    cannot say).

    >>> words, tags, starts, bounds, folded, _ = cut_paragraph("建成５个驿站。", backend_for(Settings()))
    >>> words, starts, bounds, folded
    (['建成', '５', '个', '驿站', '。'], [0, 2, 3, 4, 6], [(0, 7)], '建成5个驿站。')
    """
    folded = fold(text)
    words, tags, search_words = backend.tag_for_search(folded)
    if "" in words:  # a backend's empty words take no place in the text
        words, tags = [w for w in words if w], [t for w, t in zip(words, tags) if w]
    starts = list(accumulate(map(len, words), initial=0))
    starts.pop()  # the end of the last word
    if folded != text:  # the words keep the original characters; the tags come from the folded text
        words = _as_written(words, starts, text, folded)
    if not words:
        words, tags, starts = [sys.intern(text)], ["x"], [0]
    return words, tags, starts, _on_token_starts(split_sentences(folded), starts), folded, search_words


def _as_written(words: list[str], starts: list[int], text: str, folded: str) -> list[str]:
    """The words cut from ``folded`` (``fold(text)``), starting at ``starts``, as ``text``
    writes them, interned.

    >>> _as_written(["建成", "5", "个"], [0, 2, 3], "建成５个", "建成5个")
    ['建成', '５', '个']
    """
    if "".join(words) != folded:  # words that do not fill the text: each taken from it
        return [sys.intern(text[s:s + len(w)]) for s, w in zip(starts, words)]
    # the words fill the text: only those holding a character fold changed differ from it (most
    # of a paragraph's words hold none, and are already interned)
    words = list(words)
    for i in {bisect.bisect_right(starts, m.start()) - 1 for m in _FOLDED_CHARS.finditer(text)}:
        words[i] = sys.intern(text[starts[i]:starts[i] + len(words[i])])
    return words


def _on_token_starts(bounds: list[tuple[int, int]], starts: list[int]) -> list[tuple[int, int]]:
    """Sentence bounds moved back to the start of the token they fall in: a long run cut at
    its limit may cut a word, and a sentence owns whole tokens.

    >>> _on_token_starts([(0, 5), (5, 9)], [0, 2, 4, 7])
    [(0, 4), (4, 9)]
    """
    out: list[tuple[int, int]] = []
    for s, e in bounds:
        if out:
            s = out[-1][1]
        i = bisect.bisect_right(starts, e) - 1
        if e != bounds[-1][1] and i >= 0 and starts[i] != e and starts[i] > s:
            e = starts[i]
        out.append((s, e))
    return out


@functools.lru_cache(maxsize=4)
def _nlp(backend: Backend):
    spacy = _import_spacy()
    nlp = spacy.blank("zh")
    nlp.tokenizer = _SpacyTokenizer(nlp.vocab, backend)
    return nlp


def _import_spacy():
    """spaCy, imported without torch unless something has already imported torch.

    spaCy's thinc imports torch whenever it is installed (the HanLP extra): 1.2 s and
    ~180 MB in every worker process for a blank pipeline that never runs a model. Torch is
    hidden only while spaCy loads; HanLP imports it afterwards as usual.
    """
    if "spacy" in sys.modules or "torch" in sys.modules:
        import spacy

        return spacy
    sys.modules["torch"] = None  # type: ignore[assignment]  # makes `import torch` fail
    try:
        import spacy
    finally:
        if sys.modules.get("torch", ...) is None:
            del sys.modules["torch"]
    return spacy


def tag(document: Document, settings: Settings) -> Tagged:
    """Tokenise and tag the document's body, paragraph by paragraph (never the whole file at
    once); the spaCy Docs are made only when ``Tagged.docs`` is read."""
    backend = backend_for(settings)
    sentences: list[Sentence] = []
    search_words: list | None = []
    text = document.text
    for index, (p_start, p_end) in enumerate(paragraphs(document)):
        words, tags, starts, bounds, norm, paragraph_search_words = cut_paragraph(text[p_start:p_end], backend)
        if paragraph_search_words is None:
            search_words = None
        elif search_words is not None:
            search_words.append((p_start, p_end, paragraph_search_words))
        starts = list(map(p_start.__add__, starts))
        ends = map(add, starts, map(len, words))
        # tuple.__new__ makes the named tuples without their Python-level __new__: half the time
        tokens = list(map(tuple.__new__, repeat(Token), zip(starts, ends, words, tags)))
        ti = 0
        for s_start, s_end in bounds:
            # a sentence's tokens: from where the last one's ended to the first starting at its end
            first, ti = ti, bisect.bisect_left(starts, s_end + p_start, lo=ti)
            sentences.append(Sentence(s_start + p_start, s_end + p_start, text[s_start + p_start:s_end + p_start],
                                      index, tuple(tokens[first:ti]), norm[s_start:s_end]))
    return Tagged(document, sentences, search_words=search_words, norm_text=folded_text(text, sentences),
                  title_tokens=_title_tokens(document.title.strip(), backend),
                  tag_of=getattr(backend, "tag_of", None) or Tagged.tag_of,  # the field's default
                  backend=backend)


def spacy_docs(document: Document, backend: "Backend") -> list:
    """A spaCy Doc per body paragraph, cut as ``tag`` cuts it, with ``user_data['offset']``
    (its start in ``Document.text``) and ``user_data['paragraph']``."""
    nlp = _nlp(backend)
    paras = list(paragraphs(document))
    docs = []
    texts = (document.text[s:e] for s, e in paras)
    for index, ((p_start, _), doc) in enumerate(zip(paras, nlp.pipe(texts, batch_size=256))):
        doc.user_data["offset"] = p_start
        doc.user_data["paragraph"] = index
        docs.append(doc)
    return docs


def folded_text(text: str, sentences: list[Sentence]) -> str:
    """``text`` with each sentence replaced by its ``norm``: same length and offsets.

    >>> folded_text('以"红帆领航"品牌，', [Sentence(0, 10, '以"红帆领航"品牌，', 0, (), '以“红帆领航”品牌,')])
    '以“红帆领航”品牌,'
    """
    # the text's pieces joined (sentences come in order and never overlap), not a list of its
    # characters: that list cost ~80 bytes a character, 360 MB for a 12 MB document
    parts, at = [], 0
    for s in sentences:
        parts.append(text[at:s.start])
        parts.append(s.norm if len(s.norm) == s.end - s.start else fold(text[s.start:s.end]))
        at = s.end
    parts.append(text[at:])
    return "".join(parts)


def _title_tokens(title: str, backend: "Backend") -> tuple[Token, ...]:
    """The title cut and tagged as the body is (no folding: as the title is written), at
    offsets into the title."""
    tokens, at = [], 0
    for word, tag_ in backend.tokenize(title) if title else ():
        tokens.append(Token(at, at + len(word), word, tag_))
        at += len(word)
    return tuple(tokens)
