"""Matching end to end at scale: store -> DuckDB -> pairs -> clusters -> store, against
Splink alone on the same records in memory.

    python bench/bench_matching.py [--n 1000000] [--seed 1] [--database-url URL]

Generates N company records (about 40% of entities duplicated across crm / erp / psa with
realistic variation: typos, abbreviated street types, legal forms on and off, capitals,
missing phones), then runs two child processes:

* ours:   the records are bulk-inserted as current source records into a fresh store
          (SQLite by default; not timed as part of the run), then one `run_match` with
          training: load from the store, normalise, train, predict, constrain and cluster,
          write pairs, golden records, cross-references, history and events, commit;
* splink: the same records from Parquet through Splink alone with a comparable plain
          model (raw columns, comparison library, same u sample size, Splink's own
          connected-components clustering), all in memory.

Prints wall seconds and peak RSS per phase (sampled from /proc every 20 ms), the quality
of both against the generator's truth, and the ratio. Targets on the 2-core machine: the
whole of ours within 2x Splink alone, peak under 4 GB.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import threading
import time
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SYLLABLES = [
    "ar",
    "bel",
    "cor",
    "dun",
    "el",
    "fa",
    "gar",
    "hal",
    "iv",
    "jun",
    "kes",
    "lar",
    "mer",
    "nor",
    "oak",
    "pem",
    "quay",
    "red",
    "sil",
    "thor",
    "um",
    "van",
    "wes",
    "yar",
    "zen",
    "ash",
    "bri",
    "cal",
    "del",
    "ev",
    "fox",
    "gra",
    "har",
    "io",
    "jas",
    "kin",
    "lum",
    "mar",
    "nim",
    "or",
    "pin",
    "quil",
    "ro",
    "sa",
    "ta",
    "ul",
    "ver",
]
GENERIC = ["Consulting", "Holdings", "Technologies", "Partners", "Systems", "Group", "", ""]
COUNTRIES = [
    ("GB", ["Ltd", "Limited", "PLC"], "44"),
    ("DE", ["GmbH", "AG"], "49"),
    ("FR", ["SAS", "S.A."], "33"),
    ("US", ["Inc.", "LLC", "Corp."], "1"),
    ("NL", ["B.V."], "31"),
]
CITIES = [f"City{i}" for i in range(400)]
STREETS = ["Street", "Road", "Avenue", "Lane"]


def _gb_vat(rng: random.Random) -> str:
    digits = "".join(rng.choice("0123456789") for _ in range(7))
    total = sum(int(d) * w for d, w in zip(digits, (8, 7, 6, 5, 4, 3, 2), strict=True))
    return f"GB{digits}{(-total) % 97:02d}"


def _entity(rng: random.Random, i: int) -> dict:
    word = "".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 3))).title()
    word2 = "".join(rng.choice(SYLLABLES) for _ in range(2)).title()
    cc, forms, calling = rng.choice(COUNTRIES)
    return {
        "id": i,
        "name": f"{word} {word2} {rng.choice(GENERIC)}".strip(),
        "form": rng.choice(forms),
        "country": cc,
        "city": rng.choice(CITIES),
        "postcode": f"{rng.randint(10000, 99999)}",
        "street": f"{rng.randint(1, 300)} {rng.choice(SYLLABLES).title()} {rng.choice(STREETS)}",
        "phone": f"+{calling}{rng.randint(200000000, 999999999)}" if rng.random() < 0.7 else None,
        "website": f"{word.lower()}{word2.lower()}.com" if rng.random() < 0.6 else None,
        "tax_id": _gb_vat(rng) if cc == "GB" and rng.random() < 0.6 else None,
    }


def _record(rng: random.Random, e: dict, system: str, sid: str) -> dict:
    name = e["name"] if rng.random() < 0.6 else f"{e['name']} {e['form']}"
    if rng.random() < 0.1:
        i = rng.randrange(1, len(name) - 1)
        name = name[:i] + name[i + 1 :]
    street = e["street"].replace("Street", "St") if rng.random() < 0.4 else e["street"]
    return {
        "unique_id": f"{system}|{sid}",
        "system": system,
        "source_id": sid,
        "name": name if rng.random() < 0.2 else name.upper() if rng.random() < 0.1 else name,
        "legal_name": f"{e['name']} {e['form']}" if system == "erp" else None,
        "address_line1": street,
        "city": e["city"],
        "postcode": e["postcode"],
        "country": e["country"],
        "phone": e["phone"] if rng.random() < 0.85 else None,
        "website": e["website"] if system == "crm" else None,
        "tax_id": e["tax_id"] if system == "erp" and rng.random() < 0.9 else None,
        "entity_id": e["id"],
    }


def generate(n: int, seed: int) -> list[dict]:
    """About N records: entities with 1-3 records across crm / erp / psa."""
    rng = random.Random(seed)
    rows: list[dict] = []
    i = 0
    while len(rows) < n:
        e = _entity(rng, i)
        copies = 1 if rng.random() < 0.6 else rng.choice([2, 2, 3])
        for system in ("crm", "erp", "psa")[:copies]:
            rows.append(_record(rng, e, system, f"{system[0]}{i}"))
        i += 1
    return rows[:n]


class PeakRss:
    """Samples this process's resident set size; `peak` since the last reset (MB)."""

    def __init__(self) -> None:
        self.peak = 0.0
        threading.Thread(target=self._run, daemon=True).start()

    @staticmethod
    def now() -> float:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 1e6

    def _run(self) -> None:
        while True:
            self.peak = max(self.peak, self.now())
            time.sleep(0.02)

    def reset(self) -> None:
        self.peak = self.now()


