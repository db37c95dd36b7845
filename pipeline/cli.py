"""The ``jingyan`` command: a thin shell that parses, calls one library function, prints.

Errors become one-line messages and exit codes; the work lives in ``pipeline`` and
``flows``.
"""
from __future__ import annotations

import json
import re
import sqlite3
import sys
import warnings
from pathlib import Path

import click

from .citations import LOW_CONFIDENCE
from .settings import Settings

DEFAULT_DB = "outputs/catalogue.db"
DASK_ADDRESS = re.compile(r"^(?:(?:tcp|tls|inproc|ucx|ws|wss)://)?[\w.\-\[\]:]+:\d{1,5}$")


class InputError(click.ClickException):
    """A wrong argument, path or option value: one line, exit 2, before any work starts."""

    exit_code = 2


class OneLineErrors(click.Group):
    """A subcommand's usage error is one line naming the command's --help, not the usage block."""

    def invoke(self, ctx: click.Context):
        args = [*ctx.protected_args, *ctx.args]  # the command line, before the subcommand takes it
        try:
            return super().invoke(ctx)
        except click.UsageError as exc:
            where = exc.ctx.command_path if exc.ctx else ctx.command_path
            raise InputError(f"{exc.format_message()} (see {where} --help)") from None
        except sqlite3.DatabaseError as exc:  # damage the opening check could not see, found when read
            from .catalogue import damaged_message, is_damage

            if not is_damage(exc):
                raise
            raise InputError(damaged_message(_db_argument(args), str(exc))) from None


def _db_argument(args: list[str]) -> str:
    """The --db a command line names (the default when none).

    >>> _db_argument(["cite", "a1b6", "--db", "x.db"]), _db_argument(["eval", "--db=y.db"]), _db_argument([])
    ('x.db', 'y.db', 'outputs/catalogue.db')
    """
    for i, arg in enumerate(args):
        if arg == "--db" and i + 1 < len(args):
            return args[i + 1]
        if arg.startswith("--db="):
            return arg[len("--db="):]
    return DEFAULT_DB


@click.group(cls=OneLineErrors, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="jingyan")
def main() -> None:
    """jingyan (经验): a searchable, citable catalogue of local governance practices."""
    # jieba 0.42 imports pkg_resources; its deprecation notice is not the user's business
    warnings.filterwarnings("ignore", message="pkg_resources is deprecated", category=UserWarning)


@main.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--db", default=DEFAULT_DB, show_default=True, type=click.Path(path_type=Path),
              help="The SQLite catalogue to write (created if missing).")
@click.option("--tagger", type=click.Choice(["jieba", "hanlp"]), default="jieba", show_default=True,
              help="Segmentation and tagging backend.")
@click.option("--workers", default=1, show_default=True, type=click.IntRange(1, 256),
              help="Processes that work on documents: above 1, this one (which also writes) and the others "
                   "as a local Dask cluster.")
@click.option("--dask-address", default="", help="Run batches on an existing Dask scheduler (tcp://host:8786).")
@click.option("--batch-size", default=Settings.batch_size, show_default=True, type=click.IntRange(1, 100000),
              help="Documents per Prefect task.")
@click.option("--commit-size", default=Settings.commit_size, show_default=True, type=click.IntRange(1, 100000),
              help="Documents per SQLite transaction (Datasette sees new documents at each commit).")
@click.option("--annotations", "annotations_dir", default="annotations", show_default=True,
              type=click.Path(path_type=Path), help="Folder of annotators' corrections applied on every run.")
@click.option("--hanlp-tok", default=Settings.hanlp_tok, show_default=True,
              help="With --tagger hanlp: a HanLP pretrained tokenizer name under HANLP_HOME, or a model folder.")
@click.option("--hanlp-pos", default=Settings.hanlp_pos, show_default=True,
              help="With --tagger hanlp: a HanLP pretrained POS tagger name, or a model folder.")
@click.option("--progress/--no-progress", default=True, show_default=True, help="Show a progress bar.")
@click.option("--prune", is_flag=True, help="Delete the documents whose files are gone from the folders run "
                                            "(without it they are kept and marked missing).")
