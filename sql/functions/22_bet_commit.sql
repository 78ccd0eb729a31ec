-- bet/commit: the provider accepted the bet. No money moves.

create or replace function wallet.bet_commit(request jsonb, out status integer, out body jsonb)
language plpgsql
security definer
set search_path = ''
as $$
declare
    v_bet_ref text;
    v_claim record;
    v_locked record;
begin
    begin
        perform wallet_core.as_object(request, 'payload');
        v_bet_ref := wallet_core.as_id(request -> 'bet_transaction_id', 'bet_transaction_id');
    exception when others then
        if sqlstate not like 'WA%' then
            raise;
        end if;
        select a.status, a.body into status, body from wallet_core.malformed_answer(sqlstate, sqlerrm) as a;
        return;
    end;

    select c.* into v_claim
    from wallet_core.claim(
        'commit', v_bet_ref, 'bet/commit', jsonb_build_object('operation', 'commit', 'parent', v_bet_ref)
    ) as c;
    if v_claim.status is not null then
        status := v_claim.status;
        body := v_claim.body;
        return;
    end if;

    select l.* into v_locked from wallet_core.lock_bet(v_bet_ref) as l;
    if (v_locked.bet).bet_id is null then
        select r.status, r.body into status, body
        from wallet_core.refuse('commit', v_bet_ref, 'WA203', format('bet %s not found', v_bet_ref)) as r;
        return;
    end if;
    if (v_locked.bet).state <> 'open' then
        select r.status, r.body into status, body
        from wallet_core.refuse(
            'commit', v_bet_ref, 'WA206', format('bet %s is %s: only an open bet can be committed',
                v_bet_ref, (v_locked.bet).state)
        ) as r;
        return;
    end if;

    update wallet_core.bets as b set state = 'accepted', updated_at = now() where b.bet_id = (v_locked.bet).bet_id;

    select a.status, a.body into status, body
    from wallet_core.answer(
        'commit', v_bet_ref, 200,
        wallet_core.operation_answer(
            v_claim.operation_id, (v_locked.bet).make_transaction_id, (v_locked.bet).bet_id,
            (v_locked.account).player_id, 'commit', 0, (v_locked.account).currency, (v_locked.account).balance
        )
    ) as a;
end
$$;
comment on function wallet.bet_commit(jsonb) is
'Route bet/commit: the provider accepted an open bet; no money moves. Takes the request, returns '
'(status, body). Exactly once per bet_transaction_id.';

revoke all on function wallet.bet_commit(jsonb) from public;
grant execute on function wallet.bet_commit(jsonb) to wallet_app;
