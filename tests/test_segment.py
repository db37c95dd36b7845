"""segment.Segmenter cuts exactly as jieba does, with and without its HMM, in one route."""
from __future__ import annotations

import random

import pytest

from pipeline import fts, segment
from pipeline.segment import PREFIX, Segmenter

from .conftest import CORPUS

# characters the genre mixes: common Han characters, Latin letters and digits, the symbols jieba
# joins into words (+#&._%-), full-width and Chinese punctuation, spaces, line ends
ALPHABET = ("的一是在不了有和人这中大为上个国我以要他时来用们生到作地于出就分对成会可主发年动同工也能下过子说产种"
            "面而方后多定行学法所民得经十三之进着等部度家电力党建网格社区街道红色物业支部服务居民志愿"
            "ABCNabn0123456789+#&._%-，。！？“”《》、：；（）\u3000 \n\r\tａＡ１")


@pytest.fixture(scope="module")
def jieba_tokenizer():
    return segment.load_jieba()


@pytest.fixture(scope="module", params=["compiled", "python"])
def segmenter(jieba_tokenizer, request):
    """A segmenter with the compiled route, and one with the Python route it falls back to."""
    if request.param == "compiled":
        return Segmenter(jieba_tokenizer)
    compiled, segment._compiled = segment._compiled, None
    try:
        return Segmenter(jieba_tokenizer)
    finally:
        segment._compiled = compiled


def texts():
    rng = random.Random(7)  # fixed: a failure names a text that fails again
    made = ["".join(rng.choice(ALPHABET) for _ in range(rng.randint(1, 60))) for _ in range(1500)]
    return [p.read_text(encoding="utf-8") for p in sorted(CORPUS.glob("*.txt"))] + made


@pytest.mark.parametrize("hmm", [True, False])
def test_cuts_exactly_as_jieba(segmenter, jieba_tokenizer, hmm):
    for text in texts():
        assert list(segmenter.cut(text, hmm=hmm)) == list(jieba_tokenizer.cut(text, HMM=hmm)), text


def test_cut_both_is_the_two_cuts_from_one_route(segmenter):
    for text in texts()[:300]:
        assert segmenter.cut_both(text) == (list(segmenter.cut(text, hmm=True)), list(segmenter.cut(text)))


def test_the_compiled_cut_is_the_python_cut(jieba_tokenizer):
    seg = Segmenter(jieba_tokenizer)
    for text in texts():
        for hmm, plain in ((True, True), (True, False), (False, True)):
            assert seg._cut(text, hmm, plain) == seg._python_cut(text, hmm, plain), (text, hmm, plain)


def test_cut_words_are_interned(segmenter):
    """The tagger keeps the words of a whole document: one string per distinct word."""
    import sys

    for text in texts()[:50]:
        for words in segmenter.cut_both(text):
            assert all(w is sys.intern(w) for w in words), text


@pytest.mark.parametrize("text, with_hmm, plain", [
    # an unknown name: the HMM joins its characters, the plain cut leaves them one by one
    ("居民闫秀芝反映", ["居民", "闫秀芝", "反映"], ["居民", "闫", "秀", "芝", "反映"]),
    # single Latin letters and digits join without the HMM as well
    ("网格党支部895个", ["网格党支部", "895", "个"], ["网格党支部", "895", "个"]),
    ("", [], []),
])
def test_cut_examples(segmenter, text, with_hmm, plain):
    assert segmenter.cut_both(text) == (with_hmm, plain)


def test_remembered_hmm_cuts_follow_jiebas_force_split_words():
    """A word added with frequency 0 must be split by the HMM from then on, as in jieba,
    even for a run this segmenter has cut before."""
    tokenizer = segment.load_jieba()
    segmenter = Segmenter(tokenizer)
    text = "居民闫秀芝反映"
    assert "闫秀芝" in list(segmenter.cut(text, hmm=True))
    tokenizer.add_word("闫秀芝", freq=0)
    try:
        assert list(segmenter.cut(text, hmm=True)) == list(tokenizer.cut(text, HMM=True))
        assert "闫秀芝" not in list(segmenter.cut(text, hmm=True))
    finally:
        from jieba import finalseg

        finalseg.Force_Split_Words.discard("闫秀芝")


def test_the_route_is_compiled_where_the_tests_run():
    """setup.py builds pipeline/_route.c (optional, for installs without a C compiler); the
    test environment has one, so a silently failed build shows here."""
    assert segment._compiled is not None
    assert Segmenter(segment.load_jieba())._trie is not None


