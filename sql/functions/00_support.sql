-- Support for the route functions: field validation, answers, and the idempotency claim.
--
-- Validation functions raise a wallet SQLSTATE (WA204 malformed, WA202 not a currency) with a
-- message naming the field; each route catches them at its top and answers without storing.

create or replace function wallet_core.reject(field text, problem text, state text default 'WA204')
returns void
language plpgsql
set search_path = ''
as $$
begin
    raise exception using errcode = state, message = format('%s: %s', field, problem);
end
$$;
comment on function wallet_core.reject(text, text, text) is
'Raises a malformed-request error (WA204, or WA202 for a malformed currency) naming the field.';

create or replace function wallet_core.is_absent(value jsonb, field text, required boolean)
returns boolean
language plpgsql
set search_path = ''
as $$
begin
    if value is not null and jsonb_typeof(value) <> 'null' then
        return false;
    end if;
    if required then
        perform wallet_core.reject(field, 'is missing');
    end if;
    return true;
end
$$;
comment on function wallet_core.is_absent(jsonb, text, boolean) is
'True when an optional field is absent (missing or JSON null); WA204 when a required one is.';

create or replace function wallet_core.as_object(value jsonb, field text)
returns jsonb
language plpgsql immutable
set search_path = ''
as $$
begin
    if value is null or jsonb_typeof(value) = 'null' then
        perform wallet_core.reject(field, 'is missing');
    elsif jsonb_typeof(value) <> 'object' then
        perform wallet_core.reject(field, 'must be an object');
    end if;
    return value;
end
$$;
comment on function wallet_core.as_object(jsonb, text) is 'The value as a JSON object, or WA204.';

create or replace function wallet_core.as_id(value jsonb, field text, required boolean default true)
returns text
language plpgsql immutable
set search_path = ''
as $$
declare
    id text;
    number numeric;
begin
    if wallet_core.is_absent(value, field, required) then
        return null;
    end if;
    case jsonb_typeof(value)
        when 'string' then
            id := value #>> '{}';
        when 'number' then
            number := value::numeric;
            if number < 0 or scale(number) > 0 then
                perform wallet_core.reject(field, 'a numeric id must be a non-negative integer');
            end if;
            id := number::text;
        else
            perform wallet_core.reject(field, 'must be a string or a non-negative integer');
    end case;
    if length(id) not between 1 and 128 then
        perform wallet_core.reject(field, format('must be 1 to 128 characters, not %s', length(id)));
    end if;
    return id;
end
$$;
comment on function wallet_core.as_id(jsonb, text, boolean) is
'A provider id: a string of 1 to 128 characters, or a non-negative JSON integer taken as its '
'decimal text (so 123 and "123" are the same id). Otherwise WA204.';

create or replace function wallet_core.as_amount(value jsonb, field text, required boolean default true)
returns bigint
language plpgsql immutable
set search_path = ''
as $$
declare
    amount numeric;
begin
    if wallet_core.is_absent(value, field, required) then
        return null;
    end if;
    if jsonb_typeof(value) <> 'number' then
        perform wallet_core.reject(field, 'must be an integer amount in minor units');
    end if;
    amount := value::numeric;
    if scale(amount) > 0 then
        perform wallet_core.reject(field, 'must be an integer amount in minor units, not a fraction');
    end if;
    if amount < 0 or amount > 1000000000000000 then
        perform wallet_core.reject(field, 'must be between 0 and 10^15');
    end if;
    return amount::bigint;
end
$$;
comment on function wallet_core.as_amount(jsonb, text, boolean) is
'An amount: a JSON integer from 0 to 10^15 (no fraction, not even .0; no string, no boolean). Otherwise WA204.';

