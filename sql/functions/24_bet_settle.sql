-- bet/win, bet/lost and bet/refund: the three ways a bet is settled. wallet_core.read_settlement
-- validates the request, wallet_core.settle does the operation: claim, lock, check, write, answer.

create or replace function wallet_core.read_settlement(
    request jsonb,
    operation text,
    out transaction_id text,
    out player_id text,
    out bet_ref text,
    out amount bigint,
    out currency text,
    out reason text,
    out result text
)
language plpgsql
set search_path = ''
as $$
declare
    tx jsonb;
    top_amount bigint;
begin
    perform wallet_core.as_object(request, 'payload');
    tx := wallet_core.as_object(request -> 'transaction', 'transaction');
    transaction_id := wallet_core.as_id(tx -> 'id', 'transaction.id');
    if (tx ->> 'operation') is distinct from operation then
        perform wallet_core.reject('transaction.operation', format('must be "%s"', operation));
    end if;
    player_id := wallet_core.as_id(tx -> 'ext_player_id', 'transaction.ext_player_id');
    bet_ref := wallet_core.as_id(request -> 'bet_transaction_id', 'bet_transaction_id');

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
    result := case operation
        when 'win' then
            case when wallet_core.as_boolean(request -> 'is_cashout', 'is_cashout') then 'cashed_out' else 'won' end
        when 'lost' then 'lost'
        when 'refund' then 'refunded'
    end;
    if operation = 'refund' then
        reason := wallet_core.as_text(request -> 'reason', 'reason', false);
    end if;
end
$$;
comment on function wallet_core.read_settlement(jsonb, text) is
'Validates a win, lost or refund request (WA204/WA202 naming the field) and returns its fields, '
'with the result it settles the bet as (won, cashed_out, lost, refunded).';

create or replace function wallet_core.settle_request(
    route text, operation text, request jsonb, out status integer, out body jsonb
)
language plpgsql
set search_path = ''
as $$
declare
    r record;
begin
    -- Validate: a malformed request is answered and not stored.
    begin
        select s.* into r from wallet_core.read_settlement(request, operation) as s;
    exception when others then
        if sqlstate not like 'WA%' then
            raise;
        end if;
        select a.status, a.body into status, body from wallet_core.malformed_answer(sqlstate, sqlerrm) as a;
        return;
    end;
    select s.status, s.body into status, body
    from wallet_core.settle(
        route, operation, r.result, r.transaction_id, r.player_id, r.bet_ref, r.amount, r.currency, r.reason
    ) as s;
end
$$;
comment on function wallet_core.settle_request(text, text, jsonb) is
'A win, lost or refund request from start to end: validate, then wallet_core.settle.';

create or replace function wallet_core.settle(
    route text,
    operation text,
    result text,
    transaction_id text,
    player_id text,
    bet_ref text,
    amount bigint,
    currency text,
    reason text,
    out status integer,
    out body jsonb
)
language plpgsql
set search_path = ''
as $$
declare
    v_claim record;
    v_locked record;
    v_bet wallet_core.bets;
    v_account wallet_core.accounts;
    v_refusal text;
    v_message text;
begin
    select c.* into v_claim
    from wallet_core.claim(
        'transaction', transaction_id, route,
        jsonb_build_object(
            'operation', operation, 'player', player_id, 'amount', amount, 'currency', currency, 'parent', bet_ref
        )
    ) as c;
    if v_claim.status is not null then
        status := v_claim.status;
        body := v_claim.body;
        return;
    end if;

    select l.* into v_locked from wallet_core.lock_bet(bet_ref) as l;
    v_bet := v_locked.bet;
    v_account := v_locked.account;
    select r.state, r.message into v_refusal, v_message
    from wallet_core.bet_refusal(player_id, bet_ref, v_bet, v_account, currency) as r;
    if v_refusal is not null then
        null;  -- refused below
    elsif v_bet.state not in ('open', 'accepted') then
        v_refusal := 'WA206';
        v_message := format('bet %s is %s: it cannot be settled again', bet_ref, v_bet.state);
    elsif operation = 'refund' and amount > v_bet.stake then
        v_refusal := 'WA206';
        v_message := format('refund of %s exceeds the stake %s of bet %s', amount, v_bet.stake, bet_ref);
    end if;
    if v_refusal is not null then
        select r.status, r.body into status, body
        from wallet_core.refuse('transaction', transaction_id, v_refusal, v_message) as r;
        return;
    end if;

    if amount > 0 then
        update wallet_core.accounts as a
        set balance = a.balance + amount
        where a.account_id = v_account.account_id
        returning a.* into v_account;
        insert into wallet_core.journal (account_id, operation, amount, balance_after, transaction_id, bet_id, reason)
        values (v_account.account_id, operation, amount, v_account.balance, transaction_id, v_bet.bet_id, reason);
    end if;

    update wallet_core.bets as b
    set state = 'settled', result = settle.result, settlement_transaction_id = settle.transaction_id,
        settled_amount = amount, updated_at = now()
    where b.bet_id = v_bet.bet_id;

    select a.status, a.body into status, body
    from wallet_core.answer(
        'transaction', transaction_id, 200,
        wallet_core.operation_answer(
            v_claim.operation_id, transaction_id, v_bet.bet_id, player_id, operation, amount, currency,
            v_account.balance
        )
    ) as a;
end
$$;
comment on function wallet_core.settle(text, text, text, text, text, text, bigint, text, text) is
'Settles an open or accepted bet as won, cashed out, lost or refunded, crediting the amount; exactly '
'once per transaction.id. Behind wallet.bet_win, wallet.bet_lost and wallet.bet_refund.';

create or replace function wallet.bet_win(request jsonb, out status integer, out body jsonb)
language sql
security definer
set search_path = ''
as $$
    select s.status, s.body from wallet_core.settle_request('bet/win', 'win', request) as s
$$;
comment on function wallet.bet_win(jsonb) is
'Route bet/win: credits the win and settles the bet as won (or cashed out with is_cashout). '
'Takes the request, returns (status, body). Exactly once per transaction.id.';

create or replace function wallet.bet_lost(request jsonb, out status integer, out body jsonb)
language sql
security definer
set search_path = ''
as $$
    select s.status, s.body from wallet_core.settle_request('bet/lost', 'lost', request) as s
$$;
comment on function wallet.bet_lost(jsonb) is
'Route bet/lost: settles the bet as lost; no money moves. Takes the request, returns (status, body). '
'Exactly once per transaction.id.';

create or replace function wallet.bet_refund(request jsonb, out status integer, out body jsonb)
language sql
security definer
set search_path = ''
as $$
    select s.status, s.body from wallet_core.settle_request('bet/refund', 'refund', request) as s
$$;
comment on function wallet.bet_refund(jsonb) is
'Route bet/refund: credits transaction.amount (at most the stake) and settles the bet as refunded. '
'Takes the request, returns (status, body). Exactly once per transaction.id.';

revoke all on function wallet.bet_win(jsonb) from public;
revoke all on function wallet.bet_lost(jsonb) from public;
revoke all on function wallet.bet_refund(jsonb) from public;
grant execute on function wallet.bet_win(jsonb) to wallet_app;
grant execute on function wallet.bet_lost(jsonb) to wallet_app;
grant execute on function wallet.bet_refund(jsonb) to wallet_app;