@contextmanager
def phase(results: dict, name: str, rss: PeakRss):
    rss.reset()
    start = time.perf_counter()
    yield
    results[name] = {
        "seconds": round(time.perf_counter() - start, 2),
        "peak_rss_mb": round(max(rss.peak, rss.now())),
    }


def _truth(path: str) -> dict[str, str]:
    import pyarrow.parquet as pq

    t = pq.read_table(path, columns=["unique_id", "entity_id"])
    return dict(zip(t["unique_id"].to_pylist(), map(str, t["entity_id"].to_pylist()), strict=True))


def fill_store(url: str, path: str) -> None:
    """The records as current customer source records, in bulk (mapping bypassed)."""
    import pyarrow.parquet as pq

    from mdm.store import UnitOfWork, create_store_engine, upgrade_store, utcnow

    engine = create_store_engine(url)
    upgrade_store(engine)
    table = pq.read_table(path).drop_columns(["entity_id", "unique_id"])
    stamp = datetime(2024, 1, 1, tzinfo=UTC)
    with UnitOfWork(engine, "bench") as uow:
        for system in ("crm", "erp", "psa"):
            uow.batches.ensure_system(system, utcnow())
        batch = uow.batches.start(
            system="crm",
            entity_type="customer",
            origin="bench",
            actor="bench",
            correlation_id="bench",
            started_at=utcnow(),
        )
        for chunk in table.to_batches(50_000):
            rows = []
            for i, rec in enumerate(chunk.to_pylist()):
                system, source_id = rec.pop("system"), rec.pop("source_id")
                attributes = {k: v for k, v in rec.items() if v is not None}
                rows.append(
                    {
                        "entity_type": "customer",
                        "system": system,
                        "source_id": source_id,
                        "version": 1,
                        "is_current": True,
                        "needs_match": True,
                        "raw": {},
                        "attributes": attributes,
                        "issues": None,
                        "content_hash": f"{system}{source_id}",
                        "source_updated_at": stamp,
                        "ingested_at": utcnow(),
                        "superseded_at": None,
                        "batch_id": batch,
                        "line": i,
                    }
                )
            uow.source_records.insert_versions(rows)
        uow.commit()
    engine.dispose()