def test_the_compiled_route_is_the_python_route(jieba_tokenizer):
    seg = Segmenter(jieba_tokenizer)
    blocks = [b for text in texts() for b, is_words in segment._blocks(text.translate(segment.FULL_WIDTH_ASCII))
              if is_words]
    assert len(blocks) > 1000
    for block in blocks:
        assert seg._route(block) == seg._python_route(block), block


def _python_route(table: dict[str, float], s: str, logtotal: float = 10.0) -> list[int]:
    return Segmenter._python_route(type("Table", (), {"_logp": table, "logtotal": logtotal})(), s)


@pytest.mark.parametrize("table, text", [
    ({"红": -5.0, "红色": -3.0, "红色物": PREFIX, "红色物业": -4.0, "物业": -2.0, "色": -6.0}, "红色物业红色物"),
    # 红色 is in the trie (a prefix of 红色物业) but not in the table: a lookup of it fails
    ({"红色物业": -4.0}, "红色红色物业"),
    ({"a": -1.0, "ab": -1.0, "b": -1.0}, "abab"),  # a tie goes to the longer word
    ({}, "党建"),  # every character unknown
    ({"党": -1.0}, ""),
    ({"𠀀": -1.0, "𠀀党": -0.5}, "𠀀党建"),  # characters outside the BMP
])
def test_the_compiled_route_on_made_tables(table, text):
    trie = segment._compiled.build(table, PREFIX)
    assert segment._compiled.route(trie, text, 10.0) == _python_route(table, text)


def test_the_trie_of_frequencies_is_the_trie_of_their_log_probabilities(jieba_tokenizer):
    """The process's trie is built from jieba's frequencies, the logarithms taken in C; the
    same words and values as from ``Segmenter._logp`` (the Python route's table), so the same
    route through every text."""
    seg = Segmenter(jieba_tokenizer)
    from_logp = segment._compiled.build(seg._logp, PREFIX)
    blocks = [b for text in texts() for b, is_words in segment._blocks(text) if is_words]
    assert len(blocks) > 1000
    for block in blocks:
        assert segment._compiled.route(seg._trie, block, seg.logtotal) == segment._compiled.route(
            from_logp, block, seg.logtotal), block


@pytest.mark.parametrize("call, error", [
    (lambda c: c.build({1: -1.0}, PREFIX), TypeError),  # a word that is no str
    (lambda c: c.build({"党": "x"}, PREFIX), TypeError),  # a log probability that is no number
    (lambda c: c.build(["党"], PREFIX), TypeError),  # no dict
    (lambda c: c.build({"党": 5}, PREFIX, "x"), TypeError),  # a total that is no number
    (lambda c: c.build({"党": "x"}, PREFIX, 10.0), TypeError),  # a frequency that is no number
    (lambda c: c.route(object(), "党建", 1.0), TypeError),  # no trie
    (lambda c: c.route(c.build({}, PREFIX), b"x", 1.0), TypeError),  # bytes, not str
    (lambda c: c.cut(object(), "党建", 1.0, True), TypeError),  # no trie
    (lambda c: c.cut(c.build({}, PREFIX), "党建", 1.0, True, [{}, {}, tuple]), TypeError),  # no tuple
    (lambda c: c.cut(c.build({}, PREFIX), "党建", 1.0, True, ({}, {}, 5)), TypeError),  # nothing to call
    (lambda c: c.cut(c.build({}, PREFIX), "党建", 1.0, True, ([], {}, tuple)), TypeError),  # no word table
])
def test_the_compiled_route_refuses_bad_arguments(call, error):
    with pytest.raises(error):
        call(segment._compiled)


def test_the_tagger_and_the_search_index_cut_with_the_one_segmenter_of_the_process(tmp_path):
    """The segmenter lives with the segmenter: the index takes it from here, and the tagger
    shares it while its dictionaries are the index's (an annotators' word list makes them
    differ, and then the tagger cuts with its own)."""
    from pipeline.settings import Settings
    from pipeline.tagging import backend_for

    shared = backend_for(Settings(annotations_dir=tmp_path))
    assert fts.segmenter is segment.segmenter and segment.segmenter() is segment.segmenter()
    assert shared.cuts_for_search and shared._segmenter is segment.segmenter()
    (tmp_path / "words.dict.txt").write_text("睦邻议事 5 n\n", encoding="utf-8")
    own = backend_for(Settings(annotations_dir=tmp_path))
    assert not own.cuts_for_search and own._segmenter is not segment.segmenter()
    assert "睦邻议事" in [w for w, _ in own.tokenize("推行睦邻议事工作法")]
