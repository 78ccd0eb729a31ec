-- bet/discard: the provider rejected the bet before accepting it: give the stake back.
-- A discard for a make never seen leaves a marker, so that the make arriving later is refused.

create or replace function wallet_core.read_discard(request jsonb)
returns wallet_core.discard_request
language plpgsql stable
set search_path = ''
as $$
declare
    read wallet_core.discard_request;
begin
    perform wallet_core.as_object(request, 'payload');
    read.player_id := wallet_core.as_id(request -> 'ext_player_id', 'ext_player_id');
    read.transaction_id := wallet_core.as_id(request -> 'transaction_id', 'transaction_id');
    read.reason := wallet_core.as_text(request -> 'reason', 'reason', false);
    return read;
end
$$;
comment on function wallet_core.read_discard(jsonb) is
'A bet/discard request, typed; WA204 naming the field when it is malformed.';

create or replace function wallet_core.discard_bet(
    request wallet_core.discard_request
)
returns wallet_core.reply
language plpgsql
set search_path = ''
as $$
declare
    op constant wallet_core.operation := wallet_core.new_operation(
        kind => 'discard', key => request.transaction_id, route => 'bet/discard', player_id => request.player_id,
        parent => request.transaction_id
    );
    claimed record;
    bet wallet_core.bets;
    account wallet_core.accounts;
    refusal text;
    message text;
    grant_id bigint;
begin
    claimed := wallet_core.claim(op);
    if claimed.status is not null then
        return row(claimed.status, claimed.body);
    end if;
    if wallet_core.player_refusal(request.player_id, null) is not null then
        return wallet_core.refuse(op, claimed.operation_id, 'WA006', format('player %s not found', request.player_id));
    end if;

    loop
        -- The make was seen: lock its account (the lock that guards the bet), then check.
        select b.* into bet from wallet_core.bets as b where b.make_transaction_id = request.transaction_id;
        if found then
            select a.* into strict account
            from wallet_core.accounts as a where a.account_id = bet.account_id
            for no key update;
            select b.* into strict bet from wallet_core.bets as b where b.bet_id = bet.bet_id;
            if account.player_id <> request.player_id then
                refusal := 'WA206';
                message := format('the make %s belongs to another player', request.transaction_id);
            elsif bet.state <> 'open' then
                refusal := 'WA206';
                message := format('bet %s is %s: only an open bet can be discarded', bet.bet_id, bet.state);
            end if;
            if refusal is not null then
                return wallet_core.refuse(op, claimed.operation_id, refusal, message);
            end if;

            -- The stake goes back where it came from: the real part to the balance (one journal
            -- row, 0 for a stake the grant paid), the bonus part to the grant.
            account := wallet_core.post(
                account.account_id, 'discard', bet.stake - bet.bonus_stake, request.transaction_id, bet.bet_id,
                request.reason
            );
            if account.guarded then
                perform wallet_core.count_activity(account.account_id, 0, bet.stake - bet.bonus_stake, 0);
            end if;
            update wallet_core.bets as b
            set state = 'discarded', discard_reason = request.reason, updated_at = now()
            where b.bet_id = bet.bet_id;
            if bet.bonus_stake > 0 then
                update wallet_core.bet_bonuses as x set returned = bet.bonus_stake where x.bet_id = bet.bet_id
                returning x.grant_id into grant_id;
                perform wallet_core.move_bonus(grant_id, 'discard', bet.bonus_stake, bet.bet_id, request.transaction_id);
            end if;
            perform wallet_core.emit_event(
                'bet.discarded', account.player_id, account.currency, bet.stake - bet.bonus_stake, account.balance,
                claimed.operation_id, bet.bet_id, request.transaction_id,
                jsonb_build_object('reason', request.reason, 'marker', false) || case
                    when bet.bonus_id is not null then
                        jsonb_build_object('bonus_id', bet.bonus_id, 'bonus_returned', bet.bonus_stake)
                    else '{}'
                end
            );
            return wallet_core.answer(
                op, claimed.operation_id,
                wallet_core.operation_answer(
                    operation_id => claimed.operation_id, ext_transaction_id => request.transaction_id,
                    parent_transaction_id => bet.bet_id, user_id => request.player_id, operation => 'discard',
                    amount => bet.stake, currency => account.currency, balance => account.balance
                )
            );
        end if;

        -- Never seen: leave a marker on the player's account (the first by currency). A make
        -- inserting the same id at this moment makes one of the two inserts wait and conflict.
        select a.* into strict account
        from wallet_core.accounts as a where a.player_id = request.player_id order by a.currency limit 1;
        insert into wallet_core.bets (bet_id, account_id, make_transaction_id, made, state, stake, discard_reason)
        values (
            claimed.operation_id, account.account_id, request.transaction_id, false, 'discarded', 0, request.reason
        )
        on conflict (make_transaction_id) do nothing;
        if found then
            perform wallet_core.emit_event(
                'bet.discarded', account.player_id, account.currency, 0, account.balance,
                claimed.operation_id, null, request.transaction_id,
                jsonb_build_object('reason', request.reason, 'marker', true)
            );
            return wallet_core.answer(
                op, claimed.operation_id,
                wallet_core.operation_answer(
                    operation_id => claimed.operation_id, ext_transaction_id => request.transaction_id,
                    parent_transaction_id => null, user_id => request.player_id, operation => 'discard',
                    amount => 0, currency => account.currency, balance => account.balance
                )
            );
        end if;
        -- The make won the race and is committed now: go round and discard it.
    end loop;
end
$$;
comment on function wallet_core.discard_bet(wallet_core.discard_request) is
'bet/discard once read: claim the key; give an open bet''s stake back where it came from (the real '
'balance, the bonus part to its grant), or leave a marker for a make never seen; answer.';

create or replace function wallet.bet_discard(request jsonb, out status integer, out body jsonb)
language plpgsql
security definer
set search_path = ''
as $$
declare
    reply constant wallet_core.reply := wallet_core.route('bet/discard', request);
begin
    status := reply.status;
    body := reply.body;
end
$$;
comment on function wallet.bet_discard(jsonb) is
'Route bet/discard: gives the stake of an open bet back. For a make never seen, leaves a marker so '
'that the make, arriving later, is refused (2004). Takes the request, returns (status, body). '
'Exactly once per transaction_id.';

revoke all on function wallet.bet_discard(jsonb) from public;
grant execute on function wallet.bet_discard(jsonb) to wallet_app;