def run_ours(path: str, results: dict, rss: PeakRss, url: str) -> None:
    from mdm.config import load_hub_config
    from mdm.services import evaluation, match_runs
    from mdm.services.phases import Phases
    from mdm.store import UnitOfWork, create_store_engine

    class Sampled(Phases):
        def started(self, name: str) -> None:
            rss.reset()

        def ended(self, name: str) -> None:  # a phase may run in several rounds
            peak = max(rss.peak, rss.now(), results.get(name, {}).get("peak_rss_mb", 0))
            results[name] = {"seconds": round(self.seconds[name], 2), "peak_rss_mb": round(peak)}

    t = time.perf_counter()
    fill_store(url, path)
    fill_seconds = time.perf_counter() - t
    config = load_hub_config(ROOT / "hub.toml")
    engine = create_store_engine(url)
    start = time.perf_counter()
    report = match_runs.run_match(
        UnitOfWork(engine, "bench"), config, "customer", retrain=True, phases=Sampled()
    )
    results["run_seconds"] = round(time.perf_counter() - start, 2)
    metrics = evaluation.evaluate_clustering(UnitOfWork(engine), _truth(path), "customer")
    results["quality"] = {
        "pairs": sum(report.pairs.values()),
        "clusters": report.clusters,
        "attached": report.attached,
        "vetoes": report.vetoes,
        "pairwise_f1": round(metrics.pairwise_f1, 4),
        "bcubed_f1": round(metrics.bcubed_f1, 4),
    }
    results["not timed: filling the store"] = round(fill_seconds, 1)
    engine.dispose()


def run_splink(path: str, results: dict, rss: PeakRss, url: str) -> None:
    import pyarrow.parquet as pq
    import splink.comparison_library as cl
    from splink import DuckDBAPI, Linker, SettingsCreator, block_on

    import matching as m

    start = time.perf_counter()
    with phase(results, "load", rss):
        table = pq.read_table(path)
    settings = SettingsCreator(
        link_type="dedupe_only",
        comparisons=[
            cl.JaroWinklerAtThresholds("name", [0.95, 0.88]),
            cl.ExactMatch("legal_name"),
            cl.ExactMatch("tax_id"),
            cl.ExactMatch("website").configure(term_frequency_adjustments=True),
            cl.ExactMatch("phone").configure(term_frequency_adjustments=True),
            cl.JaroWinklerAtThresholds("address_line1", [0.9]),
            cl.ExactMatch("postcode").configure(term_frequency_adjustments=True),
            cl.ExactMatch("city").configure(term_frequency_adjustments=True),
            cl.ExactMatch("country"),
        ],
        blocking_rules_to_generate_predictions=[
            block_on("name"),
            block_on("legal_name"),
            block_on("tax_id"),
            block_on("website"),
            block_on("phone"),
            block_on("address_line1", "postcode"),
            block_on("substr(name, 1, 4)", "postcode"),
        ],
    )
    with phase(results, "train", rss):
        linker = Linker(
            DuckDBAPI().register(table.drop_columns(["entity_id"])), settings, log_level=None
        )
        linker.training.estimate_probability_two_random_records_match(
            [block_on("name", "postcode"), block_on("tax_id")], recall=0.7
        )
        linker.training.estimate_u_using_random_sampling(max_pairs=2e6, seed=42)
        for rule in (block_on("name"), block_on("postcode")):
            linker.training.estimate_parameters_using_expectation_maximisation(rule)
    with phase(results, "predict", rss):
        pairs = linker.inference.predict(threshold_match_probability=0.5, warning_mode="never")
        n_pairs = pairs.as_duckdbpyrelation().count("*").fetchall()[0][0]
    with phase(results, "cluster", rss):
        clusters = linker.clustering.cluster_pairwise_predictions_at_threshold(pairs, 0.95)
        assigned = clusters.as_pyarrow_table()
    results["run_seconds"] = round(time.perf_counter() - start, 2)
    metrics = m.evaluate_clusters(
        dict(
            zip(
                assigned["unique_id"].to_pylist(),
                map(str, assigned["cluster_id"].to_pylist()),
                strict=True,
            )
        ),
        _truth(path),
    )
    results["quality"] = {
        "pairs": n_pairs,
        "pairwise_f1": round(metrics.pairwise_f1, 4),
        "bcubed_f1": round(metrics.bcubed_f1, 4),
    }


