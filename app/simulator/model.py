"""An executable model of the provider contract (``docs/contract/provider.md``).

Written from the contract's words, not from the SQL: a few dictionaries of accounts, bets and
operation keys, and one method per route that says what the wallet must answer to a request and
how the world changes. ``tests/sql/test_model.py`` drives the real route functions and this model
side by side with random requests and compares every answer; ``wallet simulate`` judges every
answer a running wallet gives it with the same model.

Decisions the contract leaves open are the wallet's documented ones (the engineer's brief):

- make checks, in order: unknown player 1006, no account in the currency 2002, blocked 1005,
  make id discarded before 2004, balance below the stake 2001;
- win, lost, refund and rollback check: unknown player 1006, unknown bet 2003, bet of another
  player 2004, other currency 2002, then the state (2004);
- a discard naming another player's make is 2004;
- commit is the transition open -> accepted only: a new commit key on an accepted bet (reopened
  by a rollback) is 2004;
- stored and replayed: 1005, 1006, 2001, 2002, 2004 for a state, 4001 and 1007; not stored:
  2003, malformed requests and key reuse with other content.

Bonus bets (``docs/contract/operator.md`` section 3, ``docs/bonus-bets.md``): a policy per bonus
type (where the stake comes from, what a win credits, whether a grant is needed), the grants the
DBA gives and revokes, and for each bet what it took from its grant and gave back. A make naming
a bonus checks, after the discarded make (2004): the grant (3001 when not held: unknown, another
player's or currency's, revoked, expired, of another type than the make's ``bonus_type``; a type
that needs no grant is a real-money bet), then what the grant has left (4002), then the real
balance against the real part of the stake (2001). Limits see the real part of the stake. A
discard gives the stake back where it came from; a refund gives the grant its part of the stake
first; a win credits the amount, or the amount less the stake (never below 0); a rollback takes
back the real credit and the grant's give-back (a grant may go below zero only so).

Responsible gambling (``docs/contract/operator.md`` sections 1 and 2), computed the slow way:
every stake and credit of an account is kept with its time, and a window's sum adds up those
whose minute is not before the minute the window starts in (a stake leaves a window at most a
minute after its anniversary, never before). After 1005 a make checks: the player's exclusion,
then each limit in force (stake_per_bet, stakes, losses, bets), 4001; then, when sessions are
enforced, the session, 1007; then the discarded make (2004) and the balance (2001). A looser
limit waits ``cooling_off`` seconds; a stricter one, or the same, applies at once and drops a
pending change.
"""

from __future__ import annotations

import math
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

MAX_AMOUNT = 10**15
CURRENCY = re.compile(r"[A-Z0-9]{3,8}")
SETTLEMENT_STATUSES = ("won", "lost", "canceled", "refund", "cashed out", "half-won", "half-lost")

# Provider error codes.
BLOCKED = 1005
NO_PLAYER = 1006
NO_SESSION = 1007
LIMITED = 4001
NO_MONEY = 2001
BAD_CURRENCY = 2002
NO_BET = 2003
BAD_REQUEST = 2004
NO_BONUS = 3001
BONUS_SHORT = 4002


class Malformed(Exception):
    """A request whose shape is wrong: answered with ``code`` and never stored."""

    def __init__(self, code: int, why: str) -> None:
        super().__init__(why)
        self.code = code


# Field shapes (contract: "Amounts, currencies, ids") ---------------------------------------------


def as_id(value: Any, name: str, required: bool = True) -> str | None:
    if value is None:
        if required:
            raise Malformed(BAD_REQUEST, f"{name} missing")
        return None
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise Malformed(BAD_REQUEST, f"{name} not an id")
    if isinstance(value, int):
        if value < 0:
            raise Malformed(BAD_REQUEST, f"{name} negative")
        value = str(value)
    text: str = value
    if not 1 <= len(text) <= 128 or "\x00" in text:
        raise Malformed(BAD_REQUEST, f"{name} length")
    return text


def as_amount(value: Any, name: str, required: bool = True) -> int | None:
    if value is None:
        if required:
            raise Malformed(BAD_REQUEST, f"{name} missing")
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise Malformed(BAD_REQUEST, f"{name} not an integer")
    if not 0 <= value <= MAX_AMOUNT:
        raise Malformed(BAD_REQUEST, f"{name} out of range")
    return value


