"""One simulation: its players, its signed deliveries, its bursts, its steps and its checks.

A scenario asks for players (opened through SQL when there is an admin URL, or the ones the
user named), builds and signs every request of a burst, then sends the burst; the referee
judges each burst's answers as soon as they are all in.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from rich.progress import Progress, TaskID

from app.keys import ProviderKey
from app.simulator.dba import Dba
from app.simulator.provider import Request, balance, body_of
from app.simulator.referee import Mismatch, Referee
from app.simulator.traffic import Answer, Delivery, Sender

TOKEN_REFUSED = 2005


class NeedsAdmin(Exception):
    """A step needs SQL (opening players, a deposit) and no admin database URL was given."""


@dataclass
class Step:
    """A named part of a scenario, as the report lists it."""

    name: str
    requests: int = 0
    violations: int = 0
    skipped: str | None = None


@dataclass(frozen=True, slots=True)
class Player:
    player_id: str
    balance: int


class Simulation:
    def __init__(
        self,
        *,
        sender: Sender,
        referee: Referee,
        key: ProviderKey,
        dba: Dba | None,
        named_players: Sequence[str],
        currency: str,
        run_id: str,
        token_lifetime: int,
        progress: Progress,
        task: TaskID,
    ) -> None:
        self.sender = sender
        self.referee = referee
        self.key = key
        self.dba = dba
        self.named_players = list(named_players)
        self.currency = currency
        self.run_id = run_id
        self.token_lifetime = token_lifetime
        self.progress = progress
        self.task = task
        self.steps: list[Step] = []
        self.notes: list[str] = []
        self.accounts: list[tuple[str, str]] = []
        self._numbers = itertools.count(1)
        self._planned = 0
        self._last_balances: dict[tuple[str, str], int | None] = {}
        self.sent: list[Answer] = []
        """Every delivery sent and its answer, in the order the answers were judged: what the
        provider knows, from which a test writes the provider's file."""

    # Ids, tokens, deliveries ----------------------------------------------------------------

    def tx(self, kind: str) -> str:
        """A provider transaction id no earlier run used: ``<run>-<kind>-<n>``."""
        return f"{self.run_id}-{kind}-{next(self._numbers)}"

    def deliver(self, route: str, player: str, request: Request) -> Delivery:
        """The request, signed now by the provider's key."""
        token = self.key.token(request, lifetime=self.token_lifetime)
        return Delivery(route, player, request, body_of(token))

    def forge(self, route: str, player: str, request: Request, token: str) -> Delivery:
        """The request under a token the wallet must refuse with 2005."""
        return Delivery(route, player, request, body_of(token), forged=TOKEN_REFUSED)

    # Progress and steps ---------------------------------------------------------------------

    def plan(self, requests: int) -> None:
        """Say that ``requests`` more deliveries are coming (the progress bar's total)."""
        self._planned += requests
        self.progress.update(self.task, total=self._planned)

    @contextmanager
    def step(self, name: str) -> Iterator[Step]:
        step = Step(name)
        self.steps.append(step)
        self.progress.update(self.task, description=name)
        before = len(self.referee.violations)
        try:
            yield step
        except NeedsAdmin as error:
            step.skipped = str(error)
        step.violations = len(self.referee.violations) - before

    # Sending --------------------------------------------------------------------------------

    async def burst(self, deliveries: Sequence[Delivery]) -> list[Answer]:
        """Send the deliveries at once, then judge the answers."""
        answers = await self.sender.burst(deliveries)
        self.referee.judge(answers)
        self.sent.extend(answers)
        if self.steps:
            self.steps[-1].requests += len(deliveries)
        return answers

    async def paced(self, lanes: Sequence[Sequence[Delivery]], rate: float) -> None:
        """Send lane by lane at ``rate`` requests per second, judging each answer."""

        def judge(answer: Answer) -> None:
            self.referee.judge([answer])
            self.sent.append(answer)

        await self.sender.paced(lanes, rate, judge)
        if self.steps:
            self.steps[-1].requests += sum(len(lane) for lane in lanes)

    # Players --------------------------------------------------------------------------------

    def need_admin(self, why: str) -> Dba:
        if self.dba is None:
            raise NeedsAdmin(f"skipped: {why} needs SQL (--admin-url)")
        return self.dba

    def open_players(
        self, label: str, count: int, opening: int, *, blocked: bool = False
    ) -> list[Player]:
        """New players ``<run>-<label>-<n>`` opened through SQL with ``opening`` each."""
        dba = self.need_admin(f"opening {label} players")
        players = []
        for n in range(1, count + 1):
            player_id = f"{self.run_id}-{label}-{n}"
            dba.open_player(player_id, self.currency, opening)
            if blocked:
                dba.block(player_id)
            self.referee.open_account(player_id, self.currency, opening, blocked=blocked)
            self.accounts.append((player_id, self.currency))
            players.append(Player(player_id, opening))
        return players

    async def players(self, label: str, count: int, opening: int) -> list[Player]:
        """Players to play with: the named ones, or ``count`` new ones."""
        if not self.named_players:
            return self.open_players(label, count, opening)
        deliveries = [
            self.deliver("balance", name, balance(name, self.currency))
            for name in self.named_players
        ]
        self.plan(len(deliveries))
        answers = await self.sender.burst(deliveries)
        players = []
        for answer in answers:
            name = answer.delivery.player
            body = _json(answer.text)
            if answer.status != 200 or not isinstance(body.get("balance"), int):
                raise NeedsAdmin(
                    f"player {name} has no {self.currency} balance: {answer.status} {answer.text}"
                )
            self.referee.open_account(name, self.currency, body["balance"], blocked=False)
            self.accounts.append((name, self.currency))
            players.append(Player(name, body["balance"]))
        return players

    def deposit(self, player: str, amount: int) -> None:
        self.need_admin("a deposit").deposit(
            player, self.currency, amount, f"wallet simulate {self.run_id}"
        )
        self.referee.deposit(player, self.currency, amount)

    # The checks at the end ------------------------------------------------------------------

    async def read_balances(self) -> None:
        """Every account's balance through the balance route, judged like any answer."""
        deliveries = [
            self.deliver("balance", player, balance(player, currency))
            for player, currency in self.accounts
        ]
        self.plan(len(deliveries))
        for answer in await self.burst(deliveries):
            request = answer.delivery.request
            value = _json(answer.text).get("balance") if answer.status == 200 else None
            account = (request["player_id"], request["currency"])
            self._last_balances[account] = value if isinstance(value, int) else None

    def money_check(self) -> tuple[str, list[Mismatch]]:
        """Where the balances were read, and every account that does not add up."""
        if self.dba is not None:
            grants = self.dba.grants(sorted(self.referee.expected_grants()))
            mismatches = self.referee.money_check(self.dba.balances(self.accounts))
            return "sql", mismatches + self.referee.grant_check(grants)
        return "balance route", self.referee.money_check(self._last_balances)


def _json(text: str) -> dict[str, Any]:
    try:
        body = json.loads(text)
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}
