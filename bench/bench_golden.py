"""Golden record rebuild at scale: ID planning, survivorship, xref, version and event writing.

    python bench/bench_golden.py [--n 1000000] [--seed 1] [--database-url URL]

Generates N company records the way bench_matching.py does (entities with one to three
records across crm / erp / psa, realistic attributes), stores them as current customer
source records (not timed), clusters them by the generator's truth, then times with the
hub's own config (hub.toml):

  1. the first build (every cluster a new golden record, every record an xref, events);
  2. an unchanged re-run (must write nothing and emit no event);
  3. a re-run after 1% of the clusters merged with another (merges, retirements, events).

Each prints wall seconds per step (plan ids, survivorship, write, relationships, commit)
and the peak RSS of this process during the step (sampled from /proc).
"""

from __future__ import annotations

import argparse
import gc
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))
sys.path.insert(0, str(ROOT))

import bench_matching as generator  # noqa: E402  (the shared record generator)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=200_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--database-url", default=None, help="default: a fresh SQLite file")
    args = parser.parse_args()

    import pyarrow as pa
    import pyarrow.parquet as pq

    from mdm.config import load_hub_config
    from mdm.services import golden
    from mdm.services.phases import Phases
    from mdm.store import UnitOfWork, create_store_engine

    rss = generator.PeakRss()
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

            def ended(self, name: str) -> None:  # a phase may run in several rounds
                peaks[name] = max(rss.peak, rss.now(), peaks.get(name, 0))

        def build(label: str, clustering: dict) -> None:
            phases, started = Sampled(), time.perf_counter()
            peaks.clear()
            rss.reset()
            with UnitOfWork(engine, "bench") as uow:
                report = golden.apply_clustering(uow, config, "customer", clustering, phases=phases)
                with phases("relationships"):
                    golden.rebuild_relationships(
                        uow, config, known={"customer": report.memberships}
                    )
                with phases("commit"):
                    uow.commit()
            total = time.perf_counter() - started
            print(f"{label}: {total:.1f} s, peak {max(peaks.values()):,.0f} MB")
            for name, seconds in phases.seconds.items():
                print(f"  {name:<22} {seconds:7.1f} s   peak {peaks[name]:7,.0f} MB")
            print(f"  {report}")

        peaks: dict[str, float] = {}
        build("first build", clusters)
        build("unchanged re-run", clusters)
        names = sorted(set(clusters.values()))
        into = {names[i + 1]: names[i] for i in range(0, len(names) - 1, 100)}
        merged = {key: into.get(name, name) for key, name in clusters.items()}
        build(f"re-run with {len(into):,} pairs of clusters merged (1%)", merged)
        engine.dispose()


if __name__ == "__main__":
    main()