def as_currency(value: Any, name: str, required: bool = True) -> str | None:
    if value is None:
        if required:
            raise Malformed(BAD_REQUEST, f"{name} missing")
        return None
    if not isinstance(value, str) or not CURRENCY.fullmatch(value):
        raise Malformed(BAD_CURRENCY, f"{name} not a currency")
    return value


def as_object(value: Any, name: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise Malformed(BAD_REQUEST, f"{name} not an object")
    return value


def agree(name: str, one: Any, other: Any) -> None:
    if one is not None and other is not None and one != other:
        raise Malformed(BAD_REQUEST, f"{name} disagrees")


def expect_operation(transaction: dict[str, Any], operation: str) -> None:
    if transaction.get("operation") != operation:
        raise Malformed(BAD_REQUEST, "transaction.operation")


# The world -------------------------------------------------------------------------------------


@dataclass
class Bet:
    bet_id: str
    make_id: str
    player: str
    currency: str
    stake: int
    state: str = "open"  # open, accepted, settled, closed, discarded
    settlement_id: str | None = None  # provider id of the current win/lost/refund
    settled_amount: int = 0
    result: str | None = None  # won, cashed_out, lost, refunded while settled
    bonus_id: str | None = None  # the grant the stake's bonus part came from
    bonus_stake: int = 0  # the part of the stake the grant paid
    bonus_returned: int = 0  # what the bet has given back to its grant now
    win_net: bool = False  # a win credits the amount less the stake

    def real_credit(self, result: str | None, amount: int) -> int:
        """What a settlement of ``amount`` credits to the real balance."""
        if result in ("won", "cashed_out"):
            return max(amount - self.stake, 0) if self.win_net else amount
        if result == "refunded":
            return amount - min(amount, self.bonus_stake)
        return 0


@dataclass(frozen=True)
class Policy:
    """What a bonus type does: stake from the grant (else the real balance), a win net of the
    stake, a grant needed."""

    from_grant: bool
    win_net: bool
    requires_grant: bool = True


DEFAULT_POLICIES = {
    "freebet_refund": Policy(True, False),
    "freebet_freemoney": Policy(True, False),
    "freebet_no_risk": Policy(True, True),
    "comboboost": Policy(False, False),
    "global_comboboost": Policy(False, False, requires_grant=False),
}
"""Migration 0500's defaults (docs/bonus-bets.md says where they come from)."""


@dataclass
class Grant:
    player: str
    currency: str
    bonus_type: str
    amount: int
    remaining: int
    expires_at: float | None = None
    revoked: bool = False


LIMIT_KINDS = (
    "stake_per_bet",
    "stake_24h",
    "stake_7d",
    "stake_30d",
    "loss_24h",
    "loss_7d",
    "loss_30d",
    "bets_24h",
)
WINDOW_SECONDS = {"24h": 86_400, "7d": 7 * 86_400, "30d": 30 * 86_400}
COOLING_OFF = 86_400.0


@dataclass
class Limit:
    """A limit of one account: the amount in force, and a looser change that waits."""

    amount: int
    pending: bool = False
    pending_amount: int | None = None
    effective_at: float | None = None

    def in_force(self, now: float) -> int | None:
        if self.pending and self.effective_at is not None and self.effective_at <= now:
            return self.pending_amount
        return self.amount


@dataclass
class Activity:
    """What moved an account's money, when: a make's stake, or a credit (negative: a rollback)."""

    at: float
    stake: int = 0
    credit: int = 0
    bets: int = 0


@dataclass
class Session:
    player: str
    expires_at: float
    closed: bool = False


def minute(at: float) -> int:
    return math.floor(at / 60)


@dataclass
class Stored:
    """An operation key seen before: the content it was used with and the answer given."""

    fingerprint: tuple[Any, ...]
    status: int
    text: str


@dataclass
class Outcome:
    """What the wallet must answer to one request, and what it changes.

    ``replay``: the stored answer, byte for byte. Otherwise ``status`` and ``code`` (for 400) or
    ``fields`` (for 200; ``id`` is checked to be new). ``store`` says whether the answer is kept
    under ``key`` for replays. ``effect`` applies the change, given the 200 body.
    """

    status: int
    code: int | None = None
    key: tuple[str, str] | None = None
    fingerprint: tuple[Any, ...] | None = None
    store: bool = False
    replay: Stored | None = None
    fields: dict[str, Any] = field(default_factory=dict)
    # For a discard that found no make: any of the player's accounts may be named.
    any_account_of: str | None = None
    effect: Callable[[dict[str, Any]], None] | None = None
    why: str = ""


def refusal(code: int, key: tuple[str, str], fingerprint: tuple[Any, ...], why: str) -> Outcome:
    """A refusal decided on a well-formed request: stored unless it is 2003 (unknown bet)."""
    return Outcome(400, code, key, fingerprint, store=code != NO_BET, why=why)


class Wallet:
    """The contract's wallet, in memory."""

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self.balances: dict[tuple[str, str], int] = {}
        self.blocked: set[str] = set()
        self.bets: dict[str, Bet] = {}
        self.makes: dict[str, str | None] = {}  # make id -> bet id, or None for a discard marker
        self.keys: dict[tuple[str, str], Stored] = {}
        # Responsible gambling: the clock (unix seconds), limits per account, exclusions
        # (until, None: indefinite), each account's activity, sessions.
        self.clock = clock
        self.cooling_off = COOLING_OFF
        self.limits: dict[tuple[str, str], dict[str, Limit]] = {}
        self.exclusions: dict[str, tuple[float, float | None]] = {}  # player -> (since, until)
        self.activity: dict[tuple[str, str], list[Activity]] = {}
        self.sessions_enforced = False
        self.sessions: dict[str, Session] = {}
        self.policies: dict[str, Policy] = dict(DEFAULT_POLICIES)
        self.grants: dict[str, Grant] = {}

    # DBA -------------------------------------------------------------------------------------

    def players(self) -> set[str]:
        return {player for player, _ in self.balances}

    def set_limit(self, player: str, currency: str, kind: str, amount: int) -> float:
        """wallet.set_limit: when the new amount applies."""
        now = self.clock()
        limits = self.limits.setdefault((player, currency), {})
        current = limits.get(kind)
        in_force = current.in_force(now) if current else None
        if in_force is None or amount <= in_force:
            limits[kind] = Limit(amount)
            return now
        limits[kind] = Limit(in_force, True, amount, now + self.cooling_off)
        return now + self.cooling_off

    def remove_limit(self, player: str, currency: str, kind: str) -> float | None:
        """wallet.remove_limit: when the removal applies; None when no limit is in force (the
        wallet refuses, WA208)."""
        now = self.clock()
        limits = self.limits.setdefault((player, currency), {})
        current = limits.get(kind)
        in_force = current.in_force(now) if current else None
        if in_force is None:
            return None
        limits[kind] = Limit(in_force, True, None, now + self.cooling_off)
        return now + self.cooling_off

    def excluded_until(self, player: str) -> tuple[bool, float | None]:
        """(excluded now, until)."""
        exclusion = self.exclusions.get(player)
        if exclusion is None:
            return False, None
        _, until = exclusion
        return until is None or until > self.clock(), until

    def exclude(self, player: str, until: float | None) -> bool:
        """wallet.exclude_player: False when it would shorten an exclusion in force (WA208)."""
        excluded, current = self.excluded_until(player)
        if excluded and (
            (current is None and until is not None)
            or (current is not None and until is not None and until < current)
        ):
            return False
        self.exclusions[player] = (self.clock(), until)
        for session in self.sessions.values():
            if session.player == player:
                session.closed = True
        return True

    def lift_exclusion(self, player: str) -> bool:
        """wallet.lift_exclusion: False when the wallet refuses (not excluded, or indefinite and
        younger than the cooling-off period)."""
        excluded, until = self.excluded_until(player)
        if not excluded:
            return False
        since, _ = self.exclusions[player]
        if until is None and since > self.clock() - self.cooling_off:
            return False
        del self.exclusions[player]
        return True

    def grant_bonus(
        self,
        player: str,
        currency: str,
        bonus_id: str,
        bonus_type: str,
        amount: int,
        expires_at: float | None = None,
    ) -> bool:
        """wallet.grant_bonus: False when the wallet refuses (no policy for the type, the
        bonus_id granted before with other terms, an end in the past, an excluded player); the
        same grant again changes nothing."""
        if bonus_type not in self.policies or (player, currency) not in self.balances:
            return False
        existing = self.grants.get(bonus_id)
        if existing is not None:
            return (existing.player, existing.currency, existing.bonus_type, existing.amount) == (
                player,
                currency,
                bonus_type,
                amount,
            ) and existing.expires_at == expires_at
        if expires_at is not None and expires_at <= self.clock():
            return False
        if self.excluded_until(player)[0]:
            return False  # no bonus for an excluded player
        self.grants[bonus_id] = Grant(player, currency, bonus_type, amount, amount, expires_at)
        return True

    def revoke_bonus(self, bonus_id: str) -> bool:
        """wallet.revoke_bonus: True when revoked now, False when it was revoked already."""
        held = self.grants[bonus_id]
        if held.revoked:
            return False
        held.revoked = True
        return True

    def bonus_refusal(
        self, player: str, currency: str, bonus_id: str, bonus_type: str | None, stake: int
    ) -> tuple[int | None, str, Grant | None, Policy | None]:
        """(refusal code or None, why, the grant, its policy) of a make naming a bonus."""
        held = self.grants.get(bonus_id)
        if held is not None and (held.player, held.currency) == (player, currency):
            policy = self.policies[held.bonus_type]
            if held.revoked:
                return NO_BONUS, "bonus revoked", held, policy
            if held.expires_at is not None and held.expires_at <= self.clock():
                return NO_BONUS, "bonus expired", held, policy
            if bonus_type is not None and bonus_type != held.bonus_type:
                return NO_BONUS, "bonus of another type", held, policy
            if policy.from_grant and held.remaining < stake:
                return BONUS_SHORT, "stake above what the grant has left", held, policy
            return None, "", held, policy
        open_to_all = self.policies.get(bonus_type) if bonus_type is not None else None
        if open_to_all is not None and not open_to_all.requires_grant:
            return None, "", None, open_to_all
        return NO_BONUS, "bonus not held", None, None

    def block(self, player: str) -> None:
        if player not in self.blocked:
            self.blocked.add(player)
            for session in self.sessions.values():
                if session.player == player:
                    session.closed = True

    def count(
        self, player: str, currency: str, *, stake: int = 0, credit: int = 0, bets: int = 0
    ) -> None:
        self.activity.setdefault((player, currency), []).append(
            Activity(self.clock(), stake, credit, bets)
        )

    def window(self, player: str, currency: str, seconds: int) -> tuple[int, int, int]:
        """Stakes, credits and bets of an account in the window ending now, the slow way."""
        first = minute(self.clock() - seconds)
        inside = [a for a in self.activity.get((player, currency), []) if minute(a.at) >= first]
        return (
            sum(a.stake for a in inside),
            sum(a.credit for a in inside),
            sum(a.bets for a in inside),
        )

    def limit_refusal(self, player: str, currency: str, stake: int) -> str | None:
        excluded, _ = self.excluded_until(player)
        if excluded:
            return "excluded"
        now = self.clock()
        limits = self.limits.get((player, currency), {})
        for kind in LIMIT_KINDS:
            amount = limits[kind].in_force(now) if kind in limits else None
            if amount is None:
                continue
            if kind == "stake_per_bet":
                if stake > amount:
                    return kind
                continue
            what, span = kind.split("_")
            stakes, credits, bets = self.window(player, currency, WINDOW_SECONDS[span])
            used = {
                "stake": stakes + stake,
                "loss": stakes - credits + stake,
                "bets": bets + 1,
            }[what]
            if used > amount:
                return kind
        return None

    def session_refusal(self, player: str, session_id: Any) -> str | None:
        session = self.sessions.get(session_id) if isinstance(session_id, str) else None
        if session is None or session.player != player:
            return "unknown session"
        if session.closed:
            return "closed session"
        if session.expires_at <= self.clock():
            return "expired session"
        return None

    # Helpers ---------------------------------------------------------------------------------

    def seen(self, key: tuple[str, str], fingerprint: tuple[Any, ...]) -> Outcome | None:
        """The answer for a key seen before: its replay, or 2004 for other content."""
        stored = self.keys.get(key)
        if stored is None:
            return None
        if stored.fingerprint == fingerprint:
            return Outcome(stored.status, key=key, replay=stored, why="replay")
        return Outcome(400, BAD_REQUEST, why="key reused with other content")

    def answer(self, outcome: Outcome, status: int, text: str) -> None:
        """Record the answer the wallet gave, if the contract says it is kept for replays."""
        if outcome.store and outcome.key is not None and outcome.fingerprint is not None:
            self.keys[outcome.key] = Stored(outcome.fingerprint, status, text)

    def success(
        self,
        key: tuple[str, str],
        fingerprint: tuple[Any, ...],
        effect: Callable[[dict[str, Any]], None] | None,
        **fields: Any,
    ) -> Outcome:
        return Outcome(200, None, key, fingerprint, True, None, fields, effect=effect, why="ok")

    # Routes ----------------------------------------------------------------------------------

    def balance(self, request: dict[str, Any]) -> Outcome:
        try:
            player = as_id(request.get("player_id"), "player_id")
            currency = as_currency(request.get("currency"), "currency")
        except Malformed as error:
            return Outcome(400, error.code, why=str(error))
        assert player is not None
        assert currency is not None
        if player not in self.players():
            return Outcome(400, NO_PLAYER)
        if (player, currency) not in self.balances:
            return Outcome(400, BAD_CURRENCY)
        return Outcome(
            200,
            fields={
                "user_id": player,
                "currency": currency,
                "balance": self.balances[player, currency],
            },
        )

    def make(self, request: dict[str, Any]) -> Outcome:
        try:
            as_object(request, "payload")
            transaction = as_object(request.get("transaction"), "transaction")
            betslip = as_object(request.get("betslip"), "betslip")
            player = as_id(request.get("player_id"), "player_id")
            agree("ext_player_id", as_id(transaction.get("ext_player_id"), "", False), player)
            currency = as_currency(request.get("currency"), "currency")
            agree(
                "transaction.currency",
                as_currency(transaction.get("currency"), "", False),
                currency,
            )
            amount = as_amount(request.get("amount"), "amount")
            agree(
                "transaction.amount",
                as_amount(transaction.get("amount"), "transaction.amount"),
                amount,
            )
            agree("betslip.sum", as_amount(betslip.get("sum"), "betslip.sum", False), amount)
            as_amount(request.get("potential_win"), "potential_win", False)
            make_id = as_id(transaction.get("id"), "transaction.id")
            expect_operation(transaction, "bet")
            bonus_id = as_id(request.get("bonus_id"), "bonus_id", False)
            bonus_type = request.get("bonus_type")
            if bonus_type is not None and (not isinstance(bonus_type, str) or len(bonus_type) > 64):
                raise Malformed(BAD_REQUEST, "bonus_type")
        except Malformed as error:
            return Outcome(400, error.code, why=str(error))
        assert player is not None
        assert currency is not None
        assert amount is not None
        assert make_id is not None
        key = ("transaction", make_id)
        fingerprint = ("bet", player, amount, currency, None)
        if (known := self.seen(key, fingerprint)) is not None:
            return known
        if player not in self.players():
            return refusal(NO_PLAYER, key, fingerprint, "unknown player")
        if (player, currency) not in self.balances:
            return refusal(BAD_CURRENCY, key, fingerprint, "no account in that currency")
        if player in self.blocked:
            return refusal(BLOCKED, key, fingerprint, "blocked")
        bonus: tuple[int | None, str, Grant | None, Policy | None] = (None, "", None, None)
        if bonus_id is not None:
            bonus = self.bonus_refusal(player, currency, bonus_id, bonus_type, amount)
        unbonused, why_not, held, policy = bonus
        bonus_stake = amount if policy is not None and policy.from_grant else 0
        real = amount - bonus_stake
        if (limited := self.limit_refusal(player, currency, real)) is not None:
            return refusal(LIMITED, key, fingerprint, limited)
        if self.sessions_enforced and (
            (unsession := self.session_refusal(player, request.get("session_id"))) is not None
        ):
            return refusal(NO_SESSION, key, fingerprint, unsession)
        if make_id in self.makes:
            return refusal(BAD_REQUEST, key, fingerprint, "make discarded before it was made")
        if unbonused is not None:
            return refusal(unbonused, key, fingerprint, why_not)
        if self.balances[player, currency] < real:
            return refusal(NO_MONEY, key, fingerprint, "stake above balance")
        balance = self.balances[player, currency] - real

        def effect(body: dict[str, Any]) -> None:
            self.balances[player, currency] = balance
            self.bets[body["id"]] = Bet(
                body["id"],
                make_id,
                player,
                currency,
                amount,
                bonus_id=bonus_id if held is not None else None,
                bonus_stake=bonus_stake,
                win_net=policy is not None and policy.win_net,
            )
            if held is not None:
                held.remaining -= bonus_stake
            self.makes[make_id] = body["id"]
            self.count(player, currency, stake=real, bets=1)

        return self.success(
            key,
            fingerprint,
            effect,
            ext_transaction_id=make_id,
            parent_transaction_id=None,
            user_id=player,
            operation="bet",
            amount=amount,
            currency=currency,
            balance=balance,
        )

    def commit(self, request: dict[str, Any]) -> Outcome:
        try:
            as_object(request, "payload")
            bet_ref = as_id(request.get("bet_transaction_id"), "bet_transaction_id")
        except Malformed as error:
            return Outcome(400, error.code, why=str(error))
        assert bet_ref is not None
        key = ("commit", bet_ref)
        fingerprint = ("commit", bet_ref)
        if (known := self.seen(key, fingerprint)) is not None:
            return known
        bet = self.bets.get(bet_ref)
        if bet is None:
            return refusal(NO_BET, key, fingerprint, "unknown bet")
        if bet.state != "open":
            return refusal(BAD_REQUEST, key, fingerprint, f"commit of a {bet.state} bet")

        def effect(body: dict[str, Any]) -> None:
            bet.state = "accepted"

        return self.success(
            key,
            fingerprint,
            effect,
            ext_transaction_id=bet.make_id,
            parent_transaction_id=bet.bet_id,
            user_id=bet.player,
            operation="commit",
            amount=0,
            currency=bet.currency,
            balance=self.balances[bet.player, bet.currency],
        )

    def discard(self, request: dict[str, Any]) -> Outcome:
        try:
            as_object(request, "payload")
            player = as_id(request.get("ext_player_id"), "ext_player_id")
            make_id = as_id(request.get("transaction_id"), "transaction_id")
        except Malformed as error:
            return Outcome(400, error.code, why=str(error))
        assert player is not None
        assert make_id is not None
        key = ("discard", make_id)
        fingerprint = ("discard", player, make_id)
        if (known := self.seen(key, fingerprint)) is not None:
            return known
        if player not in self.players():
            return refusal(NO_PLAYER, key, fingerprint, "unknown player")
        bet_id = self.makes.get(make_id)
        if bet_id is None:
            # Never made (a marker would have its discard key stored): leave a marker.
            def mark(body: dict[str, Any]) -> None:
                self.makes[make_id] = None

            outcome = self.success(
                key,
                fingerprint,
                mark,
                ext_transaction_id=make_id,
                parent_transaction_id=None,
                user_id=player,
                operation="discard",
                amount=0,
            )
            outcome.any_account_of = player
            return outcome
        bet = self.bets[bet_id]
        if bet.player != player:
            return refusal(BAD_REQUEST, key, fingerprint, "another player's make")
        if bet.state != "open":
            return refusal(BAD_REQUEST, key, fingerprint, f"discard of a {bet.state} bet")
        real = bet.stake - bet.bonus_stake
        balance = self.balances[player, bet.currency] + real

        def effect(body: dict[str, Any]) -> None:
            self.balances[player, bet.currency] = balance
            bet.state = "discarded"
            if bet.bonus_id is not None:
                self.grants[bet.bonus_id].remaining += bet.bonus_stake
                bet.bonus_returned = bet.bonus_stake
            self.count(player, bet.currency, credit=real)

        return self.success(
            key,
            fingerprint,
            effect,
            ext_transaction_id=make_id,
            parent_transaction_id=bet.bet_id,
            user_id=player,
            operation="discard",
            amount=bet.stake,
            currency=bet.currency,
            balance=balance,
        )

    def settle(self, request: dict[str, Any], operation: str) -> Outcome:
        """win, lost and refund."""
        try:
            as_object(request, "payload")
            transaction = as_object(request.get("transaction"), "transaction")
            transaction_id = as_id(transaction.get("id"), "transaction.id")
            expect_operation(transaction, operation)
            player = as_id(transaction.get("ext_player_id"), "transaction.ext_player_id")
            bet_ref = as_id(request.get("bet_transaction_id"), "bet_transaction_id")
            top = as_amount(request.get("amount"), "amount", False)
            inner = as_amount(transaction.get("amount"), "transaction.amount", False)
            agree("amount", top, inner)
            amount = inner if inner is not None else top
            if operation == "lost":
                if amount not in (None, 0):
                    raise Malformed(BAD_REQUEST, "lost amount must be 0")
                amount = 0
            elif operation == "refund" and inner is None:
                raise Malformed(BAD_REQUEST, "refund needs transaction.amount")
            elif amount is None:
                raise Malformed(BAD_REQUEST, "amount missing")
            top_currency = as_currency(request.get("currency"), "currency", False)
            inner_currency = as_currency(transaction.get("currency"), "transaction.currency", False)
            agree("currency", top_currency, inner_currency)
            currency = top_currency or inner_currency
            if currency is None:
                raise Malformed(BAD_REQUEST, "currency missing")
        except Malformed as error:
            return Outcome(400, error.code, why=str(error))
        assert transaction_id is not None
        assert player is not None
        assert bet_ref is not None
        key = ("transaction", transaction_id)
        fingerprint = (operation, player, amount, currency, bet_ref)
        if (known := self.seen(key, fingerprint)) is not None:
            return known
        if player not in self.players():
            return refusal(NO_PLAYER, key, fingerprint, "unknown player")
        bet = self.bets.get(bet_ref)
        if bet is None:
            return refusal(NO_BET, key, fingerprint, "unknown bet")
        if bet.player != player:
            return refusal(BAD_REQUEST, key, fingerprint, "another player's bet")
        if bet.currency != currency:
            return refusal(BAD_CURRENCY, key, fingerprint, "other currency than the bet's")
        if bet.state not in ("open", "accepted"):
            return refusal(BAD_REQUEST, key, fingerprint, f"{operation} of a {bet.state} bet")
        if operation == "refund" and amount > bet.stake:
            return refusal(BAD_REQUEST, key, fingerprint, "refund above the stake")
        result = {"win": "won", "lost": "lost", "refund": "refunded"}[operation]
        if operation == "win" and request.get("is_cashout") is True:
            result = "cashed_out"
        credit = bet.real_credit(result, amount) if operation != "lost" else 0
        balance = self.balances[player, currency] + credit

        def effect(body: dict[str, Any]) -> None:
            self.balances[player, currency] = balance
            bet.state = "settled"
            bet.settlement_id = transaction_id
            bet.settled_amount = amount
            bet.result = result
            if result == "refunded" and bet.bonus_id is not None and amount > credit:
                self.grants[bet.bonus_id].remaining += amount - credit
                bet.bonus_returned = amount - credit
            self.count(player, currency, credit=credit)

        return self.success(
            key,
            fingerprint,
            effect,
            ext_transaction_id=transaction_id,
            parent_transaction_id=bet.bet_id,
            user_id=player,
            operation=operation,
            amount=amount,
            currency=currency,
            balance=balance,
        )

    def rollback(self, request: dict[str, Any]) -> Outcome:
        try:
            as_object(request, "payload")
            transaction = as_object(request.get("transaction"), "transaction")
            transaction_id = as_id(transaction.get("id"), "transaction.id")
            expect_operation(transaction, "rollback")
            player = as_id(transaction.get("ext_player_id"), "transaction.ext_player_id")
            bet_ref = as_id(request.get("bet_transaction_id"), "bet_transaction_id")
            undone = as_id(request.get("parent_transaction_id"), "parent_transaction_id")
            amount = as_amount(transaction.get("amount"), "transaction.amount", False)
            currency = as_currency(transaction.get("currency"), "transaction.currency", False)
        except Malformed as error:
            return Outcome(400, error.code, why=str(error))
        assert transaction_id is not None
        assert player is not None
        assert bet_ref is not None
        key = ("transaction", transaction_id)
        fingerprint = ("rollback", player, amount, currency, bet_ref, undone)
        if (known := self.seen(key, fingerprint)) is not None:
            return known
        if player not in self.players():
            return refusal(NO_PLAYER, key, fingerprint, "unknown player")
        bet = self.bets.get(bet_ref)
        if bet is None:
            return refusal(NO_BET, key, fingerprint, "unknown bet")
        if bet.player != player:
            return refusal(BAD_REQUEST, key, fingerprint, "another player's bet")
        if currency is not None and currency != bet.currency:
            return refusal(BAD_CURRENCY, key, fingerprint, "other currency than the bet's")
        if bet.state != "settled":
            return refusal(BAD_REQUEST, key, fingerprint, f"rollback of a {bet.state} bet")
        if bet.settlement_id != undone:
            return refusal(BAD_REQUEST, key, fingerprint, "not the current settlement")
        if amount is not None and amount != bet.settled_amount:
            return refusal(BAD_REQUEST, key, fingerprint, "amount is not what was settled")
        taken = bet.real_credit(bet.result, bet.settled_amount)
        balance = self.balances[player, bet.currency] - taken
        settled = bet.settled_amount

        def effect(body: dict[str, Any]) -> None:
            self.balances[player, bet.currency] = balance
            bet.state = "accepted"
            bet.settlement_id = None
            bet.settled_amount = 0
            bet.result = None
            if bet.bonus_id is not None:
                self.grants[bet.bonus_id].remaining -= bet.bonus_returned
                bet.bonus_returned = 0
            self.count(player, bet.currency, credit=-taken)

        return self.success(
            key,
            fingerprint,
            effect,
            ext_transaction_id=transaction_id,
            parent_transaction_id=bet.bet_id,
            user_id=player,
            operation="rollback",
            amount=settled,
            currency=bet.currency,
            balance=balance,
        )

    def settlement(self, request: dict[str, Any]) -> Outcome:
        try:
            as_object(request, "payload")
            bet_ref = as_id(request.get("bet_transaction_id"), "bet_transaction_id")
            status = request.get("status")
            if status not in SETTLEMENT_STATUSES:
                raise Malformed(BAD_REQUEST, "status")
        except Malformed as error:
            return Outcome(400, error.code, why=str(error))
        assert bet_ref is not None
        key = ("settlement", bet_ref)
        fingerprint = ("settlement", bet_ref, status)
        if (known := self.seen(key, fingerprint)) is not None:
            return known
        bet = self.bets.get(bet_ref)
        if bet is None:
            return refusal(NO_BET, key, fingerprint, "unknown bet")
        if bet.state != "settled":
            return refusal(BAD_REQUEST, key, fingerprint, f"settlement of a {bet.state} bet")

        def effect(body: dict[str, Any]) -> None:
            bet.state = "closed"

        return self.success(
            key,
            fingerprint,
            effect,
            ext_transaction_id=bet.make_id,
            parent_transaction_id=bet.bet_id,
            user_id=bet.player,
            operation="settlement",
            amount=0,
            currency=bet.currency,
            balance=self.balances[bet.player, bet.currency],
        )

    def route(self, route: str, request: dict[str, Any]) -> Outcome:
        if route == "balance":
            return self.balance(request)
        if route == "bet/make":
            return self.make(request)
        if route == "bet/commit":
            return self.commit(request)
        if route == "bet/discard":
            return self.discard(request)
        if route in ("bet/win", "bet/lost", "bet/refund"):
            return self.settle(request, route.removeprefix("bet/"))
        if route == "bet/rollback":
            return self.rollback(request)
        if route == "bet/settlement":
            return self.settlement(request)
        raise ValueError(route)
