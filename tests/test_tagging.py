"""The tagging stage: jieba (private tokenizer, domain dictionary) or HanLP, as spaCy Docs."""
from __future__ import annotations

import hashlib
import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

from pipeline.records import Document
from pipeline.settings import Settings
from pipeline.tagging import TaggerUnavailable, backend_for, split_sentences, tag

REPO = Path(__file__).resolve().parent.parent


def document(text: str) -> Document:
    sha = hashlib.sha256(text.encode()).hexdigest()
    return Document("t.txt", "t.txt", sha, sha, text, body_spans=((0, len(text)),))


@pytest.mark.parametrize("text, sentences", [
    ("近年来,南京市鼓楼区开展“将军讲党史”活动。首场邀请朱文泉将军。",
     ["近年来,南京市鼓楼区开展“将军讲党史”活动。", "首场邀请朱文泉将军。"]),
    # a full stop inside quotes does not end the sentence; the closing quote goes with it
    ("他说:“要把服务送到家门口。”随后召开会议。", ["他说:“要把服务送到家门口。”", "随后召开会议。"]),
    ("真的吗?是的!好。", ["真的吗?", "是的!", "好。"]),
    ("没有句号的标题行", ["没有句号的标题行"]),
    ("末尾省略……接着说。", ["末尾省略……接着说。"]),
])
def test_sentence_splitting(text, sentences):
    assert [text[s:e] for s, e in split_sentences(text)] == sentences


@pytest.mark.parametrize("text, folded", [
    ('以"红帆领航"品牌，建成５个驿站', "以“红帆领航”品牌,建成5个驿站"),
    ('"大工委"、"大党委"', "“大工委”、“大党委”"),
    ("「红色物业」（试行）：占比７８％", "“红色物业”(试行):占比78%"),
    ("已是“标准”引号,不变", "已是“标准”引号,不变"),
    # a stray quote spoils only its own sentence
    ('他说"好。推行"红色物业"。', "他说“好。推行“红色物业”。"),
])
def test_fold_gives_one_form_of_punctuation_without_moving_offsets(text, folded):
    from pipeline.tagging import fold

    assert fold(text) == folded and len(fold(text)) == len(text)


def test_sentences_carry_the_folded_view_of_their_own_text():
    text = '推行"红色物业"。建成５个驿站！'
    tagged = tag(document(text), Settings())
    assert [(s.text, s.norm) for s in tagged.sentences] == [('推行"红色物业"。', "推行“红色物业”。"),
                                                           ("建成５个驿站！", "建成5个驿站!")]
    assert "".join(t.text for t in tagged.sentences[0].tokens) == '推行"红色物业"。'


def test_body_sentences_tokens_and_docs_share_offsets():
    text = "返回目录\n  南京市鼓楼区建立网格党支部895个。推行“红色物业”。\n(下转B2版)\n"
    doc = document(text)
    body = doc.text.index("南京市")
    end = doc.text.index("\n(下转")
    doc = Document(doc.source_name, doc.path, doc.sha256, doc.file_sha256, text, body_spans=((body, end),))
    tagged = tag(doc, Settings())
    assert [s.text for s in tagged.sentences] == ["南京市鼓楼区建立网格党支部895个。", "推行“红色物业”。"]
    for sentence in tagged.sentences:
        assert "".join(t.text for t in sentence.tokens) == sentence.text
        for token in sentence.tokens:
            assert text[token.start:token.end] == token.text
    spacy_doc = tagged.docs[0]
    assert spacy_doc.user_data["offset"] == body
    assert [s.text for s in spacy_doc.sents] == [s.text for s in tagged.sentences]
    assert any(t.text == "网格党支部" and t.tag_.startswith("n") for t in spacy_doc)


