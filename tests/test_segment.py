"""segment.Segmenter cuts exactly as jieba does, with and without its HMM, in one route."""
from __future__ import annotations

import random

import pytest

from pipeline import fts
from pipeline.segment import Segmenter

from .conftest import CORPUS

# characters the genre mixes: common Han characters, Latin letters and digits, the symbols jieba
# joins into words (+#&._%-), full-width and Chinese punctuation, spaces, line ends
ALPHABET = ("的一是在不了有和人这中大为上个国我以要他时来用们生到作地于出就分对成会可主发年动同工也能下过子说产种"
            "面而方后多定行学法所民得经十三之进着等部度家电力党建网格社区街道红色物业支部服务居民志愿"
            "ABCNabn0123456789+#&._%-，。！？“”《》、：；（）\u3000 \n\r\tａＡ１")


@pytest.fixture(scope="module")
def jieba_tokenizer():
    return fts.load_jieba()


@pytest.fixture(scope="module")
def segmenter(jieba_tokenizer):
    return Segmenter(jieba_tokenizer)


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
    tokenizer = fts.load_jieba()
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
