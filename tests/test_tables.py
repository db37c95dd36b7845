"""The one reader of the rule tables in pipeline/data/: rows, and the rows it refuses."""
import re

import pytest

from pipeline.settings import DATA_DIR
from pipeline.tables import TableError, read_table

STOPLIST = ("id", "phrase", "class", "note?")


def test_comments_blank_lines_and_explicit_empty_cells(tmp_path):
    path = tmp_path / "t.tsv"
    path.write_text('# id\tword\n\nQ-1\t连续\t""\tnote \nQ-2\t约\n', encoding="utf-8")
    assert read_table(path) == [["Q-1", "连续", "", "note"], ["Q-2", "约"]]


def test_every_shipped_table_reads():
    for path in sorted(DATA_DIR.glob("*.tsv")):
        rows = read_table(path)
        assert rows and all(row[0] for row in rows), path.name


def test_named_columns_take_rows_with_or_without_the_optional_note(tmp_path):
    path = tmp_path / "stoplist.tsv"
    path.write_text("# id\tphrase\tclass\tnote\nMS-001\t神经末梢\tmetaphor\tnerve endings\n"
                    "MS-002\t最后一米\tmetaphor\t\nMS-003\t硬骨头\tmetaphor\n", encoding="utf-8")
    assert read_table(path, STOPLIST, unique_ids=True) == [
        ["MS-001", "神经末梢", "metaphor", "nerve endings"], ["MS-002", "最后一米", "metaphor", ""],
        ["MS-003", "硬骨头", "metaphor"]]


@pytest.mark.parametrize("body,what", [
    # a row without its class: two cells
    ("# id\tphrase\tclass\tnote\nMS-001\t神经末梢\tmetaphor\nMS-002\t最后一米\n",
     "line 3: 2 cells, want 3 to 4 (id, phrase, class, note; cells are separated by tabs)"),
    # spaces typed where a tab belongs: one cell
    ("MS-001 神经末梢 metaphor\n", "line 1: 1 cell, want 3 to 4"),
    # a note split by a tab: five cells
    ("\nMS-001\t神经末梢\tmetaphor\tnerve\tendings\n", "line 2: 5 cells, want 3 to 4"),
    # the same id twice (a copied row not renumbered)
    ("MS-001\t神经末梢\tmetaphor\n# metaphors\nMS-001\t最后一米\tmetaphor\n", "line 3: id MS-001 again (first on line 1)"),
    # no id
    ("MS-001\t神经末梢\tmetaphor\n\t最后一米\tmetaphor\n", "line 2: no id in the first cell"),
])
def test_a_bad_row_is_an_error_naming_file_and_line(tmp_path, body, what):
    path = tmp_path / "mechanism_stoplist.tsv"
    path.write_text(body, encoding="utf-8")
    with pytest.raises(TableError, match="^" + re.escape(f"{path}, {what}")):
        read_table(path, STOPLIST, unique_ids=True)


def test_repeated_ids_are_allowed_where_a_reader_does_not_ask(tmp_path):
    path = tmp_path / "t.tsv"
    path.write_text("X-1\ta\nX-1\tb\n", encoding="utf-8")
    assert read_table(path, ("id", "word")) == [["X-1", "a"], ["X-1", "b"]]


def test_optional_columns_come_last(tmp_path):
    path = tmp_path / "t.tsv"
    path.write_text("X-1\ta\n", encoding="utf-8")
    with pytest.raises(ValueError, match="optional columns come last"):
        read_table(path, ("id", "note?", "word"))


@pytest.mark.parametrize("file, damage", [
    ("locality_rules.json", lambda text: text.replace("{", "[", 1)),
    ("mechanism_rules.json", lambda text: text[: len(text) // 2]),
    ("fact_units.tsv", lambda text: text + "FU-BAD\n"),
])
def test_check_rules_names_the_bad_file_before_any_document(tmp_path, file, damage):
    import shutil

    from pipeline.process import check_rules
    from pipeline.rules import RuleError
    from pipeline.settings import DATA_DIR, Settings

    data = tmp_path / "data"
    shutil.copytree(DATA_DIR, data)
    (data / file).write_text(damage((data / file).read_text(encoding="utf-8")), encoding="utf-8")
    with pytest.raises((RuleError, TableError), match=file):
        check_rules(Settings(data_dir=data))
