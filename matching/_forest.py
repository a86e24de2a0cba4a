"""The union-find under constrained clustering: records as indices, constraints per root.

Every root carries what its cluster may not meet: exclusive keys (one valid VAT number of
a country, one LEI), cannot-links (hard) and vetoes (soft: auto-link chains respect them,
must-links do not). A union merges the bookkeeping, so a check is per pair of roots, not
per pair of records.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field


@dataclass
class Forest:
    """Union-find over record indices with per-root constraint bookkeeping."""

    parent: list[int]
    size: list[int]
    keys: dict[int, dict[str, str]] = field(default_factory=dict)  # root -> namespace -> value
    forbidden: dict[int, set[int]] = field(default_factory=dict)  # root -> cannot-link nodes
    vetoed: dict[int, set[int]] = field(default_factory=dict)  # root -> vetoed nodes (soft)

    def find(self, x: int) -> int:
        parent = self.parent
        root = x
        while parent[root] != root:
            root = parent[root]
        while parent[x] != root:
            parent[x], x = root, parent[x]
        return root

    def conflict(self, a: int, b: int, *, soft: bool = False) -> str | None:
        """Why roots a and b may not merge (None if they may); `soft` checks vetoes too."""
        ka, kb = self.keys.get(a), self.keys.get(b)
        if ka and kb:
            small, large = (ka, kb) if len(ka) <= len(kb) else (kb, ka)
            for ns, value in small.items():
                if large.get(ns, value) != value:
                    return f"different {ns}"
        if self._linked(self.forbidden, a, b):
            return "cannot-link"
        if soft and self._linked(self.vetoed, a, b):
            return "veto"
        return None

    def _linked(self, links: dict[int, set[int]], a: int, b: int) -> bool:
        la, lb = links.get(a), links.get(b)
        if not (la and lb):  # links are stored on both ends: check the smaller side
            return False
        nodes, other = (la, b) if len(la) <= len(lb) else (lb, a)
        return any(self.find(n) == other for n in nodes)

    def has_constraints(self) -> bool:
        return bool(self.keys or self.forbidden or self.vetoed)

    def union(self, a: int, b: int) -> None:
        if self.size[a] < self.size[b]:
            a, b = b, a
        self.parent[b] = a
        self.size[a] += self.size[b]
        if b in self.keys:
            self.keys.setdefault(a, {}).update(self.keys.pop(b))
        for links in (self.forbidden, self.vetoed):
            if b in links:
                links.setdefault(a, set()).update(links.pop(b))


IndexOf = Callable[[Sequence[str]], list[int | None]]


def link_sets(index_of: IndexOf, links: Sequence[tuple[str, str]]) -> dict[int, set[int]]:
    """Links between ids as sets of indices, stored on both ends."""
    ends = index_of([a for a, _ in links] + [b for _, b in links])
    out: dict[int, set[int]] = {}
    for a, b in zip(ends[: len(links)], ends[len(links) :], strict=True):
        if a is None or b is None or a == b:
            continue
        out.setdefault(a, set()).add(b)
        out.setdefault(b, set()).add(a)
    return out


def exclusive_values(
    index_of: IndexOf,
    exclusive_keys: Mapping[str, Iterable[str]],
) -> dict[int, dict[str, str]]:
    """ "namespace=value" keys per id as index -> namespace -> value."""
    uids = list(exclusive_keys)
    out: dict[int, dict[str, str]] = {}
    for i, uid in zip(index_of(uids), uids, strict=True):
        if i is None:
            continue
        for key in exclusive_keys[uid]:
            ns, _, value = key.partition("=")
            out.setdefault(i, {})[ns] = value
    return out
