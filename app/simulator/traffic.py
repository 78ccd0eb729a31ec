"""Requests on the wire: built and signed before they are sent, then sent concurrently.

A ``Delivery`` is one provider request with its token already signed, so that signing never
counts in a latency. ``Sender`` posts deliveries over a pool of HTTP connections, times each
attempt, and retries an attempt that got no definite answer (no response, or HTTP 500) the way
a provider does, with the same signed body: the contract makes every retry safe.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import httpx

from app.simulator.provider import Request

JSON_HEADERS = {"content-type": "application/json"}
NO_ANSWER = "no answer"


@dataclass(frozen=True, slots=True)
class Delivery:
    """One request as the provider sends it. ``player`` is whose money it concerns (the
    referee keeps one model per player); ``forged`` is the code a request with a deliberately
    bad token must get (2005): the wallet must refuse it before it reaches the database."""

    route: str
    player: str
    request: Request
    body: bytes
    forged: int | None = None


@dataclass(frozen=True, slots=True)
class Answer:
    """The definite answer a delivery got (``status`` None: none after every attempt)."""

    delivery: Delivery
    status: int | None
    text: str
    attempts: int


def outcome_label(status: int | None, text: str) -> str:
    """``200``, the provider code of a refusal (``2001``), ``500``, or ``no answer``."""
    if status is None:
        return NO_ANSWER
    if status == 200:
        return "200"
    try:
        body = json.loads(text)
    except ValueError:
        body = None
    code = body.get("code") if isinstance(body, dict) else None
    return str(code) if isinstance(code, int) else f"HTTP {status}"


@dataclass
class Tally:
    """Latency of every attempt and its outcome, by route; time spent sending."""

    latencies: dict[str, list[float]] = field(default_factory=dict)
    outcomes: dict[str, Counter[str]] = field(default_factory=dict)
    sending_seconds: float = 0.0
    late_starts: int = 0

    def record(self, route: str, status: int | None, text: str, seconds: float) -> None:
        self.latencies.setdefault(route, []).append(seconds)
        self.outcomes.setdefault(route, Counter())[outcome_label(status, text)] += 1

    @property
    def attempts(self) -> int:
        return sum(len(values) for values in self.latencies.values())


class Sender:
    """Posts deliveries to ``base_url`` with at most ``connections`` in flight."""

    def __init__(
        self,
        client: httpx.AsyncClient,
        base_url: str,
        *,
        connections: int,
        retries: int,
        tally: Tally,
        advance: Callable[[int], None],
    ) -> None:
        self.client = client
        self.base_url = base_url.rstrip("/")
        self.retries = retries
        self.tally = tally
        self.advance = advance
        self._slots = asyncio.Semaphore(connections)

    async def send(self, delivery: Delivery) -> Answer:
        """Post until a definite answer (anything but no response or HTTP 500)."""
        status: int | None = None
        text = ""
        attempt = 0
        for attempt in range(1, self.retries + 2):
            async with self._slots:
                started = time.perf_counter()
                try:
                    response = await self.client.post(
                        f"{self.base_url}/{delivery.route}",
                        content=delivery.body,
                        headers=JSON_HEADERS,
                    )
                    status, text = response.status_code, response.text
                except httpx.HTTPError as error:
                    status, text = None, f"{type(error).__name__}: {error}"
                self.tally.record(delivery.route, status, text, time.perf_counter() - started)
            if status is not None and status != 500:
                break
            await asyncio.sleep(min(0.1 * 2**attempt, 2.0))
        self.advance(1)
        return Answer(delivery, status, text, attempt)

    async def burst(self, deliveries: Sequence[Delivery]) -> list[Answer]:
        """Send every delivery at once; the answers in the deliveries' order."""
        started = time.perf_counter()
        answers = await asyncio.gather(*(self.send(delivery) for delivery in deliveries))
        self.tally.sending_seconds += time.perf_counter() - started
        return list(answers)

    async def paced(
        self,
        lanes: Sequence[Sequence[Delivery]],
        rate: float,
        judge: Callable[[Answer], None],
    ) -> None:
        """Send at ``rate`` requests per second in total. Each lane (one player's requests)
        is sent in order, one request after the answer to the previous one, so that each
        answer can be judged alone; request ``i`` of lane ``j`` is due at
        ``(i * len(lanes) + j) / rate`` seconds. A request whose lane is still busy when it is
        due starts late, and is counted."""
        started = time.perf_counter()

        async def lane(index: int, deliveries: Sequence[Delivery]) -> None:
            for position, delivery in enumerate(deliveries):
                due = started + (position * len(lanes) + index) / rate
                delay = due - time.perf_counter()
                if delay > 0:
                    await asyncio.sleep(delay)
                elif delay < -0.05:
                    self.tally.late_starts += 1
                judge(await self.send(delivery))

        await asyncio.gather(*(lane(index, list(d)) for index, d in enumerate(lanes)))
        self.tally.sending_seconds += time.perf_counter() - started
