"""What uvicorn's layer costs per request, and what one write per response saves.

Serves a trivial ASGI app (reads the body, answers a fixed 95-byte JSON body, as a provider
answer) with uvicorn on uvloop, one process per protocol: uvicorn's own httptools protocol
(the head and the body of each response written separately) and ``wallet serve``'s
(``app.service.protocol.HttpProtocol``, one write per response). wrk posts the same 2.3 KB
body (a signed 3-selection bet/make) over ``--connections`` keep-alive connections for
``--seconds``, the two servers taking turns for ``--rounds`` rounds (A B, B A); prints the
requests per second and the server's CPU time per request (user + system, from ``/proc``),
per round and the medians. No database: this is the floor under every provider request.

    uv run python bench/bench_protocol.py --rounds 3 --seconds 5
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

import httpx

from bench import pgbench
from bench.serve import ROOT, body, free_port, key_pair

ANSWER = b'{"id":"1","ext_transaction_id":"1","balance":100,"user_id":"bench-1","currency":"EUR"}'


async def floor_app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    """Read the request's body, answer 200 with a fixed JSON body."""
    if scope["type"] != "http":
        return
    while (await receive()).get("more_body"):
        pass
    headers = [(b"content-type", b"application/json"), (b"content-length", b"%d" % len(ANSWER))]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": ANSWER})


SERVER = """
import sys, uvicorn
from app.service.protocol import HttpProtocol
http = HttpProtocol if sys.argv[1] == "one write" else "httptools"
uvicorn.run("bench.bench_protocol:floor_app", port=int(sys.argv[2]), workers=int(sys.argv[3]),
            http=http, loop="uvloop", access_log=False, log_level="warning")
"""


@contextmanager
def floor_server(protocol: str, workers: int = 1) -> Iterator[tuple[subprocess.Popen[bytes], int]]:
    """``floor_app`` on uvicorn and uvloop with ``protocol`` ("one write": ``wallet serve``'s;
    "uvicorn's httptools": uvicorn's own) and ``workers`` processes, once it answers: the
    process and its port."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-c", SERVER, protocol, str(port), str(workers)], cwd=ROOT
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                httpx.post(f"http://127.0.0.1:{port}/", content=b"{}", timeout=1)
                break
            except httpx.HTTPError:
                if time.monotonic() > deadline or process.poll() is not None:
                    raise SystemExit("a server did not start") from None
                time.sleep(0.2)
        yield process, port
    finally:
        process.terminate()
        process.wait(timeout=30)


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=int, default=5)
    parser.add_argument("--connections", type=int, default=20)
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="wallet-bench-"))
    key, _ = key_pair(tmp)
    bodies = tmp / "bodies.jsonl"
    bodies.write_bytes(body(key, pgbench.bet_make_request(1, 1)) + b"\n")
    with ExitStack() as stack:
        servers = {
            label: stack.enter_context(floor_server(label))
            for label in ("uvicorn's httptools", "one write")
        }
        samples: dict[str, list[dict[str, float]]] = {label: [] for label in servers}
        for n in range(args.rounds):
            order = list(servers) if n % 2 == 0 else list(reversed(servers))
            for label in order:
                process, port = servers[label]
                before = cpu_seconds(process.pid)
                script = str(Path(__file__).with_name("wrk_bodies.lua"))
                load = ["wrk", "-t2", f"-c{args.connections}", f"-d{args.seconds}s"]
                out = subprocess.run(
                    [*load, "-s", script, f"http://127.0.0.1:{port}/bet/make"],
                    env={**os.environ, "BODIES_FILE": str(bodies), "WRK_THREADS": "2"},
                    capture_output=True,
                    text=True,
                    check=True,
                ).stdout
                cpu = cpu_seconds(process.pid) - before
                line = next(line for line in out.splitlines() if line.startswith("WRK "))
                wrk = json.loads(line.removeprefix("WRK "))
                sample = {
                    "requests_per_second": round(wrk["requests"] / wrk["seconds"]),
                    "server_cpu_us_per_request": round(cpu / wrk["requests"] * 1e6, 1),
                    "non_2xx": wrk["non_2xx"],
                }
                samples[label].append(sample)
                print(f"round {n + 1}: {label}: {sample}", file=sys.stderr, flush=True)
    medians = {
        label: {
            key: statistics.median(s[key] for s in runs)
            for key in ("requests_per_second", "server_cpu_us_per_request")
        }
        for label, runs in samples.items()
    }
    plain, joined = medians["uvicorn's httptools"], medians["one write"]
    result = {
        "benchmark": "uvicorn's layer, no database",
        "connections": args.connections,
        "seconds": args.seconds,
        "rounds": samples,
        "medians": medians,
        "cpu_one_write_to_plain": round(
            joined["server_cpu_us_per_request"] / plain["server_cpu_us_per_request"], 3
        ),
        "rate_one_write_to_plain": round(
            joined["requests_per_second"] / plain["requests_per_second"], 3
        ),
    }
    print(json.dumps(result, indent=2))
    return 0 if all(s["non_2xx"] == 0 for runs in samples.values() for s in runs) else 1


if __name__ == "__main__":
    raise SystemExit(main())
