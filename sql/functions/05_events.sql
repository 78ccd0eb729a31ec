-- Events: the outbox write every change makes, what DBAs read, and what `wallet relay` calls.
--
-- Order per player. emit_event() takes a transaction-level advisory lock on the player before
-- the event takes its id, and holds it until commit: a second change of the same player (in any
-- currency, or a block) waits for the first to commit before it gets its id, so one player's
-- event ids increase in commit order, and a reader never sees a player's later event without
-- the earlier ones. Callers emit last, after their own row locks, so nothing waits for a row
-- lock while holding this one.
--
-- Relays. Any number may run; one leads: wallet.relay_lead() takes a session advisory lock, and
-- only its holder may read the outbox (wallet.unpublished_events). The others stand by and take
-- over when the leader's session ends. The leader reads and marks in short autocommit
-- statements and holds no lock a route function needs while it talks to the broker.

-- No SET clause: it runs only inside functions that pin search_path to '' (see wallet_core.claim in
-- 02_idempotency.sql).
create or replace function wallet_core.emit_event(
    type text,
    player_id text,
    currency text,
    amount bigint,
    balance bigint,
    operation_id bigint default null,
    bet_id bigint default null,
    transaction_id text default null,
    detail jsonb default '{}'
)
returns bigint
language plpgsql
as $$
declare
    new_event_id bigint;
begin
    -- The player's event-order lock, then the event, in one statement: the WHERE of a SELECT
    -- without FROM is its Result node's one-time filter (EXPLAIN: One-Time Filter), evaluated
    -- before the node makes its row, and so before the row's event_id (its identity's nextval);
    -- a PERFORM of its own cost a statement more (callgrind, about 6 500 instructions per make).
    -- 0x57455654 ("WEVT"): the class of the per-player event-order locks.
    insert into wallet_core.events as e (
        type, player_id, currency, amount, balance, operation_id, bet_id, transaction_id, detail
    )
    select
        emit_event.type, emit_event.player_id, emit_event.currency, emit_event.amount, emit_event.balance,
        emit_event.operation_id, emit_event.bet_id, emit_event.transaction_id, emit_event.detail
    where pg_catalog.pg_advisory_xact_lock(1464161876, pg_catalog.hashtext(emit_event.player_id)) is not null
    returning e.event_id into new_event_id;
    return new_event_id;
end
$$;
comment on function wallet_core.emit_event(text, text, text, bigint, bigint, bigint, bigint, text, jsonb) is
'Writes one event to the outbox in the caller''s transaction and returns its id. Holds the player''s '
'event-order lock until commit, so one player''s event ids increase in commit order. Call it once '
'per committed change, after the change''s own writes; never for a replay or a refusal.';

-- A bet.made event of a real-money stake keeps no detail of its own (migration 0630): what it
-- said is in its bet row, written by the same make and never changed there. The outbox's readers
-- join it (one index probe of bets_pkey per such event): no SET clause and one SELECT, so the
-- planner inlines it into their FROM.
create or replace function wallet_core.bet_made_detail(bet_id bigint)
returns table (detail jsonb)
language sql stable
rows 1
as $$
    select pg_catalog.jsonb_build_object(
        'betslip_id', b.betslip_id, 'stake', b.stake, 'odds', b.odds::text,
        'selections', coalesce(wallet_core.packed_fields(b.legs_packed) / 11, pg_catalog.cardinality(b.legs))
    )
    from wallet_core.bets as b
    where b.bet_id = bet_made_detail.bet_id
$$;
comment on function wallet_core.bet_made_detail(bigint) is
'The detail of the bet.made event of a real-money make, built from its bet row: betslip_id, stake, odds '
'(their text) and the number of selections, as wallet_core.make_bet wrote it before migration 0630. '
'No row for a null bet_id. Read it as LEFT JOIN LATERAL wallet_core.bet_made_detail(CASE WHEN e.detail IS '
'NULL AND e.type = ''bet.made'' THEN e.bet_id END) (wallet.events, wallet.unpublished_events).';

