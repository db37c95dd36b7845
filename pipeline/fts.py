"""Chinese full-text search: a jieba tokenizer for SQLite FTS5, and the catalogue's FTS indexes.

SQLite's own FTS5 tokenizers fail on Chinese: ``unicode61`` takes 基层党建工作 as one token,
``trigram`` cannot find two-character words like 物业 or 网格. Here each text is segmented
with a private jieba tokenizer (jieba's dictionary plus data/domain_dict.txt, no HMM so a
query and a document are cut alike), and every dictionary word inside a longer word is
indexed at the same position (FTS5 "colocated" tokens), so 物业 finds 红色物业 and
红色物业 still matches as one word in a phrase.

The indexes follow sqlite-utils' conventions (``documents_fts`` with ``content="documents"``
and ``_ai``/``_ad``/``_au`` triggers), so Datasette finds them and shows its search box. The
tokenizer must be registered on every connection that reads or writes an FTS table: the
catalogue's writer (``prepare``) and Datasette's connections (``datasette_plugin``).
"""
from __future__ import annotations

import atexit
import contextlib
import functools
import hashlib
import operator
import re
import threading
from typing import Iterator, NamedTuple

# the segmenter is the process's one (segment.segmenter), which the tagger shares when its
# dictionaries are the index's: a paragraph the tagger has cut is not cut again here
from .segment import DICTIONARY, FULL_WIDTH_ASCII, WORD_CHAR, WordMemo, segmenter

TOKENIZER = "jieba"

# Which columns of which table are searchable. Changing this (or the dictionary) changes the
# CREATE statement, which makes ``prepare`` rebuild that index.
# Not the sentences of facts and mechanisms: they repeat the documents' text (more characters
# than the documents themselves) and would double the indexing time; documents_fts finds them.
FTS_COLUMNS: dict[str, tuple[str, ...]] = {
    "documents": ("title", "text"),
    "facts": ("subject", "text"),
    "mechanisms": ("name", "definition", "components"),
    "practices": ("name", "category"),
    "families": ("name", "names"),  # a family is found by any member's name (issue 24)
}

FTS5_TOKENIZE_QUERY = 0x0001
FTS5_TOKENIZE_DOCUMENT = 0x0004
FTS5_TOKEN_COLOCATED = 0x0001
MAX_SUBWORD_SCAN = 12  # longer "words" are runs of Latin letters/digits: nothing inside to find

# Full-width ASCII (ＡＢＣ２０２３) folds to ASCII so a query typed either way matches.
_FOLD = FULL_WIDTH_ASCII
_WORDLIKE = re.compile(r"\w")
SHORT_TEXT = 400  # texts up to this many characters have their tokens cached (names, queries)

try:  # the loop handing a row's tokens to FTS5, in C without the GIL (setup.py; optional)
    from . import _fts5feed as _feed
except ImportError:  # no C compiler at install: the same loop in Python
    _feed = None

_register_lock = threading.Lock()
_c_tokenizer = None  # the fts5_tokenizer struct and its callbacks, made once per process
# Connections the tokenizer is registered on (sqlite3 connections take no weak references),
# closed at exit; closed ones are dropped at each registration.
_connections: list = []


class IndexTokens(NamedTuple):
    """A text's tokens as the index stores them: the UTF-8 tokens joined by NUL, and one flags
    byte each (0, or FTS5_TOKEN_COLOCATED).

    No offsets: FTS5 ignores them when it indexes or deletes a row (``highlight()`` and
    ``snippet()`` tokenise the text afresh, with offsets). Two bytes objects pickle and
    travel from a worker in one piece where a tuple per token would not.
    """

    words: bytes
    flags: bytes

    def pairs(self) -> Iterator[tuple[bytes, int]]:
        return zip(self.words.split(b"\0"), self.flags)


_provided: dict[str, IndexTokens] = {}  # texts already tokenised by a worker → their tokens


