"""`mdm demo`: the hub's main job on the embedded default, over the sample data."""

from __future__ import annotations

import time
import tomllib
from pathlib import Path
from typing import Annotated

import typer

from mdm.cli import _match
from mdm.cli._context import CliContext, console
from mdm.cli._ingest import _load_with_progress, print_load_report, print_summary
from mdm.cli._match import print_match_report
from mdm.services import match_runs, store_admin


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
    console.rule("[b]2. Train, match and build golden records")
    for entity_type in _dependency_order(cli.config):
        if not any(k[0] == entity_type for k in store_admin.current_counts(cli.uow())):
            console.print(f"{entity_type}: no records loaded, skipped")
            continue
        with console.status(f"Training and matching {entity_type} records..."):
            report = match_runs.run_match(cli.uow(), cli.config, entity_type, retrain=True)
        print_match_report(report)
    truth = manifest.parent / plan.get("truth", "truth.csv")
    if truth.is_file():
        console.rule("[b]3. Quality against the ground truth")
        ctx.invoke(_match.evaluate, ctx=ctx, truth=truth, entity=None, show=3)
    console.rule("[b]Summary")
    print_summary(cli)
    elapsed = time.perf_counter() - started
    console.print(f"Done in {elapsed:.1f} s. Store: {cli.settings.database_url}")
    console.print("Next: `mdm serve` for the GraphQL API, `mdm export xrefs` for the xref table.")


def _dependency_order(config) -> list[str]:  # noqa: ANN001 - a HubConfig
    """Entity types that others refer to first, so relationships resolve in one pass."""
    types = config.entity_types
    refers = {
        name: {a.entity for a in t.attributes.values() if a.entity and a.entity != name}
        for name, t in types.items()
    }
    ordered: list[str] = []
    while len(ordered) < len(types):
        ready = [n for n in types if n not in ordered and refers[n] <= set(ordered)]
        ordered.extend(ready or [n for n in types if n not in ordered][:1])
    return ordered


def _remove_sqlite_file(url: str) -> None:
    if not url.startswith("sqlite:///") or url.endswith(":memory:"):
        raise typer.BadParameter("--fresh only removes an SQLite file store", param_hint="--fresh")
    path = Path(url.removeprefix("sqlite:///"))
    for suffix in ("", "-wal", "-shm"):
        Path(str(path) + suffix).unlink(missing_ok=True)