create or replace function wallet_core.event_detail(event wallet_core.events)
returns jsonb
language sql stable
set search_path = ''
as $$
    select coalesce(
        event.detail,
        (
            select d.detail from wallet_core.bet_made_detail(
                case when event.type = 'bet.made' then event.bet_id end
            ) as d
        )
    )
$$;
comment on function wallet_core.event_detail(wallet_core.events) is
'An event''s detail: its own (events.detail), or for a bet.made event without one (migration 0630) what '
'its bet row holds (wallet_core.bet_made_detail). For one event; readers of many join.';

-- No SET clause: the relay's read inlines it.
create or replace function wallet_core.event_body(event wallet_core.events, detail jsonb)
returns jsonb
language sql stable
as $$
    select pg_catalog.jsonb_build_object(
        'event_id', event.event_id,
        'type', event.type,
        'occurred_at', pg_catalog.to_char(event.occurred_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
        'player_id', event.player_id,
        'currency', event.currency,
        'amount', event.amount,
        'balance', event.balance,
        'operation_id', event.operation_id::text,
        'bet_id', event.bet_id::text,
        'transaction_id', event.transaction_id,
        'detail', detail
    )
$$;
comment on function wallet_core.event_body(wallet_core.events, jsonb) is
'The event as RabbitMQ consumers receive it (the message body): the contract''s JSON object, with the '
'event''s detail (events.detail, or what wallet_core.bet_made_detail builds).';

create or replace function wallet_core.event_body(event wallet_core.events)
returns jsonb
language sql stable
set search_path = ''
as $$
    select wallet_core.event_body(event, wallet_core.event_detail(event))
$$;
comment on function wallet_core.event_body(wallet_core.events) is
'The event as RabbitMQ consumers receive it (the message body): the contract''s JSON object. For one '
'event; readers of many join wallet_core.bet_made_detail and call event_body(event, detail).';

create or replace view wallet.events as
select
    e.event_id,
    e.type,
    e.occurred_at,
    e.player_id,
    e.currency,
    e.amount,
    e.balance,
    e.operation_id,
    e.bet_id,
    e.transaction_id,
    coalesce(e.detail, m.detail) as detail,
    e.published_at,
    wallet_core.event_body(e, coalesce(e.detail, m.detail)) as body
from wallet_core.events as e
left join lateral wallet_core.bet_made_detail(
    case when e.detail is null and e.type = 'bet.made' then e.bet_id end
) as m on true;
comment on view wallet.events is
'Every event in the outbox, with its published time (null while unpublished) and the message body '
'consumers receive. Readable by the schema owner; grant SELECT to a DBA role if you have one.';

create or replace procedure wallet.purge_events(older_than interval, inout deleted bigint default 0)
language plpgsql
-- No SET clause and no SECURITY DEFINER: either would forbid the COMMIT between batches. Every
-- object is named in full, and the caller needs DELETE on wallet_core.events (the owner has it).
as $$
declare
    cutoff timestamptz := pg_catalog.now() - older_than;
    last_seen bigint := 0;
    batch_ids bigint[];
    reached_recent boolean;
    batch_deleted bigint;
begin
    if older_than is null or older_than < interval '0' then
        raise sqlstate 'WA204' using message = 'older_than must be zero or more, e.g. ''30 days''';
    end if;
    deleted := 0;
    loop
        -- The next 1000 events in id order (the primary key), older or not: ids follow time, so
        -- the walk stops at the first batch that reaches events younger than the cutoff.
        select pg_catalog.array_agg(b.event_id), pg_catalog.bool_or(b.occurred_at >= cutoff)
        into batch_ids, reached_recent
        from (
            select e.event_id, e.occurred_at
            from wallet_core.events as e
            where e.event_id > last_seen
            order by e.event_id
            limit 1000
        ) as b;
        exit when batch_ids is null;
        delete from wallet_core.events as e
        where e.event_id = any(batch_ids) and e.occurred_at < cutoff and e.published_at is not null;
        get diagnostics batch_deleted = row_count;
        deleted := deleted + batch_deleted;
        commit;
        exit when reached_recent;
        last_seen := batch_ids[pg_catalog.array_length(batch_ids, 1)];
    end loop;
end
$$;
comment on procedure wallet.purge_events is
'Deletes published events that occurred more than older_than ago, 1000 at a time with a commit after '
'each batch; never an unpublished one. CALL wallet.purge_events(''30 days'') outside a transaction '
'block; it returns how many it deleted.';

create or replace function wallet.relay_lead()
returns boolean
language sql
security definer
set search_path = ''
as $$
    -- 0x57524C59 ("WRLY"): one leader per database; the lock ends with the session.
    select pg_catalog.pg_try_advisory_lock(1465011289)
$$;
comment on function wallet.relay_lead() is
'Makes this session the leading relay if no other session leads (a session advisory lock, released '
'when the session ends). True when this session leads.';

create or replace function wallet.unpublished_events(batch_size integer)
returns table (event_id bigint, type text, body text)
language plpgsql
security definer
set search_path = ''
as $$
begin
    -- Held already: only a local count goes up (no shared memory touched, nothing a route waits
    -- on). Held by another session: refused. Held by nobody: this session leads from now on.
    if not pg_catalog.pg_try_advisory_lock(1465011289) then
        raise sqlstate '55000' using
            message = 'this session is not the leading relay',
            hint = 'Call wallet.relay_lead() first; only the leader reads the outbox, so one player''s '
            'events are never published out of order by two relays.';
    end if;
    return query
    select e.event_id, e.type, wallet_core.event_body(e, coalesce(e.detail, m.detail))::text
    from wallet_core.events as e
    left join lateral wallet_core.bet_made_detail(
        case when e.detail is null and e.type = 'bet.made' then e.bet_id end
    ) as m on true
    where e.published_at is null
    order by e.event_id
    limit batch_size;
end
$$;
comment on function wallet.unpublished_events(integer) is
'The leading relay''s read: up to batch_size unpublished events, oldest id first, with the message '
'body. Takes no row lock. Refused (55000) while another session leads.';

create or replace function wallet.mark_events_published(event_ids bigint[])
returns integer
language sql
security definer
set search_path = ''
as $$
    with marked as (
        update wallet_core.events as e
        set published_at = pg_catalog.clock_timestamp()
        where e.event_id = any(event_ids) and e.published_at is null
        returning 1
    )
    select pg_catalog.count(*)::integer from marked
$$;
comment on function wallet.mark_events_published(bigint[]) is
'Marks events published; the relay calls it only after the broker confirmed them. Returns how many '
'were still unpublished.';

create or replace function wallet.events_backlog(out unpublished bigint, out oldest_age double precision)
language sql stable
security definer
set search_path = ''
as $$
    select
        (select pg_catalog.count(*) from wallet_core.events as e where e.published_at is null),
        coalesce((
            select extract(epoch from pg_catalog.clock_timestamp() - e.occurred_at)::double precision
            from wallet_core.events as e
            where e.published_at is null
            order by e.event_id
            limit 1
        ), 0)
$$;
comment on function wallet.events_backlog() is
'What ops watch: how many events wait in the outbox, and the age in seconds of the oldest (0 when '
'none waits): the relay''s lag.';

revoke all on function wallet_core.emit_event(text, text, text, bigint, bigint, bigint, bigint, text, jsonb)
from public;
revoke all on function wallet_core.event_body(wallet_core.events) from public;
revoke all on function wallet_core.event_body(wallet_core.events, jsonb) from public;
revoke all on function wallet_core.event_detail(wallet_core.events) from public;
revoke all on function wallet_core.bet_made_detail(bigint) from public;
revoke all on procedure wallet.purge_events from public;
revoke all on function wallet.relay_lead() from public;
revoke all on function wallet.unpublished_events(integer) from public;
revoke all on function wallet.mark_events_published(bigint[]) from public;
revoke all on function wallet.events_backlog() from public;
grant execute on function wallet.relay_lead() to wallet_relay;
grant execute on function wallet.unpublished_events(integer) to wallet_relay;
grant execute on function wallet.mark_events_published(bigint[]) to wallet_relay;
grant execute on function wallet.events_backlog() to wallet_relay;