def run(paths, db, tagger, workers, dask_address, batch_size, commit_size, annotations_dir, hanlp_tok,
        hanlp_pos, progress, prune) -> None:
    """Catalogue PATHS (files and folders, recursively) into --db, through the Prefect flow.

    Exits 0 when every document went in, 1 when any failed (each listed with its reason).
    """
    settings = Settings(tagger=tagger, workers=workers, dask_address=dask_address, batch_size=batch_size,
                        commit_size=commit_size, annotations_dir=annotations_dir, show_progress=progress,
                        hanlp_tok=hanlp_tok, hanlp_pos=hanlp_pos, prune=prune)
    _check_inputs(paths, db, settings)  # a refused run starts nothing: no lock taken, no server spawned
    summary = _run_flow(list(paths), db, settings)
    if summary.get("refused"):  # the catalogue turned out damaged while the run read it
        raise InputError(summary["refused"])
    _print_summary({**summary, "pruned": prune}, db)
    sys.exit(1 if summary["failed"] else 0)


def _run_flow(paths: list[Path], db: Path, settings: Settings) -> dict:
    """The writer lock, then Prefect's temporary server spawned before Prefect is imported
    (unless PREFECT_API_URL names a server), the run's start-up while it boots, the flow."""
    from flows.server import ServerError, starting  # imports no Prefect

    with starting(db, on_wait=lambda line: _wait_for_writer(line, db)) as start:
        _prepare(db, settings, server_booting=start.server is not None)
        from flows.catalogue_flow import run

        try:
            return run(paths, db, settings, start)
        except ServerError as exc:
            raise click.ClickException(str(exc)) from None


def _prepare(db: Path, settings: Settings, server_booting: bool) -> None:
    """What the flow needs and the server does not: Prefect and the flow imported, signals
    handled, the rules checked, and the dictionaries loaded while a server boots (the flow's
    tagger, kept; with a running server a run with nothing new skips them, the flow loads
    them when a document needs them)."""
    _stop_on_signals(db)  # imports the flow and Prefect
    if server_booting or settings.tagger == "hanlp":
        _check_tagger(settings)
    if server_booting:
        from .catalogue import import_sqlite_utils

        import_sqlite_utils()  # the catalogue's: time the flow would spend
    _check_rules(settings)


def _wait_for_writer(line: str, db: Path) -> None:
    """Another run writes the catalogue: say so, and let SIGTERM and Ctrl-C end the wait as
    they end a run (one line, exit 143/130), not with a traceback."""
    click.echo(line, err=True)
    _stop_on_signals(db)


def _stop_on_signals(db: Path) -> None:
    """SIGTERM, Ctrl-C: one line, the temporary server and workers stopped, exit 143/130 (once)."""
    import signal

    from flows.catalogue_flow import StopOnSignals

    if not isinstance(signal.getsignal(signal.SIGINT), StopOnSignals):
        StopOnSignals(db).install()


def _check_inputs(paths, db: Path, settings: Settings) -> None:
    """Paths that exist, a --db a run may write, a Dask address that is one: else one line, exit 2."""
    from .ingest import SUPPORTED_SUFFIXES

    for path in paths:
        if not path.exists():
            raise InputError(f"no such file or folder: {path}")
        if path.is_file() and path.suffix.lower() not in SUPPORTED_SUFFIXES:
            raise InputError(f"{path}: {path.suffix or 'a file without suffix'} is not supported "
                             f"(want {', '.join(SUPPORTED_SUFFIXES)})")
    if settings.annotations_dir.exists() and not settings.annotations_dir.is_dir():
        raise InputError(f"--annotations {settings.annotations_dir} is a file, not a folder of corrections")
    if settings.dask_address and not DASK_ADDRESS.match(settings.dask_address):
        raise InputError(f"--dask-address {settings.dask_address!r} is not a scheduler address "
                         "(want tcp://host:8786)")
    note = _catalogue_note(db)
    if note:
        click.echo(f"note: {note}", err=True)


def _catalogue_note(db: Path) -> str:
    """``catalogue.catalogue_file_note``, its refusal as one line and exit 2."""
    from .catalogue import CatalogueFileError, catalogue_file_note

    try:
        return catalogue_file_note(db)
    except CatalogueFileError as exc:
        raise InputError(str(exc)) from None


def _check_catalogue(db: Path) -> None:
    """A --db to read must be a catalogue: a wrong file is one line, exit 2."""
    _catalogue_note(db)
    if db.stat().st_size == 0:
        raise InputError(f"--db {db} is empty: no catalogue yet (jingyan run writes one)")


def _check_tagger(settings: Settings) -> None:
    """Fail before the flow starts when the tagger cannot load; loaded, the flow's documents
    in this process use it (``tagging.backend_for`` keeps it)."""
    from .tagging import TaggerUnavailable, backend_for

    try:
        backend_for(settings)
    except TaggerUnavailable as exc:
        raise click.ClickException(str(exc)) from exc


