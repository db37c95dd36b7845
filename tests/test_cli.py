"""The ``jingyan`` command end to end, as a user runs it: real Prefect, real SQLite files."""
from __future__ import annotations

import os
import re
import signal
import sqlite3
import subprocess
import time
from pathlib import Path

import pytest

from .conftest import CORPUS, JINGYAN, REPO, run_cli

pytestmark = pytest.mark.slow


def count(db: Path, sql: str) -> int:
    conn = sqlite3.connect(db)
    try:
        return conn.execute(sql).fetchone()[0]
    finally:
        conn.close()


def test_run_on_a_folder_writes_every_document_and_prints_a_summary(tmp_path):
    folder = tmp_path / "batch" / "nested"
    folder.mkdir(parents=True)
    for seed in sorted(CORPUS.glob("*.txt"))[:2]:
        (folder / seed.name).write_bytes(seed.read_bytes())
    db = tmp_path / "out" / "c.db"
    result = run_cli("run", str(tmp_path / "batch"), "--db", str(db), "--no-progress")
    assert result.returncode == 0, result.stderr[-2000:]
    assert "documents" in result.stdout and "mechanisms" in result.stdout and "seconds" in result.stdout
    assert count(db, "select count(*) from documents") == 2
    assert count(db, "select count(*) from errors") == 0


def test_failures_exit_1_name_the_file_and_the_rest_goes_in(tmp_path):
    folder = tmp_path / "batch"
    folder.mkdir()
    seed = sorted(CORPUS.glob("*.txt"))[0]
    (folder / seed.name).write_bytes(seed.read_bytes())
    (folder / "broken.txt").write_bytes(b"\x00\x01\x02\xff\xfe\x00binary" * 50)
    (folder / "report.html").write_text("<html><body></body></html>", encoding="utf-8")  # no article text
    db = tmp_path / "c.db"
    result = run_cli("run", str(folder), "--db", str(db), "--no-progress")
    assert result.returncode == 1
    out = result.stdout + result.stderr
    assert re.search(r"broken\.txt: .+", out), out[-2000:]
    assert re.search(r"report\.html: no article text", out), out[-2000:]
    assert count(db, "select count(*) from documents") == 1
    assert count(db, "select count(*) from errors") == 2


def _foreign_sqlite(path: Path) -> Path:
    conn = sqlite3.connect(path)
    conn.execute("create table notes (body text)")
    conn.commit()
    conn.close()
    return path


# every one of these is said before Prefect starts: one line on stderr, exit 2, in about a second
INPUT_ERRORS = [
    ("missing-path", lambda d: [str(d / "missing"), "--db", str(d / "c.db")], r"no such file or folder: .*missing"),
    ("not-sqlite-db", lambda d: [str(CORPUS), "--db", str(_text(d / "notes.db"))], r"is not a SQLite file"),
    ("foreign-sqlite-db", lambda d: [str(CORPUS), "--db", str(_foreign_sqlite(d / "other.db"))],
     r"SQLite database but not a jingyan catalogue"),
    ("folder-as-db", lambda d: [str(CORPUS), "--db", str(d)], r"is a folder, not a catalogue file"),
    ("bad-workers", lambda d: [str(CORPUS), "--db", str(d / "c.db"), "--workers", "0"],
     r"Invalid value for '--workers'.*\(see jingyan run --help\)"),
    ("bad-tagger", lambda d: [str(CORPUS), "--db", str(d / "c.db"), "--tagger", "nltk"], r"Invalid value for '--tagger'"),
    ("bad-dask-address", lambda d: [str(CORPUS), "--db", str(d / "c.db"), "--dask-address", "localhost"],
     r"--dask-address 'localhost' is not a scheduler address"),
    ("unsupported-file", lambda d: [str(_text(d / "report.pdf")), "--db", str(d / "c.db")], r"\.pdf is not supported"),
    ("no-paths", lambda d: ["--db", str(d / "c.db")], r"Missing argument 'PATHS\.\.\.'"),
]


def _text(path: Path) -> Path:
    path.write_text("这不是数据库\n", encoding="utf-8")
    return path


