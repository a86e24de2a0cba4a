"""CLI commands of matching: train, match, evaluate."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from mdm.cli._context import CliContext, console
from mdm.services import evaluation, match_runs

EntityOption = Annotated[
    list[str] | None,
    typer.Option("--entity", "-e", help="Entity type (repeatable); default: every type."),
]


def _types(cli: CliContext, entity: list[str] | None) -> list[str]:
    return entity or list(cli.config.entity_types)


def train(ctx: typer.Context, entity: EntityOption = None) -> None:
    """Train each entity type's Splink model without labels (u by sampling, EM on blocks)."""
    cli: CliContext = ctx.obj
    for entity_type in _types(cli, entity):
        with console.status(f"Training the {entity_type} model..."):
            report = match_runs.train(cli.uow(), cli.config, entity_type)
        console.print(
            f"{entity_type}: model {report.model_version} trained on {report.records} "
            f"records ({', '.join(report.comparisons)})"
        )
        console.print(f"  [dim]time: {_timings(report.timings)}[/dim]")


def match(ctx: typer.Context, entity: EntityOption = None) -> None:
    """Match all records across systems, cluster under constraints, rebuild golden records."""
    cli: CliContext = ctx.obj
    for entity_type in _types(cli, entity):
        with console.status(f"Matching {entity_type} records..."):
            report = match_runs.run_match(cli.uow(), cli.config, entity_type)
        print_match_report(report)


def print_match_report(report: match_runs.MatchReport) -> None:
    pairs = report.pairs
    console.print(
        f"{report.entity_type}: run {report.run_id} (model {report.model_version}): "
        f"{report.records} records, pairs auto-linked {pairs.get('auto_link', 0)}, "
        f"for review {pairs.get('review', 0)}, attached {pairs.get('attached', 0)}; "
        f"{report.clusters} clusters ({report.multi_member_clusters} with several records, "
        f"{report.ambiguous} ambiguous records left for review, {report.vetoes} vetoes); must-links "
        f"{report.must_links}, cannot-links {report.cannot_links}, stale references "
        f"{len(report.stale_references)}"
    )
    if report.golden is not None:
        console.print(f"  golden records: {report.golden}")
    if report.timings:
        console.print(f"  [dim]time: {_timings(report.timings)}[/dim]")
    related = report.relationships
    if related is not None:
        console.print(
            f"  relationships: {related.current} ({related.added} new, {related.removed} "
            f"ended), {related.unresolved} references to records the hub does not hold"
        )
        for cycle in related.cycles[:5]:
            console.print(f"  [yellow]hierarchy cycle:[/] {' -> '.join([*cycle, cycle[0]])}")


def evaluate(
    ctx: typer.Context,
    truth: Annotated[
        Path,
        typer.Option(
            help="CSV: entity_type,system,source_id,entity_id", exists=True, dir_okay=False
        ),
    ],
    entity: EntityOption = None,
    show: Annotated[int, typer.Option(help="List this many wrong merges and splits.")] = 5,
) -> None:
    """Score the current clustering against a ground truth: pairwise and B-cubed P/R/F1."""
    cli: CliContext = ctx.obj
    truths = evaluation.read_truth(truth)
    table = Table(
        "entity type",
        "pairwise P",
        "pairwise R",
        "pairwise F1",
        "B3 P",
        "B3 R",
        "B3 F1",
        "wrong merges",
        "wrong splits",
        title="Clustering quality",
    )
    details = []
    for entity_type in _types(cli, entity):
        if entity_type not in truths:
            continue
        m = evaluation.evaluate_clustering(cli.uow(), truths[entity_type], entity_type)
        table.add_row(
            entity_type,
            *(
                f"{v:.3f}"
                for v in (
                    m.pairwise_precision,
                    m.pairwise_recall,
                    m.pairwise_f1,
                    m.bcubed_precision,
                    m.bcubed_recall,
                    m.bcubed_f1,
                )
            ),
            str(len(m.wrongly_merged)),
            str(len(m.wrongly_split)),
        )
        details.append((entity_type, m))
    console.print(table)
    for entity_type, m in details:
        for cluster, entities in list(m.wrongly_merged.items())[:show]:
            console.print(f"  {entity_type} wrongly merged in {cluster}: {dict(entities)}")
        for entity_id, clusters in list(m.wrongly_split.items())[:show]:
            console.print(f"  {entity_type} wrongly split {entity_id}: {dict(clusters)}")


def _timings(seconds: dict[str, float]) -> str:
    return ", ".join(f"{name} {value:.1f} s" for name, value in seconds.items())
