-- Idempotency: exactly once per operation key, with the answer stored for replay.
--
-- claim() takes a transaction-level advisory lock on the key and looks it up; a new key gets an
-- operation id and no row yet. The route then locks, checks and writes, and answer() or
-- refuse() inserts the key's one row with its answer. A make that makes its bet stores no row
-- here: its bet row is its record (bets.made_balance holds the balance of its answer, the rest
-- of the answer is the bet's own), and claim() finds a transaction key there too. A duplicate in flight waits on the
-- advisory lock until the first commits, then finds that row and replays it. Each transaction
-- takes this advisory lock before any other lock, so it cannot take part in a deadlock; two
-- keys whose hashes collide only wait for each other. (The two other advisory locks cannot close
-- a cycle either. The player's event-order lock in wallet_core.emit_event is taken after every
-- row lock, and its holder waits for nothing more. The player's make queue in
-- wallet_core.make_bet is taken by a usual make before its row locks; its holder then waits
-- only for row locks, a key's insert and the event-order lock, whose holders never take it.)

-- No SET clause: the planner inlines it into the function that calls it (see 00_limits.sql).
create or replace function wallet_core.new_operation(
    kind text, key text, route text, player_id text default null, amount bigint default null,
    currency text default null, parent text default null, detail text default null
)
returns wallet_core.operation
language sql immutable parallel safe
as $$
    select row(kind, key, route, player_id, amount, currency, parent, detail)::wallet_core.operation
$$;
comment on function wallet_core.new_operation(text, text, text, text, bigint, text, text, text) is
'An operation''s key and the content a replay must match, called with named arguments '
'(kind => ''transaction'', key => ..., route => ''bet/make'', player_id => ...); what a route does not '
'name is null. Inlined by the planner.';

-- No SET clause: it runs only inside functions that pin search_path to '' (the route functions and
-- the other wallet.* functions), and a SET clause would save and restore that setting on every
-- call (callgrind: 55 000 instructions per make for the five on its path, make_bet, claim,
-- record_references, post and emit_event); it names every function in full instead.
create or replace function wallet_core.claim(
    op wallet_core.operation, out operation_id bigint, out status integer, out body jsonb
)
language plpgsql
as $$
declare
    seen wallet_core.idempotency;
    made_bet_id bigint;
    made_account_id bigint;
    made_balance bigint;
begin
    perform pg_catalog.pg_advisory_xact_lock(pg_catalog.hashtext(op.kind), pg_catalog.hashtext(op.key));
    -- The key's row, or for a transaction key that has none, its make's bet row (migration 0610: a
    -- make's record is its bet row, and the answer is rebuilt from it, the same bytes the make
    -- answered; a discard marker, made_balance null, is no answer). Two plain index look-ups, the
    -- second only when the first finds nothing: one statement with UNION ALL and LIMIT cost more
    -- to start (callgrind, about 14 000 instructions per make). The bet's account (its player and
    -- currency) is read apart, for a replay only: joined here, it was a scan started for every claim.
    select i.route, i.player_id, i.amount, i.currency, i.parent, i.detail, i.status, i.response
    into seen.route, seen.player_id, seen.amount, seen.currency, seen.parent, seen.detail, seen.status, seen.response
    from wallet_core.idempotency as i
    where i.kind = op.kind and i.key = op.key;
    if not found and op.kind = 'transaction' then
        -- FOUND is now the bet's.
        select b.stake, b.bet_id, b.account_id, b.made_balance
        into seen.amount, made_bet_id, made_account_id, made_balance
        from wallet_core.bets as b
        where b.make_transaction_id = op.key and b.made_balance is not null;
        if found then
            seen.route := 'bet/make';
            seen.status := 200;
        end if;
    end if;
    if made_account_id is not null then
        -- FOUND is now the account's: a bet without one (wallet.audit()'s orphan_row) is no
        -- record, as when the look-up joined the account.
        select a.player_id, a.currency into seen.player_id, seen.currency
        from wallet_core.accounts as a
        where a.account_id = made_account_id;
        if found then
            seen.response := wallet_core.operation_answer(
                operation_id => made_bet_id, ext_transaction_id => op.key, parent_transaction_id => null,
                user_id => seen.player_id, operation => 'bet', amount => seen.amount, currency => seen.currency,
                balance => made_balance
            );
        end if;
    end if;
    if not found then
        operation_id := pg_catalog.nextval('wallet_core.operation_id_seq');
    elsif seen.route = op.route
        and (seen.player_id, seen.amount, seen.currency, seen.parent, seen.detail)
        is not distinct from (op.player_id, op.amount, op.currency, op.parent, op.detail) then
        status := seen.status;
        body := seen.response;
    else
        select e.status, e.body into status, body from wallet_core.error_answer(
            'WA205', pg_catalog.format('%s %s was already used by another request (%s)', op.kind, op.key, seen.route)
        ) as e;
    end if;
end
$$;
comment on function wallet_core.claim(wallet_core.operation) is
'Claims an operation key until the transaction ends. A new key: its new operation_id, status null. '
'A key seen before: the stored answer if the content matches, or the WA205 conflict answer (not stored). '
'A transaction key is looked up in wallet_core.idempotency, then among the bets: a make''s record is its '
'bet row (its answer rebuilt from it).';

create or replace function wallet_core.remember(
    op wallet_core.operation, operation_id bigint, status integer, answer jsonb
)
returns void
language plpgsql
set search_path = ''
as $$
begin
    -- The key's one row. Plain INSERT: claim() holds the key, so a conflict here is a bug.
    insert into wallet_core.idempotency (
        kind, key, operation_id, route, player_id, amount, currency, parent, detail, status, response
    )
    values (
        op.kind, op.key, remember.operation_id, op.route, op.player_id, op.amount, op.currency, op.parent,
        op.detail, remember.status, remember.answer
    );
end
$$;
comment on function wallet_core.remember(wallet_core.operation, bigint, integer, jsonb) is
'Stores an operation''s answer with its key and content, for replay: the one write of idempotency.';

create or replace function wallet_core.answer(
    op wallet_core.operation, operation_id bigint, success jsonb
)
returns wallet_core.reply
language plpgsql
set search_path = ''
as $$
begin
    perform wallet_core.remember(op, operation_id, 200, success);
    return row(200, success);
end
$$;
comment on function wallet_core.answer(wallet_core.operation, bigint, jsonb) is
'Answers a claimed operation with 200 and its body, stored with the key for replay.';

create or replace function wallet_core.refuse(
    op wallet_core.operation, operation_id bigint, state text, message text
)
returns wallet_core.reply
language plpgsql
set search_path = ''
as $$
declare
    code wallet_core.error_codes;
    reply wallet_core.reply;
begin
    select e.* into strict code from wallet_core.error_codes as e where e.sqlstate = state;
    reply := row(code.http_status, jsonb_build_object('code', code.provider_code, 'message', message));
    -- Not every refusal is replayed (e.g. 2003: the bet may exist when the request comes again).
    if code.stored then
        perform wallet_core.remember(op, operation_id, reply.status, reply.body);
    end if;
    return reply;
end
$$;
comment on function wallet_core.refuse(wallet_core.operation, bigint, text, text) is
'Answers a claimed operation with a refusal. Stores it for replay when wallet_core.error_codes says so '
'(1005, 1006, 2001, 2002, 2004 for a state the bet does not allow); otherwise stores nothing.';