@pytest.mark.parametrize("case, make_args, message", INPUT_ERRORS, ids=[c[0] for c in INPUT_ERRORS])
def test_input_errors_are_one_line_exit_2_before_prefect_starts(tmp_path, case, make_args, message):
    prefect_home = tmp_path / "prefect-home"  # made as soon as the flow module is imported
    args = make_args(tmp_path)
    started = time.perf_counter()
    result = run_cli("run", *args, env={"PREFECT_HOME": str(prefect_home)})
    seconds = time.perf_counter() - started
    assert result.returncode == 2, result.stderr[-2000:]
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: "), result.stderr
    assert re.search(message, lines[0]), lines[0]
    assert result.stdout == ""
    # Prefect's temporary server alone takes ~10 s; the checks take about one on an idle machine
    assert seconds < 8, f"{seconds:.1f} s: did Prefect start?"
    assert not prefect_home.exists(), "the flow (and Prefect) was imported"
    assert not (tmp_path / "c.db").exists()  # nothing written


def test_summary_counts_this_run_and_says_what_corrections_changed(tmp_path, seed_catalogue):
    seed = sorted(CORPUS.glob("*.txt"))[0]
    ref = sqlite3.connect(seed_catalogue)
    doc_id, anchor = ref.execute("select d.id, f.text from facts f join documents d on d.id = f.document_id "
                                 "where d.source_name = ? order by f.start limit 1", [seed.name]).fetchone()
    n_facts = ref.execute("select count(*) from facts where document_id = ?", [doc_id]).fetchone()[0]
    ref.close()
    annotations = tmp_path / "annotations"
    annotations.mkdir()
    (annotations / f"{seed.name}.jsonl").write_text(
        '{"type": "fact", "doc": "%s", "anchor": "%s", "occurrence": 1, "action": "reject", '
        '"who": "li@example.org", "when": "2024-05-01T10:00:00Z"}\n' % (seed.name, anchor), encoding="utf-8")
    db = tmp_path / "c.db"
    first = run_cli("run", str(seed), "--db", str(db), "--annotations", str(annotations))
    assert first.returncode == 0, first.stderr[-2000:]
    row = re.search(r"│\s*(\d+)\s*│\s*(\d+)\s*│\s*(\d+)\s*│\s*(\d+)\s*│\s*(\d+)\s*│\s*(\d+)\s*│", first.stdout)
    assert row, first.stdout
    documents, skipped, facts, _, localities, errors = map(int, row.groups())
    assert (documents, skipped, facts, errors) == (1, 0, n_facts, 0)
    assert localities == count(db, "select count(distinct locality_id) from locality_mentions")
    assert f"corrections ({annotations}): 1 fact removed" in first.stdout
    assert re.search(rf"catalogue now holds 1 document, {n_facts - 1} facts,", first.stdout), first.stdout
    assert "1/1 documents" in first.stdout + first.stderr  # the bar, at the end

    again = run_cli("run", str(seed), "--db", str(db), "--annotations", str(annotations))
    assert again.returncode == 0, again.stderr[-2000:]
    assert "0/0" not in again.stdout + again.stderr and "cataloguing" not in again.stdout + again.stderr
    documents, skipped, facts, _, localities, errors = map(int, re.search(
        r"│\s*(\d+)\s*│\s*(\d+)\s*│\s*(\d+)\s*│\s*(\d+)\s*│\s*(\d+)\s*│\s*(\d+)\s*│", again.stdout).groups())
    assert (documents, skipped, facts, localities) == (0, 1, 0, 0)  # this run's work: nothing new
    assert "corrections (" not in again.stdout  # the reject was already in place: nothing changed


def test_prefect_home_is_outside_the_repo(tmp_path):
    home = tmp_path / "home"
    result = run_cli("run", str(sorted(CORPUS.glob("*.txt"))[0]), "--db", str(tmp_path / "c.db"), "--no-progress",
                     env={"HOME": str(home), "XDG_DATA_HOME": "", "PREFECT_HOME": ""}
                     | {k: v for k, v in {}.items()}, cwd=tmp_path)
    assert result.returncode == 0, result.stderr[-2000:]
    assert not (REPO / ".prefect").exists()


def make_corpus(folder: Path, copies: int) -> dict[str, str]:
    """Copies of the seeds, each made distinct by a body sentence of its own (no figures, no names in it).

    A distinct furniture line would not do: the same body with other furniture is one document.
    """
    folder.mkdir(parents=True, exist_ok=True)
    seeds = sorted(CORPUS.glob("*.txt"))
    origin = {}
    for i in range(copies):
        seed = seeds[i % len(seeds)]
        name = f"copy{i:04d}_{seed.name}"
        tag = "".join(chr(ord("a") + int(d)) for d in f"{i:04d}")
        (folder / name).write_text(seed.read_text(encoding="utf-8") + f"\n本文是测试用的副本,编号为{tag},内容与原文相同。\n", encoding="utf-8")
        origin[name] = seed.name
    return origin


