-- bet/discard: the provider rejected the bet before accepting it: give the stake back.
-- A discard for a make never seen leaves a marker, so that the make arriving later is refused.

create or replace function wallet.bet_discard(request jsonb, out status integer, out body jsonb)
language plpgsql
security definer
set search_path = ''
as $$
declare
    v_player_id text;
    v_transaction_id text;
    v_reason text;
    v_claim record;
    v_bet wallet_core.bets;
    v_account wallet_core.accounts;
    v_refusal text;
    v_message text;
begin
    -- 1. Validate.
    begin
        perform wallet_core.as_object(request, 'payload');
        v_player_id := wallet_core.as_id(request -> 'ext_player_id', 'ext_player_id');
        v_transaction_id := wallet_core.as_id(request -> 'transaction_id', 'transaction_id');
        v_reason := wallet_core.as_text(request -> 'reason', 'reason', false);
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
        'discard', v_transaction_id, 'bet/discard',
        jsonb_build_object('operation', 'discard', 'player', v_player_id, 'parent', v_transaction_id)
    ) as c;
    if v_claim.status is not null then
        status := v_claim.status;
        body := v_claim.body;
        return;
    end if;
    if wallet_core.player_refusal(v_player_id, null) is not null then
        select r.status, r.body into status, body
        from wallet_core.refuse('discard', v_transaction_id, 'WA006', format('player %s not found', v_player_id)) as r;
        return;
    end if;

    loop
        -- 3a. The make was seen: lock its account (the lock that guards the bet), then check.
        select b.* into v_bet from wallet_core.bets as b where b.make_transaction_id = v_transaction_id;
        if found then
            select a.* into strict v_account
            from wallet_core.accounts as a where a.account_id = v_bet.account_id
                for no key update;
            select b.* into strict v_bet from wallet_core.bets as b where b.bet_id = v_bet.bet_id;
            if v_account.player_id <> v_player_id then
                v_refusal := 'WA206';
                v_message := format('the make %s belongs to another player', v_transaction_id);
            elsif v_bet.state <> 'open' then
                v_refusal := 'WA206';
                v_message := format('bet %s is %s: only an open bet can be discarded', v_bet.bet_id, v_bet.state);
            end if;
            if v_refusal is not null then
                select r.status, r.body into status, body
                from wallet_core.refuse('discard', v_transaction_id, v_refusal, v_message) as r;
                return;
            end if;

            update wallet_core.accounts as a
            set balance = a.balance + v_bet.stake
            where a.account_id = v_account.account_id
            returning a.* into v_account;
            insert into wallet_core.journal (
                account_id, operation, amount, balance_after, transaction_id, bet_id, reason
            )
            values (
                v_account.account_id, 'discard', v_bet.stake, v_account.balance, v_transaction_id, v_bet.bet_id,
                v_reason
            );
            update wallet_core.bets as b
            set state = 'discarded', discard_reason = v_reason, updated_at = now()
            where b.bet_id = v_bet.bet_id;

            select a.status, a.body into status, body
            from wallet_core.answer(
                'discard', v_transaction_id, 200,
                wallet_core.operation_answer(
                    v_claim.operation_id, v_transaction_id, v_bet.bet_id, v_player_id, 'discard', v_bet.stake,
                    v_account.currency, v_account.balance
                )
            ) as a;
            return;
        end if;

        -- 3b. Never seen: leave a marker on the player's account (the first by currency). A make
        --     inserting the same id at this moment makes one of the two inserts wait and conflict.
        select a.* into strict v_account
        from wallet_core.accounts as a where a.player_id = v_player_id order by a.currency limit 1;
        insert into wallet_core.bets (
            bet_id, account_id, make_transaction_id, made, state, stake, discard_reason
        )
        values (v_claim.operation_id, v_account.account_id, v_transaction_id, false, 'discarded', 0, v_reason)
        on conflict (make_transaction_id) do nothing;
        if found then
            select a.status, a.body into status, body
            from wallet_core.answer(
                'discard', v_transaction_id, 200,
                wallet_core.operation_answer(
                    v_claim.operation_id, v_transaction_id, null, v_player_id, 'discard', 0,
                    v_account.currency, v_account.balance
                )
            ) as a;
            return;
        end if;
        -- The make won the race and is committed now: go round and discard it.
    end loop;
end
$$;
comment on function wallet.bet_discard(jsonb) is
'Route bet/discard: gives the stake of an open bet back. For a make never seen, leaves a marker so '
'that the make, arriving later, is refused (2004). Takes the request, returns (status, body). '
'Exactly once per transaction_id.';

revoke all on function wallet.bet_discard(jsonb) from public;
grant execute on function wallet.bet_discard(jsonb) to wallet_app;
