-- The books (issue 15; docs/contract/operator.md sections 4 and 5): reconciliation with the
-- provider's file, the money report, a player's bets and statement. All of them read and write
-- nothing: STABLE, one snapshot per call, no row locks (plain reads take no lock an account's
-- writers wait for). `wallet report` runs the two reports in one REPEATABLE READ READ ONLY
-- transaction; on a busy primary, run them on a standby (docs/reconciliation.md).

create or replace function wallet_core.reconcile_margin()
returns interval
language sql immutable parallel safe
set search_path = ''
as $$
    select interval '5 minutes'
$$;
comment on function wallet_core.reconcile_margin() is
'How close to an edge of wallet.reconcile''s window an operation present on one side only is not a '
'difference: 5 minutes (the other side may have it just across the edge).';

-- No SET clause: the planner inlines it (see 00_limits.sql).
create or replace function wallet_core.reported_state(state text, result text)
returns text
language sql immutable parallel safe
as $$
    select case when state in ('settled', 'closed') then result else state end
$$;
comment on function wallet_core.reported_state(text, text) is
'A bet''s state as the provider''s file names it: open, accepted, discarded, or its result (won, cashed_out, '
'lost, refunded) once settled, closed or not. Inlined by the planner.';

create or replace function wallet_core.check_window(window_from timestamptz, window_to timestamptz)
returns void
language plpgsql immutable
set search_path = ''
as $$
begin
    if window_from is null or window_to is null or window_from >= window_to then
        raise sqlstate 'WA204' using
            message = format('the window [%s, %s) is empty or open-ended', window_from, window_to),
            hint = 'Give from < to, e.g. (''2026-12-06'', ''2026-12-07'') for a day.';
    end if;
end
$$;
comment on function wallet_core.check_window(timestamptz, timestamptz) is
'WA204 unless from < to, both given: the window of wallet.reconcile and wallet.money_report.';

-- The wallet's side of the books, one row per provider operation: the makes (wallet_core.bets) and
-- every win, lost, refund and rollback (wallet_core.bet_operations), taken by the wallet in
-- [window_from, window_to).
create or replace function wallet_core.booked_operations(window_from timestamptz, window_to timestamptz)
returns table (
    transaction_id text, operation text, player_id text, amount bigint, currency text, booked_at timestamptz,
    bet_state text, bet_id bigint
)
language sql stable parallel safe
set search_path = ''
as $$
    select b.make_transaction_id, 'bet', a.player_id, b.stake, a.currency, b.created_at,
        wallet_core.reported_state(b.state, b.result), b.bet_id
    from wallet_core.bets as b
    join wallet_core.accounts as a on b.account_id = a.account_id
    where b.made and b.created_at >= window_from and b.created_at < window_to
    union all
    select o.transaction_id, o.operation, a.player_id, o.amount, a.currency, o.created_at, null, o.bet_id
    from wallet_core.bet_operations as o
    join wallet_core.accounts as a on o.account_id = a.account_id
    where o.created_at >= window_from and o.created_at < window_to
$$;
comment on function wallet_core.booked_operations(timestamptz, timestamptz) is
'The wallet''s side of the books: every make (operation bet, with the bet''s state as the provider names it) '
'and every win, lost, refund and rollback the wallet took in [from, to), with what it moved.';

create or replace function wallet.reconcile(window_from timestamptz, window_to timestamptz)
returns table (difference text, transaction_id text, player_id text, detail text)
language plpgsql stable
security definer
set search_path = ''
-- one process: a parallel plan would take the cores the money path runs on
set max_parallel_workers_per_gather = 0
set jit = off
as $$
declare
    margin constant interval := wallet_core.reconcile_margin();