def test_killed_run_restarted_leaves_no_half_document_and_no_duplicates(tmp_path):
    folder = tmp_path / "corpus"
    origin = make_corpus(folder, 150)
    db = tmp_path / "c.db"
    args = [JINGYAN, "run", str(folder), "--db", str(db), "--no-progress", "--batch-size", "5",
            "--commit-size", "5"]  # commits every 5 documents, so that the test sees them arrive
    proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        deadline = time.time() + 240
        written = 0
        while time.time() < deadline and proc.poll() is None:
            time.sleep(0.2)
            if db.exists():
                try:
                    written = count(db, "select count(*) from documents")
                except sqlite3.OperationalError:
                    continue
                if written >= 10:
                    break
        assert proc.poll() is None, "the run finished before it could be killed: make the corpus larger"
        os.killpg(proc.pid, signal.SIGKILL)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    partial = count(db, "select count(*) from documents")
    assert 10 <= partial < 150

    result = run_cli("run", str(folder), "--db", str(db), "--no-progress", "--batch-size", "25")
    assert result.returncode == 0, result.stderr[-2000:]
    conn = sqlite3.connect(db)
    try:
        assert conn.execute("select count(*) from documents").fetchone()[0] == 150
        for table in ("facts", "mechanisms"):
            dupes = conn.execute(f"select count(*) - count(distinct document_id || ':' || start || ':' || end) "
                                 f"from {table}").fetchone()[0]
            assert dupes == 0, table
        statuses = [s for (s,) in conn.execute("select status from runs order by started")]
        assert statuses == ["interrupted", "ok"]
        # every copy of a seed holds exactly what the other copies hold: none half-written
        got = conn.execute("select d.source_name, (select count(*) from facts f where f.document_id = d.id),"
                           " (select count(*) from mechanisms m where m.document_id = d.id)"
                           " from documents d").fetchall()
        by_seed: dict[str, set] = {}
        for name, n_facts, n_mechs in got:
            by_seed.setdefault(origin[name], set()).add((n_facts, n_mechs))
        assert all(len(v) == 1 for v in by_seed.values()), by_seed
    finally:
        conn.close()


def test_every_command_is_documented_in_the_readme():
    from click.testing import CliRunner  # noqa: F401

    from pipeline.cli import main

    readme = (REPO / "README.md").read_text(encoding="utf-8")

    def walk(group, prefix):
        for name, command in group.commands.items():
            full = f"{prefix} {name}"
            yield full
            if hasattr(command, "commands"):
                yield from walk(command, full)

    missing = [c for c in walk(main, "jingyan") if c not in readme]
    assert not missing, f"commands not in README.md: {missing}"


def test_batches_run_on_an_existing_dask_cluster(tmp_path, seed_catalogue):
    """--dask-address: workers in other processes tag and extract; the catalogue is the same."""
    from distributed import LocalCluster

    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None,
                      host="127.0.0.1") as cluster:
        db = tmp_path / "c.db"
        result = run_cli("run", str(CORPUS), "--db", str(db), "--no-progress", "--batch-size", "2",
                         "--dask-address", cluster.scheduler_address)
    assert result.returncode == 0, result.stderr[-2000:]
    table = "select (select count(*) from documents), (select count(*) from facts), (select count(*) from mechanisms)"
    ref = sqlite3.connect(seed_catalogue)
    expected = ref.execute(table).fetchone()
    ref.close()
    assert sqlite3.connect(db).execute(table).fetchone() == expected


@pytest.mark.parametrize("command", [["serve"], ["cite", "0000000000000000"], ["annotate", "export", "--out", "x"]],
                         ids=["serve", "cite", "annotate-export"])
def test_commands_that_read_a_catalogue_refuse_another_file_in_one_line(tmp_path, command):
    notes = _text(tmp_path / "notes.db")
    result = run_cli(*command, "--db", str(notes), cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [f"Error: --db {notes} is not a SQLite file (a catalogue is one): "
                                                  "choose another path"]
    assert not (tmp_path / "x").exists()
