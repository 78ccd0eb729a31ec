-- The money path, third edition (issue 16 items 1 and 2): a make writes four rows (the bet, the
-- account, the journal entry, the event) instead of eight.
--
-- 1. A bet's selections live in the bet row, wallet_core.bets.legs, an array of wallet_core.leg in
--    the order sent (312 bytes for three, against three rows of wallet_core.selections and their
--    primary key, about 500): nothing reads selections but the bet's own history
--    (wallet.player_bets), which reads the bet row anyway. The per-leg results and final odds of a
--    win or lost stay in wallet_core.bet_operations.legs, as before.
-- 2. The make's idempotency record is the bet row: bets.made_balance is the balance its answer
--    named, and the bet row holds the rest of the answer (its id, transaction id, player through
--    the account, stake, currency). wallet_core.claim finds a transaction key there when
--    wallet_core.idempotency has no row for it. Refused makes have no bet row: their stored
--    refusals stay in wallet_core.idempotency, like every other route's answers.
-- 3. wallet.move_to_bet_rows(batch): the bets made before this migration keep their selections
--    rows and idempotency records, which every function still reads, until this procedure moves
--    them, batch by batch, each batch its own transaction (CALL it once after the deploy; it
--    prints each batch's time, the longest any bet row was locked). A make record whose stored
--    answer the bet row does not reproduce byte for byte stays where it is, and is replayed from
--    there.

create type wallet_core.leg as (
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
);
comment on type wallet_core.leg is
'One selection of a bet slip as the bet keeps it (betslip.bets[], in wallet_core.bets.legs): its ids, '
'names, scheduled time, live flag, odds (exactly as sent) and competitor names (a JSON array of strings). '
'Fixed-width fields first: the smallest row.';

alter table wallet_core.bets
add column legs wallet_core.leg[],
add column made_balance bigint;
comment on column wallet_core.bets.legs is
'The slip''s selections (betslip.bets[]) in the order sent; null for a discard marker, and for a bet made '
'before migration 0610 until wallet.move_to_bet_rows() moved its wallet_core.selections rows here.';
comment on column wallet_core.bets.made_balance is
'The balance the make''s answer named (after its debit): with the bet row, the make''s stored answer, '
'replayed byte for byte by wallet_core.claim. Null for a discard marker, and for a bet made before '
'migration 0610 whose answer is still (or, purged, no longer) in wallet_core.idempotency.';
comment on table wallet_core.selections is
'The selections of bets made before migration 0610, until wallet.move_to_bet_rows() moves them into '
'wallet_core.bets.legs; nothing writes here any more.';

create procedure wallet.move_to_bet_rows(batch integer default 5000, inout moved bigint default 0)
language plpgsql
-- No SET clause and no SECURITY DEFINER: either would forbid the COMMIT between batches. Every
-- object is named in full; the owner runs it.
as $$
declare
    last_bet bigint := 0;
    batch_ids bigint[];
    batch_last bigint;
    batch_moved bigint;
    started timestamptz;
    took interval;
    longest interval := interval '0';
begin
    if batch is null or batch < 1 then
        raise sqlstate '22023' using message = 'batch must be 1 or more';
    end if;
    moved := 0;
    loop
        started := pg_catalog.clock_timestamp();
        -- The next batch of bets in id order (the primary key), made before 0610 and not moved.
        select pg_catalog.array_agg(n.bet_id), pg_catalog.max(n.bet_id), pg_catalog.count(*)
        into batch_ids, batch_last, batch_moved
        from (
            select b.bet_id
            from wallet_core.bets as b
            where b.bet_id > last_bet and b.made and b.legs is null
            order by b.bet_id
            limit batch
        ) as n;
        exit when batch_last is null;

        -- 1. The slip into the bet row, and the answer's balance from its stored answer (a make
        --    whose record was purged keeps made_balance null: sent again, it is refused as before).
        update wallet_core.bets as b
        set
            legs = coalesce((
                select pg_catalog.array_agg(
                    row(
                        s.scheduled_at, s.live, s.selection_id, s.event_id, s.sport_id, s.category_id,
                        s.tournament_id, s.market_name, s.outcome_name, s.odds, pg_catalog.to_jsonb(s.competitor_names)
                    )::wallet_core.leg
                    order by s.position
                )
                from wallet_core.selections as s
                where s.bet_id = b.bet_id
            ), '{}'),
            made_balance = (
                select (i.response ->> 'balance')::bigint
                from wallet_core.idempotency as i
                where i.kind = 'transaction' and i.key = b.make_transaction_id and i.route = 'bet/make'
                    and i.status = 200
            )
        where b.bet_id = any(batch_ids);

        -- 2. The make's record goes where the bet row answers it byte for byte.
        delete from wallet_core.idempotency as i
        using wallet_core.bets as b, wallet_core.accounts as a
        where
            b.bet_id = any(batch_ids) and a.account_id = b.account_id
            and i.kind = 'transaction' and i.key = b.make_transaction_id and i.route = 'bet/make'
            and i.status = 200
            and i.response = wallet_core.operation_answer(
                operation_id => b.bet_id, ext_transaction_id => b.make_transaction_id,
                parent_transaction_id => null, user_id => a.player_id, operation => 'bet', amount => b.stake,
                currency => a.currency, balance => b.made_balance
            )
            and (i.player_id, i.amount, i.currency, i.parent, i.detail)
            is not distinct from (a.player_id, b.stake, a.currency, null::text, null::text);

        -- 3. The selections rows go.
        delete from wallet_core.selections as s where s.bet_id = any(batch_ids);

        moved := moved + batch_moved;
        last_bet := batch_last;
        took := pg_catalog.clock_timestamp() - started;
        longest := greatest(longest, took);
        commit;
        raise notice 'moved % bets up to bet %: this batch %, longest %', moved, last_bet, took, longest;
    end loop;
    raise notice 'done: % bets moved, the longest batch held its bet rows %', moved, longest;
end
$$;
comment on procedure wallet.move_to_bet_rows is
'Moves the bets made before migration 0610 to the bet-row layout, batch bets at a time (default 5000), '
'each batch its own transaction: their selections into wallet_core.bets.legs, and their make records '
'out of wallet_core.idempotency where the bet row answers the same bytes. CALL wallet.move_to_bet_rows() '
'outside a transaction block, once after the deploy; it may be stopped and called again. Prints each '
'batch''s time (the longest a bet row was locked).';
revoke all on procedure wallet.move_to_bet_rows from public;
