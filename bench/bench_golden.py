"""Golden record rebuild at scale: ID planning, survivorship, xref, version and event writing.

    python bench/bench_golden.py [--n 1000000] [--seed 1] [--database-url URL] [--dump FILE]

Generates N company records the way bench_matching.py does (entities with one to three
records across crm / erp / psa, realistic attributes), stores them as current customer
source records (not timed), clusters them by the generator's truth, then times with the
hub's own config (hub.toml):

  1. the first build (every cluster a new golden record, every record an xref, events);
  2. an unchanged re-run (must write nothing and emit no event);
  3. a re-run after 1% of the clusters merged with another (merges, retirements, events).

Each prints wall seconds per step (plan ids, survivorship, write, relationships, commit),
the peak RSS of this process during the step and the peak private memory of its golden
record workers taken together, if any (both sampled from /proc; what a forked worker
shares with this process is counted once, in this process's RSS). MDM_GOLDEN_WORKERS=1
keeps survivorship in this process.
"""

from __future__ import annotations

import argparse
import gc
import os
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))
sys.path.insert(0, str(ROOT))

import bench_matching as generator  # noqa: E402  (the shared record generator)


class WorkersPrivate:
    """Samples the summed private memory (USS) of this process's descendants (the fork
    server and its workers); `peak` since the last reset (MB)."""

    def __init__(self) -> None:
        self.peak = 0.0
        threading.Thread(target=self._run, daemon=True).start()

    @staticmethod
    def now() -> float:
        parents: dict[str, str] = {}  # pid -> parent pid
        for pid in filter(str.isdigit, os.listdir("/proc")):
            try:
                with open(f"/proc/{pid}/stat") as f:
                    parents[pid] = f.read().rsplit(")", 1)[1].split()[1]
            except (OSError, IndexError):
                continue  # gone meanwhile
        mine, total = {str(os.getpid())}, 0
        while grown := {p for p, parent in parents.items() if parent in mine} - mine:
            mine |= grown  # the fork server's workers are grandchildren
        for pid in mine - {str(os.getpid())}:
            try:
                with open(f"/proc/{pid}/smaps_rollup") as f:
                    total += sum(int(line.split()[1]) for line in f if line.startswith("Private"))
            except (OSError, IndexError):
                continue
        return total / 1e3

    def _run(self) -> None:
        while True:
            self.peak = max(self.peak, self.now())
            time.sleep(0.1)

    def reset(self) -> None:
        self.peak = self.now()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=200_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--database-url", default=None, help="default: a fresh SQLite file")
    parser.add_argument(
        "--dump",
        default=None,
        help="write the golden tables to this file after the builds, which then run at fixed "
        "times with one correlation id: two versions of the code built the same rows if "
        "their dumps are equal",
    )
    args = parser.parse_args()

    import pyarrow as pa
    import pyarrow.parquet as pq

    from mdm.config import load_hub_config
    from mdm.services import golden
    from mdm.services.phases import Phases
    from mdm.store import UnitOfWork, create_store_engine

    rss, workers = generator.PeakRss(), WorkersPrivate()
    with tempfile.TemporaryDirectory() as tmp:
        started = time.perf_counter()
        rows = generator.generate(args.n, args.seed)
        path = str(Path(tmp) / "records.parquet")
        pq.write_table(pa.Table.from_pylist(rows), path)
        clusters = {(r["system"], r["source_id"]): f"e{r['entity_id']}" for r in rows}
        del rows
        url = args.database_url or f"sqlite:///{tmp}/golden.db"
        generator.fill_store(url, path)
        gc.collect()
        print(
            f"{args.n:,} source records generated and stored in "
            f"{time.perf_counter() - started:.0f} s (not timed)"
        )
        config = load_hub_config(ROOT / "hub.toml")
        engine = create_store_engine(url)

        class Sampled(Phases):
            def started(self, name: str) -> None:
                rss.reset()
                workers.reset()

            def ended(self, name: str) -> None:  # a phase may run in several rounds
                peaks[name] = max(rss.peak, rss.now(), peaks.get(name, 0))
                worker_peaks[name] = max(workers.peak, worker_peaks.get(name, 0))

        def build(label: str, clustering: dict) -> None:
            phases, started = Sampled(), time.perf_counter()
            peaks.clear()
            worker_peaks.clear()
            rss.reset()
            now = FIXED + timedelta(days=len(built)) if args.dump else None
            built.append(label)
            with UnitOfWork(engine, "bench", "bench" if args.dump else None) as uow:
                report = golden.apply_clustering(
                    uow, config, "customer", clustering, now=now, phases=phases
                )
                with phases("relationships"):
                    golden.rebuild_relationships(
                        uow, config, now, known={"customer": report.memberships}
                    )
                with phases("commit"):
                    uow.commit()
            total = time.perf_counter() - started
            print(
                f"{label}: {total:.1f} s, peak {max(peaks.values()):,.0f} MB "
                f"(workers {max(worker_peaks.values()):,.0f} MB)"
            )
            for name, seconds in phases.seconds.items():
                print(
                    f"  {name:<22} {seconds:7.1f} s   peak {peaks[name]:7,.0f} MB"
                    f"   workers {worker_peaks[name]:5,.0f} MB"
                )
            print(f"  {report}")

        peaks: dict[str, float] = {}
        worker_peaks: dict[str, float] = {}
        built: list[str] = []
        build("first build", clusters)
        build("unchanged re-run", clusters)
        names = sorted(set(clusters.values()))
        into = {names[i + 1]: names[i] for i in range(0, len(names) - 1, 100)}
        merged = {key: into.get(name, name) for key, name in clusters.items()}
        build(f"re-run with {len(into):,} pairs of clusters merged (1%)", merged)
        if args.dump:
            dump_tables(engine, args.dump)
        engine.dispose()


FIXED = datetime(2025, 1, 1, tzinfo=UTC)
# table -> order; every column is dumped but the outbox's occurred_at (the clock when the
# events are written, not the build time)
DUMPED = {
    "golden_records": "golden_id",
    "golden_record_versions": "golden_id, version",
    "xrefs": "id",
    "golden_relationships": "id",
    "id_counters": "entity_type",
    "outbox": "sequence",
}


def dump_tables(engine: object, path: str) -> None:
    import sqlalchemy as sa

    with engine.connect() as connection, open(path, "w") as out:
        for table, order in DUMPED.items():
            columns = [
                c.name
                for c in sa.Table(table, sa.MetaData(), autoload_with=connection).c
                if c.name != "occurred_at"
            ]
            out.write(f"## {table} {columns}\n")
            query = f"SELECT {', '.join(columns)} FROM {table} ORDER BY {order}"
            for row in connection.exec_driver_sql(query):
                out.write(repr(tuple(row)) + "\n")


if __name__ == "__main__":
    main()
