"""Matching throughput: our library vs Splink alone on N synthetic company records.

    python bench/bench_matching.py [--n 1000000] [--seed 1]

Generates N company records (about 40% of entities duplicated across systems with
realistic variation), writes them to Parquet, then runs in two child processes:

* ours:   normalise -> train -> predict -> constraints -> cluster (the `matching` library)
* splink: the same records through Splink alone with a comparable plain model (raw
          columns, comparison library, Splink's own connected-components clustering)

and prints wall time and peak RSS per phase (sampled from /proc every 20 ms; stdlib only).
Targets: ours within 2x Splink alone, peak under 4 GB.
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
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SYLLABLES = ["ar", "bel", "cor", "dun", "el", "fa", "gar", "hal", "iv", "jun", "kes", "lar",
             "mer", "nor", "oak", "pem", "quay", "red", "sil", "thor", "um", "van", "wes",
             "yar", "zen", "ash", "bri", "cal", "del", "ev", "fox", "gra", "har", "io", "jas",
             "kin", "lum", "mar", "nim", "or", "pin", "quil", "ro", "sa", "ta", "ul", "ver"]
GENERIC = ["Consulting", "Holdings", "Technologies", "Partners", "Systems", "Group", "", ""]
COUNTRIES = [("GB", ["Ltd", "Limited", "PLC"], "44"), ("DE", ["GmbH", "AG"], "49"),
             ("FR", ["SAS", "S.A."], "33"), ("US", ["Inc.", "LLC", "Corp."], "1"),
             ("NL", ["B.V."], "31")]
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
    return {"id": i, "name": f"{word} {word2} {rng.choice(GENERIC)}".strip(),
            "form": rng.choice(forms), "country": cc,
            "city": rng.choice(CITIES), "postcode": f"{rng.randint(10000, 99999)}",
            "street": f"{rng.randint(1, 300)} {rng.choice(SYLLABLES).title()} {rng.choice(STREETS)}",
            "phone": f"+{calling}{rng.randint(200000000, 999999999)}" if rng.random() < 0.7 else None,
            "website": f"{word.lower()}{word2.lower()}.com" if rng.random() < 0.6 else None,
            "tax_id": _gb_vat(rng) if cc == "GB" and rng.random() < 0.6 else None}


def _record(rng: random.Random, e: dict, system: str, sid: str) -> dict:
    name = e["name"] if rng.random() < 0.6 else f"{e['name']} {e['form']}"
    if rng.random() < 0.1:
        i = rng.randrange(1, len(name) - 1)
        name = name[:i] + name[i + 1:]
    street = e["street"].replace("Street", "St") if rng.random() < 0.4 else e["street"]
    return {"unique_id": f"{system}|{sid}", "system": system, "source_id": sid,
            "name": name if rng.random() < 0.2 else name.upper() if rng.random() < 0.1 else name,
            "legal_name": f"{e['name']} {e['form']}" if system == "erp" else None,
            "address_line1": street, "city": e["city"], "postcode": e["postcode"],
            "country": e["country"], "phone": e["phone"] if rng.random() < 0.85 else None,
            "website": e["website"] if system == "crm" else None,
            "tax_id": e["tax_id"] if system == "erp" and rng.random() < 0.9 else None,
            "entity_id": e["id"]}


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
        self._stop = False
        threading.Thread(target=self._run, daemon=True).start()

    @staticmethod
    def now() -> float:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 1e6

    def _run(self) -> None:
        while not self._stop:
            self.peak = max(self.peak, self.now())
            time.sleep(0.02)

    def reset(self) -> None:
        self.peak = self.now()


@contextmanager
def phase(results: dict, name: str, rss: PeakRss):
    rss.reset()
    start = time.perf_counter()
    yield
    results[name] = {"seconds": round(time.perf_counter() - start, 2),
                     "peak_rss_mb": round(max(rss.peak, rss.now()))}


def run_ours(path: str, results: dict, rss: PeakRss) -> None:
    import pyarrow.parquet as pq

    import matching as m

    settings = m.default_matching_settings("customer")
    with phase(results, "load", rss):
        table = pq.read_table(path)
    with phase(results, "normalise", rss):
        table = m.normalise_records(table.drop_columns(["entity_id"]), settings)
    with phase(results, "train", rss):
        model = m.train_model(table, settings)
    with phase(results, "predict", rss):
        pairs = m.predict_pairs(model, table)
    with phase(results, "constraints+cluster", rss):
        c = m.derive_constraints(table, settings)
        clusters = m.cluster_records(table["unique_id"].to_pylist(), pairs, c.must_links,
                                     c.cannot_links, settings.thresholds.auto_link,
                                     review_threshold=settings.thresholds.review,
                                     exclusive_keys=c.exclusive_keys)
    truth = dict(zip(pq.read_table(path, columns=["unique_id"])["unique_id"].to_pylist(),
                     map(str, pq.read_table(path, columns=["entity_id"])["entity_id"].to_pylist()),
                     strict=True))
    metrics = m.evaluate_clusters(clusters.assignments, truth)
    results["quality"] = {"pairs": pairs.num_rows, "pairwise_f1": round(metrics.pairwise_f1, 4),
                          "bcubed_f1": round(metrics.bcubed_f1, 4)}


def run_splink(path: str, results: dict, rss: PeakRss) -> None:
    import pyarrow.parquet as pq
    import splink.comparison_library as cl
    from splink import DuckDBAPI, Linker, SettingsCreator, block_on

    with phase(results, "load", rss):
        table = pq.read_table(path)
    settings = SettingsCreator(
        link_type="dedupe_only",
        comparisons=[cl.JaroWinklerAtThresholds("name", [0.95, 0.88]),
                     cl.ExactMatch("legal_name"), cl.ExactMatch("tax_id"),
                     cl.ExactMatch("website").configure(term_frequency_adjustments=True),
                     cl.ExactMatch("phone").configure(term_frequency_adjustments=True),
                     cl.JaroWinklerAtThresholds("address_line1", [0.9]),
                     cl.ExactMatch("postcode").configure(term_frequency_adjustments=True),
                     cl.ExactMatch("city").configure(term_frequency_adjustments=True),
                     cl.ExactMatch("country")],
        blocking_rules_to_generate_predictions=[
            block_on("name"), block_on("legal_name"), block_on("tax_id"), block_on("website"),
            block_on("phone"), block_on("address_line1", "postcode"),
            block_on("substr(name, 1, 4)", "postcode")],
    )
    with phase(results, "train", rss):
        linker = Linker(DuckDBAPI().register(table.drop_columns(["entity_id"])), settings,
                        log_level=None)
        linker.training.estimate_probability_two_random_records_match(
            [block_on("name", "postcode"), block_on("tax_id")], recall=0.7)
        linker.training.estimate_u_using_random_sampling(max_pairs=5e6, seed=42)
        for rule in (block_on("name"), block_on("postcode")):
            linker.training.estimate_parameters_using_expectation_maximisation(rule)
    with phase(results, "predict", rss):
        pairs = linker.inference.predict(threshold_match_probability=0.5, warning_mode="never")
        n_pairs = pairs.as_duckdbpyrelation().count("*").fetchall()[0][0]
    with phase(results, "cluster", rss):
        clusters = linker.clustering.cluster_pairwise_predictions_at_threshold(pairs, 0.95)
        clusters.as_pyarrow_table()
    results["quality"] = {"pairs": n_pairs}


def child(which: str, path: str) -> None:
    import logging
    import warnings

    logging.getLogger("splink").setLevel(logging.ERROR)
    warnings.simplefilter("ignore")
    rss = PeakRss()
    results: dict = {}
    start = time.perf_counter()
    (run_ours if which == "ours" else run_splink)(path, results, rss)
    results["total_seconds"] = round(time.perf_counter() - start, 2)
    import resource

    results["process_peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e3)
    print(json.dumps(results))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--child", choices=["ours", "splink"])
    parser.add_argument("--data")
    args = parser.parse_args()
    if args.child:
        child(args.child, args.data)
        return
    import pyarrow as pa
    import pyarrow.parquet as pq

    with tempfile.TemporaryDirectory() as tmp:
        path = str(Path(tmp) / "records.parquet")
        t = time.perf_counter()
        pq.write_table(pa.Table.from_pylist(generate(args.n, args.seed)), path)
        print(f"generated {args.n:,} records in {time.perf_counter() - t:.1f}s")
        report = {}
        for which in ("ours", "splink"):
            out = subprocess.run([sys.executable, __file__, "--child", which, "--data", path],
                                 capture_output=True, text=True, check=True)
            report[which] = json.loads(out.stdout.strip().splitlines()[-1])
            print(which, json.dumps(report[which], indent=1))
        ratio = report["ours"]["total_seconds"] / report["splink"]["total_seconds"]
        print(f"ours / splink wall time: {ratio:.2f}x (target <= 2x); "
              f"peak RSS ours {report['ours']['process_peak_rss_mb']} MB (target < 4000)")


if __name__ == "__main__":
    main()
