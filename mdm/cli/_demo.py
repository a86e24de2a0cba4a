"""`mdm demo`: the hub's main job on the embedded default, over the sample data."""

from __future__ import annotations

import json
import shlex
import time
import tomllib
from pathlib import Path
from typing import Annotated

import typer

from mdm.cli import _match
from mdm.cli._context import CliContext, console
from mdm.cli._ingest import _load_with_progress, print_load_report, print_summary
from mdm.cli._match import print_match_report
from mdm.cli._serve import run_server
from mdm.services import api_keys, exports, match_runs, store_admin


def demo(
    ctx: typer.Context,
    manifest: Annotated[Path, typer.Option(help="Which files to load, in order.")] = Path(
        "data_samples/manifest.toml"
    ),
    fresh: Annotated[
        bool, typer.Option(help="Start from an empty store (SQLite file only).")
    ] = False,
    serve: Annotated[
        bool,
        typer.Option(help="End by serving the API on the result (--no-serve for scripts)."),
    ] = True,
    host: Annotated[str, typer.Option(help="Interface the API listens on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port of the API.")] = 8000,
) -> None:
    """Initialise the store, load every sample extract, match, print a summary, then serve
    the API on the result with a reader key made for the demo (until Ctrl-C)."""
    cli: CliContext = ctx.obj
    plan = _read_manifest(manifest)
    if fresh:
        _remove_sqlite_file(cli.settings.database_url)
    started = time.perf_counter()
    store_admin.initialise_store(cli.engine)
    console.rule("[b]1. Load the source extracts")
    for step in plan.get("load", []):
        path = manifest.parent / step["file"]
        loading = time.perf_counter()
        report = _load_with_progress(cli, step["system"], step["entity"], path, dry_run=False)
        print_load_report(report, time.perf_counter() - loading)
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
    if not serve:
        console.print("Next: `mdm serve` for the GraphQL API, `mdm export xrefs` for the xrefs.")
        return
    _serve_the_result(cli, host, port, manifest.parent.parent)


def _read_manifest(manifest: Path) -> dict:
    """The load plan, with every file it names checked before anything is loaded; file
    names are relative to the manifest's folder."""
    try:
        plan = tomllib.loads(manifest.read_text("utf-8"))
    except FileNotFoundError:
        raise typer.BadParameter(f"no manifest at {manifest}", param_hint="--manifest") from None
    except tomllib.TOMLDecodeError as exc:
        raise typer.BadParameter(f"{manifest}: {exc}", param_hint="--manifest") from None
    problems = []
    for i, step in enumerate(plan.get("load", []), 1):
        missing = [k for k in ("system", "entity", "file") if k not in step]
        if missing:
            problems.append(f"load step {i}: missing {', '.join(missing)}")
        elif not (manifest.parent / step["file"]).is_file():
            problems.append(
                f"load step {i}: no file {step['file']!r} in {manifest.parent.resolve()}"
            )
    if problems:
        raise typer.BadParameter(f"{manifest}: " + "; ".join(problems), param_hint="--manifest")
    return plan


def _serve_the_result(cli: CliContext, host: str, port: int, root: Path) -> None:
    """Make a reader key, show how to query the API with it, then serve until Ctrl-C."""
    secret = api_keys.create_key(cli.uow(), "reader", name="demo").secret
    url = f"http://{host}:{port}"
    console.rule("[b]4. The xref API")
    console.print(f"GraphQL  {url}/graphql (GraphiQL in a browser)")
    console.print(f"REST     {url}/api/v1 (OpenAPI at {url}/docs)")
    console.print("API key made for the demo (role reader; `mdm keys revoke` to drop it):")
    console.print(secret, markup=False, soft_wrap=True)
    console.print("Which golden record is this source record? (graphql/operations/xref_lookup):")
    console.print(_example_curl(cli, url, secret, root), markup=False, soft_wrap=True)
    console.print("Serving; Ctrl-C stops.")
    cli.close()  # the server opens its own pool
    run_server(cli.settings, host, port)


def _example_curl(cli: CliContext, url: str, secret: str, root: Path) -> str:
    """A curl command running the xref look-up example on a source record of the store."""
    found = exports.example_xref(cli.uow(), "customer")
    system, source_id = found[:2] if found else ("crm", "001A")
    path = Path("graphql/operations/xref_lookup.graphql")
    path = path if path.is_file() else root / path
    text = path.read_text("utf-8") if path.is_file() else _XREF_QUERY
    query = " ".join(word for line in text.splitlines() for word in line.split("#")[0].split())
    body = json.dumps(
        {
            "query": query,
            "variables": {"system": system, "sourceId": source_id, "entityType": "customer"},
        }
    )
    return (
        f"curl -s {url}/graphql -H {shlex.quote('Authorization: Bearer ' + secret)} "
        f"-H 'Content-Type: application/json' -d {shlex.quote(body)}"
    )


_XREF_QUERY = """query XrefLookup($system: String!, $sourceId: String!, $entityType: String!) {
  xref(system: $system, sourceId: $sourceId, entityType: $entityType) {
    id attributes { name value system } sourceRecords { system sourceId } } }"""


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
