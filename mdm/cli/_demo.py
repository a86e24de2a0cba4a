"""`mdm demo`: the hub's main job on the embedded default, over the sample data."""

from __future__ import annotations

import time
import tomllib
from pathlib import Path
from typing import Annotated

import typer

from mdm.cli._context import CliContext, console
from mdm.cli._ingest import _load_with_progress, print_load_report, print_summary
from mdm.services import store_admin


def demo(
    ctx: typer.Context,
    manifest: Annotated[Path, typer.Option(help="Which files to load, in order.")] = Path(
        "data_samples/manifest.toml"
    ),
    fresh: Annotated[
        bool, typer.Option(help="Start from an empty store (SQLite file only).")
    ] = False,
) -> None:
    """Initialise the store and load every sample extract, then print a summary."""
    cli: CliContext = ctx.obj
    if fresh:
        _remove_sqlite_file(cli.settings.database_url)
    started = time.perf_counter()
    store_admin.initialise_store(cli.engine)
    console.rule("[b]1. Load the source extracts")
    plan = tomllib.loads(manifest.read_text("utf-8"))
    for step in plan.get("load", []):
        path = (
            manifest.parent / Path(step["file"]).name
            if not Path(step["file"]).exists()
            else Path(step["file"])
        )
        report = _load_with_progress(cli, step["system"], step["entity"], path, dry_run=False)
        print_load_report(report)
    console.rule("[b]Summary")
    print_summary(cli)
    console.print(
        f"Done in {time.perf_counter() - started:.1f} s. Store: {cli.settings.database_url}"
    )


def _remove_sqlite_file(url: str) -> None:
    if not url.startswith("sqlite:///") or url.endswith(":memory:"):
        raise typer.BadParameter("--fresh only removes an SQLite file store", param_hint="--fresh")
    path = Path(url.removeprefix("sqlite:///"))
    for suffix in ("", "-wal", "-shm"):
        Path(str(path) + suffix).unlink(missing_ok=True)
