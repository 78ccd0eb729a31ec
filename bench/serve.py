"""``wallet serve`` as a subprocess for the HTTP benchmarks, with a throw-away provider key.

The server runs as the ``wallet_app`` role on a scratch database; requests are signed with the
matching private key before any load starts (signing is the provider's cost, not ours).
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import psycopg.conninfo

from app.keys import ProviderKey
from app.simulator.provider import body_of

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def key_pair(directory: Path) -> tuple[ProviderKey, Path]:
    key = ProviderKey.generate()
    public = directory / "provider.pub.pem"
    public.write_bytes(key.public_pem)
    return key, public


def body(key: ProviderKey, request: dict[str, object]) -> bytes:
    """The HTTP body a provider sends: the request signed into a compact RS256 JWS (no time
    claims: the benchmarks sign everything before the load, however long it runs)."""
    return body_of(key.sign({"payload": request}))


@dataclass(frozen=True)
class Server:
    base: str
    key: ProviderKey
    process: subprocess.Popen[bytes]

    def workers_cpu_seconds(self) -> float:
        """User plus system CPU time so far of the server's child processes (the workers),
        from ``/proc`` (Linux)."""
        ticks = 0
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
            except (OSError, IndexError):
                continue  # gone meanwhile
            if int(fields[1]) == self.process.pid:  # the parent's pid, after the state
                ticks += int(fields[11]) + int(fields[12])  # utime, stime
        return ticks / os.sysconf("SC_CLK_TCK")


@contextmanager
def wallet_serve(
    db_url: str, tmp: Path, *, workers: int, pool_size: int, root: Path = ROOT
) -> Iterator[Server]:
    """Starts ``wallet serve --workers N`` on ``db_url`` as wallet_app; waits for /readyz.
    ``root``: the checkout whose ``app`` package runs (another worktree, for a before/after
    comparison in one run; the interpreter and the installed dependencies are this one's)."""
    tmp = tmp / f"serve-{free_port()}"
    tmp.mkdir()
    key, public = key_pair(tmp)
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": psycopg.conninfo.make_conninfo(db_url, user="wallet_app"),
        "WALLET_JWT_PUBLIC_KEYS": str(public),
        "WALLET_LOG_LEVEL": "WARNING",
        "WALLET_DB_POOL_MAX_SIZE": str(pool_size),
    }
    command = [sys.executable, "-m", "app.cli", "serve", "--port", str(port)]
    process = subprocess.Popen([*command, "--workers", str(workers)], env=env, cwd=root)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{base}/readyz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline or process.poll() is not None:
                raise SystemExit("wallet serve did not become ready")
            time.sleep(0.2)
        yield Server(base, key, process)
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=30)
