-- bet/win, bet/lost and bet/refund: the three ways a bet is settled. wallet_core.read_settle reads
-- the request, wallet_core.settle_bet does the operation: claim, lock, check, write, answer.

create or replace function wallet_core.read_settle_slowly(
    request jsonb, operation text
)
returns wallet_core.settle_request
language plpgsql stable
set search_path = ''
as $$
declare
    tx jsonb;
    top_amount bigint;
    amount bigint;
    currency text;
    read wallet_core.settle_request;
begin
    perform wallet_core.as_object(request, 'payload');
    tx := wallet_core.as_object(request -> 'transaction', 'transaction');
    read.transaction_id := wallet_core.as_id(tx -> 'id', 'transaction.id');
    if (tx ->> 'operation') is distinct from operation then
        perform wallet_core.reject('transaction.operation', format('must be "%s"', operation));
    end if;
    read.player_id := wallet_core.as_id(tx -> 'ext_player_id', 'transaction.ext_player_id');
    read.bet_ref := wallet_core.as_id(request -> 'bet_transaction_id', 'bet_transaction_id');

    top_amount := wallet_core.as_amount(request -> 'amount', 'amount', false);
    amount := wallet_core.as_amount(tx -> 'amount', 'transaction.amount', false);
    perform wallet_core.expect_equal('amount', top_amount, amount);
    amount := coalesce(amount, top_amount);
    if operation = 'lost' then
        if amount <> 0 then
            perform wallet_core.reject('amount', 'must be 0 for a lost bet');
        end if;
        amount := 0;
    elsif operation = 'refund' and (tx -> 'amount') is null then
        perform wallet_core.reject('transaction.amount', 'is missing');
    elsif amount is null then
        perform wallet_core.reject('amount', 'is missing');
    end if;

    currency := wallet_core.as_currency(request -> 'currency', 'currency', false);
    perform wallet_core.expect_equal(
        'transaction.currency', wallet_core.as_currency(tx -> 'currency', 'transaction.currency', false), currency
    );
    currency := coalesce(currency, tx ->> 'currency');
    if currency is null then
        perform wallet_core.reject('currency', 'is missing');
    end if;
    read.result := case operation
        when 'win' then
            case when wallet_core.as_boolean(request -> 'is_cashout', 'is_cashout') then 'cashed_out' else 'won' end
        when 'lost' then 'lost'
        when 'refund' then 'refunded'
    end;
    if operation = 'refund' then
        read.reason := wallet_core.as_text(request -> 'reason', 'reason', false);
    end if;
    read.amount := amount;
    read.currency := currency;
    return read;
end
$$;
comment on function wallet_core.read_settle_slowly(jsonb, text) is
'A bet/win, bet/lost or bet/refund request, typed field by field, with the result it settles the bet as (won, '
'cashed_out, lost, refunded); WA204/WA202 naming the field when it is malformed.';


create or replace function wallet_core.read_settle_quickly(request jsonb, operation text)
returns wallet_core.settle_request
language plpgsql stable
set search_path = ''
as $$
declare
    tx constant jsonb := request -> 'transaction';
    top_amount constant jsonb := nullif(request -> 'amount', 'null');
    tx_amount constant jsonb := nullif(request -> 'transaction' -> 'amount', 'null');
    top_currency constant jsonb := nullif(request -> 'currency', 'null');
    tx_currency constant jsonb := nullif(request -> 'transaction' -> 'currency', 'null');