def _check_rules(settings: Settings) -> None:
    """A bad rule file is one message and exit 2, before the flow starts (a temporary server
    already booting is stopped as the command exits), not an error per document."""
    from .process import check_rules
    from .rules import RuleError
    from .tables import TableError

    try:
        check_rules(settings)
    except (RuleError, TableError) as exc:
        raise InputError(str(exc)) from exc


def _print_summary(summary: dict, db: Path) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console(stderr=False)
    for path, reason in summary["errors"]:
        console.print(f"[red]error[/red] {path}: {reason}", highlight=False, soft_wrap=True)
    # every column is this run's work; what the catalogue holds is the line below
    table = Table(title=f"this run → {db}")
    for column in ("documents", "skipped", "facts", "mechanisms", "localities", "errors", "seconds"):
        table.add_column(column, justify="right")
    table.add_row(str(summary["processed"]), str(summary["skipped"]), str(summary["facts"]),
                  str(summary["mechanisms"]), str(summary["localities"]), str(summary["failed"]),
                  f"{summary['seconds']:.1f}")
    console.print(table)
    if summary.get("gone"):
        console.print(gone_line(summary["gone"], pruned=summary.get("pruned", False)), highlight=False,
                      soft_wrap=True)
    changed = corrections_changed(summary["corrections"])
    if changed:
        console.print(f"corrections ({summary['corrections']['folder']}): {changed}", highlight=False,
                      soft_wrap=True)
    if summary.get("relearned"):  # pipeline.lexicon: names the corrections teach changed
        console.print(f"learned names ({summary['corrections']['folder']}): {counted(summary['relearned'], 'document')} "
                      "made again from the catalogue", highlight=False, soft_wrap=True)
    for miss in summary["corrections"].get("unmatched", []):
        console.print(f"  not applied: {miss.get('file')}:{miss.get('line')}: {miss.get('reason')}",
                      highlight=False, soft_wrap=True)
    cat = summary["catalogue"]
    console.print("catalogue now holds " + ", ".join(
        counted(cat[key], noun) for key, noun in (("documents", "document"), ("facts", "fact"),
                                                  ("mechanisms", "mechanism"), ("practices", "practice"),
                                                  ("localities", "locality"))), highlight=False, soft_wrap=True)


def gone_line(n: int, pruned: bool) -> str:
    """What the run did with documents whose files left the folders it was given.

    >>> gone_line(2, pruned=False)
    'files gone from the folders run: 2 documents kept, marked missing (jingyan run --prune deletes them)'
    >>> gone_line(1, pruned=True)
    'files gone from the folders run: 1 document deleted with its facts, mechanisms and places (--prune)'
    """
    if pruned:
        return (f"files gone from the folders run: {counted(n, 'document')} deleted with "
                f"{'its' if n == 1 else 'their'} facts, mechanisms and places (--prune)")
    return f"files gone from the folders run: {counted(n, 'document')} kept, marked missing " \
           "(jingyan run --prune deletes them)"


def counted(n: int, noun: str) -> str:
    """``1 document``, ``2 documents``, ``1 locality``, ``3 localities``.

    >>> counted(1, "document"), counted(0, "fact"), counted(3, "locality")
    ('1 document', '0 facts', '3 localities')
    """
    if n == 1:
        return f"{n} {noun}"
    return f"{n} {noun[:-1]}ies" if noun.endswith("y") else f"{n} {noun}s"


def corrections_changed(report: dict) -> str:
    """What applying annotations/ changed in the catalogue this run, in words ("" for nothing).

    >>> corrections_changed({"changed": {"facts": {"removed": 0, "edited": 1, "added": 0},
    ...                                  "mechanisms": {"removed": 2, "edited": 0, "added": 0}}})
    '1 fact edited, 2 mechanisms removed'
    """
    parts = []
    for table, noun in (("facts", "fact"), ("mechanisms", "mechanism")):
        for action, n in report.get("changed", {}).get(table, {}).items():  # removed, edited, added…
            if n:
                parts.append(f"{counted(n, noun)} {action}")
    unmatched = len(report.get("unmatched", []))
    if unmatched:
        parts.append(f"{counted(unmatched, 'record')} not applied")
    return ", ".join(parts)