@contextlib.contextmanager
def provided(texts_tokens: dict[str, IndexTokens]):
    """Within this block, the index takes these precomputed tokens (``index_tokens(text)``)
    for these texts instead of tokenising them.

    The flow's workers tokenise what a document puts in the indexes (the costly part of
    indexing) in parallel; the single writer then only hands the tokens over. Same
    function, same tokens: what a later delete or rebuild tokenises afresh matches.
    """
    _provided.update(texts_tokens)
    try:
        yield
    finally:
        for text in texts_tokens:
            _provided.pop(text, None)


def tokens(text: str, query: bool = False) -> tuple[tuple[str, int, int, int], ...]:
    """(token, byte start, byte end, flags) for FTS5: UTF-8 byte offsets into ``text``.

    Every word of the segmentation is a token (punctuation and spaces are not); in
    documents (not queries) each dictionary word inside a longer word follows it, colocated:

    >>> [t[:3] for t in tokens("推行红色物业。")]
    [('推行', 0, 6), ('红色物业', 6, 18), ('红色', 6, 12), ('物业', 12, 18)]
    >>> [t[0] for t in tokens("红色物业", query=True)]
    ['红色物业']
    """
    return tuple(_tokens(text, query))


def index_tokens(text: str, paragraphs: list[tuple[int, int, list[str]]] | None = None) -> IndexTokens:
    """The tokens of ``tokens(text)``, packed as the index stores a document's.

    >>> [(w.decode(), f) for w, f in index_tokens("推行红色物业。").pairs()]
    [('推行', 0), ('红色物业', 0), ('红色', 1), ('物业', 1)]

    ``paragraphs`` are spans the tagger has already cut as the index cuts
    (``Tagged.search_words``: (start, end, words)); only the text between them is cut here.
    A paragraph whose words do not fill it, or that does not stand apart from its
    neighbours (a word could run across its edge), makes the whole text be cut afresh.
    """
    if not paragraphs and len(text) <= SHORT_TEXT:
        return _short_index_tokens(text)
    return _cut_index_tokens(text, paragraphs)


def _cut_index_tokens(text: str, paragraphs) -> IndexTokens:
    seg = segmenter()
    # packed a paragraph at a time: a list entry per word of a 12 MB document, joined at the
    # end, held ~130 MB at once; the paragraphs' packed bytes hold what the index gets
    words: list[bytes] = []
    flags: list[bytes] = []

    def pack(cut) -> None:
        part_words, part_flags = _pack(cut)
        if part_flags:  # no empty piece: joined by NUL, the pieces are the words joined by NUL
            words.append(part_words.encode("utf-8"))
            flags.append(part_flags)

    # only the text between the paragraphs is folded here (the tagger cut the paragraphs from
    # their folded text): folding a whole document was a third of its index tokens' time
    char = 0
    for start, end, cut in paragraphs or ():
        if (start < char or sum(map(len, cut)) != end - start
                or _word_char_at(text, start - 1) or _word_char_at(text, end)):
            return _cut_index_tokens(text, None)
        pack(seg.cut(text[char:start].translate(_FOLD)))
        pack(cut)
        char = end
    pack(seg.cut(text[char:].translate(_FOLD)))
    return IndexTokens(b"\0".join(words), b"".join(flags))


def _word_char_at(text: str, i: int) -> bool:
    """Whether the character at ``i``, folded, is one jieba may join into a word (False
    outside the text).

    >>> [_word_char_at("党建，Ａ", i) for i in (-1, 0, 2, 3, 4)]
    [False, True, False, True, False]
    """
    return 0 <= i < len(text) and WORD_CHAR.match(text[i].translate(_FOLD)) is not None


PACKED_MAX_WORDS = 200_000  # distinct words whose packed tokens a process remembers