def test_tag_fills_what_every_stage_reads_so_no_stage_tags_again():
    text = '首页\n鼓楼区推行"红色物业"。建成５个驿站！\n'
    body = (text.index("鼓楼区"), text.index("\n", text.index("鼓楼区")))
    sha = hashlib.sha256(text.encode()).hexdigest()
    doc = Document("t.txt", "t.txt", sha, sha, text, title="  南京市鼓楼区推行红色物业 ", body_spans=(body,))
    tagged = tag(doc, Settings())
    # the folded text: each body sentence's norm at its own offsets, the rest as written
    assert len(tagged.norm_text) == len(text) and tagged.norm_text.startswith("首页\n")
    for s in tagged.sentences:
        assert tagged.norm_text[s.start:s.end] == s.norm
    # the title is cut as the body is, its offsets its own
    title = doc.title.strip()
    assert "".join(t.text for t in tagged.title_tokens) == title
    assert all(title[t.start:t.end] == t.text for t in tagged.title_tokens)
    assert [t.text for t in tagged.title_tokens] == [w for w, _ in backend_for(Settings()).tokenize(title)]
    # a word's tag from the tagger's dictionary, for pieces a rule cuts out of a token
    assert tagged.tag_of("红色物业") == next(t.pos for t in tagged.sentences[0].tokens if t.text == "红色物业")
    assert tag(document("党建。"), Settings()).title_tokens == ()


