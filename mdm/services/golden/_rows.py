"""Golden rows and events encoded for the store, collected before they are written.

`RowEncoder` needs no connection (only the store's JSON serialiser and the build time), so
worker processes can encode a round of clusters and hand back an `EncodedRows` to write.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, fields
from datetime import datetime
from typing import Any

from mdm.services.golden._identity import MemberKey
from mdm.services.search import fold_name


@dataclass
class EncodedRows:
    """Rows and events for the store's `write_*` calls, in the order they were made."""

    inserts: list[tuple[Any, ...]] = field(default_factory=list)
    updates: list[dict] = field(default_factory=list)
    versions: list[tuple[Any, ...]] = field(default_factory=list)
    closed: list[str] = field(default_factory=list)
    ends: list[MemberKey] = field(default_factory=list)
    xrefs: list[tuple[str, str, str]] = field(default_factory=list)
    retired: dict[str, str | None] = field(default_factory=dict)
    rehashed: list[tuple[str, str]] = field(default_factory=list)
    events: list[tuple[str, str | None, str]] = field(default_factory=list)
    created: int = 0  # golden records among the rows: new, rewritten, left as they were
    updated: int = 0
    unchanged: int = 0

    def extend(self, other: EncodedRows) -> None:
        """Append another collection's rows after these (counts add up)."""
        for f in fields(self):
            mine, theirs = getattr(self, f.name), getattr(other, f.name)
            if isinstance(mine, int):
                setattr(self, f.name, mine + theirs)
            else:
                mine.update(theirs) if isinstance(mine, dict) else mine.extend(theirs)

    def clear_rows(self) -> None:
        """Forget the rows (once written); the counts stay."""
        for f in fields(self):
            value = getattr(self, f.name)
            if not isinstance(value, int):
                value.clear()


class RowEncoder:
    """Turns golden record changes into `EncodedRows` with the store's JSON serialiser."""

    def __init__(self, json: Callable[[Any], str], now: datetime) -> None:
        self.json, self.now = json, now
        self.rows = EncodedRows()

    def golden(
        self,
        gid: str,
        old: dict | None,
        values: dict,
        provenance: dict,
        keys: list[MemberKey],
        split_from: str | None,
        digest: str,
    ) -> None:
        rows = self.rows
        version = (old["version"] + 1) if old else 1
        attributes_json, provenance_json = self.json(values), self.json(provenance)
        search_name = _search_name(values)
        if old:
            rows.updates.append(
                {
                    "gid": gid,
                    "version": version,
                    "attributes": values,
                    "provenance": provenance,
                    "search_name": search_name,
                    "build_hash": digest,
                    "updated_at": self.now,
                }
            )
            rows.closed.append(gid)
            change = "updated"
            rows.updated += 1
        else:
            rows.inserts.append(
                (gid, version, attributes_json, provenance_json, search_name, digest)
            )
            change = "split" if split_from else "created"
            rows.created += 1
        members = [list(k) for k in keys]
        rows.versions.append(
            (
                gid,
                version,
                "active",
                None,
                attributes_json,
                provenance_json,
                self.json(members),
                change,
            )
        )
        payload: dict[str, Any] = {"golden_id": gid, "version": version, "members": members}
        if split_from and not old:
            payload["split_from"] = split_from
        self._event(f"golden.{change}", gid, payload)

    def rehash(self, gid: str, digest: str) -> None:
        """A rebuilt record that came out as it was: only its build hash changes."""
        self.rows.rehashed.append((gid, digest))
        self.rows.unchanged += 1

    def retire(self, gid: str, survivor: str | None, old: dict) -> None:
        rows = self.rows
        rows.retired[gid] = survivor
        rows.closed.append(gid)
        rows.versions.append(
            (
                gid,
                old["version"] + 1,
                "retired",
                survivor,
                self.json(old["attributes"]),
                self.json(old["provenance"]),
                "[]",
                "merged" if survivor else "retired",
            )
        )
        if survivor:
            self._event("golden.merged", survivor, {"survivor": survivor, "merged": gid})
        self._event("golden.retired", gid, {"golden_id": gid, "redirect_to": survivor})

    def xref(self, member: MemberKey, old: str | None, new: str | None) -> None:
        system, source_id = member
        if old:
            self.rows.ends.append(member)
            self._event(
                "xref.removed", old, {"system": system, "source_id": source_id, "golden_id": old}
            )
        if new:
            self.rows.xrefs.append((system, source_id, new))
            self._event(
                "xref.added", new, {"system": system, "source_id": source_id, "golden_id": new}
            )

    def _event(self, event_type: str, aggregate: str, payload: dict[str, Any]) -> None:
        self.rows.events.append((event_type, aggregate, self.json(payload)))


def _search_name(values: dict[str, Any]) -> str | None:
    name = values.get("name") or values.get("legal_name")
    return fold_name(str(name))[:512] or None if name else None