# word → ``_packed_word(word)``: only ever filled from the one segmenter of this module,
# whose dictionary does not change
_PACKED = WordMemo(lambda word: _packed_word(word, segmenter().freq), PACKED_MAX_WORDS)
_WORDS_OF, _FLAGS_OF = operator.itemgetter(0), operator.itemgetter(1)


def _pack(cut: list[str]) -> tuple[str, bytes]:
    """The tokens of a list of words, as ``_tokens`` yields them for a document, without
    offsets: joined by NUL, and their flags.

    >>> _pack(["推行", "红色物业", "。"])
    ('推行\\x00红色物业\\x00红色\\x00物业', b'\\x00\\x00\\x01\\x01')
    """
    # every word looked up at C speed (map over the memo's __getitem__; a miss packs the word),
    # once for its tokens and once for their flags: a list of the packed words beside the cut
    # would hold another entry per word of a long text at once
    packed = _PACKED.__getitem__
    # a word that is no token packs to "" and "": filtered out, or nothing, when joined
    return ("\0".join(filter(None, map(_WORDS_OF, map(packed, cut)))),
            "".join(map(_FLAGS_OF, map(packed, cut))).encode("ascii"))


def _packed_word(word: str, freq: dict) -> tuple[str, str]:
    """红色物业 → ('红色物业\\0红色\\0物业', '\\x00\\x01\\x01'): the word, then the dictionary words
    inside it (colocated), and their flags as characters; ('', '') for a word that is no token
    (punctuation, spaces). Flags as characters join as a str: ``bytes.join`` takes ~80 bytes
    a piece while it joins, 30 MB for a long text's words."""
    if not _is_token(word):
        return "", ""
    tokens = [(word.lower(), 0)]
    if 2 < len(word) <= MAX_SUBWORD_SCAN:
        tokens += [(piece, flag) for piece, _, _, flag in _subwords(word, word, 0, freq)]
    return "\0".join(t for t, _ in tokens), "".join(chr(f) for _, f in tokens)


@functools.lru_cache(maxsize=8192)
def _short_index_tokens(text: str) -> IndexTokens:
    # Subjects, names and categories repeat across rows.
    return _cut_index_tokens(text, None)


@functools.lru_cache(maxsize=4096)
def _query_tokens(text: str) -> tuple[tuple[bytes, int, int, int, int], ...]:
    return _encoded(tokens(text, query=True))


def _encoded(tokens_: tuple[tuple[str, int, int, int], ...]) -> tuple[tuple[bytes, int, int, int, int], ...]:
    """Tokens as SQLite takes them: (UTF-8 bytes, their length, start, end, flags)."""
    out = []
    for token, start, end, flags in tokens_:
        data = token.encode("utf-8")
        out.append((data, len(data), start, end, flags))
    return tuple(out)


def _tokens(text: str, query: bool) -> Iterator[tuple[str, int, int, int]]:
    """The tokens of the folded text's segmentation, at the original text's byte offsets."""
    seg = segmenter()
    char = byte = 0
    for word in seg.cut(text.translate(_FOLD)):
        n = len(word)
        original = text[char:char + n]
        size = len(original) if original.isascii() else len(original.encode("utf-8"))
        if _is_token(word):
            yield word.lower(), byte, byte + size, 0
            if not query and 2 < n <= MAX_SUBWORD_SCAN:
                yield from _subwords(word, original, byte, seg.freq)
        char += n
        byte += size


def _is_token(word: str) -> bool:
    """A word is indexed unless it is punctuation or space: 党员, 2024, ab yes; ，, “ no."""
    return word.isalnum() or bool(_WORDLIKE.search(word))


def _subwords(word: str, original: str, byte: int, freq: dict) -> Iterator[tuple[str, int, int, int]]:
    """Dictionary words strictly inside ``word``: 城市基层党建 → 城市, 基层, 基层党建, 党建 …
    (jieba's search mode looks only at 2- and 3-character pieces; 基层党建 needs 4)."""
    offsets = [byte]
    for ch in original:
        offsets.append(offsets[-1] + len(ch.encode("utf-8")))
    n = len(word)
    for i in range(n - 1):
        for j in range(i + 2, n + 1 if i else n):  # from 0, stop short of the word itself
            piece = word[i:j]
            if freq.get(piece):
                yield piece.lower(), offsets[i], offsets[j], FTS5_TOKEN_COLOCATED


