"""The Prefect flow over corpus/ writes the catalogue contract, idempotently."""
from __future__ import annotations

import json
import sqlite3

import pytest

from pipeline import PIPELINE_VERSION
from pipeline.settings import Settings

from .conftest import CORPUS

CONTRACT = {
    "documents": {"id", "source_name", "path", "sha256", "text", "title", "publisher", "published", "author", "url"},
    "facts": {"id", "document_id", "start", "end", "value", "value_max", "unit", "qualifier", "subject", "time",
              "locality_id", "sentence"},
    "mechanisms": {"id", "document_id", "name", "kind", "start", "end", "definition", "components",
                   "locality_id", "practice_id"},
    "practices": {"id", "name", "kind", "category"},
    "localities": {"id", "name", "level", "parent_id", "adcode", "latitude", "longitude"},
    "runs": {"id"},
    "errors": {"id", "path", "reason"},
}

pytestmark = pytest.mark.slow


def task_runs_of(flow_run_id: str) -> list:
    """The task runs Prefect's server recorded for one flow run."""
    import asyncio

    from prefect.client.orchestration import get_client

    async def read():
        async with get_client() as client:
            return [r for r in await client.read_task_runs() if str(r.flow_run_id) == flow_run_id]

    return asyncio.run(read())


def columns(conn, table):
    return {row[1] for row in conn.execute(f"pragma table_info({table})")}


@pytest.fixture
def conn(seed_catalogue):
    c = sqlite3.connect(seed_catalogue)
    yield c
    c.close()


@pytest.mark.parametrize("table", sorted(CONTRACT))
def test_tables_follow_the_contract(conn, table):
    assert CONTRACT[table] <= columns(conn, table)


def test_catalogue_holds_the_five_seeds_with_text_unchanged(conn):
    rows = conn.execute("select source_name, text, sha256, path from documents").fetchall()
    assert sorted(r[0] for r in rows) == sorted(p.name for p in CORPUS.glob("*.txt"))
    for name, text, sha, path in rows:
        assert text == (CORPUS / name).read_bytes().decode("utf-8"), name
        assert path.endswith(name)


def test_every_fact_span_is_its_text(conn):
    rows = conn.execute("select f.start, f.end, f.text, d.text from facts f join documents d on d.id = f.document_id")
    for start, end, fact_text, text in rows:
        assert text[start:end] == fact_text


def test_every_mechanism_points_to_a_practice(conn):
    orphans = conn.execute("select count(*) from mechanisms where practice_id not in (select id from practices)")
    assert orphans.fetchone()[0] == 0


def test_catalogue_is_in_wal_mode(conn):
    assert conn.execute("pragma journal_mode").fetchone()[0] == "wal"


def test_run_recorded(conn):
    status, processed, version = conn.execute(
        "select status, processed, pipeline_version from runs order by started limit 1").fetchone()
    assert (status, processed, version) == ("ok", 5, PIPELINE_VERSION)


def test_second_run_skips_unchanged_documents_and_duplicates_nothing(tmp_path, corpus_copy, prefect_harness):
    from flows.catalogue_flow import run

    db = tmp_path / "c.db"
    settings = Settings(annotations_dir=tmp_path / "annotations")
    first = run([corpus_copy], db, settings)
    conn = sqlite3.connect(db)
    before = {t: conn.execute(f"select count(*) from {t}").fetchone()[0]
              for t in ("documents", "facts", "mechanisms", "practices", "localities")}
    second = run([corpus_copy], db, settings)
    after = {t: conn.execute(f"select count(*) from {t}").fetchone()[0] for t in before}
    conn.close()
    assert first["processed"] == 5 and second["processed"] == 0 and second["skipped"] == 5
    assert before == after


def test_changed_document_is_processed_again_and_replaces_its_old_version(tmp_path, corpus_copy, prefect_harness):
    from flows.catalogue_flow import run

    db = tmp_path / "c.db"
    settings = Settings(annotations_dir=tmp_path / "annotations")
    run([corpus_copy], db, settings)
    target = sorted(corpus_copy.glob("*.txt"))[0]
    conn = sqlite3.connect(db)
    old_id = conn.execute("select id from documents where source_name = ?", [target.name]).fetchone()[0]
    target.write_text(target.read_text(encoding="utf-8") + "\n全区共建立网格党支部12个。\n", encoding="utf-8")
    summary = run([corpus_copy], db, settings)
    assert summary["processed"] == 1 and summary["skipped"] == 4
    rows = conn.execute("select id, text, paths from documents where source_name = ?", [target.name]).fetchall()
    orphans = conn.execute("select count(*) from facts where document_id = ?", [old_id]).fetchone()[0]
    conn.close()
    assert len(rows) == 1 and rows[0][0] != old_id  # one document for the file: its new version
    assert rows[0][1].endswith("全区共建立网格党支部12个。\n") and json.loads(rows[0][2]) == [str(target)]
    assert orphans == 0


