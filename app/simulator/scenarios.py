"""The scenarios: certification, lifecycle, soak, responsible-gambling and bonus-bets.

Each builds and signs every request of a burst before sending it; the referee judges every
answer. Requests that name a bet (``bet_transaction_id``) need the wallet's id for it, which
the make's answer gives, so those are signed after the make's burst, never during a burst.
"""

from __future__ import annotations

import asyncio
import json
import random
import time
from dataclasses import dataclass, field
from typing import Any

from app.keys import ProviderKey
from app.simulator import provider as p
from app.simulator.run import Player, Simulation
from app.simulator.traffic import Answer, Delivery

STAKE = 1_000
OPENING = 100_000
RACE_ROUNDS = 10


def _bet_id(answers: list[Answer]) -> str | None:
    """The wallet's id of the bet a make's answers name, if one was accepted."""
    for answer in answers:
        if answer.status == 200:
            bet_id = json.loads(answer.text).get("id")
            if isinstance(bet_id, str):
                return bet_id
    return None


# certification -------------------------------------------------------------------------------


async def certification(sim: Simulation) -> None:
    """What a provider's certification suite throws at a wallet, step by step."""
    # the drained, the blocked and the limited player
    with_sql = 8 + 1 + 5 if sim.dba is not None else 0
    sim.plan(5 + 20 + 28 + 2 * RACE_ROUNDS + 3 + 2 + 2 + with_sql)
    main = (await sim.players("main", 1, OPENING))[0]
    stake = min(STAKE, main.balance // 60)
    if stake < 1:
        sim.notes.append(f"player {main.player_id} has too little money to play with")
        return
    currency = sim.currency

    def make(player: str, tx: str | None = None, amount: int = stake) -> Delivery:
        return sim.deliver(
            "bet/make", player, p.make(player, amount, currency=currency, tx=tx or sim.tx("make"))
        )

    for count in (5, 20):
        with sim.step(f"{count} simultaneous makes for one player"):
            await sim.burst([make(main.player_id) for _ in range(count)])

    with sim.step("duplicate transaction ids: one applies, the copies replay it"):
        await _duplicates(sim, main, stake)

    with sim.step("a drained balance is 2001; after a deposit the same id stays 2001"):
        drained = sim.open_players("drained", 1, 3 * stake)[0].player_id
        await sim.burst([make(drained) for _ in range(5)])  # three fit, two are refused
        refused = make(drained)
        await sim.burst([refused])
        sim.deposit(drained, 5 * stake)
        await sim.burst([refused])  # the stored 2001, byte for byte
        await sim.burst([make(drained)])  # a new id is accepted

    with sim.step(f"a discard racing its make ({RACE_ROUNDS} rounds)"):
        discard_first = 0
        for _ in range(RACE_ROUNDS):
            tx = sim.tx("race")
            discard = p.discard(main.player_id, tx, "timed out")
            answers = await sim.burst(
                [make(main.player_id, tx), sim.deliver("bet/discard", main.player_id, discard)]
            )
            discard_first += answers[0].status != 200
        sim.notes.append(
            f"discard racing its make: the make came first in {RACE_ROUNDS - discard_first} "
            f"round(s), the discard in {discard_first}"
        )

    with sim.step("a bad signature is 2005 and stores nothing"):
        request = p.make(main.player_id, stake, currency=currency, tx=sim.tx("forged"))
        stranger = ProviderKey.generate(kid=sim.key.kid)
        header, _, signature = sim.key.token(request).split(".")
        other = p.make(
            main.player_id, stake * 2, currency=currency, tx=request["transaction"]["id"]
        )
        tampered_claims = sim.key.token(other).split(".")[1]
        await sim.burst(
            [
                sim.forge("bet/make", main.player_id, request, stranger.token(request)),
                sim.forge(
                    "bet/make", main.player_id, other, f"{header}.{tampered_claims}.{signature}"
                ),
            ]
        )
        await sim.burst([sim.deliver("bet/make", main.player_id, request)])  # now accepted

    with sim.step("an expired token is 2005 and stores nothing"):
        request = p.make(main.player_id, stake, currency=currency, tx=sim.tx("expired"))
        now = int(time.time())
        expired = sim.key.token(request, iat=now - 3600, exp=now - 600)
        await sim.burst([sim.forge("bet/make", main.player_id, request, expired)])
        await sim.burst([sim.deliver("bet/make", main.player_id, request)])

    with sim.step("a blocked player is 1005"):
        blocked = sim.open_players("blocked", 1, OPENING, blocked=True)[0].player_id
        await sim.burst([make(blocked)])

    with sim.step("an unknown player is 1006, a currency without an account 2002"):
        nobody = f"{sim.run_id}-nobody"
        other_currency = "XTS" if currency != "XTS" else "XXX"
        await sim.burst(
            [
                make(nobody),
                sim.deliver(
                    "bet/make",
                    main.player_id,
                    p.make(main.player_id, stake, currency=other_currency, tx=sim.tx("make")),
                ),
            ]
        )

    with sim.step("a make above a limit is 4001; one in an unknown session, enforced, is 1007"):
        await _limit_and_session(sim, stake)


async def _limit_and_session(sim: Simulation, stake: int) -> None:
    """A stake_per_bet limit at the stake: the stake passes, one cent more is 4001. Then, with
    session_check enforce for a moment (set back as it was), a make in a session nobody opened
    is 1007, one in an open session passes, and the 1007 replays once the check is off."""
    dba = sim.need_admin("limits and sessions")
    player = sim.open_players("limited", 1, OPENING)[0].player_id
    currency = sim.currency
    dba.set_limit(player, currency, "stake_per_bet", stake)
    sim.referee.set_limit(player, currency, "stake_per_bet", stake)
    edges = [p.make(player, a, currency=currency, tx=sim.tx("make")) for a in (stake, stake + 1)]
    await sim.burst([sim.deliver("bet/make", player, request) for request in edges])
    session = f"{sim.run_id}-session"
    dba.open_session(player, session, 3600)
    sim.referee.open_session(player, session, time.time() + 3600)
    unknown = p.make(player, stake, currency=currency, tx=sim.tx("make"))
    unknown["session_id"] = f"{sim.run_id}-no-such-session"
    opened = p.make(player, stake, currency=currency, tx=sim.tx("make"))
    opened["session_id"] = session
    before = dba.session_check()
    try:
        dba.session_check("enforce")
        sim.referee.enforce_sessions(True)
        await sim.burst([sim.deliver("bet/make", player, unknown)])
        await sim.burst([sim.deliver("bet/make", player, opened)])
    finally:
        dba.session_check(before)
        sim.referee.enforce_sessions(before == "enforce")
    await sim.burst([sim.deliver("bet/make", player, unknown)])  # the stored 1007


async def _duplicates(sim: Simulation, main: Player, stake: int) -> None:
    player, currency = main.player_id, sim.currency
    make_tx, win_tx = sim.tx("dup-make"), sim.tx("dup-win")
    make = sim.deliver("bet/make", player, p.make(player, stake, currency=currency, tx=make_tx))
    bet_id = _bet_id(await sim.burst([make] * 10))
    reused = p.make(player, stake * 2, currency=currency, tx=make_tx)
    await sim.burst([sim.deliver("bet/make", player, reused)])  # same id, other content: 2004
    if bet_id is None:
        return
    win = sim.deliver(
        "bet/win", player, p.win(player, bet_id, 2 * stake, currency=currency, tx=win_tx)
    )
    await sim.burst([sim.deliver("bet/commit", player, p.commit(bet_id))] * 5)
    await sim.burst([win] * 5)
    await sim.burst([sim.deliver("bet/settlement", player, p.settlement(bet_id, "won"))] * 5)
    await sim.burst([make, win])  # late copies: replays


# lifecycle -----------------------------------------------------------------------------------

STORIES: dict[str, tuple[str, ...]] = {
    "won": ("make", "commit", "win", "settlement:won"),
    "lost": ("make", "commit", "lost", "settlement:lost"),
    "refunded": ("make", "commit", "refund", "settlement:refund"),
    "cashed out": ("make", "commit", "cash-out", "settlement:cashed out"),
    "rolled back": ("make", "commit", "win", "rollback", "lost", "settlement:lost"),
    "discarded": ("make", "discard"),
    "won while open": ("make", "win", "settlement:won"),
}


@dataclass
class Bet:
    """One bet's story as the provider tells it: its ids, and the wallet's id once made."""

    player: str
    stake: int
    make_tx: str
    settle_tx: str
    rollback_tx: str
    bet_id: str | None = None


@dataclass
class Move:
    """One step of a bet's story: sent as ``copies`` at once, and again a burst later when
    ``late_copy``."""

    bet: Bet
    kind: str
    copies: int = 1
    late_copy: bool = False


@dataclass
class Lane:
    player: str
    moves: list[Move] = field(default_factory=list)


def plan_lifecycle(
    sim: Simulation,
    players: list[Player],
    bets: int,
    parallel: int,
    duplicate_rate: float,
    rng: random.Random,
) -> list[Lane]:
    """Every player's bets, one story each, spread over ``parallel`` lanes per player (bets in
    play at once), with swaps and copies at ``duplicate_rate``."""
    lanes: list[Lane] = []
    for player in players:
        player_lanes = [Lane(player.player_id) for _ in range(parallel)]
        stake = max(1, min(STAKE, player.balance // (10 * parallel)))
        for n in range(bets):
            lane = player_lanes[n % parallel]
            story = list(STORIES[rng.choice(sorted(STORIES))])
            bet = Bet(player.player_id, stake, sim.tx("make"), sim.tx("settle"), sim.tx("rb"))
            if rng.random() < duplicate_rate:  # one out-of-order delivery
                swappable = [
                    i
                    for i in range(len(story) - 1)
                    if story[i] != "make" or story[i + 1] == "discard"
                ]
                i = rng.choice(swappable)
                story[i], story[i + 1] = story[i + 1], story[i]
            for kind in story:
                copies = rng.choice((2, 3)) if rng.random() < duplicate_rate else 1
                lane.moves.append(Move(bet, kind, copies, rng.random() < duplicate_rate))
        lanes.extend(lane for lane in player_lanes if lane.moves)
    return lanes


def build(sim: Simulation, move: Move) -> Delivery | None:
    """The signed request for a move, or None when it names a bet the wallet never made."""
    bet, currency = move.bet, sim.currency
    player, kind = bet.player, move.kind
    # What a Betby-like provider also sends, for the books: its time and the cross rate of
    # every transaction, each leg's result and the final odds of a win or lost.
    at = time.time()
    rate = "1" if currency == "EUR" else None
    if kind == "make":
        return sim.deliver(
            "bet/make",
            player,
            p.make(player, bet.stake, currency=currency, tx=bet.make_tx, at=at, cross_rate=rate),
        )
    if kind == "discard":
        return sim.deliver("bet/discard", player, p.discard(player, bet.make_tx))
    if bet.bet_id is None:
        return None
    bet_id = bet.bet_id
    if kind == "commit":
        return sim.deliver("bet/commit", player, p.commit(bet_id))
    if kind in ("win", "cash-out"):
        amount = bet.stake * 2 if kind == "win" else bet.stake * 13 // 10
        request = p.win(
            player,
            bet_id,
            amount,
            currency=currency,
            tx=bet.settle_tx,
            cashout=kind == "cash-out",
            at=at,
            cross_rate=rate,
            legs=[p.leg(1, "won")],
            odds="1.85",
        )
        return sim.deliver("bet/win", player, request)
    if kind == "lost":
        request = p.lost(
            player,
            bet_id,
            currency=currency,
            tx=f"{bet.settle_tx}-lost",
            at=at,
            cross_rate=rate,
            legs=[p.leg(1, "lost")],
            odds="1.85",
        )
        return sim.deliver("bet/lost", player, request)
    if kind == "refund":
        request = p.refund(
            player, bet_id, bet.stake, currency=currency, tx=bet.settle_tx, at=at, cross_rate=rate
        )
        return sim.deliver("bet/refund", player, request)
    if kind == "rollback":
        request = p.rollback(
            player, bet_id, bet.settle_tx, tx=bet.rollback_tx, at=at, cross_rate=rate
        )
        return sim.deliver("bet/rollback", player, request)
    status = kind.removeprefix("settlement:")
    return sim.deliver("bet/settlement", player, p.settlement(bet_id, status))


async def lifecycle(
    sim: Simulation, *, players: int, bets: int, parallel: int, duplicate_rate: float, seed: int
) -> None:
    """Many players, each playing ``bets`` bets through their whole life, ``parallel`` of them
    at a time: each burst carries one move of every bet in play, with copies in flight, late
    copies and out-of-order moves mixed in."""
    name = f"{players} players x {bets} bets, {parallel} at a time, duplicate rate"
    with sim.step(f"{name} {duplicate_rate:g}"):
        lanes = plan_lifecycle(
            sim,
            await sim.players("life", players, OPENING),
            bets,
            parallel,
            duplicate_rate,
            random.Random(seed),
        )
        sim.plan(sum(m.copies + m.late_copy for lane in lanes for m in lane.moves))
        late: list[Delivery] = []
        for position in range(max(len(lane.moves) for lane in lanes)):
            burst: list[Delivery] = list(late)
            late = []
            moves: list[tuple[Move, int]] = []
            for lane in lanes:
                if position >= len(lane.moves):
                    continue
                move = lane.moves[position]
                delivery = build(sim, move)
                if delivery is None:  # its make was refused: the provider has no bet to name
                    sim.plan(-(move.copies + move.late_copy))
                    continue
                moves.append((move, len(burst)))
                burst.extend([delivery] * move.copies)
                if move.late_copy:
                    late.append(delivery)
            answers = await sim.burst(burst)
            for move, index in moves:
                if move.kind == "make":
                    move.bet.bet_id = _bet_id(answers[index : index + move.copies])
        if late:
            await sim.burst(late)


# soak ----------------------------------------------------------------------------------------


async def soak(sim: Simulation, *, players: int, rate: float, duration: float) -> None:
    """``rate`` requests per second for ``duration`` seconds, signed before the first one is
    sent: per player, in a loop, a make, another make, the discard of the first, a balance.
    (Requests that name a bet need the wallet's id from an answer, so they are lifecycle's.)"""
    total = max(1, round(rate * duration))
    per_player = -(-total // players)
    cycles = -(-per_player // 4)
    with sim.step(f"{rate:g} requests/s for {duration:g} s over {players} players"):
        chosen = await sim.players("soak", players, STAKE * (cycles + 2))
        sim.progress.update(sim.task, description=f"signing {per_player * len(chosen)} requests")
        lanes: list[list[Delivery]] = [[] for _ in chosen]
        for lane, player in zip(lanes, chosen, strict=True):
            name, stake = player.player_id, max(1, player.balance // (cycles + 2))
            previous: str | None = None
            while len(lane) < per_player:
                tx = sim.tx("soak")
                lane.append(
                    sim.deliver("bet/make", name, p.make(name, stake, currency=sim.currency, tx=tx))
                )
                if previous is not None:
                    lane.append(sim.deliver("bet/discard", name, p.discard(name, previous)))
                    lane.append(sim.deliver("balance", name, p.balance(name, sim.currency)))
                previous = tx
            del lane[per_player:]
        sim.plan(sum(len(lane) for lane in lanes))
        sim.progress.update(sim.task, description=f"{rate:g} requests/s")
        late_before = sim.sender.tally.late_starts
        await sim.paced(lanes, rate)
        late = sim.sender.tally.late_starts - late_before
        if late > total // 10:
            sim.notes.append(
                f"{late} of {total} requests started late: each player's requests go one after "
                f"the other, so {len(lanes)} players cannot reach {rate:g}/s at this latency; "
                "give more --player-count"
            )


# responsible-gambling -----------------------------------------------------------------------


async def responsible_gambling(sim: Simulation) -> None:
    """Limits and exclusions set through SQL, and makes fired at their edges, at once: the
    referee's model computes every window and says which makes must pass."""
    dba = sim.need_admin("responsible gambling")
    currency = sim.currency
    sim.plan(20 + 1 + 2 + 5 + 6 + 4)

    def limited(label: str, kind: str, amount: int) -> str:
        player = sim.open_players(label, 1, OPENING)[0].player_id
        dba.set_limit(player, currency, kind, amount)
        sim.referee.set_limit(player, currency, kind, amount)
        return player

    def make(player: str, amount: int = STAKE, tx: str | None = None) -> Delivery:
        request = p.make(player, amount, currency=currency, tx=tx or sim.tx("make"))
        return sim.deliver("bet/make", player, request)

    with sim.step("20 makes at once against a stake_24h limit that allows 7"):
        player = limited("stake-24h", "stake_24h", 7 * STAKE)
        first = make(player)
        await sim.burst([first] + [make(player) for _ in range(19)])
        await sim.burst([first])  # whatever it got, again byte for byte

    with sim.step("stake_per_bet: the limit passes, one cent more is 4001"):
        player = limited("per-bet", "stake_per_bet", STAKE)
        await sim.burst([make(player, STAKE), make(player, STAKE + 1)])

    with sim.step("bets_24h of 3: five makes at once, three pass"):
        player = limited("bets", "bets_24h", 3)
        await sim.burst([make(player, 10) for _ in range(5)])

    with sim.step("loss_24h: a win makes room for exactly what it paid"):
        player = limited("loss", "loss_24h", 2 * STAKE)
        answers = await sim.burst([make(player), make(player)])
        await sim.burst([make(player, 1)])  # losses 2 * STAKE + 1: 4001
        bet_id = _bet_id(answers)
        if bet_id is not None:
            win = p.win(player, bet_id, STAKE // 2, currency=currency, tx=sim.tx("win"))
            await sim.burst([sim.deliver("bet/win", player, win)])
            await sim.burst([make(player, STAKE // 2 + 1), make(player, STAKE // 2)])

    with sim.step("a time-out: makes are 4001, a settlement still credits"):
        player = sim.open_players("time-out", 1, OPENING)[0].player_id
        bet_id = _bet_id(await sim.burst([make(player)]))
        dba.exclude(player, 3600)
        sim.referee.exclude(player, time.time() + 3600)
        await sim.burst([make(player), make(player, 1)])
        if bet_id is not None:
            win = p.win(player, bet_id, 2 * STAKE, currency=currency, tx=sim.tx("win"))
            await sim.burst([sim.deliver("bet/win", player, win)])


# bonus-bets ------------------------------------------------------------------------------------

BONUS_STORIES: dict[str, tuple[str, ...]] = {
    "won": ("make", "win"),
    "refunded, rolled back, lost": ("make", "refund", "rollback", "lost"),
    "won, rolled back, won": ("make", "win", "rollback", "win-again"),
    "discarded": ("make", "discard"),
}


async def bonus_bets(sim: Simulation) -> None:
    """Bonus grants given through SQL and bonus makes fired at them: twenty at once against one
    grant, every default policy through its stories, each kind of 3001, and a 4002 that stays
    stored. The referee's model says what each answer must be and what each grant has left."""
    dba = sim.need_admin("bonus grants")
    currency = sim.currency
    sim.plan(20 + 1 + 5 * 4 * 4 + 6 + 3)

    def bonus_make(player: str, amount: int, bonus_id: str, bonus_type: str | None = None) -> Any:
        return p.make(
            player,
            amount,
            currency=currency,
            tx=sim.tx("bonus"),
            bonus_id=bonus_id,
            bonus_type=bonus_type,
        )

    def give(player: str, bonus_type: str, amount: int, seconds: float | None = None) -> str:
        bonus_id = sim.tx(f"bonus-{bonus_type}")
        dba.grant_bonus(player, currency, bonus_id, bonus_type, amount, seconds)
        expires_at = None if seconds is None else time.time() + seconds
        sim.referee.grant_bonus(player, currency, bonus_id, bonus_type, amount, expires_at)
        return bonus_id

    with sim.step("20 bonus makes at once against a grant that allows 6"):
        player = sim.open_players("bonus-race", 1, OPENING)[0].player_id
        bonus_id = give(player, "freebet_freemoney", 6 * STAKE)
        first = sim.deliver("bet/make", player, bonus_make(player, STAKE, bonus_id))
        rest = [
            sim.deliver("bet/make", player, bonus_make(player, STAKE, bonus_id)) for _ in range(19)
        ]
        await sim.burst([first, *rest])
        await sim.burst([first])  # whatever it got, again byte for byte

    with sim.step("every default policy through make, win, refund, rollback, discard"):
        for bonus_type in (
            "freebet_refund",
            "freebet_freemoney",
            "freebet_no_risk",
            "comboboost",
            "global_comboboost",
        ):
            player = sim.open_players(f"bonus-{bonus_type}", 1, OPENING)[0].player_id
            if bonus_type == "global_comboboost":  # offered to everyone: no grant
                bonus_id = sim.tx("global")
            else:
                bonus_id = give(player, bonus_type, 4 * STAKE)
            for story in BONUS_STORIES.values():
                await _bonus_story(
                    sim, player, bonus_make(player, STAKE, bonus_id, bonus_type), story
                )

    with sim.step("3001: unknown, another player's, revoked, expired, of another type; 4002"):
        player, other = (p.player_id for p in sim.open_players("bonus-refused", 2, OPENING))
        theirs = give(other, "freebet_refund", STAKE)
        revoked = give(player, "freebet_refund", STAKE)
        dba.revoke_bonus(revoked)
        sim.referee.revoke_bonus(player, revoked)
        short_lived = give(player, "freebet_refund", STAKE, seconds=1)
        typed = give(player, "freebet_refund", STAKE)
        short = give(player, "freebet_freemoney", STAKE)
        await asyncio.sleep(1.5)  # the short-lived grant ends
        over = sim.deliver("bet/make", player, bonus_make(player, STAKE + 1, short))
        await sim.burst(
            [
                sim.deliver("bet/make", player, bonus_make(player, STAKE, sim.tx("unknown"))),
                sim.deliver("bet/make", player, bonus_make(player, STAKE, theirs)),
                sim.deliver("bet/make", player, bonus_make(player, STAKE, revoked)),
                sim.deliver("bet/make", player, bonus_make(player, STAKE, short_lived)),
                sim.deliver("bet/make", player, bonus_make(player, STAKE, typed, "comboboost")),
                over,
            ]
        )
        made = sim.deliver("bet/make", player, bonus_make(player, STAKE, short))
        await sim.burst([made])
        await sim.burst(
            [
                sim.deliver(
                    "bet/discard", player, p.discard(player, made.request["transaction"]["id"])
                )
            ]
        )
        await sim.burst([over])  # the grant has its stake back: the stored 4002 all the same


async def _bonus_story(sim: Simulation, player: str, make: Any, story: tuple[str, ...]) -> None:
    """One bonus bet told move by move, each move its own burst (the next names the last)."""
    currency = sim.currency
    answers = await sim.burst([sim.deliver("bet/make", player, make)])
    bet_id = _bet_id(answers)
    if bet_id is None:
        sim.plan(-(len(story) - 1))
        return
    stake = make["amount"]
    settle_tx = sim.tx("settle")
    for kind in story[1:]:
        if kind in ("win", "win-again"):
            tx = settle_tx if kind == "win" else sim.tx("settle")
            request = p.win(
                player, bet_id, 3 * stake, currency=currency, tx=tx,
                bonus_type=make.get("bonus_type"), comboboost_multiplier="1.2",
            )  # fmt: skip
            delivery = sim.deliver("bet/win", player, request)
        elif kind == "refund":
            request = p.refund(player, bet_id, stake, currency=currency, tx=settle_tx)
            delivery = sim.deliver("bet/refund", player, request)
        elif kind == "rollback":
            request = p.rollback(player, bet_id, settle_tx, tx=sim.tx("rb"))
            delivery = sim.deliver("bet/rollback", player, request)
        elif kind == "lost":
            request = p.lost(player, bet_id, currency=currency, tx=sim.tx("lost"))
            delivery = sim.deliver("bet/lost", player, request)
        else:
            delivery = sim.deliver(
                "bet/discard", player, p.discard(player, make["transaction"]["id"])
            )
        await sim.burst([delivery, delivery])  # a copy in flight: one applies, one replays
