-- The books (issue 15 parts 2 to 4; docs/contract/operator.md sections 4 and 5,
-- docs/reconciliation.md, docs/player-history.md): what the provider sends that finance and
-- support need, the provider's daily file, and the read-only role wallet_support.
--
-- 1. bet/make keeps transaction.cross_rate_euro (exact numeric) on the bet; a bet's created_at
--    is the wallet's clock, like the journal's (now() in production).
-- 2. wallet_core.bet_operations: one row per accepted win, lost, refund and rollback, with what
--    it moved, the provider's cross rate and timestamp, and for win and lost the legs' results
--    and the final odds (before: only the bet's current settlement was kept, and a rollback
--    erased it).
-- 3. The typed requests gain the fields their readers now keep.
-- 4. wallet.provider_report: the provider's daily transaction file, loaded with \copy.
-- 5. Indexes for the reports and the history: the player's bets newest first (account_id,
--    bet_id) replaces the index on account_id alone; a BRIN index on the operations' time.
-- 6. The role wallet_support (NOLOGIN): support's people are made members of it.

-- 1. The make ----------------------------------------------------------------------------------

alter table wallet_core.bets
add column cross_rate_euro numeric check (cross_rate_euro > 0),
alter column created_at set default wallet_core.now();
comment on column wallet_core.bets.cross_rate_euro is
'transaction.cross_rate_euro of the make, exactly as sent (an amount in this currency times it is the '
'amount in euros); null when the provider sent none.';
comment on column wallet_core.bets.created_at is
'When the wallet took the make: the wallet''s clock (wallet_core.now()), the time the reports use.';
comment on column wallet_core.bets.transaction_at is 'transaction.timestamp of the make: the provider''s time.';
comment on column wallet_core.bets.placed_at is 'betslip.timestamp: when the player placed the slip, by the provider.';

-- 2. Every win, lost, refund and rollback -------------------------------------------------------

create table wallet_core.bet_operations (
    transaction_id text primary key check (length(transaction_id) between 1 and 128),
    bet_id bigint not null references wallet_core.bets,
    account_id bigint not null,
    operation text not null check (operation in ('win', 'lost', 'refund', 'rollback')),
    result text not null check (result in ('won', 'cashed_out', 'lost', 'refunded')),
    amount bigint not null check (amount >= 0),
    credited bigint not null,
    cross_rate_euro numeric check (cross_rate_euro > 0),
    provider_at timestamptz,
    final_odds numeric check (final_odds > 0),
    legs jsonb check (jsonb_typeof(legs) = 'array'),
    created_at timestamptz not null default wallet_core.now(),
    check (legs is null or operation in ('win', 'lost')),
    check (final_odds is null or operation in ('win', 'lost')),
    check (credited between 0 and amount)
);
comment on table wallet_core.bet_operations is
'One row per accepted bet/win, bet/lost, bet/refund and bet/rollback, written in its transaction and never '
'changed: the history of a bet''s settlements (wallet.player_bets) and the wallet''s side of '
'wallet.reconcile and wallet.money_report.';
comment on column wallet_core.bet_operations.transaction_id is 'The provider''s transaction.id of the operation.';
comment on column wallet_core.bet_operations.account_id is
'The bet''s account (as wallet_core.bets has it), so that the reports sum per account without joining the bets.';
comment on column wallet_core.bet_operations.result is
'What the bet was settled as (win, lost, refund), or, for a rollback, the result it undid.';
comment on column wallet_core.bet_operations.amount is
'The amount as the provider sent it, never negative: a win''s or refund''s amount, 0 for lost, for a '
'rollback the amount of the settlement it undid. The provider''s file carries the same (wallet.reconcile).';
comment on column wallet_core.bet_operations.credited is
'What the real balance moved (the journal row''s amount, as a positive number; a rollback''s is what it '
'took back). Equal to amount but for bonus bets, whose policy may credit less (docs/bonus-bets.md).';
comment on column wallet_core.bet_operations.cross_rate_euro is
'transaction.cross_rate_euro, exactly as sent; null when absent or not a positive decimal (a settlement is '
'never refused for it).';
comment on column wallet_core.bet_operations.provider_at is
'transaction.timestamp: the provider''s time of the operation; null when absent or malformed.';
comment on column wallet_core.bet_operations.final_odds is 'The odds of a win or lost (its top-level odds).';
comment on column wallet_core.bet_operations.legs is
'What a win or lost said about each leg: [{id, event_id, status, odds}] from its selections, as sent.';
comment on column wallet_core.bet_operations.created_at is 'When the wallet took it (wallet_core.now()).';

