"""Attachment of lone records to their only plausible cluster.

A sparse record (a PSA client with a name and a city) rarely scores above the auto-link
threshold on its own, yet often has exactly one plausible counterpart. A record still
alone after clustering is attached to a cluster when its best pair there crosses systems
and reaches the attach threshold, nothing in any of its pairs with that cluster disagrees
(only missing data kept the score down), no other cluster comes within the margin, and no
constraint or veto forbids the union. Only pairs across systems attach: most records of
one system have a counterpart in another, while a system's own duplicates are rare.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from matching._forest import Forest

#: A comparison weighing at least this much against (log2: 2:1 odds) is a disagreement,
#: not merely missing data.
CONTRADICTION = -1.0


@dataclass
class _Option:
    """One lone record's view of one cluster: its best pair there, and any disagreement."""

    weight: float = -math.inf
    probability: float = 0.0
    partner: int = -1
    linkable: bool = False  # the best pair crosses systems
    contradicted: bool = False


def attach(
    forest: Forest,
    left: Sequence[int],
    right: Sequence[int],
    probability: Sequence[float],
    weight: Sequence[float],
    against: Sequence[float],
    across: Sequence[bool],
    threshold: float,
    margin: float,
) -> list[tuple[int, int, float]]:
    """Attach lone records to their sole plausible cluster (see the module docstring).

    Candidates are weighed per target cluster (its best pair), against every pair the
    record has, so a competitor below the threshold, or a disagreement with any member,
    still stops it. Lone records are taken strongest candidate first; returns
    (record, partner, p).
    """
    parent, size = forest.parent, forest.size
    lone = {i for i in range(len(parent)) if parent[i] == i and size[i] == 1}
    options: dict[int, dict[int, _Option]] = {}
    for a, b, p, w, worst, cross in zip(
        left, right, probability, weight, against, across, strict=True
    ):
        for x, y in ((a, b), (b, a)):
            if x not in lone:
                continue
            option = options.setdefault(x, {}).setdefault(forest.find(y), _Option())
            option.contradicted |= worst < CONTRADICTION
            if w > option.weight:
                option.weight, option.probability, option.partner = w, p, y
                option.linkable = cross
    clear: dict[int, _Option] = {}
    for x, by_root in options.items():
        best_root = min(by_root, key=lambda r: (-by_root[r].weight, r))
        best = by_root[best_root]
        runner_up = max((o.weight for r, o in by_root.items() if r != best_root), default=-math.inf)
        if (
            best.probability >= threshold
            and best.linkable
            and not best.contradicted
            and best.weight - runner_up >= margin
        ):
            clear[x] = best
    # Two lone records pair up only if each is the other's clear choice: otherwise one
    # record with two suitors would join them (two CRM accounts through one PSA client).
    choices = [
        (-o.weight, x, o.partner, o.probability)
        for x, o in clear.items()
        if o.partner not in lone or getattr(clear.get(o.partner), "partner", None) == x
    ]
    attached = []
    for _, x, partner, p in sorted(choices):
        rx, rp = forest.find(x), forest.find(partner)
        if forest.size[rx] == 1 and rx != rp and not forest.conflict(rx, rp, soft=True):
            forest.union(rx, rp)
            attached.append((x, partner, p))
    return attached
