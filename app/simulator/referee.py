"""Every answer judged against the contract, and the money counted.

The referee keeps one ``app.simulator.model.Wallet`` per player, fed only with the answers the
wallet gave: a 200 make debits the stake, a win, refund or discard credits what it names, a
rollback takes back what the settlement moved, a refusal moves nothing, and a replay must be
the stored answer byte for byte. The limits, exclusions and sessions a scenario sets through SQL
are told to the player's model too (its clock is this machine's: within a run every stake is
inside every window, and no cooling-off ends), and so are the bonus grants it gives and revokes:
what every grant has left is checked at the end like a balance. Each answer is checked field by
field (status, code, amount, balance, ids).

Requests sent at once may be applied in any order. For each player, the answers of one burst
are judged in the first order the model accepts: identical copies in flight must all get the
same answer (one applies, the others replay it); a request whose key the model already holds
is a replay in any order; the other distinct requests are tried in the orders their reported
balances imply (debits: balance falling; credits: rising), and, when there are at most five,
in every order. A burst no order explains is a contract violation; so is a
refusal of a make that no order makes necessary (20 makes that fit the balance must all pass).
"""

from __future__ import annotations

import copy
import itertools
import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

from app.simulator.model import Outcome, Session, Wallet
from app.simulator.traffic import Answer

ANSWER_FIELDS = frozenset(
    {
        "id",
        "ext_transaction_id",
        "parent_transaction_id",
        "user_id",
        "operation",
        "amount",
        "currency",
        "balance",
    }
)
EVERY_ORDER_UP_TO = 5
"""Distinct requests of one player in one burst tried in every order up to this many."""


@dataclass(frozen=True, slots=True)
class Violation:
    player: str
    route: str
    request: str
    answer: str
    what: str

    def as_dict(self) -> dict[str, str]:
        return {
            "player": self.player,
            "route": self.route,
            "what": self.what,
            "request": self.request,
            "answer": self.answer,
        }


@dataclass(frozen=True, slots=True)
class Mismatch:
    """An account whose balance is not what the answers add up to."""

    player: str
    currency: str
    expected: int
    found: int | None