create or replace function wallet_core.as_currency(value jsonb, field text, required boolean default true)
returns text
language plpgsql immutable
set search_path = ''
as $$
begin
    if wallet_core.is_absent(value, field, required) then
        return null;
    end if;
    if jsonb_typeof(value) <> 'string' or (value #>> '{}') !~ '^[A-Z0-9]{3,8}$' then
        perform wallet_core.reject(field, 'is not a currency code (3 to 8 uppercase letters or digits)', 'WA202');
    end if;
    return value #>> '{}';
end
$$;
comment on function wallet_core.as_currency(jsonb, text, boolean) is
'A currency code of 3 to 8 uppercase letters or digits; otherwise WA202 (invalid currency).';

create or replace function wallet_core.as_text(
    value jsonb, field text, required boolean default true, max_length integer default 1000
)
returns text
language plpgsql immutable
set search_path = ''
as $$
begin
    if wallet_core.is_absent(value, field, required) then
        return null;
    end if;
    if jsonb_typeof(value) <> 'string' then
        perform wallet_core.reject(field, 'must be a string');
    end if;
    if length(value #>> '{}') > max_length then
        perform wallet_core.reject(field, format('must be at most %s characters', max_length));
    end if;
    return value #>> '{}';
end
$$;
comment on function wallet_core.as_text(jsonb, text, boolean, integer) is
'A free-text field (a name, a reason): a JSON string of bounded length. Otherwise WA204.';

create or replace function wallet_core.as_boolean(value jsonb, field text)
returns boolean
language plpgsql immutable
set search_path = ''
as $$
begin
    if value is null or jsonb_typeof(value) = 'null' then
        return null;
    end if;
    if jsonb_typeof(value) <> 'boolean' then
        perform wallet_core.reject(field, 'must be true or false');
    end if;
    return value::boolean;
end
$$;
comment on function wallet_core.as_boolean(jsonb, text) is 'An optional JSON boolean. Otherwise WA204.';

create or replace function wallet_core.as_decimal(value jsonb, field text, required boolean default true)
returns numeric
language plpgsql immutable
set search_path = ''
as $$
declare
    number numeric;
begin
    if wallet_core.is_absent(value, field, required) then
        return null;
    end if;
    if jsonb_typeof(value) = 'number' then
        number := value::numeric;
    elsif jsonb_typeof(value) = 'string' and (value #>> '{}') ~ '^[0-9]{1,12}(\.[0-9]{1,12})?$' then
        number := (value #>> '{}')::numeric;
    else
        perform wallet_core.reject(field, 'must be a decimal number or a decimal string');
    end if;
    if number <= 0 or number >= 1000000000000 then
        perform wallet_core.reject(field, 'must be positive and below 10^12');
    end if;
    return number;
end
$$;
comment on function wallet_core.as_decimal(jsonb, text, boolean) is
'Odds: a JSON number or decimal string, positive, kept exactly as numeric. Otherwise WA204.';

create or replace function wallet_core.as_timestamp(value jsonb, field text, required boolean default true)
returns timestamptz
language plpgsql immutable
set search_path = ''
as $$
declare
    seconds numeric;
begin
    if wallet_core.is_absent(value, field, required) then
        return null;
    end if;
    if jsonb_typeof(value) = 'number' then
        seconds := value::numeric;
    elsif jsonb_typeof(value) = 'string' and (value #>> '{}') ~ '^[0-9]{1,11}(\.[0-9]{1,9})?$' then
        seconds := (value #>> '{}')::numeric;
    else
        perform wallet_core.reject(field, 'must be unix seconds');
    end if;
    if seconds < 0 or seconds >= 100000000000 then
        perform wallet_core.reject(field, 'must be unix seconds between 0 and 10^11');
    end if;
    return to_timestamp(seconds::double precision);
end
$$;
comment on function wallet_core.as_timestamp(jsonb, text, boolean) is
'A time as integer or fractional unix seconds (number or numeric string). Otherwise WA204.';

create or replace function wallet_core.as_text_array(value jsonb, field text)
returns text[]
language plpgsql immutable
set search_path = ''
as $$
begin
    if value is null or jsonb_typeof(value) = 'null' then
        return null;
    end if;
    if jsonb_typeof(value) <> 'array'
        or exists (select from jsonb_array_elements(value) as e (v) where jsonb_typeof(e.v) <> 'string') then
        perform wallet_core.reject(field, 'must be an array of strings');
    end if;
    return array(select jsonb_array_elements_text(value));
end
$$;
comment on function wallet_core.as_text_array(jsonb, text) is 'An optional array of strings. Otherwise WA204.';

create or replace function wallet_core.expect_equal(field text, value anycompatible, other anycompatible)
returns void
language plpgsql immutable
set search_path = ''
as $$
begin
    if value is not null and other is not null and value <> other then
        perform wallet_core.reject(field, format('is %s but must equal %s', value, other));
    end if;
end
$$;
comment on function wallet_core.expect_equal(text, anycompatible, anycompatible) is
'WA204 naming the field when two values that must agree (both present) differ.';

-- Answers ---------------------------------------------------------------------------------------

create or replace function wallet_core.error_answer(state text, message text, out status integer, out body jsonb)
language sql stable
set search_path = ''
as $$
    select e.http_status, jsonb_build_object('code', e.provider_code, 'message', message)
    from wallet_core.error_codes as e
    where e.sqlstate = state
$$;
comment on function wallet_core.error_answer(text, text) is
'The provider''s error envelope {code, message} and HTTP status for a wallet SQLSTATE.';

create or replace function wallet_core.malformed_answer(
    state text, message text, out status integer, out body jsonb
)
language plpgsql stable
set search_path = ''
as $$
begin
    if state not like 'WA%' then
        raise sqlstate 'XX000' using message = 'malformed_answer called for a non-wallet error ' || state;
    end if;
    select e.status, e.body into status, body from wallet_core.error_answer(state, message) as e;
end
$$;
comment on function wallet_core.malformed_answer(text, text) is
'The answer to a request that failed validation (nothing is stored).';

create or replace function wallet_core.operation_answer(
    operation_id bigint,
    ext_transaction_id text,
    parent_transaction_id bigint,
    user_id text,
    operation text,
    amount bigint,
    currency text,
    balance bigint
)
returns jsonb
language sql immutable
set search_path = ''
as $$
    select jsonb_build_object(
        'id', operation_id::text,
        'ext_transaction_id', ext_transaction_id,
        'parent_transaction_id', parent_transaction_id::text,
        'user_id', user_id,
        'operation', operation,
        'amount', amount,
        'currency', currency,
        'balance', balance
    )
$$;
comment on function wallet_core.operation_answer(bigint, text, bigint, text, text, bigint, text, bigint) is
'The success body every route but balance answers with.';

-- Idempotency -----------------------------------------------------------------------------------

create or replace function wallet_core.claim(
    kind text, key text, route text, fingerprint jsonb,
    out operation_id bigint, out status integer, out body jsonb
)
language plpgsql
set search_path = ''
as $$
declare
    seen wallet_core.idempotency;
begin
    -- A duplicate in flight blocks here on the key until the first commits, then replays.
    insert into wallet_core.idempotency as i (kind, key, route, fingerprint)
    values (claim.kind, claim.key, claim.route, claim.fingerprint)
    on conflict on constraint idempotency_pkey do nothing
    returning i.operation_id into claim.operation_id;
    if found then
        return;
    end if;

    select i.* into strict seen
    from wallet_core.idempotency as i
    where i.kind = claim.kind and i.key = claim.key;

    if seen.route = claim.route and seen.fingerprint = claim.fingerprint then
        status := seen.status;
        body := seen.response;
    else
        select e.status, e.body into status, body
        from wallet_core.error_answer(
            'WA205',
            format('%s %s was already used by another request (%s)', claim.kind, claim.key, seen.route)
        ) as e;
    end if;
end
$$;
comment on function wallet_core.claim(text, text, text, jsonb) is
'Claims an operation key. Returns its new operation_id (status null) when the key is new; otherwise '
'the stored answer if the content matches, or the WA205 conflict answer (not stored).';

create or replace function wallet_core.answer(
    kind text, key text, new_status integer, new_body jsonb, out status integer, out body jsonb
)
language sql
set search_path = ''
as $$
    update wallet_core.idempotency as i
    set status = new_status, response = new_body
    where i.kind = answer.kind and i.key = answer.key
    returning i.status, i.response
$$;
comment on function wallet_core.answer(text, text, integer, jsonb) is
'Stores the answer of a claimed operation for replay and returns it.';

create or replace function wallet_core.refuse(
    kind text, key text, state text, message text, out status integer, out body jsonb
)
language plpgsql
set search_path = ''
as $$
declare
    code wallet_core.error_codes;
begin
    select e.* into strict code from wallet_core.error_codes as e where e.sqlstate = state;
    select e.status, e.body into status, body from wallet_core.error_answer(state, message) as e;
    if code.stored then
        perform wallet_core.answer(kind, key, status, body);
    else
        -- Not a refusal to replay (e.g. 2003: the bet may exist when the request is sent again).
        delete from wallet_core.idempotency as i where i.kind = refuse.kind and i.key = refuse.key;
    end if;
end
$$;
comment on function wallet_core.refuse(text, text, text, text) is
'Answers a claimed operation with a refusal. Stores it for replay when wallet_core.error_codes says so '
'(1005, 1006, 2001, 2002, 2004 for a state the bet does not allow); otherwise releases the key.';

create or replace function wallet_core.lock_bet(
    bet_ref text, out bet wallet_core.bets, out account wallet_core.accounts
)
language plpgsql
set search_path = ''
as $$
declare
    bet_account_id bigint;
begin
    -- bet_transaction_id is the wallet's own bet id; anything else names no bet.
    if bet_ref !~ '^[0-9]{1,18}$' then
        return;
    end if;
    select b.account_id into bet_account_id
    from wallet_core.bets as b
    where b.bet_id = bet_ref::bigint and b.made;
    if not found then
        return;
    end if;
    -- The account row is the lock that guards the bet too; the bet is read again under it.
    select a.* into strict account from wallet_core.accounts as a where a.account_id = bet_account_id
    for no key update;
    select b.* into strict bet from wallet_core.bets as b where b.bet_id = bet_ref::bigint;
end
$$;
comment on function wallet_core.lock_bet(text) is
'Finds a made bet by the wallet''s bet id and locks its account (the lock that guards the bet). '
'Both nulls when there is no such bet.';

create or replace function wallet_core.advance_bet(
    kind text,
    route text,
    operation text,
    bet_ref text,
    fingerprint jsonb,
    from_state text,
    to_state text,
    closing_status text,
    out status integer,
    out body jsonb
)
language plpgsql
set search_path = ''
as $$
declare
    v_claim record;
    v_locked record;
begin
    select c.* into v_claim from wallet_core.claim(kind, bet_ref, route, fingerprint) as c;
    if v_claim.status is not null then
        status := v_claim.status;
        body := v_claim.body;
        return;
    end if;

    select l.* into v_locked from wallet_core.lock_bet(bet_ref) as l;
    if (v_locked.bet).bet_id is null then
        select r.status, r.body into status, body
        from wallet_core.refuse(kind, bet_ref, 'WA203', format('bet %s not found', bet_ref)) as r;
        return;
    end if;
    if (v_locked.bet).state <> from_state then
        select r.status, r.body into status, body
        from wallet_core.refuse(
            kind, bet_ref, 'WA206',
            format('bet %s is %s: only a bet that is %s allows %s', bet_ref, (v_locked.bet).state, from_state, route)
        ) as r;
        return;
    end if;

    update wallet_core.bets as b
    set state = to_state, closing_status = coalesce(advance_bet.closing_status, b.closing_status), updated_at = now()
    where b.bet_id = (v_locked.bet).bet_id;

    select a.status, a.body into status, body
    from wallet_core.answer(
        kind, bet_ref, 200,
        wallet_core.operation_answer(
            v_claim.operation_id, (v_locked.bet).make_transaction_id, (v_locked.bet).bet_id,
            (v_locked.account).player_id, operation, 0, (v_locked.account).currency, (v_locked.account).balance
        )
    ) as a;
end
$$;
comment on function wallet_core.advance_bet(text, text, text, text, jsonb, text, text, text) is
'Moves a bet from one state to the next without moving money (commit: open -> accepted; '
'settlement: settled -> closed), exactly once per (kind, bet id). Behind bet_commit and bet_settlement.';

create or replace function wallet_core.bet_refusal(
    player_id text,
    bet_ref text,
    bet wallet_core.bets,
    account wallet_core.accounts,
    currency text,
    out state text,
    out message text
)
language plpgsql stable
set search_path = ''
as $$
begin
    if wallet_core.player_refusal(player_id, null) is not null then
        state := 'WA006';
        message := format('player %s not found', player_id);
    elsif bet.bet_id is null then
        state := 'WA203';
        message := format('bet %s not found', bet_ref);
    elsif account.player_id <> player_id then
        state := 'WA206';
        message := format('bet %s belongs to another player', bet_ref);
    elsif account.currency <> currency then
        state := 'WA202';
        message := format('bet %s is in %s, not %s', bet_ref, account.currency, currency);
    end if;
end
$$;
comment on function wallet_core.bet_refusal(text, text, wallet_core.bets, wallet_core.accounts, text) is
'The checks a win, lost, refund or rollback makes before the bet''s state, in the contract''s order: '
'1006 unknown player, 2003 unknown bet, 2004 another player''s bet, 2002 another currency (a null '
'currency is not checked). Null state when the request may go on.';

-- Accounts --------------------------------------------------------------------------------------

create or replace function wallet_core.player_refusal(player_id text, currency text)
returns text
language sql stable
set search_path = ''
as $$
    select case
        when not exists (select from wallet_core.accounts as a where a.player_id = player_refusal.player_id)
            then 'WA006'
        when currency is not null
            and not exists (
                select from wallet_core.accounts as a
                where a.player_id = player_refusal.player_id and a.currency = player_refusal.currency
            )
            then 'WA202'
    end
$$;
comment on function wallet_core.player_refusal(text, text) is
'Why a player/currency has no account: WA006 when the player has none at all, WA202 when not in that '
'currency; null when the account exists.';
