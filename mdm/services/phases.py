"""Timing the phases of a long job (a match run: load, normalise, train, predict, ...).

Reports carry the seconds of each phase so an operator sees where a run spends its time;
benchmarks subclass `Phases` to sample memory per phase as well.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager


class Phases:
    """Records wall seconds per named phase, in the order the phases ran."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}

    @contextmanager
    def __call__(self, name: str) -> Iterator[None]:
        self.started(name)
        start = time.perf_counter()
        try:
            yield
        finally:
            self.seconds[name] = self.seconds.get(name, 0.0) + time.perf_counter() - start
            self.ended(name)

    def started(self, name: str) -> None:
        """Hook for subclasses (e.g. a memory sampler); nothing by default."""

    def ended(self, name: str) -> None:
        """Hook for subclasses; nothing by default."""

    def summary(self) -> str:
        return ", ".join(f"{name} {seconds:.1f} s" for name, seconds in self.seconds.items())
