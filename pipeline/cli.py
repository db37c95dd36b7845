"""The ``jingyan`` command: a thin shell that parses, calls one library function, prints.

Errors become one-line messages and exit codes; the work lives in ``pipeline`` and
``flows``.
"""
from __future__ import annotations

import json
import re
import sys
import warnings
from pathlib import Path

import click

from .settings import Settings

DEFAULT_DB = "outputs/catalogue.db"
DASK_ADDRESS = re.compile(r"^(?:(?:tcp|tls|inproc|ucx|ws|wss)://)?[\w.\-\[\]:]+:\d{1,5}$")


class InputError(click.ClickException):
    """A wrong argument, path or option value: one line, exit 2, before any work starts."""

    exit_code = 2


class OneLineErrors(click.Group):
    """A subcommand's usage error is one line naming the command's --help, not the usage block."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except click.UsageError as exc:
            where = exc.ctx.command_path if exc.ctx else ctx.command_path
            raise InputError(f"{exc.format_message()} (see {where} --help)") from None


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
def run(paths, db, tagger, workers, dask_address, batch_size, commit_size, annotations_dir, hanlp_tok,
        hanlp_pos, progress) -> None:
    """Catalogue PATHS (files and folders, recursively) into --db, through the Prefect flow.

    Exits 0 when every document went in, 1 when any failed (each listed with its reason).
    """
    settings = Settings(tagger=tagger, workers=workers, dask_address=dask_address, batch_size=batch_size,
                        commit_size=commit_size, annotations_dir=annotations_dir, show_progress=progress,
                        hanlp_tok=hanlp_tok, hanlp_pos=hanlp_pos)
    # everything that can be checked is checked before Prefect starts (its temporary server costs ~10 s)
    _check_inputs(paths, db, settings)
    if tagger == "hanlp":
        _check_tagger(settings)
    _check_rules(settings)
    from flows.catalogue_flow import run as run_flow

    summary = run_flow(list(paths), db, settings)
    _print_summary(summary, db)
    sys.exit(1 if summary["failed"] else 0)


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
    """Fail at once, before Prefect starts, when the tagger cannot load."""
    from .tagging import TaggerUnavailable, backend_for

    try:
        backend_for(settings)
    except TaggerUnavailable as exc:
        raise click.ClickException(str(exc)) from exc


def _check_rules(settings: Settings) -> None:
    """A bad rule file is one message, before Prefect starts, not an error per document."""
    from .process import check_rules
    from .rules import RuleError
    from .tables import TableError

    try:
        check_rules(settings)
    except (RuleError, TableError) as exc:
        raise click.ClickException(str(exc)) from exc


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
    changed = corrections_changed(summary["corrections"])
    if changed:
        console.print(f"corrections ({summary['corrections']['folder']}): {changed}", highlight=False,
                      soft_wrap=True)
    for miss in summary["corrections"].get("unmatched", []):
        console.print(f"  not applied: {miss.get('file')}:{miss.get('line')}: {miss.get('reason')}",
                      highlight=False, soft_wrap=True)
    cat = summary["catalogue"]
    console.print("catalogue now holds " + ", ".join(
        counted(cat[key], noun) for key, noun in (("documents", "document"), ("facts", "fact"),
                                                  ("mechanisms", "mechanism"), ("practices", "practice"),
                                                  ("localities", "locality"))), highlight=False, soft_wrap=True)


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
@click.option("--db", default=DEFAULT_DB, show_default=True, type=click.Path(exists=True, path_type=Path))
@click.option("--port", default=8001, show_default=True, type=click.IntRange(0, 65535))
@click.option("--host", default="127.0.0.1", show_default=True)
def serve(db, port, host) -> None:
    """Browse and search the catalogue in Datasette (read-only), Chinese full-text search included."""
    _check_catalogue(db)
    from .datasette_app import serve as serve_catalogue

    serve_catalogue(db, port=port, host=host)


@main.command()
@click.argument("fact_id")
@click.option("--db", default=DEFAULT_DB, show_default=True, type=click.Path(exists=True, path_type=Path))
@click.option("--format", "fmt", type=click.Choice(["text", "gbt7714", "csl-json", "json"]), default="text",
              show_default=True, help="text: quote and reference; gbt7714: the reference only.")
def cite(fact_id, db, fmt) -> None:
    """Cite the figure FACT_ID: exact quote, source, date, place in the text (GB/T 7714, CSL-JSON)."""
    _check_catalogue(db)
    from .citations import CitationError, cite as make_citation

    try:
        citation = make_citation(db, fact_id)
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
def annotate_export(db, out_dir, annotations_dir, as_csv) -> None:
    """Write Label Studio tasks (one per document, extractions as pre-annotations) and the config."""
    _check_catalogue(db)
    from .labelstudio import export_tasks

    written = export_tasks(db, out_dir, annotations_dir=annotations_dir, as_csv=as_csv)
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

    try:
        report = import_corrections(export_file, annotations_dir, db=db)
    except ImportError_ as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(report.summary())


if __name__ == "__main__":
    main()
