"""`mdm keys`: create, list and revoke API keys."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from mdm.cli._context import CliContext, console
from mdm.domain.access import ROLES
from mdm.services import api_keys

keys_app = typer.Typer(
    help="API keys: reader, writer (per system), steward, admin.", no_args_is_help=True
)


@keys_app.command("create")
def create(
    ctx: typer.Context,
    role: Annotated[str, typer.Option(help=f"One of: {', '.join(ROLES)}.")],
    systems: Annotated[
        str, typer.Option(help="Comma-separated source systems a writer may load.")
    ] = "",
    name: Annotated[str, typer.Option(help="Who or what uses the key.")] = "",
) -> None:
    """Create a key and print it once; only its hash is stored."""
    cli: CliContext = ctx.obj
    created = api_keys.create_key(
        cli.uow(),
        role,
        systems.split(","),
        name,
        known_systems=cli.config.sources.keys(),
    )
    key = created.key
    scope = f" for {', '.join(key.systems)}" if key.systems else ""
    console.print(f"Created key [b]{key.id}[/] ({key.role}{scope}). It is shown only once:")
    console.print(created.secret, markup=False, soft_wrap=True)


@keys_app.command("list")
def list_keys(ctx: typer.Context) -> None:
    """List keys (ids, roles, systems; never secrets)."""
    cli: CliContext = ctx.obj
    keys = api_keys.list_keys(cli.uow())
    table = Table("id", "name", "role", "systems", "created", "revoked")
    table.columns[0].no_wrap = True  # ids are copied into `mdm keys revoke`
    for key in keys:
        table.add_row(
            key.id,
            key.name,
            key.role,
            ",".join(key.systems) or "-",
            f"{key.created_at:%Y-%m-%d %H:%M}",
            f"{key.revoked_at:%Y-%m-%d %H:%M}" if key.revoked_at else "-",
        )
    console.print(table if keys else "No API keys.")


@keys_app.command("revoke")
def revoke(
    ctx: typer.Context,
    key_id: Annotated[str, typer.Argument(metavar="ID", help="The key's id (mk_...).")],
) -> None:
    """Revoke a key: running API servers refuse it within MDM_API_KEY_CACHE_SECONDS."""
    cli: CliContext = ctx.obj
    api_keys.revoke_key(cli.uow(), key_id)
    seconds = cli.settings.api_key_cache_seconds
    console.print(f"Revoked {key_id}. Running API servers refuse it within {seconds:g} s.")
