-- Bulk-loads current_setting('bench.bets') bets of history into a migrated wallet database, as
-- bet/make writes them since migration 0610 (the bet with its three legs, packed since 0630, and its answer's balance,
-- the journal debit), without calling the function millions of times. (The layout before 0610,
-- with idempotency and selections rows: growth_load_before_0610.sql.) The history belongs to its
-- own players (20 bets each), so the benchmark's players start with clean ledgers; what grows
-- is every table and index bet/make writes to.
begin;
create temporary table history on commit drop as
select
    g as n,
    nextval('wallet_core.operation_id_seq') as bet_id,
    'history-tx-' || g as tx,
    'history-' || (g / 20) as player_id
from generate_series(1, current_setting('bench.bets')::bigint) as g;

insert into wallet_core.accounts (player_id, currency, balance)
select distinct h.player_id, 'EUR', 1000000 from history as h;

create temporary table history_accounts on commit drop as
select h.*, a.account_id from history as h
join wallet_core.accounts as a on a.player_id = h.player_id and a.currency = 'EUR';

insert into wallet_core.sports (sport_id, name) values ('1', 'Football') on conflict do nothing;
insert into wallet_core.categories (category_id, sport_id, name)
select 'c' || s, '1', 'Category ' || s from generate_series(1, 3) as s on conflict do nothing;
insert into wallet_core.tournaments (tournament_id, category_id, name)
select 't' || s, 'c' || s, 'Tournament ' || s from generate_series(1, 3) as s on conflict do nothing;

insert into wallet_core.bets (
    bet_id, account_id, make_transaction_id, made, state, stake, betslip_id, provider_player_id,
    session_id, potential_win, betslip_type, odds, is_quick_bet, accept_odds_change, placed_at,
    transaction_at, legs_packed, made_balance
)
select
    h.bet_id, h.account_id, h.tx, true, 'open', 100, 'slip-' || h.tx, 'provider-player',
    'session-1', 300, 'express', 3.32, false, true, now(), now(),
    wallet_core.pack_legs(array(
        select row(
            now(), false, 'sel-' || s, 'event-' || s, '1', 'c' || s, 't' || s, '1x2', '1', 1.05 + s / 10.0,
            jsonb_build_array('Home ' || s, 'Away ' || s)
        )::wallet_core.leg
        from generate_series(1, 3) as s
    )),
    1000000 - 100 * (h.n % 20 + 1)
from history_accounts as h;

insert into wallet_core.journal (account_id, operation, amount, balance_after, transaction_id, bet_id)
select h.account_id, 'bet', -100, 1000000 - 100 * (h.n % 20 + 1), h.tx, h.bet_id
from history_accounts as h;
commit;
