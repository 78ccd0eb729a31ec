-- bet/rollback: undo the bet's current settlement and reopen it (back to accepted).
-- The one operation allowed to take a balance below zero: the provider is authoritative.

create or replace function wallet_core.read_rollback(request jsonb)
returns wallet_core.rollback_request
language plpgsql stable
set search_path = ''
as $$
declare
    tx jsonb;
    read wallet_core.rollback_request;
begin
    perform wallet_core.as_object(request, 'payload');
    tx := wallet_core.as_object(request -> 'transaction', 'transaction');
    read.transaction_id := wallet_core.as_id(tx -> 'id', 'transaction.id');
    if (tx ->> 'operation') is distinct from 'rollback' then
        perform wallet_core.reject('transaction.operation', 'must be "rollback"');
    end if;
    read.player_id := wallet_core.as_id(tx -> 'ext_player_id', 'transaction.ext_player_id');
    read.bet_ref := wallet_core.as_id(request -> 'bet_transaction_id', 'bet_transaction_id');
    read.settlement_id := wallet_core.as_id(request -> 'parent_transaction_id', 'parent_transaction_id');
    read.amount := wallet_core.as_amount(tx -> 'amount', 'transaction.amount', false);
    read.currency := wallet_core.as_currency(tx -> 'currency', 'transaction.currency', false);
    -- books (issue 15): kept when well-formed, never a reason to refuse
    read.cross_rate_euro := wallet_core.kept_decimal(tx -> 'cross_rate_euro');
    read.provider_at := wallet_core.kept_time(tx -> 'timestamp');
    return read;
end
$$;
comment on function wallet_core.read_rollback(jsonb) is
'A bet/rollback request, typed; WA204/WA202 naming the field when it is malformed.';

create or replace function wallet_core.roll_back_bet(
    request wallet_core.rollback_request
)
returns wallet_core.reply
language plpgsql
set search_path = ''
as $$
declare
    op constant wallet_core.operation := wallet_core.new_operation(
        kind => 'transaction', key => request.transaction_id, route => 'bet/rollback', player_id => request.player_id,
        amount => request.amount, currency => request.currency, parent => request.bet_ref,
        detail => request.settlement_id
    );
    opened constant record := wallet_core.claim_bet(op, request.bet_ref, request.player_id, request.currency);
    bet constant wallet_core.bets := opened.bet;
    account wallet_core.accounts := opened.account;
    refusal text;
    message text;
    taken bigint := bet.settled_amount;
    bonus wallet_core.bet_bonuses;
begin
    if opened.answer is not null then
        return opened.answer;
    end if;
    if bet.state <> 'settled' then
        refusal := 'WA206';
        message := format('bet %s is %s: only a settled, not yet closed bet can be rolled back',
            request.bet_ref, bet.state);
    elsif bet.settlement_transaction_id <> request.settlement_id then
        refusal := 'WA206';
        message := format('parent_transaction_id %s is not the current settlement of bet %s',
            request.settlement_id, request.bet_ref);
    elsif request.amount <> bet.settled_amount then
        refusal := 'WA206';
        message := format('transaction.amount %s differs from the %s the settlement moved',
            request.amount, bet.settled_amount);
    end if;
    if refusal is not null then
        return wallet_core.refuse(op, opened.operation_id, refusal, message);
    end if;

    -- Write: take back what the settlement credited to the real balance (nothing for a lost bet)
    -- and what a refund gave back to the grant (even below zero, as for the real balance), reopen
    -- the bet.
    if bet.bonus_id is not null then
        select x.* into bonus from wallet_core.bet_bonuses as x where x.bet_id = bet.bet_id;
        taken := wallet_core.real_credit(
            bet.result, bet.settled_amount, bet.stake, bet.bonus_stake, coalesce(bonus.win_net, false)
        );
    end if;
    if taken > 0 then
        account := wallet_core.post(
            account.account_id, 'rollback', -taken, request.transaction_id, bet.bet_id,
            format('rollback of %s %s', bet.result, request.settlement_id)
        );
        if account.guarded then
            perform wallet_core.count_activity(account.account_id, 0, -taken, 0);
        end if;
    end if;
    update wallet_core.bets as b
    set state = 'accepted', result = null, settlement_transaction_id = null, settled_amount = 0, updated_at = now()
    where b.bet_id = bet.bet_id;
    if bonus.returned > 0 then
        update wallet_core.bet_bonuses as x set returned = 0 where x.bet_id = bet.bet_id;
        perform wallet_core.move_bonus(bonus.grant_id, 'rollback', -bonus.returned, bet.bet_id, request.transaction_id);
    end if;
    -- books (issue 15): the rollback, with the result it undid and what it took back
    insert into wallet_core.bet_operations (
        transaction_id, bet_id, account_id, operation, result, amount, credited, cross_rate_euro, provider_at
    )
    values (
        request.transaction_id, bet.bet_id, account.account_id, 'rollback', bet.result, bet.settled_amount, taken,
        request.cross_rate_euro, request.provider_at
    );
    perform wallet_core.emit_event(
        'bet.rolled_back', account.player_id, account.currency, -taken, account.balance,
        opened.operation_id, bet.bet_id, request.transaction_id,
        jsonb_build_object('result', bet.result, 'settlement_transaction_id', bet.settlement_transaction_id)
        || case
            when bet.bonus_id is not null then
                jsonb_build_object('bonus_id', bet.bonus_id, 'bonus_taken_back', coalesce(bonus.returned, 0))
            else '{}'
        end
    );

    return wallet_core.answer(
        op, opened.operation_id,
        wallet_core.operation_answer(
            operation_id => opened.operation_id, ext_transaction_id => request.transaction_id,
            parent_transaction_id => bet.bet_id, user_id => request.player_id, operation => 'rollback',
            amount => bet.settled_amount, currency => account.currency, balance => account.balance
        )
    );
end
$$;
comment on function wallet_core.roll_back_bet(wallet_core.rollback_request) is
'bet/rollback once read: claim the key, lock the bet''s account, check (1006, 2003, 2004 another '
'player''s, 2002, 2004 state), post the settlement''s real credit back and take a refund''s give-back '
'from the bonus grant, reopen the bet, answer.';

create or replace function wallet.bet_rollback(request jsonb, out status integer, out body jsonb)
language plpgsql
security definer
set search_path = ''
as $$
declare
    reply constant wallet_core.reply := wallet_core.route('bet/rollback', request);
begin
    status := reply.status;
    body := reply.body;
end
$$;
comment on function wallet.bet_rollback(jsonb) is
'Route bet/rollback: undoes the settlement named by parent_transaction_id (debits a win or refund back, '
'even below zero) and reopens the bet as accepted. Takes the request, returns (status, body). '
'Exactly once per transaction.id.';

revoke all on function wallet.bet_rollback(jsonb) from public;
grant execute on function wallet.bet_rollback(jsonb) to wallet_app;
