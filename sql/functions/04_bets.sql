-- Bets: how every operation on a made bet opens (claim the key, find and lock the bet, the checks
-- they share), moving a bet between states, and the reference data (sports, categories,
-- tournaments) a bet slip names.

create or replace function wallet_core.claim_bet(
    op wallet_core.operation,
    bet_ref text,
    player_id text default null,
    currency text default null,
    out operation_id bigint,
    out answer wallet_core.reply,
    out bet wallet_core.bets,
    out account wallet_core.accounts
)
language plpgsql
as $$
declare
    claimed record;
    bet_account_id bigint;
    refusal text;
begin
    -- Claim the operation key: a replay answers what was stored, a conflict is 2004.
    claimed := wallet_core.claim(op);
    operation_id := claimed.operation_id;
    if claimed.status is not null then
        answer := row(claimed.status, claimed.body);
        return;
    end if;

    -- Find the bet (bet_transaction_id is the wallet's own bet id; anything else names no bet) and
    -- lock its account: the account row is the lock that guards the bet too, so the bet is read
    -- again under it. No such bet: both stay null.
    if bet_ref ~ '^[0-9]{1,18}$' then
        select b.account_id into bet_account_id
        from wallet_core.bets as b
        where b.bet_id = bet_ref::bigint and b.made;
        if found then
            select a.* into strict account from wallet_core.accounts as a where a.account_id = bet_account_id
            for no key update;
            select b.* into strict bet from wallet_core.bets as b where b.bet_id = bet_ref::bigint;
        end if;
    end if;

    -- Check in the contract's order.
    refusal := case
        when claim_bet.player_id is not null and wallet_core.player_refusal(claim_bet.player_id, null) is not null
            then 'WA006'
        when bet.bet_id is null then 'WA203'
        when account.player_id <> claim_bet.player_id then 'WA206'
        when account.currency <> claim_bet.currency then 'WA202'
    end;
    if refusal is not null then
        answer := wallet_core.refuse(op, operation_id, refusal, case refusal
            when 'WA006' then format('player %s not found', claim_bet.player_id)
            when 'WA203' then format('bet %s not found', bet_ref)
            when 'WA206' then format('bet %s belongs to another player', bet_ref)
            else format('bet %s is in %s, not %s', bet_ref, account.currency, claim_bet.currency)
        end);
    end if;
end
$$;
comment on function wallet_core.claim_bet(wallet_core.operation, text, text, text) is
'How every operation on a made bet opens (commit, win, lost, refund, rollback, settlement): claims the '
'operation key, locks the bet''s account, and checks in the contract''s order: 1006 unknown player, '
'2003 unknown bet, 2004 another player''s bet, 2002 another currency (a null player or currency is not '
'checked). Returns the operation id, the locked bet and account, and an answer when the operation '
'ends here: the stored answer of a replay, a conflict (2004), or the refusal (stored when the contract '
'says so). A null answer: the caller goes on with the bet''s own checks. No SET clause: it runs only inside '
'the route functions, which pin search_path to '''' (wallet_core.route, 15_route_shape.sql).';

create or replace function wallet_core.advance_bet(
    op wallet_core.operation,
    operation text,
    bet_ref text,
    from_state text,
    to_state text,
    closing_status text default null
)
returns wallet_core.reply
language plpgsql
set search_path = ''
as $$
declare
    opened constant record := wallet_core.claim_bet(op, bet_ref);
    bet constant wallet_core.bets := opened.bet;
    account constant wallet_core.accounts := opened.account;
begin
    if opened.answer is not null then
        return opened.answer;
    end if;
    if bet.state <> from_state then
        return wallet_core.refuse(
            op, opened.operation_id, 'WA206',
            format('bet %s is %s: only a bet that is %s allows %s', bet_ref, bet.state, from_state, op.route)
        );
    end if;

    update wallet_core.bets as b
    set state = to_state, closing_status = coalesce(advance_bet.closing_status, b.closing_status), updated_at = now()
    where b.bet_id = bet.bet_id;
    perform wallet_core.emit_event(
        type => case to_state when 'closed' then 'bet.settled' else 'bet.committed' end,
        player_id => account.player_id,
        currency => account.currency,
        amount => 0,
        balance => account.balance,
        operation_id => opened.operation_id,
        bet_id => bet.bet_id,
        transaction_id => bet.make_transaction_id,
        detail => case to_state
            when 'closed' then jsonb_build_object('result', bet.result, 'status', advance_bet.closing_status)
            else '{}'::jsonb
        end
    );

    return wallet_core.answer(
        op, opened.operation_id,
        wallet_core.operation_answer(
            operation_id => opened.operation_id,
            ext_transaction_id => bet.make_transaction_id,
            parent_transaction_id => bet.bet_id,
            user_id => account.player_id,
            operation => advance_bet.operation,
            amount => 0,
            currency => account.currency,
            balance => account.balance
        )
    );
end
$$;
comment on function wallet_core.advance_bet(wallet_core.operation, text, text, text, text, text) is
'Moves a bet from one state to the next without moving money (commit: open -> accepted; '
'settlement: settled -> closed), exactly once per operation key. Behind wallet_core.commit_bet and '
'wallet_core.close_bet.';

-- No SET clause: it runs only inside functions that pin search_path to '' (see wallet_core.claim in
-- 02_idempotency.sql).
create or replace function wallet_core.record_references(selections wallet_core.selection_request[])
returns void
language plpgsql
as $$
begin
    -- The caller calls it only when the slip names a reference that is not known under its name:
    -- wallet_core.make_bet reads that in its bet insert (the usual make, all known, writes nothing
    -- here and makes no call). Every write below is also right when all are known: none.
    -- New rows go in in key order (sports, then categories, then tournaments, each sorted), so
    -- two bet slips naming the same new keys in opposite orders wait for each other instead of
    -- deadlocking, and nobody gets a duplicate-key error. Existing rows are not touched.
    insert into wallet_core.sports (sport_id, name)
    select distinct on (s.sport_id) s.sport_id, s.sport_name from pg_catalog.unnest(selections) as s order by s.sport_id
    on conflict (sport_id) do nothing;
    insert into wallet_core.categories (category_id, sport_id, name)
    select distinct on (s.category_id) s.category_id, s.sport_id, s.category_name
    from pg_catalog.unnest(selections) as s
    order by s.category_id
    on conflict (category_id) do nothing;
    insert into wallet_core.tournaments (tournament_id, category_id, name)
    select distinct on (s.tournament_id) s.tournament_id, s.category_id, s.tournament_name
    from pg_catalog.unnest(selections) as s
    order by s.tournament_id
    on conflict (tournament_id) do nothing;

    -- A renamed row is rewritten, locked first in key order; an unchanged one is not locked.
    perform from wallet_core.sports as r join pg_catalog.unnest(selections) as s on r.sport_id = s.sport_id
    where r.name <> s.sport_name order by r.sport_id for no key update of r;
    update wallet_core.sports as r set name = s.sport_name from pg_catalog.unnest(selections) as s
    where r.sport_id = s.sport_id and r.name <> s.sport_name;
    perform from wallet_core.categories as r join pg_catalog.unnest(selections) as s on r.category_id = s.category_id
    where r.name <> s.category_name order by r.category_id for no key update of r;
    update wallet_core.categories as r set name = s.category_name from pg_catalog.unnest(selections) as s
    where r.category_id = s.category_id and r.name <> s.category_name;
    perform from wallet_core.tournaments as r
    join pg_catalog.unnest(selections) as s on r.tournament_id = s.tournament_id
    where r.name <> s.tournament_name order by r.tournament_id for no key update of r;
    update wallet_core.tournaments as r set name = s.tournament_name from pg_catalog.unnest(selections) as s
    where r.tournament_id = s.tournament_id and r.name <> s.tournament_name;
end
$$;
comment on function wallet_core.record_references(wallet_core.selection_request[]) is
'Makes the sports, categories and tournaments a bet slip names exist under the names it gives: inserts '
'the new ones and renames changed ones, deadlock-free by fixed key order. Writes nothing when they all '
'exist under those names; wallet_core.make_bet calls it only when they do not.';

-- The slip's legs packed in one text value (bets.legs_packed, migration 0630), 216 bytes for the
-- benchmark's three legs against 312 as wallet_core.leg[] (the array's header, and each leg's
-- own tuple header and padding): the 11 fields of every leg in wallet_core.leg's order, all
-- separated by U+001F. scheduled_at is its microseconds since 2000-01-01 as PostgreSQL keeps
-- them, in base64 ('' when null: exact, no numeric arithmetic); live 't', 'f' or ''; the ids and
-- odds as they are; market_name and outcome_name '=' and the name, '' when null; the competitor
-- names the text of their jsonb ('' when null; jsonb escapes every control character). Only the ids and names may
-- hold U+001F, and a null id or odds is written as U+001F: the slip packed its n legs exactly
-- when it holds 11 n - 1 of them (wallet_core.packs); then wallet_core.packed_legs gives back
-- the very legs. Else the slip is kept in bets.legs as before.
--
-- pack_leg has no SET clause and is one SELECT without FROM, stable like what it calls: the
-- planner inlines it into the make's insert, where every function in it costs its set-up in every
-- transaction. Counting the separators costs less than a regular expression (measured).
create or replace function wallet_core.pack_leg(
    scheduled_at timestamptz,
    live boolean,
    selection_id text,
    event_id text,
    sport_id text,
    category_id text,
    tournament_id text,
    market_name text,
    outcome_name text,
    odds numeric,
    competitor_names jsonb
)
returns text
language sql
stable -- concat_ws is stable
as $$
    select pg_catalog.concat_ws(
        E'\x1f',
        -- its microseconds since 2000-01-01 as PostgreSQL stores them (the binary send form, 8
        -- bytes) in base64: 12 characters, exact, no numeric arithmetic either way
        coalesce(pg_catalog.encode(pg_catalog.timestamptz_send(scheduled_at), 'base64'), ''),
        case live when true then 't' when false then 'f' else '' end,
        coalesce(selection_id, E'\x1f'), coalesce(event_id, E'\x1f'), coalesce(sport_id, E'\x1f'),
        coalesce(category_id, E'\x1f'), coalesce(tournament_id, E'\x1f'),
        coalesce('=' || market_name, ''), coalesce('=' || outcome_name, ''),
        coalesce(odds::text, E'\x1f'), coalesce(competitor_names::text, '')
    )
$$;
comment on function wallet_core.pack_leg(
    timestamptz, boolean, text, text, text, text, text, text, text, numeric, jsonb
) is
'One leg of a slip packed for bets.legs_packed (migration 0630): its 11 fields separated by U+001F. '
'Join the legs with U+001F, and keep the result only if wallet_core.packs says so.';

-- The packed text's fields are counted here alone (wallet_core.packs, wallet_core.bet_made_detail).
create or replace function wallet_core.packed_fields(packed text)
returns integer
language sql
immutable
as $$
    select pg_catalog.length(packed) - pg_catalog.length(pg_catalog.replace(packed, E'\x1f', '')) + 1
$$;
comment on function wallet_core.packed_fields(text) is
'How many fields a text packed by wallet_core.pack_leg holds (its U+001F separators, plus one): 11 a '
'leg. Null for null. Inlined by the planner.';

create or replace function wallet_core.packs(packed text, legs integer)
returns boolean
language sql
immutable
as $$
    select wallet_core.packed_fields(packed) = 11 * legs
$$;
comment on function wallet_core.packs(text, integer) is
'Whether legs packed by wallet_core.pack_leg (joined with U+001F) are exactly these legs: 11 fields '
'each, none holding U+001F, so that wallet_core.unpack_legs gives them back the same.';

-- No SET clause and one SELECT: the planner inlines it into the FROM of its readers
-- (wallet.player_bets reads a page of bets with it).
create or replace function wallet_core.packed_legs(packed text)
returns table (
    n integer,
    scheduled_at timestamptz,
    live boolean,
    selection_id text,
    event_id text,
    sport_id text,
    category_id text,
    tournament_id text,
    market_name text,
    outcome_name text,
    odds numeric,
    competitor_names jsonb
)
language sql
stable
as $$
    select
        k.at / 11 + 1,
        -- whole seconds and microseconds apart: each product exact in float8 (|seconds| < 5.7 10^11)
        pg_catalog.timestamptz '2000-01-01 00:00:00+00' + (x.us / 1000000) * pg_catalog.interval '1 second'
        + (x.us % 1000000) * pg_catalog.interval '1 microsecond',
        nullif(x.f[k.at + 2], '')::boolean, x.f[k.at + 3], x.f[k.at + 4], x.f[k.at + 5], x.f[k.at + 6],
        x.f[k.at + 7], pg_catalog.substr(nullif(x.f[k.at + 8], ''), 2),
        pg_catalog.substr(nullif(x.f[k.at + 9], ''), 2), x.f[k.at + 10]::numeric,
        nullif(x.f[k.at + 11], '')::jsonb
    -- OFFSET 0: split once per slip (pulled up, every x.f below would split it again)
    from (select pg_catalog.string_to_array(packed, E'\x1f') as f offset 0) as x0
    cross join lateral pg_catalog.generate_series(0, pg_catalog.cardinality(x0.f) - 1, 11) as k (at)
    cross join lateral (
        select
            x0.f,
            ('x' || pg_catalog.encode(pg_catalog.decode(nullif(x0.f[k.at + 1], ''), 'base64'), 'hex'))::bit(64)::bigint
                as us
        offset 0
    ) as x
$$;
comment on function wallet_core.packed_legs(text) is
'The legs of bets.legs_packed (wallet_core.pack_leg), one row each in the order sent (n from 1), with '
'the fields of wallet_core.leg: the same values, the same text.';

create or replace function wallet_core.unpack_legs(packed text)
returns wallet_core.leg[]
language sql
stable
set search_path = ''
as $$
    select pg_catalog.array_agg(
        row(
            l.scheduled_at, l.live, l.selection_id, l.event_id, l.sport_id, l.category_id, l.tournament_id,
            l.market_name, l.outcome_name, l.odds, l.competitor_names
        )::wallet_core.leg
        order by l.n
    )
    from wallet_core.packed_legs(packed) as l
$$;
comment on function wallet_core.unpack_legs(text) is
'The legs of bets.legs_packed as the wallet_core.leg[] they were packed from (wallet_core.pack_leg): '
'the same values, the same text.';

create or replace function wallet_core.pack_legs(legs wallet_core.leg[])
returns text
language sql
stable
set search_path = ''
as $$
    -- Times are packed exactly up to 5.7 10^11 seconds either side of 2000, and finite only; the
    -- make's reader takes times up to 10^11 seconds, so only older rows could hold others.
    select case
        when wallet_core.packs(y.packed, pg_catalog.cardinality(legs)) and y.in_range then y.packed
    end
    from (
        select
            pg_catalog.string_agg(
                wallet_core.pack_leg(
                    case when pg_catalog.isfinite(l.scheduled_at) then l.scheduled_at end, l.live, l.selection_id,
                    l.event_id, l.sport_id, l.category_id, l.tournament_id, l.market_name, l.outcome_name, l.odds,
                    l.competitor_names
                ),
                E'\x1f' order by l.n
            ) as packed,
            pg_catalog.bool_and(
                pg_catalog.isfinite(l.scheduled_at) and abs(extract(epoch from l.scheduled_at)) < 5e11
            ) is not false as in_range
        from pg_catalog.unnest(legs) with ordinality as l (
            scheduled_at, live, selection_id, event_id, sport_id, category_id, tournament_id, market_name,
            outcome_name, odds, competitor_names, n
        )
    ) as y
$$;
comment on function wallet_core.pack_legs(wallet_core.leg[]) is
'A wallet_core.leg[] packed for bets.legs_packed (wallet.pack_bet_rows); null when it cannot be '
'packed. The caller checks that wallet_core.unpack_legs gives back the same text.';

create or replace function wallet_core.bet_legs(legs_packed text, legs wallet_core.leg[])
returns wallet_core.leg[]
language sql
stable
as $$
    select coalesce(wallet_core.unpack_legs(legs_packed), legs)
$$;
comment on function wallet_core.bet_legs(text, wallet_core.leg[]) is
'The legs of a bet row, packed or not: wallet_core.bet_legs(b.legs_packed, b.legs).';