def child(which: str, path: str, url: str) -> None:
    import logging
    import warnings

    logging.getLogger("splink").setLevel(logging.ERROR)
    warnings.simplefilter("ignore")
    rss = PeakRss()
    results: dict = {}
    (run_ours if which == "ours" else run_splink)(path, results, rss, url)
    import resource

    results["process_peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e3)
    print(json.dumps(results))


def _table(report: dict) -> None:
    for which, results in report.items():
        print(f"{which}:")
        for name, value in results.items():
            if isinstance(value, dict) and "seconds" in value:
                print(f"  {name:<22} {value['seconds']:8.1f} s   peak {value['peak_rss_mb']:6,} MB")
        print(
            f"  {'whole run':<22} {results['run_seconds']:8.1f} s   process peak "
            f"{results['process_peak_rss_mb']:,} MB"
        )
        print(f"  quality {results['quality']}")
        if "not timed: filling the store" in results:
            print(
                f"  (filling the store beforehand, not timed: "
                f"{results['not timed: filling the store']} s)"
            )


#: Our phases that turn stored records into stored pairs and clusters; the rest of the run
#: (golden records, their relationships, the commit) is what the store makes of them.
MATCHING_PHASES = ("load", "normalise", "train", "predict", "cluster", "store pairs")


def _summary(report: dict) -> None:
    ours, splink = report["ours"], report["splink"]
    alone = splink["run_seconds"]
    chain = sum(ours[name]["seconds"] for name in MATCHING_PHASES if name in ours)
    print(
        f"ours, matching (store -> DuckDB -> pairs -> clusters, pairs stored): {chain:.1f} s "
        f"= {chain / alone:.2f}x splink alone"
    )
    print(
        f"ours, golden records, relationships, marking records matched and commit on top: "
        f"{ours['run_seconds'] - chain:.1f} s"
    )
    print(
        f"ours end to end / splink alone: {ours['run_seconds'] / alone:.2f}x (target <= 2x); "
        f"peak RSS ours {ours['process_peak_rss_mb']:,} MB (target < 4,000)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--database-url", default=None, help="store for our run (default: a fresh SQLite file)"
    )
    parser.add_argument("--child", choices=["ours", "splink"])
    parser.add_argument("--data")
    args = parser.parse_args()
    if args.child:
        child(args.child, args.data, args.database_url)
        return
    import pyarrow as pa
    import pyarrow.parquet as pq

    with tempfile.TemporaryDirectory() as tmp:
        path = str(Path(tmp) / "records.parquet")
        url = args.database_url or f"sqlite:///{tmp}/bench.db"
        t = time.perf_counter()
        pq.write_table(pa.Table.from_pylist(generate(args.n, args.seed)), path)
        print(f"generated {args.n:,} records in {time.perf_counter() - t:.1f}s")
        report = {}
        for which in ("ours", "splink"):
            out = subprocess.run(
                [sys.executable, __file__, "--child", which, "--data", path, "--database-url", url],
                capture_output=True,
                text=True,
                check=False,
            )
            if out.returncode:
                sys.exit(f"{which} failed:\n{out.stderr[-4000:]}")
            report[which] = json.loads(out.stdout.strip().splitlines()[-1])
        _table(report)
        _summary(report)


if __name__ == "__main__":
    main()