@main.command("eval")
@click.argument("gold_dir", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--db", default=DEFAULT_DB, show_default=True, type=click.Path(exists=True, path_type=Path))
@click.option("--quiet", is_flag=True, help="Totals only: no per-document blocks, misses or false positives.")
@click.option("--json", "as_json", is_flag=True, help="Print the scores as JSON (issue 21's table under \"genre\").")
def eval_(gold_dir, db, quiet, as_json) -> None:
    """Score the catalogue in --db against GOLD_DIR (JSON Lines, GUIDELINES.md scheme).

    Strict figures (fields equal to the gold's), then the genre's (subject and place as a
    reader judges them, issue 21). Fact precision counts only facts written with Arabic
    digits, as GUIDELINES.md says. Exit 2 when GOLD_DIR holds no gold records.
    """
    from .anchors import GoldError
    from .catalogue import read_rows
    from .evaluate import NoGoldRecords, evaluate, format_report, has_gold_records

    if not has_gold_records(gold_dir):  # before the catalogue is read: a wrong folder is the likelier mistake
        raise InputError(NoGoldRecords.message(gold_dir))
    _check_catalogue(db)
    texts, facts, mechs = read_rows(db)
    try:
        report = evaluate(gold_dir, texts, facts, mechs)
    except GoldError as exc:
        raise click.ClickException(str(exc)) from exc
    if as_json:
        report_dict = report.as_dict()
        if quiet:
            del report_dict["documents"]
        click.echo(json.dumps(report_dict, ensure_ascii=False, indent=2))
    else:
        click.echo(format_report(report, details=not quiet))


@main.command()
@click.option("--articles", "sets", nargs=2, multiple=True, type=click.Path(path_type=Path),
              help="A CORPUS folder and its GOLD folder (repeatable; default: corpus ../shared/gold and "
                   "../shared/dev/corpus ../shared/dev/gold).")
@click.option("--annotations", "annotations_dir", default="annotations", show_default=True,
              type=click.Path(path_type=Path), help="Annotators' corrections on those articles: labels too.")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Where to write the model (default: the shipped pipeline/data/confidence_model.json).")
@click.option("--loao", is_flag=True, help="Print the leave-one-article-out figures instead of training.")
def train(sets, annotations_dir, out, loao) -> None:
    """Train the confidence scorer on gold and corrections (or measure it, --loao)."""
    from .training import DEFAULT_SETS, TrainingError, loao as measure, train as fit

    sets = tuple(sets) or DEFAULT_SETS
    try:
        if loao:
            click.echo(measure(sets, annotations_dir))
        else:
            click.echo(json.dumps(fit(sets, annotations_dir, out), ensure_ascii=False))
    except TrainingError as exc:
        raise InputError(str(exc)) from None


@main.command()
@click.option("--db", default=DEFAULT_DB, show_default=True, type=click.Path(exists=True, path_type=Path))
@click.option("--port", default=8001, show_default=True, type=click.IntRange(0, 65535))
@click.option("--host", default="127.0.0.1", show_default=True)
def serve(db, port, host) -> None:
    """Browse and search the catalogue in Datasette (read-only), Chinese full-text search included."""
    _check_catalogue(db)
    from .datasette_app import serve as serve_catalogue

    serve_catalogue(db, port=port, host=host)


@main.command()
@click.option("--port", default=4200, show_default=True, type=click.IntRange(1, 65535))
@click.option("--host", default="127.0.0.1", show_default=True)
def server(port, host) -> None:
    """Run a Prefect server until Ctrl-C, for runs to report to (export the PREFECT_API_URL it
    prints): each run then skips starting a temporary one, most of a small run's time."""
    from flows.server import ServerError, serve as serve_prefect

    try:
        serve_prefect(host, port, announce=lambda text: click.echo(text))
    except ServerError as exc:
        raise click.ClickException(str(exc)) from None


@main.command()
@click.argument("fact_id")
@click.option("--db", default=DEFAULT_DB, show_default=True, type=click.Path(exists=True, path_type=Path))
@click.option("--format", "fmt", type=click.Choice(["text", "gbt7714", "csl-json", "json"]), default="text",
              show_default=True, help="text: quote and reference; gbt7714: the reference only.")
@click.option("--low-confidence", "low", type=click.FloatRange(0, 1), default=LOW_CONFIDENCE, show_default=True,
              help="Warn when the figure is unchecked by an annotator and its confidence is below this.")
def cite(fact_id, db, fmt, low) -> None:
    """Cite the figure FACT_ID: exact quote, source, date, place in the text (GB/T 7714, CSL-JSON)."""
    _check_catalogue(db)
    from .citations import CitationError, cite as make_citation

    try:
        citation = make_citation(db, fact_id, low=low)
    except CitationError as exc:
        raise click.ClickException(str(exc)) from exc
    if fmt == "gbt7714":
        click.echo(citation.as_gbt7714())
    elif fmt == "csl-json":
        click.echo(json.dumps(citation.as_csl_json(), ensure_ascii=False, indent=2))
    elif fmt == "json":
        click.echo(json.dumps(citation.as_dict(), ensure_ascii=False, indent=2))
    else:
        click.echo(citation.as_text())


@main.command()
@click.argument("family", required=False, default="")
@click.option("--db", default=DEFAULT_DB, show_default=True, type=click.Path(exists=True, path_type=Path))
@click.option("--limit", default=20, show_default=True, type=click.IntRange(0, 1_000_000),
              help="Families listed, most localities first (0: all); not used with FAMILY.")
@click.option("--csv", "as_csv", is_flag=True, help="Print CSV instead of a table.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
def practices(family, db, limit, as_csv, as_json) -> None:
    """How practices spread: the families reported in the most localities, or FAMILY's spread
    (any member's name: 红色物业, “红色物业”模式), first report per locality, earliest first."""
    _check_catalogue(db)
    from .catalogue import read_families

    name, rows = read_families(db, family, limit)
    if family and not rows:
        raise InputError(f"no practice family named {family} in {db} (jingyan practices lists them)")
    columns = (SPREAD_COLUMNS if family else FAMILY_COLUMNS)
    if as_json:
        click.echo(json.dumps({"family": name, "rows": rows} if family else rows, ensure_ascii=False, indent=2))
    elif as_csv:
        import csv

        writer = csv.writer(sys.stdout, lineterminator="\n")
        writer.writerow(columns)
        writer.writerows([[row.get(c) for c in columns] for row in rows])
    else:
        from rich.console import Console
        from rich.table import Table

        table = Table(title=f"{name}: first report per locality" if family else "practice families by localities")
        for column in columns:
            table.add_column(column, justify="right" if column in ("localities", "documents") else "left")
        for row in rows:
            table.add_row(*("" if row.get(c) is None else str(row[c]) for c in columns))
        Console().print(table)


FAMILY_COLUMNS = ("family", "names", "localities", "documents", "first_reported", "latest_reported")
SPREAD_COLUMNS = ("year", "first_reported", "locality", "documents", "names_used")


@main.group(cls=OneLineErrors)
def annotate() -> None:
    """Corrections round trip with Label Studio (and CSV)."""


@annotate.command("export")
@click.option("--db", default=DEFAULT_DB, show_default=True, type=click.Path(exists=True, path_type=Path))
@click.option("--out", "out_dir", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="Folder for the Label Studio tasks and labelling config.")
@click.option("--annotations", "annotations_dir", default="annotations", show_default=True,
              type=click.Path(path_type=Path))
@click.option("--csv", "as_csv", is_flag=True, help="Also write the extractions as CSV for spreadsheet editing.")
@click.option("--below", type=click.FloatRange(0, 1), default=None,
              help="Only the facts and mechanisms whose confidence is below this (e.g. 0.6).")
def annotate_export(db, out_dir, annotations_dir, as_csv, below) -> None:
    """Write Label Studio tasks (one per document, extractions as pre-annotations) and the config,
    the least confident first."""
    _check_catalogue(db)
    from .labelstudio import export_tasks

    written = export_tasks(db, out_dir, annotations_dir=annotations_dir, as_csv=as_csv, below=below)
    for path in written:
        click.echo(str(path))


@annotate.command("import")
@click.argument("export_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--db", default=DEFAULT_DB, show_default=True, type=click.Path(path_type=Path),
              help="The catalogue the tasks were exported from (to compare against the pre-annotations).")
@click.option("--annotations", "annotations_dir", default="annotations", show_default=True,
              type=click.Path(path_type=Path))
def annotate_import(export_file, db, annotations_dir) -> None:
    """Turn a Label Studio export (JSON) or an edited CSV into correction records in --annotations."""
    from .labelstudio import ImportError_, import_corrections

    if db.exists():  # without a catalogue the export alone is read
        _check_catalogue(db)
    try:
        report = import_corrections(export_file, annotations_dir, db=db)
    except ImportError_ as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(report.summary())
    if report.refused:  # the others were written; each refused one is named above
        raise SystemExit(1)


if __name__ == "__main__":
    main()