@dataclass
class Referee:
    models: dict[str, Wallet] = field(default_factory=dict)
    violations: list[Violation] = field(default_factory=list)
    ids: set[str] = field(default_factory=set)
    lost_track: set[str] = field(default_factory=set)
    """Players whose model no longer knows the truth: a request got no definite answer, or
    an answer broke the contract. Their later answers are not judged (the first problem is
    reported)."""
    unjudged: int = 0

    sessions_enforced: bool = False
    """session_check as the run set it (every model's, new ones' too)."""

    # The world as the model knows it --------------------------------------------------------

    def _new_model(self) -> Wallet:
        model = Wallet()
        model.sessions_enforced = self.sessions_enforced
        return model

    def open_account(self, player: str, currency: str, balance: int, *, blocked: bool) -> None:
        model = self.models.setdefault(player, self._new_model())
        model.balances[player, currency] = balance
        if blocked:
            model.blocked.add(player)

    def deposit(self, player: str, currency: str, amount: int) -> None:
        self.models[player].balances[player, currency] += amount

    def set_limit(self, player: str, currency: str, kind: str, amount: int) -> None:
        self.models[player].set_limit(player, currency, kind, amount)

    def exclude(self, player: str, until: float | None) -> None:
        self.models[player].exclude(player, until)

    def enforce_sessions(self, enforced: bool) -> None:
        self.sessions_enforced = enforced
        for model in self.models.values():
            model.sessions_enforced = enforced

    def open_session(self, player: str, session_id: str, expires_at: float) -> None:
        self.models[player].sessions[session_id] = Session(player, expires_at)

    def grant_bonus(
        self,
        player: str,
        currency: str,
        bonus_id: str,
        bonus_type: str,
        amount: int,
        expires_at: float | None = None,
    ) -> None:
        """A grant the run gave through SQL. Another player's make naming it must be 3001:
        every model hears of it, only its player's holds it."""
        self.models[player].grant_bonus(player, currency, bonus_id, bonus_type, amount, expires_at)

    def revoke_bonus(self, player: str, bonus_id: str) -> None:
        self.models[player].revoke_bonus(bonus_id)

    def expected_grants(self) -> dict[str, tuple[str, int]]:
        """Every grant the run gave: its player and what it must have left."""
        return {
            bonus_id: (held.player, held.remaining)
            for model in self.models.values()
            for bonus_id, held in model.grants.items()
        }

    def grant_check(self, found: dict[str, int | None]) -> list[Mismatch]:
        """Every grant's remainder against what the model expects (currency names the bonus)."""
        return [
            Mismatch(player, f"bonus {bonus_id}", expected, found.get(bonus_id))
            for bonus_id, (player, expected) in sorted(self.expected_grants().items())
            if found.get(bonus_id) != expected
        ]

    def expected_balances(self) -> dict[tuple[str, str], int]:
        return {
            account: balance
            for model in self.models.values()
            for account, balance in model.balances.items()
        }

    def money_check(self, found: dict[tuple[str, str], int | None]) -> list[Mismatch]:
        """Every account's balance against what the model expects."""
        return [
            Mismatch(player, currency, expected, found.get((player, currency)))
            for (player, currency), expected in sorted(self.expected_balances().items())
            if found.get((player, currency)) != expected
        ]

    # Judging --------------------------------------------------------------------------------

    def judge(self, answers: Sequence[Answer]) -> None:
        """Judge the answers of one burst (requests sent at once)."""
        by_player: dict[str, list[Answer]] = {}
        for answer in answers:
            by_player.setdefault(answer.delivery.player, []).append(answer)
        for player, group in by_player.items():
            self._judge_player(player, group)

    def _judge_player(self, player: str, group: list[Answer]) -> None:
        copies: dict[tuple[str, str], list[Answer]] = {}
        for answer in group:
            delivery = answer.delivery
            if delivery.forged is not None:
                self._judge_forged(answer, delivery.forged)
            elif answer.status is None:
                self._violate(answer, f"no definite answer after {answer.attempts} attempts")
            else:
                key = (delivery.route, json.dumps(delivery.request, sort_keys=True))
                copies.setdefault(key, []).append(answer)
        distinct: list[Answer] = []
        for same in copies.values():
            first = same[0]
            for other in same[1:]:
                if (other.status, other.text) != (first.status, first.text):
                    self._violate(
                        other,
                        "identical requests in flight got different answers: "
                        f"{first.status} {first.text}",
                        track=False,  # the model counts the first; the money check the rest
                    )
            distinct.append(first)
        if player in self.lost_track:
            self.unjudged += len(distinct)
            return
        if not distinct:
            return
        model = self.models.setdefault(player, self._new_model())
        # A request whose key the model already holds is a replay whichever order the burst
        # took: judged first, and left out of the orders tried.
        replays = [a for a in distinct if _is_replay(model, a)]
        fresh = [a for a in distinct if not _is_replay(model, a)]
        chosen: tuple[Wallet, Played] | None = None
        for order in _orders(fresh):
            trial = copy.deepcopy(model) if len(fresh) > 1 else model
            played = _play(trial, replays + order)
            if not played.problems:
                chosen = (trial, played)
                break
            chosen = chosen or (trial, played)
        assert chosen is not None
        self.models[player], played = chosen
        for answer, wallet_id in played.fresh_ids:
            if wallet_id in self.ids:
                self._violate(answer, f"id {wallet_id!r} was given before")
            self.ids.add(wallet_id)
        for answer, what in played.problems:
            if len(fresh) > 1:
                what = f"{what} (and no order of the {len(fresh)} requests sent at once fits)"
            self._violate(answer, what, track=played.diverged)

    def _judge_forged(self, answer: Answer, code: int) -> None:
        if answer.status != 400 or _code(answer.text) != code:
            self._violate(answer, f"a forged token must be refused with {code}", track=False)

    def _violate(self, answer: Answer, what: str, *, track: bool = True) -> None:
        delivery = answer.delivery
        self.violations.append(
            Violation(
                delivery.player,
                delivery.route,
                json.dumps(delivery.request),
                f"{answer.status} {answer.text}",
                what,
            )
        )
        if track:
            self.lost_track.add(delivery.player)


def _is_replay(model: Wallet, answer: Answer) -> bool:
    return model.route(answer.delivery.route, answer.delivery.request).replay is not None


