-- Settling a bet, what bet/win, bet/lost and bet/refund share (their route files are 24, 25 and 26):
-- wallet_core.read_settle reads the request, wallet_core.settle_bet does the operation: claim,
-- lock, check, write, answer.

-- No SET clause: the planner inlines it into the function that calls it (see 00_limits.sql).
create or replace function wallet_core.new_settle_request(
    transaction_id text, player_id text, bet_ref text, amount bigint, currency text, reason text, result text
)
returns wallet_core.settle_request
language sql immutable parallel safe
as $$
    -- books (issue 15): cross_rate_euro, provider_at, final_odds, legs: set by wallet_core.keep_settle_fields
    select row(
        transaction_id, player_id, bet_ref, amount, currency, reason, result,
        null::numeric, null::timestamptz, null::numeric, null::jsonb
    )::wallet_core.settle_request
$$;
comment on function wallet_core.new_settle_request(text, text, text, bigint, text, text, text) is
'A wallet_core.settle_request from named arguments. Inlined by the planner.';

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
    return wallet_core.keep_settle_fields(read, request);  -- books (issue 15)
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
        and wallet_core.is_id_string(tx -> 'id')
        and wallet_core.is_id_string(tx -> 'ext_player_id')
        and wallet_core.is_id_string(request -> 'bet_transaction_id')
        and wallet_core.is_amount(top_amount, optional => true)
        and wallet_core.is_amount(tx_amount, optional => true)
        and coalesce(top_amount = tx_amount, true)
        and case operation
            when 'win' then coalesce(tx_amount, top_amount) is not null
                and coalesce(jsonb_typeof(request -> 'is_cashout'), 'null') in ('null', 'boolean')
            when 'lost' then coalesce(coalesce(tx_amount, top_amount) = '0', true)
            when 'refund' then tx_amount is not null
                and wallet_core.is_text(request -> 'reason', optional => true)
            else false
        end
        and wallet_core.is_currency(top_currency, optional => true)
        and wallet_core.is_currency(tx_currency, optional => true)
        and coalesce(top_currency = tx_currency, true)
        and coalesce(top_currency, tx_currency) is not null,
        false
    ) then
        return null;
    end if;
    return wallet_core.keep_settle_fields(wallet_core.new_settle_request(  -- books (issue 15)
        transaction_id => tx ->> 'id',
        player_id => tx ->> 'ext_player_id',
        bet_ref => request ->> 'bet_transaction_id',
        amount => case when operation = 'lost' then 0 else coalesce(tx_amount, top_amount)::bigint end,
        currency => coalesce(top_currency, tx_currency) #>> '{}',
        reason => case when operation = 'refund' then request ->> 'reason' end,
        result => case operation
            when 'win' then case when (request -> 'is_cashout') = 'true' then 'cashed_out' else 'won' end
            when 'lost' then 'lost'
            when 'refund' then 'refunded'
        end
    ), request);
end
$$;
comment on function wallet_core.read_settle_quickly(jsonb, text) is
'The fast reader of bet/win, bet/lost and bet/refund: the typed request when every field has its usual '
'JSON type, range and agreement; otherwise null, and wallet_core.read_settle_slowly reads it. Never refuses.';

-- No SET clause: the planner inlines it into wallet_core.route (see 00_limits.sql).
create or replace function wallet_core.read_settle(request jsonb, operation text)
returns wallet_core.settle_request
language sql stable parallel safe
as $$
    select coalesce(
        wallet_core.read_settle_quickly(request, operation), wallet_core.read_settle_slowly(request, operation)
    )
$$;
comment on function wallet_core.read_settle(jsonb, text) is
'A bet/win, bet/lost or bet/refund request, typed: in one step when it is usual, field by field '
'otherwise. WA204/WA202 naming the field when it is malformed. Inlined by the planner.';