create index bet_operations_bet_idx on wallet_core.bet_operations (bet_id);
create index bet_operations_created_idx on wallet_core.bet_operations using brin (created_at);

-- 3. The typed requests -------------------------------------------------------------------------

alter type wallet_core.transaction_json add attribute cross_rate_euro numeric;
alter type wallet_core.make_request add attribute cross_rate_euro numeric;
alter type wallet_core.settle_request
add attribute cross_rate_euro numeric,
add attribute provider_at timestamptz,
add attribute final_odds numeric,
add attribute legs jsonb;
alter type wallet_core.rollback_request
add attribute cross_rate_euro numeric,
add attribute provider_at timestamptz;

-- 4. The provider's file ------------------------------------------------------------------------

create table wallet.provider_report (
    transaction_id text not null unique check (length(transaction_id) between 1 and 128),
    operation text not null check (operation in ('bet', 'win', 'lost', 'refund', 'rollback')),
    player_id text not null,
    amount bigint not null check (amount >= 0),
    currency text not null,
    created_at timestamptz not null,
    make_transaction_id text not null,
    bet_state text check (
        bet_state in ('open', 'accepted', 'won', 'cashed_out', 'lost', 'refunded', 'discarded')
    ),
    cross_rate_euro numeric check (cross_rate_euro > 0),
    loaded_at timestamptz not null default now(),
    check ((operation = 'bet') = (bet_state is not null)),
    check (operation <> 'bet' or make_transaction_id = transaction_id)
);
comment on table wallet.provider_report is
'The provider''s transaction files, one row per operation, loaded with \copy (docs/reconciliation.md gives '
'the columns); wallet.reconcile compares them with the wallet''s books. A transaction id appears once: to '
'load a day again, delete its rows first.';
comment on column wallet.provider_report.make_transaction_id is
'The provider''s transaction id of the bet''s make (for a bet row, its own transaction_id).';
comment on column wallet.provider_report.bet_state is
'On bet rows only: the bet''s state in the provider''s books when the file was made.';
comment on column wallet.provider_report.created_at is 'The provider''s time of the operation.';

create index provider_report_created_idx on wallet.provider_report (created_at);

-- 5. Indexes ------------------------------------------------------------------------------------

-- A player's bets newest first, a page at a time: the same number of index entries per bet as the
-- index on account_id alone it replaces, which also served the foreign keys.
create index bets_account_bet_idx on wallet_core.bets (account_id, bet_id);
drop index wallet_core.bets_account_idx;
-- No index on bets.created_at: every one costs bet/make (a BRIN summary updated by each insert
-- once its range is summarized, a B-tree entry); the reports read the bets whole, on a standby or
-- beside the load (bench/README.md).

-- 6. wallet_support -----------------------------------------------------------------------------

do $$
begin
    if not exists (select from pg_catalog.pg_roles where rolname = 'wallet_support') then
        create role wallet_support nologin;
        -- in this branch only: commenting on a role needs CREATEROLE, which a deploy role lacks
        comment on role wallet_support is
        'Support and finance, read only: may call wallet.player_bets, wallet.player_statement, '
        'wallet.money_report, wallet.reconcile and wallet.balance, and nothing that writes. Grant it to people.';
    end if;
exception
    when duplicate_object or unique_violation then
        null;  -- created meanwhile by a migration of another database on this cluster
end
$$;

grant usage on schema wallet to wallet_support;
