-- The events outbox: one row per committed change of a balance or a bet, written by the route or
-- DBA function that made the change, in its transaction; `wallet relay` publishes the rows to
-- RabbitMQ and marks them published. See /work/shared/events-contract.md and README "Events".
--
-- wallet_relay  the login role of `wallet relay`: EXECUTE on the relay's functions only.

do $$
begin
    if not exists (select from pg_catalog.pg_roles where rolname = 'wallet_relay') then
        create role wallet_relay login;
        -- in this branch only: commenting on a role needs CREATEROLE, which a deploy role lacks
        comment on role wallet_relay is
        'Login role of `wallet relay`: may only execute the relay''s functions in schema wallet.';
    end if;
exception
    when duplicate_object or unique_violation then
        null;  -- created meanwhile by a migration of another database on this cluster
end
$$;

grant usage on schema wallet to wallet_relay;

create table wallet_core.events (
    event_id bigint generated always as identity primary key,
    type text not null check (
        type in (
            'player.created', 'balance.adjusted', 'player.blocked', 'player.unblocked',
            'bet.made', 'bet.committed', 'bet.discarded', 'bet.won', 'bet.lost', 'bet.refunded',
            'bet.rolled_back', 'bet.settled'
        )
    ),
    occurred_at timestamptz not null default now(),
    player_id text not null,
    currency text,
    amount bigint not null,
    balance bigint,
    operation_id bigint,
    bet_id bigint,
    transaction_id text,
    detail jsonb not null default '{}' check (jsonb_typeof(detail) = 'object'),
    published_at timestamptz,
    check ((type in ('player.blocked', 'player.unblocked')) = (currency is null)),
    check ((currency is null) = (balance is null))
)
-- Inserted by every change, updated once by the relay, deleted by purge_events: vacuum it often.
with (autovacuum_vacuum_scale_factor = 0.02, autovacuum_vacuum_insert_scale_factor = 0.02);

comment on table wallet_core.events is
'The outbox: one event per committed change of a balance or a bet, written in the same transaction '
'by wallet_core.emit_event(). `wallet relay` publishes them to RabbitMQ and sets published_at. '
'No foreign keys on purpose: the outbox never locks the rows it describes. Read wallet.events.';
comment on column wallet_core.events.event_id is
'Unique; for one player, increasing in the order the changes committed (emit_event holds a lock '
'on the player until commit while it takes the id).';
comment on column wallet_core.events.type is 'What happened, e.g. bet.made; the RabbitMQ routing key.';
comment on column wallet_core.events.occurred_at is 'The timestamp of the transaction that made the change.';
comment on column wallet_core.events.currency is 'The account''s currency; null only for block/unblock.';
comment on column wallet_core.events.amount is
'Signed change of the balance in minor units (0 when no money moved).';
comment on column wallet_core.events.balance is
'The account''s balance after the change; null for block/unblock.';
comment on column wallet_core.events.operation_id is
'The wallet''s id of the operation: the "id" the provider got in the answer.';
comment on column wallet_core.events.bet_id is 'The wallet''s id of the bet, if the change concerns one.';
comment on column wallet_core.events.transaction_id is
'The provider''s id of the request that caused the change, if a provider caused it.';
comment on column wallet_core.events.detail is
'Type-specific extras: bet.made the bet slip id, stake, odds and selection count; settlements the '
'result and status; DBA changes the reason.';
comment on column wallet_core.events.published_at is
'When the relay saw the broker confirm the event; null while it waits in the outbox.';

-- The relay reads the oldest unpublished events in id order: this index holds only those, so it
-- stays small however long published events are kept.
create index events_unpublished_idx on wallet_core.events (event_id) where published_at is null;