begin
    perform wallet_core.check_window(window_from, window_to);
    return query
    with wallet_side as (
        select * from wallet_core.booked_operations(window_from - margin, window_to + margin)
    ),
    provider_side as (
        select r.*
        from wallet.provider_report as r
        where r.created_at >= window_from - margin and r.created_at < window_to + margin
    ),
    paired as (
        select
            coalesce(w.transaction_id, p.transaction_id) as transaction_id,
            coalesce(w.player_id, p.player_id) as player_id,
            coalesce(w.booked_at, p.created_at) as at,
            w.transaction_id is not null as in_wallet,
            p.transaction_id is not null as in_file,
            w.operation as w_operation, p.operation as p_operation,
            w.amount as w_amount, p.amount as p_amount,
            w.currency as w_currency, p.currency as p_currency,
            w.player_id as w_player, p.player_id as p_player,
            w.bet_state as w_state, p.bet_state as p_state,
            w.booked_at as w_at, p.created_at as p_at
        from wallet_side as w
        full join provider_side as p on w.transaction_id = p.transaction_id
    ),
    mine as (
        -- A pair belongs to the window of the wallet's time (the provider's when the wallet has none).
        select * from paired as x where x.at >= window_from and x.at < window_to
    )
    select d.difference, d.transaction_id, d.player_id, d.detail
    from (
        select 'missing_in_wallet' as difference, m.transaction_id, m.player_id,
            format('the provider''s %s of %s %s at %s is not in the wallet''s books',
                m.p_operation, m.p_amount, m.p_currency, m.p_at) as detail, m.at
        from mine as m
        where not m.in_wallet and m.at >= window_from + margin and m.at < window_to - margin
        union all
        select 'missing_in_provider', m.transaction_id, m.player_id,
            format('the wallet''s %s of %s %s at %s is not in the provider''s file',
                m.w_operation, m.w_amount, m.w_currency, m.w_at), m.at
        from mine as m
        where not m.in_file and m.at >= window_from + margin and m.at < window_to - margin
        union all
        select 'operation', m.transaction_id, m.player_id,
            format('wallet %s, provider %s', m.w_operation, m.p_operation), m.at
        from mine as m
        where m.in_wallet and m.in_file and m.w_operation <> m.p_operation
        union all
        select 'amount', m.transaction_id, m.player_id,
            format('%s: wallet %s, provider %s', m.w_operation, m.w_amount, m.p_amount), m.at
        from mine as m
        where m.in_wallet and m.in_file and m.w_amount <> m.p_amount
        union all
        select 'currency', m.transaction_id, m.player_id,
            format('%s: wallet %s, provider %s', m.w_operation, m.w_currency, m.p_currency), m.at
        from mine as m
        where m.in_wallet and m.in_file and m.w_currency <> m.p_currency
        union all
        select 'player', m.transaction_id, m.w_player,
            format('%s: wallet %s, provider %s', m.w_operation, m.w_player, m.p_player), m.at
        from mine as m
        where m.in_wallet and m.in_file and m.w_player <> m.p_player
        union all
        select 'bet_state', m.transaction_id, m.player_id,
            format('bet: wallet %s, provider %s', m.w_state, m.p_state), m.at
        from mine as m
        where m.in_wallet and m.in_file and m.w_operation = 'bet' and m.p_operation = 'bet'
            and m.w_state <> m.p_state
    ) as d
    order by d.at, d.transaction_id, d.difference;
end
$$;
comment on function wallet.reconcile(timestamptz, timestamptz) is
'Compares the wallet''s books with wallet.provider_report over [from, to): one row per difference '
'(missing_in_wallet, missing_in_provider, operation, amount, currency, player, bet_state), matched by the '
'provider''s transaction id. A pair belongs to the window of the wallet''s time; an operation present on '
'one side only within wallet_core.reconcile_margin() (5 minutes) of an edge is not a difference. No rows: '
'the books agree. Read-only.';

