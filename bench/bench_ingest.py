"""Ingestion throughput: N generated CRM rows through parse, map, validate, normalise, store.

    python bench/bench_ingest.py [--rows 1000000] [--database-url sqlite:///...]

Prints rows/s for the whole path, the CPU time it took and peak memory. Target on 2 cores: >= 50,000 rows/s
into SQLite. The rows are Salesforce-Account-shaped with valid VAT numbers, phones in
national formats, free-text countries and URLs, so every normaliser is exercised.
"""

from __future__ import annotations

import argparse
import csv
import random
import resource
import sys
import tempfile
import time
from pathlib import Path

from mdm.config import load_hub_config
from mdm.services.ingestion import load_file
from mdm.store import UnitOfWork, create_store_engine, upgrade_store

ROOT = Path(__file__).resolve().parent.parent
COUNTRIES = [
    ("United Kingdom", "GB", "020 7946 {:04d}"),
    ("Deutschland", "DE", "030 {:07d}"),
    ("France", "FR", "01 42 {:02d} {:02d} {:02d}"),
    ("USA", "US", "(212) 555-{:04d}"),
    ("Netherlands", "NL", "020 {:07d}"),
]
VAT = {
    "GB": ["GB980780684", "GB100190874"],
    "DE": ["DE136695976"],
    "FR": ["FR40303265045"],
    "NL": ["NL004495445B01"],
    "US": [""],
}


def write_rows(path: Path, n: int, seed: int = 7) -> None:
    rng = random.Random(seed)
    with path.open("w", newline="", encoding="utf-8") as handle:
        out = csv.writer(handle)
        out.writerow(
            [
                "Id",
                "Name",
                "LegalName",
                "VAT",
                "Country",
                "City",
                "Street",
                "Phone",
                "Web",
                "Created",
                "ParentId",
                "Modified",
            ]
        )
        for i in range(n):
            country, cc, phone = COUNTRIES[i % len(COUNTRIES)]
            digits = (
                [rng.randrange(100) for _ in range(3)]
                if cc == "FR"
                else [rng.randrange(10**4 if cc in ("GB", "US") else 10**7)]
            )
            out.writerow(
                [
                    f"001{i:015d}",
                    f"Company {i} Ltd",
                    f"Company {i} Limited",
                    rng.choice(VAT[cc]),
                    country,
                    rng.choice(["london", "Berlin", "paris", "New York"]),
                    f"{rng.randrange(1, 300)} High Street\nFloor {rng.randrange(1, 9)}",
                    phone.format(*digits),
                    f"https://www.company{i}.example.com",
                    f"{rng.randrange(1, 28):02d}/{rng.randrange(1, 13):02d}/20{rng.randrange(10, 24)}",
                    "",
                    f"2024-0{rng.randrange(1, 10)}-1{rng.randrange(0, 9)}T10:00:00Z",
                ]
            )


def _cpu_seconds() -> tuple[float, float]:
    """User and system CPU seconds of this process, and of its finished worker processes."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime, children.ru_utime + children.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()
    config = load_hub_config(ROOT / "tests" / "fixtures" / "small_hub.toml")
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "accounts.csv"
        started = time.perf_counter()
        write_rows(data, args.rows)
        print(
            f"generated {args.rows:,} rows ({data.stat().st_size / 1e6:.0f} MB) "
            f"in {time.perf_counter() - started:.1f} s"
        )
        engine = create_store_engine(args.database_url or f"sqlite:///{tmp}/bench.db")
        upgrade_store(engine)
        before = _cpu_seconds()
        started = time.perf_counter()
        report = load_file(UnitOfWork(engine, "bench"), config, "crm", "customer", data)
        elapsed = time.perf_counter() - started
        cpu = [after - earlier for after, earlier in zip(_cpu_seconds(), before, strict=True)]
        counts = report.counts
        print(f"loaded: {counts.as_dict()}")
        print(
            f"ingestion: {elapsed:.1f} s, {counts.read / elapsed:,.0f} rows/s "
            f"({engine.dialect.name})"
        )
        # Wall time depends on what else the machine runs; CPU time much less so.
        print(
            f"cpu: {cpu[0]:.1f} s loading process, {cpu[1]:.1f} s workers, "
            f"{sum(cpu) / counts.read * 1e6:.1f} us/row in all"
        )
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        workers = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        print(f"peak memory: {peak:,.0f} MB (largest worker: {workers:,.0f} MB)")
        engine.dispose()
    sys.exit(0 if counts.inserted + counts.quarantined == args.rows else 1)


if __name__ == "__main__":
    main()
