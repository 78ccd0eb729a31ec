-- bet/settlement: the bet's settlement is final; it can no longer be rolled back. No money moves.

create or replace function wallet.bet_settlement(request jsonb, out status integer, out body jsonb)
language plpgsql
security definer
set search_path = ''
as $$
declare
    v_bet_ref text;
    v_status text;
    v_claim record;
    v_locked record;
begin
    begin
        perform wallet_core.as_object(request, 'payload');
        v_bet_ref := wallet_core.as_id(request -> 'bet_transaction_id', 'bet_transaction_id');
        v_status := wallet_core.as_text(request -> 'status', 'status');
        if v_status not in ('won', 'lost', 'canceled', 'refund', 'cashed out', 'half-won', 'half-lost') then
            perform wallet_core.reject(
                'status', 'must be one of won, lost, canceled, refund, cashed out, half-won, half-lost'
            );
        end if;
    exception when others then
        if sqlstate not like 'WA%' then
            raise;
        end if;
        select a.status, a.body into status, body from wallet_core.malformed_answer(sqlstate, sqlerrm) as a;
        return;
    end;

    select c.* into v_claim
    from wallet_core.claim(
        'settlement', v_bet_ref, 'bet/settlement',
        jsonb_build_object('operation', 'settlement', 'parent', v_bet_ref, 'status', v_status)
    ) as c;
    if v_claim.status is not null then
        status := v_claim.status;
        body := v_claim.body;
        return;
    end if;

    select l.* into v_locked from wallet_core.lock_bet(v_bet_ref) as l;
    if (v_locked.bet).bet_id is null then
        select r.status, r.body into status, body
        from wallet_core.refuse('settlement', v_bet_ref, 'WA203', format('bet %s not found', v_bet_ref)) as r;
        return;
    end if;
    if (v_locked.bet).state <> 'settled' then
        select r.status, r.body into status, body
        from wallet_core.refuse(
            'settlement', v_bet_ref, 'WA206', format('bet %s is %s: only a settled bet can be closed',
                v_bet_ref, (v_locked.bet).state)
        ) as r;
        return;
    end if;

    update wallet_core.bets as b
    set state = 'closed', closing_status = v_status, updated_at = now()
    where b.bet_id = (v_locked.bet).bet_id;

    select a.status, a.body into status, body
    from wallet_core.answer(
        'settlement', v_bet_ref, 200,
        wallet_core.operation_answer(
            v_claim.operation_id, (v_locked.bet).make_transaction_id, (v_locked.bet).bet_id,
            (v_locked.account).player_id, 'settlement', 0, (v_locked.account).currency, (v_locked.account).balance
        )
    ) as a;
end
$$;
comment on function wallet.bet_settlement(jsonb) is
'Route bet/settlement: closes a settled bet with the provider''s final status; it can no longer be '
'rolled back. Takes the request, returns (status, body). Exactly once per bet_transaction_id.';

revoke all on function wallet.bet_settlement(jsonb) from public;
grant execute on function wallet.bet_settlement(jsonb) to wallet_app;
