"""Small adapters at the Splink boundary: blocking-rule specs to SQL, and noise control.

Splink logs progress on INFO and, in a few code paths, emits Python warnings that do not
concern a library caller (e.g. about its own default sample sizes). They are silenced
here, narrowly, so the hub's "warnings are errors" test policy holds.
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Collection, Iterable, Iterator
from contextlib import contextmanager

from matching._comparisons import columns_used
from matching._settings import BlockingRule


def rule_sql(rule: BlockingRule) -> str:
    """A blocking-rule spec as Splink SQL: a column list becomes l.c = r.c conjunctions."""
    if isinstance(rule, str):
        return rule
    return " and ".join(f"l.{c} = r.{c}" for c in rule)


def rule_columns(rule: BlockingRule) -> set[str]:
    return columns_used(rule) if isinstance(rule, str) else set(rule)


def usable_rules(rules: Iterable[BlockingRule], columns: Collection[str]) -> list[BlockingRule]:
    """The rules whose columns all exist (attributes absent from the data are not used)."""
    present = set(columns)
    return [r for r in rules if rule_columns(r) <= present]


@contextmanager
def quiet_splink() -> Iterator[None]:
    """Run Splink with its loggers at ERROR and its UserWarnings suppressed."""
    splink_logger = logging.getLogger("splink")
    previous = splink_logger.level
    splink_logger.setLevel(logging.ERROR)
    try:
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", category=UserWarning, module=r"splink\..*")
            yield
    finally:
        splink_logger.setLevel(previous)
