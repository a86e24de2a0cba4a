"""`mdm serve` (the HTTP API under uvicorn) and `mdm schema export` (the GraphQL contract)."""

from __future__ import annotations

import gc
from pathlib import Path
from typing import Annotated, Any

import typer

from mdm.cli._context import CliContext, console, errors
from mdm.settings import Settings

schema_app = typer.Typer(
    help="The GraphQL contract (graphql/schema.graphql).", no_args_is_help=True
)

SCHEMA_FILE = Path("graphql/schema.graphql")


def serve(
    ctx: typer.Context,
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port.")] = 8000,
    workers: Annotated[
        int,
        typer.Option(
            help="Worker processes, each with its own pool: one per core on a machine of "
            "its own; the default of one suits a small machine shared with its clients.",
        ),
    ] = 1,
    log_level: Annotated[str, typer.Option(help="uvicorn log level.")] = "warning",
    access_log: Annotated[bool, typer.Option(help="Log every request.")] = False,
) -> None:
    """Serve the API: GraphQL at /graphql, REST at /api/v1 (settings from MDM_*)."""
    cli: CliContext = ctx.obj
    console.print(f"Serving the hub API on http://{host}:{port} (store {_safe(cli)})")
    run_server(cli.settings, host, port, workers, log_level=log_level, access_log=access_log)


def run_server(
    settings: Settings,
    host: str,
    port: int,
    workers: int = 1,
    *,
    log_level: str = "warning",
    access_log: bool = False,
) -> None:
    """Run uvicorn until interrupted: uvloop and httptools (uvicorn[standard]), no access
    log unless asked for; N workers share the port, each building its app from MDM_*."""
    import uvicorn

    options: dict[str, Any] = dict(
        host=host,
        port=port,
        log_level=log_level,
        access_log=access_log,
        loop="auto",  # uvloop when installed
        http="auto",  # httptools when installed
    )
    if workers > 1:
        uvicorn.run("mdm.cli._serve:worker_app", factory=True, workers=workers, **options)
    else:
        uvicorn.run(_started(settings), **options)


def worker_app() -> Any:
    """The app of one `mdm serve --workers N` process (settings from MDM_*)."""
    return _started(Settings())


def _started(settings: Settings) -> Any:
    from mdm.api import create_app

    app = create_app(settings)
    # What exists now (schema, config, metadata, imported modules) lives as long as the
    # process: keep it out of the cyclic collector's full passes (~10% of resolveMany).
    gc.freeze()
    return app


def _safe(cli: CliContext) -> str:
    url = cli.settings.database_url
    return url.split("@")[-1] if "@" in url else url


@schema_app.command("export")
def export_schema(
    output: Annotated[Path, typer.Option(help="Where to write the SDL.")] = SCHEMA_FILE,
    check: Annotated[
        bool, typer.Option(help="Only compare: exit 1 if the file differs from the code.")
    ] = False,
) -> None:
    """Write the GraphQL schema (SDL) generated from the code, or check the file is current."""
    from mdm.api.gql import schema_sdl

    sdl = schema_sdl()
    if check:
        current = output.read_text("utf-8") if output.exists() else ""
        if current != sdl:
            errors.print(f"{output} differs from the code: run `mdm schema export`")
            raise typer.Exit(1)
        console.print(f"{output} is up to date.")
        return
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(sdl, "utf-8")
    console.print(f"Wrote {output} ({len(sdl.splitlines())} lines).")
