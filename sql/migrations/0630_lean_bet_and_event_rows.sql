-- Bytes per bet (issue 16: under 1 000 bytes per 3-selection bet, all tables and indexes).
--
-- 1. The slip's legs packed in one text value (bets.legs_packed). A wallet_core.leg[] of three
--    legs took 312 bytes: the array's 24-byte header, and per leg a composite with its own 24-byte
--    tuple header, padded to 8 bytes. wallet_core.pack_leg writes the same fields as text,
--    separated by U+001F (scheduled_at as its microseconds since 2000, odds as their exact text,
--    the competitor names as their jsonb text): 216 bytes for the benchmark's slip.
--    wallet_core.packed_legs / unpack_legs give back the same legs, value for value and text for
--    text (wallet.player_bets shows every leg as sent). A slip that cannot be packed (an id or a
--    name holding U+001F) is kept as before, in bets.legs. Nothing is lost: a bet has exactly
--    one of the two.
--
-- 2. A bet.made event of a real-money stake keeps no detail of its own (events.detail null): its
--    detail (betslip_id, stake, odds, selections) is what its bet row holds, and never changes
--    there (bets.betslip_id, stake and odds are written by the make alone, the legs are written
--    once, packed or not; bets are never deleted). The outbox's readers join it back
--    (wallet_core.bet_made_detail): the body the relay publishes is the same bytes as before, and
--    so is wallet.events. That was 104 of the event row's 225 bytes. A bonus make's event keeps
--    its detail (it names the grant).
--
-- Existing rows: CALL wallet.pack_bet_rows() once after the deploy, outside a transaction block:
-- it packs the legs of older bets and drops the detail of older bet.made events, batch rows at a
-- time with a commit after each, and only where what the readers give back is the same text.

alter table wallet_core.bets
add column legs_packed text;

comment on column wallet_core.bets.legs_packed is
'The slip''s selections (betslip.bets[]) in the order sent, packed (wallet_core.pack_leg, migration 0630); '
'read them with wallet_core.unpack_legs. Null when the slip could not be packed (bets.legs holds it '
'then), for a discard marker, and for a bet made before 0630 that wallet.pack_bet_rows() has not '
'packed yet.';
comment on column wallet_core.bets.legs is
'The slip''s selections (betslip.bets[]) in the order sent, for a slip that could not be packed '
'into bets.legs_packed (migration 0630), and for a bet made between 0610 and 0630 until '
'wallet.pack_bet_rows() packed it; null for a discard marker, and for a bet made before migration '
'0610 until wallet.move_to_bet_rows() moved its wallet_core.selections rows here.';

alter table wallet_core.events
alter column detail drop not null;

comment on column wallet_core.events.detail is
'The event''s own fields (a JSON object). Null only for a bet.made event of a real-money make, whose '
'detail its bet row holds (migration 0630): wallet_core.bet_made_detail builds it from there, for the '
'message body and wallet.events.';

create procedure wallet.pack_bet_rows(batch integer default 5000, inout packed bigint default 0)
language plpgsql
-- No SET clause and no SECURITY DEFINER: either would forbid the COMMIT between batches. Every
-- object is named in full.
as $$
declare
    last_id bigint := 0;
    ids bigint[];
    started timestamptz;
    done bigint;
begin
    if batch is null or batch < 1 then
        raise sqlstate '22023' using message = 'batch must be 1 or more';
    end if;
    packed := 0;
    -- The bets, in bet_id order (the primary key): each batch locks its rows until its commit.
    loop
        started := pg_catalog.clock_timestamp();
        select pg_catalog.array_agg(b.bet_id order by b.bet_id) into ids
        from (
            select x.bet_id from wallet_core.bets as x where x.bet_id > last_id order by x.bet_id limit batch
        ) as b;
        exit when ids is null;
        update wallet_core.bets as b
        set legs_packed = p.packed, legs = null
        from (
            select x.bet_id, wallet_core.pack_legs(x.legs) as packed
            from wallet_core.bets as x
            where x.bet_id = any(ids) and x.legs is not null and x.legs_packed is null
            for no key update
        ) as p
        where b.bet_id = p.bet_id
            and p.packed is not null
            and wallet_core.unpack_legs(p.packed)::text = b.legs::text;
        get diagnostics done = row_count;
        packed := packed + done;
        last_id := ids[pg_catalog.array_length(ids, 1)];
        commit;
        raise notice 'bets up to %: this batch %, % packed so far',
            last_id, pg_catalog.clock_timestamp() - started, packed;
    end loop;
    -- The bet.made events of real-money stakes, in event_id order, whose detail is exactly what
    -- their bet row gives back.
    last_id := 0;
    loop
        started := pg_catalog.clock_timestamp();
        select pg_catalog.array_agg(e.event_id order by e.event_id) into ids
        from (
            select x.event_id from wallet_core.events as x where x.event_id > last_id order by x.event_id limit batch
        ) as e;
        exit when ids is null;
        update wallet_core.events as e
        set detail = null
        where e.event_id = any(ids)
            and e.type = 'bet.made'
            and e.detail is not null
            and e.detail::text = (select d.detail::text from wallet_core.bet_made_detail(e.bet_id) as d);
        get diagnostics done = row_count;
        packed := packed + done;
        last_id := ids[pg_catalog.array_length(ids, 1)];
        commit;
        raise notice 'events up to %: this batch %, % rows so far',
            last_id, pg_catalog.clock_timestamp() - started, packed;
    end loop;
end
$$;
comment on procedure wallet.pack_bet_rows is
'Packs the rows written before migration 0630, batch rows at a time (default 5000), each batch its own '
'transaction: the legs of older bets into bets.legs_packed, and the detail of older real-money bet.made '
'events out of events.detail, each only where what the readers give back is the same. CALL '
'wallet.pack_bet_rows() outside a transaction block, once after the deploy; it may be stopped and called '
'again. Returns how many rows it changed.';
revoke all on procedure wallet.pack_bet_rows from public;
