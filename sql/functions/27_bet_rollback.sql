-- bet/rollback: undo the bet's current settlement and reopen it (back to accepted).
-- The one operation allowed to take a balance below zero: the provider is authoritative.

create or replace function wallet.bet_rollback(request jsonb, out status integer, out body jsonb)
language plpgsql
security definer
set search_path = ''
as $$
declare
    v_transaction jsonb;
    v_transaction_id text;
    v_player_id text;
    v_bet_ref text;
    v_settlement_id text;
    v_amount bigint;
    v_currency text;
    v_claim record;
    v_locked record;
    v_bet wallet_core.bets;
    v_account wallet_core.accounts;
    v_refusal text;
    v_message text;
begin
    -- 1. Validate.
    begin
        perform wallet_core.as_object(request, 'payload');
        v_transaction := wallet_core.as_object(request -> 'transaction', 'transaction');
        v_transaction_id := wallet_core.as_id(v_transaction -> 'id', 'transaction.id');
        if (v_transaction ->> 'operation') is distinct from 'rollback' then
            perform wallet_core.reject('transaction.operation', 'must be "rollback"');
        end if;
        v_player_id := wallet_core.as_id(v_transaction -> 'ext_player_id', 'transaction.ext_player_id');
        v_bet_ref := wallet_core.as_id(request -> 'bet_transaction_id', 'bet_transaction_id');
        v_settlement_id := wallet_core.as_id(request -> 'parent_transaction_id', 'parent_transaction_id');
        v_amount := wallet_core.as_amount(v_transaction -> 'amount', 'transaction.amount', false);
        v_currency := wallet_core.as_currency(v_transaction -> 'currency', 'transaction.currency', false);
    exception when others then
        if sqlstate not like 'WA%' then
            raise;
        end if;
        select a.status, a.body into status, body from wallet_core.malformed_answer(sqlstate, sqlerrm) as a;
        return;
    end;

    -- 2. Claim.
    select c.* into v_claim
    from wallet_core.claim(
        'transaction', v_transaction_id, 'bet/rollback',
        jsonb_build_object(
            'operation', 'rollback', 'player', v_player_id, 'amount', v_amount, 'currency', v_currency,
            'parent', v_bet_ref, 'settlement', v_settlement_id
        )
    ) as c;
    if v_claim.status is not null then
        status := v_claim.status;
        body := v_claim.body;
        return;
    end if;

    -- 3. Lock the bet's account, then check.
    select l.* into v_locked from wallet_core.lock_bet(v_bet_ref) as l;
    v_bet := v_locked.bet;
    v_account := v_locked.account;
    select r.state, r.message into v_refusal, v_message
    from wallet_core.bet_refusal(v_player_id, v_bet_ref, v_bet, v_account, v_currency) as r;
    if v_refusal is not null then
        null;  -- refused below
    elsif v_bet.state <> 'settled' then
        v_refusal := 'WA206';
        v_message := format('bet %s is %s: only a settled, not yet closed bet can be rolled back',
            v_bet_ref, v_bet.state);
    elsif v_bet.settlement_transaction_id <> v_settlement_id then
        v_refusal := 'WA206';
        v_message := format('parent_transaction_id %s is not the current settlement of bet %s',
            v_settlement_id, v_bet_ref);
    elsif v_amount <> v_bet.settled_amount then
        v_refusal := 'WA206';
        v_message := format('transaction.amount %s differs from the %s the settlement moved',
            v_amount, v_bet.settled_amount);
    end if;
    if v_refusal is not null then
        select r.status, r.body into status, body
        from wallet_core.refuse('transaction', v_transaction_id, v_refusal, v_message) as r;
        return;
    end if;

    -- 4. Write: take back what the settlement credited (nothing for a lost bet), reopen the bet.
    if v_bet.settled_amount > 0 then
        update wallet_core.accounts as a
        set balance = a.balance - v_bet.settled_amount
        where a.account_id = v_account.account_id
        returning a.* into v_account;
        insert into wallet_core.journal (account_id, operation, amount, balance_after, transaction_id, bet_id, reason)
        values (
            v_account.account_id, 'rollback', -v_bet.settled_amount, v_account.balance, v_transaction_id,
            v_bet.bet_id, format('rollback of %s %s', v_bet.result, v_settlement_id)
        );
    end if;
    update wallet_core.bets as b
    set state = 'accepted', result = null, settlement_transaction_id = null, settled_amount = 0, updated_at = now()
    where b.bet_id = v_bet.bet_id;

    -- 5. Answer.
    select a.status, a.body into status, body
    from wallet_core.answer(
        'transaction', v_transaction_id, 200,
        wallet_core.operation_answer(
            v_claim.operation_id, v_transaction_id, v_bet.bet_id, v_player_id, 'rollback', v_bet.settled_amount,
            v_account.currency, v_account.balance
        )
    ) as a;
end
$$;
comment on function wallet.bet_rollback(jsonb) is
'Route bet/rollback: undoes the settlement named by parent_transaction_id (debits a win or refund back, '
'even below zero) and reopens the bet as accepted. Takes the request, returns (status, body). '
'Exactly once per transaction.id.';

revoke all on function wallet.bet_rollback(jsonb) from public;
grant execute on function wallet.bet_rollback(jsonb) to wallet_app;
