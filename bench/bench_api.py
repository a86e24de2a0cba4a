"""Xref API latency and throughput over HTTP, against a store of generated golden records.

    python bench/bench_api.py [--records 100000] [--seconds 10] [--workers 2]
                              [--database-url sqlite:///...]

Fills a store with N golden records (each with a CRM and a PSA xref), starts `mdm serve`
on 127.0.0.1 as a separate process, then measures from this process (keep-alive):
  1. xref, unloaded: p50 of sequential requests on one connection;
  2. xref, 16 concurrent keep-alive connections for --seconds (a lean asyncio HTTP/1.1
     client on uvloop; httpx's async client cannot drive more than ~600 req/s here):
     requests/s, p50, p99;
  3. resolveMany of 1,000 keys: wall time of one call (median of 5).
Targets on 2 cores: >= 2,000 xref/s with p99 < 30 ms at 16 connections, p50 < 1 ms
unloaded, resolveMany(1000) < 100 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import httpx
import orjson
import sqlalchemy as sa

from mdm.services.api_keys import create_key
from mdm.store import UnitOfWork, create_store_engine, upgrade_store
from mdm.store._tables import golden_records, xrefs

ROOT = Path(__file__).resolve().parent.parent
CONFIG = ROOT / "tests" / "fixtures" / "small_hub.toml"
XREF = """query Xref($system: String!, $sourceId: String!) {
  xref(system: $system, sourceId: $sourceId, entityType: "customer") {
    id attributes { name value system } } }"""
MANY = """query Many($keys: [SourceKeyInput!]!) {
  resolveMany(keys: $keys) { sourceId goldenRecord { id } } }"""


def fill_store(url: str, n: int) -> None:
    engine = create_store_engine(url)
    upgrade_store(engine)
    now = datetime.now(UTC)
    with engine.begin() as c:
        if c.execute(sa.select(sa.func.count()).select_from(golden_records)).scalar():
            return
        for start in range(0, n, 20_000):
            ids = range(start, min(n, start + 20_000))
            c.execute(
                sa.insert(golden_records),
                [
                    dict(
                        golden_id=f"CUS-{i:07d}",
                        entity_type="customer",
                        status="active",
                        version=1,
                        attributes={"name": f"Customer {i}", "country": "GB"},
                        provenance={
                            "name": {"system": "crm", "source_id": f"C{i}", "rule": "authority"}
                        },
                        search_name=f"customer {i}",
                        created_at=now,
                        updated_at=now,
                    )
                    for i in ids
                ],
            )
            c.execute(
                sa.insert(xrefs),
                [
                    dict(
                        entity_type="customer",
                        system=system,
                        source_id=f"{prefix}{i}",
                        golden_id=f"CUS-{i:07d}",
                        valid_from=now,
                    )
                    for i in ids
                    for system, prefix in (("crm", "C"), ("psa", "P"))
                ],
            )
    engine.dispose()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(url: str, port: int, workers: int) -> subprocess.Popen:
    env = dict(
        os.environ,
        MDM_DATABASE_URL=url,
        MDM_CONFIG=str(CONFIG),
        # One key drives the whole load: the limiter stays on (its bookkeeping is part of
        # every request) with a rate no client of the bench reaches. The key cache keeps
        # its default.
        MDM_RATE_LIMIT_PER_SECOND="1000000",
        MDM_RATE_LIMIT_BURST="1000000",
    )
    mdm = Path(sys.executable).with_name("mdm")
    server = subprocess.Popen(
        [str(mdm), "serve", "--port", str(port), "--workers", str(workers)],
        env=env,
        stdout=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/api/v1/health").is_success:
                return server
        except httpx.TransportError:
            time.sleep(0.1)
    server.kill()
    raise SystemExit("mdm serve did not start")


def xref_body(n: int) -> dict:
    i = random.randrange(n)
    return {"query": XREF, "variables": {"system": "crm", "sourceId": f"C{i}"}}


async def unloaded(port: int, headers: dict, n: int, count: int = 2000) -> list[float]:
    connection = RawConnection("127.0.0.1", port, headers)
    await connection.open()
    times = []
    for i in range(count + 200):
        started = time.perf_counter()
        status, body = await connection.post("/graphql", xref_body(n))
        elapsed = time.perf_counter() - started
        assert status == 200 and b'"errors"' not in body, body
        if i >= 200:  # warm-up
            times.append(elapsed)
    connection.close()
    return times


class RawConnection:
    """A minimal keep-alive HTTP/1.1 client connection: httpx's async client tops out near
    600 requests/s here even on /health, so it would measure itself, not the server."""

    def __init__(self, host: str, port: int, headers: dict) -> None:
        self.host, self.port = host, port
        self.head = "".join(f"{k}: {v}\r\n" for k, v in headers.items())

    async def open(self) -> None:
        self.reader, self.writer = await asyncio.open_connection(self.host, self.port)

    async def post(self, path: str, body: dict) -> tuple[int, bytes]:
        data = orjson.dumps(body)
        self.writer.write(
            f"POST {path} HTTP/1.1\r\nHost: {self.host}\r\n{self.head}"
            f"Content-Type: application/json\r\nContent-Length: {len(data)}\r\n\r\n".encode()
            + data
        )
        head = await self.reader.readuntil(b"\r\n\r\n")
        status = int(head[9:12])
        length = 0
        for line in head.split(b"\r\n"):
            if line[:15].lower() == b"content-length:":
                length = int(line[15:])
        return status, await self.reader.readexactly(length)

    def close(self) -> None:
        self.writer.close()


async def loaded(port: int, headers: dict, n: int, seconds: float, conns: int):
    times: list[float] = []
    errors = 0
    connections = [RawConnection("127.0.0.1", port, headers) for _ in range(conns)]
    for connection in connections:
        await connection.open()
    stop = time.perf_counter() + seconds

    async def worker(connection: RawConnection) -> None:
        nonlocal errors
        while time.perf_counter() < stop:
            started = time.perf_counter()
            status, body = await connection.post("/graphql", xref_body(n))
            times.append(time.perf_counter() - started)
            errors += status != 200 or b'"errors"' in body

    started = time.perf_counter()
    await asyncio.gather(*(worker(c) for c in connections))
    wall = time.perf_counter() - started
    for connection in connections:
        connection.close()
    return times, wall, errors


def resolve_many(base: str, headers: dict, n: int) -> list[float]:
    keys = [
        {
            "entityType": "customer",
            "system": random.choice(["crm", "psa"]),
            "sourceId": f"{random.choice('CP')}{random.randrange(n)}",
        }
        for _ in range(1000)
    ]
    keys = [
        dict(k, sourceId=("C" if k["system"] == "crm" else "P") + k["sourceId"][1:]) for k in keys
    ]
    times = []
    with httpx.Client(base_url=base, headers=headers, timeout=30) as client:
        for _ in range(6):
            started = time.perf_counter()
            response = client.post("/graphql", json={"query": MANY, "variables": {"keys": keys}})
            times.append(time.perf_counter() - started)
            body = response.json()
            assert "errors" not in body and len(body["data"]["resolveMany"]) == 1000, body
    return times[1:]


def server_cpu(pid: int) -> float | None:
    """CPU seconds used so far by the server and its worker processes (Linux /proc), or
    None elsewhere. CPU per request varies less with the machine's other load than
    requests per second do."""
    try:
        ticks, pending = 0, [pid]
        while pending:
            current = pending.pop()
            stat = Path(f"/proc/{current}/stat").read_text().rsplit(")", 1)[1].split()
            ticks += int(stat[11]) + int(stat[12])  # utime, stime
            children = Path(f"/proc/{current}/task/{current}/children").read_text().split()
            pending += [int(c) for c in children]
        return ticks / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return None


def run_loop(coroutine):  # noqa: ANN001, ANN201
    try:
        import uvloop
    except ImportError:
        return asyncio.run(coroutine)
    return uvloop.run(coroutine)


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.2f} ms"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()
    tmp = tempfile.TemporaryDirectory(prefix="mdm-bench-api-")
    url = args.database_url or f"sqlite:///{Path(tmp.name) / 'hub.db'}"
    started = time.perf_counter()
    fill_store(url, args.records)
    print(
        f"store: {args.records:,} golden records, {2 * args.records:,} xrefs "
        f"({time.perf_counter() - started:.1f} s)"
    )
    engine = create_store_engine(url)
    secret = create_key(UnitOfWork(engine, "bench"), "reader", name="bench").secret
    engine.dispose()
    port = free_port()
    print(
        f"server: mdm serve --workers {args.workers} on {os.cpu_count()} cores; load average "
        + " ".join(f"{x:.2f}" for x in os.getloadavg())
    )
    server = start_server(url, port, args.workers)
    base, headers = f"http://127.0.0.1:{port}", {"Authorization": f"Bearer {secret}"}
    try:
        quiet = run_loop(unloaded(port, headers, args.records))
        print(
            f"xref unloaded: p50 {ms(statistics.median(quiet))} (1 connection, "
            f"{len(quiet)} requests)"
        )
        cpu_before = server_cpu(server.pid)
        times, wall, errors = run_loop(
            loaded(port, headers, args.records, args.seconds, args.connections)
        )
        cpu_after = server_cpu(server.pid)
        times.sort()
        cpu = (
            f", server CPU {(cpu_after - cpu_before) / len(times) * 1e6:,.0f} us/request"
            if cpu_before is not None and cpu_after is not None
            else ""
        )
        print(
            f"xref at {args.connections} connections: {len(times) / wall:,.0f} req/s, "
            f"p50 {ms(times[len(times) // 2])}, p99 {ms(times[int(len(times) * 0.99)])}, "
            f"errors {errors}{cpu}"
        )
        many = resolve_many(base, headers, args.records)
        print(f"resolveMany(1000): median {ms(statistics.median(many))}, min {ms(min(many))}")
        print("load average after: " + " ".join(f"{x:.2f}" for x in os.getloadavg()))
    finally:
        server.terminate()
        server.wait(10)
        tmp.cleanup()


if __name__ == "__main__":
    main()
