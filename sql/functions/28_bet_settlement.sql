-- bet/settlement: the bet's settlement is final; it can no longer be rolled back. No money moves.

create or replace function wallet.bet_settlement(request jsonb, out status integer, out body jsonb)
language plpgsql
security definer
set search_path = ''
as $$
declare
    v_bet_ref text;
    v_status text;
begin
    -- Validate: a malformed request is answered and not stored.
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
    -- Claim (settlement, bet id) with the status as content, lock, settled -> closed, answer.
    select a.status, a.body into status, body
    from wallet_core.advance_bet(
        'settlement', 'bet/settlement', 'settlement', v_bet_ref,
        jsonb_build_object('operation', 'settlement', 'parent', v_bet_ref, 'status', v_status),
        'settled', 'closed', v_status
    ) as a;
end
$$;
comment on function wallet.bet_settlement(jsonb) is
'Route bet/settlement: closes a settled bet with the provider''s final status; it can no longer be '
'rolled back. Takes the request, returns (status, body). Exactly once per bet_transaction_id.';

revoke all on function wallet.bet_settlement(jsonb) from public;
grant execute on function wallet.bet_settlement(jsonb) to wallet_app;