create or replace function wallet.money_report(window_from timestamptz, window_to timestamptz)
returns table (
    currency text, stakes bigint, wins bigint, refunds bigint, rollbacks bigint, bonus_cost bigint, ggr bigint,
    bets bigint, players bigint, stakes_eur numeric, wins_eur numeric, refunds_eur numeric,
    rollbacks_eur numeric, bonus_cost_eur numeric, ggr_eur numeric, unconverted bigint
)
language plpgsql stable
security definer
set search_path = ''
-- one process: a parallel plan would take the cores the money path runs on
set max_parallel_workers_per_gather = 0
-- a report, not a hot path: compiling it costs more than it saves; its per-account sums fit here
set jit = off
set work_mem = '64MB'
as $$
begin
    perform wallet_core.check_window(window_from, window_to);
    return query
    with staked as (
        -- The bets made in the window and not discarded (a discarded bet was never taken by
        -- the provider: its stake came back), summed per account and rate in one pass, as
        -- integers: each sum is multiplied by its rate once, below.
        select b.account_id, b.cross_rate_euro as rate, count(*) as bets, sum(b.stake) as stakes,
            sum(b.bonus_stake) as bonus
        from wallet_core.bets as b
        where b.made and b.state <> 'discarded' and b.created_at >= window_from and b.created_at < window_to
        group by b.account_id, b.cross_rate_euro
    ),
    credited as (
        -- What went back in the window: wins, refunds; and rollbacks, which took them back.
        -- An operation sent without a rate takes its bet's.
        select o.account_id, o.operation, r.rate, count(*) as n, sum(o.amount) as amount
        from wallet_core.bet_operations as o
        cross join lateral (
            select coalesce(
                o.cross_rate_euro,
                (select b.cross_rate_euro from wallet_core.bets as b where b.bet_id = o.bet_id)
            ) as rate
        ) as r
        where o.operation <> 'lost' and o.amount > 0 and o.created_at >= window_from and o.created_at < window_to
        group by o.account_id, o.operation, r.rate
    ),
    lines as (
        select a.currency, a.player_id, s.rate, s.bets, s.stakes, s.bonus,
            0 as wins, 0 as refunds, 0 as rollbacks, 0 as credits
        from staked as s
        join wallet_core.accounts as a on s.account_id = a.account_id
        union all
        select a.currency, null, c.rate, 0, 0, 0,
            case when c.operation = 'win' then c.amount else 0 end,
            case when c.operation = 'refund' then c.amount else 0 end,
            case when c.operation = 'rollback' then c.amount else 0 end,
            c.n
        from credited as c
        join wallet_core.accounts as a on c.account_id = a.account_id
    ),
    at_rate as (
        -- Per currency and rate: an operation without a rate is at 1 in EUR; in any other
        -- currency it is left out of the euros and counted.
        select l.currency, l.rate, coalesce(l.rate, case when l.currency = 'EUR' then 1 end) as euro,
            sum(l.bets) as bets, sum(l.stakes) as stakes, sum(l.bonus) as bonus, sum(l.wins) as wins,
            sum(l.refunds) as refunds, sum(l.rollbacks) as rollbacks, sum(l.bets + l.credits) as operations
        from lines as l
        group by l.currency, l.rate
    ),
    players as (
        select l.currency, grouping(l.currency) as all_currencies, count(distinct l.player_id) as players
        from lines as l
        where l.player_id is not null
        group by grouping sets ((l.currency), ())
    ),
    totals as (
        select
            grouping(r.currency) as all_currencies, r.currency,
            sum(r.stakes) as stakes, sum(r.wins) as wins, sum(r.refunds) as refunds,
            sum(r.rollbacks) as rollbacks, sum(r.bonus) as bonus, sum(r.bets) as bets,
            sum(r.stakes * r.euro) as stakes_eur, sum(r.wins * r.euro) as wins_eur,
            sum(r.refunds * r.euro) as refunds_eur, sum(r.rollbacks * r.euro) as rollbacks_eur,
            sum(r.bonus * r.euro) as bonus_eur,
            coalesce(sum(r.operations) filter (where r.euro is null), 0) as unconverted
        from at_rate as r
        group by grouping sets ((r.currency), ())
    )
    select
        case when t.all_currencies = 0 then t.currency else 'ALL' end,
        case when t.all_currencies = 0 then t.stakes end::bigint,
        case when t.all_currencies = 0 then t.wins end::bigint,
        case when t.all_currencies = 0 then t.refunds end::bigint,
        case when t.all_currencies = 0 then t.rollbacks end::bigint,
        case when t.all_currencies = 0 then t.bonus end::bigint,
        case when t.all_currencies = 0 then t.stakes - t.wins - t.refunds + t.rollbacks end::bigint,
        coalesce(t.bets, 0)::bigint,
        coalesce(p.players, 0),
        round(coalesce(t.stakes_eur, 0)),
        round(coalesce(t.wins_eur, 0)),
        round(coalesce(t.refunds_eur, 0)),
        round(coalesce(t.rollbacks_eur, 0)),
        round(coalesce(t.bonus_eur, 0)),
        round(coalesce(t.stakes_eur, 0) - coalesce(t.wins_eur, 0) - coalesce(t.refunds_eur, 0)
            + coalesce(t.rollbacks_eur, 0)),
        t.unconverted::bigint
    from totals as t
    left join players as p
        on p.all_currencies = t.all_currencies and p.currency is not distinct from t.currency
    order by t.all_currencies, t.currency;