def _orders(answers: list[Answer]) -> Iterator[list[Answer]]:
    """Orders worth trying: successes by falling, then by rising balance, refusals last or
    first; then, for a handful, every order."""
    applied = [answer for answer in answers if answer.status == 200]
    refused = [answer for answer in answers if answer.status != 200]
    falling = sorted(applied, key=lambda answer: -_balance(answer.text))
    rising = sorted(applied, key=lambda answer: _balance(answer.text))
    yield falling + refused
    if len(answers) <= 1:
        return
    yield rising + refused
    yield refused + falling
    yield refused + rising
    if len(answers) <= EVERY_ORDER_UP_TO:
        for order in itertools.permutations(answers):
            yield list(order)


@dataclass
class Played:
    """Answers applied to a model in one order: what broke the contract, the new wallet ids,
    and whether the model lost the thread (a status it did not expect: it cannot know what the
    wallet did). A wrong field under the expected status (a balance off by a deposit nobody
    announced) is reported, and the model goes on counting from its own figures."""

    problems: list[tuple[Answer, str]] = field(default_factory=list)
    fresh_ids: list[tuple[Answer, str]] = field(default_factory=list)
    diverged: bool = False


def _play(model: Wallet, answers: list[Answer]) -> Played:
    played = Played()
    for answer in answers:
        delivery = answer.delivery
        assert answer.status is not None
        outcome = model.route(delivery.route, delivery.request)
        what = _mismatch(model, delivery.route, outcome, answer.status, answer.text)
        if what is not None:
            played.problems.append((answer, what))
            if answer.status != outcome.status or outcome.replay is not None:
                played.diverged = True
                return played
        model.answer(outcome, answer.status, answer.text)
        if answer.status == 200 and outcome.replay is None:
            try:
                body = json.loads(answer.text)
            except ValueError:
                body = None
            if not isinstance(body, dict):
                played.diverged = True
                return played
            if outcome.effect is not None:
                outcome.effect(body)
            if delivery.route != "balance" and isinstance(body.get("id"), str):
                played.fresh_ids.append((answer, body["id"]))
    return played


def _mismatch(model: Wallet, route: str, outcome: Outcome, status: int, text: str) -> str | None:
    """What is wrong with this answer, as the contract's model sees it; None if nothing."""
    expected = (
        f"the contract expects {outcome.status} {outcome.code or outcome.fields} ({outcome.why})"
    )
    if outcome.replay is not None:
        if (status, text) != (outcome.replay.status, outcome.replay.text):
            return (
                "a replay must be the stored answer byte for byte: "
                f"{outcome.replay.status} {outcome.replay.text}"
            )
        return None
    if status != outcome.status:
        return f"status {status}: {expected}"
    try:
        body = json.loads(text)
    except ValueError:
        return "the body is not JSON"
    if not isinstance(body, dict):
        return "the body is not a JSON object"
    if status != 200:
        if set(body) != {"code", "message"}:
            return "an error body is {code, message}"
        if body["code"] != outcome.code:
            return f"code {body['code']}: {expected}"
        return None
    if route == "balance":
        return None if body == outcome.fields else f"balance answer: {expected}"
    if set(body) != ANSWER_FIELDS:
        return f"the answer's fields are {sorted(body)}, not {sorted(ANSWER_FIELDS)}"
    for name, value in outcome.fields.items():
        if body[name] != value:
            return f"{name} is {body[name]!r}: {expected}"
    if outcome.any_account_of is not None:
        accounts = {
            (currency, balance)
            for (player, currency), balance in model.balances.items()
            if player == outcome.any_account_of
        }
        if (body["currency"], body["balance"]) not in accounts:
            return f"currency and balance {body['currency']} {body['balance']}: not an account"
    if not isinstance(body["id"], str) or not body["id"]:
        return "the id is not a non-empty string"
    return None


def _balance(text: str) -> int:
    try:
        balance = json.loads(text).get("balance", 0)
    except (ValueError, AttributeError):
        return 0
    return balance if isinstance(balance, int) else 0


def _code(text: str) -> int | None:
    try:
        code = json.loads(text).get("code")
    except (ValueError, AttributeError):
        return None
    return code if isinstance(code, int) else None
