-- The route functions' second edition (issue 7): typed requests, idempotency in one write,
-- and less storage per bet.
--
-- 1. The functions of the first edition whose name or signature goes away are dropped here, so
--    that no stale function survives in a deployed database. (Repeatable files run after this
--    file and create their successors in the same deploy.)
-- 2. Composite types for the typed requests the route functions read (wallet_core.read_*), and
--    for the reply (status, body) the functions behind them return.
-- 3. wallet_core.idempotency keeps the content a replay must match in typed columns instead of
--    a jsonb fingerprint, and is written once, with its answer; the unique index on
--    operation_id goes (the sequence makes the ids unique, bets.bet_id checks a bet's).
-- 4. Selections lose the three indexes and three foreign keys to the reference tables: nothing
--    reads selections by sport, category or tournament, reference rows are never deleted or
--    re-keyed, and bet/make writes the reference rows it names in the same transaction; each
--    foreign key locked its reference row (a WAL record per selection per table).

drop function if exists wallet_core.claim(text, text, text, jsonb);
drop function if exists wallet_core.answer(text, text, integer, jsonb);
drop function if exists wallet_core.refuse(text, text, text, text);
drop function if exists wallet_core.advance_bet(text, text, text, text, jsonb, text, text, text);
drop function if exists wallet_core.record_references(
    wallet_core.sports[], wallet_core.categories[], wallet_core.tournaments[]
);
drop function if exists wallet_core.read_settlement(jsonb, text);
drop function if exists wallet_core.settle_request(text, text, jsonb);
drop function if exists wallet_core.settle(text, text, text, text, text, text, bigint, text, text);
drop function if exists wallet_core.error_answer(text, text);
drop function if exists wallet_core.malformed_answer(text, text);

create type wallet_core.reply as (
    status integer,
    body jsonb
);
comment on type wallet_core.reply is
'What a route function answers: the HTTP status and the JSON body, exactly as sent back.';

-- Typed requests -----------------------------------------------------------------------------

create type wallet_core.selection_request as (
    position integer,
    selection_id text,
    event_id text,
    sport_id text,
    sport_name text,
    category_id text,
    category_name text,
    tournament_id text,
    tournament_name text,
    competitor_names text [],
    market_name text,
    outcome_name text,
    scheduled_at timestamptz,
    live boolean,
    odds numeric
);
comment on type wallet_core.selection_request is
'One selection of a bet/make request (betslip.bets[position]), validated and typed.';

create type wallet_core.make_request as (
    transaction_id text,
    player_id text,
    currency text,
    amount bigint,
    session_id text,
    bonus_id text,
    potential_win bigint,
    betslip_id text,
    provider_player_id text,
    transaction_at timestamptz,
    placed_at timestamptz,
    betslip_type text,
    odds numeric,
    is_quick_bet boolean,
    accept_odds_change boolean,
    selections wallet_core.selection_request []
);
comment on type wallet_core.make_request is 'A bet/make request, validated and typed (wallet_core.read_make).';

-- bet/make's request as the provider shapes it, for jsonb_populate_record: the fast reader's one
-- typed step (wallet_core.read_make_quickly), once a JSON path has checked every type.
create type wallet_core.selection_json as (
    id text,
    event_id text,
    sport_id text,
    sport_name text,
    category_id text,
    category_name text,
    tournament_id text,
    tournament_name text,
    competitor_name text [],
    market_name text,
    outcome_name text,
    scheduled numeric,
    live boolean,
    odds numeric
);
comment on type wallet_core.selection_json is 'betslip.bets[] of a bet/make request as sent (names as in the JSON).';

create type wallet_core.transaction_json as (
    id text,
    player_id text,
    "timestamp" numeric
);
comment on type wallet_core.transaction_json is
'The transaction of a bet/make request as sent (the fields the fast reader takes from it).';

create type wallet_core.betslip_json as (
    id text,
    type text,
    k numeric,
    "timestamp" numeric,
    is_quick_bet boolean,
    accept_odds_change boolean,
    bets wallet_core.selection_json []
);
comment on type wallet_core.betslip_json is 'The betslip of a bet/make request as sent.';

create type wallet_core.make_json as (
    player_id text,
    currency text,
    amount bigint,
    session_id text,
    bonus_id text,
    potential_win bigint,
    transaction wallet_core.transaction_json,
    betslip wallet_core.betslip_json
);
comment on type wallet_core.make_json is
'A bet/make request as sent, for jsonb_populate_record; wallet_core.make_request is what the route uses.';

create type wallet_core.settle_request as (
    transaction_id text,
    player_id text,
    bet_ref text,
    amount bigint,
    currency text,
    reason text,
    result text
);
comment on type wallet_core.settle_request is
'A bet/win, bet/lost or bet/refund request, validated and typed, with the result it settles the bet as '
'(won, cashed_out, lost, refunded).';

create type wallet_core.rollback_request as (
    transaction_id text,
    player_id text,
    bet_ref text,
    settlement_id text,
    amount bigint,
    currency text
);
comment on type wallet_core.rollback_request is 'A bet/rollback request, validated and typed.';

create type wallet_core.discard_request as (
    transaction_id text,
    player_id text,
    reason text
);
comment on type wallet_core.discard_request is 'A bet/discard request, validated and typed.';

create type wallet_core.bet_request as (
    bet_ref text,
    status text
);
comment on type wallet_core.bet_request is
'A bet/commit or bet/settlement request, validated and typed: the bet id, and the closing status of a '
'settlement.';

create type wallet_core.balance_request as (
    player_id text,
    currency text
);
comment on type wallet_core.balance_request is 'A balance request, validated and typed.';

create type wallet_core.operation as (
    kind text,
    key text,
    route text,
    player_id text,
    amount bigint,
    currency text,
    parent text,
    detail text
);
comment on type wallet_core.operation is
'An operation''s idempotency key (kind, key) and the content a replay must match (route, player, '
'amount, currency, parent, detail).';

-- Idempotency in one write -------------------------------------------------------------------

alter table wallet_core.idempotency
add column player_id text,
add column amount bigint,
add column currency text,
add column parent text,
add column detail text;

update wallet_core.idempotency as i set
    player_id = i.fingerprint ->> 'player',
    amount = (i.fingerprint ->> 'amount')::bigint,
    currency = i.fingerprint ->> 'currency',
    parent = i.fingerprint ->> 'parent',
    detail = coalesce(i.fingerprint ->> 'settlement', i.fingerprint ->> 'status');

alter table wallet_core.idempotency drop column fingerprint;
alter table wallet_core.idempotency drop constraint idempotency_operation_id_key;
alter table wallet_core.idempotency alter column operation_id drop default;

comment on table wallet_core.idempotency is
'One row per answered operation key, written once with its answer in the transaction that did the '
'operation; a replay returns the answer byte for byte. A duplicate in flight waits on a '
'transaction-level advisory lock on the key, then finds this row.';
comment on column wallet_core.idempotency.route is 'The route that used the key; another route with it is 2004.';
comment on column wallet_core.idempotency.player_id is 'Content a replay must match: the player.';
comment on column wallet_core.idempotency.amount is 'Content a replay must match: the amount (null when absent).';
comment on column wallet_core.idempotency.currency is 'Content a replay must match: the currency.';
comment on column wallet_core.idempotency.parent is
'Content a replay must match: the bet id (win, lost, refund, rollback, commit, settlement) or the '
'make''s transaction id (discard).';
comment on column wallet_core.idempotency.detail is
'Content a replay must match: the settlement a rollback names, or the status of a bet/settlement.';
comment on column wallet_core.idempotency.operation_id is
'The wallet''s own id of the operation (from wallet_core.operation_id_seq): the "id" of its answer '
'(for a make, the bet id).';

-- Selections: no indexes or foreign keys nothing uses ---------------------------------------

drop index wallet_core.selections_sport_idx;
drop index wallet_core.selections_category_idx;
drop index wallet_core.selections_tournament_idx;
alter table wallet_core.selections drop constraint selections_sport_id_fkey;
alter table wallet_core.selections drop constraint selections_category_id_fkey;
alter table wallet_core.selections drop constraint selections_tournament_id_fkey;
comment on column wallet_core.selections.sport_id is
'A wallet_core.sports key; bet/make inserts the reference rows a slip names in the same transaction '
'(no foreign key: it locked the reference row on every insert, and reference rows are never deleted).';