# -- the SQLite side --------------------------------------------------------------------------------
def _make_c_tokenizer():
    """The fts5_tokenizer struct, with callbacks written here rather than sqlitefts'
    ``make_fts5_tokenizer`` because that one cannot pass FTS5_TOKEN_COLOCATED."""
    from sqlitefts.fts5 import ffi

    SQLITE_OK = 0
    handle = ffi.new_handle(TOKENIZER)  # one stateless tokenizer instance shared by all tables

    @ffi.callback("int(void*, const char **, int, Fts5Tokenizer **)")
    def xcreate(ctx, argv, argc, out):
        out[0] = ffi.cast("Fts5Tokenizer *", handle)
        return SQLITE_OK

    @ffi.callback("void(Fts5Tokenizer *)")
    def xdelete(tokenizer):
        return None

    # error=1: a Python exception becomes SQLITE_ERROR, so a write fails instead of silently
    # leaving a row out of the index.
    @ffi.callback("int(Fts5Tokenizer *, void *, int, const char *, int, "
                  "int(void*, int, const char *, int, int, int))", error=1)
    def xtokenize(tokenizer, ctx, flags, p_text, n_text, x_token):
        if n_text <= 0:
            return SQLITE_OK
        text = ffi.unpack(p_text, n_text).decode("utf-8", "replace")
        if flags & FTS5_TOKENIZE_DOCUMENT:  # a row indexed or deleted: offsets unused
            packed = _provided.get(text) or index_tokens(text)
            if _feed is not None:
                return _feed.feed(int(ffi.cast("uintptr_t", x_token)), int(ffi.cast("uintptr_t", ctx)),
                                  packed.words, packed.flags)
            for data, tflags in packed.pairs():
                rc = x_token(ctx, tflags, data, len(data), 0, 0)
                if rc != SQLITE_OK:
                    return rc
            return SQLITE_OK
        # a query, or highlight()/snippet() (these need the offsets)
        found = (_query_tokens(text) if flags & FTS5_TOKENIZE_QUERY and len(text) <= SHORT_TEXT
                 else _encoded(tokens(text, bool(flags & FTS5_TOKENIZE_QUERY))))
        for data, size, start, end, tflags in found:
            rc = x_token(ctx, tflags, data, size, start, end)
            if rc != SQLITE_OK:
                return rc
        return SQLITE_OK

    struct = ffi.new("fts5_tokenizer *", [xcreate, xdelete, xtokenize])
    return struct, handle, xcreate, xdelete, xtokenize  # all kept alive for the process


def register(conn) -> None:
    """Make ``tokenize="jieba"`` work on this sqlite3 connection (cheap; jieba loads lazily)."""
    global _c_tokenizer
    from sqlitefts.fts5 import register_tokenizer

    with _register_lock:
        if _c_tokenizer is None:
            _c_tokenizer = _make_c_tokenizer()
    if not register_tokenizer(conn, TOKENIZER, _c_tokenizer[0]):
        raise RuntimeError("could not register the jieba FTS5 tokenizer")
    with _register_lock:
        _connections[:] = [c for c in _connections if _is_open(c)] + [conn]


def _is_open(conn) -> bool:
    try:
        conn.total_changes
    except Exception as exc:  # closed, or owned by another thread (then still open)
        return "closed" not in str(exc)
    return True


@atexit.register
def close_connections() -> None:
    """Close the connections that use the tokenizer while Python is whole: a connection left
    for interpreter teardown calls the freed callbacks and the process dies (SIGILL/SIGSEGV)."""
    with _register_lock:
        open_connections, _connections[:] = list(_connections), []
    for conn in open_connections:
        try:
            conn.close()
        except Exception:  # owned by another thread, or already closed
            pass


