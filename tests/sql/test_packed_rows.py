"""Migration 0630: a bet's legs packed in one text value (``bets.legs_packed``), and a real-money
bet.made event's detail built from its bet row (``events.detail`` null).

What must not change: every leg as sent (``wallet.player_bets``, and the ``wallet_core.leg[]`` the
code before 0630 wrote, value for value and text for text), the event as consumers get it (the
message body, byte for byte), and the rows written before 0630, which ``wallet.pack_bet_rows()``
packs only where the readers give back the same. The expected legs are built here the way the
code before 0630 built them: from the typed request (``wallet_core.read_make_slowly``).
"""

from __future__ import annotations

import json
from typing import Any

import psycopg
import pytest

from tests.support import provider as p

PLAYER = "packer"

# The legs exactly as the code before 0630 wrote them into bets.legs.
LEGS_BEFORE = """
select array_agg(
    row(
        s.scheduled_at, s.live, s.selection_id, s.event_id, s.sport_id, s.category_id,
        s.tournament_id, s.market_name, s.outcome_name, s.odds, to_jsonb(s.competitor_names)
    )::wallet_core.leg
    order by s.position
)
from unnest((wallet_core.read_make_slowly(%s::jsonb)).selections) as s
"""

# The detail the code before 0630 wrote into a real-money bet.made event.
DETAIL_BEFORE = """
select jsonb_build_object(
    'betslip_id', r.betslip_id, 'stake', r.amount, 'odds', r.odds::text,
    'selections', cardinality(r.selections)
)
from wallet_core.read_make_slowly(%s::jsonb) as r
"""


def leg(n: int, **fields: Any) -> dict[str, Any]:
    """Selection n, with fields replaced (None: the field is left out)."""
    one = p.selection(n) | fields
    return {k: v for k, v in one.items() if v is not None}


# Slips that pack: nulls and absent fields, empty strings and lists, fractional and negative
# times, odds with trailing zeros and many digits, names beyond ASCII, a null-looking name.
PACKED = {
    "plain": [leg(1), leg(2), leg(3)],
    "absent": [
        leg(1, market_name=None, outcome_name=None, live=None, scheduled=None, competitor_name=None)
    ],
    "nulls": [{**leg(1), "market_name": None, "competitor_name": None, "live": None}],
    "edges": [
        leg(1, competitor_name=[], scheduled=1767225600.123456, odds="1.500", market_name=""),
        leg(2, competitor_name=["", "x"], scheduled=0.5, odds="1.1000000001"),
        leg(3, competitor_name=["Köln ⚽", "NULL", "\\N", "a,b"], outcome_name="\u00e9\t\n"),
    ],
    "one name": [leg(1, competitor_name=["Solo"], live=True, odds=2)],
    "one empty name": [leg(1, competitor_name=[""])],
    "separators in names": [leg(1, competitor_name=["x\u001fy\u001e", "\u001c"])],
    "control characters": [
        leg(1, id="\u001c", market_name="=", outcome_name="\u001d", event_id="a\u001eb")
    ],
}
# Slips that do not pack, kept in bets.legs as before: the separator in an id or a name.
UNPACKED = {
    "separator": [leg(1), leg(2, market_name="a\u001fb")],
    "separators": [leg(1, id="\u001f" * 11), leg(2, event_id="\u001f")],
}


def make(tx: str, legs: list[dict[str, Any]]) -> dict[str, Any]:
    return p.make(PLAYER, 100, tx=tx, selections=legs)


def legs_before(db: psycopg.Connection, request: dict[str, Any]) -> str:
    row = db.execute(LEGS_BEFORE + "", [json.dumps(request)]).fetchone()
    assert row is not None
    return str(db.execute("select %s::wallet_core.leg[]::text", [row[0]]).fetchone()[0])


def stored(db: psycopg.Connection, tx: str) -> tuple[bool, bool, str]:
    """(packed?, in legs?, the legs as the readers give them back, as text)."""
    row = db.execute(
        "select legs_packed is not null, legs is not null,"
        " wallet_core.bet_legs(legs_packed, legs)::text"
        " from wallet_core.bets where make_transaction_id = %s",
        [tx],
    ).fetchone()
    assert row is not None
    return bool(row[0]), bool(row[1]), str(row[2])


def bodies(db: psycopg.Connection) -> list[tuple[int, str, Any, str]]:
    """Every event: id, type, its own detail column, and the body the relay publishes."""
    return [
        (int(e), str(t), d, str(b))
        for e, t, d, b in db.execute(
            "select e.event_id, e.type, e.detail, b.body"
            " from wallet_core.events as e"
            " cross join wallet.unpublished_events(1000000) as b"
            " where b.event_id = e.event_id order by e.event_id"
        ).fetchall()
    ]


def published(db: psycopg.Connection) -> list[tuple[int, str, str]]:
    """Every event as the relay publishes it: id, type, body."""
    return [(e, t, b) for e, t, _, b in bodies(db)]