begin
    -- Plain expressions only, every cast behind a CASE on the JSON type; null for anything
    -- unusual, which wallet_core.read_settle_slowly then reads field by field.
    if not coalesce(
        jsonb_typeof(request) = 'object' and jsonb_typeof(tx) = 'object'
        and tx ->> 'operation' = operation
        and case jsonb_typeof(tx -> 'id') when 'string' then length(tx ->> 'id') between 1 and 128 else false end
        and case jsonb_typeof(tx -> 'ext_player_id')
            when 'string' then length(tx ->> 'ext_player_id') between 1 and 128
            else false
        end
        and case jsonb_typeof(request -> 'bet_transaction_id')
            when 'string' then length(request ->> 'bet_transaction_id') between 1 and 128
            else false
        end
        and case coalesce(jsonb_typeof(top_amount), 'null')
            when 'null' then true
            when 'number' then scale(top_amount::numeric) = 0 and top_amount::numeric between 0 and 1000000000000000
            else false
        end
        and case coalesce(jsonb_typeof(tx_amount), 'null')
            when 'null' then true
            when 'number' then scale(tx_amount::numeric) = 0 and tx_amount::numeric between 0 and 1000000000000000
            else false
        end
        and coalesce(top_amount = tx_amount, true)
        and case operation
            when 'win' then coalesce(tx_amount, top_amount) is not null
                and coalesce(jsonb_typeof(request -> 'is_cashout'), 'null') in ('null', 'boolean')
            when 'lost' then coalesce(coalesce(tx_amount, top_amount) = '0', true)
            when 'refund' then tx_amount is not null
                and case coalesce(jsonb_typeof(request -> 'reason'), 'null')
                    when 'null' then true
                    when 'string' then length(request ->> 'reason') <= 1000
                    else false
                end
            else false
        end
        and case coalesce(jsonb_typeof(top_currency), 'null')
            when 'null' then true
            when 'string' then (top_currency #>> '{}') ~ '^[A-Z0-9]{3,8}$'
            else false
        end
        and case coalesce(jsonb_typeof(tx_currency), 'null')
            when 'null' then true
            when 'string' then (tx_currency #>> '{}') ~ '^[A-Z0-9]{3,8}$'
            else false
        end
        and coalesce(top_currency = tx_currency, true)
        and coalesce(top_currency, tx_currency) is not null,
        false
    ) then
        return null;
    end if;
    return row(
        tx ->> 'id', tx ->> 'ext_player_id', request ->> 'bet_transaction_id',
        case when operation = 'lost' then 0 else coalesce(tx_amount, top_amount)::bigint end,
        coalesce(top_currency, tx_currency) #>> '{}',
        case when operation = 'refund' then request ->> 'reason' end,
        case operation
            when 'win' then case when (request -> 'is_cashout') = 'true' then 'cashed_out' else 'won' end
            when 'lost' then 'lost'
            when 'refund' then 'refunded'
        end
    );
end
$$;
comment on function wallet_core.read_settle_quickly(jsonb, text) is
'The fast reader of bet/win, bet/lost and bet/refund: the typed request when every field has its usual '
'JSON type, range and agreement; otherwise null, and wallet_core.read_settle_slowly reads it. Never refuses.';

create or replace function wallet_core.read_settle(request jsonb, operation text)
returns wallet_core.settle_request
language plpgsql stable
set search_path = ''
as $$
declare
    read wallet_core.settle_request := wallet_core.read_settle_quickly(request, operation);
begin
    if read.transaction_id is null then
        read := wallet_core.read_settle_slowly(request, operation);
    end if;
    return read;
end
$$;
comment on function wallet_core.read_settle(jsonb, text) is
'A bet/win, bet/lost or bet/refund request, typed: in one step when it is usual, field by field '
'otherwise. WA204/WA202 naming the field when it is malformed.';

create or replace function wallet_core.settle_bet(
    route text, operation text, request wallet_core.settle_request
)
returns wallet_core.reply
language plpgsql
set search_path = ''
as $$
declare
    op constant wallet_core.operation := row(
        'transaction', request.transaction_id, route, request.player_id, request.amount, request.currency,
        request.bet_ref, null
    );
    claimed record;
    locked record;
    bet wallet_core.bets;
    account wallet_core.accounts;
    refusal text;
    message text;
begin
    claimed := wallet_core.claim(op);
    if claimed.status is not null then
        return row(claimed.status, claimed.body);
    end if;

    locked := wallet_core.lock_bet(request.bet_ref);
    bet := locked.bet;
    account := locked.account;
    select r.state, r.message into refusal, message
    from wallet_core.bet_refusal(request.player_id, request.bet_ref, bet, account, request.currency) as r;
    if refusal is not null then
        null;  -- refused below
    elsif bet.state not in ('open', 'accepted') then
        refusal := 'WA206';
        message := format('bet %s is %s: it cannot be settled again', request.bet_ref, bet.state);
    elsif operation = 'refund' and request.amount > bet.stake then
        refusal := 'WA206';
        message := format('refund of %s exceeds the stake %s of bet %s', request.amount, bet.stake, request.bet_ref);
    end if;
    if refusal is not null then
        return wallet_core.refuse(op, claimed.operation_id, refusal, message);
    end if;

    if request.amount > 0 then
        account := wallet_core.post(
            account.account_id, operation, request.amount, request.transaction_id, bet.bet_id, request.reason
        );
    end if;
    update wallet_core.bets as b
    set state = 'settled', result = request.result, settlement_transaction_id = request.transaction_id,
        settled_amount = request.amount, updated_at = now()
    where b.bet_id = bet.bet_id;
    perform wallet_core.emit_event(
        case request.result when 'lost' then 'bet.lost' when 'refunded' then 'bet.refunded' else 'bet.won' end,
        account.player_id, account.currency, request.amount, account.balance,
        claimed.operation_id, bet.bet_id, request.transaction_id, jsonb_build_object('result', request.result)
    );

    return wallet_core.answer(
        op, claimed.operation_id,
        wallet_core.operation_answer(
            claimed.operation_id, request.transaction_id, bet.bet_id, request.player_id, operation, request.amount,
            request.currency, account.balance
        )
    );
end
$$;
comment on function wallet_core.settle_bet(text, text, wallet_core.settle_request) is
'Settles an open or accepted bet as won, cashed out, lost or refunded, crediting the amount; exactly '
'once per transaction.id. Behind wallet.bet_win, wallet.bet_lost and wallet.bet_refund.';

create or replace function wallet_core.settle_route(route text, operation text, request jsonb)
returns wallet_core.reply
language plpgsql
set search_path = ''
as $$
declare
    reply wallet_core.reply;
    read wallet_core.settle_request;
begin
    -- 1. Read: the typed request, or a malformed-request answer (nothing is stored).
    begin
        read := wallet_core.read_settle(request, operation);
    exception when others then
        if sqlstate not like 'WA%' then
            raise;
        end if;
        return wallet_core.malformed_answer(sqlstate, sqlerrm);
    end;
    -- 2. Do: claim, lock, check, write, answer.
    return wallet_core.settle_bet(route, operation, read);
end
$$;
comment on function wallet_core.settle_route(text, text, jsonb) is
'bet/win, bet/lost and bet/refund from the request to the answer: read (a malformed request is '
'answered, nothing stored), then wallet_core.settle_bet. Each of the three routes is one call of it.';

create or replace function wallet.bet_win(request jsonb, out status integer, out body jsonb)
language plpgsql
security definer
set search_path = ''
as $$
declare
    reply wallet_core.reply := wallet_core.settle_route('bet/win', 'win', request);
begin
    status := reply.status;
    body := reply.body;
end
$$;

create or replace function wallet.bet_lost(request jsonb, out status integer, out body jsonb)
language plpgsql
security definer
set search_path = ''
as $$
declare
    reply wallet_core.reply := wallet_core.settle_route('bet/lost', 'lost', request);
begin
    status := reply.status;
    body := reply.body;
end
$$;

create or replace function wallet.bet_refund(request jsonb, out status integer, out body jsonb)
language plpgsql
security definer
set search_path = ''
as $$
declare
    reply wallet_core.reply := wallet_core.settle_route('bet/refund', 'refund', request);
begin
    status := reply.status;
    body := reply.body;
end
$$;

comment on function wallet.bet_win(jsonb) is
'Route bet/win: credits the win and settles the bet as won (or cashed out with is_cashout). '
'Takes the request, returns (status, body). Exactly once per transaction.id.';
comment on function wallet.bet_lost(jsonb) is
'Route bet/lost: settles the bet as lost; no money moves. Takes the request, returns (status, body). '
'Exactly once per transaction.id.';
comment on function wallet.bet_refund(jsonb) is
'Route bet/refund: credits transaction.amount (at most the stake) and settles the bet as refunded. '
'Takes the request, returns (status, body). Exactly once per transaction.id.';

revoke all on function wallet.bet_win(jsonb) from public;
revoke all on function wallet.bet_lost(jsonb) from public;
revoke all on function wallet.bet_refund(jsonb) from public;
grant execute on function wallet.bet_win(jsonb) to wallet_app;
grant execute on function wallet.bet_lost(jsonb) to wallet_app;
grant execute on function wallet.bet_refund(jsonb) to wallet_app;