def test_the_tagger_takes_its_segmenter_from_segment_not_from_the_search_index():
    import ast

    tree = ast.parse((REPO / "pipeline" / "tagging.py").read_text(encoding="utf-8"))
    imported = {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
    imported |= {alias.name for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.module is None
                 for alias in node.names}
    assert "fts" not in imported and "segment" in imported


def test_domain_dictionary_keeps_terms_whole():
    tagged = tag(document("推动“红色物业”和兼职网格员制度。"), Settings())
    words = [t.text for t in tagged.sentences[0].tokens]
    assert "红色物业" in words and "兼职网格员" in words


def test_annotators_dictionary_is_loaded(tmp_path):
    annotations = tmp_path / "annotations"
    annotations.mkdir()
    (annotations / "places.dict.txt").write_text("风格城事小区 1000 ns\n", encoding="utf-8")
    settings = Settings(annotations_dir=annotations)
    tagged = tag(document("风格城事小区完成换届。"), settings)
    assert tagged.sentences[0].tokens[0].text == "风格城事小区"
    assert tagged.sentences[0].tokens[0].pos == "ns"


def test_jiebas_global_tokenizer_is_never_used():
    import jieba

    tag(document("网格党支部895个。"), Settings())
    assert not jieba.dt.initialized


def test_jieba_cache_lives_in_the_user_cache(tmp_path):
    """jieba's dictionary cache goes to the settings' cache folder, never the repo or /tmp
    (a fresh process: jieba loads once per process, and this one has loaded it already)."""
    code = ("from pipeline.records import Document; from pipeline.settings import Settings; "
            "from pipeline.tagging import tag; import sys; from pathlib import Path; "
            "tag(Document('t.txt', 't.txt', '0', '0', '党建引领基层治理。'), Settings(cache_dir=Path(sys.argv[1])))")
    subprocess.run([sys.executable, "-c", code, str(tmp_path / "cache")], check=True, cwd=REPO, timeout=120)
    assert list((tmp_path / "cache" / "jieba").glob("*.cache"))


def test_unknown_tagger_is_a_clear_error():
    with pytest.raises(TaggerUnavailable, match="unknown tagger"):
        backend_for(Settings(tagger="ltp"))


hanlp = pytest.importorskip("hanlp", reason="the HanLP extra is not installed")


def test_hanlp_without_models_fails_at_once_saying_how_to_get_them(tmp_path):
    started = time.perf_counter()
    with pytest.raises(TaggerUnavailable, match="HANLP_HOME") as err:
        backend_for(Settings(tagger="hanlp", hanlp_home=str(tmp_path / "empty-hanlp-home")))
    assert time.perf_counter() - started < 10  # HanLP's own loader would wait ~25 s on the network
    assert "COARSE_ELECTRA_SMALL_ZH" in str(err.value) and "hanlp.load" in str(err.value)


def save_tiny_models(folder: Path) -> tuple[str, str]:
    tok, pos = folder / "tok", folder / "pos"
    tok.mkdir(parents=True)
    pos.mkdir(parents=True)
    (tok / "config.json").write_text(json.dumps({"classpath": "tests.hanlp_tiny.WordListTokenizer"}))
    (tok / "words.txt").write_text("南京市\n鼓楼区\n建立\n网格党支部\n个\n895\n", encoding="utf-8")
    (pos / "config.json").write_text(json.dumps({"classpath": "tests.hanlp_tiny.WordListTagger"}))
    (pos / "tags.txt").write_text("南京市\tNR\n鼓楼区\tNR\n建立\tVV\n895\tCD\n个\tM\n。\tPU\n", encoding="utf-8")
    return str(tok), str(pos)


def test_hanlp_backend_loads_models_through_hanlp_and_maps_tags(tmp_path):
    tok, pos = save_tiny_models(tmp_path / "models")
    settings = Settings(tagger="hanlp", hanlp_tok=tok, hanlp_pos=pos, hanlp_home=str(tmp_path / "home"))
    tagged = tag(document("南京市鼓楼区建立网格党支部895个。"), settings)
    tokens = [(t.text, t.pos) for t in tagged.sentences[0].tokens]
    assert tokens == [("南京市", "nr"), ("鼓楼区", "nr"), ("建立", "v"), ("网格党支部", "n"), ("895", "m"),
                      ("个", "q"), ("。", "x")]
    assert [t.tag_ for t in tagged.docs[0]] == [p for _, p in tokens]


def test_a_line_without_sentence_punctuation_is_cut_into_pieces_the_tagger_takes():
    """A flattened table or scraped page: one line, no 。 — spaCy refuses a text over 1,000,000
    characters (E088), and the stages' work per figure grows with its sentence."""
    from pipeline.records import Document
    from pipeline.tagging import MAX_PARAGRAPH_CHARS, MAX_SENTENCE_CHARS, paragraphs

    line = "社区网格员12名居民300户，" * 30_000 + "党员服务站"  # 450,005 characters, no sentence end
    doc = Document("t.txt", "t.txt", "x", "x", line)
    pieces = list(paragraphs(doc))
    assert pieces[0][0] == 0 and pieces[-1][1] == len(line)
    assert all(e - s <= MAX_PARAGRAPH_CHARS and line[e - 1] == "，" for s, e in pieces[:-1])
    assert all(a[1] == b[0] for a, b in zip(pieces, pieces[1:]))  # nothing lost between pieces
    sentences = split_sentences("党员" * 2_000)  # no break at all: cut at the limit
    assert [e - s for s, e in sentences] == [MAX_SENTENCE_CHARS] * 6 + [4_000 - 6 * MAX_SENTENCE_CHARS]


def test_a_long_unpunctuated_line_is_tagged_in_bounded_sentences():
    from pipeline.records import Document
    from pipeline.tagging import MAX_SENTENCE_CHARS

    line = "社区网格员共12名居民有300户" * 400  # 6,400 characters, no punctuation at all
    tagged = tag(Document("t.txt", "t.txt", "x", "x", line), Settings())
    assert tagged.sentences[0].start == 0 and tagged.sentences[-1].end == len(line)
    assert max(s.end - s.start for s in tagged.sentences) <= MAX_SENTENCE_CHARS
    for s in tagged.sentences:  # every token inside its sentence, none cut
        assert s.tokens and s.tokens[0].start == s.start and s.tokens[-1].end == s.end


def test_a_million_character_line_is_catalogued(tmp_path):
    """Issue 20, item 5: one line of 1,000,000 characters without sentence punctuation (a
    flattened table) goes through a worker's whole path, ingest to index tokens, with no
    library's limit (spaCy's E088) reaching the user and no hang: the bound is generous,
    there to catch a run that never ends (the work is linear: ~10 s here on an idle core)."""
    from pipeline.batches import process_paths

    path = tmp_path / "flat.txt"
    line = ("社区网格员走访居民12户听取意见" * 70_000)[:1_000_000]
    path.write_text(line + "\n", encoding="utf-8")
    started = time.perf_counter()
    [outcome] = process_paths([str(path)], Settings())
    assert "error" not in outcome, outcome.get("error")
    extraction = outcome["extraction"]
    assert extraction.document.text.rstrip("\n") == line
    assert len(extraction.facts) > 1000  # the figures of the whole line, not of its first piece
    assert max(f.end for f in extraction.facts) > 990_000
    assert time.perf_counter() - started < 120