def expected_body(db: psycopg.Connection, event_id: int, request: dict[str, Any]) -> str:
    """The body with the detail the code before 0630 wrote, as text."""
    row = db.execute(
        "select jsonb_set(wallet_core.event_body(e), '{detail}', (" + DETAIL_BEFORE + "))::text"
        " from wallet_core.events as e where e.event_id = %s",
        [json.dumps(request), event_id],
    ).fetchone()
    assert row is not None
    return str(row[0])


def history(db: psycopg.Connection) -> list[tuple[Any, ...]]:
    return db.execute(
        "select bet_id, legs::text, operations::text from wallet.player_bets(%s) order by bet_id",
        [PLAYER],
    ).fetchall()


@pytest.fixture
def made(db: psycopg.Connection) -> dict[str, dict[str, Any]]:
    db.execute("select wallet.create_player(%s, 'EUR', 100000)", [PLAYER])
    requests = {}
    for name, legs in (PACKED | UNPACKED).items():
        request = make(name, legs)
        answer = p.call(db, "bet/make", request)
        assert answer.status == 200, (name, answer.text)
        requests[name] = request
    return requests


def test_legs_come_back_as_sent_packed_or_not(
    db: psycopg.Connection, made: dict[str, dict[str, Any]]
) -> None:
    for name, request in made.items():
        packed, in_legs, legs = stored(db, name)
        assert (packed, in_legs) == ((True, False) if name in PACKED else (False, True)), name
        assert legs == legs_before(db, request), name
    # what support reads: every field as sent
    shown = {
        row[0]: row[1]
        for row in db.execute(
            "select make_transaction_id, legs from wallet.player_bets(%s)", [PLAYER]
        ).fetchall()
    }
    edges = shown["edges"]
    assert [(x["scheduled_at"], x["odds"], x["competitor_names"]) for x in edges] == [
        ("2026-01-01T00:00:00.123456+00:00", "1.500", []),
        ("1970-01-01T00:00:00.5+00:00", "1.1000000001", ["", "x"]),
        ("2026-01-01T00:00:00+00:00", "1.85", ["Köln ⚽", "NULL", "\\N", "a,b"]),
    ]
    assert edges[2]["outcome_name"] == "\u00e9\t\n"
    assert edges[0]["market_name"] == ""
    absent = shown["absent"][0]
    fields = ("market_name", "outcome_name", "live", "scheduled_at")
    assert [absent[k] for k in fields] == [None] * 4
    assert absent["competitor_names"] is None
    assert shown["separator"][1]["market_name"] == "a\u001fb"
    assert shown["one empty name"][0]["competitor_names"] == [""]


def test_the_published_body_is_what_it_was(
    db: psycopg.Connection, made: dict[str, dict[str, Any]]
) -> None:
    events = [e for e in bodies(db) if e[1] == "bet.made"]
    assert len(events) == len(made)
    for (event_id, _, detail, body), (name, request) in zip(events, made.items(), strict=True):
        # the detail is in the bet row, packed or not
        assert detail is None, name
        assert body == expected_body(db, event_id, request), name
    # wallet.events shows the same detail
    rows = db.execute(
        "select detail, body -> 'detail' from wallet.events where type = 'bet.made'"
    ).fetchall()
    assert all(shown == in_body and shown is not None for shown, in_body in rows)
    audit = "select * from wallet.audit() where \"check\" <> 'negative_balance'"
    assert not db.execute(audit).fetchall()


def test_a_bonus_make_keeps_its_detail(db: psycopg.Connection) -> None:
    db.execute("select wallet.create_player(%s, 'EUR', 100000)", [PLAYER])
    db.execute(
        "select wallet.grant_bonus(%s, 'EUR', 'bonus-1', 'freebet_freemoney', 1000, null)", [PLAYER]
    )
    request = p.make(PLAYER, 100, tx="with-bonus", bonus_id="bonus-1", selections=[leg(1), leg(2)])
    assert p.call(db, "bet/make", request).status == 200
    assert stored(db, "with-bonus")[0]
    detail = db.execute(
        "select detail from wallet_core.events"
        " where type = 'bet.made' and transaction_id = 'with-bonus'"
    ).fetchone()
    assert detail is not None
    assert detail[0]["bonus_id"] == "bonus-1"
    assert detail[0]["selections"] == 2


