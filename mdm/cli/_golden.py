"""CLI commands of golden records: export xrefs, show a golden record."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from mdm.cli._context import CliContext, console
from mdm.domain import NotFoundError
from mdm.services import exports

export_app = typer.Typer(help="Export what the hub publishes.", no_args_is_help=True)
golden_app = typer.Typer(help="Golden records.", no_args_is_help=True)


@export_app.command("xrefs")
def export_xrefs(
    ctx: typer.Context,
    entity: Annotated[str | None, typer.Option("--entity", "-e", help="Only this type.")] = None,
    fmt: Annotated[str, typer.Option("--format", help="csv or jsonl.")] = "csv",
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="File (default stdout).")
    ] = None,
) -> None:
    """entity_type, system, source_id, golden_id for every active source record."""
    if fmt not in ("csv", "jsonl"):
        raise typer.BadParameter("use csv or jsonl", param_hint="--format")
    cli: CliContext = ctx.obj
    if output is None:
        exports.export_xrefs(cli.uow(), sys.stdout, entity, fmt)
        return
    with output.open("w", encoding="utf-8", newline="") as handle:
        count = exports.export_xrefs(cli.uow(), handle, entity, fmt)
    console.print(f"Wrote {count} cross-references to {output}.")


@golden_app.command("show")
def show(
    ctx: typer.Context, golden_id: Annotated[str, typer.Argument(help="e.g. CUS-000001")]
) -> None:
    """A golden record's values with their provenance, and its source records."""
    cli: CliContext = ctx.obj
    found = exports.describe_golden(cli.uow(), golden_id)
    record = found["record"]
    if record is None:
        raise NotFoundError(f"no golden record {golden_id!r}")
    if len(found["path"]) > 1:
        console.print(f"{golden_id} was merged: redirects {' -> '.join(found['path'])}")
    console.print(
        f"[b]{record['golden_id']}[/] ({record['entity_type']}, {record['status']}, "
        f"version {record['version']})"
    )
    table = Table("attribute", "value", "from", "rule")
    for name, value in sorted(record["attributes"].items()):
        p = record["provenance"].get(name, {})
        table.add_row(
            name,
            str(value),
            f"{p.get('system')}:{p.get('source_id')}",
            f"{p.get('rule')} ({p.get('decided_by')})",
        )
    console.print(table)
    console.print("source records: " + ", ".join(f"{s}:{i}" for s, i in found["members"]))
