"""Golden record rebuild: survivorship, ID assignment, xref and version writing at scale.

    python bench/bench_golden.py [--n 1000000] [--database-url sqlite:///...]

Fills a store with N current customer source records (in bulk, bypassing mapping), makes
clusters of one to three records, then times the first build, an unchanged re-run (which
must write nothing), and a re-run after 1% of the clusters merged. Prints seconds and peak
memory per phase.
"""

from __future__ import annotations

import argparse
import random
import resource
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from mdm.config import load_hub_config
from mdm.services.golden import build_golden_records
from mdm.store import UnitOfWork, create_store_engine, upgrade_store, utcnow

ROOT = Path(__file__).resolve().parent.parent
SYSTEMS = ("crm", "erp", "psa")


def fill(engine, n: int, seed: int = 3) -> dict[tuple[str, str], str]:
    """Insert n current source records; return a clustering of them (1-3 per cluster)."""
    rng = random.Random(seed)
    base = datetime(2024, 1, 1, tzinfo=UTC)
    clusters: dict[tuple[str, str], str] = {}
    rows, cluster, left = [], 0, 0
    with UnitOfWork(engine, "bench") as uow:
        uow.batches.ensure_system("crm", utcnow())
        batch = uow.batches.start(
            system="crm",
            entity_type="customer",
            origin="bench",
            actor="bench",
            correlation_id="bench",
            started_at=utcnow(),
        )
        for i in range(n):
            if left == 0:
                cluster, left = cluster + 1, rng.choice((1, 1, 2, 2, 3))
            left -= 1
            system = SYSTEMS[i % 3]
            key = (system, f"{system.upper()}{i:08d}")
            clusters[key] = f"c{cluster}"
            rows.append(
                {
                    "entity_type": "customer",
                    "system": system,
                    "source_id": key[1],
                    "version": 1,
                    "is_current": True,
                    "needs_match": True,
                    "raw": {},
                    "content_hash": str(i),
                    "attributes": {
                        "name": f"Company {cluster}",
                        "country": "GB",
                        "city": rng.choice(["London", "Leeds", "York"]),
                        "phone": f"+4420{rng.randrange(10**8):08d}",
                    },
                    "issues": None,
                    "source_updated_at": base + timedelta(minutes=i),
                    "ingested_at": utcnow(),
                    "superseded_at": None,
                    "batch_id": batch,
                    "line": i,
                }
            )
            if len(rows) == 50_000:
                uow.source_records.insert_versions(rows)
                rows = []
        uow.source_records.insert_versions(rows)
        uow.commit()
    return clusters


def timed(label: str, action, show: bool = True) -> object:
    started = time.perf_counter()
    result = action()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    summary = result if show else ""
    print(f"{label:<34} {time.perf_counter() - started:7.1f} s   peak {peak:,.0f} MB   {summary}")
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=200_000)
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()
    config = load_hub_config(ROOT / "tests" / "fixtures" / "small_hub.toml")
    with tempfile.TemporaryDirectory() as tmp:
        engine = create_store_engine(args.database_url or f"sqlite:///{tmp}/golden.db")
        upgrade_store(engine)
        clusters = timed(f"fill {args.n:,} source records", lambda: fill(engine, args.n), False)

        def build(clustering):
            return build_golden_records(UnitOfWork(engine, "bench"), config, "customer", clustering)

        timed("first build", lambda: build(clusters))
        timed("unchanged re-run", lambda: build(clusters))
        merged = dict(clusters)
        for key in list(merged)[: len(merged) // 100]:
            merged[key] = "c1"
        timed("re-run after 1% merged into one", lambda: build(merged))
        engine.dispose()


if __name__ == "__main__":
    main()