def test_batches_are_tasks_of_several_documents(tmp_path, corpus_copy, prefect_harness):
    """Orchestration cost: one task per batch, not per document."""
    from flows.catalogue_flow import run

    summary = run([corpus_copy], tmp_path / "c.db", Settings(batch_size=2, annotations_dir=tmp_path / "a"))
    assert summary["processed"] == 5

    runs = task_runs_of(summary["flow_run_id"])
    # 5 documents in batches of 2: three tasks, not five, and all of them completed
    assert sorted(r.name.split("-")[0] + "-" + r.name.split("-")[1] for r in runs) == ["process-batch"] * 3
    assert all(r.state.is_completed() for r in runs)


def test_two_workers_are_a_dask_worker_and_the_flows_own_process(tmp_path, corpus_copy, prefect_harness,
                                                                 seed_catalogue, monkeypatch):
    """--workers 2 on one machine: one Dask worker process takes batches as tasks, the flow's
    process works on documents between writes; the catalogue is the one a single worker makes."""
    from prefect.settings import PREFECT_API_URL

    from flows.catalogue_flow import run

    monkeypatch.setenv("PREFECT_API_URL", PREFECT_API_URL.value())  # the spawned worker reports here too
    db = tmp_path / "c.db"
    summary = run([corpus_copy], db, Settings(workers=2, batch_size=1, annotations_dir=tmp_path / "a"))
    assert summary["processed"] == 5 and summary["failed"] == 0, summary["errors"]

    runs = task_runs_of(summary["flow_run_id"])
    # batches of one: the worker took at least the two submitted first (it starts slower
    # than the flow's process, which meanwhile took the third), the flow's process the rest
    assert 2 <= len(runs) <= 4 and all(r.state.is_completed() for r in runs), runs
    counts = ("select (select count(*) from documents), (select count(*) from facts), "
              "(select count(*) from mechanisms), (select group_concat(id) from (select id from facts order by id))")
    ref, got = sqlite3.connect(seed_catalogue), sqlite3.connect(db)
    try:
        assert got.execute(counts).fetchone() == ref.execute(counts).fetchone()
    finally:
        ref.close()
        got.close()


def test_search_index_built_by_the_flow_matches_a_fresh_tokenisation(seed_catalogue):
    """Workers tokenise documents for the index; the index must be what SQLite would build."""
    from pipeline import fts

    conn = sqlite3.connect(seed_catalogue)
    fts.register(conn)
    try:
        hits = {q: {r[0] for r in conn.execute(
            "select d.source_name from documents_fts f join documents d on d.rowid = f.rowid "
            "where documents_fts match ?", [q])} for q in ("物业", "网格", "红色物业", "宁海路 党员")}
        conn.execute("insert into documents_fts(documents_fts) values('integrity-check')")
    finally:
        conn.close()
    texts = {p.name: p.read_text(encoding="utf-8") for p in CORPUS.glob("*.txt")}
    assert hits["物业"] == {n for n, t in texts.items() if "物业" in t}
    assert hits["红色物业"] == {n for n, t in texts.items() if "红色物业" in t}
    assert hits["宁海路 党员"] == {n for n, t in texts.items() if "宁海路" in t and "党员" in t}
    assert hits["网格"]


def test_every_search_index_holds_what_a_rebuild_would(seed_catalogue, tmp_path):
    """Workers tokenise every indexed text ahead (no offsets, packed); each index must hold
    exactly the term instances SQLite's own rebuild (tokenising afresh) puts there."""
    from pipeline import fts

    copy = tmp_path / "copy.db"
    source = sqlite3.connect(seed_catalogue)
    source.backup(target := sqlite3.connect(copy))
    source.close()
    fts.register(target)
    try:
        for table in fts.FTS_COLUMNS:
            target.execute(f"create virtual table v_{table} using fts5vocab({table}_fts, 'instance')")
            before = target.execute(f"select * from v_{table} order by 1, 2, 3, 4").fetchall()
            target.execute(f"insert into {table}_fts({table}_fts) values('rebuild')")
            after = target.execute(f"select * from v_{table} order by 1, 2, 3, 4").fetchall()
            assert before and before == after, table
    finally:
        target.close()


