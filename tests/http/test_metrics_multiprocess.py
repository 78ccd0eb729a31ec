"""``wallet serve --workers 2``: one scrape of /metrics counts the requests of every worker,
and the pool gauges are the sums over the live workers, also after a worker died."""

from __future__ import annotations

import asyncio
import json
import os
import re
import signal
import time
from pathlib import Path

import httpx
import psycopg
import pytest
from prometheus_client.mmap_dict import MmapedDict

from tests.support.database import app_conninfo
from tests.support.processes import Served, clean_environment
from tests.support.provider import CURRENCY, JSON, PLAYER, ProviderKey, body_of

pytestmark = pytest.mark.slow

POOL_MAX = 3


def outcomes_by_worker(directory: Path) -> dict[int, float]:
    """Worker pid -> its ``wallet_outcomes_total{route="balance", outcome="ok"}``, read from
    the worker's own multiprocess file."""
    counts: dict[int, float] = {}
    for path in directory.glob("counter_*.db"):
        pid = int(path.stem.split("_")[-1])
        for key, value, *_ in MmapedDict.read_all_values_from_file(str(path)):
            _, name, labels, _ = json.loads(key)
            if name == "wallet_outcomes_total" and labels == {"route": "balance", "outcome": "ok"}:
                counts[pid] = counts.get(pid, 0) + value
    return counts


def sample(scrape: str, name: str, **labels: str) -> float:
    """The sum of the samples of ``name`` whose labels include ``labels``."""
    total = 0.0
    for line in scrape.splitlines():
        match = re.fullmatch(r"(\w+)(?:\{(.*)\})? (\S+)", line)
        if match is None or match.group(1) != name:
            continue
        found = dict(re.findall(r'(\w+)="([^"]*)"', match.group(2) or ""))
        if all(found.get(key) == value for key, value in labels.items()):
            total += float(match.group(3))
    return total


def test_one_scrape_sees_every_worker(
    db: psycopg.Connection,
    provider_key: ProviderKey,
    player: str,
) -> None:
    env = clean_environment(
        DATABASE_URL=app_conninfo(db),
        WALLET_JWT_PUBLIC_KEYS=str(provider_key.public_path),
        WALLET_DB_POOL_MAX_SIZE=str(POOL_MAX),
    )
    served = Served(env, "--workers", "2")
    try:
        served.wait_until_up()
        shared = re.search(r"share their metrics through (\S+?)[\"\s]", served.output)
        assert shared is not None, served.output
        directory = Path(shared.group(1))
        body = body_of(provider_key.token({"player_id": PLAYER, "currency": CURRENCY}))

        async def batch(size: int) -> list[int]:
            # a new connection per request, so the kernel hands them to either worker
            limits = httpx.Limits(max_keepalive_connections=0)
            async with httpx.AsyncClient(base_url=served.url, timeout=30, limits=limits) as http:
                responses = await asyncio.gather(
                    *(http.post("/balance", content=body, headers=JSON) for _ in range(size))
                )
            return [response.status_code for response in responses]

        sent = 0
        deadline = time.monotonic() + 60
        while True:  # until both workers have answered some (the kernel decides who)
            statuses = asyncio.run(batch(10))
            assert statuses == [200] * 10
            sent += 10
            per_worker = outcomes_by_worker(directory)
            if len(per_worker) == 2 and all(per_worker.values()):
                break
            assert time.monotonic() < deadline, f"one worker answered all {sent}: {per_worker}"
        assert sum(per_worker.values()) == sent

        scrape = httpx.get(f"{served.url}/metrics", timeout=10).text
        assert sample(scrape, "wallet_outcomes_total", route="balance", outcome="ok") == sent
        assert sample(scrape, "wallet_http_requests_total", path="/balance") == sent
        assert sample(scrape, "wallet_pool_max_connections", pool="wallet") == 2 * POOL_MAX

        # a worker dies: uvicorn replaces it, its live gauges leave the sums, its counts stay
        victim = min(per_worker)
        os.kill(victim, signal.SIGKILL)
        deadline = time.monotonic() + 60
        while True:
            live = {int(p.stem.split("_")[-1]) for p in directory.glob("gauge_livesum_*.db")}
            if victim not in live and len(live) == 2:
                break
            assert time.monotonic() < deadline, f"live gauge files: {sorted(live)}"
            time.sleep(0.2)
        served.wait_until_up()
        scrape = httpx.get(f"{served.url}/metrics", timeout=10).text
        assert sample(scrape, "wallet_outcomes_total", route="balance", outcome="ok") == sent
        assert sample(scrape, "wallet_pool_max_connections", pool="wallet") == 2 * POOL_MAX

        assert served.terminate() == 0
        assert not directory.exists()  # the private directory is removed at exit
    finally:
        served.kill()