def test_rows_written_before_0630_are_packed_in_batches(
    db: psycopg.Connection, made: dict[str, dict[str, Any]]
) -> None:
    # Put every bet and event back into the layout the code before 0630 wrote.
    for name, request in made.items():
        db.execute(
            "update wallet_core.bets set legs_packed = null, legs = (" + LEGS_BEFORE + ")"
            " where make_transaction_id = %s",
            [json.dumps(request), name],
        )
        db.execute(
            "update wallet_core.events set detail = (" + DETAIL_BEFORE + ")"
            " where type = 'bet.made' and transaction_id = %s",
            [json.dumps(request), name],
        )
    # An old event whose detail is not what its bet row gives back stays as it is.
    db.execute(
        "update wallet_core.events set detail = detail || '{\"stake\": 100.0}'"
        " where type = 'bet.made' and transaction_id = 'plain'"
    )
    before = (history(db), published(db))
    assert db.execute(
        "select count(*) from wallet_core.bets where legs_packed is not null"
    ).fetchone() == (0,)

    row = db.execute("call wallet.pack_bet_rows(2)").fetchone()
    assert row is not None
    # the packable bets, and every event but 'plain''s
    assert row[0] == len(PACKED) + len(made) - 1
    assert (history(db), published(db)) == before
    for name in made:
        packed, in_legs, _ = stored(db, name)
        assert (packed, in_legs) == ((True, False) if name in PACKED else (False, True)), name
    details = dict(
        db.execute(
            "select transaction_id, detail from wallet_core.events where type = 'bet.made'"
        ).fetchall()
    )
    assert details["plain"] is not None
    assert details["plain"]["stake"] == 100
    assert all((details[name] is None) == (name != "plain") for name in made)
    # it may run again: nothing left to pack
    assert db.execute("call wallet.pack_bet_rows()").fetchone() == (0,)
    assert (history(db), published(db)) == before


def test_the_batch_size_is_checked(db: psycopg.Connection) -> None:
    with pytest.raises(psycopg.errors.InvalidParameterValue):
        db.execute("call wallet.pack_bet_rows(0)")


def test_packing_round_trips_every_time_and_every_list_of_names(db: psycopg.Connection) -> None:
    """Times before 1970 and far ahead (the reader takes 0 to 10^11 seconds; older rows may hold
    anything), and competitor names of any shape: packed and unpacked to the same text; an
    infinite time, or one more than 5 10^11 seconds from 1970, is not packed."""
    leg = (
        "array[row(%s::timestamptz, true, 's', 'e', '1', 'c', 't', 'm', null, 1.50, %s::jsonb)"
        "::wallet_core.leg]"
    )
    times = [
        "1970-01-01 00:00:00+00",
        "1969-12-31 23:59:59.999999+00",
        "0001-01-01 00:00:00.000001+00",
        "4713-11-24 00:00:00 BC",
        "4713-01-01 00:00:00.000001+00 BC",
        "5138-11-16 09:46:40.000001+00",
        "10000-12-31 23:59:58.123456+00",
        "2026-06-30 12:34:56.789012+02",
        None,
    ]
    names = [None, "[]", '[""]', '["a", null]', '[["a"]]', '{"a": 1}', '"a"', '["\\u001f"]']
    for at, names_of in [(at, '["a"]') for at in times] + [("2026-01-01", n) for n in names]:
        row = db.execute(
            f"select wallet_core.pack_legs({leg}), {leg}::text", [at, names_of, at, names_of]
        ).fetchone()
        assert row is not None
        packed, legs = row
        assert packed is not None, (at, names_of)
        back = db.execute("select wallet_core.unpack_legs(%s)::text", [packed]).fetchone()
        assert back == (legs,), (at, names_of)
    for at in ["infinity", "-infinity", "294276-12-31 23:59:59.999999+00"]:
        row = db.execute(f"select wallet_core.pack_legs({leg})", [at, "[]"]).fetchone()
        assert row == (None,), at


def test_a_leg_without_an_id_or_odds_is_not_packed(db: psycopg.Connection) -> None:
    for n in (3, 4, 5, 6, 7, 10):
        fields = ["now()", "true", "'s'", "'e'", "'1'", "'c'", "'t'", "'m'", "'o'", "1.5", "'[]'"]
        fields[n - 1] = "null"
        row = db.execute(
            f"select wallet_core.pack_legs(array[row({', '.join(fields)})::wallet_core.leg])"
        ).fetchone()
        assert row == (None,), n


@pytest.mark.damages_ledger
def test_the_audit_finds_a_missing_detail_only_where_no_bet_row_holds_it(
    db: psycopg.Connection, made: dict[str, dict[str, Any]]
) -> None:
    audit = 'select "check", detail from wallet.audit() where "check" <> \'negative_balance\''
    assert db.execute(audit).fetchall() == []  # every real-money bet.made: its detail null
    created = db.execute(
        "update wallet_core.events set detail = null where type = 'player.created'"
        " returning event_id"
    ).fetchone()
    assert created is not None
    orphan = db.execute(
        "update wallet_core.events set bet_id = -1 where transaction_id = 'plain'"
        " returning event_id"
    ).fetchone()
    assert orphan is not None
    assert sorted(db.execute(audit).fetchall()) == [
        ("event_rules", f"event {created[0]} breaks its rule: detail is an object"),
        ("event_rules", f"event {orphan[0]} breaks its rule: detail is an object"),
    ]