@pytest.mark.parametrize("commit_size", [1, 100])
@pytest.mark.parametrize("raise_kind", ["ABORT", "ROLLBACK"])
def test_a_document_the_catalogue_refuses_is_reported_and_the_others_are_kept(tmp_path, corpus_copy, raise_kind,
                                                                              commit_size):
    """The writer's transaction holds a savepoint per document. A write SQLite refuses
    (RAISE(ABORT): the statement; RAISE(ROLLBACK): the whole transaction) is reported with its
    file, and every other document is written: its batch mates, and an earlier batch whether
    it was committed already (commit_size 1) or only written in the same transaction (100)."""
    from pipeline.batches import CatalogueWriter, process_paths
    from pipeline.catalogue import Catalogue, RunStats

    settings = Settings(annotations_dir=tmp_path / "a")
    paths = sorted(str(p) for p in corpus_copy.glob("*.txt"))
    victim = paths[2]
    outcomes = process_paths(paths, settings)
    with Catalogue(tmp_path / "c.db") as catalogue:
        run_id = catalogue.start_run(paths, settings.as_dict())
        victim_id = next(o["extraction"].document.id for o in outcomes if o["path"] == victim)
        catalogue.db.execute(f"create trigger refuse before insert on facts when new.document_id = '{victim_id}' "
                             f"begin select raise({raise_kind}, 'refused by a test trigger'); end")
        stats, errors = RunStats(), []
        with CatalogueWriter(catalogue, run_id, stats, errors, commit_size) as writer:
            writer.write(outcomes[:1])
            assert catalogue.db.conn.in_transaction == (commit_size > 1)
            writer.write(outcomes[1:])
        written = {r[0] for r in catalogue.db.execute("select path from documents")}
        reasons = {r[0]: r[1] for r in catalogue.db.execute("select path, reason from errors")}
    assert written == set(paths) - {victim}
    assert stats.processed == 4 and stats.failed == 1
    assert [e[0] for e in errors] == [victim] and "refused by a test trigger" in errors[0][1]
    assert "catalogue write failed" in reasons[victim]


def test_the_writer_commits_every_commit_size_documents_and_when_closed(tmp_path, corpus_copy):
    """A reader (Datasette) sees documents at each commit: after every commit_size documents
    written, and the rest when the writer closes."""
    from pipeline.batches import CatalogueWriter, process_paths
    from pipeline.catalogue import Catalogue, RunStats

    settings = Settings(annotations_dir=tmp_path / "a")
    outcomes = process_paths(sorted(str(p) for p in corpus_copy.glob("*.txt")), settings)
    seen, counted = [], []
    with Catalogue(tmp_path / "c.db") as catalogue:
        reader = sqlite3.connect(tmp_path / "c.db")
        stats = RunStats()
        with CatalogueWriter(catalogue, catalogue.start_run([], {}), stats, [], commit_size=2) as writer:
            for outcome in outcomes:
                writer.write([outcome])
                seen.append(reader.execute("select count(*) from documents").fetchone()[0])
                counted.append(stats.processed)
        seen.append(reader.execute("select count(*) from documents").fetchone()[0])
        reader.close()
    assert seen == [0, 2, 2, 4, 4, 5]
    assert counted == [0, 2, 2, 4, 4] and stats.processed == 5


def test_triage_writes_nothing_for_unchanged_files_and_records_a_new_copy(tmp_path, corpus_copy):
    """A re-run over an unchanged corpus touches no document (it was one transaction a file);
    a copy of a known file at a new path is one more path of the same document."""
    import shutil

    from pipeline.batches import CatalogueWriter, process_paths, triage
    from pipeline.catalogue import Catalogue, RunStats

    paths = sorted(str(p) for p in corpus_copy.glob("*.txt"))
    copy = tmp_path / "copy.txt"
    with Catalogue(tmp_path / "c.db") as catalogue:
        run_id = catalogue.start_run([], {})
        with CatalogueWriter(catalogue, run_id, RunStats(), []) as writer:
            writer.write(process_paths(paths, Settings(annotations_dir=tmp_path / "a")))
        shutil.copy(paths[0], copy)
        statements, stats = [], RunStats()
        catalogue.db.conn.set_trace_callback(statements.append)
        pending = triage([str(corpus_copy), str(copy)], catalogue, run_id, stats, [])
        catalogue.db.conn.set_trace_callback(None)
        recorded = json.loads(catalogue.db.execute("select paths from documents where path = ?",
                                                   [paths[0]]).fetchone()[0])
    writes = [s.split()[0].lower() for s in statements if s.split()[0].lower() in ("insert", "update", "delete")]
    assert pending == [] and stats.skipped == 6
    assert writes == ["insert", "update"]  # the copy's path, in document_paths and in documents.paths
    assert recorded == [paths[0], str(copy)]