end
$$;
comment on function wallet.money_report(timestamptz, timestamptz) is
'The money of [from, to), per currency and for ALL currencies in euros: stakes of the bets made in the '
'window (discarded bets excluded), wins, refunds and rollbacks taken in it, bonus cost (the stakes'' '
'bonus_stake), GGR = stakes - wins - refunds + rollbacks, bets, players (who made a bet). The *_eur columns '
'convert each operation at its own transaction.cross_rate_euro (else its bet''s; EUR at 1), in euro cents '
'rounded once; unconverted counts the operations without a rate, left out of them. Read-only.';

-- A player's history ---------------------------------------------------------------------------

create or replace function wallet_core.require_player(player_id text, currency text default null)
returns void
language plpgsql stable
set search_path = ''
as $$
declare
    refusal constant text := wallet_core.player_refusal(player_id, currency);
begin
    if refusal is not null then
        raise exception using errcode = refusal,
            message = case refusal
                when 'WA006' then format('player %s not found', player_id)
                else format('player %s has no %s account', player_id, currency)
            end;
    end if;
end
$$;
comment on function wallet_core.require_player(text, text) is
'WA006 when the player has no account, WA202 when none in that currency (a null currency is not checked).';

create or replace function wallet.player_bets(player_id text, before bigint default null, page integer default 50)
returns table (
    bet_id bigint, currency text, made_at timestamptz, state text, result text, closing_status text,
    stake bigint, paid bigint, bonus_id text, bonus_stake bigint, odds numeric, final_odds numeric,
    potential_win bigint, make_transaction_id text, betslip_id text, legs jsonb, operations jsonb
)
language plpgsql stable
security definer
set search_path = ''
as $$
begin
    perform wallet_core.require_player(player_id);
    if page is null or page not between 1 and 1000 then
        raise sqlstate 'WA204' using message = format('page must be 1 to 1000 bets, not %s', page);
    end if;
    -- The page: per account, the bets below "before" newest first through bets_account_bet_idx
    -- (at most a page each), then the page across the player's accounts. Written with $1
    -- (player_id), $2 (before), $3 (page) so that tests/sql/test_books.py and
    -- bench/bench_books.py can PREPARE the text between the two markers and EXPLAIN it; PL/pgSQL
    -- keeps its plan from call to call.
    return query
    -- page query begins
    select b.bet_id, a.currency, b.created_at, b.state, b.result, b.closing_status, b.stake, b.settled_amount,
        b.bonus_id, b.bonus_stake, b.odds, settled.final_odds, b.potential_win, b.make_transaction_id, b.betslip_id,
        (
            select pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object(
                'position', s.position, 'selection_id', s.selection_id, 'event_id', s.event_id,
                'sport_id', s.sport_id, 'category_id', s.category_id, 'tournament_id', s.tournament_id,
                'competitor_names', s.competitor_names, 'market_name', s.market_name,
                'outcome_name', s.outcome_name, 'scheduled_at', s.scheduled_at, 'live', s.live,
                'odds', s.odds::text,
                'status', reported.by_id -> s.selection_id ->> 'status',
                'final_odds', reported.by_id -> s.selection_id ->> 'odds'
            ) order by s.position)
            from (
                -- the bet row's legs packed (migration 0630; wallet_core.packed_legs is inlined here)
                select (p.n - 1)::integer as position, p.selection_id, p.event_id, p.sport_id, p.category_id,
                    p.tournament_id, p.competitor_names, p.market_name, p.outcome_name, p.scheduled_at, p.live, p.odds
                from wallet_core.packed_legs(b.legs_packed) as p
                union all
                -- or not (migration 0610)
                select (l.n - 1)::integer as position, l.selection_id, l.event_id, l.sport_id, l.category_id,
                    l.tournament_id, l.competitor_names, l.market_name, l.outcome_name, l.scheduled_at, l.live, l.odds
                from pg_catalog.unnest(b.legs) with ordinality as l (
                    scheduled_at, live, selection_id, event_id, sport_id, category_id, tournament_id, market_name,
                    outcome_name, odds, competitor_names, n
                )
                union all
                -- a bet made before 0610 that wallet.move_to_bet_rows() has not moved yet
                select o.position, o.selection_id, o.event_id, o.sport_id, o.category_id, o.tournament_id,
                    pg_catalog.to_jsonb(o.competitor_names), o.market_name, o.outcome_name, o.scheduled_at, o.live,
                    o.odds
                from wallet_core.selections as o
                where b.legs is null and b.legs_packed is null and o.bet_id = b.bet_id
            ) as s
        ),
        (
            select pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object(
                'transaction_id', o.transaction_id, 'operation', o.operation, 'result', o.result,
                'amount', o.amount, 'at', o.created_at, 'provider_at', o.provider_at
            ) order by o.created_at, o.transaction_id)
            from wallet_core.bet_operations as o
            where o.bet_id = b.bet_id
        )
    from wallet_core.accounts as a
    cross join lateral (
        select x.*
        from wallet_core.bets as x
        where x.account_id = a.account_id and x.made and x.bet_id < coalesce($2, 9223372036854775807)
        order by x.bet_id desc
        limit $3
    ) as b
    left join wallet_core.bet_operations as settled on settled.transaction_id = b.settlement_transaction_id
    -- the current win or lost's legs by id, built once per bet (the first of an id, as sent)
    cross join lateral (
        select pg_catalog.jsonb_object_agg(l.id, l.leg order by l.n desc) as by_id
        from pg_catalog.jsonb_array_elements(settled.legs) with ordinality as e (leg, n)
        cross join lateral (select e.leg ->> 'id' as id, e.leg, e.n) as l
        where l.id is not null
    ) as reported
    where a.player_id = $1
    order by b.bet_id desc
    limit $3
    -- page query ends
    ;
