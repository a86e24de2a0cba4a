"""The `mdm` command line: the hub's composition root for operators and stewards."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from mdm.cli import _demo, _golden, _ingest, _keys, _match, _serve
from mdm.cli._context import CliContext, configure_logging, errors
from mdm.domain import ConfigError, MdmError
from mdm.settings import Settings

app = typer.Typer(
    name="mdm",
    help="Master data hub: load source extracts, match, build golden records, publish xrefs.\n\n"
    "Settings come from MDM_* environment variables (MDM_DATABASE_URL, MDM_CONFIG).",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)


@app.callback()
def _root(
    ctx: typer.Context,
    log_level: Annotated[
        str | None, typer.Option(help="Log level (default MDM_LOG_LEVEL).")
    ] = None,
) -> None:
    settings = Settings()
    configure_logging(log_level or "WARNING")
    ctx.obj = CliContext(settings)
    ctx.call_on_close(ctx.obj.close)


app.command()(_ingest.init)
app.command()(_ingest.sources)
app.command()(_ingest.load)
app.command()(_match.train)
app.command()(_match.match)
app.command()(_match.evaluate)
app.command()(_ingest.summary)
app.command()(_demo.demo)
app.add_typer(_ingest.quarantine_app, name="quarantine")
app.add_typer(_golden.export_app, name="export")
app.add_typer(_golden.golden_app, name="golden")
app.command()(_serve.serve)
app.add_typer(_serve.schema_app, name="schema")
app.add_typer(_keys.keys_app, name="keys")


def main() -> None:
    """Entry point of the `mdm` console script: expected errors print a message, not a trace."""
    try:
        app()
    except ConfigError as exc:
        errors.print(f"[red]Configuration error[/] in {exc.source}:")
        for problem in exc.problems:
            errors.print(f"  - {problem}", markup=False)
        sys.exit(2)
    except MdmError as exc:
        errors.print(f"Error: {exc}", markup=False, style="red")
        sys.exit(1)


__all__ = ["app", "main"]