def test_an_existing_cluster_gets_two_batches_for_each_of_its_worker_threads(tmp_path, corpus_copy,
                                                                            prefect_harness, monkeypatch):
    """--dask-address: as many batches run at once as the cluster has threads (a fixed window
    of two had left a larger cluster idle)."""
    from distributed import LocalCluster
    from prefect.settings import PREFECT_API_URL

    from flows.catalogue_flow import run

    monkeypatch.setenv("PREFECT_API_URL", PREFECT_API_URL.value())  # the workers report here too
    with LocalCluster(n_workers=2, threads_per_worker=2, processes=True, dashboard_address=None,
                      host="127.0.0.1") as cluster:
        summary = run([corpus_copy], tmp_path / "c.db", Settings(dask_address=cluster.scheduler_address,
                                                                batch_size=1, annotations_dir=tmp_path / "a"))
    assert summary["processed"] == 5 and summary["failed"] == 0, summary["errors"]

    spans = [(r.start_time, r.end_time) for r in task_runs_of(summary["flow_run_id"])]
    assert len(spans) == 5
    at_once = max(sum(s <= start < e for s, e in spans) for start, _ in spans)
    assert at_once >= 3, spans  # four threads; a window of two never runs more than two


# -- progress: each document as it finishes ------------------------------------------------------
class Told:
    """A ``batches.DocumentProgress`` that keeps what it is told, in order."""

    def __init__(self):
        self.events: list[tuple[str, str]] = []

    def working_on(self, path):
        self.events.append(("working on", path))

    def finished(self, path):
        self.events.append(("finished", path))

    def counted(self, outcomes):
        self.events.append(("batch back", str(len(outcomes))))


def test_a_batch_on_threads_reports_each_document_before_it_comes_back(prefect_harness, tmp_path):
    from prefect import flow
    from prefect.task_runners import ThreadPoolTaskRunner

    from flows import catalogue_flow

    paths = [str(p) for p in sorted(CORPUS.glob("*.txt"))[:3]]
    told = Told()

    @flow(task_runner=ThreadPoolTaskRunner(max_workers=1))
    def probe():
        for outcomes in catalogue_flow.run_batches(paths, Settings(batch_size=3), told):
            told.counted(outcomes)

    probe()
    # one batch of three, yet each document was told of as it went, its name first
    assert told.events == [e for p in paths for e in (("working on", p), ("finished", p))] + [("batch back", "3")]


def test_progress_bar_counts_each_document_once():
    from flows.catalogue_flow import ProgressBar

    bar = ProgressBar(total=4)
    bar.finished("a.txt")
    bar.finished("b.txt")  # told here, one by one
    bar.counted([{"path": "a.txt"}, {"path": "b.txt"}])  # then its batch comes back: not counted again
    assert bar.completed == 2
    bar.counted([{"path": "c.txt"}, {"path": "d.txt"}])  # a worker's batch: counted when it comes back
    assert bar.completed == 4


def test_everything_skipped_shows_no_bar():
    from flows.catalogue_flow import ProgressBar, _progress

    assert not isinstance(_progress(Settings(show_progress=True), 0), ProgressBar)
    assert isinstance(_progress(Settings(show_progress=True), 3), ProgressBar)


@pytest.mark.parametrize("frequency, expected", [(None, "None"), ("45", "45")])
def test_prefect_heartbeats_only_where_the_user_set_their_frequency(frequency, expected):
    """A flow run's heartbeats cost most of a small batch's flow (joining their thread at the
    end): off, unless PREFECT_FLOWS_HEARTBEAT_FREQUENCY asks for them (a zombie-run automation)."""
    import os
    import subprocess
    import sys

    from .conftest import REPO

    env = {k: v for k, v in os.environ.items() if k != "PREFECT_FLOWS_HEARTBEAT_FREQUENCY"}
    if frequency:
        env["PREFECT_FLOWS_HEARTBEAT_FREQUENCY"] = frequency
    script = ("from prefect.settings import get_current_settings\n"
              "from flows.catalogue_flow import heartbeats_as_configured\n"
              "with heartbeats_as_configured():\n"
              "    print(get_current_settings().flows.heartbeat_frequency)\n")
    done = subprocess.run([sys.executable, "-c", script], cwd=REPO, env=env, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.split() == [expected]