end
$$;
comment on function wallet.player_bets(text, bigint, integer) is
'A player''s bets in every currency, newest first, page bets at a time (keyset: pass the last bet_id of a '
'page as before to get the next; never OFFSET). Each with its state, result and closing status, stake, '
'paid (what its current settlement credited), bonus, odds and final odds, its legs (each selection with its '
'status and final odds from the current win or lost) and its operations (every win, lost, refund and '
'rollback). WA006 for an unknown player, WA204 for a page outside 1 to 1000. Read-only.';

create or replace function wallet.player_statement(
    player_id text, currency text, window_from timestamptz, window_to timestamptz
)
returns table (
    entry_id bigint, at timestamptz, operation text, amount bigint, balance_after bigint, transaction_id text,
    bet_id bigint, reason text
)
language plpgsql stable
security definer
set search_path = ''
as $$
begin
    perform wallet_core.require_player(player_id, currency);
    perform wallet_core.check_window(window_from, window_to);
    return query
    select j.entry_id, j.created_at, j.operation, j.amount, j.balance_after, j.transaction_id, j.bet_id, j.reason
    from wallet_core.accounts as a
    join wallet_core.journal as j on j.account_id = a.account_id
    where a.player_id = player_statement.player_id and a.currency = player_statement.currency
        and j.created_at >= window_from and j.created_at < window_to
    order by j.entry_id;
end
$$;
comment on function wallet.player_statement(text, text, timestamptz, timestamptz) is
'A player''s account in one currency over [from, to): every journal line (deposit, withdrawal, bet, discard, '
'win, refund, rollback) in order, with the balance after each. WA006 / WA202 when there is no such account, '
'WA204 for an empty window. Read-only.';

revoke all on function wallet_core.reconcile_margin() from public;
revoke all on function wallet_core.check_window(timestamptz, timestamptz) from public;
revoke all on function wallet_core.booked_operations(timestamptz, timestamptz) from public;
revoke all on function wallet_core.require_player(text, text) from public;
revoke all on function wallet.reconcile(timestamptz, timestamptz) from public;
revoke all on function wallet.money_report(timestamptz, timestamptz) from public;
revoke all on function wallet.player_bets(text, bigint, integer) from public;
revoke all on function wallet.player_statement(text, text, timestamptz, timestamptz) from public;

-- wallet_support: the reports, the history and the balance; nothing that writes
-- (tests/sql/test_books.py tries every other function of schema wallet as wallet_support).
grant execute on function wallet.reconcile(timestamptz, timestamptz) to wallet_support;
grant execute on function wallet.money_report(timestamptz, timestamptz) to wallet_support;
grant execute on function wallet.player_bets(text, bigint, integer) to wallet_support;
grant execute on function wallet.player_statement(text, text, timestamptz, timestamptz) to wallet_support;
grant execute on function wallet.balance(text, text) to wallet_support;