create or replace function wallet_core.settle_bet(
    route text, operation text, request wallet_core.settle_request
)
returns wallet_core.reply
language plpgsql
set search_path = ''
as $$
declare
    op constant wallet_core.operation := wallet_core.new_operation(
        kind => 'transaction', key => request.transaction_id, route => route, player_id => request.player_id,
        amount => request.amount, currency => request.currency, parent => request.bet_ref
    );
    opened constant record := wallet_core.claim_bet(op, request.bet_ref, request.player_id, request.currency);
    bet constant wallet_core.bets := opened.bet;
    account wallet_core.accounts := opened.account;
    credit bigint := request.amount;
    bonus wallet_core.bet_bonuses;
begin
    if opened.answer is not null then
        return opened.answer;
    end if;
    if bet.state not in ('open', 'accepted') then
        return wallet_core.refuse(
            op, opened.operation_id, 'WA206',
            format('bet %s is %s: it cannot be settled again', request.bet_ref, bet.state)
        );
    end if;
    if operation = 'refund' and request.amount > bet.stake then
        return wallet_core.refuse(
            op, opened.operation_id, 'WA206',
            format('refund of %s exceeds the stake %s of bet %s', request.amount, bet.stake, request.bet_ref)
        );
    end if;

    -- A bonus bet: what its policy credits to the real balance; a refund's bonus part goes back to
    -- the grant.
    if bet.bonus_id is not null then
        select x.* into bonus from wallet_core.bet_bonuses as x where x.bet_id = bet.bet_id;
        credit := wallet_core.real_credit(
            request.result, request.amount, bet.stake, bet.bonus_stake, coalesce(bonus.win_net, false)
        );
    end if;
    if credit > 0 then
        account := wallet_core.post(
            account.account_id, operation, credit, request.transaction_id, bet.bet_id, request.reason
        );
        if account.guarded then
            perform wallet_core.count_activity(account.account_id, 0, credit, 0);
        end if;
    end if;
    update wallet_core.bets as b
    set state = 'settled', result = request.result, settlement_transaction_id = request.transaction_id,
        settled_amount = request.amount, updated_at = now()
    where b.bet_id = bet.bet_id;
    if request.result = 'refunded' and bet.bonus_stake > 0 and request.amount > credit then
        update wallet_core.bet_bonuses as x set returned = request.amount - credit where x.bet_id = bet.bet_id;
        perform wallet_core.move_bonus(
            bonus.grant_id, 'refund', request.amount - credit, bet.bet_id, request.transaction_id
        );
    end if;
    -- books (issue 15): the operation as the provider sent it, for the history and the reports
    insert into wallet_core.bet_operations (
        transaction_id, bet_id, account_id, operation, result, amount, credited, cross_rate_euro, provider_at,
        final_odds, legs
    )
    values (
        request.transaction_id, bet.bet_id, account.account_id, operation, request.result, request.amount, credit,
        request.cross_rate_euro, request.provider_at, request.final_odds, request.legs
    );
    perform wallet_core.emit_event(
        case request.result when 'lost' then 'bet.lost' when 'refunded' then 'bet.refunded' else 'bet.won' end,
        account.player_id, account.currency, credit, account.balance,
        opened.operation_id, bet.bet_id, request.transaction_id,
        case
            when bet.bonus_id is null then jsonb_build_object('result', request.result)
            else jsonb_build_object(
                'result', request.result, 'bonus_id', bet.bonus_id, 'amount_sent', request.amount,
                'bonus_returned', case when request.result = 'refunded' then request.amount - credit else 0 end
            )
        end
    );

    return wallet_core.answer(
        op, opened.operation_id,
        wallet_core.operation_answer(
            operation_id => opened.operation_id, ext_transaction_id => request.transaction_id,
            parent_transaction_id => bet.bet_id, user_id => request.player_id, operation => operation,
            amount => request.amount, currency => request.currency, balance => account.balance
        )
    );
end
$$;
comment on function wallet_core.settle_bet(text, text, wallet_core.settle_request) is
'Settles an open or accepted bet as won, cashed out, lost or refunded, crediting the amount (a bonus bet: '
'what its policy credits, wallet_core.real_credit, and a refund''s bonus part back to its grant); exactly '
'once per transaction.id. Behind wallet.bet_win, wallet.bet_lost and wallet.bet_refund.';
