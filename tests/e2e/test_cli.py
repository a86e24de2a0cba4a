"""The `mdm` command as a user runs it: a real process, a real SQLite file."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
MDM = [sys.executable, "-c", "from mdm.cli import main; main()"]


def _run(tmp_path: Path, *args: str, config: Path | None = None) -> subprocess.CompletedProcess:
    env = {
        **os.environ,
        "MDM_DATABASE_URL": f"sqlite:///{tmp_path / 'hub.db'}",
        "MDM_CONFIG": str(config or FIXTURES / "small_hub.toml"),
        "COLUMNS": "200",
    }
    return subprocess.run([*MDM, *args], capture_output=True, text=True, env=env, timeout=120)


def test_init_load_and_quarantine_list_work_end_to_end(tmp_path):
    assert "Store ready" in _run(tmp_path, "init").stdout
    loaded = _run(tmp_path, "load", "crm", str(FIXTURES / "crm_small.csv"), "--entity", "customer")
    assert loaded.returncode == 0, loaded.stderr
    assert "read 6, inserted 3, updated 0, unchanged 0, stale 0, quarantined 3 in " in loaded.stdout
    assert "rows/s)" in loaded.stdout
    again = _run(tmp_path, "load", "crm", str(FIXTURES / "crm_small.csv"))
    assert "inserted 0, updated 0, unchanged 3" in again.stdout
    listed = _run(tmp_path, "quarantine", "list", "--system", "crm")
    assert "Atlantis" in listed.stdout and "missing key" in listed.stdout
    summary = _run(tmp_path, "summary")
    assert "customer" in summary.stdout and "3" in summary.stdout


def test_a_config_error_lists_every_problem_and_exits_non_zero(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text(
        '[entity_types.customer]\nid_prefix = "cus"\n'
        '[entity_types.customer.attributes]\nname = { type = "strng" }\n',
        encoding="utf-8",
    )
    result = _run(tmp_path, "sources", config=bad)
    assert result.returncode == 2
    assert "id_prefix" in result.stderr and "strng" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_malformed_file_gets_a_clear_error_naming_file_and_line(tmp_path):
    _run(tmp_path, "init")
    broken = tmp_path / "broken.csv"
    broken.write_bytes("Id,Name,Country\n1,Caf\u00e9,FR\n".encode("latin-1"))
    result = _run(tmp_path, "load", "crm", str(broken))
    assert result.returncode == 1
    assert str(broken) in result.stderr and "line 2" in result.stderr
    assert "Traceback" not in result.stderr


def test_an_unknown_system_is_named_with_the_configured_ones(tmp_path):
    _run(tmp_path, "init")
    result = _run(tmp_path, "load", "sap", str(FIXTURES / "crm_small.csv"))
    assert result.returncode == 1
    assert "unknown source system 'sap'" in result.stderr and "crm" in result.stderr


def test_export_xrefs_and_golden_show_after_a_match(tmp_path):
    """A whole small run through the CLI: load, train+match, export, show."""
    _run(tmp_path, "init")
    _run(tmp_path, "load", "crm", str(FIXTURES / "crm_small.csv"))
    matched = _run(tmp_path, "match", "--entity", "customer")
    assert matched.returncode == 0, matched.stderr
    assert "customer: run 1" in matched.stdout
    out = tmp_path / "xrefs.csv"
    exported = _run(tmp_path, "export", "xrefs", "--entity", "customer", "--output", str(out))
    assert exported.returncode == 0, exported.stderr
    lines = out.read_text(encoding="utf-8").splitlines()
    assert lines[0] == "entity_type,system,source_id,golden_id"
    assert len(lines) == 1 + 3 and all(",CUS-" in line for line in lines[1:])
    golden_id = lines[1].rsplit(",", 1)[1]
    shown = _run(tmp_path, "golden", "show", golden_id)
    assert shown.returncode == 0 and golden_id in shown.stdout and "crm:" in shown.stdout
    again = _run(tmp_path, "match", "--entity", "customer")
    assert "0 created, 0 updated" in again.stdout


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_serve_with_two_workers_answers_graphql_and_stops_on_sigterm(tmp_path):
    import time

    import httpx

    assert _run(tmp_path, "init").returncode == 0
    created = _run(tmp_path, "keys", "create", "--role", "reader")
    secret = created.stdout.strip().splitlines()[-1]
    port = _free_port()
    env = {
        **os.environ,
        "MDM_DATABASE_URL": f"sqlite:///{tmp_path / 'hub.db'}",
        "MDM_CONFIG": str(FIXTURES / "small_hub.toml"),
    }
    log = tmp_path / "serve.log"
    with log.open("w") as out:
        server = subprocess.Popen(
            [*MDM, "serve", "--port", str(port), "--workers", "2"],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 60
        while True:
            started = server.poll() is None and time.monotonic() < deadline
            assert started, f"server did not start: {log.read_text()}"
            try:
                response = httpx.post(
                    f"http://127.0.0.1:{port}/graphql",
                    json={"query": "{ __typename }"},
                    headers={"Authorization": f"Bearer {secret}"},
                )
                break
            except httpx.TransportError:
                time.sleep(0.2)
        assert response.json() == {"data": {"__typename": "Query"}}
    finally:
        server.terminate()
        try:
            server.wait(30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
            raise


def _small_manifest(tmp_path: Path) -> Path:
    manifest = tmp_path / "manifest.toml"
    manifest.write_text(
        f'[[load]]\nsystem = "crm"\nentity = "customer"\nfile = "{FIXTURES / "crm_small.csv"}"\n',
        "utf-8",
    )
    return manifest


def test_demo_without_serving_ends_after_its_summary(tmp_path):
    result = _run(tmp_path, "demo", "--manifest", str(_small_manifest(tmp_path)), "--no-serve")
    assert result.returncode == 0, result.stderr
    assert "Done in" in result.stdout and "Serving" not in result.stdout


def test_demo_reads_files_next_to_its_manifest_wherever_it_is_run_from(tmp_path):
    extract = tmp_path / "acquired"
    extract.mkdir()
    (extract / "accounts.csv").write_bytes((FIXTURES / "crm_small.csv").read_bytes())
    manifest = extract / "manifest.toml"
    manifest.write_text(
        '[[load]]\nsystem = "crm"\nentity = "customer"\nfile = "accounts.csv"\n', "utf-8"
    )
    result = _run(tmp_path, "demo", "--manifest", str(manifest), "--no-serve")
    assert result.returncode == 0, result.stderr
    assert "inserted 3" in result.stdout


def test_demo_refuses_a_manifest_naming_a_missing_file_before_touching_the_store(tmp_path):
    manifest = tmp_path / "manifest.toml"
    manifest.write_text(
        '[[load]]\nsystem = "crm"\nentity = "customer"\nfile = "gone.csv"\n'
        '[[load]]\nsystem = "crm"\nfile = "x.csv"\n',
        "utf-8",
    )
    result = _run(tmp_path, "demo", "--manifest", str(manifest), "--no-serve")
    assert result.returncode != 0
    message = " ".join(result.stderr.split())
    assert "load step 1: no file 'gone.csv'" in message
    assert "load step 2: missing entity" in message
    assert not (tmp_path / "hub.db").exists()


def test_demo_ends_serving_the_api_with_a_key_and_an_example_that_works(tmp_path):
    import shlex
    import threading
    import time

    import httpx

    port = _free_port()
    env = {
        **os.environ,
        "MDM_DATABASE_URL": f"sqlite:///{tmp_path / 'hub.db'}",
        "MDM_CONFIG": str(FIXTURES / "small_hub.toml"),
        "COLUMNS": "200",
    }
    args = ["demo", "--manifest", str(_small_manifest(tmp_path)), "--port", str(port)]
    lines: list[str] = []
    demo = subprocess.Popen(
        [*MDM, *args], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    reader = threading.Thread(target=lambda: lines.extend(demo.stdout), daemon=True)
    reader.start()
    try:
        deadline = time.monotonic() + 180
        while not any(line.startswith("Serving") for line in lines):
            assert demo.poll() is None, "".join(lines)
            assert time.monotonic() < deadline, "".join(lines)
            time.sleep(0.2)
        curl = next(line for line in lines if line.startswith("curl "))
        words = shlex.split(curl)
        headers = dict(words[i + 1].split(": ", 1) for i, w in enumerate(words) if w == "-H")
        body = words[words.index("-d") + 1]
        assert headers["Authorization"].split()[1] in "".join(lines)  # the key was shown
        while True:
            try:
                response = httpx.post(words[2], content=body, headers=headers)
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline and demo.poll() is None, "".join(lines)
                time.sleep(0.2)
        record = response.json()["data"]["xref"]
        assert record["id"].startswith("CUS-") and record["sourceRecords"]
    finally:
        demo.terminate()
        try:
            demo.wait(30)
        except subprocess.TimeoutExpired:
            demo.kill()
            demo.wait()
            raise
        reader.join(10)
        demo.stdout.close()
