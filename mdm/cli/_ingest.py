"""CLI commands of ingestion: init, sources, load, quarantine, summary."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from mdm.cli._context import CliContext, console
from mdm.services import ingestion, store_admin

quarantine_app = typer.Typer(help="Rows that could not be stored, and why.", no_args_is_help=True)


def init(ctx: typer.Context) -> None:
    """Create the store, or upgrade it to the newest schema."""
    cli: CliContext = ctx.obj
    before, after = store_admin.initialise_store(cli.engine)
    if before == after:
        console.print(f"Store is up to date (schema {after}).")
    else:
        console.print(f"Store ready: schema {before or 'none'} -> {after}.")


def sources(ctx: typer.Context) -> None:
    """List the configured source systems, what they map, and what is stored of each."""
    cli: CliContext = ctx.obj
    configured = cli.config.sources
    stored = store_admin.current_counts(cli.uow())
    table = Table("system", "title", "entity type", "format", "stored records")
    for system, src in sorted(configured.items()):
        for entity_type, mapping in sorted(src.entities.items()):
            table.add_row(
                system,
                src.title,
                entity_type,
                mapping.format,
                str(stored.get((entity_type, system), 0)),
            )
    console.print(table)


def load(
    ctx: typer.Context,
    system: Annotated[str, typer.Argument(help="Source system name, as in the hub config.")],
    file: Annotated[
        Path, typer.Argument(help="CSV or JSON Lines extract.", exists=True, dir_okay=False)
    ],
    entity: Annotated[
        str, typer.Option("--entity", "-e", help="Entity type of the rows.")
    ] = "customer",
    dry_run: Annotated[bool, typer.Option(help="Validate and count, then roll back.")] = False,
) -> None:
    """Load one extract through the system's mapping; every row is stored or quarantined."""
    cli: CliContext = ctx.obj
    started = time.perf_counter()
    report = _load_with_progress(cli, system, entity, file, dry_run)
    print_load_report(report, time.perf_counter() - started)


def _load_with_progress(cli: CliContext, system: str, entity: str, file: Path, dry_run: bool):
    size = file.stat().st_size
    columns = [
        TextColumn("{task.description}"),
        BarColumn(),
        DownloadColumn(),
        TimeRemainingColumn(),
    ]
    with Progress(*columns, console=console, transient=True, disable=size < 2_000_000) as bar:
        task = bar.add_task(f"{system}/{entity}", total=size)
        return ingestion.load_file(
            cli.uow(),
            cli.config,
            system,
            entity,
            file,
            progress=lambda n: bar.advance(task, n),
            dry_run=dry_run,
        )


def print_load_report(report: ingestion.LoadReport, seconds: float | None = None) -> None:
    c = report.counts
    label = "dry run of" if report.dry_run else f"batch {report.batch_id}:"
    rate = f" in {seconds:.1f} s ({c.read / seconds:,.0f} rows/s)" if seconds else ""
    console.print(
        f"{label} {report.system}/{report.entity_type} from {report.origin}: "
        f"read {c.read}, inserted {c.inserted}, updated {c.updated}, unchanged {c.unchanged}, "
        f"stale {c.stale}, quarantined {c.quarantined}{rate}"
    )
    for row in report.quarantine_sample[:5]:
        console.print(f"  [yellow]line {row['line']}[/]: " + "; ".join(row["reasons"]))
    if c.quarantined > 5:
        console.print(f"  ... see `mdm quarantine list --system {report.system}`")


@quarantine_app.command("list")
def quarantine_list(
    ctx: typer.Context,
    system: Annotated[str | None, typer.Option(help="Only this source system.")] = None,
    entity: Annotated[str | None, typer.Option(help="Only this entity type.")] = None,
    batch: Annotated[int | None, typer.Option(help="Only this ingestion batch.")] = None,
    limit: Annotated[int, typer.Option(help="At most this many rows.")] = 50,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per line.")] = False,
) -> None:
    """Show quarantined rows with their reasons."""
    cli: CliContext = ctx.obj
    rows = store_admin.quarantined(cli.uow(), system, entity, batch, limit)
    if as_json:
        for row in rows:
            console.print_json(json.dumps(row, default=str))
        return
    table = Table("batch", "system", "entity", "line", "source id", "reasons")
    for row in rows:
        table.add_row(
            str(row["batch_id"]),
            row["system"],
            row["entity_type"],
            str(row["line"]),
            row["source_id"] or "-",
            "\n".join(row["reasons"]),
        )
    console.print(table if rows else "No quarantined rows.")


def summary(ctx: typer.Context) -> None:
    """Counts of stored and quarantined records per system and entity type."""
    cli: CliContext = ctx.obj
    print_summary(cli)


def print_summary(cli: CliContext) -> None:
    stored = store_admin.current_counts(cli.uow())
    quarantined = store_admin.quarantine_counts(cli.uow())
    table = Table("entity type", "system", "stored", "quarantined", title="Source records")
    keys = sorted(set(stored) | set(quarantined))
    for key in keys:
        table.add_row(key[0], key[1], str(stored.get(key, 0)), str(quarantined.get(key, 0)))
    table.add_row(
        "[b]total[/]", "", f"[b]{sum(stored.values())}[/]", f"[b]{sum(quarantined.values())}[/]"
    )
    console.print(table)