def tokenizer_version() -> str:
    """Changes when segmentation can change: the dictionary's content and jieba's version."""
    digest = hashlib.sha256(DICTIONARY.read_bytes() if DICTIONARY.exists() else b"")
    try:
        from importlib.metadata import version

        digest.update(version("jieba").encode())
    except Exception:
        pass
    return digest.hexdigest()[:12]


def create_sql(table: str, columns: tuple[str, ...], version: str) -> str:
    """sqlite-utils' FTS5 table, tokenised by jieba; the version argument records the dictionary."""
    cols = ", ".join(f"[{c}]" for c in columns)
    return (f"CREATE VIRTUAL TABLE [{table}_fts] USING FTS5 (\n    {cols},\n"
            f"    tokenize='{TOKENIZER} {version}',\n    content=[{table}]\n)")


def trigger_sql(table: str, columns: tuple[str, ...]) -> dict[str, str]:
    """sqlite-utils' three triggers; the update one fires only when an indexed column really
    changed, so bookkeeping updates (documents.paths, practices' counts) and the upsert of
    an unchanged document do not tokenise its text twice more."""
    fts = f"[{table}_fts]"
    cols = ", ".join(f"[{c}]" for c in columns)
    new = ", ".join(f"new.[{c}]" for c in columns)
    old = ", ".join(f"old.[{c}]" for c in columns)
    changed = " OR ".join(f"old.[{c}] IS NOT new.[{c}]" for c in columns)
    insert = f"INSERT INTO {fts} (rowid, {cols}) VALUES (new.rowid, {new});"
    delete = f"INSERT INTO {fts} ({fts}, rowid, {cols}) VALUES('delete', old.rowid, {old});"
    return {
        f"{table}_ai": f"CREATE TRIGGER [{table}_ai] AFTER INSERT ON [{table}] BEGIN\n  {insert}\nEND",
        f"{table}_ad": f"CREATE TRIGGER [{table}_ad] AFTER DELETE ON [{table}] BEGIN\n  {delete}\nEND",
        f"{table}_au": (f"CREATE TRIGGER [{table}_au] AFTER UPDATE OF {cols} ON [{table}]\n"
                        f"  WHEN {changed}\nBEGIN\n  {delete}\n  {insert}\nEND"),
    }


def prepare(db) -> None:
    """Register the tokenizer on this connection and make sure the FTS indexes exist.

    ``db`` is the writer's sqlite_utils.Database. An index whose definition or dictionary
    changed is dropped and rebuilt from its table, in one transaction.
    """
    conn = db.conn
    register(conn)
    # INSERT OR REPLACE deletes the old row without firing delete triggers unless this is on,
    # which would leave stale entries in an external-content FTS index.
    conn.execute("PRAGMA recursive_triggers = ON")
    version = tokenizer_version()
    existing = dict(conn.execute("select name, sql from sqlite_master where type in ('table', 'trigger')"))
    for table, columns in FTS_COLUMNS.items():
        if table not in existing:
            continue
        wanted = create_sql(table, columns, version)
        triggers = trigger_sql(table, columns)
        if existing.get(f"{table}_fts") == wanted and all(existing.get(n) == s for n, s in triggers.items()):
            continue
        _build(conn, table, wanted, triggers)


def _build(conn, table: str, create: str, triggers: dict[str, str]) -> None:
    conn.execute("BEGIN IMMEDIATE")
    try:
        for name in triggers:
            conn.execute(f"DROP TRIGGER IF EXISTS [{name}]")
        conn.execute(f"DROP TABLE IF EXISTS [{table}_fts]")
        conn.execute(create)
        for sql in triggers.values():
            conn.execute(sql)
        conn.execute(f"INSERT INTO [{table}_fts]([{table}_fts]) VALUES('rebuild')")
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
