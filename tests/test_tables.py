"""The one reader of the rule tables in pipeline/data/."""
from pipeline.settings import DATA_DIR
from pipeline.tables import read_table


def test_comments_blank_lines_and_explicit_empty_cells(tmp_path):
    path = tmp_path / "t.tsv"
    path.write_text('# id\tword\n\nQ-1\t连续\t""\tnote \nQ-2\t约\n', encoding="utf-8")
    assert read_table(path) == [["Q-1", "连续", "", "note"], ["Q-2", "约"]]


def test_every_shipped_table_reads():
    for path in sorted(DATA_DIR.glob("*.tsv")):
        rows = read_table(path)
        assert rows and all(row[0] for row in rows), path.name
